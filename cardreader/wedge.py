"""Keyboard-wedge input: telling a reader's burst of keystrokes from a person typing.

A keyboard-wedge card reader (or a QR scanner reading a receipt) "types" what it read
as keystrokes and ends with Enter. It types fast and evenly: a few milliseconds between
keys, every time. A person types at 100-300 ms per key, unevenly. `BurstDetector` is fed
keystrokes with their timestamps and decides, key by key:

- a run of keys whose every gap is at most `max_gap_s`, at least `min_length` long and
  ended by Enter within `max_gap_s` of its last key, is a reader's burst (`Verdict.burst`);
- anything else is a person typing: the keys held back so far are released
  (`Verdict.released`), in order, for the caller to pass on.

It is pure and does no I/O and no timing of its own: timestamps come with the keys, and
the caller calls `expire(now)` (or `flush()`) when nothing came for `max_gap_s`. Two users:
- the evdev reader (cardreader.evdev_reader) grabs the device, so whatever it types goes
  nowhere else; released keys are garbage to drop (e.g. the tail of a line typed before
  the kiosk started);
- the Qt fallback (kiosk.ui.wedge_filter) holds keys back from the focused field while
  they may still be a burst, and replays released keys to it unchanged.

`read_line` turns a burst into what it means: a card UID (normalized, see
cardreader.base.normalize_uid) or a scanned code such as a receipt's pickup QR
("APM1:AMBIL:..."), which the kiosk layer parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from cardreader.base import CardPresented, UidFormat, is_random_uid, normalize_uid

DEFAULT_MAX_GAP_S = 0.030  # readers type at 1-15 ms per key; people at 100 ms and more
DEFAULT_MIN_LENGTH = 8  # the shortest UID a reader types: 4 bytes in hex
DEFAULT_MAX_LENGTH = 128  # longer than any UID or pickup QR: a stuck key, not a reader

# "APM1:AMBIL:...", "https://...": a scheme before a colon, with a letter that is not a
# hex digit in it, so "04:A3:B2:C1" (a UID with separators) is not taken for one.
_SCHEME = re.compile(r"^[0-9A-Za-z]*[G-Zg-z][0-9A-Za-z]*:")


class WedgeTiming(BaseModel):
    """How fast a reader types; part of every wedge reader's settings."""

    model_config = ConfigDict(extra="forbid")

    max_gap_s: float = Field(default=DEFAULT_MAX_GAP_S, gt=0, le=1.0)
    min_length: int = Field(default=DEFAULT_MIN_LENGTH, ge=1, le=64)
    max_length: int = Field(default=DEFAULT_MAX_LENGTH, ge=8, le=4096)

    def detector(self) -> BurstDetector:
        return BurstDetector(self.max_gap_s, self.min_length, self.max_length)


@dataclass(frozen=True)
class Verdict:
    """What to do after one keystroke.

    `released`: keys held back earlier that turned out to be a person typing (or garbage):
    pass them on (or drop them) now, in order, before anything else.
    `held`: the key just fed is held back (it may be part of a burst); if False, pass it on
    after the released keys.
    `burst`: a complete reader line, without its Enter (which is consumed).
    """

    released: str = ""
    held: bool = False
    burst: str | None = None


NOTHING = Verdict()


@dataclass(frozen=True)
class CodeScanned:
    """A wedge device typed a line that is not a card UID: a scanned QR or barcode.

    The kiosk decides what it is (kiosk.pickup.parse_pickup_code for a receipt's QR)."""

    text: str

    def __repr__(self) -> str:  # a scanned code may be a secret (a pickup code)
        return f"CodeScanned({mask(self.text)})"


class BurstDetector:
    """Key by key: a reader's burst or a person typing. Not thread-safe: one feeder."""

    def __init__(
        self,
        max_gap_s: float = DEFAULT_MAX_GAP_S,
        min_length: int = DEFAULT_MIN_LENGTH,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> None:
        if max_gap_s <= 0 or min_length < 1 or max_length < min_length:
            raise ValueError("need max_gap_s > 0 and 1 <= min_length <= max_length")
        self.max_gap_s = max_gap_s
        self.min_length = min_length
        self.max_length = max_length
        self._held: list[str] = []
        self._last_at: float | None = None

    @property
    def held(self) -> str:
        """The keys held back now."""
        return "".join(self._held)

    @property
    def deadline(self) -> float | None:
        """When the held keys must be released if no key comes (None: nothing held)."""
        if not self._held or self._last_at is None:
            return None
        return self._last_at + self.max_gap_s

    def key(self, char: str, at: float) -> Verdict:
        """A printable key typed at `at` (seconds, any monotonic clock)."""
        if len(char) != 1:
            raise ValueError(f"one character per key, not {len(char)}")
        released = self._release_if_stale(at)
        if len(self._held) >= self.max_length:  # nothing types this much without Enter
            released += self.flush()
            return Verdict(released=released + char, held=False)
        self._held.append(char)
        self._last_at = at
        return Verdict(released=released, held=True)

    def enter(self, at: float) -> Verdict:
        """Enter typed at `at`: the end of a burst, or a key a person pressed."""
        released = self._release_if_stale(at)
        if len(self._held) >= self.min_length:
            line = self.flush()
            return Verdict(released=released, held=True, burst=line)
        return Verdict(released=released + self.flush(), held=False)

    def other_key(self) -> Verdict:
        """A key that no reader types inside a burst (Backspace, Tab, arrows, Ctrl+...):
        whatever is held was a person typing. The key itself is never held."""
        return Verdict(released=self.flush(), held=False)

    def expire(self, now: float) -> Verdict:
        """Call when no key came for a while: release held keys if their time is up."""
        return Verdict(released=self._release_if_stale(now))

    def flush(self) -> str:
        """Give up waiting: return (and forget) the held keys."""
        held, self._held, self._last_at = "".join(self._held), [], None
        return held

    def _release_if_stale(self, now: float) -> str:
        if self._last_at is not None and now - self._last_at > self.max_gap_s:
            return self.flush()
        return ""


def read_line(text: str, uid_format: UidFormat = "auto") -> CardPresented | CodeScanned | None:
    """What a reader's line means: a card (normalized UID), a scanned code, or None
    for an empty line."""
    text = text.strip()
    if not text:
        return None
    if not _SCHEME.match(text):
        try:
            uid = normalize_uid(text, uid_format)
        except ValueError:
            pass
        else:
            return CardPresented(uid, uid_is_random=is_random_uid(uid))
    return CodeScanned(text)


def mask(text: str) -> str:
    """For logs and status details: never a whole UID or code (UU 27/2022)."""
    if len(text) <= 4:
        return f"…({len(text)} chars)"
    return f"{text[:2]}…({len(text)} chars)"
