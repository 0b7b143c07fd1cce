"""Keyboard-wedge readers through evdev: the key map (checked against the kernel's codes
as python-evdev knows them), then the driver. With /dev/uinput (root, and a kernel with
uinput) the driver reads a real virtual keyboard; without it, a scripted keyboard at the
driver's seam (`source_opener`) reports key events as the kernel would."""

from __future__ import annotations

import contextlib
import errno
import queue
import time
from typing import Any

import pytest
from evdev import ecodes
from pydantic import ValidationError

from cardreader.base import CardPresented
from cardreader.evdev_reader import (
    KEY_DOWN,
    KEY_REPEAT,
    KEY_UP,
    EvdevCardReader,
    EvdevCardReaderSettings,
    KeyEvent,
    KeyTranslator,
    open_evdev,
)
from cardreader.line_reader import ReaderLost
from cardreader.wedge import CodeScanned
from drivers.model import Availability
from tests.devices.conftest import WAIT_S, EventRecorder

SITI = "04A3B2C1D0E1F2"
BUDI = "5A3C9E01"
BUDI_10_DIGITS = str(int.from_bytes(bytes.fromhex(BUDI), "little")).zfill(10)
PICKUP_QR = "APM1:AMBIL:123456789012"

# What a US-layout keyboard types, by the kernel's key names: (unshifted, shifted).
US_KEYS = {
    **{f"KEY_{d}": (d, s) for d, s in zip("1234567890", "!@#$%^&*()", strict=True)},
    **{f"KEY_{c.upper()}": (c, c.upper()) for c in "abcdefghijklmnopqrstuvwxyz"},
    "KEY_MINUS": ("-", "_"), "KEY_EQUAL": ("=", "+"), "KEY_LEFTBRACE": ("[", "{"),
    "KEY_RIGHTBRACE": ("]", "}"), "KEY_SEMICOLON": (";", ":"), "KEY_APOSTROPHE": ("'", '"'),
    "KEY_GRAVE": ("`", "~"), "KEY_BACKSLASH": ("\\", "|"), "KEY_COMMA": (",", "<"),
    "KEY_DOT": (".", ">"), "KEY_SLASH": ("/", "?"), "KEY_SPACE": (" ", " "),
    **{f"KEY_KP{d}": (d, d) for d in "0123456789"},
    "KEY_KPDOT": (".", "."), "KEY_KPMINUS": ("-", "-"), "KEY_KPPLUS": ("+", "+"),
    "KEY_KPASTERISK": ("*", "*"), "KEY_KPSLASH": ("/", "/"),
}  # fmt: skip
CHAR_TO_KEY = {plain: (name, False) for name, (plain, _) in US_KEYS.items() if "KP" not in name}
CHAR_TO_KEY |= {
    shifted: (name, True)
    for name, (plain, shifted) in US_KEYS.items()
    if shifted != plain and "KP" not in name
}


def key_events(text: str, start: float, gap: float = 0.004, enter: bool = True) -> list[KeyEvent]:
    """The events a reader's keyboard sends typing `text` (+ Enter), one key every `gap`."""
    shift = ecodes.ecodes["KEY_LEFTSHIFT"]
    events, at = [], start
    for char in text:
        name, shifted = CHAR_TO_KEY[char]
        code = ecodes.ecodes[name]
        if shifted:
            events.append(KeyEvent(shift, KEY_DOWN, at))
        events += [KeyEvent(code, KEY_DOWN, at), KeyEvent(code, KEY_UP, at + 0.001)]
        if shifted:
            events.append(KeyEvent(shift, KEY_UP, at + 0.001))
        at += gap
    if enter:
        code = ecodes.ecodes["KEY_ENTER"]
        events += [KeyEvent(code, KEY_DOWN, at), KeyEvent(code, KEY_UP, at + 0.001)]
    return events


# --- the key map ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "chars"), sorted(US_KEYS.items()))
def test_every_key_a_reader_types_maps_to_its_character(name: str, chars: tuple[str, str]):
    code = ecodes.ecodes[name]
    plain = KeyTranslator()
    assert plain.feed(KeyEvent(code, KEY_DOWN, 0.0)) == chars[0]
    shifted = KeyTranslator()
    shifted.feed(KeyEvent(ecodes.ecodes["KEY_RIGHTSHIFT"], KEY_DOWN, 0.0))
    assert shifted.feed(KeyEvent(code, KEY_DOWN, 0.0)) == chars[1]


def test_shift_caps_lock_repeats_and_releases():
    translator = KeyTranslator()
    a, shift, caps = ecodes.KEY_A, ecodes.KEY_LEFTSHIFT, ecodes.KEY_CAPSLOCK
    assert translator.feed(KeyEvent(a, KEY_UP, 0)) is None
    assert translator.feed(KeyEvent(a, KEY_REPEAT, 0)) is None
    assert translator.feed(KeyEvent(shift, KEY_DOWN, 0)) is None
    assert translator.feed(KeyEvent(a, KEY_DOWN, 0)) == "A"
    assert translator.feed(KeyEvent(shift, KEY_UP, 0)) is None
    assert translator.feed(KeyEvent(a, KEY_DOWN, 0)) == "a"
    assert translator.feed(KeyEvent(caps, KEY_DOWN, 0)) is None
    assert translator.feed(KeyEvent(a, KEY_DOWN, 0)) == "A"
    assert translator.feed(KeyEvent(ecodes.KEY_1, KEY_DOWN, 0)) == "1"  # caps: letters only
    assert translator.feed(KeyEvent(ecodes.KEY_ENTER, KEY_DOWN, 0)) == "\n"
    assert translator.feed(KeyEvent(ecodes.KEY_KPENTER, KEY_DOWN, 0)) == "\n"
    assert translator.feed(KeyEvent(ecodes.KEY_TAB, KEY_DOWN, 0)) is None
    assert translator.feed(KeyEvent(ecodes.KEY_F1, KEY_DOWN, 0)) is None


# --- settings ------------------------------------------------------------------------------


def settings(**table: Any) -> EvdevCardReaderSettings:
    return EvdevCardReaderSettings.model_validate({"type": "evdev", **table})


@pytest.mark.parametrize(
    ("table", "message"),
    [({}, "give either device"), ({"device": "/dev/input/event3", "name": "RFID"}, "either"),
     ({"name": "RFID("}, "not a regular expression"), ({"name": "x", "max_gap_s": 0}, "max_gap_s")],
)  # fmt: skip
def test_bad_settings_are_refused(table: dict[str, Any], message: str):
    with pytest.raises(ValidationError) as raised:
        settings(**table)
    assert message in str(raised.value)


# --- the real opener, without a device -----------------------------------------------------


def test_a_missing_device_path_is_no_device():
    with pytest.raises(ReaderLost) as raised:
        open_evdev(settings(device="/dev/input/by-id/usb-none-event-kbd"))
    assert raised.value.availability is Availability.NO_DEVICE
    assert "no input device /dev/input/by-id/usb-none-event-kbd" in raised.value.detail


def test_no_device_with_that_name_is_no_device():
    with pytest.raises(ReaderLost) as raised:
        open_evdev(settings(name="APM test reader that does not exist"))
    assert raised.value.availability is Availability.NO_DEVICE
    assert "no input device named like" in raised.value.detail


def test_the_real_driver_waits_for_a_missing_reader(started):
    device = started(EvdevCardReader("reader", settings(device="/nonexistent/event-kbd")))
    assert device.status.availability is Availability.NO_DEVICE
    assert device.status.detail == "no input device /nonexistent/event-kbd"


# --- the driver with a scripted keyboard at its seam ---------------------------------------


class ScriptedKeyboard:
    """A USB keyboard-wedge reader as the kernel reports it: key events, unplug, plug."""

    def __init__(self) -> None:
        self.plugged = True
        self.opened = 0
        self.grabbed = False
        self._events: queue.Queue[KeyEvent | None] = queue.Queue()  # None: unplugged

    def open(self, settings: EvdevCardReaderSettings) -> ScriptedKeyboard:
        if not self.plugged:
            raise ReaderLost(f"no input device {settings.device}")
        self.opened += 1
        self.grabbed = settings.grab
        self.description = "'Scripted RFID Reader' at /dev/input/event7, grabbed"
        return self

    def read(self, timeout_s: float) -> list[KeyEvent]:
        try:
            first = self._events.get(timeout=timeout_s)
        except queue.Empty:
            return []
        events = [first]
        with contextlib.suppress(queue.Empty):
            while True:
                events.append(self._events.get_nowait())
        if None in events:
            raise ReaderLost("input device gone: No such device")
        return [event for event in events if event is not None]

    def close(self) -> None:
        self.grabbed = False

    def send(self, events: list[KeyEvent]) -> None:
        for event in events:
            self._events.put(event)

    def type(self, text: str, gap: float = 0.004, enter: bool = True) -> None:
        self.send(key_events(text, time.time(), gap, enter))

    def unplug(self) -> None:
        self.plugged = False
        self._events.put(None)

    def plug(self) -> None:
        self._events = queue.Queue()
        self.plugged = True


@pytest.fixture
def keyboard() -> ScriptedKeyboard:
    return ScriptedKeyboard()


def scripted_reader(keyboard: ScriptedKeyboard, **table: Any) -> EvdevCardReader:
    cls = type("ScriptedEvdevReader", (EvdevCardReader,), {"source_opener": keyboard.open})
    table = {"device": "/dev/input/event7", "reopen_s": 0.05, "repeat_suppress_s": 0, **table}
    reader: EvdevCardReader = cls("reader", settings(**table))
    return reader


def wait_data(recorder: EventRecorder, count: int) -> list[Any]:
    recorder.wait_for(lambda _e: len(recorder.data()) >= count)
    return recorder.data()


def test_a_tap_typed_by_the_reader_is_a_card(started, keyboard: ScriptedKeyboard):
    device = started(scripted_reader(keyboard))
    recorder = EventRecorder(device)
    assert device.status.availability is Availability.ONLINE
    assert keyboard.grabbed
    keyboard.type(SITI.lower())
    keyboard.type(BUDI_10_DIGITS)
    assert wait_data(recorder, 2) == [CardPresented(SITI, False), CardPresented(BUDI, False)]


def test_garbage_around_reader_lines_is_dropped(started, keyboard: ScriptedKeyboard):
    reader = started(scripted_reader(keyboard))
    recorder = EventRecorder(reader)
    keyboard.type("12", gap=0.5, enter=False)  # keys left over, slow: not a reader line
    keyboard.type("abc", enter=True)  # too short
    keyboard.type(SITI)
    assert wait_data(recorder, 1) == [CardPresented(SITI, False)]
    assert reader.garbage_dropped == 5


def test_a_line_with_a_long_pause_keeps_only_what_came_after(started, keyboard):
    reader = started(scripted_reader(keyboard, max_gap_s=0.1))
    recorder = EventRecorder(reader)
    start = time.time()
    keyboard.send(key_events("FFFF", start, enter=False) + key_events(BUDI, start + 1.0))
    assert wait_data(recorder, 1) == [CardPresented(BUDI, False)]
    assert reader.garbage_dropped == 4


def test_a_qr_scanner_delivers_pickup_codes_when_asked(started, keyboard: ScriptedKeyboard):
    recorder = EventRecorder(started(scripted_reader(keyboard, accept_codes=True)))
    keyboard.type(PICKUP_QR)
    assert wait_data(recorder, 1) == [CodeScanned(PICKUP_QR)]


def test_a_card_reader_ignores_codes(started, keyboard: ScriptedKeyboard):
    recorder = EventRecorder(started(scripted_reader(keyboard)))
    keyboard.type(PICKUP_QR)
    keyboard.type(BUDI)
    assert wait_data(recorder, 1) == [CardPresented(BUDI, False)]


def test_an_unplugged_reader_is_no_device_and_works_again_when_back(started, keyboard):
    device = started(scripted_reader(keyboard))
    recorder = EventRecorder(device)
    keyboard.type(SITI)
    wait_data(recorder, 1)
    keyboard.unplug()
    recorder.wait_status(
        availability=Availability.NO_DEVICE, detail="input device gone: No such device"
    )
    recorder.wait_status(detail="no input device /dev/input/event7")  # looking for it again
    assert not keyboard.grabbed  # let go of
    time.sleep(0.2)  # a few reopen attempts fail meanwhile
    assert device.status.availability is Availability.NO_DEVICE
    keyboard.plug()
    recorder.wait_status(availability=Availability.ONLINE)
    keyboard.type(BUDI)
    assert wait_data(recorder, 2)[1] == CardPresented(BUDI, False)
    assert keyboard.opened == 2


def test_a_half_typed_line_before_an_unplug_is_not_glued_to_the_next(started, keyboard):
    device = started(scripted_reader(keyboard))
    recorder = EventRecorder(device)
    keyboard.type("04A3B2", enter=False)
    keyboard.unplug()
    recorder.wait_status(availability=Availability.NO_DEVICE)
    keyboard.plug()
    recorder.wait_status(availability=Availability.ONLINE)
    keyboard.type(BUDI)  # glued, "04A3B25A3C9E01" would be another card's UID
    assert wait_data(recorder, 1) == [CardPresented(BUDI, False)]


def test_keys_never_reach_the_log_in_full(started, keyboard: ScriptedKeyboard, caplog):
    caplog.set_level("DEBUG")
    recorder = EventRecorder(started(scripted_reader(keyboard, accept_codes=True)))
    keyboard.type("98765", gap=0.5)
    keyboard.type(SITI)
    keyboard.type(PICKUP_QR)
    wait_data(recorder, 2)
    for secret in (SITI, "123456789012", "98765"):
        assert secret not in caplog.text


# --- a real virtual keyboard through /dev/uinput -------------------------------------------


def uinput_or_skip() -> Any:
    from evdev import UInput, UInputError

    try:
        return UInput(
            {ecodes.EV_KEY: sorted({ecodes.ecodes[n] for n in US_KEYS} | {ecodes.KEY_ENTER,
             ecodes.KEY_LEFTSHIFT})},
            name="APM test wedge reader",
        )  # fmt: skip
    except (UInputError, OSError) as error:
        pytest.skip(f"no uinput here (needs root and a kernel with uinput): {error}")


def type_on(uinput: Any, text: str) -> None:
    for event in key_events(text, 0.0):
        uinput.write(ecodes.EV_KEY, event.code, event.value)
        uinput.syn()
        time.sleep(0.002)


def test_a_real_virtual_keyboard_is_grabbed_and_read(started):
    uinput = uinput_or_skip()
    try:
        time.sleep(0.2)  # udev makes the event node
        device = started(EvdevCardReader("reader", settings(name="^APM test wedge reader$")))
        recorder = EventRecorder(device)
        assert device.status.availability is Availability.ONLINE, device.status
        from evdev import InputDevice

        other = InputDevice(uinput.device.path)
        with pytest.raises(OSError) as raised:  # nobody else gets its keys
            other.grab()
        assert raised.value.errno == errno.EBUSY
        other.close()
        type_on(uinput, BUDI_10_DIGITS)
        assert wait_data(recorder, 1) == [CardPresented(BUDI, False)]
    finally:
        uinput.close()
    recorder.wait_status(availability=Availability.NO_DEVICE, timeout_s=WAIT_S)
    again = uinput_or_skip()
    try:
        recorder.wait_status(availability=Availability.ONLINE, timeout_s=WAIT_S)
        time.sleep(0.1)
        type_on(again, SITI)
        assert wait_data(recorder, 2)[1] == CardPresented(SITI, False)
    finally:
        again.close()
