"""Contactless readers through PC/SC (pcscd + pyscard): the e-KTP's UID by GET DATA.

    [devices.card_reader]
    type = "pcsc"
    reader = "ACR122"        # optional: a regex (or plain text) searched in reader names,
                             # case-insensitive; default: the first reader whose name
                             # suggests contactless (PICC, PCD, NFC, ...), else the first
    # retry_s = 1.0          # how soon to look again after pcscd or the reader went away
    # uid_byte_order = "as-read"   # "reversed" for a reader that reports the UID LSB first

One thread of the device's own (the watcher) does all the PC/SC work with pyscard's
low-level API (`smartcard.scard`), which pyscard's monitor classes use too: it waits in
`SCardGetStatusChange` a short while at a time for the chosen reader's state and for the
PnP notification (readers coming and going). It never relies on pyscard's monitor
threads, which die silently when pcscd stops: when pcscd goes away (SCARD_E_NO_SERVICE,
SCARD_E_SERVICE_STOPPED, a transport error) it drops its context and establishes a new
one every `retry_s`; when the reader goes away it looks for one again. Either way the
reader reads again a few seconds after pcscd restarts or the reader is plugged back.

On a card's arrival (while enabled) it connects, sends `FF CA 00 00 00` and turns every
answer into an event: the UID (normalized hex) as CardPresented; `6C XX` is retried with
Le = XX; `6A 81` (GET DATA not supported), other status words, a mute card and a card
that other software holds give CardReadFailed("unreadable"); a card lifted before its
answer gives CardReadFailed("removed_mid_read"). A presented card that leaves gives
CardRemoved. Events and status edges are handed to the device's I/O thread, as every
device's are; the Qt layer forwards them to the GUI thread with signals.

A card that was already on the reader when the watcher first looked (at start, or
after pcscd or the reader came back), or that came while the device was not enabled,
is not read: it must be lifted and tapped again (a card left lying on the reader must
not start a session for someone who is not there).

The full UID is never logged nor put in a status detail: only its first 4 hex digits.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cardreader.base import (
    CardEvent,
    CardPresented,
    CardReader,
    CardReadFailed,
    CardRemoved,
    is_random_uid,
    normalize_uid,
)
from drivers.device import Job
from drivers.model import (
    Availability,
    Capabilities,
    DeviceError,
    DeviceStatus,
    ErrorKind,
    Feature,
    HealthCheck,
    HealthLevel,
    Lifecycle,
    MediaState,
    Sensor,
)

log = logging.getLogger(__name__)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"  # pcsc-lite's pseudo reader for reader changes
GET_DATA_UID = [0xFF, 0xCA, 0x00, 0x00]  # PC/SC part 3: GET DATA, P1 = 00: the UID
WAIT_SLICE_S = 0.5  # one SCardGetStatusChange wait: how soon a stop or pcscd's end is seen
REMOVAL_SETTLE_S = 1.0  # after a failed read: how long to watch whether the card left
FIRST_LOOK_TIMEOUT_S = 2.0  # open waits this long for the first status
STOP_TIMEOUT_S = 3.0
REREAD_AFTER_LOSS_S = 0.2  # after a reader vanished, before listing readers again
# Reader names that say "contactless": PC/SC's PICC slots, vpcd's "Virtual PCD",
# ACS ACR122/ACR1252/ACR1281, HID OMNIKEY 5x22/5x27 CK, Identiv uTrust/CLOUD ... F.
CONTACTLESS_NAME = re.compile(
    r"contactless|\bpicc\b|\bpcd\b|nfc|rfid|\bcl\b|acr12[0-9]|acr125[0-9]|acr128[0-9]"
    r"|omnikey 5[0-9]2[27]|cloud [0-9]{4} f|utrust 37",
    re.IGNORECASE,
)

# PC/SC return codes (unsigned); pyscard may hand them back signed on some platforms.
SCARD_S_SUCCESS = 0x00000000
SCARD_E_CANCELLED = 0x80100002
SCARD_E_UNKNOWN_READER = 0x80100009
SCARD_E_TIMEOUT = 0x8010000A
SCARD_E_SHARING_VIOLATION = 0x8010000B
SCARD_E_NO_SMARTCARD = 0x8010000C
SCARD_E_READER_UNAVAILABLE = 0x80100017
SCARD_E_NO_READERS_AVAILABLE = 0x8010002E
SCARD_W_UNRESPONSIVE_CARD = 0x80100066
SCARD_W_UNPOWERED_CARD = 0x80100067
SCARD_W_RESET_CARD = 0x80100068
SCARD_W_REMOVED_CARD = 0x80100069
READER_GONE = {SCARD_E_UNKNOWN_READER, SCARD_E_READER_UNAVAILABLE}
CARD_GONE = {SCARD_W_REMOVED_CARD, SCARD_E_NO_SMARTCARD}

# Reader states (dwEventState); the high 16 bits count card insertions and removals.
STATE_CHANGED = 0x0002
STATE_UNKNOWN = 0x0004
STATE_UNAVAILABLE = 0x0008
STATE_EMPTY = 0x0010
STATE_PRESENT = 0x0020
STATE_MUTE = 0x0200

# Status words of GET DATA (PC/SC part 3, 3.2.2.1.3).
SW_OK = (0x90, 0x00)
SW_END_OF_DATA = (0x62, 0x82)  # fewer bytes than Le: the data is still the UID
SW_WRONG_LE = 0x6C  # 6C XX: send again with Le = XX
SW_MEANINGS = {
    (0x6A, 0x81): "GET DATA not supported by this card or reader",
    (0x63, 0x00): "the reader could not get the UID",
    (0x67, 0x00): "wrong length",
    (0x6A, 0x86): "wrong parameters P1/P2",
    (0x6D, 0x00): "instruction not supported",
    (0x6E, 0x00): "class not supported",
}

PCSCD_DOWN = "pcscd not running"
SCARD_W_SECURITY_VIOLATION = 0x8010006A  # pyscard says "Access denied."
ESTABLISH_RETRY_S = 0.3  # before believing an odd refusal of a new context


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


def masked(uid: str) -> str:
    """What logs and status details may show of a UID (UU 27/2022)."""
    return uid[:4] + "…"


class PcscCardReaderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["pcsc"]
    reader: str | None = Field(default=None, min_length=1)
    retry_s: float = Field(default=1.0, gt=0, le=30)
    uid_byte_order: Literal["as-read", "reversed"] = "as-read"
    poll_interval_s: float | None = Field(default=None, gt=0)

    @field_validator("reader")
    @classmethod
    def _pattern_compiles_or_is_text(cls, value: str | None) -> str | None:
        if value is not None:
            reader_pattern(value)  # never raises: plain text is the fallback
        return value


def reader_pattern(text: str) -> re.Pattern[str]:
    """A configured reader name: a regex if it is one, else the text itself."""
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error:
        return re.compile(re.escape(text), re.IGNORECASE)


def choose_reader(names: list[str], pattern: str | None) -> str | None:
    """The reader to use among `names` (in pcscd's order)."""
    if pattern is not None:
        wanted = reader_pattern(pattern)
        return next((n for n in names if wanted.search(n)), None)
    contactless = [n for n in names if CONTACTLESS_NAME.search(n)]
    return next(iter(contactless or names), None)


class ContextLost(Exception):
    """pcscd went away (or the context broke): establish a new one.

    `problem` is the status detail (the same for every way pcscd can be gone, so that a
    restart gives one status edge), `cause` what PC/SC said, for the log."""

    def __init__(self, problem: str, cause: str = "") -> None:
        super().__init__(f"{problem} ({cause})" if cause else problem)
        self.problem, self.cause = problem, cause


def _service_lost(scard: Any, hresult: int, *, established: bool = True) -> ContextLost:
    """What a failed call says. On a context pcscd already gave us, "access denied" is a
    pcscd on its way out (a refusal by policy comes when the context is asked for), so
    it is said as pcscd gone, like the other ways a dying pcscd answers."""
    message, code = scard.SCardGetErrorMessage(hresult), _code(hresult)
    if _is_service_gone(code) or (established and code == SCARD_W_SECURITY_VIOLATION):
        return ContextLost(PCSCD_DOWN, message)
    return ContextLost(f"PC/SC error: {message}", f"0x{code:08X}")


class ReaderLost(Exception):
    """The chosen reader went away: choose again."""


@dataclass(frozen=True)
class Outcome:
    """What one read of a card gave: the event, and a status detail for technicians."""

    event: CardEvent
    detail: str


@dataclass
class WatchState:
    """The watcher's view, published to the device; touched under the device's lock."""

    problem: str = "not opened"  # why the reader cannot work ("" when it can)
    reader: str = ""
    card_on_reader: bool = False
    card_detail: str = ""

    def status(self) -> DeviceStatus:
        if self.problem:
            return DeviceStatus(
                Availability.NO_DEVICE, media=MediaState.UNKNOWN, detail=self.problem
            )
        if self.card_on_reader:
            detail = f"{self.reader}: {self.card_detail or 'card present'}"
            return DeviceStatus(Availability.ONLINE, media=MediaState.PRESENT, detail=detail)
        return DeviceStatus(Availability.ONLINE, media=MediaState.ABSENT, detail=self.reader)


class PcscCardReader(CardReader):
    """A PC/SC contactless reader; a watcher thread of its own talks to pcscd."""

    settings_model = PcscCardReaderSettings

    def __init__(self, device_id: str, settings: PcscCardReaderSettings) -> None:
        super().__init__(device_id, settings, poll_interval_s=settings.poll_interval_s)
        self._settings = settings
        self._scard: Any = None  # smartcard.scard, imported at open (it is slow to load)
        self._view = WatchState()
        self._view_lock = threading.Lock()
        self._watcher: Watcher | None = None

    @property
    def capabilities(self) -> Capabilities:
        with self._view_lock:
            reader = self._view.reader or "not found yet"
        return Capabilities(
            self.kind,
            sensors=frozenset({Sensor.MEDIA}),
            features=frozenset({Feature.CARD_UID}),
            model=f"PC/SC contactless reader: {reader}",
        )

    def close(self) -> Job[None]:
        watcher = self._watcher
        if watcher is not None:
            watcher.stop()  # now, not behind jobs queued on the I/O thread
        return super().close()

    # --- on the I/O thread -----------------------------------------------------------------

    def _open_io(self) -> None:
        try:
            from smartcard import scard
        except ImportError as error:
            raise DeviceError(
                ErrorKind.NO_DEVICE, f"pyscard is not installed ({error}); pip install pyscard"
            ) from None
        self._scard = scard
        self._watcher = Watcher(self, scard, self._settings)
        self._watcher.start()
        self._watcher.first_look.wait(FIRST_LOOK_TIMEOUT_S)

    def _close_io(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
            watcher.join(STOP_TIMEOUT_S)
        with self._view_lock:
            self._view = WatchState()

    def _read_status_io(self) -> DeviceStatus:
        with self._view_lock:
            return self._view.status()

    def _health_checks_io(self, level: HealthLevel) -> list[HealthCheck]:
        """A fresh context of the I/O thread's own: is pcscd there, is the reader?"""
        scard = self._scard
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if _code(hresult) != SCARD_S_SUCCESS:
            detail = f"{PCSCD_DOWN} ({scard.SCardGetErrorMessage(hresult)})"
            return [HealthCheck("pcscd", False, detail), HealthCheck("reader", False, PCSCD_DOWN)]
        try:
            names = list_readers(scard, context)
        except ContextLost as lost:
            return [HealthCheck("pcscd", False, str(lost)), HealthCheck("reader", False, "")]
        finally:
            scard.SCardReleaseContext(context)
        reader = choose_reader(names, self._settings.reader)
        found = reader or no_reader_detail(names, self._settings.reader)
        return [HealthCheck("pcscd", True, "reachable"), HealthCheck("reader", bool(reader), found)]

    # --- from the watcher thread -----------------------------------------------------------

    def publish(self, change: Callable[[WatchState], None], event: CardEvent | None = None) -> None:
        """Change the view now; its status edge and `event` follow on the I/O thread."""
        if self._watcher is None:
            return  # closed: the view was reset and nobody listens
        with self._view_lock:
            change(self._view)
            status = self._view.status()

        def on_io() -> None:
            self._set_status(status)
            if event is not None:
                self._deliver(event)

        with contextlib.suppress(RuntimeError):  # closed meanwhile: nobody listens
            self._run_on_io(on_io)

    @property
    def reading(self) -> bool:
        return self.lifecycle is Lifecycle.ENABLED


def list_readers(scard: Any, context: int) -> list[str]:
    hresult, names = scard.SCardListReaders(context, [])
    code = _code(hresult)
    if code == SCARD_E_NO_READERS_AVAILABLE:
        return []
    if code != SCARD_S_SUCCESS:
        raise _service_lost(scard, hresult)
    return list(names)


def no_reader_detail(names: list[str], pattern: str | None) -> str:
    found = "; found: " + ", ".join(names) if names else "; pcscd sees no reader"
    if pattern is None:
        return "no PC/SC reader" + found
    return f"no reader matching {pattern!r}" + found


class Watcher(threading.Thread):
    """The reader's own thread: every PC/SC call of the device (but health checks)."""

    def __init__(self, device: PcscCardReader, scard: Any, settings: PcscCardReaderSettings):
        super().__init__(name=f"{device.device_id}-pcsc", daemon=True)
        self.device, self.scard, self.settings = device, scard, settings
        self.first_look = threading.Event()
        self._stopping = threading.Event()
        self._context: int | None = None
        self._established_at = 0.0
        self._reader: str | None = None
        self._reader_state = 0  # the last dwEventState seen, CHANGED bit cleared
        self._pnp_state = 0
        self._card_on = False  # a card is on the reader (seen, read or not)
        self._presented = False  # ... and CardPresented was delivered for it
        self._logged_problem = ""  # a problem is logged once, not at every retry

    def stop(self) -> None:
        self._stopping.set()
        context = self._context
        if context is not None:  # wake SCardGetStatusChange at once
            with contextlib.suppress(Exception):
                self.scard.SCardCancel(context)

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._cycle()
        finally:
            self._drop_context()
            self.first_look.set()

    def _cycle(self) -> None:
        try:
            if self._context is None:
                self._establish()
            if self._reader is None:
                self._choose_reader()
            if self._reader is None:
                self.first_look.set()
                self._wait_for_readers()
            else:
                self.first_look.set()
                self._watch()
        except ContextLost as lost:
            self._lose_context(lost)
        except ReaderLost as lost:
            self._lose_reader(str(lost))
        except Exception as error:  # pyscard must never kill the watcher
            log.exception("%s: PC/SC watcher error", self.device.device_id)
            self._lose_context(ContextLost(f"PC/SC error: {type(error).__name__}: {error}"))

    # --- context and reader ------------------------------------------------------------------

    def _establish(self) -> None:
        hresult, context = self.scard.SCardEstablishContext(self.scard.SCARD_SCOPE_USER)
        if _code(hresult) != SCARD_S_SUCCESS and not _is_service_gone(_code(hresult)):
            # A pcscd being stopped can refuse oddly ("access denied") on its way out: ask
            # once more, and report what a settled pcscd says (gone, or a real refusal).
            if self._stopping.wait(ESTABLISH_RETRY_S):
                raise ContextLost("stopping")  # _lose_context lets it go
            hresult, context = self.scard.SCardEstablishContext(self.scard.SCARD_SCOPE_USER)
        if _code(hresult) != SCARD_S_SUCCESS:
            raise _service_lost(self.scard, hresult, established=False)
        self._context = context
        self._established_at = time.monotonic()
        self._pnp_state = 0
        log.info("%s: connected to pcscd", self.device.device_id)

    def _choose_reader(self) -> None:
        assert self._context is not None
        names = list_readers(self.scard, self._context)
        reader = choose_reader(names, self.settings.reader)
        if reader is None:
            detail = no_reader_detail(names, self.settings.reader)
            self._log_problem(detail)
            self.device.publish(lambda view: _set_problem(view, detail))
            return
        self._reader, self._reader_state = reader, 0
        self._card_on = self._presented = False
        self._logged_problem = ""
        log.info("%s: using PC/SC reader %r", self.device.device_id, reader)
        self.device.publish(lambda view: _set_reader(view, reader))

    def _wait_for_readers(self) -> None:
        """No reader yet: wait for pcscd's PnP notification (or the retry time)."""
        deadline = time.monotonic() + self.settings.retry_s
        while not self._stopping.is_set() and time.monotonic() < deadline:
            states = self._status_change([(PNP_NOTIFICATION, self._pnp_state)])
            if states is not None and self._pnp_changed(states[0]):
                return

    def _lose_context(self, lost: ContextLost) -> None:
        """A context that worked a while is re-established at once, and only a failure to
        establish one is the status: what a call on a dying pcscd returns varies (a
        transport error, even "access denied"), but a new context says it plainly."""
        if self._stopping.is_set():
            return
        worked_a_while = (
            self._context is not None
            and time.monotonic() - self._established_at >= self.settings.retry_s
        )
        self._drop_context()
        if worked_a_while:
            log.info("%s: PC/SC context lost (%s); connecting again", self.device.device_id,
                     lost)  # fmt: skip
            self._forget_card()
            return
        self._log_problem(lost.problem, lost.cause)
        self._forget_reader(lost.problem)
        self._stopping.wait(self.settings.retry_s)

    def _lose_reader(self, why: str) -> None:
        self._log_problem(why)
        self._forget_reader(why)
        self._stopping.wait(REREAD_AFTER_LOSS_S)  # pcscd may still list it for a moment

    def _forget_reader(self, why: str) -> None:
        removed = CardRemoved() if self._presented else None  # the card went with it
        self._reader, self._card_on, self._presented = None, False, False
        self.device.publish(lambda view: _set_problem(view, why), removed)
        self.first_look.set()

    def _forget_card(self) -> None:
        """Start over with the reader (a card on it now counts as already there)."""
        if self._presented:
            self.device.publish(_card_gone, CardRemoved())
        self._reader, self._card_on, self._presented = None, False, False

    def _log_problem(self, problem: str, cause: str = "") -> None:
        if problem != self._logged_problem:
            self._logged_problem = problem
            because = f" ({cause})" if cause else ""
            log.warning("%s: %s%s; looking again every %.1f s", self.device.device_id, problem,
                        because, self.settings.retry_s)  # fmt: skip

    def _drop_context(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            with contextlib.suppress(Exception):
                self.scard.SCardReleaseContext(context)

    # --- waiting for cards -----------------------------------------------------------------

    def _watch(self) -> None:
        assert self._reader is not None
        reader = self._reader
        states = self._status_change(
            [(reader, self._reader_state), (PNP_NOTIFICATION, self._pnp_state)]
        )
        if states is None:
            return
        for name, event_state, _atr in states:
            if name == reader:
                self._on_reader_state(event_state)
            elif self._pnp_changed((name, event_state, _atr)):
                self._reconsider_reader()

    def _status_change(self, watched: list[tuple[str, int]]) -> list[Any] | None:
        """SCardGetStatusChange for one wait slice; None on timeout or cancel."""
        assert self._context is not None
        timeout_ms = int(WAIT_SLICE_S * 1000)
        hresult, states = self.scard.SCardGetStatusChange(self._context, timeout_ms, watched)
        code = _code(hresult)
        if code in (SCARD_E_TIMEOUT, SCARD_E_CANCELLED):
            return None
        if code in READER_GONE:
            raise ReaderLost(f"reader {self._reader!r} disconnected")
        if code != SCARD_S_SUCCESS:
            raise _service_lost(self.scard, hresult)
        return list(states)

    def _pnp_changed(self, state: tuple[str, int, Any]) -> bool:
        new = state[1] & ~STATE_CHANGED
        changed = new != self._pnp_state
        self._pnp_state = new
        return changed

    def _reconsider_reader(self) -> None:
        """Readers came or went: a better (or the configured) reader may be there now."""
        assert self._context is not None
        names = list_readers(self.scard, self._context)
        best = choose_reader(names, self.settings.reader)
        if self._reader not in names:
            raise ReaderLost(f"reader {self._reader!r} disconnected")
        if best != self._reader and not self._card_on:
            log.info("%s: switching to PC/SC reader %r", self.device.device_id, best)
            self._reader = None

    def _on_reader_state(self, event_state: int) -> None:
        previous, self._reader_state = self._reader_state, event_state & ~STATE_CHANGED
        if event_state & (STATE_UNKNOWN | STATE_UNAVAILABLE):
            raise ReaderLost(f"reader {self._reader!r} disconnected")
        present = bool(event_state & STATE_PRESENT)
        # The high word counts insertions and removals: a lift and tap between two
        # looks leaves PRESENT set but moves the count.
        swapped = present and self._card_on and (previous >> 16) != (event_state >> 16)
        if self._card_on and (not present or swapped):
            self._card_left()
        if present and not self._card_on:
            self._card_came(first_look=previous == 0, mute=bool(event_state & STATE_MUTE))

    def _card_left(self) -> None:
        self._card_on = False
        removed = CardRemoved() if self._presented else None
        self._presented = False
        log.info("%s: card lifted", self.device.device_id)
        self.device.publish(_card_gone, removed)

    def _card_came(self, *, first_look: bool, mute: bool) -> None:
        self._card_on = True
        if first_look or not self.device.reading:
            detail = "card present (not read: tap again)"
            self.device.publish(lambda view: _card_here(view, detail))
            return
        outcome = (
            Outcome(CardReadFailed("unreadable"), "card mute (no answer to reset)")
            if mute
            else self._read_card()
        )
        self._presented = isinstance(outcome.event, CardPresented)
        self.device.publish(lambda view: _card_here(view, outcome.detail), outcome.event)

    # --- reading a card ---------------------------------------------------------------------

    def _read_card(self) -> Outcome:
        scard, reader = self.scard, self._reader
        protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        hresult, card, protocol = scard.SCardConnect(
            self._context, reader, scard.SCARD_SHARE_SHARED, protocols
        )
        code = _code(hresult)
        if code != SCARD_S_SUCCESS:
            return self._failure(code, hresult, "connect")
        try:
            return self._get_uid(card, protocol)
        finally:
            with contextlib.suppress(Exception):
                scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)

    def _get_uid(self, card: int, protocol: int) -> Outcome:
        response = self._transmit(card, protocol, [*GET_DATA_UID, 0])
        if isinstance(response, Outcome):
            return response
        if len(response) == 2 and response[0] == SW_WRONG_LE:
            response = self._transmit(card, protocol, [*GET_DATA_UID, response[1]])
            if isinstance(response, Outcome):
                return response
        data, sw = bytes(response[:-2]), (response[-2], response[-1])
        if sw in (SW_OK, SW_END_OF_DATA) and data:
            return self._uid_outcome(data)
        meaning = SW_MEANINGS.get(sw, "unexpected answer")
        log.warning("%s: GET DATA refused: %s (SW %02X%02X)", self.device.device_id, meaning,
                    sw[0], sw[1])  # fmt: skip
        return Outcome(
            CardReadFailed("unreadable"),
            f"card unreadable: {meaning} (SW {sw[0]:02X} {sw[1]:02X})",
        )

    def _transmit(self, card: int, protocol: int, apdu: list[int]) -> list[int] | Outcome:
        """The response APDU (at least SW1 SW2), or the failure it came to."""
        hresult, response = self.scard.SCardTransmit(card, protocol, apdu)
        code = _code(hresult)
        if code != SCARD_S_SUCCESS:
            return self._failure(code, hresult, "GET DATA")
        if len(response) < 2:  # vpcd's answer when the card went away mid-command
            return self._failure_unless_left("no answer to GET DATA")
        return list(response)

    def _uid_outcome(self, data: bytes) -> Outcome:
        if self.settings.uid_byte_order == "reversed":
            data = data[::-1]
        try:
            uid = normalize_uid(data.hex(), "hex")
        except ValueError:
            log.warning("%s: GET DATA gave %d bytes, not a UID", self.device.device_id, len(data))
            return Outcome(CardReadFailed("unreadable"), f"card unreadable: {len(data)}-byte UID")
        random = is_random_uid(uid)
        log.info("%s: card %s read%s", self.device.device_id, masked(uid),
                 " (random UID)" if random else "")  # fmt: skip
        detail = f"card {masked(uid)}" + (" (random UID)" if random else "")
        return Outcome(CardPresented(uid, uid_is_random=random), detail)

    def _failure(self, code: int, hresult: int, step: str) -> Outcome:
        message = f"{step} failed: {self.scard.SCardGetErrorMessage(hresult)}"
        if code in CARD_GONE:
            return Outcome(CardReadFailed("removed_mid_read"), "card lifted during the read")
        if code in READER_GONE:
            raise ReaderLost(f"reader {self._reader!r} disconnected")
        if code == SCARD_E_SHARING_VIOLATION:
            return Outcome(CardReadFailed("unreadable"), "card held by another program")
        if code in (SCARD_W_UNRESPONSIVE_CARD, SCARD_W_UNPOWERED_CARD):
            return Outcome(CardReadFailed("unreadable"), f"card unreadable: {message}")
        if code == SCARD_W_RESET_CARD:
            return self._failure_unless_left(message)
        if _is_service_gone(code):
            raise ContextLost(PCSCD_DOWN, message)
        return self._failure_unless_left(message)

    def _failure_unless_left(self, message: str) -> Outcome:
        """A read broke off: lifted mid-read if the card leaves soon, else unreadable."""
        log.info("%s: %s", self.device.device_id, message)
        if self._card_leaves_within(REMOVAL_SETTLE_S):
            return Outcome(CardReadFailed("removed_mid_read"), "card lifted during the read")
        return Outcome(CardReadFailed("unreadable"), f"card unreadable: {message}")

    def _card_leaves_within(self, seconds: float) -> bool:
        """Watch the reader (not consuming its state) until it is empty or time is up."""
        assert self._context is not None and self._reader is not None
        deadline = time.monotonic() + seconds
        known = 0  # "unaware": the first call returns the state at once
        while (left := deadline - time.monotonic()) > 0:
            hresult, states = self.scard.SCardGetStatusChange(
                self._context, int(left * 1000), [(self._reader, known)]
            )
            if _code(hresult) != SCARD_S_SUCCESS:
                return _code(hresult) in READER_GONE
            event_state = states[0][1]
            if event_state & STATE_EMPTY or not event_state & STATE_PRESENT:
                return True
            known = event_state & ~STATE_CHANGED
        return False


def _is_service_gone(code: int) -> bool:
    # SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED, SCARD_F_COMM_ERROR, SCARD_E_INVALID_HANDLE
    return code in (0x8010001D, 0x8010001E, 0x80100013, 0x80100003)


def _set_problem(view: WatchState, problem: str) -> None:
    view.problem, view.reader, view.card_on_reader, view.card_detail = problem, "", False, ""


def _set_reader(view: WatchState, reader: str) -> None:
    view.problem, view.reader, view.card_on_reader, view.card_detail = "", reader, False, ""


def _card_here(view: WatchState, detail: str) -> None:
    view.card_on_reader, view.card_detail = True, detail


def _card_gone(view: WatchState) -> None:
    view.card_on_reader, view.card_detail = False, ""
