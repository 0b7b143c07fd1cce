"""The locked-down kiosk window (kiosk.ui.lockdown): full screen, no way out through the
keyboard or the window manager, the cursor hidden on request; the kiosk itself still
closes when it stops. A window for developers (not full screen) is not locked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtTest import QTest

from kiosk.ui.app import KioskWindow, WindowSpec
from kiosk.ui.lockdown import is_exit_key, pick_screen

pytestmark = pytest.mark.qt

EXITS = [
    (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
    (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_F11, Qt.KeyboardModifier.NoModifier),
]


def open_window(qtbot, spec: WindowSpec) -> Iterator[KioskWindow]:
    release = threading.Event()

    def load(post: Any) -> Any:  # the runtime never comes: the window alone is tested
        release.wait(10)
        raise RuntimeError("test over")

    window = KioskWindow(spec, load)
    qtbot.waitExposed(window.window)
    try:
        yield window
    finally:
        release.set()
        window.close()


@pytest.fixture
def locked(qtbot) -> Iterator[KioskWindow]:
    yield from open_window(qtbot, WindowSpec(1280, 800, fullscreen=True, hide_cursor=True))


def test_the_kiosk_fills_its_screen_frameless_and_hides_the_cursor(locked: KioskWindow):
    window = locked.window
    assert window.visibility() == window.Visibility.FullScreen
    assert window.flags() & Qt.WindowType.FramelessWindowHint
    assert window.geometry() == window.screen().geometry()
    cursor = QGuiApplication.overrideCursor()
    assert cursor is not None and cursor.shape() == Qt.CursorShape.BlankCursor


@pytest.mark.parametrize(("key", "modifiers"), EXITS)
def test_exit_keys_do_nothing(qtbot, locked: KioskWindow, key, modifiers):
    assert locked.lockdown is not None
    before = locked.lockdown.refused
    QTest.keyClick(locked.window, key, modifiers)
    qtbot.wait(50)
    assert locked.window.isVisible()
    assert locked.lockdown.refused == before + 1


def test_a_window_manager_close_is_refused_and_the_kiosk_still_closes_itself(
    qtbot, locked: KioskWindow
):
    QGuiApplication.sendEvent(locked.window, QCloseEvent())  # what a WM's Alt+F4 sends
    qtbot.wait(50)
    assert locked.window.isVisible()
    window = locked.window
    locked.close()  # the kiosk stopping (SIGTERM): closes, and gives the cursor back
    assert not shiboken6.isValid(window) or not window.isVisible()
    assert QGuiApplication.overrideCursor() is None


def test_typing_and_other_shortcuts_are_left_alone(locked: KioskWindow):
    for key, modifiers in [
        (Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F4, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Q, Qt.KeyboardModifier.NoModifier),
    ]:
        event = QKeyEvent(QEvent.Type.KeyPress, key, modifiers)
        assert not is_exit_key(event)
    shifted = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.ShiftModifier)
    assert is_exit_key(shifted)


def test_a_developer_window_is_not_locked(qtbot):
    for window in open_window(qtbot, WindowSpec(1280, 800, fullscreen=False)):
        assert window.lockdown is None
        assert QGuiApplication.overrideCursor() is None
        assert not window.window.flags() & Qt.WindowType.FramelessWindowHint


def test_the_screen_is_picked_by_index_or_name_and_a_missing_one_is_the_primary(caplog):
    screens = QGuiApplication.screens()
    assert pick_screen(None, screens) is None
    assert pick_screen("0", screens) is screens[0]
    assert pick_screen(screens[0].name()[:3] or "0", screens) is screens[0]
    assert pick_screen("7", screens) is None
    assert pick_screen("NoSuchMonitor", screens) is None
    assert "NoSuchMonitor" in caplog.text and "primary" in caplog.text
