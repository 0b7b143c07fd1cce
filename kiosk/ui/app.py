"""Start the kiosk's window: the attract screen first, everything heavy after it."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QtMsgType, QUrl, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow

from kiosk.runtime import KioskRuntime
from kiosk.ui.bridge import KioskBridge

if TYPE_CHECKING:
    from kiosk.config import KioskSettings

log = logging.getLogger(__name__)

QML_DIR = Path(__file__).parent / "qml"
STARTUP_MARK = "apm-kiosk: attract screen shown"


class QmlProblems:
    """Collects QML warnings and errors (logged; tests turn them into failures)."""

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

    def __init__(
        self, settings: KioskSettings, runtime_factory: Callable[..., KioskRuntime] | None = None
    ):
        self.settings = settings
        factory = runtime_factory or (lambda post: KioskRuntime(settings, post))
        self.bridge = KioskBridge(factory, settings.kiosk.language)
        self.engine = QQmlApplicationEngine()
        context = self.engine.rootContext()
        context.setContextProperty("kiosk", self.bridge)
        context.setContextProperty("kioskWidth", settings.kiosk.screen_width)
        context.setContextProperty("kioskHeight", settings.kiosk.screen_height)
        context.setContextProperty("kioskFullscreen", settings.kiosk.fullscreen)
        self.engine.load(QUrl.fromLocalFile(str(QML_DIR / "Main.qml")))
        roots = self.engine.rootObjects()
        if not roots or not isinstance(roots[0], QQuickWindow):
            raise RuntimeError("the kiosk screen (Main.qml) could not be loaded")
        self.window: QQuickWindow = roots[0]
        self._first_frame_done = False
        self.window.frameSwapped.connect(self._on_frame)

    def root(self) -> QObject:
        return self.window

    def _on_frame(self) -> None:
        if self._first_frame_done:
            return
        self._first_frame_done = True
        if os.environ.get("APM_KIOSK_STARTUP_MARK") == "1":
            print(STARTUP_MARK, flush=True)
        # Only now: devices, the backend client (requests), the embedded server.
        self.bridge.start()

    def close(self) -> None:
        self.bridge.shutdown()
        self.window.close()


def make_app() -> tuple[QGuiApplication, QmlProblems]:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    app.setApplicationName("apm-kiosk")
    problems = QmlProblems()
    qInstallMessageHandler(problems)
    return app, problems  # type: ignore[return-value]


def run_kiosk(settings: KioskSettings) -> int:
    app, _problems = make_app()
    try:
        kiosk = KioskWindow(settings)
    except RuntimeError as exc:
        print(f"apm-kiosk: {exc}", file=sys.stderr)
        return 1
    app.aboutToQuit.connect(kiosk.close)
    return app.exec()
