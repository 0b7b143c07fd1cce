"""Time from a tap on a service tile to the form screen being rendered.

Runs the kiosk window offscreen with the demo's simulated devices and the embedded
reference backend, identifies the demo resident by a card tap, then, N times: presses
and releases the mouse on the "Surat Keterangan Domisili" tile (through the window
system's path, as a finger would), and times until the first frame that shows the form
screen was swapped (QQuickWindow.frameSwapped). Between taps the citizen goes back to
the services screen. The first taps are a warm-up (QML components compiled on first use).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_tap.py [--taps 30]

Budget (brief): a tap answers within 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtQuick import QQuickItem

SITI = "04A3B2C1D0E1F2"
WARMUP = 3


def wait_until(app: QGuiApplication, done, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        app.processEvents()
        time.sleep(0.001)


def form_drawn(kiosk, frames: list[float], since: float) -> bool:
    return kiosk.bridge.vm.get("screen") == "form" and any(f > since for f in frames)


def find(window, name: str) -> QQuickItem:
    pending = [window.contentItem()]
    while pending:
        item = pending.pop()
        if item.objectName() == name and item.isVisible():
            return item
        pending.extend(item.childItems())
    raise LookupError(name)


def tap(window, item: QQuickItem) -> None:
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
        event = QMouseEvent(
            kind,
            centre,
            centre,
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton
            if kind == QEvent.Type.MouseButtonPress
            else Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QGuiApplication.sendEvent(window, event)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=30)
    args = parser.parse_args()

    from kiosk.demo.settings import demo_settings
    from kiosk.flow import events as ev
    from kiosk.ui.app import KioskWindow, make_app

    app, _problems = make_app()
    with tempfile.TemporaryDirectory() as state:
        kiosk = KioskWindow.for_settings(demo_settings(Path(state), auto_sign_s=60))
        window = kiosk.window
        wait_until(app, lambda: kiosk.bridge.vm.get("ready") is True)
        reader = kiosk.runtime.devices["card_reader"]
        wait_until(app, lambda: reader.lifecycle.value == "enabled")
        reader.simulator.tap(SITI)
        wait_until(app, lambda: kiosk.bridge.vm.get("screen") == "services")

        frames: list[float] = []
        window.frameSwapped.connect(lambda: frames.append(time.perf_counter()))
        times: list[float] = []
        for n in range(args.taps + WARMUP):
            wait_until(app, lambda: kiosk.bridge.vm.get("screen") == "services")
            for _ in range(3):  # the services screen fully drawn before the tap
                app.processEvents()
                time.sleep(0.01)
            tile = find(window, "service-SKD")
            frames.clear()
            started = time.perf_counter()
            tap(window, tile)
            wait_until(app, lambda at=started: form_drawn(kiosk, frames, at))
            rendered = next(f for f in frames if f > started)
            if n >= WARMUP:
                times.append((rendered - started) * 1000)
            kiosk.bridge.dispatch(ev.Back())
        kiosk.close()

    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    print(f"Tap on a service tile -> form screen rendered (offscreen, n={len(times)}):")
    print(
        f"  median {statistics.median(times):6.1f} ms, min {times[0]:6.1f} ms, "
        f"p95 {p95:6.1f} ms, max {times[-1]:6.1f} ms   (budget 50 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
