"""`apm-kiosk demo --autoplay`: the whole citizen path, as CI and the README run it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from apm_api.signature import validate_signed_pdf
from kiosk.pickup import qr_payload

pytestmark = pytest.mark.qt


def demo(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "demo", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_session_in_portrait_english_large_text_and_high_contrast(tmp_path: Path):
    result = demo(
        "--autoplay", "--out", str(tmp_path), "--orientation", "portrait", "--language", "en",
        "--large-text", "--high-contrast",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    screens = sorted((tmp_path / "screens").glob("*.png"))
    assert len(screens) >= 8
    for shot in screens:
        image = QImage(str(shot))
        assert (image.width(), image.height()) == (800, 1280), shot.name
    attract = QImage(str(screens[0]))
    # High contrast: the attract screen's background is the darker teal.
    assert attract.pixelColor(5, 5).name() == "#00302c"


def test_default_session_prints_the_signed_letter_and_receipt(tmp_path: Path):
    result = demo("--autoplay", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    screens = sorted(p.name for p in (tmp_path / "screens").glob("*.png"))
    visited = [name.split("-", 1)[1].removesuffix(".png") for name in screens]
    assert visited[0] == "attract" and visited[-1] == "attract"
    for screen in ("services", "form", "confirm", "waiting", "printing", "done"):
        assert screen in visited
    assert all((tmp_path / "screens" / n).stat().st_size > 10_000 for n in screens)  # not blank

    [letter] = (tmp_path / "printed").glob("*.pdf")
    pdf = letter.read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(letter), "-"], capture_output=True, text=True).stdout
    assert "SURAT KETERANGAN DOMISILI" in text and "Siti Rahayu" in text
    check = validate_signed_pdf(pdf, (tmp_path / "demo-ca.pem").read_bytes())
    assert check.ok, check.summary  # intact, valid, and trusted against the demo CA
    assert "Ahmad Fauzi" in check.signer

    tracking = letter.stem.split("-", 1)[1]  # NN-<tracking code>.pdf
    assert re.fullmatch(r"[0-9]{6}-[0-9]{3,6}", tracking), letter.name
    [receipt_text] = (tmp_path / "printed").glob("*-receipt.txt")
    receipt = receipt_text.read_text(encoding="utf-8")
    assert tracking in receipt  # the receipt is for the letter that was printed
    # Its QR code is the pickup code printed on it: scanned at a kiosk, it finds the letter.
    shown = re.search(r"Kode ambil\s*:\s*([0-9-]+)", receipt)
    assert shown is not None, receipt
    assert f"[QR: {qr_payload(shown.group(1).replace('-', ''))}]" in receipt
    assert (
        (tmp_path / "printed" / receipt_text.name.replace(".txt", ".escpos"))
        .read_bytes()
        .startswith(b"\x1b@")
    )


def test_a_failing_step_is_named_and_exits_non_zero(tmp_path: Path):
    script = tmp_path / "session.toml"
    script.write_text(
        '[[step]]\ndo = "tap_card"\nuid = "DEADBEEF"\n\n[[step]]\nexpect = "services"\ntimeout_s = 3\n'
    )
    result = demo("--autoplay", "--out", str(tmp_path / "out"), "--script", str(script))
    assert result.returncode == 1
    assert (
        'autoplay step 2 (expect screen "services"): timed out after 3 s on screen "identify"'
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_pressing_an_item_that_is_not_on_screen_names_it(tmp_path: Path):
    script = tmp_path / "session.toml"
    script.write_text('[[step]]\ndo = "press"\ntarget = "confirmButton"\n')
    result = demo("--autoplay", "--script", str(script))
    assert result.returncode == 1
    assert (
        """autoplay step 1 (press(target='confirmButton')): item "confirmButton" not found"""
        ' on screen "attract"' in result.stderr
    )


def test_a_bad_script_is_refused_before_anything_runs(tmp_path: Path):
    script = tmp_path / "bad.toml"
    script.write_text('[[step]]\ndo = "press"\n')
    result = demo("--autoplay", "--script", str(script))
    assert result.returncode == 2
    assert "step 1: press needs 'target'" in result.stderr


def test_validate_signed_pdf_rejects_garbage():
    assert not validate_signed_pdf(b"not a pdf", b"not a pem").ok


def test_printer_fault_shows_a_notice_and_retry_prints_after_it_is_fixed(tmp_path: Path):
    script = Path(__file__).with_name("printer_fault_session.toml")
    result = demo("--autoplay", "--out", str(tmp_path), "--script", str(script))
    assert result.returncode == 0, result.stderr
    visited = [p.stem.split("-", 1)[1] for p in sorted((tmp_path / "screens").glob("*.png"))]
    assert visited[visited.index("notice") + 1 :][:2] == ["printing", "done"]
    [letter] = (tmp_path / "printed").glob("*.pdf")
    assert letter.read_bytes().startswith(b"%PDF-")
