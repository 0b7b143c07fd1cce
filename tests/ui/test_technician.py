"""Technician mode on the kiosk's screen, against the real runtime, the simulated devices and
the embedded reference server: the hidden gesture, the PIN, every technician screen, and
screenshots of each ($APM_UI_SHOTS, else the test's temporary folder)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt

from apm_api.models import Rating
from kiosk.config import TechnicianSection
from kiosk.demo.settings import demo_settings
from kiosk.storage.outbox import OutboxKind
from kiosk.technician.audit import audit_path
from kiosk.technician.lockout import LOCKOUT_FILE
from kiosk.technician.pin import hash_pin
from kiosk.ui.app import KioskWindow
from printer.escpos_text import decode_escpos
from tests.ui.helpers import centre_of, click, distinct_colours, items, screen_is, settle, texts

pytestmark = pytest.mark.qt

PIN = "24681357"
SITI_UID = "04A3B2C1D0E1F2"
MIN_TARGET_MM = 15.0
NOT_TARGETS = ("techIdleCatcher", "techBlocker")  # catch every press; no button of their own


def shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("APM_UI_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_kiosk(qtbot, state_dir: Path, **technician) -> KioskWindow:
    settings = demo_settings(state_dir, auto_sign_s=0.2)
    if technician.get("pin_hash", "") == "":
        technician["pin_hash"] = hash_pin(PIN, n=2**10)  # quick to check in a test
    settings.technician = TechnicianSection(**technician)
    kiosk = KioskWindow.for_settings(settings)
    qtbot.waitExposed(kiosk.window)
    qtbot.waitUntil(lambda: kiosk.bridge.vm["ready"], timeout=20000)
    reader = kiosk.bridge.runtime.devices["card_reader"]
    qtbot.waitUntil(lambda: reader.lifecycle.value == "enabled", timeout=10000)
    return kiosk


@pytest.fixture
def kiosk(qtbot, tmp_path: Path):
    window = open_kiosk(qtbot, tmp_path)
    yield window
    window.close()


def tech_view(kiosk: KioskWindow) -> dict:
    tech = kiosk.bridge.technician
    return tech.view_model() if tech is not None else {"mode": "off"}


def visible(kiosk: KioskWindow, name: str) -> bool:
    return any(i.objectName() == name and i.isVisible() for i in items(kiosk.window.contentItem()))


def find_visible(kiosk: KioskWindow, name: str):
    settle_items = [i for i in items(kiosk.window.contentItem()) if i.objectName() == name]
    shown = [i for i in settle_items if i.isVisible()]
    assert shown, f"no visible {name!r}"
    return shown[0]


def gesture(qtbot, kiosk: KioskWindow) -> None:
    """Five quick taps on the attract screen's hidden corner, as a technician's finger."""
    spot = centre_of(qtbot, kiosk, "technicianCorner")
    for _ in range(5):
        qtbot.mouseClick(kiosk.window, Qt.MouseButton.LeftButton, pos=spot)


def type_pin(qtbot, kiosk: KioskWindow, pin: str) -> None:
    for digit in pin:
        click(qtbot, kiosk, f"key-{digit}")
    click(qtbot, kiosk, "techPinOk")


def enter(qtbot, kiosk: KioskWindow) -> None:
    gesture(qtbot, kiosk)
    qtbot.waitUntil(lambda: visible(kiosk, "techPinPad"), timeout=5000)
    type_pin(qtbot, kiosk, PIN)
    qtbot.waitUntil(lambda: visible(kiosk, "techConsole"), timeout=5000)


def open_section(qtbot, kiosk: KioskWindow, key: str) -> None:
    click(qtbot, kiosk, f"techSection-{key}")
    qtbot.waitUntil(lambda: tech_view(kiosk)["section"] == key)
    qtbot.waitUntil(lambda: not tech_view(kiosk)["running"], timeout=20000)
    settle(qtbot, kiosk)


def press_in_section(qtbot, kiosk: KioskWindow, name: str) -> None:
    """Scroll the section to `name` (a technician's swipe), then press it."""
    item = find_visible(kiosk, name)
    flick = item.parentItem()
    while flick is not None and not flick.inherits("QQuickFlickable"):
        flick = flick.parentItem()
    if flick is not None:
        top = item.mapToItem(flick.property("contentItem"), QPointF(0, 0)).y()
        most = max(0.0, float(flick.property("contentHeight")) - flick.height())
        flick.setProperty("contentY", min(top, most))
    click(qtbot, kiosk, name)


def shoot(kiosk: KioskWindow, qtbot, tmp_path: Path, name: str) -> Path:
    settle(qtbot, kiosk)
    image = kiosk.window.grabWindow()
    path = shots_dir(tmp_path) / f"technician-{name}.png"
    image.save(str(path))
    assert image.width() == 1280 and image.height() == 800
    assert distinct_colours(image) > 3, f"the technician {name} screen looks blank"
    return path


def target_problems(kiosk: KioskWindow) -> list[str]:
    """Touch targets under 15 mm, or not announced as a button with a name."""
    from PySide6.QtGui import QAccessible

    QAccessible.setActive(True)
    px_per_mm = kiosk.window.screen().physicalDotsPerInch() / 25.4
    overlay = find_visible(kiosk, "technicianOverlay")
    problems = []
    for area in items(overlay):
        if not (
            area.metaObject().className().startswith("QQuickMouseArea")
            and area.isVisible()
            and area.isEnabled()
            and area.objectName() not in NOT_TARGETS
        ):
            continue
        target = area.parentItem()
        described = QAccessible.queryAccessibleInterface(target)
        name = described.text(QAccessible.Text.Name) if described else ""
        if not name or described.role() != QAccessible.Role.Button:
            problems.append(f"{target.objectName()}: not announced as a button")
        short = min(target.width(), target.height()) / px_per_mm
        if short < MIN_TARGET_MM:
            problems.append(f"{target.objectName()} {name!r}: {short:.1f} mm")
    return problems


def cut_off_texts(kiosk: KioskWindow) -> list[str]:
    """Texts elided or wider than their box (a technician could not read them whole)."""
    overlay = find_visible(kiosk, "technicianOverlay")
    cut = []
    for item in items(overlay):
        if item.isVisible() and item.metaObject().className().startswith("QQuickText"):
            text = str(item.property("text") or "")
            too_wide = float(item.property("contentWidth") or 0) > item.width() + 1
            if text and (too_wide or item.property("truncated")):
                cut.append(text)
    return cut


def check_screen(kiosk: KioskWindow, qtbot, tmp_path: Path, name: str) -> None:
    shoot(kiosk, qtbot, tmp_path, name)
    assert not target_problems(kiosk), target_problems(kiosk)
    assert not cut_off_texts(kiosk), cut_off_texts(kiosk)


def audit(state_dir: Path) -> list[dict]:
    path = audit_path(state_dir)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- getting in ---------------------------------------------------------------------------


def test_the_gesture_then_a_wrong_then_the_right_pin(kiosk, qtbot, tmp_path: Path):
    gesture(qtbot, kiosk)
    qtbot.waitUntil(lambda: visible(kiosk, "techPinPad"), timeout=5000)
    assert kiosk.bridge.vm["screen"] == "attract"  # the corner's taps started no session
    assert kiosk.runtime.citizen_input_held
    assert "Enter the technician PIN" in texts(kiosk)
    check_screen(kiosk, qtbot, tmp_path, "pin")

    type_pin(qtbot, kiosk, "11112222")
    qtbot.waitUntil(lambda: "Wrong PIN. 4 tries left." in texts(kiosk), timeout=5000)
    assert find_visible(kiosk, "techPinInput").property("text") == ""
    shoot(kiosk, qtbot, tmp_path, "pin-wrong")

    type_pin(qtbot, kiosk, PIN)
    qtbot.waitUntil(lambda: visible(kiosk, "techConsole"), timeout=5000)
    qtbot.waitUntil(lambda: len(tech_view(kiosk)["devices"]) == 3, timeout=20000)
    shown = texts(kiosk)
    for role in ("receipt_printer", "document_printer", "card_reader"):
        assert role in shown
    assert "Capabilities:" in shown and "Health:" in shown
    check_screen(kiosk, qtbot, tmp_path, "devices")

    click(qtbot, kiosk, "techLeave")
    qtbot.waitUntil(lambda: not visible(kiosk, "technicianOverlay"), timeout=5000)
    assert not kiosk.runtime.citizen_input_held
    assert kiosk.bridge.vm["screen"] == "attract"
    outcomes = [(e["action"], e["outcome"]) for e in audit(tmp_path)]
    assert outcomes == [("pin", "wrong"), ("enter", "ok"), ("devices", "ok"), ("leave", "ok")]
    assert PIN not in audit_path(tmp_path).read_text() and "11112222" not in (
        audit_path(tmp_path).read_text()
    )


def test_without_a_pin_hash_the_gesture_does_nothing(qtbot, tmp_path: Path):
    kiosk = open_kiosk(qtbot, tmp_path, pin_hash=None)
    try:
        gesture(qtbot, kiosk)
        qtbot.waitUntil(lambda: audit_path(tmp_path).exists(), timeout=5000)
        assert audit(tmp_path)[-1]["outcome"] == "not_configured"
        assert not visible(kiosk, "technicianOverlay")
        assert kiosk.bridge.vm["screen"] == "attract"
        assert not kiosk.runtime.citizen_input_held
    finally:
        kiosk.close()


def test_refused_while_a_citizen_is_mid_transaction(kiosk, qtbot, tmp_path: Path):
    kiosk.runtime.devices["card_reader"].simulator.tap(SITI_UID)
    qtbot.waitUntil(screen_is(kiosk, "services"), timeout=10000)
    assert not visible(kiosk, "technicianCorner")  # only the attract screen has the spot
    for _ in range(5):  # and were it reached anyway, the kiosk refuses
        kiosk.bridge.technicianTap()
    qtbot.waitUntil(lambda: visible(kiosk, "techRefused"), timeout=5000)
    assert "A citizen is being served" in texts(kiosk)
    assert not kiosk.runtime.citizen_input_held  # the citizen's card still counts
    check_screen(kiosk, qtbot, tmp_path, "refused")
    click(qtbot, kiosk, "techRefusedOk")
    qtbot.waitUntil(lambda: not visible(kiosk, "technicianOverlay"), timeout=5000)
    assert kiosk.bridge.vm["screen"] == "services"
    assert audit(tmp_path)[-1]["outcome"] == "refused_citizen_busy"


def test_lockout_shows_the_time_left_and_survives_a_restart(qtbot, tmp_path: Path):
    kiosk = open_kiosk(qtbot, tmp_path, max_failures=2, lockout_s=600)
    try:
        gesture(qtbot, kiosk)
        qtbot.waitUntil(lambda: visible(kiosk, "techPinPad"), timeout=5000)
        type_pin(qtbot, kiosk, "11112222")
        qtbot.waitUntil(lambda: "1 try left" in texts(kiosk), timeout=5000)
        type_pin(qtbot, kiosk, "33334444")
        qtbot.waitUntil(lambda: "try again in 10:00" in texts(kiosk), timeout=5000)
        qtbot.waitUntil(lambda: "try again in 9:5" in texts(kiosk), timeout=5000)  # counts down
        assert not find_visible(kiosk, "key-1").isEnabled()
        check_screen(kiosk, qtbot, tmp_path, "pin-locked")
        click(qtbot, kiosk, "techPinCancel")
        qtbot.waitUntil(lambda: not visible(kiosk, "technicianOverlay"), timeout=5000)
    finally:
        kiosk.close()
    assert (tmp_path / LOCKOUT_FILE).exists()
    again = open_kiosk(qtbot, tmp_path, max_failures=2, lockout_s=600)  # restarted
    try:
        gesture(qtbot, again)
        qtbot.waitUntil(lambda: "Locked: try again in 9:" in texts(again), timeout=5000)
        assert not find_visible(again, "techPinOk").isEnabled()
    finally:
        again.close()


def test_technician_mode_closes_by_itself_when_left_untouched(kiosk, qtbot):
    enter(qtbot, kiosk)
    session = kiosk.bridge.technician.session
    session._since -= session.settings.idle_s - 30  # 30 s of idle_s left
    qtbot.waitUntil(lambda: visible(kiosk, "techIdleWarning"), timeout=3000)
    session._since -= 30
    qtbot.waitUntil(lambda: not visible(kiosk, "technicianOverlay"), timeout=3000)
    assert not kiosk.runtime.citizen_input_held


# --- the screens --------------------------------------------------------------------------


def test_test_prints_on_the_simulated_printers(kiosk, qtbot, tmp_path: Path):
    enter(qtbot, kiosk)
    open_section(qtbot, kiosk, "prints")
    receipts = kiosk.runtime.devices["receipt_printer"].simulator
    pages = kiosk.runtime.devices["document_printer"].simulator
    before_receipts, before_pages = len(receipts.printed()), len(pages.printed())

    click(qtbot, kiosk, "techTestPrint-receipt_printer")
    qtbot.waitUntil(
        lambda: (tech_view(kiosk)["prints"]["receipt_printer"] or {}).get("level") == "ok",
        timeout=30000,
    )
    assert len(receipts.printed()) == before_receipts + 1
    printed = decode_escpos(receipts.printed()[-1].data)
    assert "TEST" in printed.upper()
    assert "test print done" in texts(kiosk)

    click(qtbot, kiosk, "techTestPrint-document_printer")
    qtbot.waitUntil(
        lambda: (tech_view(kiosk)["prints"]["document_printer"] or {}).get("level") == "ok",
        timeout=60000,
    )
    assert len(pages.printed()) == before_pages + 1
    assert pages.printed()[-1].data.startswith(b"%PDF-")
    check_screen(kiosk, qtbot, tmp_path, "prints")
    printed_audit = [e for e in audit(tmp_path) if e["action"] == "test_print"]
    assert [(e["details"]["role"], e["outcome"]) for e in printed_audit] == [
        ("receipt_printer", "ok"),
        ("document_printer", "ok"),
    ]


def test_card_read_test_shows_the_masked_uid_and_starts_no_session(kiosk, qtbot, tmp_path):
    enter(qtbot, kiosk)
    open_section(qtbot, kiosk, "card")
    click(qtbot, kiosk, "techCardRead")
    qtbot.waitUntil(lambda: visible(kiosk, "techCardWaiting"), timeout=5000)
    shoot(kiosk, qtbot, tmp_path, "card-waiting")
    reader = kiosk.runtime.devices["card_reader"].simulator
    reader.tap(SITI_UID)
    qtbot.waitUntil(lambda: visible(kiosk, "techCardUid"), timeout=10000)
    assert find_visible(kiosk, "techCardUid").property("text") == "04…F2 (7 bytes)"
    assert find_visible(kiosk, "techCardTime").property("text").startswith("Read")
    reader.remove()
    check_screen(kiosk, qtbot, tmp_path, "card")
    # A citizen's tap would have opened the services screen by now.
    qtbot.wait(1500)
    assert kiosk.bridge.vm["screen"] == "attract"
    assert kiosk.runtime.citizen_input_held
    reader.tap(SITI_UID)  # a second tap, outside the test: still not a citizen's
    qtbot.wait(1500)
    assert kiosk.bridge.vm["screen"] == "attract"
    assert SITI_UID not in texts(kiosk)
    reader.remove()

    click(qtbot, kiosk, "techLeave")
    qtbot.waitUntil(lambda: not visible(kiosk, "technicianOverlay"), timeout=5000)
    reader.tap(SITI_UID)  # technician gone: the card is a citizen's again
    qtbot.waitUntil(screen_is(kiosk, "services"), timeout=10000)
    entry = next(e for e in audit(tmp_path) if e["action"] == "card_read")
    assert entry["outcome"] == "ok"
    assert entry["details"]["uid_masked"] == "04…F2 (7 bytes)"
    assert SITI_UID not in audit_path(tmp_path).read_text()


def test_leaving_during_a_card_read_test_gives_the_reader_back_to_citizens(
    kiosk, qtbot, tmp_path: Path
):
    enter(qtbot, kiosk)
    open_section(qtbot, kiosk, "card")
    click(qtbot, kiosk, "techCardRead")
    qtbot.waitUntil(lambda: visible(kiosk, "techCardWaiting"), timeout=5000)
    click(qtbot, kiosk, "techLeave")  # the test still waits for a card
    qtbot.waitUntil(lambda: not visible(kiosk, "technicianOverlay"), timeout=5000)
    kiosk.runtime.devices["card_reader"].simulator.tap(SITI_UID)  # a citizen's card
    qtbot.waitUntil(screen_is(kiosk, "services"), timeout=10000)
    # The test saw the card too and ended (it holds the input again as it ends) ...
    qtbot.waitUntil(lambda: any(e["action"] == "card_read" for e in audit(tmp_path)))
    # ... and the hold is let go: the citizen's next taps and scans still count.
    qtbot.waitUntil(lambda: not kiosk.runtime.citizen_input_held, timeout=5000)
    assert kiosk.bridge.technician.view_model()["card"] is None  # not shown to anyone


@pytest.fixture
def kiosk_log(kiosk):
    """The kiosk's own log file in its state folder, as `apm-kiosk run` sets it up."""
    import logging

    from kiosk.logs import configure_logging, reset_logging

    level = logging.getLogger().level
    configure_logging(kiosk.runtime.settings, stderr=False)
    yield
    reset_logging()
    logging.getLogger().setLevel(level)


def test_backend_check_logs_config_and_version(kiosk, kiosk_log, qtbot, tmp_path: Path):
    enter(qtbot, kiosk)
    open_section(qtbot, kiosk, "backend")
    click(qtbot, kiosk, "techCheckBackend")
    qtbot.waitUntil(lambda: len(tech_view(kiosk)["backend"]) >= 3, timeout=20000)
    names = {c["name"] for c in tech_view(kiosk)["backend"]}
    assert {"reachable", "tls"} <= names
    assert any("skew" in n or "clock" in n for n in names), names
    assert "latency_ms" in texts(kiosk)
    check_screen(kiosk, qtbot, tmp_path, "backend")

    open_section(qtbot, kiosk, "logs")
    assert any("technician mode entered" in line for line in tech_view(kiosk)["logs"])
    assert "technician mode entered" in texts(kiosk)
    check_screen(kiosk, qtbot, tmp_path, "logs")

    open_section(qtbot, kiosk, "config")
    config = tech_view(kiosk)["config"]
    assert "[technician]" in config and "pin_hash" in config
    assert kiosk.runtime.settings.technician.pin_hash not in config  # masked
    check_screen(kiosk, qtbot, tmp_path, "config")

    open_section(qtbot, kiosk, "system")
    from kiosk import __version__

    assert find_visible(kiosk, "techVersion").property("text") == f"APM Kiosk {__version__}"
    check_screen(kiosk, qtbot, tmp_path, "system")
    actions = {e["action"] for e in audit(tmp_path)}
    assert {"backend_check", "logs_view", "config_view", "version_view"} <= actions


def test_outbox_discard_needs_a_confirmation(kiosk, qtbot, tmp_path: Path):
    runtime = kiosk.runtime
    # A rating the backend refuses for good (a score off its 1-4 scale): a dead letter.
    bad = Rating.model_construct(kiosk_id=runtime.kiosk_id, request_id=None, score=9)
    item = runtime.storage.outbox.add(OutboxKind.RATING, bad.model_dump(mode="json"))
    runtime.sync.wake()
    qtbot.waitUntil(lambda: runtime.storage.outbox.counts()["dead"] == 1, timeout=20000)

    enter(qtbot, kiosk)
    open_section(qtbot, kiosk, "outbox")
    qtbot.waitUntil(lambda: visible(kiosk, f"techDead-{item.id}"), timeout=5000)
    assert "Dead letters: 1" in texts(kiosk)
    assert "Reason: " in texts(kiosk)
    check_screen(kiosk, qtbot, tmp_path, "outbox")

    # Sent again: still refused (its score is still off the scale), a dead letter again.
    press_in_section(qtbot, kiosk, f"techRetry-{item.id}")
    qtbot.waitUntil(lambda: visible(kiosk, "techConfirm"), timeout=3000)
    assert "Send dead letter" in texts(kiosk)
    click(qtbot, kiosk, "techConfirmYes")
    qtbot.waitUntil(lambda: f"Dead letter #{item.id} queued again." in texts(kiosk), timeout=5000)
    qtbot.waitUntil(lambda: runtime.storage.outbox.get(item.id).attempts == 2, timeout=20000)
    qtbot.waitUntil(lambda: runtime.storage.outbox.counts()["dead"] == 1, timeout=20000)
    click(qtbot, kiosk, "techRefreshOutbox")
    qtbot.waitUntil(lambda: "2 attempts" in texts(kiosk), timeout=5000)

    press_in_section(qtbot, kiosk, f"techDiscard-{item.id}")
    qtbot.waitUntil(lambda: visible(kiosk, "techConfirm"), timeout=3000)
    check_screen(kiosk, qtbot, tmp_path, "outbox-confirm")
    click(qtbot, kiosk, "techConfirmNo")  # not yet: nothing happens
    qtbot.waitUntil(lambda: not visible(kiosk, "techConfirm"), timeout=3000)
    assert runtime.storage.outbox.counts()["dead"] == 1

    press_in_section(qtbot, kiosk, f"techDiscard-{item.id}")
    qtbot.waitUntil(lambda: visible(kiosk, "techConfirm"), timeout=3000)
    click(qtbot, kiosk, "techConfirmYes")
    qtbot.waitUntil(lambda: runtime.storage.outbox.counts()["dead"] == 0, timeout=5000)
    qtbot.waitUntil(lambda: f"Dead letter #{item.id} discarded." in texts(kiosk), timeout=5000)
    qtbot.waitUntil(lambda: not visible(kiosk, f"techDead-{item.id}"), timeout=5000)
    assert runtime.storage.outbox.get(item.id) is None
    changes = [e for e in audit(tmp_path) if e["action"] in ("outbox_retry", "outbox_discard")]
    assert [(e["action"], e["outcome"], e["details"]) for e in changes] == [
        ("outbox_retry", "ok", {"item": item.id}),
        ("outbox_discard", "ok", {"item": item.id}),
    ]


def test_restart_asks_first_then_ends_the_app_for_systemd_to_restart(
    kiosk, qtbot, tmp_path, caplog
):
    enter(qtbot, kiosk)
    exits: list[int] = []
    kiosk.bridge.technician._exit_app = exits.append  # the test runner's loop stays up
    open_section(qtbot, kiosk, "system")
    click(qtbot, kiosk, "techRestart")
    qtbot.waitUntil(lambda: visible(kiosk, "techConfirm"), timeout=3000)
    assert "Restart the kiosk application?" in texts(kiosk)
    check_screen(kiosk, qtbot, tmp_path, "restart-confirm")
    click(qtbot, kiosk, "techConfirmYes")
    qtbot.waitUntil(lambda: exits == [0], timeout=5000)
    assert audit(tmp_path)[-1]["action"] == "restart"
    assert "technician restarts the kiosk application" in caplog.text


STARTUP_PROBE = """
import sys, tempfile
from pathlib import Path
from PySide6.QtCore import QTimer
from kiosk.demo.settings import demo_settings
from kiosk.ui.app import KioskWindow, make_app

app, _ = make_app()
kiosk = KioskWindow.for_settings(demo_settings(Path(tempfile.mkdtemp()), auto_sign_s=60))

def look():
    if not kiosk.bridge.vm["ready"]:
        QTimer.singleShot(50, look)
        return
    loaded = sorted(m for m in sys.modules if m.startswith(("kiosk.technician", "kiosk.ui.technician")))
    print("LOADED", loaded, flush=True)
    kiosk.close()
    app.quit()

QTimer.singleShot(50, look)
app.exec()
"""


def test_the_technician_code_is_not_loaded_when_the_kiosk_starts(tmp_path: Path):
    """Start-up stays as quick as it was: the first gesture tap brings technician mode in."""
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "APM_KIOSK_STATE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "LOADED []" in done.stdout, done.stdout + done.stderr
