"""Keyboard-wedge readers caught in the Qt application, for readers that cannot be grabbed.

The preferred way to read a keyboard-wedge reader (or a QR scanner) is below the UI,
grabbed through evdev (cardreader.evdev_reader): its keys then never reach Qt at all.
Where that is impossible (no access to /dev/input, a reader behind a KVM, a Wayland
session that owns the devices), this application-wide event filter is the fallback.

It sees every key event when it first reaches a window, before any QML item does:
- a printable key (no Ctrl/Alt/Meta) is held back while it may still be the start of a
  reader's burst (cardreader.wedge.BurstDetector: keys at most `max_gap_s` apart, at
  least `min_length` of them, then Enter);
- a burst is swallowed whole, its key releases and its Enter too: not one character lands
  in a focused TextField or TextInput. It becomes a signal: `cardPresented(uid, random)`
  with the normalized UID, or `codeScanned(text)` with what a scanner read from a
  receipt's pickup QR (kiosk.pickup.is_pickup_scan), which the flow parses; other
  bursts are dropped (and logged, masked);
- anything else is a person typing: the held keys are replayed to the same window,
  unchanged and in order, and the key at hand follows them.

Latency budget: a person's keystroke reaches the focused item at most `max_gap_s`
(default 30 ms) after it was typed, plus the timer's slack (about 1 ms): at once when
the next key comes later than that, else when the hold timer fires. Only keys typed less
than `max_gap_s` apart (a fast roll-over) wait together, each one at most `max_gap_s`
after the last of them. 30 ms is below what a person notices in a text field (about
100 ms), and above the 1-15 ms between a reader's keys.

Timing comes from the key events' own timestamps (the window system's), so a GUI thread
busy rendering while a burst arrives still sees the burst's real rhythm; events without
a timestamp are timed on arrival.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QWindow

from cardreader.base import CardPresented, UidFormat
from cardreader.wedge import CodeScanned, Verdict, WedgeTiming, mask, read_line
from kiosk.pickup import is_pickup_scan

log = logging.getLogger(__name__)

KEY_EVENTS = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
ENTER_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})
# Keys a reader presses around its characters (Shift for upper-case hex): neither typed
# text nor the end of a burst, so they pass and leave the burst going.
MODIFIER_KEYS = frozenset(
    {Qt.Key.Key_Shift, Qt.Key.Key_CapsLock, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta}
)
COMMAND_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)


@dataclass(frozen=True)
class HeldKey:
    """A copy of a key event held back (Qt reuses the original once delivered)."""

    window: QWindow
    type: QEvent.Type
    key: int
    modifiers: Qt.KeyboardModifier
    text: str
    scan_code: int
    virtual_key: int
    native_modifiers: int
    timestamp: int

    @classmethod
    def of(cls, window: QWindow, event: QKeyEvent) -> HeldKey:
        return cls(
            window,
            event.type(),
            event.key(),
            event.modifiers(),
            event.text(),
            event.nativeScanCode(),
            event.nativeVirtualKey(),
            event.nativeModifiers(),
            event.timestamp(),
        )

    def event(self) -> QKeyEvent:
        copy = QKeyEvent(
            self.type,
            self.key,
            self.modifiers,
            self.scan_code,
            self.virtual_key,
            self.native_modifiers,
            self.text,
        )
        copy.setTimestamp(self.timestamp)
        return copy


class WedgeFilter(QObject):
    """Install on the application: `app.installEventFilter(WedgeFilter(...))`."""

    cardPresented = Signal(str, bool)  # normalized UID, whether it is a random UID
    codeScanned = Signal(str)  # a receipt's pickup QR as scanned (the flow reads the code)

    def __init__(
        self,
        timing: WedgeTiming | None = None,
        uid_format: UidFormat = "auto",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._timing = timing or WedgeTiming()
        self._uid_format: UidFormat = uid_format
        self._detector = self._timing.detector()
        self._held: list[HeldKey] = []  # presses and releases, in order
        self._held_presses: Counter[int] = Counter()  # keys pressed in what is held
        self._swallowed: Counter[int] = Counter()  # keys of a burst: their releases go too
        self._replaying = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, round(self._timing.max_gap_s * 1000)))
        self._timer.timeout.connect(self._time_up)

    @property
    def holding(self) -> bool:
        """Keys are held back now (tests and diagnostics)."""
        return bool(self._held)

    def flush(self) -> None:
        """Replay what is held now (e.g. before the window closes)."""
        self._timer.stop()
        self._replay(self._detector.flush())

    # --- the filter --------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._replaying or event.type() not in KEY_EVENTS or not isinstance(watched, QWindow):
            return False  # items see the event after its window: judge it once, there
        assert isinstance(event, QKeyEvent)
        if event.type() == QEvent.Type.KeyPress:
            return self._press(watched, event)
        return self._release(watched, event)

    def _press(self, window: QWindow, event: QKeyEvent) -> bool:
        key = event.key()
        if key in MODIFIER_KEYS:
            return False
        at = self._seconds(event)
        text = event.text()
        if key in ENTER_KEYS:
            verdict = self._detector.enter(at)
        elif (
            len(text) == 1
            and text.isprintable()
            and not event.isAutoRepeat()
            and not event.modifiers() & COMMAND_MODIFIERS
        ):
            verdict = self._detector.key(text, at)
        else:
            verdict = self._detector.other_key()
        return self._apply(verdict, window, event)

    def _release(self, window: QWindow, event: QKeyEvent) -> bool:
        key = event.key()
        if self._swallowed[key] > 0:
            self._swallowed[key] -= 1
            return True
        if self._held_presses[key] > 0:  # its press is held: keep the order
            self._held.append(HeldKey.of(window, event))
            return True
        return False

    def _apply(self, verdict: Verdict, window: QWindow, event: QKeyEvent) -> bool:
        self._replay(verdict.released)
        if verdict.burst is not None:
            self._timer.stop()
            self._swallowed[event.key()] += 1  # the Enter's release
            self._on_burst(verdict.burst)
            return True
        if verdict.held:
            self._held.append(HeldKey.of(window, event))
            self._held_presses[event.key()] += 1
            self._timer.start()
            return True
        return False

    # --- held keys ---------------------------------------------------------------------

    def _time_up(self) -> None:
        self._replay(self._detector.flush())

    def _replay(self, released: str) -> None:
        """The held keys were a person typing: deliver them now, in order."""
        if not released:
            return
        held, self._held = self._held, []
        self._held_presses.clear()
        self._replaying = True
        try:
            for key in held:
                if shiboken6.isValid(key.window):  # the window may have closed meanwhile
                    QCoreApplication.sendEvent(key.window, key.event())
        finally:
            self._replaying = False

    def _on_burst(self, line: str) -> None:
        for key in self._held:  # a reader's keys: their releases, still to come, go too
            if key.type == QEvent.Type.KeyPress:
                self._swallowed[key.key] += 1
        for key in self._held:
            if key.type == QEvent.Type.KeyRelease:
                self._swallowed[key.key] -= 1
        self._swallowed = +self._swallowed  # drop the zero counts
        self._held, self._held_presses = [], Counter()
        meaning = read_line(line, self._uid_format)
        if isinstance(meaning, CardPresented):
            log.info("keyboard-wedge card %s", mask(meaning.uid))
            self.cardPresented.emit(meaning.uid, meaning.uid_is_random)
        elif isinstance(meaning, CodeScanned) and is_pickup_scan(meaning.text):
            # A misread QR goes too: the flow tells the citizen to scan again.
            log.info("keyboard-wedge scan of a pickup code %s", mask(meaning.text))
            self.codeScanned.emit(meaning.text)
        else:
            log.warning("keyboard-wedge burst that is no card and no pickup QR: %s", mask(line))

    @staticmethod
    def _seconds(event: QKeyEvent) -> float:
        stamp = event.timestamp()
        return stamp / 1000 if stamp else time.monotonic()
