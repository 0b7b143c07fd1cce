"""The signed letter a resident takes home: what it says, and that its signature holds."""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from apm_api.signature import validate_signed_pdf
from apm_server.letter import MONTHS
from apm_server.store import wib

from .conftest import SITI_NAME, SITI_NIK, Kiosk, serving

PURPOSE = "Pendaftaran sekolah anak & beasiswa (SMPN 1)"

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")), reason="needs poppler-utils"
)


@dataclass(frozen=True)
class Letter:
    pdf: bytes
    path: Path
    status: dict
    ca_pem: bytes
    headers: Mapping[str, str]
    tracking_code: str


@pytest.fixture(scope="module")
def letter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Letter]:
    """One SKD letter, submitted, signed by the village head and downloaded (once per module)."""
    folder = tmp_path_factory.mktemp("letter")
    with serving(folder / "state", auto_sign_delay_s=None) as running:
        kiosk = Kiosk(running)
        request = kiosk.new_request("key-letter-00001", PURPOSE)
        signed = kiosk.sign(request["id"])
        assert signed.status_code == 200, signed.text
        download = kiosk.call("GET", f"/requests/{request['id']}/document")
        assert download.status_code == 200
        path = folder / "letter.pdf"
        path.write_bytes(download.content)
        yield Letter(
            pdf=download.content,
            path=path,
            status=kiosk.status(request["id"]),
            ca_pem=running.ca_cert_path.read_bytes(),
            headers=download.headers,  # case-insensitive, as HTTP header names are
            tracking_code=request["tracking_code"],
        )
        kiosk.close()


def byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    found = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found, "no /ByteRange in the signed PDF"
    a, b, c, d = (int(x) for x in found[-1])
    return a, b, c, d


def test_the_download_is_the_document_the_status_announced(letter: Letter):
    document = letter.status["document"]
    assert letter.pdf.startswith(b"%PDF-")
    digest = hashlib.sha256(letter.pdf).hexdigest()
    assert digest == document["sha256"] == letter.headers["X-Document-SHA256"]
    assert len(letter.pdf) == document["size"]


@needs_poppler
def test_the_letter_says_what_it_should(letter: Letter):
    text = subprocess.run(
        ["pdftotext", "-layout", str(letter.path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    flat = " ".join(text.split())
    number = letter.status["document"]["letter_number"]
    signed_at = wib(datetime.fromisoformat(letter.status["document"]["signed_at"]))
    for expected in (
        "SURAT KETERANGAN DOMISILI",
        f"Nomor: {number}",
        SITI_NAME,
        SITI_NIK,  # the printed letter does carry the full NIK (unlike the kiosk's screens)
        "Tuban, 7 Agustus 1990",
        f"untuk keperluan: {PURPOSE}.",
        "berdomisili di Dusun Krajan RT 002 RW 001",
        "DESA SUMBEREJO",
        f"Sumberejo, {signed_at.day} {MONTHS[signed_at.month - 1]} {signed_at.year}",
        "AHMAD FAUZI",
    ):
        assert expected in flat, expected
    assert text.count("AHMAD FAUZI") == 1


@needs_poppler
def test_page_one_renders(letter: Letter, tmp_path: Path):
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(letter.path),
            str(tmp_path / "page"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    png = (tmp_path / "page.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])  # IHDR
    assert (abs(width - 413) <= 2, abs(height - 585) <= 2) == (True, True)  # A4 at 50 dpi


def test_signature_is_intact_valid_and_trusted(letter: Letter):
    check = validate_signed_pdf(letter.pdf, letter.ca_pem)
    assert (check.intact, check.valid, check.trusted) == (True, True, True), check.summary
    assert check.ok
    assert "Ahmad Fauzi" in check.signer


def test_one_changed_byte_in_the_signed_content_breaks_it(letter: Letter):
    a, b, c, d = byte_range(letter.pdf)
    assert (a, c + d) == (0, len(letter.pdf))  # the signature covers the whole file...
    position = len(letter.pdf) // 2
    if b <= position < c:  # ...but for /Contents, the signature itself
        position = b // 2
    assert position < b or position >= c
    tampered = bytearray(letter.pdf)
    tampered[position] ^= 0x01
    check = validate_signed_pdf(bytes(tampered), letter.ca_pem)
    assert not check.ok
    assert not check.intact


def test_a_changed_document_title_breaks_it(letter: Letter):
    # The title sits uncompressed in the signed revision (Info dictionary, signature reason).
    marker = b"Surat Keterangan Domisili"
    where = letter.pdf.find(marker)
    assert where != -1
    tampered = letter.pdf[:where] + b"Surat Keterangan Domisilj" + letter.pdf[where + len(marker) :]
    assert not validate_signed_pdf(tampered, letter.ca_pem).ok


def test_bytes_appended_after_signing_are_noticed(letter: Letter):
    check = validate_signed_pdf(letter.pdf + b"\n% added later\n", letter.ca_pem)
    assert not check.ok
    assert not check.intact


def test_a_different_ca_does_not_trust_the_letter(letter: Letter, tmp_path: Path):
    with serving(tmp_path / "other-village") as other:
        other_ca = other.ca_cert_path.read_bytes()
    assert other_ca != letter.ca_pem
    check = validate_signed_pdf(letter.pdf, other_ca)
    assert not check.trusted
    assert not check.ok
    assert check.intact  # the bytes themselves are untouched


@pytest.mark.parametrize(
    "pdf",
    [b"", b"not a pdf at all", b"%PDF-1.7\n" + b"\x00\xff" * 500, b"%PDF-1.4\n%%EOF\n"],
    ids=["empty", "text", "binary-garbage", "empty-pdf"],
)
def test_garbage_is_a_failed_check_not_an_exception(letter: Letter, pdf: bytes):
    check = validate_signed_pdf(pdf, letter.ca_pem)
    assert (check.ok, check.intact, check.valid, check.trusted) == (False, False, False, False)
    assert check.summary


def test_a_truncated_letter_or_a_garbage_trust_root_fail_cleanly(letter: Letter):
    assert not validate_signed_pdf(letter.pdf[: len(letter.pdf) // 2], letter.ca_pem).ok
    assert not validate_signed_pdf(letter.pdf, b"-----BEGIN CERTIFICATE-----\nxx\n").ok
    assert not validate_signed_pdf(letter.pdf, b"").ok


def test_an_unsigned_pdf_is_not_ok(letter: Letter):
    from io import BytesIO

    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(100, 700, "SURAT KETERANGAN DOMISILI (palsu)")
    page.showPage()
    page.save()
    check = validate_signed_pdf(buffer.getvalue(), letter.ca_pem)
    assert not check.ok
    assert "no signature" in check.summary


# --- every service's letter, unsigned (fast: no server, no signature) ---------------------------


def render_text(code: str, fields: dict[str, str], tmp_path: Path) -> str:
    from apm_server import demo_data
    from apm_server.letter import LetterContent, render_letter, service_paragraph
    from apm_server.office import _purpose

    service = next(s for s in demo_data.SERVICES if s.code == code)
    content = LetterContent(
        village=demo_data.VILLAGE,
        title=service.name.id,
        number=f"{demo_data.LETTER_CODES[code]}/007/35.23.01.2001/XI/2026",
        resident={"name": "Budi Santoso", "nik": "3523011203850002", "birth_place": "Tuban"},
        paragraph=service_paragraph(code, fields, demo_data.VILLAGE),
        purpose=_purpose(service, fields),
        issued=datetime(2026, 11, 23, 9, 30),
        verify_url="http://127.0.0.1:8080/verify/req-1?code=231126-001",
    )
    path = tmp_path / f"{code}.pdf"
    path.write_bytes(render_letter(content))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return " ".join(text.split())


@needs_poppler
@pytest.mark.parametrize(
    ("code", "fields", "expected", "absent"),
    [
        (
            "SKTM",
            {
                "keperluan": "bantuan_sosial",
                "penghasilan_bulanan": "750000",
                "jumlah_tanggungan": "4",
            },
            ["TIDAK MAMPU", "Rp 750.000,-", "tanggungan 4 orang", "keperluan: Bantuan sosial."],
            ["bantuan_sosial"],
        ),
        (
            "SKCK",
            {"keperluan": "Melamar kerja"},
            ["SURAT PENGANTAR SKCK", "Surat pengantar ini dibuat untuk keperluan: Melamar kerja."],
            ["Surat keterangan ini"],
        ),
        (
            "SKU",
            {
                "nama_usaha": "Toko Tani Makmur",
                "jenis_usaha": "Toko pertanian",
                "alamat_usaha": "Dusun Ngampel RT 001 RW 003",
                "mulai_usaha": "2015-02-01",
            },
            [
                "SURAT KETERANGAN USAHA",
                '"Toko Tani Makmur"',
                "Dusun Ngampel RT 001 RW 003, Desa Sumberejo",
                "sejak 1 Februari 2015",
            ],
            ["keperluan", "2015-02-01"],  # SKU asks no purpose; dates read the Indonesian way
        ),
    ],
)
def test_each_service_has_its_own_paragraph(
    code: str, fields: dict[str, str], expected: list[str], absent: list[str], tmp_path: Path
):
    text = render_text(code, fields, tmp_path)
    for phrase in [
        *expected,
        "PEMERINTAH KABUPATEN TUBAN",
        "KECAMATAN MERAKURAK",
        "Nomor:",
        "/007/35.23.01.2001/XI/2026",
        "Yang bertanda tangan di bawah ini, Kepala Desa Sumberejo",
        "Sumberejo, 23 November 2026",
        "Kepala Desa Sumberejo",
        "Ditandatangani secara elektronik",
        "Budi Santoso",
        "3523011203850002",
    ]:
        assert phrase in text, phrase
    for phrase in absent:
        assert phrase not in text, phrase


@needs_poppler
def test_the_village_is_named_once_in_an_address_that_already_names_it(tmp_path: Path):
    text = render_text(
        "SKD",
        {"keperluan": "Pindah sekolah", "alamat_domisili": "Dusun Krajan, Desa Sumberejo"},
        tmp_path,
    )
    assert "Desa Sumberejo, Desa Sumberejo" not in text
    assert "berdomisili di Dusun Krajan, Desa Sumberejo, Kecamatan Merakurak" in text


def test_the_letter_number_follows_the_village_pattern():
    from apm_server import demo_data
    from apm_server.letter import letter_number

    number = letter_number("474", 7, demo_data.VILLAGE, datetime(2026, 11, 23))
    assert number == "474/007/35.23.01.2001/XI/2026"


# --- the demo CA ---------------------------------------------------------------------------------


def test_demo_ca_and_signer_certificate(letter: Letter):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    folder = Path(letter.path).parent / "state" / "demo-ca"
    ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    signer = x509.load_pem_x509_certificate((folder / "signer-cert.pem").read_bytes())
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "APM Demo Root CA"
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert signer.issuer == ca.subject
    assert "Ahmad Fauzi" in signer.subject.rfc4514_string()
    usage = signer.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment  # nonRepudiation
    assert not usage.key_cert_sign
    assert (folder / "signer-key.pem").stat().st_mode & 0o777 == 0o600


def test_the_signature_is_pades_with_reason_and_location(letter: Letter):
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    signature = PdfFileReader(BytesIO(letter.pdf)).embedded_signatures[-1]
    dictionary = signature.sig_object
    assert dictionary["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES baseline
    assert "Surat Keterangan Domisili" in str(dictionary["/Reason"])
    assert str(dictionary["/Location"]) == "Desa Sumberejo"
    assert signature.md_algorithm == "sha256"
