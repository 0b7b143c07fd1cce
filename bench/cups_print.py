"""Time from `print_pdf()` to a completed CUPS job, for a signed 1-page and 3-page letter.

Starts a private cupsd (as tests/cups does: its own config, spool and port; needs root
and cupsd, cups-pdf) with a cups-pdf queue, and prints each letter through the kiosk's
CupsDocumentPrinter: the time runs from the call to the job's result, which arrives
once CUPS reports the job completed (cups-pdf has then written the PDF via Ghostscript).
The first print of each letter is a warm-up and is not counted.

    .venv/bin/python bench/cups_print.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWNER = "bench"
WAIT_S = 120.0


def time_prints(printer, pdf: bytes, runs: int, label: str) -> list[float]:
    """Seconds from print_pdf() to the completed job, `runs` times after a warm-up."""
    printer.print_pdf(pdf, label, OWNER, job_name=f"{label}-warmup").result(WAIT_S)
    times = []
    for run in range(runs):
        started = time.perf_counter()
        printer.print_pdf(pdf, label, OWNER, job_name=f"{label}-{run}").result(WAIT_S)
        times.append(time.perf_counter() - started)
    return times


def time_cups_itself(server: str, queue: str, pdf: bytes, runs: int) -> list[float]:
    """The same, straight over IPP with a 5 ms poll: what CUPS takes, without the driver's
    growing poll interval."""
    from drivers.ipp import IppClient, JobState, first

    jobs = IppClient(server, timeout_s=10, user_name="apm-kiosk").queue(queue)
    times = []
    for run in range(runs):
        started = time.perf_counter()
        job_id = first(
            jobs.print_job(pdf, document_format="application/pdf", job_name=f"raw-{run}"), "job-id"
        )
        while first(jobs.job(job_id, ("job-state",)), "job-state") < JobState.CANCELED:
            time.sleep(0.005)
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))  # tests.cups holds the private cupsd starter
    from printer.cups_document import CupsDocumentPrinter, CupsDocumentPrinterSettings
    from tests.cups.cupsd import PrivateCups, why_cups_cannot_run
    from tests.cups.letters import signed_letter

    reason = why_cups_cannot_run()
    if reason is not None:
        print(f"cannot run a private cupsd: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        letters = {pages: signed_letter(Path(folder), pages) for pages in (1, 3)}
    cups = PrivateCups().start()
    try:
        cups.add_pdf_queue("bench-a4", cups.root / "out")
        settings = CupsDocumentPrinterSettings.model_validate(
            {"type": "cups", "queue": "bench-a4", "server": cups.server, "poll_interval_s": None}
        )
        printer = CupsDocumentPrinter("a4", settings)
        printer.start(OWNER).result(WAIT_S)
        print(f"print_pdf() to completed CUPS job, cups-pdf queue, {args.runs} runs each:")
        for pages, pdf in letters.items():
            driver = time_prints(printer, pdf, args.runs, f"letter-{pages}p")
            itself = time_cups_itself(cups.server, "bench-a4", pdf, args.runs)
            print(f"  {pages}-page signed letter ({len(pdf) / 1024:.1f} KiB):")
            print(f"    print_pdf() to result:            {summary(driver)}")
            print(f"    CUPS itself (IPP, 5 ms polling):  {summary(itself)}")
        printer.close().result(WAIT_S)
    finally:
        cups.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
