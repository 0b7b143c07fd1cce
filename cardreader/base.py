"""Card readers as devices, the input events they deliver, and UID normalization.

Input arrives as data events (`Device._emit_data`), in order, and only while the reader
is enabled: `CardPresented`, `CardRemoved`, `CardReadFailed`.

Village systems identify residents by the card's UID (the personal data on an e-KTP
needs a SAM). Readers report UIDs differently, so every UID is normalized to upper-case
hex of its bytes in card order, e.g. "04A3B2C1D0E1F2":
- hex, any case, with or without separators (":", "-", ".", spaces) or a "0x" prefix;
- decimal, as keyboard-wedge readers type it: 10 to 17 digits. ASSUMPTION: the number
  is the UID's bytes read as a little-endian integer (the first UID byte is the least
  significant), which is what the common wedge readers print; the UID length is the
  smallest ISO 14443 size that holds the number: 4 or 7 bytes (17 digits cannot hold
  10). A 7-byte UID whose last three bytes are zero would come back as 4 bytes; no
  real card does that. Decimal numbers too large for 7 bytes are refused.
- an all-digit string of 10-17 characters is read as decimal; pass `fmt="hex"` for a
  reader known to type hex.
A 4-byte UID starting with 0x08 is a random UID (ISO 14443-3): new at every power-up,
so it cannot identify anyone.
"""

from __future__ import annotations

import re
from concurrent.futures import Future
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from pydantic import BaseModel

from drivers.device import Device
from drivers.model import DeviceKind, Lifecycle
from drivers.sim.faults import Fault, FaultPlan

UidFormat = Literal["auto", "hex", "decimal"]
ReadFailure = Literal["removed_mid_read", "unreadable"]

UID_SIZES = (4, 7, 10)  # single, double and triple size UIDs (ISO 14443-3)
WEDGE_UID_SIZES = (4, 7)  # 17 digits hold at most 7 bytes
MIN_UID_BYTES, MAX_UID_BYTES = 4, 10
RANDOM_UID_FIRST_BYTE = "08"

_SEPARATORS = re.compile(r"[\s:.\-]")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class CardPresented:
    uid: str  # normalized upper-case hex
    uid_is_random: bool


@dataclass(frozen=True)
class CardRemoved:
    pass


@dataclass(frozen=True)
class CardReadFailed:
    reason: ReadFailure


CardEvent = CardPresented | CardRemoved | CardReadFailed


class CardReaderSimulator(Protocol):
    """The controls of a simulated card reader."""

    @property
    def faults(self) -> FaultPlan: ...

    def inject(self, fault: Fault | str) -> None: ...

    def clear(self, fault: Fault | str) -> None: ...

    def active_faults(self) -> frozenset[Fault]: ...

    def tap(self, uid: str) -> Future[None]: ...

    def remove(self) -> Future[None]: ...


class CardReader(Device):
    kind = DeviceKind.CARD_READER
    settings_model: ClassVar[type[BaseModel]]
    simulator: CardReaderSimulator | None = None

    def __init__(
        self, device_id: str, settings: BaseModel, *, poll_interval_s: float | None = None
    ) -> None:
        super().__init__(device_id, poll_interval_s=poll_interval_s)
        self.settings = settings  # as validated from the config table

    def _deliver(self, event: CardEvent) -> None:
        """On the I/O thread: hand a card event to subscribers, only while enabled."""
        if self.lifecycle is Lifecycle.ENABLED:
            self._emit_data(event)


def normalize_uid(raw: str, fmt: UidFormat = "auto") -> str:
    """A card UID as upper-case hex; ValueError if `raw` is not a UID."""
    text = raw.strip()
    if not text:
        raise ValueError("empty card UID")
    digits_only = _DIGITS.fullmatch(text) is not None
    if fmt == "decimal":
        return _from_decimal(text, UID_SIZES)
    if fmt == "auto" and digits_only and 10 <= len(text) <= 17:
        return _from_decimal(text, WEDGE_UID_SIZES)
    return _from_hex(text)


def is_random_uid(uid: str) -> bool:
    """True for a normalized 4-byte UID whose first byte is 0x08."""
    return len(uid) == 8 and uid.startswith(RANDOM_UID_FIRST_BYTE)


def _from_hex(text: str) -> str:
    compact = _SEPARATORS.sub("", text)
    if compact[:2].lower() == "0x":
        compact = compact[2:]
    if not _HEX.fullmatch(compact) or len(compact) % 2:
        raise ValueError(f"not a card UID (hex expected): {_masked(text)}")
    if not MIN_UID_BYTES <= len(compact) // 2 <= MAX_UID_BYTES:
        raise ValueError(f"a card UID has 4 to 10 bytes, not {len(compact) // 2}")
    return compact.upper()


def _from_decimal(text: str, sizes: tuple[int, ...]) -> str:
    if not _DIGITS.fullmatch(text):
        raise ValueError(f"not a card UID (decimal expected): {_masked(text)}")
    value = int(text)
    for size in sizes:
        if value < 1 << (8 * size):
            return value.to_bytes(size, "little").hex().upper()
    raise ValueError(f"decimal card UID too large: {len(text)} digits")


def _masked(text: str) -> str:
    """Error messages may reach logs: never a whole UID (UU 27/2022)."""
    return repr(text[:4] + "..." if len(text) > 6 else text)
