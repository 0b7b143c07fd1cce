"""A kiosk without a thermal printer: the receipt comes out of the A4 printer as a proof of
submission, through a real cupsd and cups-pdf, with its tracking code, queue number, the
village's time and a pickup QR code that scans."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from drivers.model import Availability, DeviceKind, ErrorKind
from printer.a4_receipt import A4ReceiptPrinter, A4ReceiptPrinterSettings
from printer.base import DocumentPrinter, ReceiptPrinter, set_page_zone
from printer.receipt import Receipt
from printer.registry import RECEIPT_PRINTERS

from .conftest import OWNER, WAIT_S, PdfQueue, cups_job_named, pdf_text
from .cupsd import PrivateCups

RECEIPT = Receipt(
    header=("PEMERINTAH DESA SUMBEREJO", "Kec. Merakurak, Kabupaten Tuban"),
    title="TANDA TERIMA PERMOHONAN",
    rows=(
        ("No. antrean", "011226-007"),
        ("Layanan", "Surat Keterangan Domisili"),
        ("Nama", "Siti Rahayu"),
        ("Kode ambil", "1234-5678-9012"),
    ),
    tracking_code="011226-001",
    qr_payload="APM1:AMBIL:123456789012",
    footer=("Simpan tanda terima ini.",),
)


def a4_receipt_printer(server: str, queue: str) -> A4ReceiptPrinter:
    table = {"type": "cups-a4", "queue": queue, "server": server, "poll_interval_s": None}
    return A4ReceiptPrinter("receipt", A4ReceiptPrinterSettings.model_validate(table))


@pytest.fixture
def wib():
    from kiosk.localtime import village_zone

    set_page_zone(village_zone("WIB"))
    yield
    set_page_zone(None)


def test_the_config_type_gives_a_receipt_printer():
    cls = RECEIPT_PRINTERS.resolve("cups-a4")
    assert cls is A4ReceiptPrinter and issubclass(cls, ReceiptPrinter)
    assert cls.kind is DeviceKind.RECEIPT_PRINTER


def test_the_receipt_comes_out_of_the_a4_queue_as_a_proof_of_submission(
    cups: PrivateCups, pdf_queue: PdfQueue, started, wib, tmp_path: Path
):
    printer = started(a4_receipt_printer(cups.server, pdf_queue.name))
    assert printer.status.availability is Availability.ONLINE
    printed = printer.print_receipt(RECEIPT, OWNER).result(WAIT_S)
    assert printed.data.startswith(b"%PDF-")
    job = cups_job_named(cups.server, pdf_queue.name, printed.job_id)
    output = pdf_queue.output_of(job["job-id"][0])
    text = pdf_text(output)
    for expected in ("TANDA TERIMA PERMOHONAN", "011226-001", "011226-007", "Siti Rahayu"):
        assert expected in text, text
    assert "WIB" in text  # the printing time is the village's
    if shutil.which("zbarimg"):
        subprocess.run(
            ["pdftoppm", "-r", "150", "-png", str(output), str(tmp_path / "p")], check=True
        )
        scanned = subprocess.run(
            ["zbarimg", "--raw", "-q", *sorted(map(str, tmp_path.glob("p*.png")))],
            capture_output=True,
            text=True,
        ).stdout
        assert "APM1:AMBIL:123456789012" in scanned


def test_a_missing_queue_refuses_the_receipt_as_no_device(cups: PrivateCups, started):
    printer = started(a4_receipt_printer(cups.server, "no-such-queue"))
    assert printer.status.availability is Availability.NO_DEVICE
    error = printer.print_receipt(RECEIPT, OWNER).future.exception(WAIT_S)
    assert error is not None and error.kind is ErrorKind.NO_DEVICE
    assert not isinstance(printer, DocumentPrinter) or printer.kind is DeviceKind.RECEIPT_PRINTER
