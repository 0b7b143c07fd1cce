"""`apm-kiosk demo`: the kiosk on simulated hardware with the embedded reference backend.

Interactive: the kiosk window and a developer panel to tap cards and inject faults.
`--autoplay`: a scripted citizen session, offscreen; it clicks the real QML items, saves a
PNG of every screen it visits and what the simulated printers printed, and exits 0 on
success or non-zero naming the step that failed. A script may also switch faults on the
link to the backend (through kiosk.demo.faulty_backend), sign as the village head, and
kill the kiosk at a crashpoint; `--state-dir` keeps the kiosk's state for a restart.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickItem, QQuickWindow

from kiosk.demo.card_reader import VirtualCardControls, card_reader_table, parse_card_reader
from kiosk.demo.printer import parse_receipt_printer, start_receipt_printer
from kiosk.ui.app import (
    EXIT_RUNTIME_FAILED,
    QML_DIR,
    KioskWindow,
    WindowSpec,
    make_app,
    quit_on_signals,
)
from kiosk.ui.bridge import Post, Runtime

if TYPE_CHECKING:
    from kiosk.demo.faulty_backend import FaultyBackend
    from kiosk.demo.script import Step

log = logging.getLogger(__name__)

DEMO_WIDTH, DEMO_HEIGHT = 1280, 800
ORIENTATIONS = {"landscape": (DEMO_WIDTH, DEMO_HEIGHT), "portrait": (DEMO_HEIGHT, DEMO_WIDTH)}
EXIT_BAD_SCRIPT = 2  # also for other wrong arguments: nothing has run
TRACKING_CODE = re.compile(r"[0-9]{6}-[0-9]{3,6}")  # ddmmyy-NNN, as on the receipt
DEMO_CARDS = [
    ("Siti Rahayu", "04A3B2C1D0E1F2"),
    ("Budi Santoso", "5A3C9E01"),
    ("Kartu tak terdaftar", "DEADBEEF"),
]


@dataclass
class DemoLaunch:
    """What the demo runs against; the fault proxy is made later, on the loader thread."""

    state_dir: Path
    backend_url: str | None = None
    trust_anchors: tuple[Path, ...] = ()
    fault_proxy: bool = False  # put kiosk.demo.faulty_backend in front of the backend
    receipt_printer: str = "simulated"  # see kiosk.demo.printer
    printer_peer: Any = None  # the receipt printer emulator, once started
    card_reader: str = "simulated"  # see kiosk.demo.card_reader
    virtual_card: VirtualCardControls | None = None  # with --card-reader virtual-card
    auto_sign: bool = True  # the embedded server signs by itself (a script may play the head)
    proxy: FaultyBackend | None = None
    # How the screens look: the window's shape, the language, the citizen's display choices.
    orientation: str = "landscape"
    language: str = "id"
    large_text: bool = False
    high_contrast: bool = False

    @property
    def size(self) -> tuple[int, int]:
        return ORIENTATIONS[self.orientation]

    def demo_ca(self) -> Path:
        """The CA the kiosk checks letters against (the embedded server's demo CA by default)."""
        if self.trust_anchors:
            return self.trust_anchors[0]
        return self.state_dir / "embedded-server" / "demo-ca" / "ca.pem"


def demo_runtime_loader(launch: DemoLaunch) -> Callable[[Post], Runtime]:
    """Builds the demo's runtime on the bridge's loader thread (heavy imports happen there)."""

    def load(post: Post) -> Runtime:
        from kiosk.demo.embedded import runtime_options
        from kiosk.demo.settings import demo_settings
        from kiosk.runtime import KioskRuntime

        backend_url = launch.backend_url
        if launch.fault_proxy:
            from kiosk.demo.faulty_backend import FaultyBackend

            # An embedded server becomes the proxy's upstream when it starts.
            launch.proxy = FaultyBackend(backend_url)
            backend_url = launch.proxy.url if backend_url else None
        try:
            choice = parse_receipt_printer(launch.receipt_printer)
            transport, launch.printer_peer = start_receipt_printer(choice, launch.state_dir)
            reader = parse_card_reader(launch.card_reader)
            if reader.kind == "virtual-card":
                launch.virtual_card = VirtualCardControls(reader.port)
            settings = demo_settings(
                launch.state_dir,
                width=launch.size[0],
                height=launch.size[1],
                backend_url=backend_url,
                trust_anchors=launch.trust_anchors,
                receipt_transport=transport,
                card_reader=card_reader_table(reader),
            )
            options = runtime_options(settings, proxy=launch.proxy, auto_sign=launch.auto_sign)
            for helper in (launch.printer_peer, launch.virtual_card):
                if helper is not None:
                    options.setdefault("on_shutdown", []).append(helper.stop)
            return KioskRuntime(settings, post, **options)
        except BaseException:
            if launch.proxy is not None:
                launch.proxy.stop()
            if launch.printer_peer is not None:
                launch.printer_peer.stop()
            if launch.virtual_card is not None:
                launch.virtual_card.stop()
            raise

    return load


def launch_from(args: argparse.Namespace, steps: list[Step], state_dir: Path) -> DemoLaunch:
    anchors = tuple(Path(a).absolute() for a in getattr(args, "trust_anchor", None) or ())
    launch = DemoLaunch(
        state_dir=state_dir,
        backend_url=getattr(args, "backend_url", None),
        trust_anchors=anchors,
        receipt_printer=getattr(args, "receipt_printer", None) or "simulated",
        card_reader=getattr(args, "card_reader", None) or "simulated",
        orientation=getattr(args, "orientation", None) or "landscape",
        language=getattr(args, "language", None) or "id",
        large_text=bool(getattr(args, "large_text", False)),
        high_contrast=bool(getattr(args, "high_contrast", False)),
    )
    if not steps:  # the interactive demo: nothing more to load before the attract screen
        return launch
    from kiosk.demo.script import needs_fault_proxy, plays_the_village_head

    launch.fault_proxy = needs_fault_proxy(steps)
    launch.auto_sign = not plays_the_village_head(steps)
    return launch


def argument_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the demo's arguments, before anything starts (None: nothing)."""
    anchors = getattr(args, "trust_anchor", None) or []
    try:
        parse_receipt_printer(getattr(args, "receipt_printer", None) or "simulated")
        parse_card_reader(getattr(args, "card_reader", None) or "simulated")
    except ValueError as exc:
        return str(exc)
    orientation = getattr(args, "orientation", None) or "landscape"
    if orientation not in ORIENTATIONS:
        return f"--orientation {orientation!r}: expected one of {', '.join(ORIENTATIONS)}"
    if (getattr(args, "language", None) or "id") not in ("id", "en"):
        return f"--language {args.language!r}: expected id or en"
    if getattr(args, "backend_url", None) and not anchors:
        return (
            "--backend-url needs --trust-anchor PEM: the CA certificate the server signs "
            "letters under (apm-server's STATE/demo-ca/ca.pem)"
        )
    for anchor in anchors:
        if not Path(anchor).is_file():
            return f"--trust-anchor {anchor}: file not found"
    state_dir = getattr(args, "state_dir", None)
    if state_dir and Path(state_dir).exists() and not Path(state_dir).is_dir():
        return f"--state-dir {state_dir}: not a folder"
    return None


def run_demo(args: argparse.Namespace) -> int:
    autoplay = bool(getattr(args, "autoplay", False))
    steps: list[Step] = []
    problem = argument_problem(args)
    if problem:
        print(f"apm-kiosk demo: {problem}", file=sys.stderr)
        return EXIT_BAD_SCRIPT
    if autoplay:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before the application exists
        try:
            steps = read_script(getattr(args, "script", None))
        except ValueError as exc:
            print(f"apm-kiosk demo: {exc}", file=sys.stderr)
            return EXIT_BAD_SCRIPT
    out = Path(args.out) if getattr(args, "out", None) else None
    with contextlib.ExitStack() as cleanup:
        state_dir = kept_state_dir(getattr(args, "state_dir", None), cleanup)
        launch = launch_from(args, steps, state_dir)
        app, problems = make_app()
        _wake = quit_on_signals(app)
        spec = WindowSpec(*launch.size, language=launch.language)
        kiosk = KioskWindow(spec, demo_runtime_loader(launch))
        kiosk.bridge.runtimeReady.connect(lambda: apply_display_choices(kiosk, launch))
        keep_alive: list[object] = []

        def runtime_failed(reason: str) -> None:
            print(f"apm-kiosk demo: the kiosk could not start: {reason}", file=sys.stderr)
            app.exit(EXIT_RUNTIME_FAILED)

        kiosk.bridge.runtimeFailed.connect(runtime_failed)
        recorder = ScreenRecorder(kiosk, out / "screens") if out and autoplay else None
        if getattr(args, "exit_after_start", False):
            kiosk.window.frameSwapped.connect(lambda: QTimer.singleShot(0, app.quit))
        elif autoplay:
            runner = Autoplay(kiosk, steps, recorder, finished=app.exit, launch=launch)
            keep_alive.append(runner)
            kiosk.bridge.runtimeReady.connect(runner.begin)
        else:
            panel = DeveloperPanel(kiosk, launch)
            keep_alive.append(panel)
            app.aboutToQuit.connect(panel.close)
        code = app.exec()
        if autoplay and not ran_to_the_end(keep_alive):
            code = code or 1
        if autoplay and code == 0 and problems.messages:
            # A QML warning is a bug in a screen: the scripted session must not pass.
            print("autoplay: QML warnings: " + " | ".join(problems.messages[:5]), file=sys.stderr)
            code = 1
        if out is not None and kiosk.runtime is not None:
            written = write_printed(kiosk, out / "printed", launch.printer_peer)
            # The CA the letters were checked against, so they can be validated afterwards.
            if launch.demo_ca().is_file():
                (out / "demo-ca.pem").write_bytes(launch.demo_ca().read_bytes())
            if autoplay and code == 0:
                shots = recorder.count if recorder else 0
                print(
                    f"apm-kiosk demo: session passed; {shots} screens and {written} printouts in {out}"
                )
        kiosk.close()
        del keep_alive
    return code


def kept_state_dir(path: str | None, cleanup: contextlib.ExitStack) -> Path:
    """--state-dir (kept, so a killed demo can start again from it), else a temporary one."""
    if path:
        folder = Path(path).absolute()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    temporary = tempfile.TemporaryDirectory(prefix="apm-kiosk-demo-", ignore_cleanup_errors=True)
    return Path(cleanup.enter_context(temporary))


def ran_to_the_end(keep_alive: list[object]) -> bool:
    """True when the autoplay ran to its end (pass or fail), not stopped from outside."""
    runner = next((o for o in keep_alive if isinstance(o, Autoplay)), None)
    if runner is None or runner.result is not None:
        return True
    print("autoplay: stopped before the script finished", file=sys.stderr)
    return False


def read_script(path: str | None) -> list[Step]:
    """The autoplay steps, checked before anything runs (ValueError says what is wrong)."""
    from kiosk.demo.script import DEFAULT_SCRIPT, ScriptError, load_script

    try:
        return load_script(Path(path) if path else DEFAULT_SCRIPT)
    except ScriptError as exc:
        raise ValueError(str(exc)) from None


class ScreenRecorder:
    """Saves the window as NN-<screen>.png each time the screen changes, once started.

    The grab happens in the vmChanged handler, after the QML bindings (connected first)
    have already swapped the screen; grabWindow renders that new scene synchronously.
    """

    def __init__(self, kiosk: KioskWindow, folder: Path) -> None:
        self.kiosk, self.folder = kiosk, folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self._last = ""
        self._recording = False
        kiosk.bridge.vmChanged.connect(self._maybe_record)

    def start(self) -> None:
        """Record from now on, starting with the screen shown right now."""
        self._recording = True
        self._maybe_record()

    def _maybe_record(self) -> None:
        screen = self.kiosk.bridge.view_model().get("screen", "")
        if not self._recording or screen == self._last:
            return
        self._last = screen
        self.count += 1
        image = self.kiosk.window.grabWindow()
        image.save(str(self.folder / f"{self.count:02d}-{screen}.png"))


def write_printed(kiosk: KioskWindow, folder: Path, printer_peer: Any = None) -> int:
    """Everything the simulated printers (or the receipt printer emulator) printed, as
    files a person can open."""
    from printer.escpos_text import decode_escpos

    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    document_printer = kiosk.runtime.devices["document_printer"]
    for n, item in enumerate(_printed(document_printer), start=1):
        (folder / f"{n:02d}-{letter_name(item)}.pdf").write_bytes(item.data)
        written += 1
    receipt_printer = kiosk.runtime.devices["receipt_printer"]
    receipts = printer_peer.receipts() if printer_peer is not None else _printed(receipt_printer)
    for n, item in enumerate(receipts, start=1):
        (folder / f"{n:02d}-receipt.escpos").write_bytes(item.data)
        (folder / f"{n:02d}-receipt.txt").write_text(decode_escpos(item.data), encoding="utf-8")
        written += 1
    return written


def apply_display_choices(kiosk: KioskWindow, launch: DemoLaunch) -> None:
    """--large-text and --high-contrast: chosen as a citizen would, on the attract screen
    (the flow forgets them when a session ends, so autoplay chooses again each time)."""
    vm = kiosk.bridge.view_model()
    if vm.get("screen") != "attract":
        return
    if launch.large_text and not vm.get("largeText"):
        kiosk.bridge.setLargeText(True)
    if launch.high_contrast and not vm.get("highContrast"):
        kiosk.bridge.setHighContrast(True)


def fault_controls(kiosk: KioskWindow, role: str, launch: DemoLaunch | None) -> Any:
    """What takes a device's faults: its simulator, or the receipt printer emulator or
    the virtual e-KTP at the far end of a real link (None while the kiosk is loading)."""
    runtime = kiosk.runtime
    if runtime is None:
        return None
    peer = launch.printer_peer if launch is not None else None
    if role == "receipt_printer" and peer is not None:
        return peer
    card = launch.virtual_card if launch is not None else None
    if role == "card_reader" and card is not None:
        return card
    return getattr(runtime.devices[role], "simulator", None)


def letter_name(printout: Any) -> str:
    """The letter's tracking code, which the runtime puts in the print job's title."""
    found = TRACKING_CODE.search(getattr(printout, "title", ""))
    return found.group(0) if found else "letter"


def _printed(device: Any) -> list[Any]:
    simulator = getattr(device, "simulator", None)
    return list(simulator.printed()) if simulator is not None else []


class Autoplay(QObject):
    """Runs the script step by step from the event loop (never blocking it)."""

    POLL_MS = 50

    READY_TIMEOUT_S = 60.0
    SIGN_TIMEOUT_S = 60.0  # the first signature also imports pyHanko
    SETTLE_MS = 150  # after a press or typing, let the flow answer before the next step

    def __init__(
        self,
        kiosk: KioskWindow,
        steps: list[Step],
        recorder: ScreenRecorder | None,
        finished: Callable[[int], None],
        launch: DemoLaunch | None = None,
    ):
        super().__init__()
        self.kiosk, self.steps, self.recorder = kiosk, steps, recorder
        self.launch = launch
        self._finished = finished
        self.result: int | None = None  # the exit code, once the script has ended
        self._index = 0
        self._deadline = 0.0

    def finished(self, code: int) -> None:
        self.result = code
        self._finished(code)

    @property
    def vm(self) -> dict[str, Any]:
        return self.kiosk.bridge.view_model()

    @Slot()
    def begin(self) -> None:
        """Start once the kiosk is ready for citizens, as a real one would be found."""
        self._deadline = time.monotonic() + self.READY_TIMEOUT_S
        self._await_ready()

    def _await_ready(self) -> None:
        reader = self.kiosk.runtime.devices["card_reader"]
        if self.vm.get("ready") and reader.lifecycle.value == "enabled":
            if self.recorder is not None:
                self.recorder.start()  # the attract screen as a citizen finds it
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
        if self.launch is not None:
            apply_display_choices(self.kiosk, self.launch)
        step = self.steps[self._index]
        try:
            delay = self._perform(step)
            signing = self._sign_in_background() if step.action == "sign" else None
        except StepFailed as exc:
            self._fail(step, str(exc))
            return
        if step.action == "expect":
            self._deadline = time.monotonic() + step.args["timeout_s"]
            self._await_screen(step)
        elif signing is not None:
            self._deadline = time.monotonic() + self.SIGN_TIMEOUT_S
            self._await_signature(step, signing)
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

    def _sign_in_background(self) -> list[BaseException | str]:
        """The back office signs the last submitted request, off the GUI thread."""
        proxy = self._proxy()
        outcome: list[BaseException | str] = []

        def sign() -> None:
            try:
                outcome.append(proxy.sign_latest())
            except Exception as exc:
                outcome.append(exc)

        threading.Thread(target=sign, name="autoplay-sign", daemon=True).start()
        return outcome

    def _await_signature(self, step: Step, outcome: list[BaseException | str]) -> None:
        if outcome and isinstance(outcome[0], BaseException):
            self._fail(step, f"{outcome[0]}{self._where()}")
        elif outcome:
            self._index += 1
            QTimer.singleShot(0, self._next)
        elif time.monotonic() > self._deadline:
            self._fail(step, f"not signed after {self.SIGN_TIMEOUT_S:g} s{self._where()}")
        else:
            QTimer.singleShot(self.POLL_MS, lambda: self._await_signature(step, outcome))

    def _proxy(self) -> FaultyBackend:
        proxy = self.launch.proxy if self.launch is not None else None
        if proxy is None:
            raise StepFailed("no fault proxy in front of the backend")
        return proxy

    def _perform(self, step: Step) -> int:
        """Do the step's action; returns milliseconds to wait before the next step."""
        if step.action in ("tap_card", "remove_card"):
            card = fault_controls(self.kiosk, "card_reader", self.launch)
            if card is None:
                raise StepFailed("the card reader is a real one: the script cannot tap it")
            card.tap(step.args["uid"]) if step.action == "tap_card" else card.remove()
        elif step.action == "fault":
            simulator = fault_controls(self.kiosk, step.args["device"], self.launch)
            if simulator is None:
                raise StepFailed(f"{step.args['device']} is not simulated: no faults to inject")
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
            self._type(step.args["target"], step.args["text"])
        elif step.action == "wait":
            return int(step.args["seconds"] * 1000)
        elif step.action == "backend":
            self._switch_backend(step.args["fault"], step.args.get("delay_s"))
        elif step.action == "kill_at":
            self._arm(step.args["at"])
        return self.SETTLE_MS if step.action in ("press", "type") else 0

    def _switch_backend(self, fault: str, delay_s: float | None) -> None:
        try:
            self._proxy().set_mode(fault, delay_s=delay_s)
        except (ValueError, OSError, RuntimeError) as exc:
            raise StepFailed(f"backend fault {fault}: {exc}") from None

    def _arm(self, crashpoint: str) -> None:
        from kiosk import crashpoints

        try:
            crashpoints.arm(crashpoint)
        except ValueError as exc:
            raise StepFailed(str(exc)) from None
        # Said before it happens: a SIGKILL leaves no chance to say anything after.
        print(
            f"autoplay: crashpoint {crashpoint} armed: the kiosk kills itself there",
            file=sys.stderr,
            flush=True,
        )

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
        item = self._item(name)
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
        if not self.kiosk.window.contentItem().contains(centre):
            raise StepFailed(f'item "{name}" is outside the window{self._where()}')
        click(self.kiosk.window, centre)

    def _type(self, name: str, text: str) -> None:
        """Focus the field as a tap would (the on-screen keyboard opens), then fill it."""
        item = self._item(name)
        if item.metaObject().indexOfProperty("text") < 0:
            raise StepFailed(f'item "{name}" is not a text field{self._where()}')
        item.forceActiveFocus()
        item.setProperty("text", text)

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


def click(window: QQuickWindow, at: QPointF) -> None:
    """A press and a release at `at`, delivered to the window as a finger's tap would be.

    Plain events rather than QtTest: QtTest brings QtWidgets along, megabytes the kiosk's
    memory budget has no room for.
    """
    where = window.mapToGlobal(at)
    for kind, held in (
        (QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
        (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
    ):
        event = QMouseEvent(
            kind, at, where, Qt.MouseButton.LeftButton, held, Qt.KeyboardModifier.NoModifier
        )
        QGuiApplication.sendEvent(window, event)


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

    def __init__(self, kiosk: KioskWindow, launch: DemoLaunch | None = None) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.launch = launch
        self.engine = QQmlApplicationEngine()
        context = self.engine.rootContext()
        context.setContextProperty("devpanel", self)
        context.setContextProperty("kiosk", kiosk.bridge)  # to show the current screen
        context.setContextProperty("demoCards", [{"name": n, "uid": u} for n, u in DEMO_CARDS])
        self.engine.load(QUrl.fromLocalFile(str(QML_DIR / "DevPanel.qml")))

    def close(self) -> None:
        """Before the kiosk closes: the panel's QML binds to the kiosk's bridge."""
        if shiboken6.isValid(self.engine):
            shiboken6.delete(self.engine)

    def _simulator(self, role: str) -> Any:
        return fault_controls(self.kiosk, role, self.launch)

    @Slot(str)
    def tap(self, uid: str) -> None:
        if simulator := self._simulator("card_reader"):
            simulator.tap(uid)

    @Slot()
    def removeCard(self) -> None:
        if simulator := self._simulator("card_reader"):
            simulator.remove()

    @Slot(str, str, bool)
    def setFault(self, role: str, fault: str, active: bool) -> None:
        simulator = self._simulator(role)
        if simulator is None:
            return
        try:
            (simulator.inject if active else simulator.clear)(fault)
        except ValueError as exc:
            log.warning("fault %s on %s: %s", fault, role, exc)
