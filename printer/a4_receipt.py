"""The receipt as an A4 page, for kiosks that have no thermal printer.

    [devices.receipt_printer]
    type = "cups-a4"          # the proof of submission on the A4 printer
    queue = "A4"              # usually the same CUPS queue as the document printer
    server = "localhost:631"

The same `Receipt` the thermal printer would get is drawn by printer.pdf_pages as a
printed proof of submission (tracking code, queue number, pickup QR) and sent through
CUPS exactly like a letter: followed to completion, cancelled and reported if it never
completes. Status is the queue's. Both this and the document printer may use one queue:
CUPS serialises the jobs.
"""

from __future__ import annotations

from typing import Literal

from drivers.device import Job
from drivers.model import DeviceKind
from printer.base import PrintedReceipt, ReceiptPrinter, page_time
from printer.cups_document import CupsDocumentPrinter, CupsDocumentPrinterSettings
from printer.receipt import Receipt

PROOF_TITLE = "Tanda terima permohonan"


class A4ReceiptPrinterSettings(CupsDocumentPrinterSettings):
    type: Literal["cups-a4"]  # type: ignore[assignment]


class A4ReceiptPrinter(ReceiptPrinter, CupsDocumentPrinter):
    settings_model = A4ReceiptPrinterSettings
    kind = DeviceKind.RECEIPT_PRINTER

    def print_receipt(self, receipt: Receipt, owner: str) -> Job[PrintedReceipt]:
        def work(job_id: str) -> PrintedReceipt:
            from printer.pdf_pages import proof_of_submission_pdf

            pdf = proof_of_submission_pdf(receipt, page_time())
            self._print_io(job_id, pdf, PROOF_TITLE, job_id)
            return PrintedReceipt(job_id, pdf)

        return self._submit_job(owner, "print", work)
