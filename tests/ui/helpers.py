"""Finding and pressing QML items the way a citizen would (mouse events at their centre)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QKeyEvent
from PySide6.QtQuick import QQuickItem

from kiosk.ui.app import KioskWindow


def items(root: QQuickItem) -> list[QQuickItem]:
    found, pending = [], [root]
    while pending:
        item = pending.pop()
        found.append(item)
        pending.extend(item.childItems())
    return found


def find(kiosk: KioskWindow, name: str) -> QQuickItem:
    matches = [
        i for i in items(kiosk.window.contentItem()) if i.objectName() == name and i.isVisible()
    ]
    assert matches, f"no visible item {name!r} on screen {kiosk.bridge.view_model()['screen']!r}"
    return matches[0]


def texts(kiosk: KioskWindow) -> str:
    """All the text on screen, as a citizen would read it."""
    return " | ".join(
        str(i.property("text"))
        for i in items(kiosk.window.contentItem())
        if i.isVisible()
        and i.metaObject().className().startswith("QQuickText")
        and i.property("text")
    )


def settle(qtbot, kiosk: KioskWindow) -> None:
    """Let the window render once: positioners (Column, Grid) lay out items only when
    the scene is polished for a frame, and a citizen cannot tap before that frame either."""
    with qtbot.waitSignal(kiosk.window.frameSwapped, timeout=2000, raising=False):
        kiosk.window.update()


def centre_of(qtbot, kiosk: KioskWindow, name: str) -> QPoint:
    settle(qtbot, kiosk)
    item = find(kiosk, name)
    return item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()


def click(qtbot, kiosk: KioskWindow, name: str) -> None:
    qtbot.mouseClick(kiosk.window, Qt.MouseButton.LeftButton, pos=centre_of(qtbot, kiosk, name))


def screen_is(kiosk: KioskWindow, screen: str):
    return lambda: kiosk.bridge.view_model()["screen"] == screen


def distinct_colours(image: QImage, step: int = 8) -> int:
    """How many different colours a sparse grid of pixels shows (1 for a blank screen)."""
    seen = {
        image.pixel(x, y)
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    }
    return len(seen)


def type_keys(kiosk: KioskWindow, text: str, *, enter: bool = False) -> None:
    """Key presses as a keyboard-wedge scanner sends them: one key event per character,
    to whatever has the keyboard focus, then Enter."""
    window = kiosk.window
    strokes = [(ord(ch.upper()), ch) for ch in text]  # printable ASCII: Qt key = its code
    if enter:
        strokes.append((int(Qt.Key.Key_Return.value), "\r"))
    for code, char in strokes:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, code, Qt.KeyboardModifier.NoModifier, char)
            QGuiApplication.sendEvent(window, event)


def spilling_texts(kiosk: KioskWindow, *, vertical: bool = True) -> list[str]:
    """Visible texts cut off for the citizen: elided, wider than their own box (so drawn
    over their neighbours), or with their box outside the window.

    `vertical=False` for scrolling screens, where text below the fold is only scrolled away.
    """
    window = kiosk.window
    spilled = []
    for item in items(window.contentItem()):
        if not (item.isVisible() and item.metaObject().className().startswith("QQuickText")):
            continue
        text = str(item.property("text") or "")
        if not text:
            continue
        too_wide = float(item.property("contentWidth") or 0) > item.width() + 1
        too_wide = too_wide or bool(item.property("truncated"))  # elided: "…"
        left_top = item.mapToScene(QPointF(0, 0))
        right_bottom = item.mapToScene(QPointF(item.width(), item.height()))
        outside = left_top.x() < -1 or right_bottom.x() > window.width() + 1
        if vertical:
            outside = outside or left_top.y() < -1 or right_bottom.y() > window.height() + 1
        if too_wide or outside:
            spilled.append(text)
    return spilled


def scroll_to(qtbot, kiosk: KioskWindow, name: str) -> None:
    """Scroll the list holding `name` until it is on screen, as a citizen's swipe would."""
    settle(qtbot, kiosk)
    item = find(kiosk, name)
    flickable = item.parentItem()
    while flickable is not None and not flickable.inherits("QQuickFlickable"):
        flickable = flickable.parentItem()
    assert flickable is not None, f"{name!r} is not in a scrolling list"
    top = item.mapToItem(flickable.property("contentItem"), QPointF(0, 0)).y()
    most = max(0.0, float(flickable.property("contentHeight")) - flickable.height())
    flickable.setProperty("contentY", min(top, most))
    settle(qtbot, kiosk)
