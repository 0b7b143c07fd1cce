"""ESC/POS receipts: bytes per receipt (native vs raster QR) and time to the last byte.

(a) The bytes one receipt takes with the printer's own QR command and with the QR as a
    raster image, on 80 mm (48 columns) and 58 mm (32 columns) paper, and how long such
    a receipt occupies a 115200 baud line, and a 9600 baud one (many serial printers'
    factory setting), at 10 bits a byte.
(b) The time from `print_receipt()` to the last byte of the receipt received by the
    printer emulator, through a real socat pty pair, the driver's serial port set to
    115200 baud and the emulator reading no faster than 115200 baud would carry (a pty
    itself has no speed). Median of several runs after a warm-up; the driver checks the
    status before and after each receipt, as it does on the kiosk.

    .venv/bin/python bench/escpos_receipts.py [--runs 7]

Needs socat for (b). The receipt is the shape of the tests' sample receipt.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drivers.sim.escpos_peer import EscposPeer  # noqa: E402
from printer.escpos_printer import EscposPrinter, EscposPrinterSettings  # noqa: E402
from printer.escpos_render import ReceiptLayout, render_receipt  # noqa: E402
from printer.receipt import Receipt  # noqa: E402

BAUD = 115200
BITS_PER_BYTE = 10
OWNER = "bench"
QrMode = Literal["native", "raster"]
PAPERS: tuple[tuple[Literal[58, 80], int], ...] = ((80, 48), (58, 32))


def sample_receipt(tracking_code: str = "231126-0042") -> Receipt:
    """The shape of tests/devices/conftest.sample_receipt (copied: bench does not import tests)."""
    return Receipt(
        header=["PEMERINTAH DESA SUKAMAJU", "Kec. Tambakboyo, Kabupaten Tuban"],
        title="TANDA TERIMA PERMOHONAN",
        rows=[
            ("Layanan", "Surat Keterangan Domisili"),
            ("Nama", "Siti Rahayu"),
            ("NIK", "3523********0001"),
        ],
        tracking_code=tracking_code,
        qr_payload=f"https://desa.example/lacak/{tracking_code}",
        footer=["Simpan struk ini sebagai tanda terima."],
    )


def line_seconds(size: int, baud: int = BAUD) -> float:
    return size * BITS_PER_BYTE / baud


# --- (a) bytes ----------------------------------------------------------------------------------


def receipt_bytes(paper_mm: Literal[58, 80], qr_mode: QrMode) -> int:
    layout = ReceiptLayout(paper_width_mm=paper_mm, qr_mode=qr_mode)
    return len(render_receipt(sample_receipt(), layout))


def report_sizes() -> None:
    print("(a) bytes per receipt")
    print(
        f"{'paper':>6} {'columns':>8} {'QR':>7} {'bytes':>7} {'at 115200 baud':>15} {'at 9600':>10}"
    )
    for paper_mm, columns in PAPERS:
        for qr_mode in ("native", "raster"):
            size = receipt_bytes(paper_mm, qr_mode)
            print(
                f"{paper_mm:>4}mm {columns:>8} {qr_mode:>7} {size:>7} "
                f"{line_seconds(size) * 1000:>12.1f} ms {line_seconds(size, 9600):>8.2f} s"
            )


# --- (b) time to the last byte ------------------------------------------------------------------


def driver(port: Path, paper_mm: Literal[58, 80], qr_mode: QrMode) -> EscposPrinter:
    settings = EscposPrinterSettings.model_validate(
        {
            "type": "escpos",
            "transport": {"type": "serial", "port": str(port), "baudrate": BAUD},
            "paper_width_mm": paper_mm,
            "qr_mode": qr_mode,
            "poll_interval_s": None,  # no polls in the middle of a measurement
        }
    )
    return EscposPrinter("receipt", settings)


def time_to_last_byte(
    paper_mm: Literal[58, 80], qr_mode: QrMode, runs: int
) -> tuple[float, float, int]:
    """(median s to the last byte, median s until the job reports done, receipt bytes)."""
    with tempfile.TemporaryDirectory() as directory:
        peer = EscposPeer.pty(Path(directory), baud=BAUD).start()
        printer = driver(peer.printer_port, paper_mm, qr_mode)
        try:
            printer.start(OWNER).result(10)
            to_last_byte, to_done = [], []
            for run in range(runs + 1):  # the first one warms up (imports, first render)
                started = time.monotonic()
                job = printer.print_receipt(sample_receipt(f"231126-{run:04d}"), OWNER)
                job.result(30)
                done = time.monotonic()
                receipt = peer.wait_for_receipts(run + 1, 30)[-1]
                if run:
                    to_last_byte.append(receipt.at - started)
                    to_done.append(done - started)
            size = len(receipt.data)
        finally:
            printer.close().future.exception(10)
            peer.stop()
    return statistics.median(to_last_byte), statistics.median(to_done), size


def report_times(runs: int) -> None:
    print()
    print(
        f"(b) print_receipt() to the last byte at {BAUD} baud (pty + paced emulator), median of {runs}"
    )
    print(
        f"{'paper':>6} {'QR':>7} {'bytes':>7} {'line time':>10} {'last byte':>10} {'job done':>10}"
    )
    for paper_mm, _columns in PAPERS:
        for qr_mode in ("native", "raster"):
            last, done, size = time_to_last_byte(paper_mm, qr_mode, runs)
            print(
                f"{paper_mm:>4}mm {qr_mode:>7} {size:>7} {line_seconds(size) * 1000:>7.1f} ms "
                f"{last * 1000:>7.1f} ms {done * 1000:>7.1f} ms"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs per case (default 7)")
    options = parser.parse_args()
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    report_sizes()
    try:
        report_times(options.runs)
    except Exception as error:  # socat missing, no pty: say so, keep (a)
        print(f"(b) not measured: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
