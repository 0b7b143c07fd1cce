"""Many citizens through the real window: nothing may pile up from one session to the next.

Sessions are driven through the QML items (a card tap, presses on the service tile, the
form field, next, confirm, a rating, finish) against the embedded reference server, as
bench/ui_sessions.py does for the memory figures. What is asserted here is counted, not
timed: the items and QObjects the window holds, and the references to Python's `True`
that the Qt binding keeps balanced (an unbalanced one aborts the kiosk with "Fatal Python
error: bool_dealloc" once they run out, after a few hundred citizens).
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPointF, Qt
from PySide6.QtQuick import QQuickItem

from kiosk.demo.settings import demo_settings
from kiosk.ui.app import KioskWindow
from tests.ui.helpers import find, items, screen_is

pytestmark = pytest.mark.qt

SITI_UID = "04A3B2C1D0E1F2"


class Citizen:
    """Goes through one whole session in the window, as a finger would.

    Waits for a rendered frame with a counter connected once (not a signal connection per
    wait), so that the only signal traffic during a session is the kiosk's own.
    """

    def __init__(self, qtbot, kiosk: KioskWindow) -> None:
        self.qtbot, self.kiosk = qtbot, kiosk
        self.frames = 0
        kiosk.window.frameSwapped.connect(self._frame_shown)

    def _frame_shown(self) -> None:
        self.frames += 1

    def _frame(self) -> None:
        seen = self.frames
        self.kiosk.window.update()
        self.qtbot.waitUntil(lambda: self.frames > seen, timeout=2000)

    def _on(self, screen: str, timeout: int = 10000) -> None:
        self.qtbot.waitUntil(screen_is(self.kiosk, screen), timeout=timeout)
        self._frame()

    def _press(self, name: str) -> None:
        item: QQuickItem = find(self.kiosk, name)
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
        self.qtbot.mouseClick(self.kiosk.window, Qt.MouseButton.LeftButton, pos=centre)

    def session(self) -> None:
        devices = self.kiosk.runtime.devices
        devices["card_reader"].simulator.tap(SITI_UID)
        self._on("services")
        self._press("service-SKD")
        self._on("form")
        self._press("field-keperluan")
        self._frame()
        find(self.kiosk, "field-keperluan").setProperty("text", "Melamar pekerjaan")
        self._press("nextButton")
        self._on("confirm")
        self._press("confirmButton")
        self._on("done", timeout=30000)
        self._press("rate-4")
        self._frame()
        self._press("finishButton")
        self._on("attract")
        for role in ("document_printer", "receipt_printer"):  # test instruments' archives
            devices[role].simulator.forget_printed()


@pytest.fixture
def citizen(qtbot, tmp_path: Path):
    kiosk = KioskWindow.for_settings(demo_settings(tmp_path, auto_sign_s=0))
    qtbot.waitExposed(kiosk.window)
    qtbot.waitUntil(lambda: kiosk.bridge.view_model()["ready"], timeout=20000)
    reader = kiosk.runtime.devices["card_reader"]
    qtbot.waitUntil(lambda: reader.lifecycle.value == "enabled", timeout=10000)
    yield Citizen(qtbot, kiosk)
    kiosk.close()


def held_by_window(kiosk: KioskWindow) -> tuple[int, int]:
    """(items in the scene, QObjects under the window), old screens' leftovers included."""
    return len(items(kiosk.window.contentItem())), len(kiosk.window.findChildren(QObject))


def sessions(citizen: Citizen, count: int) -> None:
    for _ in range(count):
        citizen.session()


def test_sessions_leave_no_screens_or_objects_behind(citizen):
    citizen.session()  # every screen of the session has been loaded once
    after_one = held_by_window(citizen.kiosk)
    sessions(citizen, 2)
    assert held_by_window(citizen.kiosk) == after_one
    assert citizen.kiosk.bridge.view_model()["screen"] == "attract"


def references_to_true(samples: int = 20) -> int:
    """The count, without what other threads hold for a moment: the count is process-wide,
    and threads still running from earlier tests hold True on their stacks now and then.
    A leak stays in every sample; a passing holder does not, so take the least."""
    gc.collect()
    seen = []
    for _ in range(samples):
        seen.append(sys.getrefcount(True))
        time.sleep(0.01)
    return min(seen)


def test_sessions_keep_the_references_to_true_balanced(citizen):
    citizen.session()
    before = references_to_true()
    sessions(citizen, 2)
    lost = before - references_to_true()
    # Each session sends the QML some 15 view models and gets some 15 events from device
    # and worker threads: an unbalanced binding loses one reference for each.
    assert lost < 2, f"{lost} references to True lost in 2 sessions"
