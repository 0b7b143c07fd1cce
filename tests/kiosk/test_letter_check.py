"""The kiosk's letter check runs in a child process: same verdicts, nothing heavy kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from apm_api.signature import LetterProblem, sha256_hex
from kiosk import letter_check

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def letter(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, bytes]:
    """A real signed letter, its CA, and another CA."""
    from apm_api.models import IdentifyByCard, SubmitRequest
    from apm_server.app import start_server
    from apm_server.signing import ensure_demo_ca
    from kiosk.backend.client import BackendClient

    folder = tmp_path_factory.mktemp("letter")
    server = start_server(folder / "server", auto_sign_delay_s=0)
    try:
        client = BackendClient(server.url, server.kiosk_token)
        session = client.identify(IdentifyByCard(card_uid="04A3B2C1D0E1F2"))
        body = SubmitRequest(
            service_code="SKD", fields={"keperluan": "Melamar kerja", "alamat_domisili": "Krajan"}
        )
        request = client.submit(session.session_token, body, "letter-check-0001")
        assert request.document is not None
        pdf = client.download_document(request.id, request.document.sha256)
        client.close()
    finally:
        server.stop()
    ca = (folder / "server" / "demo-ca" / "ca.pem").read_bytes()
    other = ensure_demo_ca(folder / "other", "Orang Lain", "Desa Lain").ca_cert.read_bytes()
    return pdf, ca, other


def test_a_good_letter_passes(letter):
    pdf, ca, _ = letter
    check = letter_check.check_letter(pdf, sha256_hex(pdf), [ca])
    assert check.ok, check.summary
    assert "Ahmad Fauzi" in check.signer


def test_verdicts_come_back_from_the_child(letter):
    pdf, ca, other = letter
    assert (
        letter_check.check_letter(pdf, sha256_hex(pdf), [other]).problem is LetterProblem.UNTRUSTED
    )
    cut = pdf[: len(pdf) // 2]
    assert letter_check.check_letter(cut, sha256_hex(cut), [ca]).problem is LetterProblem.NOT_A_PDF
    assert letter_check.check_letter(pdf, "00" * 32, [ca]).problem is LetterProblem.HASH_MISMATCH
    assert letter_check.check_letter(pdf, sha256_hex(pdf), []).problem is (
        LetterProblem.NO_TRUST_ANCHORS
    )


def test_a_check_that_takes_too_long_refuses_the_letter(letter):
    pdf, ca, _ = letter
    check = letter_check.check_letter(pdf, sha256_hex(pdf), [ca], timeout_s=0.01)
    assert not check.ok
    assert check.problem is LetterProblem.CHECK_FAILED
    assert "longer than" in check.summary


def test_a_child_that_dies_refuses_the_letter(letter, monkeypatch):
    pdf, ca, _ = letter
    monkeypatch.setattr(letter_check, "MEMORY_LIMIT_BYTES", 32 << 20)  # far too little
    check = letter_check.check_letter(pdf, sha256_hex(pdf), [ca])
    assert check.problem is LetterProblem.CHECK_FAILED, check.summary


def test_the_kiosk_process_never_loads_pyhanko(letter, tmp_path: Path):
    pdf, ca, _ = letter
    (tmp_path / "letter.pdf").write_bytes(pdf)
    (tmp_path / "ca.pem").write_bytes(ca)
    code = (
        "import sys; from pathlib import Path; from kiosk.letter_check import check_letter;"
        "from apm_api.signature import sha256_hex;"
        f"pdf = Path({str(tmp_path / 'letter.pdf')!r}).read_bytes();"
        f"ca = Path({str(tmp_path / 'ca.pem')!r}).read_bytes();"
        "assert check_letter(pdf, sha256_hex(pdf), [ca]).ok;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyhanko', 'aiohttp', 'lxml')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
