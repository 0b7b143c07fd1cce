"""Finding and pressing QML items the way a citizen would (mouse events at their centre)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
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
