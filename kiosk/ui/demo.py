"""`apm-kiosk demo`: the kiosk on simulated hardware with the embedded reference backend.

Interactive: the kiosk window and a developer panel to tap cards and inject faults.
`--autoplay`: a scripted citizen session, offscreen; it clicks the real QML items, saves a
PNG of every screen it visits and what the simulated printers printed, and exits 0 on
success or non-zero naming the step that failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPointF, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickItem

from kiosk.demo.script import DEFAULT_SCRIPT, ScriptError, Step, load_script
from kiosk.runtime import demo_settings
from kiosk.ui.app import QML_DIR, KioskWindow, make_app

log = logging.getLogger(__name__)

DEMO_CARDS = [
    ("Siti Rahayu", "04A3B2C1D0E1F2"),
    ("Budi Santoso", "5A3C9E01"),
    ("Kartu tak terdaftar", "DEADBEEF"),
]


def run_demo(args: argparse.Namespace) -> int:
    autoplay = bool(getattr(args, "autoplay", False))
    steps: list[Step] = []
    if autoplay:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before the application exists
        script = Path(args.script) if getattr(args, "script", None) else DEFAULT_SCRIPT
        try:
            steps = load_script(script)
        except ScriptError as exc:
            print(f"apm-kiosk demo: {exc}", file=sys.stderr)
            return 2
    out = Path(args.out) if getattr(args, "out", None) else None
    with tempfile.TemporaryDirectory(prefix="apm-kiosk-demo-", ignore_cleanup_errors=True) as state:
        settings = demo_settings(Path(state), backend_url=getattr(args, "backend_url", None))
        app, problems = make_app()
        kiosk = KioskWindow(settings)
        recorder = ScreenRecorder(kiosk, out / "screens") if out else None
        keep_alive: list[object] = [recorder]
        if getattr(args, "exit_after_start", False):
            kiosk.window.frameSwapped.connect(lambda: QTimer.singleShot(0, app.quit))
        elif autoplay:
            runner = Autoplay(kiosk, steps, finished=app.exit)
            keep_alive.append(runner)
            QTimer.singleShot(0, runner.begin)
        else:
            keep_alive.append(DeveloperPanel(kiosk))
        code = app.exec()
        if autoplay and code == 0 and problems.messages:
            # A QML warning is a bug in a screen: the scripted session must not pass.
            print("autoplay: QML warnings: " + " | ".join(problems.messages[:5]), file=sys.stderr)
            code = 1
        if out is not None:
            written = write_printed(kiosk, out / "printed")
            # The embedded server's demo CA, so the letter can be validated afterwards.
            for ca in Path(state).rglob("ca.pem"):
                (out / "demo-ca.pem").write_bytes(ca.read_bytes())
            if autoplay and code == 0:
                shots = recorder.count if recorder else 0
                print(
                    f"apm-kiosk demo: session passed; {shots} screens and {written} printouts in {out}"
                )
        kiosk.close()
        del keep_alive
    return code


class ScreenRecorder:
    """Saves the window as NN-<screen>.png each time the screen changes."""

    def __init__(self, kiosk: KioskWindow, folder: Path) -> None:
        self.kiosk, self.folder = kiosk, folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self._last = ""
        self._first_frame = False
        kiosk.bridge.vmChanged.connect(self._maybe_record)
        kiosk.window.frameSwapped.connect(self._on_first_frame)

    def _on_first_frame(self) -> None:
        if not self._first_frame:
            self._first_frame = True
            self._maybe_record()

    def _maybe_record(self) -> None:
        screen = self.kiosk.bridge.view_model().get("screen", "")
        if screen == self._last or not self._first_frame:
            return
        self._last = screen
        self.count += 1
        image = self.kiosk.window.grabWindow()
        image.save(str(self.folder / f"{self.count:02d}-{screen}.png"))


def write_printed(kiosk: KioskWindow, folder: Path) -> int:
    """Everything the simulated printers printed, as files a person can open."""
    from printer.escpos_text import decode_escpos

    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    document_printer = kiosk.bridge.runtime.devices["document_printer"]
    for n, item in enumerate(_printed(document_printer), start=1):
        (folder / f"{n:02d}-letter.pdf").write_bytes(item.data)
        written += 1
    receipt_printer = kiosk.bridge.runtime.devices["receipt_printer"]
    for n, item in enumerate(_printed(receipt_printer), start=1):
        (folder / f"{n:02d}-receipt.escpos").write_bytes(item.data)
        (folder / f"{n:02d}-receipt.txt").write_text(decode_escpos(item.data), encoding="utf-8")
        written += 1
    return written


def _printed(device: Any) -> list[Any]:
    simulator = getattr(device, "simulator", None)
    return list(simulator.printed()) if simulator is not None else []


class Autoplay(QObject):
    """Runs the script step by step from the event loop (never blocking it)."""

    POLL_MS = 50

    def __init__(self, kiosk: KioskWindow, steps: list[Step], finished: Callable[[int], None]):
        super().__init__()
        self.kiosk, self.steps, self.finished = kiosk, steps, finished
        self._index = 0
        self._deadline = 0.0

    @property
    def vm(self) -> dict[str, Any]:
        return self.kiosk.bridge.view_model()

    READY_TIMEOUT_S = 60.0

    @Slot()
    def begin(self) -> None:
        """Start once the kiosk is ready for citizens, as a real one would be found."""
        self._deadline = time.monotonic() + self.READY_TIMEOUT_S
        self._await_ready()

    def _await_ready(self) -> None:
        reader = self.kiosk.bridge.runtime.devices["card_reader"]
        if self.vm.get("ready") and reader.lifecycle.value == "enabled":
            self._next()
        elif time.monotonic() > self._deadline:
            print(
                f"autoplay: the kiosk was not ready after {self.READY_TIMEOUT_S:g} s{self._where()}",
                file=sys.stderr,
            )
            self.finished(1)
        else:
            QTimer.singleShot(self.POLL_MS, self._await_ready)

    def _next(self) -> None:
        if self._index >= len(self.steps):
            self.finished(0)
            return
        step = self.steps[self._index]
        try:
            delay = self._perform(step)
        except StepFailed as exc:
            self._fail(step, str(exc))
            return
        if step.action == "expect":
            self._deadline = time.monotonic() + step.args["timeout_s"]
            self._await_screen(step)
        else:
            self._index += 1
            QTimer.singleShot(delay, self._next)

    def _await_screen(self, step: Step) -> None:
        if self.vm.get("screen") == step.args["screen"]:
            self._index += 1
            QTimer.singleShot(0, self._next)
        elif time.monotonic() > self._deadline:
            self._fail(step, f"timed out after {step.args['timeout_s']:g} s{self._where()}")
        else:
            QTimer.singleShot(self.POLL_MS, lambda: self._await_screen(step))

    def _perform(self, step: Step) -> int:
        """Do the step's action; returns milliseconds to wait before the next step."""
        devices = self.kiosk.bridge.runtime.devices
        if step.action == "tap_card":
            devices["card_reader"].simulator.tap(step.args["uid"])  # type: ignore[attr-defined]
        elif step.action == "remove_card":
            devices["card_reader"].simulator.remove()  # type: ignore[attr-defined]
        elif step.action == "fault":
            simulator = devices[step.args["device"]].simulator  # type: ignore[attr-defined]
            try:
                if step.args.get("active", True):
                    simulator.inject(step.args["fault"])
                else:
                    simulator.clear(step.args["fault"])
            except ValueError as exc:
                raise StepFailed(str(exc)) from None
        elif step.action == "press":
            self._press(step.args["target"])
        elif step.action == "type":
            self._item(step.args["target"]).setProperty("text", step.args["text"])
        elif step.action == "wait":
            return int(step.args["seconds"] * 1000)
        return 150 if step.action in ("press", "type") else 0

    def _item(self, name: str) -> QQuickItem:
        candidates = [
            i for i in _visual_items(self.kiosk.window.contentItem()) if i.objectName() == name
        ]
        visible = [c for c in candidates if c.isVisible() and c.isEnabled()]
        if not visible:
            found = "not visible or not enabled" if candidates else "not found"
            raise StepFailed(f'item "{name}" {found}{self._where()}')
        return visible[0]

    def _press(self, name: str) -> None:
        from PySide6.QtTest import QTest  # autoplay only: not on the kiosk's start-up path

        item = self._item(name)
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
        QTest.mouseClick(
            self.kiosk.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre
        )

    def _where(self) -> str:
        screen = self.vm.get("screen", "?")
        notice = self.vm.get("notice") or {}
        detail = f": {notice.get('title', '')}: {notice.get('message', '')}" if notice else ""
        return f' on screen "{screen}"{detail}'

    def _fail(self, step: Step, reason: str) -> None:
        print(f"autoplay step {step.number} ({step.describe()}): {reason}", file=sys.stderr)
        self.finished(1)


class StepFailed(Exception):
    pass


def _visual_items(item: QQuickItem) -> list[QQuickItem]:
    """Every item under `item` in the scene (Loader and Repeater content included)."""
    found, pending = [], [item]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(current.childItems())
    return found


class DeveloperPanel(QObject):
    """A second window for developers: tap demo cards, lift them, inject faults."""

    def __init__(self, kiosk: KioskWindow) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.engine = QQmlApplicationEngine()
        context = self.engine.rootContext()
        context.setContextProperty("devpanel", self)
        context.setContextProperty("demoCards", [{"name": n, "uid": u} for n, u in DEMO_CARDS])
        self.engine.load(QUrl.fromLocalFile(str(QML_DIR / "DevPanel.qml")))

    def _simulator(self, role: str) -> Any:
        return getattr(self.kiosk.bridge.runtime.devices[role], "simulator", None)

    @Slot(str)
    def tap(self, uid: str) -> None:
        self._simulator("card_reader").tap(uid)

    @Slot()
    def removeCard(self) -> None:
        self._simulator("card_reader").remove()

    @Slot(str, str, bool)
    def setFault(self, role: str, fault: str, active: bool) -> None:
        simulator = self._simulator(role)
        try:
            (simulator.inject if active else simulator.clear)(fault)
        except ValueError as exc:
            log.warning("fault %s on %s: %s", fault, role, exc)


__all__ = ["QGuiApplication", "run_demo"]
