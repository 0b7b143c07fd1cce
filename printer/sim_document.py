"""A simulated A4 printer: keeps every PDF it printed, with scriptable faults.

    [devices.document_printer]
    type = "simulated"
    print_delay_s = 0.5                      # a page takes a while on a real printer
    output_dir = "/var/tmp/apm-printed"      # optional: the paper tray, kept on disk
    faults = []                              # paper_out, paper_low, cover_open, unplugged
    fault_script = [{at_job = 3, fault = "paper_out"}]

`simulator.printed()` returns every `PrintedDocument` (job id, title, the PDF bytes), so
the demo can write them out; `simulator.inject("paper_out")` / `clear(...)` change
faults at run time, and the status follows at once.

With `output_dir` set, every completed job is also written there as `<job name>.pdf`
(atomically, and durable across restarts: that folder is the paper tray), and
`job_outcome(name)` answers from it, as a real printer's job history would. A job given
no name is written under its device job id, which is unique within one run only. The
health check's test page is printed but not put in the tray (the tray holds letters).
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from drivers.device import Job
from drivers.model import (
    Availability,
    Capabilities,
    CoverState,
    DeviceError,
    DeviceStatus,
    ErrorKind,
    Feature,
    HealthCheck,
    HealthLevel,
    PaperLevel,
    Sensor,
)
from drivers.sim.faults import (
    PRINTER_FAULTS,
    Fault,
    FaultControls,
    FaultPlan,
    FaultSettings,
    refresh_status_on_change,
)
from printer.base import (
    DocumentPrinter,
    PrintedDocument,
    printer_status,
    refuse_unless_usable,
    stopped_while_printing,
)


class SimulatedDocumentPrinterSettings(FaultSettings):
    supported_faults: ClassVar[frozenset[Fault]] = PRINTER_FAULTS
    counts_job_bytes: ClassVar[bool] = False  # a PDF is one job: no "after N bytes"

    type: Literal["simulated"]
    print_delay_s: float = Field(default=0.5, ge=0, le=60)
    output_dir: Path | None = None
    poll_interval_s: float | None = Field(default=None, gt=0)


class DocumentPrinterSimulator(FaultControls):
    """The developer panel's handle: faults, and the archive of printed documents."""

    def __init__(self, faults: FaultPlan) -> None:
        super().__init__(faults)
        self._lock = threading.Lock()
        self._printed: list[PrintedDocument] = []

    def printed(self) -> list[PrintedDocument]:
        with self._lock:
            return list(self._printed)

    def forget_printed(self) -> None:
        with self._lock:
            self._printed.clear()

    def _record(self, document: PrintedDocument) -> None:
        with self._lock:
            self._printed.append(document)


class SimulatedDocumentPrinter(DocumentPrinter):
    settings_model = SimulatedDocumentPrinterSettings
    simulator: DocumentPrinterSimulator

    def __init__(self, device_id: str, settings: SimulatedDocumentPrinterSettings) -> None:
        super().__init__(device_id, settings, poll_interval_s=settings.poll_interval_s)
        self._print_delay_s = settings.print_delay_s
        self._output_dir = settings.output_dir
        self._faults = settings.fault_plan()
        self._closing = threading.Event()
        self.simulator = DocumentPrinterSimulator(self._faults)
        refresh_status_on_change(self, self._faults)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            self.kind,
            sensors=frozenset({Sensor.PAPER, Sensor.PAPER_LOW, Sensor.COVER}),
            features=frozenset({Feature.PDF, Feature.STATUS_QUERY}),
            model="simulated A4 printer",
            firmware="sim-1",
        )

    def print_pdf(
        self, pdf: bytes, title: str, owner: str, *, job_name: str | None = None
    ) -> Job[PrintedDocument]:
        def work(job_id: str) -> PrintedDocument:
            return self._print_io(job_id, pdf, title, job_id if job_name is None else job_name)

        return self._submit_job(owner, "print", work)

    def job_outcome(self, device_job: str) -> bool | None:
        """From the paper tray on disk: None without `output_dir` (nothing to look at)."""
        if self._output_dir is None:
            return None
        if not valid_job_name(device_job):
            return False  # such a job was refused before anything was printed
        return (self._output_dir / f"{device_job}.pdf").is_file()

    def close(self) -> Job[None]:
        self._closing.set()  # cut a simulated print delay short
        return super().close()

    # --- on the I/O thread -----------------------------------------------------------------

    def _open_io(self) -> None:
        """Nothing to connect (an unplugged printer shows in the status); make the tray."""
        if self._output_dir is not None:
            try:
                self._output_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise DeviceError(
                    ErrorKind.HARDWARE, f"output_dir {self._output_dir}: {error.strerror}"
                ) from None

    def _close_io(self) -> None:
        """Nothing to disconnect."""

    def _read_status_io(self) -> DeviceStatus:
        return status_from_faults(self._faults.active)

    def _print_io(
        self, job_id: str, pdf: bytes, title: str, tray_name: str | None
    ) -> PrintedDocument:
        """Print; a completed job goes to the tray as `<tray_name>.pdf` (None: not kept)."""
        if not bytes(pdf[:5]) == b"%PDF-":
            raise DeviceError(ErrorKind.ILLEGAL, "not a PDF document")
        if tray_name is not None and not valid_job_name(tray_name):
            raise DeviceError(ErrorKind.ILLEGAL, "job name must be 1-100 of A-Z a-z 0-9 . _ -")
        self._faults.begin_job()
        refuse_unless_usable(self._refresh_status_io())
        if self._closing.wait(self._print_delay_s):
            raise DeviceError(ErrorKind.CANCELLED, "printer closed while printing")
        problem = stopped_while_printing(self._refresh_status_io())
        if problem is not None:
            raise problem
        document = PrintedDocument(job_id, title, bytes(pdf))
        if self._output_dir is not None and tray_name is not None:
            self._put_in_tray(tray_name, document.data)
        self.simulator._record(document)
        return document

    def _put_in_tray(self, name: str, pdf: bytes) -> None:
        """Write `<name>.pdf` so that a crash leaves either the whole file or none."""
        assert self._output_dir is not None
        try:
            write_atomically(self._output_dir / f"{name}.pdf", pdf)
        except OSError as error:
            raise DeviceError(
                ErrorKind.HARDWARE, f"cannot write to output_dir: {error.strerror}"
            ) from None

    def _health_checks_io(self, level: HealthLevel) -> list[HealthCheck]:
        plugged_in = Fault.UNPLUGGED not in self._faults
        checks = [HealthCheck("printer engine", plugged_in, "simulated")]
        if level is not HealthLevel.INTERNAL:
            try:
                self._print_io(f"{self.device_id}-test-page", build_test_page(), "Test page", None)
            except DeviceError as error:
                checks.append(HealthCheck("test page", False, str(error)))
            else:
                checks.append(HealthCheck("test page", True, "printed"))
        return checks


_JOB_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


def valid_job_name(name: str) -> bool:
    """A job name is also a file name in the tray: no separators, no leading dot."""
    return _JOB_NAME.fullmatch(name) is not None


def write_atomically(path: Path, data: bytes) -> None:
    """Temporary file, fsync, rename, fsync the folder: the whole file or none survives."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def status_from_faults(active: frozenset[Fault]) -> DeviceStatus:
    if Fault.UNPLUGGED in active:
        return DeviceStatus(
            Availability.NO_DEVICE, PaperLevel.UNKNOWN, CoverState.UNKNOWN, detail="unplugged"
        )
    if Fault.PAPER_OUT in active:
        paper = PaperLevel.OUT
    elif Fault.PAPER_LOW in active:
        paper = PaperLevel.LOW
    else:
        paper = PaperLevel.FULL
    cover = CoverState.OPEN if Fault.COVER_OPEN in active else CoverState.CLOSED
    return printer_status(paper, cover)


def build_test_page(text: str = "APM Kiosk - test page") -> bytes:
    """A one-page A4 PDF with one line of text, written by hand (no PDF library)."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 18 Tf 72 770 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
