"""Keyboard-wedge readers (and QR scanners) read below the UI, through Linux evdev.

    [devices.card_reader]
    type = "evdev"
    device = "/dev/input/by-id/usb-Sycreader_RFID_Reader-event-kbd"   # or:
    # name = "RFID|Card Reader"   # a regex searched (case-insensitive) in device names
    # grab = true                 # take the device exclusively (the default)
    # uid_format = "auto"         # "hex" | "decimal" | "auto" (see cardreader.base)
    # accept_codes = false        # true for a QR scanner: pickup QR codes as CodeScanned

A keyboard-wedge reader is a USB keyboard that types the card's UID and Enter. Read as a
keyboard, its digits land in whatever field has the focus. This driver opens the HID
device with python-evdev and grabs it (EVIOCGRAB): from then on its keystrokes reach
only this driver, never the X server, the compositor or a form field. That is the
pattern field-proven kiosk software uses. Keystroke timing in the UI
(kiosk.ui.wedge_filter) stays as the fallback where a device cannot be grabbed.

Its own thread reads key events, maps key codes to characters (US layout, as readers
type: digits, letters, the punctuation of URLs and QR payloads, the keypad; Shift and
Caps Lock), and runs them through a `BurstDetector`: every line ended by Enter is the
reader's, and the timing only drops garbage (keys left from before the kiosk started,
a line with a long pause in it). A line becomes a CardPresented with the normalized UID
(or, with `accept_codes`, a CodeScanned) on the device's I/O thread.

When the device disappears (unplugged), the status says no-device and the driver looks
for it again every `reopen_s`. The kiosk user needs read access to /dev/input/event*
(the `input` group, or a udev rule: see config/wedge-reader.toml).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re
import select
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from pydantic import Field, field_validator, model_validator

from cardreader.line_reader import LineCardReader, LineReaderSettings, ReaderLost
from cardreader.wedge import BurstDetector, mask
from drivers.model import Availability

log = logging.getLogger(__name__)

KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
ENTER = "\n"
MAX_LINE = 128  # characters; longer is a stuck key, not a reader

# Linux input event codes (linux/input-event-codes.h, a stable kernel ABI) of the keys a
# reader types, with the character each gives unshifted and with Shift (US layout).
_ROWS: dict[int, str] = {
    2: "1234567890-=",  # KEY_1 .. KEY_EQUAL
    16: "qwertyuiop[]",  # KEY_Q .. KEY_RIGHTBRACE
    30: "asdfghjkl;'`",  # KEY_A .. KEY_GRAVE
    43: "\\zxcvbnm,./",  # KEY_BACKSLASH .. KEY_SLASH
}
_SHIFTED_ROWS: dict[int, str] = {
    2: "!@#$%^&*()_+",
    16: "QWERTYUIOP{}",
    30: 'ASDFGHJKL:"~',
    43: "|ZXCVBNM<>?",
}
KEY_SPACE = 57
KEYPAD: dict[int, str] = {
    55: "*", 71: "7", 72: "8", 73: "9", 74: "-", 75: "4", 76: "5", 77: "6", 78: "+",
    79: "1", 80: "2", 81: "3", 82: "0", 83: ".", 98: "/",
}  # fmt: skip
ENTER_KEYS = frozenset({28, 96})  # KEY_ENTER, KEY_KPENTER
SHIFT_KEYS = frozenset({42, 54})  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
KEY_CAPSLOCK = 58
NOT_TYPING = SHIFT_KEYS | {KEY_CAPSLOCK}  # keys a reader presses that end no line


def _table(rows: dict[int, str]) -> dict[int, str]:
    return {first + i: char for first, chars in rows.items() for i, char in enumerate(chars)}


PLAIN = {**_table(_ROWS), KEY_SPACE: " ", **KEYPAD}
SHIFTED = {**_table(_SHIFTED_ROWS), KEY_SPACE: " ", **KEYPAD}


@dataclass(frozen=True)
class KeyEvent:
    """One EV_KEY event: `value` is KEY_DOWN, KEY_UP or KEY_REPEAT; `at` in seconds."""

    code: int
    value: int
    at: float


class KeyTranslator:
    """Key events in, characters out (ENTER for Enter); None for keys that type nothing."""

    def __init__(self) -> None:
        self._shift_down: set[int] = set()
        self._caps_lock = False

    def feed(self, event: KeyEvent) -> str | None:
        if event.code in SHIFT_KEYS:
            if event.value == KEY_UP:
                self._shift_down.discard(event.code)
            else:
                self._shift_down.add(event.code)
            return None
        if event.value != KEY_DOWN:  # releases and auto-repeat type nothing new
            return None
        if event.code == KEY_CAPSLOCK:
            self._caps_lock = not self._caps_lock
            return None
        if event.code in ENTER_KEYS:
            return ENTER
        char = (SHIFTED if self._shift_down else PLAIN).get(event.code)
        if char is not None and self._caps_lock and char.isalpha():
            char = char.swapcase()
        return char


class KeySource(Protocol):
    """An opened (and grabbed) input device. Used from the reader's thread only."""

    description: str

    def read(self, timeout_s: float) -> list[KeyEvent]:
        """Key events that arrived within `timeout_s`. Raises ReaderLost when gone."""

    def close(self) -> None:
        """Ungrab and close; must not raise."""


class EvdevCardReaderSettings(LineReaderSettings):
    type: Literal["evdev"]
    device: str | None = Field(default=None, min_length=1)  # a path in /dev/input
    name: str | None = Field(default=None, min_length=1)  # a regex for the device name
    grab: bool = True
    # Readers type a line in a burst; a pause longer than this drops what came before.
    max_gap_s: float = Field(default=0.25, gt=0, le=2)
    min_length: int = Field(default=8, ge=1, le=64)  # shorter lines are garbage

    @field_validator("name")
    @classmethod
    def _a_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a regular expression: {error}") from None
        return value

    @model_validator(mode="after")
    def _one_way_to_find_it(self) -> EvdevCardReaderSettings:
        if (self.device is None) == (self.name is None):
            raise ValueError(
                "give either device (/dev/input/by-id/...-event-kbd) or name (a pattern)"
            )
        return self


# --- python-evdev, imported only when the device is opened --------------------------------


class EvdevKeySource:
    """A /dev/input/event* device through python-evdev."""

    def __init__(self, device: Any, *, grabbed: bool) -> None:
        self._device = device
        self.grabbed = grabbed
        how = "grabbed" if grabbed else "NOT grabbed: its keys reach the screen too"
        self.description = f"{device.name!r} at {device.path}, {how}"

    def read(self, timeout_s: float) -> list[KeyEvent]:
        from evdev import ecodes

        try:
            ready, _, _ = select.select([self._device.fd], [], [], timeout_s)
            if not ready:
                return []
            return [
                KeyEvent(event.code, event.value, event.timestamp())
                for event in self._device.read()
                if event.type == ecodes.EV_KEY
            ]
        except BlockingIOError:
            return []
        except OSError as error:  # ENODEV: unplugged
            raise ReaderLost(f"input device gone: {error.strerror or error}") from None

    def close(self) -> None:
        if self.grabbed:
            with contextlib.suppress(OSError):  # an unplugged device cannot be ungrabbed
                self._device.ungrab()
        with contextlib.suppress(OSError):
            self._device.close()


def open_evdev(settings: EvdevCardReaderSettings) -> KeySource:
    """Find, open and (by default) grab the reader's input device. Raises ReaderLost."""
    try:
        import evdev
    except ImportError:
        raise ReaderLost("python-evdev is not installed", Availability.ERROR) from None
    path = settings.device or _path_by_name(evdev, settings.name or "")
    try:
        device = evdev.InputDevice(path)
    except FileNotFoundError:
        raise ReaderLost(f"no input device {path}") from None
    except PermissionError:
        raise ReaderLost(
            f"{path}: permission denied (is the kiosk user in the input group?)",
            Availability.ERROR,
        ) from None
    except OSError as error:
        raise ReaderLost(f"{path}: {error.strerror or error}") from None
    if settings.grab:
        _grab(device)
    return EvdevKeySource(device, grabbed=settings.grab)


def _grab(device: Any) -> None:
    try:
        device.grab()
    except OSError as error:
        with contextlib.suppress(OSError):
            device.close()
        if error.errno == errno.EBUSY:
            raise ReaderLost(
                f"{device.path}: grabbed by another program", Availability.ERROR
            ) from None
        raise ReaderLost(f"{device.path}: cannot grab: {error.strerror or error}") from None


def _path_by_name(evdev: Any, pattern: str) -> str:
    wanted = re.compile(pattern, re.IGNORECASE)
    for path in sorted(evdev.list_devices(), key=_event_number):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to read
            device = evdev.InputDevice(path)
            name = device.name
            device.close()
            if wanted.search(name):
                return str(path)
    raise ReaderLost(f"no input device named like {pattern!r}")


def _event_number(path: str) -> int:
    digits = re.search(r"(\d+)$", Path(path).name)
    return int(digits.group(1)) if digits else 0


# --- the device ----------------------------------------------------------------------------


Opener = Callable[[EvdevCardReaderSettings], KeySource]


class EvdevCardReader(LineCardReader):
    settings_model = EvdevCardReaderSettings
    settings: EvdevCardReaderSettings
    # The seam to the kernel: tests without /dev/uinput give a scripted source here.
    source_opener: ClassVar[Opener] = staticmethod(open_evdev)

    def __init__(self, device_id: str, settings: EvdevCardReaderSettings) -> None:
        super().__init__(device_id, settings)
        self._source: KeySource | None = None
        self._translator = KeyTranslator()
        self._detector = self._new_detector()
        self.garbage_dropped = 0  # characters typed outside a reader line (for tests, health)

    @property
    def model(self) -> str:
        return "keyboard-wedge reader (evdev)"

    def _new_detector(self) -> BurstDetector:
        s = self.settings
        return BurstDetector(s.max_gap_s, s.min_length, MAX_LINE)

    # --- on the reader's own thread --------------------------------------------------------

    def _connect(self) -> str:
        self._source = type(self).source_opener(self.settings)
        self._translator, self._detector = KeyTranslator(), self._new_detector()
        return self._source.description

    def _read_lines(self, timeout_s: float) -> list[str]:
        assert self._source is not None
        return list(self._lines(self._source.read(timeout_s)))

    def _lines(self, events: Iterable[KeyEvent]) -> Iterable[str]:
        for event in events:
            char = self._translator.feed(event)
            if char is None:
                if event.value == KEY_DOWN and event.code not in NOT_TYPING:
                    self._drop(self._detector.other_key().released)  # Tab, Backspace, ...
                continue
            if char == ENTER:
                verdict = self._detector.enter(event.at)
            else:
                verdict = self._detector.key(char, event.at)
            self._drop(verdict.released)
            if not verdict.held and char != ENTER:
                self._drop(char)
            if verdict.burst is not None:
                yield verdict.burst

    def _drop(self, garbage: str) -> None:
        if garbage:
            self.garbage_dropped += len(garbage)
            self._ignored_lines += 1
            log.info("%s: dropped keys outside a reader line: %s", self.device_id, mask(garbage))

    def _disconnect(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            source.close()
