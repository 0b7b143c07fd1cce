"""The kiosk's screens, rendered offscreen against the real runtime and reference server.

Any Qt or QML warning fails the test that caused it (qt_log_level_fail in pyproject).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kiosk.config import load_config_text
from kiosk.demo.settings import demo_settings
from kiosk.ui.app import KioskWindow
from tests.kiosk.conftest import make_ca_pem
from tests.ui.helpers import click, find, screen_is, texts

pytestmark = pytest.mark.qt

SITI_UID = "04A3B2C1D0E1F2"


@pytest.fixture
def demo_kiosk(qtbot, tmp_path: Path):
    kiosk = KioskWindow.for_settings(demo_settings(tmp_path, auto_sign_s=0.2))
    qtbot.waitExposed(kiosk.window)
    qtbot.waitUntil(lambda: kiosk.bridge.vm["ready"], timeout=20000)
    reader = kiosk.bridge.runtime.devices["card_reader"]
    qtbot.waitUntil(lambda: reader.lifecycle.value == "enabled", timeout=10000)
    yield kiosk
    kiosk.close()


def test_attract_shows_the_village_and_how_to_start(demo_kiosk, qtbot):
    shown = texts(demo_kiosk)
    assert "Pemerintah Desa Sumberejo" in shown
    assert "Sentuh layar untuk mulai" in shown
    assert "tempelkan e-KTP" in shown
    click(qtbot, demo_kiosk, "startButton")
    qtbot.waitUntil(screen_is(demo_kiosk, "identify"))


def test_keypad_nik_and_pin_sign_in(demo_kiosk, qtbot):
    click(qtbot, demo_kiosk, "startButton")
    qtbot.waitUntil(screen_is(demo_kiosk, "identify"))
    click(qtbot, demo_kiosk, "nikInput")
    for digit in "3523014708900001":
        click(qtbot, demo_kiosk, f"key-{digit}")
    click(qtbot, demo_kiosk, "pinInput")
    for digit in "1234567":  # the 7th digit is refused: a PIN has 6
        click(qtbot, demo_kiosk, f"key-{digit}")
    assert find(demo_kiosk, "nikInput").property("text") == "3523014708900001"
    assert find(demo_kiosk, "pinInput").property("text") == "123456"
    click(qtbot, demo_kiosk, "identifyButton")
    qtbot.waitUntil(screen_is(demo_kiosk, "services"), timeout=10000)
    shown = texts(demo_kiosk)
    assert "Selamat datang, Siti Rahayu" in shown
    assert "3523014708900001" not in shown  # the NIK is shown masked only
    for name in (
        "Surat Keterangan Domisili",
        "Surat Keterangan Tidak Mampu",
        "Surat Pengantar SKCK",
        "Surat Keterangan Usaha",
    ):
        assert name in shown


def test_form_errors_are_shown_under_the_field(demo_kiosk, qtbot):
    demo_kiosk.bridge.runtime.devices["card_reader"].simulator.tap(SITI_UID)
    qtbot.waitUntil(screen_is(demo_kiosk, "services"), timeout=10000)
    click(qtbot, demo_kiosk, "service-SKD")
    qtbot.waitUntil(screen_is(demo_kiosk, "form"))
    click(qtbot, demo_kiosk, "nextButton")
    qtbot.waitUntil(lambda: "Wajib diisi" in texts(demo_kiosk))
    assert demo_kiosk.bridge.vm["screen"] == "form"
    # Typing on the on-screen keyboard fills the field and clears its error.
    click(qtbot, demo_kiosk, "field-keperluan")
    assert find(demo_kiosk, "field-keperluan").property("activeFocus")
    find(demo_kiosk, "field-keperluan").setProperty("text", "Melamar kerja")
    qtbot.waitUntil(lambda: "Wajib diisi" not in texts(demo_kiosk))
    click(qtbot, demo_kiosk, "nextButton")
    qtbot.waitUntil(screen_is(demo_kiosk, "confirm"))
    assert "Melamar kerja" in texts(demo_kiosk)


def test_idle_countdown_appears_before_returning_home(demo_kiosk, qtbot):
    click(qtbot, demo_kiosk, "startButton")
    qtbot.waitUntil(screen_is(demo_kiosk, "identify"))
    flow = demo_kiosk.bridge.runtime.flow
    flow.state = flow.state.__class__(
        **{**flow.state.__dict__, "last_activity": flow.state.last_activity - 50}
    )
    qtbot.waitUntil(lambda: "Masih di sana?" in texts(demo_kiosk), timeout=3000)
    click(qtbot, demo_kiosk, "stillHereButton")
    qtbot.waitUntil(lambda: "Masih di sana?" not in texts(demo_kiosk), timeout=3000)
    assert demo_kiosk.bridge.vm["screen"] == "identify"


def test_backend_not_running_says_so_on_screen(qtbot, tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "root.pem").write_bytes(make_ca_pem())  # a real kiosk needs a trust anchor
    settings = load_config_text(
        f"""
[kiosk]
state_dir = "{tmp_path.as_posix()}"
fullscreen = false
[backend]
url = "http://127.0.0.1:{port}"
token = "demo-kiosk-token"
connect_timeout_s = 0.5
[signature]
trust_anchors = ["root.pem"]
[devices.receipt_printer]
type = "escpos"
transport = {{ type = "simulated" }}
[devices.document_printer]
type = "simulated"
[devices.card_reader]
type = "simulated"
""",
        source="<test>",
        base_dir=tmp_path,
    )
    kiosk = KioskWindow.for_settings(settings)
    try:
        qtbot.waitUntil(lambda: kiosk.bridge.vm["offline"], timeout=10000)
        qtbot.waitUntil(lambda: "sedang terputus" in texts(kiosk))  # the calm banner
        click(qtbot, kiosk, "startButton")
        qtbot.waitUntil(screen_is(kiosk, "notice"))
        assert "Kios belum siap" in texts(kiosk)
        assert "Traceback" not in texts(kiosk)
        click(qtbot, kiosk, "noticeHome")
        qtbot.waitUntil(screen_is(kiosk, "attract"))
    finally:
        kiosk.close()


def test_an_unknown_pickup_code_is_said_under_the_input(demo_kiosk, qtbot):
    click(qtbot, demo_kiosk, "pickupButton")
    qtbot.waitUntil(screen_is(demo_kiosk, "pickup"))
    for digit in "123412341234":  # well formed, but no receipt at this kiosk has it
        click(qtbot, demo_kiosk, f"key-{digit}")
    click(qtbot, demo_kiosk, "pickupSubmit")
    qtbot.waitUntil(lambda: demo_kiosk.bridge.vm["pickupError"] != "", timeout=5000)
    assert "tidak ditemukan" in texts(demo_kiosk)
    assert demo_kiosk.bridge.vm["screen"] == "pickup"


TEXT_TYPES = {"QString", "QStringList", "QVariantList", "QVariantMap", "QVariant", "QUrl"}


def everything_in_the_ui(kiosk: KioskWindow) -> str:
    """Every string any object of the window holds in a property (visible or not, texts,
    placeholders, models), and the view model the QML reads: what the next citizen could
    find on screen, or a developer in the UI tree."""
    from PySide6.QtCore import QObject

    found: list[str] = [repr(kiosk.bridge.vm)]
    objects = [kiosk.window, *kiosk.window.findChildren(QObject)]
    for obj in objects:
        meta = obj.metaObject()
        for index in range(meta.propertyCount()):
            prop = meta.property(index)
            # Only values that hold text: reading some object-typed properties of Qt's
            # internals from Python crashes, and they hold no citizen's text anyway.
            if prop.typeName() in TEXT_TYPES:
                found.append(repr(obj.property(prop.name())))
    return "\n".join(found)


def test_after_the_idle_timeout_nothing_of_the_citizen_is_left_in_the_ui(demo_kiosk, qtbot):
    click(qtbot, demo_kiosk, "startButton")
    qtbot.waitUntil(screen_is(demo_kiosk, "identify"))
    click(qtbot, demo_kiosk, "nikInput")
    for digit in "3523014708900001":
        click(qtbot, demo_kiosk, f"key-{digit}")
    click(qtbot, demo_kiosk, "pinInput")
    for digit in "123456":
        click(qtbot, demo_kiosk, f"key-{digit}")
    click(qtbot, demo_kiosk, "identifyButton")
    qtbot.waitUntil(screen_is(demo_kiosk, "services"), timeout=10000)
    click(qtbot, demo_kiosk, "service-SKD")
    qtbot.waitUntil(screen_is(demo_kiosk, "form"))
    click(qtbot, demo_kiosk, "field-keperluan")
    find(demo_kiosk, "field-keperluan").setProperty("text", "Melamar kerja di pabrik gula")
    qtbot.waitUntil(lambda: "Melamar kerja di pabrik gula" in repr(demo_kiosk.bridge.vm))
    during = everything_in_the_ui(demo_kiosk)
    assert "Siti Rahayu" in during and "pabrik gula" in during  # the probe sees them

    flow = demo_kiosk.bridge.runtime.flow
    flow.state = flow.state.__class__(
        **{**flow.state.__dict__, "last_activity": flow.state.last_activity - 3600}
    )
    qtbot.waitUntil(screen_is(demo_kiosk, "attract"), timeout=5000)
    qtbot.wait(200)  # the attract screen loaded, the old one destroyed
    after = everything_in_the_ui(demo_kiosk)
    for trace in ("Siti", "Rahayu", "3523014708900001", "08900001", "123456", "pabrik gula"):
        assert trace not in after, trace
    state = repr(flow.state)
    assert "Siti" not in state and "pabrik gula" not in state
