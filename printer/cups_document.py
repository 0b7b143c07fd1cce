"""An A4 printer managed by CUPS: the PDF goes to a queue unchanged, over IPP.

    [devices.document_printer]
    type = "cups"
    queue = "A4"                  # lpstat -p lists the queues
    server = "localhost:631"      # or cupsd's socket, "/run/cups/cups.sock"
    job_timeout_s = 90            # a job not completed by then is cancelled and reported

A letter is submitted as it is (document-format application/pdf; a signed PDF must not
be altered), under the kiosk's job name, and followed with Get-Job-Attributes until it
is completed, aborted or canceled. A job that does not complete within `job_timeout_s`
is cancelled, so that it cannot come out unexpectedly later (say when someone refills
the paper an hour later), and reported as a timeout; if it completed meanwhile, it
printed.

Status comes from the queue's printer-state, printer-is-accepting-jobs and
printer-state-reasons. CUPS knows a printer's paper and cover only when its driver or
the IPP backend reports them (often only while a job runs), so otherwise they are
"unknown", never "full". `job_outcome(name)` asks CUPS's job history, which survives a
kiosk crash and a cupsd restart.

The job user ("apm-kiosk" by default) need not be a system user: CUPS's default policy
lets a user cancel its own jobs, and shows job names only to their owner.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from drivers.device import Job
from drivers.ipp import (
    NOT_ACCEPTING,
    NOT_FOUND,
    NOT_POSSIBLE,
    QUEUE_STATE_ATTRIBUTES,
    Attributes,
    IppClient,
    IppConnectionError,
    IppError,
    IppProtocolError,
    JobState,
    PrinterState,
    Server,
    first,
    queue_refusal,
)
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
)
from printer.base import DocumentPrinter, PrintedDocument, page_time, refuse_unless_usable

log = logging.getLogger(__name__)

PDF_FORMAT = "application/pdf"
JOB_ATTRIBUTES = ("job-id", "job-name", "job-state", "job-state-reasons", "job-state-message")
FIRST_POLL_S = 0.05  # CUPS turns a small PDF into a finished job in well under a second
MAX_POLL_S = 1.0
POLL_GROWTH = 1.5
STATUS_EVERY_S = 2.0  # while following a job, how often the device status is refreshed
CANCEL_SETTLE_S = 5.0  # how long a cancelled job may take to reach its final state

# printer-state-reasons, without their -report/-warning/-error suffix (RFC 8011 5.4.12).
PAPER_OUT_REASONS = frozenset({"media-empty", "media-needed"})
COVER_OPEN_REASONS = frozenset({"cover-open", "door-open", "interlock-open"})
OFFLINE_REASONS = {  # reason -> what a technician reads; the printer cannot print
    "toner-empty": "toner empty",
    "marker-supply-empty": "ink or toner empty",
    "offline": "printer offline",
    "connecting-to-device": "connecting to the printer",
    "shutdown": "printer shut down",
    "paused": "printer paused",
}
WARNING_REASONS = {  # the printer still prints
    "toner-low": "toner low",
    "marker-supply-low": "ink or toner low",
}
SEVERITY_SUFFIXES = ("-report", "-warning", "-error")


class CupsDocumentPrinterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["cups"]
    queue: str = Field(min_length=1, max_length=127, pattern=r"^[^/#\s]+$")
    server: str = "localhost:631"  # host[:port] of cupsd, or the path of its socket
    user_name: str = Field(default="apm-kiosk", min_length=1, max_length=255)
    # Below the kiosk's own print deadline ([timeouts] print_s = 120): the job is settled
    # (printed, or cancelled so it cannot come out later) before the citizen is told.
    job_timeout_s: float = Field(default=90.0, gt=0, le=24 * 3600)
    request_timeout_s: float = Field(default=10.0, gt=0, le=120)  # each IPP call
    poll_interval_s: float | None = Field(default=5.0, gt=0)

    @field_validator("server")
    @classmethod
    def _server_parses(cls, value: str) -> str:
        Server.parse(value)  # raises ValueError with the reason
        return value


class CupsDocumentPrinter(DocumentPrinter):
    settings_model = CupsDocumentPrinterSettings

    def __init__(self, device_id: str, settings: CupsDocumentPrinterSettings) -> None:
        super().__init__(device_id, settings, poll_interval_s=settings.poll_interval_s)
        self._settings = settings
        self._client = IppClient(
            settings.server, timeout_s=settings.request_timeout_s, user_name=settings.user_name
        )
        self._queue = self._client.queue(settings.queue)
        self._model = "unknown"
        self._closing = threading.Event()

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            self.kind, features=frozenset({Feature.PDF}), model=self._model, firmware="CUPS"
        )

    def print_pdf(
        self, pdf: bytes, title: str, owner: str, *, job_name: str | None = None
    ) -> Job[PrintedDocument]:
        def work(job_id: str) -> PrintedDocument:
            return self._print_io(job_id, pdf, title, job_id if job_name is None else job_name)

        return self._submit_job(owner, "print", work)

    def job_outcome(self, device_job: str) -> bool | None:
        """From CUPS's job history: the newest job of ours named `device_job`.

        Completed: True; aborted or canceled: False; unknown to CUPS (never submitted,
        or purged from the history), or CUPS unreachable: None. A job still waiting is
        followed for up to `job_timeout_s`, then cancelled (False), as print_pdf does.
        """
        try:
            found = self._newest_job_named(device_job)
        except (IppConnectionError, IppError, IppProtocolError) as error:
            log.warning("%s: cannot ask CUPS about job %s: %s", self.device_id, device_job, error)
            return None
        if found is None:
            return None
        cups_job = int(first(found, "job-id"))
        if not _state(found).finished:
            try:
                found = self._follow(cups_job, refresh_status=None)
            except DeviceError as error:
                log.warning("%s: job %s: %s", self.device_id, device_job, error)
                cancelled = error.kind in (ErrorKind.TIMEOUT, ErrorKind.CANCELLED)
                return False if cancelled else None  # else: it may still print
        return _state(found) is JobState.COMPLETED

    def close(self) -> Job[None]:
        self._closing.set()  # a job being followed is cancelled rather than waited for
        return super().close()

    # --- on the I/O thread -----------------------------------------------------------------

    def _open_io(self) -> None:
        """Nothing to connect: a missing cupsd or queue shows in the status (no-device),
        so a kiosk that starts before cupsd finds it once it is there."""

    def _close_io(self) -> None:
        """Nothing to disconnect: every IPP call has its own connection."""

    def _read_status_io(self) -> DeviceStatus:
        try:
            attributes = self._queue.attributes(QUEUE_STATE_ATTRIBUTES)
        except IppConnectionError as error:
            return _no_device(f"CUPS not reachable at {self._client.server.describe()}: {error}")
        except IppError as error:
            if error.name == NOT_FOUND:
                return _no_device(f"no CUPS queue {self._settings.queue}")
            return _unknown_sensors(Availability.ERROR, f"CUPS: {error}")
        except IppProtocolError as error:
            return _unknown_sensors(Availability.ERROR, f"CUPS: {error}")
        self._model = str(first(attributes, "printer-make-and-model", self._model))
        return status_from_attributes(self._settings.queue, attributes)

    def _print_io(self, job_id: str, pdf: bytes, title: str, job_name: str) -> PrintedDocument:
        if bytes(pdf[:5]) != b"%PDF-":
            raise DeviceError(ErrorKind.ILLEGAL, "not a PDF document")
        refuse_unless_usable(self._refresh_status_io())
        cups_job = self._submit_io(pdf, job_name)
        log.info(
            "%s: %s is CUPS job %d on %s", self.device_id, job_name, cups_job, self._queue.name
        )
        final = self._follow(cups_job, refresh_status=self._refresh_status_io)
        state = _state(final)
        if state is JobState.COMPLETED:
            return PrintedDocument(job_id, title, bytes(pdf))
        kind = ErrorKind.HARDWARE if state is JobState.ABORTED else ErrorKind.CANCELLED
        verb = "aborted" if state is JobState.ABORTED else "canceled"
        raise DeviceError(kind, f"CUPS job {cups_job} {verb}{_why(final)}", self.status)

    def _submit_io(self, pdf: bytes, job_name: str) -> int:
        try:
            job = self._queue.print_job(pdf, document_format=PDF_FORMAT, job_name=job_name)
        except IppConnectionError as error:
            raise DeviceError(
                ErrorKind.NO_DEVICE, f"printing failed: CUPS not reachable: {error}"
            ) from None
        except IppError as error:
            raise self._refused(error) from None
        except IppProtocolError as error:
            raise DeviceError(ErrorKind.COMMUNICATION, f"printing failed: {error}") from None
        return int(first(job, "job-id"))

    def _refused(self, error: IppError) -> DeviceError:
        queue = self._settings.queue
        if error.name == NOT_ACCEPTING:
            return DeviceError(ErrorKind.OFFLINE, f"queue rejects jobs (cupsaccept {queue})")
        if error.name == NOT_FOUND:
            return DeviceError(ErrorKind.NO_DEVICE, f"no CUPS queue {queue}")
        return DeviceError(ErrorKind.COMMUNICATION, f"CUPS refused the job: {error}")

    def _follow(
        self, cups_job: int, refresh_status: Callable[[], DeviceStatus] | None
    ) -> Attributes:
        """Poll the job until it ends; at the deadline (or on close) cancel it.

        Returns the job's final attributes (completed, aborted or canceled by someone
        else). `refresh_status` (on the I/O thread only) keeps the device status fresh,
        so paper that runs out mid-job shows while the job waits.
        """
        deadline = time.monotonic() + self._settings.job_timeout_s
        next_status = time.monotonic() + STATUS_EVERY_S
        pause = FIRST_POLL_S
        while True:
            attributes = self._job_attributes(cups_job)
            if attributes is not None and _state(attributes).finished:
                return attributes
            now = time.monotonic()
            if now >= deadline:
                return self._cancel(cups_job, refresh_status, closing=False)
            if refresh_status is not None and now >= next_status:
                refresh_status()
                next_status = now + STATUS_EVERY_S
            if self._closing.wait(min(pause, deadline - now)):
                return self._cancel(cups_job, refresh_status, closing=True)
            pause = min(pause * POLL_GROWTH, MAX_POLL_S)

    def _job_attributes(self, cups_job: int) -> Attributes | None:
        """The job's attributes; None while cupsd does not answer (it may be restarting:
        its jobs survive that)."""
        try:
            return self._queue.job(cups_job, JOB_ATTRIBUTES)
        except IppConnectionError:
            return None
        except IppError as error:
            if error.name == NOT_FOUND:
                raise DeviceError(
                    ErrorKind.COMMUNICATION, f"CUPS no longer knows job {cups_job}"
                ) from None
            raise DeviceError(ErrorKind.COMMUNICATION, f"CUPS job {cups_job}: {error}") from None
        except IppProtocolError as error:
            raise DeviceError(ErrorKind.COMMUNICATION, f"CUPS job {cups_job}: {error}") from None

    def _cancel(
        self,
        cups_job: int,
        refresh_status: Callable[[], DeviceStatus] | None,
        *,
        closing: bool,
    ) -> Attributes:
        """Cancel a job that took too long; completed meanwhile counts as printed."""
        status = refresh_status() if refresh_status is not None else self.status
        why = (
            "the printer was closed while it waited"
            if closing
            else f"not completed within {self._settings.job_timeout_s:g} s"
        )
        last = self._job_attributes(cups_job)
        try:
            self._queue.cancel_job(cups_job)
        except IppConnectionError as error:
            raise DeviceError(
                ErrorKind.NO_DEVICE,
                f"CUPS job {cups_job} {why}, and could not be cancelled "
                f"(CUPS not reachable: {error}): it may still print",
                status,
            ) from None
        except IppError as error:
            if error.name != NOT_POSSIBLE:  # not possible: it ended meanwhile
                log.warning("%s: cancelling CUPS job %d: %s", self.device_id, cups_job, error)
        final = self._settled(cups_job) or last or {}
        if final and _state(final) is JobState.COMPLETED:
            return final
        kind = ErrorKind.CANCELLED if closing else ErrorKind.TIMEOUT
        printer = f"; printer: {status.detail}" if status.detail else ""
        raise DeviceError(
            kind, f"CUPS job {cups_job} {why}: cancelled{_why(last or {})}{printer}", status
        )

    def _settled(self, cups_job: int) -> Attributes | None:
        """The job's attributes once it reached a final state (bounded wait)."""
        deadline = time.monotonic() + CANCEL_SETTLE_S
        attributes = None
        while time.monotonic() < deadline:
            attributes = self._job_attributes(cups_job)
            if attributes is not None and _state(attributes).finished:
                return attributes
            time.sleep(FIRST_POLL_S)
        return attributes

    def _newest_job_named(self, job_name: str) -> Attributes | None:
        jobs = self._queue.jobs(JOB_ATTRIBUTES, which="all", my_jobs=True)
        named = [job for job in jobs if first(job, "job-name") == job_name]
        return max(named, key=lambda job: int(first(job, "job-id", 0)), default=None)

    def _health_checks_io(self, level: HealthLevel) -> list[HealthCheck]:
        checks = self._cups_and_queue_checks()
        if level is not HealthLevel.INTERNAL:
            checks.append(self._test_page_check())
        return checks

    def _cups_and_queue_checks(self) -> list[HealthCheck]:
        server, queue = self._client.server.describe(), self._settings.queue
        try:
            attributes = self._queue.attributes(QUEUE_STATE_ATTRIBUTES)
        except IppConnectionError as error:
            return [HealthCheck("cups", False, f"CUPS not reachable at {server}: {error}")]
        except IppProtocolError as error:
            return [HealthCheck("cups", False, f"{server}: {error}")]
        except IppError as error:
            missing = error.name == NOT_FOUND
            detail = f"no CUPS queue {queue}" if missing else f"{queue}: {error}"
            return [HealthCheck("cups", True, server), HealthCheck("queue", False, detail)]
        refusal = queue_refusal(queue, attributes)
        accepting = f"{queue}: enabled, accepting jobs ({self._model})"
        return [
            HealthCheck("cups", True, server),
            HealthCheck("queue", refusal is None, refusal or accepting),
        ]

    def _test_page_check(self) -> HealthCheck:
        from printer.pdf_pages import test_page_pdf

        details = [
            ("Perangkat / Device", self.device_id),
            ("Antrean CUPS / CUPS queue", self._settings.queue),
            ("Server CUPS / CUPS server", self._client.server.describe()),
            ("Model", self._model),
        ]
        name = f"{self.device_id}-test-page"
        try:
            pdf = test_page_pdf(self._settings.queue, details, page_time())
            self._print_io(name, pdf, "Test page", name)
        except DeviceError as error:
            return HealthCheck("test page", False, str(error))
        return HealthCheck("test page", True, "printed")


# --- status from the queue's attributes -------------------------------------------------


def status_from_attributes(queue: str, attributes: Attributes) -> DeviceStatus:
    """The device status of a CUPS queue (or any IPP printer) from its attributes."""
    reasons = state_reasons(attributes)
    paper = _paper(reasons)
    cover = CoverState.OPEN if reasons & COVER_OPEN_REASONS else CoverState.UNKNOWN
    stopped = first(attributes, "printer-state") == PrinterState.STOPPED
    problems = [text for text, present in _sensor_problems(paper, cover) if present]
    problems += [
        text
        for reason, text in OFFLINE_REASONS.items()
        if reason in reasons and not (reason == "paused" and stopped)  # said below
    ]
    problems += [f"printer reports {reason}" for reason in _unknown_errors(attributes)]
    refusal = queue_refusal(queue, attributes)
    if refusal is not None:
        problems.append(refusal)
    warnings = [text for reason, text in WARNING_REASONS.items() if reason in reasons]
    if paper is PaperLevel.LOW:
        warnings.insert(0, "paper low")
    detail = ", ".join(problems + warnings)
    availability = Availability.OFFLINE if problems else Availability.ONLINE
    return DeviceStatus(availability, paper, cover, detail=detail)


def state_reasons(attributes: Attributes) -> frozenset[str]:
    """printer-state-reasons without "none" and without severity suffixes."""
    return frozenset(
        _without_suffix(reason)
        for reason in attributes.get("printer-state-reasons", [])
        if isinstance(reason, str) and reason != "none"
    )


def _without_suffix(reason: str) -> str:
    for suffix in SEVERITY_SUFFIXES:
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


def _paper(reasons: frozenset[str]) -> PaperLevel:
    if "media-jam" in reasons:
        return PaperLevel.JAMMED
    if reasons & PAPER_OUT_REASONS:
        return PaperLevel.OUT
    if "media-low" in reasons:
        return PaperLevel.LOW
    return PaperLevel.UNKNOWN  # CUPS does not say "loaded": not knowing is not "full"


def _sensor_problems(paper: PaperLevel, cover: CoverState) -> list[tuple[str, bool]]:
    return [
        ("cover open", cover is CoverState.OPEN),
        ("paper out", paper is PaperLevel.OUT),
        ("paper jammed", paper is PaperLevel.JAMMED),
    ]


KNOWN_REASONS = (
    PAPER_OUT_REASONS
    | COVER_OPEN_REASONS
    | OFFLINE_REASONS.keys()
    | WARNING_REASONS.keys()
    | {"media-jam", "media-low"}
)


def _unknown_errors(attributes: Attributes) -> list[str]:
    """Reasons we do not know whose "-error" suffix says the printer cannot print."""
    return [
        reason
        for reason in attributes.get("printer-state-reasons", [])
        if isinstance(reason, str)
        and reason.endswith("-error")
        and _without_suffix(reason) not in KNOWN_REASONS
    ]


# --- small helpers ---------------------------------------------------------------------------


def _state(job: Attributes) -> JobState:
    try:
        return JobState(int(first(job, "job-state", JobState.PENDING)))
    except ValueError:
        return JobState.PENDING


def _why(job: Attributes) -> str:
    """The job's reasons and message, as " (reasons): message" for an error text."""
    reasons = [r for r in job.get("job-state-reasons", []) if isinstance(r, str) and r != "none"]
    message = first(job, "job-state-message", "")
    text = f" ({', '.join(reasons)})" if reasons else ""
    return f"{text}: {message}" if message else text


def _unknown_sensors(availability: Availability, detail: str) -> DeviceStatus:
    return DeviceStatus(availability, PaperLevel.UNKNOWN, CoverState.UNKNOWN, detail=detail)


def _no_device(detail: str) -> DeviceStatus:
    return _unknown_sensors(Availability.NO_DEVICE, detail)
