"""Voice guidance: each screen's instruction read aloud in the citizen's language, by a
real espeak-ng (writing to a file here, as the test machine has no sound card), and a
kiosk without espeak-ng stays silent and works."""

from __future__ import annotations

import shutil
import time
import wave
from pathlib import Path

import pytest

from kiosk.voice import Voice

pytestmark = pytest.mark.qt

ESPEAK = shutil.which("espeak-ng")


def wait_for(done, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (scripts/setup does)")
def test_an_instruction_is_spoken_in_indonesian_and_in_english(tmp_path: Path):
    for language, text in (
        ("id", "Tempelkan e-KTP Anda pada pembaca kartu."),
        ("en", "Tap your e-KTP on the card reader."),
    ):
        out = tmp_path / f"{language}.wav"
        voice = Voice([str(ESPEAK), "-w", str(out)])
        voice.say(text, language)
        wait_for(lambda o=out: o.exists() and o.stat().st_size > 1000)
        voice.close()
        with wave.open(str(out)) as speech:
            seconds = speech.getnframes() / speech.getframerate()
        assert seconds > 1.0  # a sentence, not a click
        assert voice.spoken == [(language, text)]


def test_without_espeak_ng_the_kiosk_is_silent_and_unharmed(tmp_path: Path):
    voice = Voice([str(tmp_path / "no-such-speaker")])
    voice.say("Halo", "id")
    wait_for(lambda: not voice.available or voice.spoken)
    voice.close()
    assert voice.spoken == [] and not voice.available


class HeardVoice:
    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    def say(self, text: str, language: str) -> None:
        self.heard.append((language, text))

    def close(self) -> None:
        pass


def test_the_kiosk_reads_each_new_screen_once_in_the_chosen_language(qtbot, tmp_path: Path):
    from kiosk.demo.settings import demo_settings
    from kiosk.ui.app import KioskWindow
    from tests.ui.helpers import click, screen_is

    kiosk = KioskWindow.for_settings(demo_settings(tmp_path, auto_sign_s=0.2))
    heard = HeardVoice()
    kiosk.bridge.voice = heard
    try:
        qtbot.waitUntil(lambda: kiosk.bridge.vm["ready"], timeout=20000)
        assert heard.heard == []  # the attract screen is quiet
        click(qtbot, kiosk, "startButton")
        qtbot.waitUntil(screen_is(kiosk, "identify"))
        click(qtbot, kiosk, "languageButton")
        qtbot.waitUntil(lambda: len(heard.heard) == 2)
        assert heard.heard == [
            ("id", "Tempelkan e-KTP Anda pada pembaca kartu, atau ketik NIK dan PIN Anda."),
            ("en", "Tap your e-KTP on the card reader, or type your NIK and PIN."),
        ]
        kiosk.bridge.stillHere()  # a touch that changes nothing says nothing again
        qtbot.wait(100)
        assert len(heard.heard) == 2
    finally:
        kiosk.close()
