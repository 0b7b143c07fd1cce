"""The screens in the citizen's language: Qt translation files for the QML's own words,
the flow's messages in the same language, a switch on every screen, and the next
citizen back in the kiosk's language."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kiosk.flow import events as ev
from kiosk.ui.translations import I18N_DIR, available_languages
from tests.ui.helpers import click, screen_is, settle, texts

pytestmark = pytest.mark.qt

REPO = Path(__file__).resolve().parents[2]
QML_DIR = REPO / "kiosk" / "ui" / "qml"
BIN = Path(shutil.which("pyside6-lrelease") or REPO / ".venv" / "bin" / "pyside6-lrelease")
QSTR = re.compile(r'qsTr\("((?:[^"\\]|\\.)*)"')


def qml_texts() -> set[str]:
    found = set()
    for qml in QML_DIR.rglob("*.qml"):
        if qml.name != "DevPanel.qml":  # the developers' panel is not translated
            found.update(QSTR.findall(qml.read_text(encoding="utf-8")))
    return found


def translations(ts: Path) -> dict[str, str]:
    root = ET.parse(ts).getroot()
    done = {}
    for message in root.iter("message"):
        translation = message.find("translation")
        assert translation is not None
        if translation.get("type") not in ("unfinished", "obsolete", "vanished"):
            done[message.findtext("source") or ""] = translation.text or ""
    return done


@pytest.mark.parametrize("ts", sorted(I18N_DIR.glob("*.ts")), ids=lambda p: p.stem)
def test_every_qml_text_is_translated_and_the_shipped_qm_is_compiled_from_it(ts, tmp_path):
    done = translations(ts)
    missing = sorted(t for t in qml_texts() if not done.get(t.replace('\\"', '"')))
    assert not missing, f"{ts.name}: run scripts/translations and translate: {missing}"
    compiled = tmp_path / "fresh.qm"
    subprocess.run([str(BIN), str(ts), "-qm", str(compiled)], check=True, capture_output=True)
    assert compiled.read_bytes() == ts.with_suffix(".qm").read_bytes(), (
        f"{ts.with_suffix('.qm').name} is out of date: run scripts/translations"
    )


def test_a_new_language_needs_only_its_translation_file(tmp_path):
    shutil.copy(I18N_DIR / "apm_kiosk_en.qm", tmp_path / "apm_kiosk_en.qm")
    assert available_languages(tmp_path) == ["id", "en"]
    shutil.copy(I18N_DIR / "apm_kiosk_en.qm", tmp_path / "apm_kiosk_jv.qm")
    assert available_languages(tmp_path) == ["id", "en", "jv"]


@pytest.fixture
def demo_kiosk(qtbot, tmp_path: Path):
    from kiosk.demo.settings import demo_settings
    from kiosk.ui.app import KioskWindow

    kiosk = KioskWindow.for_settings(demo_settings(tmp_path, auto_sign_s=0.2))
    qtbot.waitExposed(kiosk.window)
    qtbot.waitUntil(lambda: kiosk.bridge.vm["ready"], timeout=20000)
    yield kiosk
    kiosk.close()


def test_the_language_button_switches_every_text_and_the_next_citizen_starts_in_indonesian(
    demo_kiosk, qtbot
):
    assert "Sentuh layar untuk mulai" in texts(demo_kiosk)
    click(qtbot, demo_kiosk, "languageButton")
    settle(qtbot, demo_kiosk)
    shown = texts(demo_kiosk)
    assert "Touch the screen to start" in shown and "Sentuh layar" not in shown
    assert "Bahasa Indonesia" in shown  # the way back, in its own language
    demo_kiosk.bridge.runtime.devices["card_reader"].simulator.tap("04A3B2C1D0E1F2")
    qtbot.waitUntil(screen_is(demo_kiosk, "services"), timeout=10000)
    shown = texts(demo_kiosk)
    assert "Welcome, Siti Rahayu" in shown  # the QML's words
    assert "Certificate of Domicile" in shown  # the catalogue's, from the view model
    assert "Start over" in shown and "Bahasa Indonesia" in shown  # on every screen
    demo_kiosk.bridge.dispatch(ev.Home())
    qtbot.waitUntil(screen_is(demo_kiosk, "attract"), timeout=5000)
    settle(qtbot, demo_kiosk)
    assert "Sentuh layar untuk mulai" in texts(demo_kiosk)
    assert demo_kiosk.bridge.language == "id"


def test_a_closed_kiosk_leaves_no_language_behind(qtbot, tmp_path: Path):
    from kiosk.demo.settings import demo_settings
    from kiosk.ui.app import KioskWindow

    first = KioskWindow.for_settings(demo_settings(tmp_path / "a"))
    qtbot.waitExposed(first.window)
    first.translations.use("en")
    first.close()
    second = KioskWindow.for_settings(demo_settings(tmp_path / "b"))
    try:
        qtbot.waitExposed(second.window)
        settle(qtbot, second)
        assert "Sentuh layar untuk mulai" in texts(second)
    finally:
        second.close()
