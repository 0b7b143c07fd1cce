"""The common part of readers that report a card as a line of text: serial readers
(cardreader.serial_reader) and keyboard-wedge readers read through evdev
(cardreader.evdev_reader).

Such a reader runs a thread of its own that connects to the device, reads lines and
hands what they mean to the device's I/O thread (`_run_on_io`), where events are
delivered, as every device's are. When the device is missing or goes away, the thread
reports no-device and tries again every `reopen_s`, so a re-plugged reader works again
within that time, with nobody restarting the kiosk.

A line is a card UID (in any form readers type, see cardreader.base.normalize_uid) or,
when `accept_codes` is on, a scanned code (a QR scanner reading a receipt's pickup QR):
see cardreader.wedge.read_line. Readers that send the UID again and again while the card
lies on them are calmed by `repeat_suppress_s`. These readers cannot tell when a card
leaves: they deliver no CardRemoved, and their media sensor is "not supported".

UIDs and codes are never logged nor put in a status in full (cardreader.wedge.mask).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cardreader.base import CardPresented, CardReader, UidFormat
from cardreader.wedge import CodeScanned, mask, read_line
from drivers.device import Job
from drivers.model import (
    Availability,
    Capabilities,
    DeviceStatus,
    Feature,
    HealthCheck,
    HealthLevel,
    Lifecycle,
)

log = logging.getLogger(__name__)

READ_SLICE_S = 0.2  # one blocking read: how soon a close is noticed
FIRST_LOOK_TIMEOUT_S = 2.0  # open waits this long for the first connection attempt
STOP_TIMEOUT_S = 3.0


class LineReaderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uid_format: UidFormat = "auto"  # "hex" or "decimal" for a reader known to type one
    # Also deliver lines that are not UIDs (CodeScanned): a QR or barcode scanner.
    accept_codes: bool = False
    # The same UID again within this time is the card still lying there, not a new tap.
    repeat_suppress_s: float = Field(default=1.5, ge=0, le=60)
    reopen_s: float = Field(default=1.0, gt=0, le=60)  # retry after the device went away
    poll_interval_s: float | None = Field(default=None, gt=0)


class ReaderLost(Exception):
    """The device is not there (or cannot be used): `detail` goes in the status."""

    def __init__(self, detail: str, availability: Availability = Availability.NO_DEVICE):
        super().__init__(detail)
        self.detail, self.availability = detail, availability


class LineCardReader(CardReader):
    """A card reader whose own thread reads lines; subclasses say how to connect and read."""

    settings: LineReaderSettings

    def __init__(self, device_id: str, settings: LineReaderSettings) -> None:
        super().__init__(device_id, settings, poll_interval_s=settings.poll_interval_s)
        self._stop = threading.Event()
        self._first_look = threading.Event()  # the first connection attempt is over
        self._thread: threading.Thread | None = None
        self._problem: ReaderLost | None = ReaderLost("not opened", Availability.UNKNOWN)
        self._described = "not connected"
        self._last_uid: tuple[str, float] | None = None  # (uid, when last seen): repeats
        self._ignored_lines = 0

    # --- what a kind of line reader implements (on its own thread) -------------------------

    @property
    @abstractmethod
    def model(self) -> str:
        """What kind of reader this is, for capabilities."""

    @abstractmethod
    def _connect(self) -> str:
        """Open the device; return a description for technicians. Raise ReaderLost."""

    @abstractmethod
    def _read_lines(self, timeout_s: float) -> list[str]:
        """Wait up to `timeout_s` for input; return the complete lines. Raise ReaderLost."""

    @abstractmethod
    def _disconnect(self) -> None:
        """Close the device; must not raise."""

    # --- the device ------------------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(self.kind, features=frozenset({Feature.CARD_UID}), model=self.model)

    def close(self) -> Job[None]:
        self._stop.set()
        return super().close()

    def _open_io(self) -> None:
        self._stop.clear()
        self._first_look.clear()
        self._thread = threading.Thread(
            target=self._read_loop, name=f"{self.device_id}-reader", daemon=True
        )
        self._thread.start()
        # So that the status right after open says whether the reader is there.
        self._first_look.wait(FIRST_LOOK_TIMEOUT_S)

    def _close_io(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT_S)
        self._thread = None

    def _read_status_io(self) -> DeviceStatus:
        problem = self._problem
        if problem is not None:
            return DeviceStatus(problem.availability, detail=problem.detail)
        return DeviceStatus(Availability.ONLINE, detail=self._described)

    def _health_checks_io(self, level: HealthLevel) -> list[HealthCheck]:
        problem = self._problem
        checks = [HealthCheck("reader", problem is None, problem.detail if problem else "")]
        checks.append(HealthCheck("lines", True, f"{self._ignored_lines} unusable lines ignored"))
        return checks

    # --- on the reader's own thread --------------------------------------------------------

    def _read_loop(self) -> None:
        connected = False
        while not self._stop.is_set():
            if not connected:
                connected = self._try_connect()
                self._first_look.set()
                if not connected:
                    self._stop.wait(self.settings.reopen_s)
                continue
            try:
                lines = self._read_lines(READ_SLICE_S)
            except Exception as error:
                self._lost(error)
                connected = False
                continue
            for line in lines:
                self._on_line(line)
        self._disconnect()

    def _try_connect(self) -> bool:
        try:
            self._described = self._connect()
        except Exception as error:
            self._lost(error)
            return False
        log.info("%s: connected (%s)", self.device_id, self._described)
        self._set_problem(None)
        return True

    def _lost(self, error: Exception) -> None:
        if not isinstance(error, ReaderLost):  # a bug or a library surprise: keep reading
            log.exception("%s: unexpected error from the reader", self.device_id)
            error = ReaderLost(f"{type(error).__name__}: {error}", Availability.ERROR)
        self._disconnect()
        if self._problem is None or self._problem.detail != error.detail:
            log.warning("%s: %s", self.device_id, error.detail)
        self._set_problem(error)

    def _on_line(self, line: str) -> None:
        event = read_line(line, self.settings.uid_format)
        if isinstance(event, CardPresented):
            if not self._is_repeat(event.uid):
                log.info("%s: card %s", self.device_id, mask(event.uid))
                self._hand_over(event)
        elif isinstance(event, CodeScanned) and self.settings.accept_codes:
            log.info("%s: code scanned %s", self.device_id, mask(event.text))
            self._hand_over(event)
        elif event is not None:
            self._ignored_lines += 1
            log.warning("%s: not a card UID, ignored: %s", self.device_id, mask(line.strip()))

    def _is_repeat(self, uid: str) -> bool:
        now = time.monotonic()
        last, self._last_uid = self._last_uid, (uid, now)
        window = self.settings.repeat_suppress_s
        return last is not None and last[0] == uid and now - last[1] <= window

    def _set_problem(self, problem: ReaderLost | None) -> None:
        self._problem = problem
        status = self._read_status_io()  # now: every edge is reported, in order
        self._run_safely_on_io(lambda: self._set_status(status))

    def _hand_over(self, event: CardPresented | CodeScanned) -> None:
        def deliver() -> None:
            if self.lifecycle is Lifecycle.ENABLED:  # as CardReader._deliver
                self._emit_data(event)

        self._run_safely_on_io(deliver)

    def _run_safely_on_io(self, work: Callable[[], Any]) -> None:
        with contextlib.suppress(RuntimeError):  # closed meanwhile: nobody listens
            self._run_on_io(work)
