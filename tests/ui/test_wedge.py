"""The keyboard-wedge fallback in the Qt application (kiosk.ui.wedge_filter): a reader's
burst is caught whole and never reaches a focused field; a person's typing reaches it
unchanged. First against a plain QML window with a focused TextField, with key events
whose timestamps the test sets (deterministic timing); then in the kiosk itself, with
keys typed through QTest (the window system's path, real time): only the burst
identifies the citizen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow
from PySide6.QtTest import QTest

from cardreader.wedge import WedgeTiming
from kiosk.ui.wedge_filter import WedgeFilter

pytestmark = pytest.mark.qt

SITI = "04A3B2C1D0E1F2"
SITI_17_DIGITS = str(int.from_bytes(bytes.fromhex(SITI), "little"))
BUDI = "5A3C9E01"
BUDI_10_DIGITS = str(int.from_bytes(bytes.fromhex(BUDI), "little")).zfill(10)
READER_GAP_MS = 4  # a wedge reader's pace
PERSON_GAP_MS = 180  # a person's

QML = b"""
import QtQuick
import QtQuick.Controls
Window {
    id: root
    width: 480; height: 160; visible: true
    property int presses: 0
    property int releases: 0
    property int enters: 0
    TextField {
        objectName: "field"
        width: 400; focus: true
        Keys.onPressed: (event) => { root.presses++; event.accepted = false }
        Keys.onReleased: (event) => { root.releases++; event.accepted = false }
        onAccepted: root.enters++
    }
}
"""


class Signals:
    def __init__(self, wedge: WedgeFilter) -> None:
        self.cards: list[tuple[str, bool]] = []
        self.codes: list[str] = []
        wedge.cardPresented.connect(lambda uid, random: self.cards.append((uid, random)))
        wedge.codeScanned.connect(self.codes.append)


@pytest.fixture
def wedge() -> Iterator[WedgeFilter]:
    installed = WedgeFilter(WedgeTiming(max_gap_s=0.030, min_length=8))
    app = QGuiApplication.instance()
    assert app is not None
    app.installEventFilter(installed)
    yield installed
    app.removeEventFilter(installed)


@pytest.fixture
def window(qtbot) -> Iterator[QQuickWindow]:
    engine = QQmlApplicationEngine()
    engine.loadData(QML)
    root = engine.rootObjects()[0]
    assert isinstance(root, QQuickWindow)
    qtbot.waitExposed(root)
    root.requestActivate()
    qtbot.waitUntil(lambda: field_of(root).property("activeFocus"))
    yield root
    root.close()
    del engine


def field_of(window: QQuickWindow) -> QObject:
    found = window.findChild(QObject, "field")
    assert found is not None
    return found


def text_in(window: QQuickWindow) -> str:
    return str(field_of(window).property("text"))


KEYS = {c: getattr(Qt.Key, f"Key_{c}") for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
KEYS[":"] = Qt.Key.Key_Colon


def send(window: QQuickWindow, kind: QEvent.Type, char: str, stamp_ms: int) -> None:
    if char == "\n":
        key, text, modifiers = Qt.Key.Key_Return, "\r", Qt.KeyboardModifier.NoModifier
    else:
        shift = char.isupper() or char == ":"
        key, text = KEYS[char.upper()], char
        modifiers = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    event = QKeyEvent(kind, key, modifiers, text)
    event.setTimestamp(stamp_ms)
    QCoreApplication.sendEvent(window, event)


def type_keys(window: QQuickWindow, text: str, start_ms: int, gap_ms: int) -> int:
    """Press and release each key of `text` ("\\n" is Enter), `gap_ms` apart, as the
    window system would stamp them; returns the time after the last key."""
    at = start_ms
    for char in text:
        send(window, QEvent.Type.KeyPress, char, at)
        send(window, QEvent.Type.KeyRelease, char, at + 1)
        at += gap_ms
    return at


def no_more_keys(qtbot, wedge: WedgeFilter) -> None:
    """Wait until nothing is held back (the hold timer has fired)."""
    qtbot.waitUntil(lambda: not wedge.holding, timeout=1000)
    qtbot.wait(50)


# --- a focused TextField, timestamps set by the test ----------------------------------------


def test_a_reader_burst_gives_the_uid_and_nothing_reaches_the_field(qtbot, wedge, window):
    signals = Signals(wedge)
    with qtbot.waitSignal(wedge.cardPresented, timeout=1000) as fired:
        type_keys(window, SITI_17_DIGITS + "\n", start_ms=10_000, gap_ms=READER_GAP_MS)
    assert fired.args == [SITI, False]  # normalized: the 17 digits are Siti's hex UID
    no_more_keys(qtbot, wedge)
    assert text_in(window) == ""
    assert window.property("presses") == 0 and window.property("releases") == 0
    assert window.property("enters") == 0  # nor its Enter
    assert signals.cards == [(SITI, False)] and signals.codes == []


def test_a_person_typing_the_same_digits_fills_the_field_and_no_card(qtbot, wedge, window):
    signals = Signals(wedge)
    type_keys(window, SITI_17_DIGITS + "\n", start_ms=10_000, gap_ms=PERSON_GAP_MS)
    no_more_keys(qtbot, wedge)
    assert text_in(window) == SITI_17_DIGITS
    assert window.property("enters") == 1  # their Enter too
    assert window.property("presses") == 18 and window.property("releases") == 18
    assert signals.cards == []


def test_a_ten_digit_decimal_and_a_hex_burst_are_normalized(qtbot, wedge, window):
    signals = Signals(wedge)
    end = type_keys(window, BUDI_10_DIGITS + "\n", start_ms=1_000, gap_ms=READER_GAP_MS)
    type_keys(window, BUDI.lower() + "\n", start_ms=end + 2_000, gap_ms=READER_GAP_MS)
    no_more_keys(qtbot, wedge)
    assert signals.cards == [(BUDI, False), (BUDI, False)]
    assert text_in(window) == ""


def test_a_scanned_pickup_qr_gives_the_code(qtbot, wedge, window):
    signals = Signals(wedge)
    type_keys(window, "APM1:AMBIL:123456789012\n", start_ms=1_000, gap_ms=READER_GAP_MS)
    no_more_keys(qtbot, wedge)
    assert signals.codes == ["APM1:AMBIL:123456789012"] and signals.cards == []
    assert text_in(window) == ""


def test_a_burst_that_is_neither_is_swallowed_and_dropped(qtbot, wedge, window):
    signals = Signals(wedge)
    type_keys(window, "HELLOWORLDXYZ\n", start_ms=1_000, gap_ms=READER_GAP_MS)
    no_more_keys(qtbot, wedge)
    assert (signals.cards, signals.codes, text_in(window)) == ([], [], "")


def test_a_tap_while_a_person_is_typing_leaves_their_digits(qtbot, wedge, window):
    signals = Signals(wedge)
    end = type_keys(window, "35", start_ms=1_000, gap_ms=PERSON_GAP_MS)
    end = type_keys(window, SITI + "\n", start_ms=end + 100, gap_ms=READER_GAP_MS)
    type_keys(window, "23", start_ms=end + 300, gap_ms=PERSON_GAP_MS)
    no_more_keys(qtbot, wedge)
    assert text_in(window) == "3523"
    assert signals.cards == [(SITI, False)]


def test_a_short_fast_run_is_typing(qtbot, wedge, window):
    signals = Signals(wedge)
    type_keys(window, "1234\n", start_ms=1_000, gap_ms=READER_GAP_MS)
    no_more_keys(qtbot, wedge)
    assert text_in(window) == "1234" and window.property("enters") == 1
    assert signals.cards == []


def test_shortcuts_and_editing_keys_are_never_held(qtbot, wedge, window):
    type_keys(window, "12", start_ms=1_000, gap_ms=PERSON_GAP_MS)
    no_more_keys(qtbot, wedge)
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QCoreApplication.sendEvent(
            window, QKeyEvent(kind, Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier)
        )
    assert not wedge.holding and text_in(window) == "1"  # at once, not after a hold


def test_a_held_key_reaches_the_field_without_waiting_for_another_key(qtbot, wedge, window):
    """The hold timer delivers a lone key after `max_gap_s` (30 ms): the citizen never
    has to type a second key to see the first. The bound only tells a timer from no
    timer; a loaded test machine must not make it flaky."""
    send(window, QEvent.Type.KeyPress, "7", 5_000)
    assert text_in(window) == "" and wedge.holding  # held: it may start a burst
    started = time.monotonic()
    qtbot.waitUntil(lambda: text_in(window) == "7", timeout=1000)
    assert time.monotonic() - started < 0.5
    send(window, QEvent.Type.KeyRelease, "7", 5_001)
    assert window.property("releases") == 1


# --- in the kiosk: keys typed through the window system -------------------------------------


@pytest.fixture
def demo_kiosk(qtbot, tmp_path: Path) -> Iterator[Any]:
    from kiosk.demo.settings import demo_settings
    from kiosk.ui.app import KioskWindow

    kiosk = KioskWindow.for_settings(demo_settings(tmp_path, auto_sign_s=0.2))
    qtbot.waitExposed(kiosk.window)
    qtbot.waitUntil(lambda: kiosk.bridge.vm["ready"], timeout=20000)
    assert kiosk.wedge is not None  # the kiosk installs its own filter once it runs
    yield kiosk
    kiosk.close()


def on_identify_screen(qtbot, kiosk: Any) -> QObject:
    from tests.ui.helpers import click, find, screen_is

    click(qtbot, kiosk, "startButton")
    qtbot.waitUntil(screen_is(kiosk, "identify"))
    click(qtbot, kiosk, "nikInput")
    nik = find(kiosk, "nikInput")
    qtbot.waitUntil(lambda: nik.property("activeFocus"))
    return nik


def test_in_the_kiosk_only_the_burst_identifies(qtbot, demo_kiosk):
    from tests.ui.helpers import screen_is, texts

    nik = on_identify_screen(qtbot, demo_kiosk)
    for key in [KEYS[digit] for digit in BUDI_10_DIGITS] + [Qt.Key.Key_Return]:
        qtbot.wait(PERSON_GAP_MS)  # a person, at a person's pace (the GUI runs meanwhile)
        QTest.keyClick(demo_kiosk.window, key)
    qtbot.wait(200)
    assert nik.property("text") == BUDI_10_DIGITS
    assert demo_kiosk.bridge.vm["screen"] == "identify"  # typing is not a card
    nik.setProperty("text", "")
    seen: list[str] = []
    nik.textChanged.connect(lambda: seen.append(nik.property("text")))
    for key in [KEYS[digit] for digit in SITI_17_DIGITS] + [Qt.Key.Key_Return]:
        QTest.keyClick(demo_kiosk.window, key)  # the reader: key after key, at once
    qtbot.waitUntil(screen_is(demo_kiosk, "services"), timeout=10000)
    assert "Selamat datang, Siti Rahayu" in texts(demo_kiosk)
    assert seen == []  # not one digit of the burst landed in the field


def test_in_the_kiosk_a_scanned_receipt_qr_opens_pickup_from_the_attract_screen(qtbot, demo_kiosk):
    """The citizen came back with the receipt: holding its QR under the scanner is all
    it takes, on the attract screen, without finding the pickup button first."""
    from tests.ui.helpers import screen_is, texts

    assert demo_kiosk.bridge.vm["screen"] == "attract"
    unknown = "APM1:AMBIL:999999999999"
    for char in unknown + "\n":
        key = Qt.Key.Key_Return if char == "\n" else KEYS[char.upper()]
        QTest.keyClick(demo_kiosk.window, key, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(screen_is(demo_kiosk, "pickup"), timeout=5000)
    qtbot.waitUntil(lambda: demo_kiosk.bridge.vm["pickupError"] != "", timeout=10000)
    assert "999999999999" not in texts(demo_kiosk)  # nothing typed into the code field
