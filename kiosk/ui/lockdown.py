"""The kiosk's window, locked down at the application level.

A citizen, or a curious child, must not be able to leave the kiosk's screen with the
keyboard a technician left plugged in, or through the window manager:

- the window is frameless and full screen on the configured screen (`[kiosk] screen`);
- the keys that close or quit an application (Alt+F4, Ctrl+Q, Ctrl+W, Escape, F11)
  are swallowed before any item sees them;
- a close request from the window manager (its own Alt+F4, a close button) is refused;
  only the kiosk itself closes the window, when it stops (SIGTERM from systemd);
- the mouse cursor can be hidden (`[kiosk] hide_cursor`) on a touch screen.

What the application cannot stop (switching virtual terminals with Ctrl+Alt+F1, the
X server's Ctrl+Alt+Backspace, Alt+Tab in a desktop session) belongs to the kiosk's
compositor and image: see packaging.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QScreen
from PySide6.QtQuick import QQuickWindow

log = logging.getLogger(__name__)

# An application property set when the kiosk itself stops (SIGTERM): closes pass then.
STOPPING = "apmKioskStopping"
_NO_MODIFIER = Qt.KeyboardModifier.NoModifier
# (key, modifiers) pairs that close or quit a window in some desktop or toolkit.
EXIT_KEYS = frozenset(
    {
        (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
        (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Escape, _NO_MODIFIER),
        (Qt.Key.Key_F11, _NO_MODIFIER),
    }
)
# Modifiers that do not change what an exit key means (Shift+Escape is still Escape).
_IGNORED_MODIFIERS = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier


def is_exit_key(event: QKeyEvent) -> bool:
    modifiers = event.modifiers() & ~_IGNORED_MODIFIERS
    return (Qt.Key(event.key()), Qt.KeyboardModifier(modifiers)) in EXIT_KEYS


def pick_screen(wanted: str | None, screens: list[QScreen]) -> QScreen | None:
    """The screen named by `wanted` (its index, or text found in its name, model or
    manufacturer), or None to keep the primary one (a missing screen is logged)."""
    if not wanted or not screens:
        return None
    if wanted.isdigit():
        index = int(wanted)
        if index < len(screens):
            return screens[index]
    else:
        needle = wanted.casefold()
        for screen in screens:
            described = f"{screen.name()} {screen.model()} {screen.manufacturer()}".casefold()
            if needle in described:
                return screen
    names = ", ".join(f"{i}: {s.name()}" for i, s in enumerate(screens))
    log.warning("screen %r not found (screens: %s); using the primary screen", wanted, names)
    return None


class Lockdown(QObject):
    """Installed on the application: swallows exit keys, refuses window-manager closes."""

    def __init__(self, window: QQuickWindow, *, hide_cursor: bool = False) -> None:
        super().__init__(window)
        self._window = window
        self._closing = False
        self.refused = 0  # exit keys and close requests refused (tests, diagnostics)
        window.setFlag(Qt.WindowType.FramelessWindowHint, True)
        window.installEventFilter(self)
        app = QGuiApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._cursor_hidden = hide_cursor and isinstance(app, QGuiApplication)
        if self._cursor_hidden:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.BlankCursor)

    def release(self) -> None:
        """The kiosk is stopping: let its own close through, give the cursor back."""
        self._closing = True
        if self._cursor_hidden:
            QGuiApplication.restoreOverrideCursor()
            self._cursor_hidden = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Close and watched is self._window and not self._stopping():
            event.ignore()
            self._refuse("a close request")
            return True
        if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            assert isinstance(event, QKeyEvent)
            if is_exit_key(event):
                if kind == QEvent.Type.KeyPress and isinstance(watched, QQuickWindow):
                    self._refuse(f"key {event.keyCombination().toCombined():#x}")
                return True
        return False

    def _stopping(self) -> bool:
        app = QGuiApplication.instance()
        return self._closing or (app is not None and app.property(STOPPING) is True)

    def _refuse(self, what: str) -> None:
        self.refused += 1
        log.info("kiosk lockdown: %s refused", what)
