"""ESC/POS thermal receipt printers over any transport: serial, USB, TCP, a CUPS raw
queue, or the in-process simulator.

    [devices.receipt_printer]
    type = "escpos"
    transport = { type = "tcp", host = "192.168.1.50" }   # or serial, usb, cups, simulated
    paper_width_mm = 80                                   # or 58
    # columns = 42                                        # if 48 do not fit on 80 mm
    # profile = "TM-T20II"                                # python-escpos profile: QR, code pages

See docs/printers.md for every transport's settings.

Status comes from the real-time requests DLE EOT 1 (printer), 2 (offline cause) and 4
(paper sensor), plus 3 (error cause) when 2 reports an error; printers answer them at
any time, even mid-job. A printer that never answers (many clones) is still used: its
paper and cover are "not supported", never "ok"; one that answered before and stops
answering has them "unknown".

A job is held, not failed, while a person can fix what stops it (paper out, cover open,
printer off or unplugged), for up to `hold_timeout_s`: the status is checked every
`hold_check_s` and the receipt is sent once the printer is ready. Until its bytes are
sent, a held job can be cancelled (`cancel(job_id)`: the citizen left, and a receipt
with their pickup code must not come out for the next person). If the paper runs out
or the cover opens during the job, the printer keeps the rest of the receipt in its
buffer and finishes it when fixed, so the driver waits for that and never sends the
receipt again: exactly one copy.

`open` succeeds without the printer (status: no-device); the driver reconnects at
status reads and jobs, with a growing pause between tries (up to `reconnect_max_s`), so
a printer switched on after the kiosk is found by itself.
"""

from __future__ import annotations

import threading
import time
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
from drivers.sim.escpos_stream import DLE_EOT
from drivers.sim.faults import refresh_status_on_change
from drivers.transports import Transport, TransportError, TransportErrorKind, make_transport
from drivers.transports.settings import TransportSettings
from printer.base import (
    PrintedReceipt,
    PrinterSimulator,
    ReceiptPrinter,
    page_time,
    printer_status,
    refuse_unless_usable,
    stopped_while_printing,
)
from printer.escpos_render import ReceiptLayout, render_blocks, render_receipt
from printer.receipt import Receipt

# Bits of the DLE EOT answers (Epson ESC/POS reference).
VALID_MASK, VALID_PATTERN = 0b1001_0011, 0b0001_0010
OFFLINE = 0x08  # n=1
COVER_OPEN, STOPPED_AT_PAPER_END, ERROR_OCCURRED = 0x04, 0x20, 0x40  # n=2
ERROR_CAUSES = (  # n=3
    (0x04, "mechanical error"),
    (0x08, "autocutter error"),
    (0x20, "unrecoverable error"),
    (0x40, "auto-recoverable error"),
)
PAPER_NEAR_END, PAPER_OUT = 0x0C, 0x60  # n=4


class EscposPrinterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["escpos"]
    transport: TransportSettings
    paper_width_mm: Literal[58, 80] = 80
    columns: int | None = Field(default=None, ge=24, le=80)  # None: 48 on 80 mm, 32 on 58 mm
    qr_size: int = Field(default=6, ge=1, le=16)  # dots per QR module
    qr_mode: Literal["auto", "native", "raster"] = "auto"  # auto: native if the profile has it
    cut: Literal["full", "partial"] = "partial"
    profile: str | None = None  # python-escpos capability profile, e.g. "TM-T88V"
    code_page: str | None = None  # e.g. "CP858"; None: the best the profile offers
    status_query: bool = True  # false for printers that never answer DLE EOT
    status_timeout_s: float = Field(default=0.5, gt=0, le=10)
    poll_interval_s: float | None = Field(default=5.0, gt=0)
    hold_timeout_s: float = Field(default=120.0, ge=0, le=3600)  # 0: fail at once
    hold_check_s: float = Field(default=0.5, gt=0, le=10)
    reconnect_max_s: float = Field(default=30.0, gt=0, le=600)


class Phase(StrEnum):
    """Where a receipt job is; it can be cancelled until it is SENDING."""

    QUEUED = "queued"
    HELD = "held"
    SENDING = "sending"
    CANCELLED = "cancelled"
    CANCEL_IF_HELD = "cancel-if-held"  # prints if the printer is ready, never waits


RECONNECT_FIRST_S = 0.5


class EscposPrinter(ReceiptPrinter):
    settings_model = EscposPrinterSettings

    def __init__(self, device_id: str, settings: EscposPrinterSettings) -> None:
        super().__init__(device_id, settings, poll_interval_s=settings.poll_interval_s)
        self._settings = settings
        self._layout = ReceiptLayout(
            paper_width_mm=settings.paper_width_mm,
            columns=settings.columns,
            qr_size=settings.qr_size,
            cut=settings.cut,
            profile=settings.profile,
            qr_mode=settings.qr_mode,
            code_page=settings.code_page,
        )
        self._transport: Transport = make_transport(settings.transport)
        self._answers_status: bool | None = None  # None: not asked yet
        self._connect_error = ""
        self._connect_failures = 0
        self._next_connect_at = 0.0
        self._phases: dict[str, Phase] = {}  # receipt jobs not finished yet
        self._phases_lock = threading.Lock()
        self._wake_holder = threading.Event()  # set by cancel: stop waiting now
        self._closing = threading.Event()
        self.simulator = _virtual_printer(self._transport)
        if self.simulator is not None:
            refresh_status_on_change(self, self.simulator.faults)

    @property
    def capabilities(self) -> Capabilities:
        reports = self._settings.status_query and self._answers_status is not False
        return Capabilities(
            self.kind,
            sensors=frozenset({Sensor.PAPER, Sensor.PAPER_LOW, Sensor.COVER} if reports else ()),
            features=frozenset({Feature.CUT, Feature.QR})
            | ({Feature.STATUS_QUERY} if reports else set()),
            model=f"ESC/POS receipt printer, {self._transport.describe()}",
        )

    def print_receipt(self, receipt: Receipt, owner: str) -> Job[PrintedReceipt]:
        job = self._submit_job(owner, "print", lambda job_id: self._print_io(job_id, receipt))
        with self._phases_lock:
            if not job.done():
                self._phases.setdefault(job.id, Phase.QUEUED)
        job.add_done_callback(self._forget_job)
        return job

    def cancel(self, job_id: str) -> bool:
        """Give up a receipt job that would have to wait: one held for paper, cover or
        power stops now and prints nothing; one still queued prints only if the printer
        is ready when its turn comes. False when it was sent already, or finished."""
        with self._phases_lock:
            phase = self._phases.get(job_id)
            if phase not in (Phase.QUEUED, Phase.HELD):
                return False
            # A queued job on a printer known to be stopped would have to wait: stop it now.
            waits = phase is Phase.HELD or not self.status.usable
            self._phases[job_id] = Phase.CANCELLED if waits else Phase.CANCEL_IF_HELD
        self._wake_holder.set()
        return True

    def close(self) -> Job[None]:
        """Waiting jobs give up at once: a kiosk that stops must not hang on paper."""
        self._closing.set()
        with self._phases_lock:
            for job_id, phase in self._phases.items():
                if phase in (Phase.QUEUED, Phase.HELD):
                    self._phases[job_id] = Phase.CANCELLED
        self._wake_holder.set()
        return super().close()

    def _forget_job(self, job: Job[PrintedReceipt]) -> None:
        with self._phases_lock:
            self._phases.pop(job.id, None)

    # --- on the I/O thread -----------------------------------------------------------------

    def _open_io(self) -> None:
        self._check_profile()
        self._connect()  # a missing printer is reported by the status, not by open

    def _close_io(self) -> None:
        self._transport.close()

    def _print_io(self, job_id: str, receipt: Receipt) -> PrintedReceipt:
        data = render_receipt(receipt, self._layout)
        self._send_io(data, job_id)
        return PrintedReceipt(job_id, data)

    def _send_io(self, data: bytes, job_id: str | None = None) -> None:
        self._hold_until_ready(job_id)
        self._enter_phase(job_id, Phase.SENDING)
        try:
            self._transport.write(data)
        except TransportError as error:
            raise error.to_device_error("printing failed", self._refresh_status_io()) from None
        self._finish_held_printout()

    def _hold_until_ready(self, job_id: str | None) -> None:
        """Wait while a person can fix what stops the printer; raise if it takes too long,
        the job is cancelled, or the printer reports a fault nobody can fix by hand."""
        deadline = time.monotonic() + self._settings.hold_timeout_s
        status = self._refresh_status_io()
        while not status.usable:
            if not _fixable_by_hand(status):
                refuse_unless_usable(status)
            self._enter_phase(job_id, Phase.HELD)  # raises if cancelled
            if time.monotonic() >= deadline:
                waited = self._settings.hold_timeout_s
                refuse_unless_usable(status, f"not printed after waiting {waited:g} s")
            self._wake_holder.wait(self._settings.hold_check_s)
            self._wake_holder.clear()
            status = self._refresh_status_io()

    def _finish_held_printout(self) -> None:
        """After the bytes went out: if the printer stopped mid-receipt, it prints the rest
        from its buffer once fixed. Wait for that; never send the receipt again."""
        deadline = time.monotonic() + self._settings.hold_timeout_s
        status = self._refresh_status_io()
        while _stopped_mid_job(status) and time.monotonic() < deadline:
            if self._closing.wait(self._settings.hold_check_s):
                break
            status = self._refresh_status_io()
        problem = stopped_while_printing(status)
        if problem is not None:
            if _stopped_mid_job(status):
                problem.message += "; the rest prints when the printer is fixed"
            raise problem

    def _enter_phase(self, job_id: str | None, phase: Phase) -> None:
        """Move a job on; a cancelled job stops here (before anything was sent)."""
        if job_id is None:
            return
        with self._phases_lock:
            current = self._phases.get(job_id)
            if current is Phase.CANCELLED or (
                current is Phase.CANCEL_IF_HELD and phase is Phase.HELD
            ):
                self._phases[job_id] = Phase.CANCELLED
                raise DeviceError(ErrorKind.CANCELLED, "cancelled while waiting for the printer")
            if current is not Phase.CANCEL_IF_HELD or phase is Phase.SENDING:
                self._phases[job_id] = phase

    def _read_status_io(self) -> DeviceStatus:
        if not self._connect():
            return _unknown_sensors(Availability.NO_DEVICE, f"{self._connect_error}; reconnecting")
        if not self._settings.status_query:
            return DeviceStatus(Availability.ONLINE, detail="status requests disabled")
        try:
            return status_from_answers(self._ask_with_reconnect())
        except TransportError as error:
            if error.kind is TransportErrorKind.TIMEOUT:
                if self._answers_status is False:  # never answered: it cannot report
                    return DeviceStatus(Availability.ONLINE, detail="printer reports no status")
                return _unknown_sensors(Availability.ONLINE, "no answer to status requests")
            if error.kind is TransportErrorKind.NO_DEVICE:
                return _unknown_sensors(Availability.NO_DEVICE, f"{error.message}; reconnecting")
            return _unknown_sensors(Availability.ERROR, error.message)

    def _connect(self) -> bool:
        """Open the link if it is closed, but not more often than the backoff allows: a
        printer that is off must not cost a connect timeout at every status poll."""
        if self._transport.is_open:
            return True
        now = time.monotonic()
        if now < self._next_connect_at:
            return False
        try:
            self._transport.open()
        except TransportError as error:
            self._connect_error = error.message
            self._connect_failures += 1
            pause = RECONNECT_FIRST_S * 2 ** min(self._connect_failures - 1, 16)
            self._next_connect_at = now + min(pause, self._settings.reconnect_max_s)
            return False
        self._connect_error, self._connect_failures, self._next_connect_at = "", 0, 0.0
        return True

    def _ask_with_reconnect(self) -> dict[int, int]:
        try:
            return self._ask_all()
        except TransportError as error:
            if error.kind is TransportErrorKind.TIMEOUT:
                raise
            # A stale link (printer restarted, idle connection dropped): one fresh try;
            # status requests are safe to repeat.
            self._transport.close()
            if not self._connect():
                raise
            return self._ask_all()

    def _ask_all(self) -> dict[int, int]:
        answers = {n: self._ask(n) for n in (1, 2, 4)}
        if answers[2] & ERROR_OCCURRED:
            answers[3] = self._ask(3)
        self._answers_status = True
        return answers

    def _ask(self, n: int) -> int:
        self._transport.discard_input()  # a late answer to an earlier request is stale
        self._transport.write(DLE_EOT + bytes([n]))
        try:
            byte = self._transport.read(1, self._settings.status_timeout_s)[0]
        except TransportError as error:
            if error.kind is TransportErrorKind.TIMEOUT and self._answers_status is None:
                self._answers_status = False
            raise
        if byte & VALID_MASK != VALID_PATTERN:
            raise TransportError(
                TransportErrorKind.COMMUNICATION, f"garbled status byte 0x{byte:02x}"
            )
        return byte

    def _check_profile(self) -> None:
        """A wrong profile or code page is a config error: say so at open, not at the
        first citizen's receipt. This also imports python-escpos and loads its printer
        profiles now, on this thread after the attract screen, not when the first receipt
        is due (~0.5 s)."""
        from escpos.capabilities import CAPABILITIES

        known = CAPABILITIES["profiles"]
        if self._layout.profile is not None and self._layout.profile not in known:
            raise DeviceError(
                ErrorKind.ILLEGAL,
                f"unknown python-escpos profile {self._layout.profile!r}; "
                f"known: {', '.join(sorted(known))}",
            )
        try:
            render_blocks((), self._layout)
        except ValueError as error:
            raise DeviceError(ErrorKind.ILLEGAL, str(error)) from None

    def _health_checks_io(self, level: HealthLevel) -> list[HealthCheck]:
        checks = [
            HealthCheck(
                "connection",
                self._transport.is_open,
                self._transport.describe()
                + (f": {self._connect_error}" if self._connect_error else ""),
            ),
            self._status_requests_check(),
        ]
        if level is not HealthLevel.INTERNAL:
            checks.append(self._test_receipt_check())
        return checks

    def _status_requests_check(self) -> HealthCheck:
        if not self._settings.status_query:
            return HealthCheck("status requests", True, "disabled in settings")
        if self._answers_status:
            return HealthCheck("status requests", True, "answered")
        return HealthCheck(
            "status requests",
            False,
            "no answer; set status_query = false if this printer cannot report status",
        )

    def _test_receipt_check(self) -> HealthCheck:
        try:
            self._send_io(render_receipt(build_test_receipt(self.device_id), self._layout))
        except DeviceError as error:
            return HealthCheck("test receipt", False, str(error))
        return HealthCheck("test receipt", True, "printed")


def status_from_answers(answers: dict[int, int]) -> DeviceStatus:
    """A status from the DLE EOT answers: {1: printer, 2: offline cause, 4: paper[, 3]}."""
    cover = CoverState.OPEN if answers[2] & COVER_OPEN else CoverState.CLOSED
    if answers[4] & PAPER_OUT or answers[2] & STOPPED_AT_PAPER_END:
        paper = PaperLevel.OUT
    elif answers[4] & PAPER_NEAR_END:
        paper = PaperLevel.LOW
    else:
        paper = PaperLevel.FULL
    if answers[2] & ERROR_OCCURRED:
        causes = [text for bit, text in ERROR_CAUSES if answers.get(3, 0) & bit]
        return DeviceStatus(
            Availability.ERROR, paper, cover, detail=", ".join(causes) or "printer error"
        )
    return printer_status(paper, cover, offline=bool(answers[1] & OFFLINE))


def build_test_receipt(device_id: str) -> Receipt:
    return Receipt(
        header=("APM Kiosk",),
        title="TES PRINTER",
        rows=(("Printer", device_id), ("Waktu", page_time().strftime("%d-%m-%Y %H:%M %Z"))),
        tracking_code="TEST-0000",
        qr_payload="APM-KIOSK-PRINTER-TEST",
        footer=("Jika struk ini terbaca, printer berfungsi.",),
        tracking_label="Kode uji",
    )


def _fixable_by_hand(status: DeviceStatus) -> bool:
    """Paper out, cover open, switched off or unplugged: worth waiting for a person."""
    return status.availability in (Availability.OFFLINE, Availability.NO_DEVICE)


def _stopped_mid_job(status: DeviceStatus) -> bool:
    return status.paper is PaperLevel.OUT or status.cover is CoverState.OPEN


def _unknown_sensors(availability: Availability, detail: str) -> DeviceStatus:
    return DeviceStatus(availability, PaperLevel.UNKNOWN, CoverState.UNKNOWN, detail=detail)


def _virtual_printer(transport: Transport) -> PrinterSimulator | None:
    """The virtual printer at the far end of a simulated transport, as the simulator."""
    from drivers.sim.escpos_virtual import VirtualEscposPrinter

    endpoint = getattr(transport, "endpoint", None)
    return endpoint if isinstance(endpoint, VirtualEscposPrinter) else None
