"""Memory over many citizen sessions driven through the real QML: does the kiosk grow?

Like bench/sessions.py, but every session goes through the window a citizen sees
(offscreen): a tap of the simulated e-KTP, then presses on the named QML items
(service-SKD, field-keperluan, nextButton, confirmButton, rate-4, finishButton) as the
demo's autoplay does, waiting for each screen to be shown. The reference backend is
embedded (in this process, as in the demo) and signs at once; the simulated A4 printer
takes no time per page unless --print-delay says so (the demo: 0.5 s). The printers'
archives of what they printed are emptied after each session: they are test
instruments, and would otherwise be the growth measured.

Resident memory (VmRSS) is sampled every --every sessions after --warmup sessions; the
slope of a least-squares line through the samples is printed in MiB per 100 sessions,
with the RSS at start and end and the seconds per session. Also printed: the number of
live QObjects under the window at the same points, which tells Qt objects piling up
from other memory.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_sessions.py [--sessions 300]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QObject, QPointF, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickItem
from sessions import server_process  # bench/sessions.py: the same apm-server process

from kiosk.config import KioskSettings
from kiosk.demo.settings import demo_settings
from kiosk.ui.app import KioskWindow, make_app
from kiosk.ui.demo import click

SITI_UID = "04A3B2C1D0E1F2"
PURPOSE = "Melamar pekerjaan"




def bench_settings(
    state: Path, print_delay_s: float, server: tuple[str, Path] | None = None
) -> KioskSettings:
    """The demo's settings; the simulated A4 printer's page delay is waiting, not memory."""
    if server is None:
        settings = demo_settings(state, auto_sign_s=0)
    else:
        url, anchor = server
        settings = demo_settings(state, backend_url=url, trust_anchors=[anchor])
    printer = settings.devices["document_printer"]
    faster = printer.settings.model_copy(update={"print_delay_s": print_delay_s})
    settings.devices["document_printer"] = dataclasses.replace(printer, settings=faster)
    return settings


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys against xs."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


@dataclass(frozen=True)
class Wait:
    """What a script waits for before its next step (polled from the event loop)."""

    done: Callable[[], bool]
    what: str
    timeout_s: float = 30.0
    required: bool = True  # False: carry on after the timeout (a frame that never came)


class Runner(QObject):
    """Runs a script (a generator yielding Waits) from inside app.exec(), as the kiosk runs:
    the real event loop, so objects Qt deletes later (a Loader's old screen) are deleted."""

    POLL_MS = 10

    def __init__(self, app: QGuiApplication, script: Iterator[Wait]) -> None:
        super().__init__()
        self.app, self.script = app, script
        self.error: BaseException | None = None
        self.wait: Wait | None = None
        self.deadline = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(self.POLL_MS)
        self.timer.timeout.connect(self._poll)

    def run(self) -> None:
        self.timer.start()
        self.app.exec()
        if self.error is not None:
            raise self.error

    def _poll(self) -> None:
        try:
            if self.wait is not None and not self.wait.done():
                if time.monotonic() < self.deadline:
                    return
                if self.wait.required:
                    raise RuntimeError(f"waited {self.wait.timeout_s:g} s for {self.wait.what}")
            self.wait = next(self.script)
            self.deadline = time.monotonic() + self.wait.timeout_s
        except StopIteration:
            self._stop()
        except BaseException as error:  # re-raised once the loop has ended
            self.error = error
            self._stop()

    def _stop(self) -> None:
        self.timer.stop()
        self.app.quit()


class UiDriver:
    """Presses named items in the kiosk window, as a citizen's finger would."""

    def __init__(self, kiosk: KioskWindow) -> None:
        self.kiosk = kiosk
        self.frames = 0
        kiosk.window.frameSwapped.connect(self._count_frame)

    def _count_frame(self) -> None:
        self.frames += 1

    def screen(self) -> str:
        return str(self.kiosk.bridge.view_model().get("screen", ""))

    def on_screen(self, screen: str, timeout_s: float = 30.0) -> Iterator[Wait]:
        yield Wait(lambda: self.screen() == screen, f"screen {screen!r}", timeout_s)
        yield from self.frame()

    def frame(self) -> Iterator[Wait]:
        """One rendered frame: positioners lay items out only when the scene is polished,
        and a citizen cannot tap before that frame either."""
        seen = self.frames
        self.kiosk.window.update()
        yield Wait(lambda: self.frames > seen, "a frame", 2.0, required=False)

    def item(self, name: str) -> QQuickItem:
        for item in scene_items(self.kiosk):
            if item.objectName() == name and item.isVisible() and item.isEnabled():
                return item
        raise RuntimeError(f"no visible item {name!r} on screen {self.screen()!r}")

    def press(self, name: str) -> None:
        item = self.item(name)
        click(self.kiosk.window, item.mapToScene(QPointF(item.width() / 2, item.height() / 2)))

    def ready(self) -> Iterator[Wait]:
        bridge = self.kiosk.bridge
        yield Wait(lambda: bool(bridge.view_model().get("ready")), "the kiosk ready", 60)
        reader = self.kiosk.runtime.devices["card_reader"]
        yield Wait(lambda: reader.lifecycle.value == "enabled", "the card reader", 30)
        yield from self.frame()

    def session(self) -> Iterator[Wait]:
        """One citizen, from the attract screen back to it."""
        runtime = self.kiosk.runtime
        runtime.devices["card_reader"].simulator.tap(SITI_UID)
        yield from self.on_screen("services")
        self.press("service-SKD")
        yield from self.on_screen("form")
        self.press("field-keperluan")  # the on-screen keyboard opens
        yield from self.frame()
        self.item("field-keperluan").setProperty("text", PURPOSE)
        self.press("nextButton")
        yield from self.on_screen("confirm")
        self.press("confirmButton")
        yield from self.on_screen("done", timeout_s=60)  # signed, letter and receipt printed
        self.press("rate-4")
        yield from self.frame()
        self.press("finishButton")
        yield from self.on_screen("attract")
        for role in ("document_printer", "receipt_printer"):
            runtime.devices[role].simulator.forget_printed()


def scene_items(kiosk: KioskWindow) -> list[QQuickItem]:
    """Every item in the window's scene (Loader and Repeater content included)."""
    found, pending = [], [kiosk.window.contentItem()]
    while pending:
        item = pending.pop()
        found.append(item)
        pending.extend(item.childItems())
    return found


@dataclass
class Samples:
    sessions: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    true_refs: list[int] = field(default_factory=list)

    def take(self, kiosk: KioskWindow, after: int) -> None:
        gc.collect()
        self.sessions.append(float(after))
        self.rss.append(rss_mib())
        self.items.append(len(scene_items(kiosk)))
        self.times.append(time.perf_counter())
        self.true_refs.append(sys.getrefcount(True))


def benchmark(driver: UiDriver, args: argparse.Namespace, samples: Samples) -> Iterator[Wait]:
    yield from driver.ready()
    for _ in range(args.warmup):
        yield from driver.session()
    samples.take(driver.kiosk, 0)
    print(
        f"after {args.warmup} warm-up sessions: RSS {samples.rss[0]:.1f} MiB, "
        f"{samples.items[0]} items in the scene",
        flush=True,
    )
    for n in range(1, args.sessions + 1):
        yield from driver.session()
        if n % args.every == 0:
            samples.take(driver.kiosk, n)
            print(
                f"  after {n:5d} sessions: RSS {samples.rss[-1]:.1f} MiB, "
                f"{samples.items[-1]} items",
                flush=True,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--every", type=int, default=25, help="sample RSS every N sessions")
    parser.add_argument(
        "--server-process",
        action="store_true",
        help="the backend in its own process (the kiosk's memory alone)",
    )
    parser.add_argument(
        "--print-delay", type=float, default=0.0, help="seconds per A4 page (the demo: 0.5)"
    )
    args = parser.parse_args()
    if args.sessions < 2 * args.every or args.every < 1 or args.warmup < 0:
        parser.error("need --sessions >= 2 * --every, --every >= 1, --warmup >= 0")

    app, _problems = make_app()
    samples = Samples()
    with (
        tempfile.TemporaryDirectory(prefix="apm-bench-ui-") as state,
        contextlib.ExitStack() as stack,
    ):
        server = stack.enter_context(server_process(Path(state))) if args.server_process else None
        settings = bench_settings(Path(state) / "kiosk", args.print_delay, server)
        kiosk = KioskWindow.for_settings(settings)
        driver = UiDriver(kiosk)
        try:
            Runner(app, benchmark(driver, args, samples)).run()
        finally:
            kiosk.close()

    per_session_s = (samples.times[-1] - samples.times[0]) / samples.sessions[-1]
    rss = samples.rss
    per_100 = 100 * slope(samples.sessions, rss)
    print(f"{args.sessions} sessions through the QML after {args.warmup} warm-up sessions:")
    print(f"  RSS slope {per_100:+.2f} MiB per 100 sessions (least squares, {len(rss)} samples)")
    print(
        f"  RSS after warm-up {rss[0]:.1f} MiB, at end {rss[-1]:.1f} MiB "
        f"({rss[-1] - rss[0]:+.1f} MiB)"
    )
    print(f"  items in the scene: {samples.items[0]} -> {samples.items[-1]}")
    print(f"  {per_session_s:.2f} s per session (signing and PDF included)")
    lost = (samples.true_refs[0] - samples.true_refs[-1]) / samples.sessions[-1] + 0.0  # no -0.0
    print(
        f"  references to True lost per session: {lost:.1f} "
        f"({samples.true_refs[0]} -> {samples.true_refs[-1]}; more than a few: a binding's "
        "refcount bug, and the process aborts when they reach 0)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
