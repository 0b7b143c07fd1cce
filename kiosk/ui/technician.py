"""The technician mode's face: the object the technician screens (qml/technician) talk to.

Built by the bridge on the first tap of the hidden gesture, never at start-up. It holds a
view model (`view`, a plain map the QML renders) and slots for the technician's intents.
Everything that blocks (the PIN check, devices, the backend, the disk, the audit log) runs
on one of two worker threads; results come back to the GUI thread through a queued
signal, and only there is the view changed. A card read test waits on a thread of its
own, so the other screens stay usable while it waits for a tap.

The rules (who gets in, lockout, idleness, audit) live in kiosk.technician, without Qt.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import Property, QCoreApplication, QObject, Qt, QTimer, Signal, Slot

from kiosk.technician.actions import CARD_READ_TIMEOUT_S, TechnicianActions
from kiosk.technician.gesture import TapGesture
from kiosk.technician.session import Answer, Mode, TechnicianSession
from kiosk.ui.lockdown import STOPPING

log = logging.getLogger(__name__)

TICK_MS = 500
EXIT_RESTART = 0  # under systemd, Restart=always brings the kiosk back
SECTIONS = (
    ("devices", "Devices"),
    ("prints", "Test prints"),
    ("card", "Card reader"),
    ("backend", "Backend"),
    ("outbox", "Outbox"),
    ("logs", "Recent logs"),
    ("config", "Configuration"),
    ("system", "Version & restart"),
)
PRINTER_ROLES = ("receipt_printer", "document_printer")


def exit_application(code: int) -> None:
    """End the event loop with `code`; the kiosk closes its window and devices on the way
    out (app.aboutToQuit), and the lockdown lets this close through."""
    app = QCoreApplication.instance()
    if app is not None:
        app.setProperty(STOPPING, True)
        app.exit(code)


class _LazyDiagnostics:
    """runtime.diagnostics, looked up when an action runs (on a worker thread)."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runtime.diagnostics, name)


def empty_view() -> dict[str, Any]:
    return {
        "mode": Mode.OFF.value,
        "message": "",
        "triesLeft": 0,
        "lockedLeft": 0,
        "checking": False,
        "idleLeft": -1,
        "section": "devices",
        "sections": [{"key": k, "title": t} for k, t in SECTIONS],
        "running": [],
        "devices": [],
        "prints": {role: None for role in PRINTER_ROLES},
        "printers": [],
        "card": None,
        "cardTimeout": int(CARD_READ_TIMEOUT_S),
        "backend": [],
        "outbox": None,
        "logs": [],
        "config": "",
        "about": None,
        "notice": "",
        "confirm": None,
    }


class TechnicianController(QObject):
    viewChanged = Signal()
    _finished = Signal(object)  # a callable to run on the GUI thread

    def __init__(
        self,
        runtime: Any,
        *,
        exit_app: Callable[[int], None] = exit_application,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runtime = runtime
        self._exit_app = exit_app
        settings = runtime.settings
        # runtime.diagnostics imports kiosk.diagnostics on first use: only ever reached on
        # the worker threads, never on the GUI thread.
        self._session = TechnicianSession(
            settings.technician, settings.state_dir, lambda: runtime.diagnostics.citizen_busy()
        )
        self._actions = TechnicianActions(_LazyDiagnostics(runtime), self._session.audit)
        self._printers = [role for role in PRINTER_ROLES if role in runtime.devices]
        self._gesture = TapGesture()
        self._work = ThreadPoolExecutor(max_workers=1, thread_name_prefix="technician")
        self._card = ThreadPoolExecutor(max_workers=1, thread_name_prefix="technician-card")
        self._closed = False
        self._visit = 0  # one per PIN pad opened: late results of an earlier one are dropped
        self._leaving = False
        self._view = empty_view()
        self._finished.connect(self._run_on_gui, Qt.ConnectionType.QueuedConnection)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)

    # --- the view model ------------------------------------------------------------------

    def _get_view(self) -> dict[str, Any]:
        return self._view

    view = Property("QVariantMap", _get_view, notify=viewChanged)  # type: ignore[arg-type]

    def view_model(self) -> dict[str, Any]:
        return self._view

    @property
    def session(self) -> TechnicianSession:
        return self._session

    def _update(self, **changes: Any) -> None:
        view = {**self._view, **changes}
        if view != self._view:
            self._view = view
            self.viewChanged.emit()

    # --- threads -------------------------------------------------------------------------

    def _submit(
        self,
        work: Callable[[], Any],
        then: Callable[[Any], None],
        *,
        running: str | None = None,
        pool: ThreadPoolExecutor | None = None,
        any_visit: bool = False,
    ) -> None:
        """Run `work` off the GUI thread, then `then(result)` on it (if still wanted)."""
        if self._closed:
            return
        visit = self._visit
        if running:
            self._update(running=[*self._view["running"], running])

        def job() -> None:
            try:
                result = work()
            except Exception as error:  # our bug: log it, keep the screens alive
                log.exception("technician action failed")
                result = error
            self._finished.emit(lambda: self._deliver(visit, running, then, result, any_visit))

        (pool or self._work).submit(job)

    def _deliver(
        self,
        visit: int,
        running: str | None,
        then: Callable[[Any], None],
        result: Any,
        any_visit: bool,
    ) -> None:
        if running and running in self._view["running"]:
            left = list(self._view["running"])
            left.remove(running)
            self._update(running=left)
        if self._closed or (visit != self._visit and not any_visit):
            return
        if isinstance(result, Exception):
            self._update(notice=f"That did not work: {result}")
            return
        then(result)

    @Slot(object)
    def _run_on_gui(self, call: object) -> None:
        if callable(call):
            call()

    # --- entering ----------------------------------------------------------------------

    @Slot()
    def tap(self) -> None:
        """One tap on the hidden spot of the attract screen."""
        if self._closed or self._session.mode is not Mode.OFF:
            return
        if self._gesture.tap():
            self._visit += 1
            self._submit(self._session.request_entry, self._show_answer)

    @Slot(str)
    def submitPin(self, pin: str) -> None:
        if self._view["mode"] != Mode.PIN.value or self._view["checking"]:
            return
        self._update(checking=True)
        self._submit(lambda: self._session.submit_pin(pin), self._show_answer)

    def _show_answer(self, answer: Answer) -> None:
        was = self._view["mode"]
        self._update(
            mode=answer.mode.value,
            message=answer.message,
            triesLeft=answer.tries_left,
            lockedLeft=math.ceil(answer.locked_s),
            checking=False,
            idleLeft=-1,  # a new mode, a new idle time
        )
        if answer.mode in (Mode.PIN, Mode.OPEN):
            self._runtime.hold_citizen_input(True)  # a card tap now is not a citizen's
        else:
            self._release_input()
        if answer.mode is not Mode.OFF:
            self._ticker.start()
        if answer.mode is Mode.OPEN and was != Mode.OPEN.value:
            self.show("devices")

    # --- staying and leaving -------------------------------------------------------------

    @Slot()
    def touch(self) -> None:
        """Any press on the technician screens: they stay open."""
        self._session.touch()

    @Slot()
    def cancel(self) -> None:
        """Close the PIN pad or a refusal notice; leave an open session."""
        self.leave()

    @Slot()
    def leave(self) -> None:
        self._leave("button")

    def _leave(self, reason: str) -> None:
        if self._leaving or self._view["mode"] == Mode.OFF.value:
            return
        self._leaving = True
        self._submit(lambda: self._session.leave(reason), lambda _: self._left(), any_visit=True)

    def _left(self) -> None:
        self._leaving = False
        self._visit += 1  # results still on their way belong to the session just left
        self._ticker.stop()
        self._release_input()
        self._view = empty_view()
        self.viewChanged.emit()

    def _release_input(self) -> None:
        if not self._closed:
            self._runtime.hold_citizen_input(False)
            # A card read test still waiting for a tap ends now, not at its timeout.
            self._runtime.cancel_card_read()

    def _tick(self) -> None:
        if self._session.idle_left() <= 0:
            self._leave("idle")
            return
        answer = self._session.current() if self._view["mode"] == Mode.PIN.value else None
        idle = self._session.idle_left()
        changes: dict[str, Any] = {"idleLeft": math.ceil(idle) if idle <= 60 else -1}
        if answer is not None and not self._view["checking"]:
            changes.update(
                message=answer.message,
                triesLeft=answer.tries_left,
                lockedLeft=math.ceil(answer.locked_s),
            )
        self._update(**changes)

    def close(self) -> None:
        """The kiosk stops: no more work, input released, the session's end audited."""
        if self._closed:
            return
        self._closed = True
        self._ticker.stop()
        if self._session.mode is not Mode.OFF:
            self._runtime.hold_citizen_input(False)
            self._session.leave("kiosk stopped")  # one line to the audit log, at shutdown
        # Work still running (a test print, a card read waiting for a tap) ends with the
        # devices, which the runtime closes next.
        self._work.shutdown(wait=False, cancel_futures=True)
        self._card.shutdown(wait=False, cancel_futures=True)

    # --- sections ----------------------------------------------------------------------

    @Slot(str)
    def show(self, section: str) -> None:
        if self._view["mode"] != Mode.OPEN.value or section not in dict(SECTIONS):
            return
        self._update(section=section, notice="", confirm=None, printers=self._printers)
        loaders: dict[str, Callable[[], None]] = {
            "devices": self.refreshDevices,
            "outbox": self.refreshOutbox,
            "logs": self.refreshLogs,
            "config": self.refreshConfig,
            "system": self.refreshAbout,
        }
        if section in loaders:
            loaders[section]()

    @Slot()
    def refreshDevices(self) -> None:
        if self._open_and_idle("devices"):
            self._submit(
                self._actions.devices, lambda d: self._update(devices=d), running="devices"
            )

    @Slot(str)
    def testPrint(self, role: str) -> None:
        if role not in self._printers or not self._open_and_idle(f"print:{role}"):
            return

        def done(result: dict[str, Any]) -> None:
            self._update(prints={**self._view["prints"], role: result})

        self._update(prints={**self._view["prints"], role: None})
        self._submit(lambda: self._actions.test_print(role), done, running=f"print:{role}")

    @Slot()
    def cardReadTest(self) -> None:
        if not self._open_and_idle("card"):
            return
        self._update(card=None)
        visit = self._visit

        def done(result: dict[str, Any]) -> None:
            # The diagnostics put the hold back as it was when the read began: held. The
            # technician may have left meanwhile, and then the citizens' taps count again.
            if self._view["mode"] == Mode.OFF.value:
                self._release_input()
            elif visit == self._visit:
                self._update(card=result)

        self._submit(self._actions.card_read, done, running="card", pool=self._card, any_visit=True)

    @Slot()
    def checkBackend(self) -> None:
        if self._open_and_idle("backend"):
            self._submit(
                self._actions.backend, lambda c: self._update(backend=c), running="backend"
            )

    @Slot()
    def refreshOutbox(self) -> None:
        if self._open_and_idle("outbox"):
            self._submit(self._actions.outbox, lambda o: self._update(outbox=o), running="outbox")

    @Slot()
    def refreshLogs(self) -> None:
        if self._open_and_idle("logs"):
            self._submit(self._actions.logs, lambda lines: self._update(logs=lines), running="logs")

    @Slot()
    def refreshConfig(self) -> None:
        if self._open_and_idle("config"):
            self._submit(self._actions.config, lambda t: self._update(config=t), running="config")

    @Slot()
    def refreshAbout(self) -> None:
        if self._open_and_idle("system"):
            self._submit(self._actions.about, lambda a: self._update(about=a), running="system")

    def _open_and_idle(self, running: str) -> bool:
        """Open, and that action not already running (a second tap while it runs)."""
        return self._view["mode"] == Mode.OPEN.value and running not in self._view["running"]

    # --- what needs a confirmation -----------------------------------------------------

    @Slot(int)
    def askRetry(self, item_id: int) -> None:
        self._ask(
            "retry",
            item_id,
            f"Send dead letter #{item_id} again? The backend refused it before; "
            "it is queued as new.",
            "Send again",
        )

    @Slot(int)
    def askDiscard(self, item_id: int) -> None:
        self._ask(
            "discard",
            item_id,
            f"Discard dead letter #{item_id} for good? It will never reach the backend.",
            "Discard",
        )

    @Slot()
    def askRestart(self) -> None:
        self._ask(
            "restart",
            0,
            "Restart the kiosk application? The screen goes blank for a few seconds; "
            "queued work is kept.",
            "Restart",
        )

    def _ask(self, action: str, item: int, question: str, yes: str) -> None:
        if self._view["mode"] == Mode.OPEN.value:
            self._update(confirm={"action": action, "item": item, "question": question, "yes": yes})

    @Slot()
    def dismissConfirm(self) -> None:
        self._update(confirm=None)

    @Slot()
    def confirm(self) -> None:
        asked = self._view["confirm"]
        if not asked or self._view["mode"] != Mode.OPEN.value:
            return
        self._update(confirm=None)
        action, item = asked["action"], int(asked["item"])
        if action == "restart":
            self._submit(self._actions.restart, lambda _: self._restart(), running="restart")
            return
        change = self._actions.retry if action == "retry" else self._actions.discard

        def done(changed: bool) -> None:
            verb = "queued again" if action == "retry" else "discarded"
            said = f"Dead letter #{item} {verb}." if changed else f"#{item} is no dead letter now."
            self._update(notice=said)
            self.refreshOutbox()

        self._submit(lambda: change(item), done, running=f"{action}:{item}")

    def _restart(self) -> None:
        self._ticker.stop()
        self._release_input()
        # From the event loop, not from inside this slot's caller.
        QTimer.singleShot(0, lambda: self._exit_app(EXIT_RESTART))
