"""Many citizens through the real window: nothing may pile up from one session to the next.

Sessions are driven through the QML items (a card tap, presses on the service tile, the
form field, next, confirm, a rating, finish) against the embedded reference server, as
bench/ui_sessions.py does for the memory figures. What is asserted here is counted, not
timed: the items and QObjects the window holds. And, on signals alone, the references to
Python's `True` that the Qt binding must keep balanced (an unbalanced one aborts the kiosk
with "Fatal Python error: bool_dealloc" once they run out, after a few hundred citizens);
counted over whole sessions they drift by a few either way with what other threads and
caches hold, too much noise for the test.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPointF, Qt, Signal, Slot
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


class Emitter(QObject):
    changed = Signal()
    carried = Signal(object)

    @Slot()
    def on_changed(self) -> None:
        pass


def test_signals_keep_the_references_to_true_balanced(qapp):
    """PySide6 6.12.0 dropped a reference to True on every Signal.emit, connect and
    disconnect from Python: once True's count reached zero the kiosk aborted ("Fatal
    Python error: bool_dealloc"), after some 240 citizens. pyproject.toml excludes that
    release; this catches it (or its like) in whichever PySide6 is installed. The bridge
    does exactly this: view models full of True, signals connected and emitted."""
    emitter = Emitter()
    gc.collect()
    before = sys.getrefcount(True)
    # 100 rounds: 6.12.0 loses 300 here, clearly seen, and not yet all of True's count.
    for _ in range(100):
        emitter.changed.connect(emitter.on_changed)
        emitter.changed.emit()
        emitter.carried.emit({"ready": True})
        emitter.changed.disconnect(emitter.on_changed)
    gc.collect()
    lost = before - sys.getrefcount(True)
    assert abs(lost) < 10, f"{lost} references to True lost in 100 rounds"


def test_a_window_closed_while_its_runtime_loads_leaves_no_threads_behind(qtbot, tmp_path):
    """The runtime is built on a thread after the first frame and handed to the GUI thread
    by a queued signal. A kiosk closed before that hand-over (SIGTERM during start-up: the
    event loop has ended, the hand-over is never delivered) must still stop it, or its
    timers, device threads and embedded server run on until the process dies."""
    import threading
    import time

    def kiosk_threads() -> set[str]:
        return {t.name for t in threading.enumerate()} - {"MainThread"}

    already = kiosk_threads()
    kiosk = KioskWindow.for_settings(demo_settings(tmp_path))
    qtbot.waitUntil(lambda: kiosk.bridge._loader is not None, timeout=10000)  # first frame
    kiosk.close()  # before the runtime is attached
    assert kiosk.bridge.runtime is None
    # Without running the event loop again, as after app.exec() has returned.
    deadline = time.monotonic() + 10
    while kiosk_threads() - already and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not kiosk_threads() - already
