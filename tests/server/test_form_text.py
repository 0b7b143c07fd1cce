"""The server refuses form text its letter cannot print (422 with field_errors) and prints
normalised text, whatever client sent it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import SITI_CARD, SKD_ADDRESS, Kiosk

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdffonts")), reason="needs poppler-utils"
)


def test_an_emoji_is_refused_at_its_field_in_both_languages(kiosk: Kiosk):
    token = kiosk.session()
    answer = kiosk.submit(token, "key-text-00001", "Melamar kerja 😀")
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "invalid_form"
    assert set(body["field_errors"]) == {"keperluan"}
    error = body["field_errors"]["keperluan"]
    assert '"😀" (U+1F600)' in error["id"] and "Gunakan huruf Latin biasa" in error["id"]
    assert '"😀" (U+1F600)' in error["en"] and "Use plain Latin letters" in error["en"]
    assert kiosk.my_requests(token).json()["requests"] == []


def test_a_control_character_in_an_offline_request_is_refused_too(kiosk: Kiosk):
    answer = kiosk.call(
        "POST",
        "/requests",
        headers={"Idempotency-Key": "key-text-00002"},
        json={
            "service_code": "SKD",
            "fields": {"keperluan": "Melamar kerja", "alamat_domisili": "Dusun\x1bKrajan"},
            "applicant": {"method": "card", "card_uid": SITI_CARD},
        },
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["field_errors"]["alamat_domisili"]
    assert "U+001B" in error["id"] and "\x1b" not in error["id"]


@needs_poppler
def test_typographic_text_is_signed_as_plain_text_with_the_letters_own_fonts(
    kiosk: Kiosk, tmp_path: Path
):
    typed = "Melamar kerja di “PT Maju Jaya” – Tuban…"
    printed = 'Melamar kerja di "PT Maju Jaya" - Tuban...'
    token = kiosk.session()
    first = kiosk.submit(token, "key-text-00003", typed)
    assert first.status_code == 201, first.text
    # The same request sent again with the text already normalised is the same request.
    again = kiosk.submit(token, "key-text-00003", printed)
    assert again.status_code == 200, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    request_id = first.json()["id"]
    assert kiosk.sign(request_id).status_code == 200
    document = kiosk.call("GET", f"/requests/{request_id}/document")
    assert document.status_code == 200
    path = tmp_path / "letter.pdf"
    path.write_bytes(document.content)
    text = " ".join(_run("pdftotext", str(path), "-").split())
    assert f"keperluan: {printed}." in text
    assert SKD_ADDRESS in text
    fonts = {line.split()[0] for line in _run("pdffonts", str(path)).splitlines()[2:]}
    assert fonts <= {"Helvetica", "Helvetica-Bold", "Helvetica-Oblique"}, fonts


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout
