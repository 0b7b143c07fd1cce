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


# --- a third language: one translation file, for the QML's words and the flow's messages --

JAVANESE = {
    "Sentuh layar untuk mulai": "Tutul layar kanggo miwiti",
    "PIN harus 6 angka.": "PIN kudu 6 angka.",
    "Terlalu banyak PIN salah. NIK ini dikunci sementara; coba lagi dalam {left}.": (
        "Kakehan PIN salah. NIK iki dikunci sauntara; jajalen maneh {left} engkas."
    ),
    "{n} menit": "{n} menit",
    "{n} detik": "{n} detik",
    "Gangguan pada {names}. Hubungi petugas.": "{names} lagi rusak. Takon petugas.",
    "printer struk": "printer struk",
    "printer surat": "printer layang",
    "NIK harus {need} angka; Anda mengetik {typed}.": "NIK kudu {need} angka; sampeyan ngetik {typed}.",
    "Maksimal {n} karakter.": "Paling akeh {n} aksara.",
}


def third_language(folder: Path, code: str, translated: dict[str, str]) -> Path:
    """What a translator makes: the English file copied, its language set, some messages
    translated (the rest left unfinished), compiled by scripts/translations' lrelease."""
    tree = ET.parse(I18N_DIR / "apm_kiosk_en.ts")
    tree.getroot().set("language", code)
    for message in tree.getroot().iter("message"):
        translation = message.find("translation")
        assert translation is not None
        source = message.findtext("source") or ""
        translation.text = translated.get(source, "")
        if source not in translated:
            translation.set("type", "unfinished")
    ts = folder / f"apm_kiosk_{code}.ts"
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    qm = ts.with_suffix(".qm")
    subprocess.run([str(BIN), str(ts), "-qm", str(qm)], check=True, capture_output=True)
    return qm


def flow_translator(qm: Path):
    from PySide6.QtCore import QTranslator

    translator = QTranslator()
    assert translator.load(str(qm))
    return lambda text: translator.translate("flow", text)


def test_every_flow_message_is_in_the_translation_files():
    from kiosk.flow import catalogue

    for ts in sorted(I18N_DIR.glob("*.ts")):
        flow = {
            m.findtext("source"): m.find("translation")
            for c in ET.parse(ts).getroot().iter("context")
            if c.findtext("name") == catalogue.CONTEXT
            for m in c.iter("message")
        }
        missing = sorted(set(catalogue.messages()) - set(flow))
        assert not missing, f"{ts.name}: run scripts/translations: {missing}"
    english = translations(I18N_DIR / "apm_kiosk_en.ts")
    assert english["Kartu tidak terbaca. Coba lagi, atau masuk dengan NIK dan PIN."] == (
        "The card could not be read. Try again, or sign in with NIK and PIN."
    )


def test_the_flow_messages_speak_a_third_language_from_its_file_alone(tmp_path):
    from kiosk.flow import texts as flow_texts
    from kiosk.flow.view import Language, say

    jv = Language("jv", flow_translator(third_language(tmp_path, "jv", JAVANESE)))
    assert say(flow_texts.PIN_INVALID, jv) == "PIN kudu 6 angka."
    # A template and its values are translated apart, then filled in.
    assert say(flow_texts.locked(105), jv) == (
        "Kakehan PIN salah. NIK iki dikunci sauntara; jajalen maneh 1 menit 45 detik engkas."
    )
    assert say(flow_texts.locked(105), Language("en")) == (
        "Too many wrong PINs. This NIK is locked for now; try again in 1 minute 45 seconds."
    )
    # The shared rules' messages too: the NIK check, a form field's limit.
    from apm_api.models import FieldKind, FormField, Text
    from apm_api.nik import check_nik

    problem = check_nik("352301470890")
    assert problem is not None
    assert say(flow_texts.nik_problem(problem), jv) == "NIK kudu 16 angka; sampeyan ngetik 12."
    field = FormField(
        name="keperluan", label=Text(id="Keperluan"), kind=FieldKind.TEXT, max_length=5
    )
    assert say(field.problem("terlalu panjang"), jv) == "Paling akeh 5 aksara."
    # Untranslated messages stay in Indonesian, never empty.
    assert say(flow_texts.CARD_UNREADABLE, jv) == flow_texts.CARD_UNREADABLE.id


def test_a_translators_slip_in_a_template_falls_back_to_indonesian(tmp_path):
    from kiosk.flow import texts as flow_texts
    from kiosk.flow.view import Language, say

    slipped = {**JAVANESE, flow_texts.LOCKED.id: "Kakehan PIN salah; jajalen maneh {kiwa}."}
    jv = Language("jv", flow_translator(third_language(tmp_path, "jv", slipped)))
    assert say(flow_texts.locked(30), jv) == flow_texts.locked(30).id


def test_a_third_language_on_the_screens_and_in_the_flows_messages(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from kiosk.demo.settings import demo_settings
    from kiosk.ui import translations
    from kiosk.ui.app import KioskWindow

    folder = tmp_path / "i18n"
    folder.mkdir()
    shutil.copy(I18N_DIR / "apm_kiosk_en.qm", folder)
    third_language(folder, "jv", JAVANESE)
    monkeypatch.setattr(translations, "I18N_DIR", folder)
    kiosk = KioskWindow.for_settings(demo_settings(tmp_path / "state"))
    try:
        qtbot.waitExposed(kiosk.window)
        qtbot.waitUntil(lambda: kiosk.bridge.vm["ready"], timeout=20000)
        for _ in ("en", "jv"):  # the button goes through the languages in turn
            click(qtbot, kiosk, "languageButton")
            settle(qtbot, kiosk)
        assert kiosk.bridge.language == "jv"
        assert "Tutul layar kanggo miwiti" in texts(kiosk)
        kiosk.bridge.dispatch(ev.Start())
        qtbot.waitUntil(screen_is(kiosk, "identify"), timeout=5000)
        kiosk.bridge.dispatch(ev.SubmitNikPin("3523014708900001", "12"))
        qtbot.waitUntil(lambda: "PIN kudu 6 angka." in texts(kiosk), timeout=5000)
    finally:
        kiosk.close()
