"""The one object the QML talks to: a view model to render, slots for intents.

Events from worker and device threads arrive through a queued signal, so the flow is only
ever touched on the GUI thread; each dispatch is pure Python and returns at once.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Property, QObject, Qt, QTimer, Signal, Slot

from kiosk.flow import events as ev
from kiosk.runtime import KioskRuntime

log = logging.getLogger(__name__)


class KioskBridge(QObject):
    vmChanged = Signal()
    _posted = Signal(object)  # from any thread; delivered on the GUI thread

    def __init__(self, runtime_factory: Any, lang: str = "id", parent: QObject | None = None):
        super().__init__(parent)
        self._lang = lang
        self._posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.runtime: KioskRuntime = runtime_factory(self._posted.emit)
        self._vm: dict[str, Any] = self.runtime.view(lang)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(lambda: self.dispatch(ev.Tick()))

    def start(self) -> None:
        """Begin the background work (devices, catalogue): call after the first frame."""
        self.runtime.start()
        self._ticker.start()

    def shutdown(self) -> None:
        self._ticker.stop()
        self.runtime.shutdown()

    def dispatch(self, event: ev.Event) -> None:
        try:
            self.runtime.dispatch(event)
        except Exception:  # a bug must not freeze the screen: log it, keep rendering
            log.exception("handling %s failed", type(event).__name__)
        self._refresh()

    def _refresh(self) -> None:
        vm = self.runtime.view(self._lang)
        if vm != self._vm:
            self._vm = vm
            self.vmChanged.emit()

    @Slot(object)
    def _deliver(self, event: ev.Event) -> None:
        self.dispatch(event)

    def view_model(self) -> dict[str, Any]:
        """The view model as Python sees it (QML reads the `vm` property)."""
        return self._vm

    vm = Property("QVariantMap", view_model, notify=vmChanged)  # type: ignore[arg-type]

    # --- intents ------------------------------------------------------------------------

    @Slot()
    def start_session(self) -> None:
        self.dispatch(ev.Start())

    @Slot(str, str)
    def submitNikPin(self, nik: str, pin: str) -> None:
        self.dispatch(ev.SubmitNikPin(nik, pin))

    @Slot(str)
    def chooseService(self, code: str) -> None:
        self.dispatch(ev.ChooseService(code))

    @Slot(str)
    def printReady(self, request_id: str) -> None:
        self.dispatch(ev.PrintReady(request_id))

    @Slot(str, str)
    def setField(self, name: str, value: str) -> None:
        self.dispatch(ev.SetField(name, value))

    @Slot()
    def next(self) -> None:
        self.dispatch(ev.Next())

    @Slot()
    def back(self) -> None:
        self.dispatch(ev.Back())

    @Slot()
    def confirm(self) -> None:
        self.dispatch(ev.Confirm())

    @Slot()
    def finishLater(self) -> None:
        self.dispatch(ev.FinishLater())

    @Slot(int)
    def rate(self, score: int) -> None:
        self.dispatch(ev.Rate(score))

    @Slot()
    def finish(self) -> None:
        self.dispatch(ev.Finish())

    @Slot()
    def home(self) -> None:
        self.dispatch(ev.Home())

    @Slot(str)
    def answerNotice(self, choice: str) -> None:
        try:
            answer = ev.NoticeChoice(choice)
        except ValueError:
            log.warning("unknown notice choice %r from the UI", choice)
            return
        self.dispatch(ev.AnswerNotice(answer))

    @Slot()
    def stillHere(self) -> None:
        self.dispatch(ev.StillHere())

    @Slot(str)
    def setLanguage(self, lang: str) -> None:
        if lang in ("id", "en"):
            self._lang = lang
            self._refresh()
