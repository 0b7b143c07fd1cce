"""The technician session's rules: who gets in, when, and for how long.

- The hidden gesture opens the PIN pad only when a PIN hash is configured, and only while
  no citizen is being served (the attract screen, no print running): a technician must
  never take the screen from a citizen mid-transaction.
- The PIN is checked against its hash; wrong PINs in a row lock the mode (Lockout, kept on
  disk), and while locked no PIN is even checked.
- An open session ends after `idle_s` untouched (a technician who walked away must not
  leave the kiosk's insides on screen), the PIN pad after PIN_IDLE_S.
- Entering, every refusal and leaving go to the audit log.

Thread-safe: the PIN check (blocking, scrypt) runs on a worker thread while the GUI
thread asks about idleness.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from kiosk.technician.audit import AuditLog
from kiosk.technician.lockout import Lockout
from kiosk.technician.pin import PinHashError, verify_pin

log = logging.getLogger(__name__)

PIN_IDLE_S = 60.0  # the PIN pad closes sooner: a citizen may have opened it by chance
NOTICE_S = 10.0  # a refusal is shown this long


class Mode(StrEnum):
    OFF = "off"  # the citizen's screens
    PIN = "pin"  # the PIN pad
    REFUSED = "refused"  # a short notice why the mode cannot be entered now
    OPEN = "open"  # the technician screens


class Settings(Protocol):
    """kiosk.config.TechnicianSection's fields."""

    pin_hash: str | None
    max_failures: int
    lockout_s: float
    idle_s: float


@dataclass(frozen=True)
class Answer:
    """What the technician sees after a gesture or a PIN."""

    mode: Mode
    message: str = ""
    tries_left: int = 0
    locked_s: float = 0.0


BUSY_MESSAGE = (
    "A citizen is being served. Technician mode opens only from the start screen "
    "with no print running."
)
ENTER_MESSAGE = "Enter the technician PIN"


def locked_message(seconds: float) -> str:
    left = max(0, int(seconds + 0.999))
    return f"Too many wrong PINs. Locked: try again in {left // 60}:{left % 60:02d}."


def wrong_message(tries_left: int) -> str:
    return f"Wrong PIN. {tries_left} {'try' if tries_left == 1 else 'tries'} left."


class TechnicianSession:
    def __init__(
        self,
        settings: Settings,
        state_dir: Path,
        citizen_busy: Callable[[], bool],
        *,
        audit: AuditLog | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.audit = audit or AuditLog(state_dir, clock=wall_clock)
        self.lockout = Lockout(
            state_dir, settings.max_failures, settings.lockout_s, clock=wall_clock
        )
        self._citizen_busy = citizen_busy
        self._clock = clock
        self._lock = threading.Lock()  # the mode and the idle clock
        self._checking = threading.Lock()  # one PIN check at a time
        self._mode = Mode.OFF
        self._since = clock()  # the last touch, or the entry into the current mode

    @property
    def mode(self) -> Mode:
        with self._lock:
            return self._mode

    @property
    def configured(self) -> bool:
        return self.settings.pin_hash is not None

    # --- entering ---------------------------------------------------------------------------

    def request_entry(self) -> Answer:
        """The hidden gesture was performed: the PIN pad, a refusal, or nothing at all."""
        if self.mode is not Mode.OFF:
            return self.current()
        if not self.configured:
            log.info("technician gesture ignored: no [technician] pin_hash is configured")
            self.audit.record("enter", "not_configured")
            return Answer(Mode.OFF)
        if self._citizen_busy():
            return self._refuse("gesture")
        locked = self.lockout.seconds_left()
        self._set_mode(Mode.PIN)
        if locked > 0:
            self.audit.record("enter", "locked", seconds_left=round(locked))
            return Answer(Mode.PIN, locked_message(locked), 0, locked)
        return Answer(Mode.PIN, ENTER_MESSAGE, self.lockout.tries_left())

    def submit_pin(self, pin: str) -> Answer:
        """Check a PIN typed on the PIN pad (blocking: scrypt). Never logs the PIN."""
        with self._checking:
            if self.mode is not Mode.PIN:
                return self.current()
            self.touch()
            locked = self.lockout.seconds_left()
            if locked > 0:
                self.audit.record("pin", "locked", seconds_left=round(locked))
                return Answer(Mode.PIN, locked_message(locked), 0, locked)
            if not self._pin_matches(pin):
                return self._wrong_pin()
            self.lockout.record_success()
            if self._citizen_busy():  # a card tap may have slipped in meanwhile
                return self._refuse("pin")
            if not self._switch(Mode.PIN, Mode.OPEN):  # cancelled during the check
                return self.current()
            log.warning("technician mode entered")
            self.audit.record("enter", "ok")
            return Answer(Mode.OPEN)

    def _pin_matches(self, pin: str) -> bool:
        encoded = self.settings.pin_hash
        if encoded is None:
            return False
        try:
            return verify_pin(pin, encoded)
        except PinHashError as error:  # the config loader refuses these; a guard only
            log.error("technician PIN hash unusable: %s", error)
            return False

    def _wrong_pin(self) -> Answer:
        left = self.lockout.record_failure()
        if left == 0:
            log.warning("technician mode locked after %d wrong PINs", self.lockout.max_failures)
            self.audit.record("pin", "locked_now", lockout_s=self.lockout.lockout_s)
            locked = self.lockout.seconds_left()
            return Answer(Mode.PIN, locked_message(locked), 0, locked)
        self.audit.record("pin", "wrong", tries_left=left)
        return Answer(Mode.PIN, wrong_message(left), left)

    def _refuse(self, stage: str) -> Answer:
        self._set_mode(Mode.REFUSED)
        log.info("technician mode refused: a citizen is being served")
        self.audit.record("enter", "refused_citizen_busy", stage=stage)
        return Answer(Mode.REFUSED, BUSY_MESSAGE)

    def current(self) -> Answer:
        """The PIN pad's state now (its lockout countdown, say)."""
        mode = self.mode
        if mode is Mode.PIN:
            locked = self.lockout.seconds_left()
            if locked > 0:
                return Answer(mode, locked_message(locked), 0, locked)
            return Answer(mode, ENTER_MESSAGE, self.lockout.tries_left())
        return Answer(mode, BUSY_MESSAGE if mode is Mode.REFUSED else "")

    # --- staying and leaving ----------------------------------------------------------------

    def touch(self) -> None:
        with self._lock:
            self._since = self._clock()

    def idle_left(self) -> float:
        """Seconds until the current mode ends by itself (inf when off)."""
        with self._lock:
            limit = {
                Mode.PIN: PIN_IDLE_S,
                Mode.REFUSED: NOTICE_S,
                Mode.OPEN: self.settings.idle_s,
            }.get(self._mode)
            if limit is None:
                return float("inf")
            return limit - (self._clock() - self._since)

    def leave_if_idle(self) -> bool:
        """End the mode when it has been left untouched too long; True if it ended."""
        if self.idle_left() > 0:
            return False
        return self.leave("idle")

    def leave(self, reason: str) -> bool:
        """Back to the citizen's screens; True if a mode was on."""
        with self._lock:
            was, self._mode = self._mode, Mode.OFF
        if was is Mode.OFF:
            return False
        if was is Mode.OPEN:
            log.warning("technician mode left (%s)", reason)
            self.audit.record("leave", "ok", reason=reason)
        elif was is Mode.PIN:
            self.audit.record("pin", "cancelled", reason=reason)
        return True

    def _switch(self, was: Mode, to: Mode) -> bool:
        with self._lock:
            if self._mode is not was:
                return False
            self._mode, self._since = to, self._clock()
            return True

    def _set_mode(self, mode: Mode) -> None:
        with self._lock:
            self._mode = mode
            self._since = self._clock()
