"""A kiosk that dies while printing: run by test_crash.py in a child process.

    python -m tests.printing.crash_child STATE_DIR TRAY REQUEST_ID SHA256 CA_PEM DELAY_S

with $APM_KIOSK_CRASH_AT naming a crashpoint. It prints the prefetched letter of
REQUEST_ID; the armed crashpoint kills the process (SIGKILL) on the way. Exit code 3
means it survived, which the test treats as a failure.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from kiosk.backend.client import BackendClient
from kiosk.flow import events as ev
from kiosk.printing import OWNER, PrintService
from kiosk.storage import KioskStorage
from printer.sim_document import SimulatedDocumentPrinter, SimulatedDocumentPrinterSettings


def no_backend() -> BackendClient:
    raise RuntimeError("the letter is prefetched: no backend needed")


def main(argv: list[str]) -> int:
    state_dir, tray, request_id, sha256, ca_pem, delay_s = argv
    anchor = Path(ca_pem).read_bytes()
    storage = KioskStorage.open(Path(state_dir))
    settings = SimulatedDocumentPrinterSettings.model_validate(
        {"type": "simulated", "output_dir": tray, "print_delay_s": float(delay_s)}
    )
    printer = SimulatedDocumentPrinter("a4", settings)
    printer.start(OWNER).result(10)
    finished = threading.Event()

    def post(event: object) -> None:
        if isinstance(event, ev.DocumentPrinted | ev.PrintFailed | ev.DocumentFetchFailed):
            print(f"survived: {event}", flush=True)
            finished.set()

    service = PrintService(
        storage,
        no_backend,
        printer,
        lambda: [anchor],
        lambda: "kiosk-crash",
        post,
        lambda: None,
        1,
    )
    service.print_letter(1, request_id, sha256, "011226-777")
    finished.wait(30)
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
