"""`apm-kiosk diag` on a kiosk whose A4 printer is a CUPS queue: a real private cupsd with a
cups-pdf queue (its "paper" is a folder of PDFs)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.cups.conftest import PdfQueue, pdf_text
from tests.diagnostics.conftest import kiosk_config, run_diag


def cups_devices(server: str, queue: str) -> str:
    return f"""
[devices.receipt_printer]
type = "escpos"
transport = {{ type = "simulated" }}
[devices.document_printer]
type = "cups"
queue = "{queue}"
server = "{server}"
[devices.card_reader]
type = "simulated"
"""


def test_a_cups_queue_in_order_and_its_test_page(tmp_path: Path, pdf_queue: PdfQueue):
    devices = cups_devices(pdf_queue.cups.server, pdf_queue.name)
    config = kiosk_config(tmp_path, url="http://127.0.0.1:9", devices=devices)

    check = run_diag("--config", str(config), "device", "document_printer", "--json")
    assert check.code == 0, check.stdout + check.stderr
    health = {h["name"]: h for h in check.check("device", "document_printer")["details"]["health"]}
    assert health["queue"]["ok"] and pdf_queue.name in health["queue"]["detail"]

    printed = run_diag("--config", str(config), "test-print", "document_printer", "--json")
    assert printed.code == 0, printed.stdout + printed.stderr
    deadline = time.monotonic() + 10
    while not list(pdf_queue.out_dir.glob("*.pdf")) and time.monotonic() < deadline:
        time.sleep(0.1)
    [page] = pdf_queue.out_dir.glob("*.pdf")
    assert pdf_queue.name in pdf_text(page)


def test_a_missing_cups_queue_is_a_fault_naming_it(tmp_path: Path, pdf_queue: PdfQueue):
    devices = cups_devices(pdf_queue.cups.server, "no-such-queue")
    config = kiosk_config(tmp_path, url="http://127.0.0.1:9", devices=devices)

    run = run_diag("--config", str(config), "--json")

    assert run.code == 1
    check = run.check("device", "document_printer")
    assert check["level"] == "fault" and "no CUPS queue no-such-queue" in check["summary"]
