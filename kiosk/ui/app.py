"""Start the kiosk's window: the attract screen first, everything heavy after it.

Nothing here imports the flow, the runtime or the device drivers at load time: the first
frame needs only Qt and the QML files. The runtime is built on a worker thread once that
frame is on screen (see KioskBridge.begin).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QTimer, QtMsgType, QUrl, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow

from kiosk.ui.bridge import KioskBridge, Post, Runtime, RuntimeLoader
from kiosk.ui.lockdown import STOPPING, Lockdown, pick_screen
from kiosk.ui.translations import LANGUAGE_NAMES, Translations, available_languages
from kiosk.watchdog import SystemdNotifier

if TYPE_CHECKING:
    from kiosk.config import KioskSettings
    from kiosk.ui.wedge_filter import WedgeFilter

log = logging.getLogger(__name__)

QML_DIR = Path(__file__).parent / "qml"
STARTUP_MARK = "apm-kiosk: attract screen shown"
READY_MARK = "apm-kiosk: ready for citizens"  # catalogue shown and the card reader enabled
READY_RECHECK_MS = 20  # the reader may still be opening when the catalogue arrives
EXIT_QML_FAILED = 3
EXIT_RUNTIME_FAILED = 4


class QmlLoadError(RuntimeError):
    pass


@dataclass(frozen=True)
class WindowSpec:
    """What the window needs to know before its first frame (no runtime needed)."""

    width: int = 1280
    height: int = 800
    fullscreen: bool = False
    language: str = "id"
    screen: str | None = None  # [kiosk] screen: index or name; None for the primary one
    hide_cursor: bool = False
    voice_guidance: bool = False  # on for a configured kiosk ([kiosk] voice_guidance)

    @classmethod
    def from_settings(cls, settings: KioskSettings) -> WindowSpec:
        k = settings.kiosk
        return cls(
            k.screen_width,
            k.screen_height,
            k.fullscreen,
            k.language,
            k.screen,
            k.hide_cursor,
            k.voice_guidance,
        )


def runtime_loader(settings: KioskSettings) -> RuntimeLoader:
    """Builds the real runtime; runs on the bridge's loader thread, not the GUI thread."""

    def load(post: Post) -> Runtime:
        from kiosk.runtime import KioskRuntime

        options = {}
        if settings.backend.embedded:  # the demo's reference server, in this process
            from kiosk.demo.embedded import runtime_options

            options = runtime_options(settings)
        return KioskRuntime(settings, post, **options)

    return load


class QmlProblems:
    """Collects Qt/QML warnings and errors so they are logged (and can fail a session)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, kind: QtMsgType, context: object, message: str) -> None:
        if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            self.messages.append(message)
            log.warning("Qt: %s", message)
        else:
            log.debug("Qt: %s", message)


class KioskWindow:
    """The bridge, the QML engine and the window, built the same way for kiosk and demo."""

    def __init__(self, spec: WindowSpec, load_runtime: RuntimeLoader) -> None:
        self.spec = spec
        self.bridge = KioskBridge(load_runtime, spec.language)
        if spec.voice_guidance:
            from kiosk.voice import Voice

            self.bridge.voice = Voice()
        self.engine = QQmlApplicationEngine()
        context = self.engine.rootContext()
        context.setContextProperty("kiosk", self.bridge)
        context.setContextProperty("kioskWidth", spec.width)
        context.setContextProperty("kioskHeight", spec.height)
        context.setContextProperty("languageNames", LANGUAGE_NAMES)
        self.translations = Translations(self.engine)
        self.bridge.set_languages(available_languages())
        self.bridge.languageChanged.connect(self.translations.use)
        self.translations.use(spec.language)
        self.engine.load(QUrl.fromLocalFile(str(QML_DIR / "Main.qml")))
        roots = self.engine.rootObjects()
        if not roots or not isinstance(roots[0], QQuickWindow):
            raise QmlLoadError(f"the kiosk screen could not be loaded from {QML_DIR / 'Main.qml'}")
        self.window: QQuickWindow = roots[0]
        self._first_frame_done = False
        self.window.frameSwapped.connect(self._on_first_frame)
        self.wedge: WedgeFilter | None = None
        self.lockdown: Lockdown | None = None
        self.bridge.runtimeReady.connect(self._catch_wedge_readers)
        self._ready_marked = False
        self._ready_recheck_pending = False
        if startup_marks_wanted():  # for bench/startup.py; costs nothing otherwise
            self.bridge.vmChanged.connect(self._mark_when_ready)
            self.bridge.runtimeReady.connect(self._mark_when_ready)
        self._show()

    def _catch_wedge_readers(self) -> None:
        """Keyboard-wedge readers and scanners not grabbed through evdev type into Qt:
        their bursts become taps and scans here, and never land in a form field.

        Installed once the runtime is up: the filter's module needs the card reader code,
        which the runtime loader has imported by then, off the GUI thread."""
        from kiosk.ui.wedge_filter import WedgeFilter

        wedge = WedgeFilter(parent=self.bridge)
        wedge.cardPresented.connect(self.bridge.cardTapped)
        wedge.codeScanned.connect(self.bridge.pickupCodeScanned)
        app = QGuiApplication.instance()
        if app is not None:
            app.installEventFilter(wedge)
        self.wedge = wedge

    def _show(self) -> None:
        """A window for developers, or the kiosk's screen locked down (full screen)."""
        if not self.spec.fullscreen:
            self.window.show()
            return
        self.lockdown = Lockdown(self.window, hide_cursor=self.spec.hide_cursor)
        chosen = pick_screen(self.spec.screen, QGuiApplication.screens())
        if chosen is not None:
            self.window.setScreen(chosen)
        # Without a window manager (a bare X server on a kiosk image) nobody resizes the
        # window for us: give it the whole screen first, then go full screen.
        self.window.setGeometry(self.window.screen().geometry())
        self.window.showFullScreen()

    @classmethod
    def for_settings(cls, settings: KioskSettings) -> KioskWindow:
        return cls(WindowSpec.from_settings(settings), runtime_loader(settings))

    @property
    def runtime(self) -> Any:
        """The runtime once loaded (None before): tests and the demo reach devices here."""
        return self.bridge.runtime

    def _on_first_frame(self) -> None:
        if self._first_frame_done:
            return
        self._first_frame_done = True
        if startup_marks_wanted():
            print(STARTUP_MARK, flush=True)
        # Only now: the flow, devices, the backend client (requests), the embedded server.
        self.bridge.begin()

    def _mark_when_ready(self) -> None:
        """Print READY_MARK once: the citizen can act (services shown, card reader on)."""
        self._ready_recheck_pending = False
        if self._ready_marked or not shiboken6.isValid(self.bridge):
            return
        runtime = self.bridge.runtime
        if runtime is None or not self.bridge.view_model().get("ready"):
            return  # the next vmChanged brings us back
        reader = runtime.devices.get("card_reader")
        if reader is None or reader.lifecycle.value != "enabled":
            # The reader opens on its own thread and may not change the view model when it
            # is done: look again shortly (only while the marks are wanted).
            if not self._ready_recheck_pending:
                self._ready_recheck_pending = True
                QTimer.singleShot(READY_RECHECK_MS, self._mark_when_ready)
            return
        self._ready_marked = True
        print(READY_MARK, flush=True)

    def close(self) -> None:
        if self.wedge is not None and shiboken6.isValid(self.wedge):
            self.wedge.flush()
            app = QGuiApplication.instance()
            if app is not None:
                app.removeEventFilter(self.wedge)
        self.bridge.shutdown()
        if self.bridge.voice is not None:
            self.bridge.voice.close()
        self.translations.close()
        if not shiboken6.isValid(self.window):
            return  # closed before
        if self.lockdown is not None:
            self.lockdown.release()
        self.window.close()
        # The QML goes before the bridge it binds to, or its bindings see a null `kiosk`.
        if shiboken6.isValid(self.engine):
            shiboken6.delete(self.engine)


def startup_marks_wanted() -> bool:
    """bench/startup.py asks for marker lines on stdout at the startup milestones."""
    return os.environ.get("APM_KIOSK_STARTUP_MARK") == "1"


def apply_ui_scale(scale: float | str, environ: MutableMapping[str, str] = os.environ) -> None:
    """[kiosk] ui_scale, for Qt to read when the application is made (so: before it).

    A number is Qt's own scale factor: the layout, made in logical pixels, reflows to the
    smaller logical screen. "auto" lets Qt take the factor from the screen's reported
    physical size instead of its nominal 96 dpi. 1.0 leaves the environment alone, so a
    QT_SCALE_FACTOR set for the service still counts."""
    if scale == "auto":
        environ["QT_USE_PHYSICAL_DPI"] = "1"
    elif scale != 1.0:
        environ["QT_SCALE_FACTOR"] = f"{float(scale):g}"


def make_app() -> tuple[QGuiApplication, QmlProblems]:
    existing = QGuiApplication.instance()
    app = existing if isinstance(existing, QGuiApplication) else QGuiApplication(sys.argv[:1])
    app.setApplicationName("apm-kiosk")
    problems = QmlProblems()
    qInstallMessageHandler(problems)
    return app, problems


def stop_application(app: QGuiApplication) -> None:
    """Quit in order: windows close first (their render threads stop) and then the loop
    ends. The lockdown refuses every other close; STOPPING tells it this one is ours.
    (Ending the loop with exit() instead left the windows open while the QML engine was
    deleted, which crashed the process now and then on SIGTERM.)"""
    app.setProperty(STOPPING, True)
    app.quit()


def quit_on_signals(app: QGuiApplication) -> QTimer:
    """SIGTERM (systemd) and Ctrl+C end the event loop, so devices are closed cleanly.

    Python runs signal handlers only between bytecodes, never inside Qt's C++ event loop;
    the idle timer gives it that chance twice a second. Keep the returned timer alive.

    The handler only schedules the stop. It runs inside whatever Python code the main
    thread was in, most often the keyboard-wedge filter, which Qt calls while it walks
    the application's event filters; quitting there closed the windows in the middle of
    that walk, and the process died with a segmentation fault now and then (1 stop in 4
    in the window 0.6 s after start under Xvfb). From a zero timer the stop runs from
    the event loop itself.
    """

    def schedule_stop(*_: object) -> None:
        QTimer.singleShot(0, lambda: stop_application(app))

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, schedule_stop)
    wake = QTimer()
    wake.setInterval(500)
    wake.timeout.connect(lambda: None)
    wake.start()
    return wake


def run_kiosk(settings: KioskSettings) -> int:
    apply_ui_scale(settings.kiosk.ui_scale)
    app, _problems = make_app()
    _wake = quit_on_signals(app)
    # systemd (apm-kiosk.service): no-ops outside it. The watchdog is fed from a timer on
    # this, the GUI thread: if the GUI thread hangs, the feeding stops and systemd restarts us.
    notifier = SystemdNotifier.from_environ()
    _feeder = QTimer()
    if notifier.feed_interval_s is not None:
        _feeder.timeout.connect(notifier.watchdog)
        _feeder.start(max(1, int(notifier.feed_interval_s * 1000)))
    try:
        kiosk = KioskWindow.for_settings(settings)
    except QmlLoadError as exc:
        print(f"apm-kiosk: {exc}", file=sys.stderr)
        notifier.status(f"the kiosk screen could not be loaded: {exc}")
        return EXIT_QML_FAILED
    # The first frame on screen is the attract screen (ready() sends only once).
    kiosk.window.frameSwapped.connect(lambda: notifier.ready("attract screen shown"))

    def runtime_failed(reason: str) -> None:
        print(f"apm-kiosk: the kiosk could not start: {reason}", file=sys.stderr)
        notifier.status(f"the kiosk could not start: {reason}")
        app.exit(EXIT_RUNTIME_FAILED)

    kiosk.bridge.runtimeFailed.connect(runtime_failed)
    app.aboutToQuit.connect(kiosk.close)
    app.aboutToQuit.connect(lambda: notifier.stopping("stopping"))
    return app.exec()
