"""The one object the QML talks to: a view model to render, slots for intents.

Start-up is split so the attract screen shows before anything heavy is imported: the
bridge starts with a placeholder view model (the attract screen, "not ready yet"), and
`begin()` builds the runtime on a worker thread (that is where the flow, pydantic, the
device drivers and `requests` get imported). The finished runtime is handed back to the
GUI thread through a queued signal, like every event from worker and device threads, so
the flow is only ever touched on the GUI thread and each dispatch returns at once.

This module deliberately imports nothing from kiosk.flow or kiosk.runtime at load time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

from PySide6.QtCore import Property, QCoreApplication, QObject, Qt, QTimer, Signal, Slot

log = logging.getLogger(__name__)

Post = Callable[[Any], None]
EventBuilder = Callable[[ModuleType], Any]  # kiosk.flow.events -> an event

TICK_MS = 1000
MAX_PENDING_INTENTS = 8  # taps made while the runtime is still loading (a few at most)
NOTICE_CHOICES = ("retry", "home", "continue")


class Runtime(Protocol):
    """What the bridge needs from kiosk.runtime.KioskRuntime (tests use stand-ins)."""

    devices: dict[str, Any]

    def start(self) -> None: ...
    def dispatch(self, event: Any) -> None: ...
    def view(
        self, lang: str = "id", translate: Callable[[str], str] | None = None
    ) -> dict[str, Any]: ...
    def shutdown(self) -> None: ...


RuntimeLoader = Callable[[Post], Runtime]
# Where the translation files keep the flow's messages (kiosk.flow.catalogue).
FLOW_CONTEXT = "flow"


def translate_flow(text: str) -> str:
    """A flow message in the installed translation's language (itself when absent)."""
    return QCoreApplication.translate(FLOW_CONTEXT, text)


def placeholder_view(lang: str) -> dict[str, Any]:
    """The attract screen while the runtime loads: the same keys as kiosk.flow.view."""
    return {
        "screen": "attract",
        "canGoHome": False,
        "lang": lang,
        "ready": False,
        "offline": False,
        "village": None,
        "logo": "",
        "outOfService": None,
        "banner": "",
        "idleLeft": -1,
        "resident": None,
        "identifyError": "",
        "services": [],
        "readyRequests": [],
        "myRequests": [],
        "identityNote": "",
        "pickupError": "",
        "queued": False,
        "queuedMessage": "",
        "reference": "",
        "service": None,
        "fields": [],
        "summary": [],
        "request": None,
        "printStep": "",
        "notice": None,
        "receiptProblem": "",
        "receiptNote": "",
        "instruction": "",
        "largeText": False,
        "announcements": [],
        "openingHours": [],
        "highContrast": False,
        "rating": 0,
    }


class KioskBridge(QObject):
    vmChanged = Signal()
    languageChanged = Signal(str)  # the screens' language (a code with a translation)
    runtimeReady = Signal()  # the runtime is attached and started (GUI thread)
    runtimeFailed = Signal(str)  # it could not be built: the kiosk cannot work
    technicianChanged = Signal()  # the technician mode's object was made (first gesture tap)
    _posted = Signal(object)  # events from any thread; delivered on the GUI thread
    _loaded = Signal(object)  # the runtime, or the exception that stopped it

    def __init__(
        self, load_runtime: RuntimeLoader, lang: str = "id", parent: QObject | None = None
    ):
        super().__init__(parent)
        self._lang = lang
        self._default_lang = lang  # the kiosk's; the next citizen starts in it again
        self.voice: Any = None  # kiosk.voice.Voice when voice guidance is on
        self._languages = [lang]  # those with a translation (set_languages)
        self._load_runtime = load_runtime
        self.runtime: Runtime | None = None
        self._events: ModuleType | None = None
        self._pending: list[EventBuilder] = []
        self._loader: threading.Thread | None = None
        self._closed = False
        self._built: Runtime | None = None  # built by the loader, not yet attached
        self._built_lock = threading.Lock()
        self._vm: dict[str, Any] = placeholder_view(lang)
        self._technician: Any = None  # kiosk.ui.technician, made on the gesture's first tap
        self._posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._loaded.connect(self._attach, Qt.ConnectionType.QueuedConnection)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)

    # --- life cycle -------------------------------------------------------------------

    def begin(self) -> None:
        """Build and start the runtime in the background: call after the first frame."""
        if self._loader is not None:
            return
        self._loader = threading.Thread(target=self._build, name="runtime-loader", daemon=True)
        self._loader.start()

    def _build(self) -> None:
        try:
            runtime = self._load_runtime(self._posted.emit)
            # Imported here, off the GUI thread; the GUI thread then finds them loaded.
            from kiosk.flow import events
            from kiosk.ui import wedge_filter  # noqa: F401  (installed once attached)

            self._events = events
            with self._built_lock:
                self._built = runtime  # for shutdown, should the window close first
            self._loaded.emit(runtime)
        except Exception as error:  # a broken configuration or driver: say so, do not hang
            log.exception("the kiosk runtime could not be started")
            self._loaded.emit(error)

    @Slot(object)
    def _attach(self, loaded: object) -> None:
        if isinstance(loaded, Exception):
            self.runtimeFailed.emit(f"{type(loaded).__name__}: {loaded}")
            return
        runtime = self._take_built()
        if runtime is None:  # closed meanwhile: shutdown() has stopped it
            return
        if self._closed:
            runtime.shutdown()
            return
        try:
            runtime.start()
        except Exception as error:  # start() only schedules work; a failure here is fatal
            log.exception("the kiosk runtime could not be started")
            runtime.shutdown()
            self.runtimeFailed.emit(f"{type(error).__name__}: {error}")
            return
        self.runtime = runtime
        self._ticker.start()
        pending, self._pending = self._pending, []
        for build in pending:
            self._send(build)
        self._refresh()
        self.runtimeReady.emit()

    def shutdown(self) -> None:
        self._closed = True
        self._ticker.stop()
        if self._technician is not None:
            self._technician.close()
        if self._loader is not None and self._loader.ident is not None:  # started
            self._loader.join(timeout=10)
        # A runtime built but not yet attached (its queued hand-over may never be
        # delivered once the window is gone) is stopped here too: its threads, timers
        # and embedded server would otherwise run on after the kiosk has closed.
        runtime = self.runtime or self._take_built()
        self.runtime = None
        if runtime is not None:
            runtime.shutdown()

    def _take_built(self) -> Runtime | None:
        """The runtime the loader built, to whoever comes first: attach or shutdown."""
        with self._built_lock:
            built, self._built = self._built, None
        return built

    # --- events -------------------------------------------------------------------------

    def dispatch(self, event: Any) -> None:
        """Hand one event to the runtime (GUI thread), then refresh the view model."""
        if self.runtime is None:
            return
        try:
            self.runtime.dispatch(event)
        except Exception:  # a bug must not freeze the screen: log it, keep rendering
            log.exception("handling %s failed", type(event).__name__)
        self._refresh()

    def _send(self, build: EventBuilder) -> None:
        """Send an intent now, or keep it until the runtime has loaded."""
        if self.runtime is None or self._events is None:
            if len(self._pending) < MAX_PENDING_INTENTS:
                self._pending.append(build)
            return
        self.dispatch(build(self._events))

    def _tick(self) -> None:
        if self._events is not None:
            self.dispatch(self._events.Tick())

    def _refresh(self) -> None:
        if self.runtime is None:
            return
        vm = self.runtime.view(self._lang, translate_flow)
        if self._session_ended(vm) and self._lang != self._default_lang:
            self._switch_language(self._default_lang)  # the next citizen starts afresh
            vm = self.runtime.view(self._lang, translate_flow)
        if vm != self._vm:
            self._speak(vm)
            self._vm = vm
            self.vmChanged.emit()

    def _speak(self, vm: dict[str, Any]) -> None:
        """Voice guidance: a new instruction (another screen, or another language) is read."""
        said = vm.get("instruction") or ""
        if self.voice is not None and said and said != self._vm.get("instruction"):
            self.voice.say(said, self._lang)

    def _session_ended(self, vm: dict[str, Any]) -> bool:
        was = self._vm.get("screen")
        return was is not None and was != "attract" and vm.get("screen") == "attract"

    @Slot(object)
    def _deliver(self, event: object) -> None:
        self.dispatch(event)

    def view_model(self) -> dict[str, Any]:
        """The view model as Python sees it (QML reads the `vm` property)."""
        return self._vm

    vm = Property("QVariantMap", view_model, notify=vmChanged)  # type: ignore[arg-type]

    # --- intents (called from QML) --------------------------------------------------------

    @Slot()
    def start(self) -> None:
        self._send(lambda ev: ev.Start())

    @Slot(str, str)
    def submitNikPin(self, nik: str, pin: str) -> None:
        self._send(lambda ev: ev.SubmitNikPin(nik, pin))

    @Slot(str)
    def chooseService(self, code: str) -> None:
        self._send(lambda ev: ev.ChooseService(code))

    @Slot(str)
    def printReady(self, request_id: str) -> None:
        self._send(lambda ev: ev.PrintReady(request_id))

    @Slot()
    def openPickup(self) -> None:
        self._send(lambda ev: ev.OpenPickup())

    @Slot(str)
    def submitPickupCode(self, text: str) -> None:
        # As typed or scanned (a QR payload): the flow parses it, the QML does not.
        self._send(lambda ev: ev.SubmitPickupCode(text))

    @Slot(str, bool)
    def cardTapped(self, uid: str, random_uid: bool) -> None:
        """A keyboard-wedge reader's burst, caught by the wedge filter (not from QML)."""
        if not self._citizen_input_held():
            self._send(lambda ev: ev.CardPresented(uid, random_uid))

    @Slot(str)
    def pickupCodeScanned(self, code: str) -> None:
        """A receipt's QR typed by a wedge scanner, caught by the wedge filter."""
        if not self._citizen_input_held():
            self._send(lambda ev: ev.PickupCodeScanned(code))

    def _citizen_input_held(self) -> bool:
        """Technician mode is on: taps and scans are not a citizen's (runtime.py drops
        those of the readers it owns; these come through Qt's key events)."""
        return bool(getattr(self.runtime, "citizen_input_held", False))

    @Slot(bool)
    def setLargeText(self, on: bool) -> None:
        self._send(lambda ev: ev.SetDisplay(large_text=on))

    @Slot(bool)
    def setHighContrast(self, on: bool) -> None:
        self._send(lambda ev: ev.SetDisplay(high_contrast=on))

    @Slot(str, str)
    def setField(self, name: str, value: str) -> None:
        self._send(lambda ev: ev.SetField(name, value))

    @Slot()
    def next(self) -> None:
        self._send(lambda ev: ev.Next())

    @Slot()
    def back(self) -> None:
        self._send(lambda ev: ev.Back())

    @Slot()
    def confirm(self) -> None:
        self._send(lambda ev: ev.Confirm())

    @Slot()
    def finishLater(self) -> None:
        self._send(lambda ev: ev.FinishLater())

    @Slot(int)
    def rate(self, score: int) -> None:
        self._send(lambda ev: ev.Rate(score))

    @Slot()
    def finish(self) -> None:
        self._send(lambda ev: ev.Finish())

    @Slot()
    def home(self) -> None:
        self._send(lambda ev: ev.Home())

    @Slot(str)
    def answerNotice(self, choice: str) -> None:
        if choice not in NOTICE_CHOICES:
            log.warning("unknown notice choice %r from the UI", choice)
            return
        self._send(lambda ev: ev.AnswerNotice(ev.NoticeChoice(choice)))

    @Slot()
    def stillHere(self) -> None:
        if self.runtime is not None:  # nothing to keep alive before the flow exists
            self._send(lambda ev: ev.StillHere())

    # --- technician mode -------------------------------------------------------------------

    def _get_technician(self) -> QObject | None:
        return self._technician

    technician = Property(QObject, _get_technician, notify=technicianChanged)

    @Slot()
    def technicianTap(self) -> None:
        """A tap on the attract screen's hidden spot (kiosk.technician.gesture).

        The technician code is imported on the first such tap, never at start-up."""
        if self.runtime is None or self._closed:
            return
        if self._technician is None:
            if not hasattr(self.runtime, "diagnostics"):
                return  # a stand-in runtime without diagnostics (tests)
            from kiosk.ui.technician import TechnicianController

            self._technician = TechnicianController(self.runtime, parent=self)
            self.technicianChanged.emit()
        self._technician.tap()

    # --- language --------------------------------------------------------------------------

    def set_languages(self, codes: list[str]) -> None:
        """The languages the screens can be shown in (those with a translation)."""
        self._languages = list(dict.fromkeys([self._default_lang, *codes]))

    def _get_language(self) -> str:
        return self._lang

    language = Property(str, _get_language, notify=languageChanged)

    def _get_next_language(self) -> str:
        index = self._languages.index(self._lang) if self._lang in self._languages else -1
        return self._languages[(index + 1) % len(self._languages)]

    nextLanguage = Property(str, _get_next_language, notify=languageChanged)

    @Slot(str)
    def setLanguage(self, lang: str) -> None:
        if lang in self._languages and lang != self._lang:
            self._switch_language(lang)
            self.stillHere()
            self._refresh()

    def _switch_language(self, lang: str) -> None:
        self._lang = lang
        self.languageChanged.emit(lang)
