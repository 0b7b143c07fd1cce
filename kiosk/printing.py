"""Printing a signed letter exactly once, as one journaled unit of work.

`PrintService` owns one worker thread and does one letter at a time there:

    fetch (the prefetched copy, or download) -> SHA-256 + PAdES check -> VERIFIED
    -> PRINTING -> the printer's job -> PRINTED + report queued (one transaction)

Every step is written to the print journal *before* it is taken, so after a power cut
the journal says what may have happened: a job left at STARTED or VERIFIED never
reached the printer; one left at PRINTING may have, and `resume()` asks the printer.

Whatever happens, each `print_letter` posts exactly one terminal flow event:
`DocumentPrinted`, `DocumentFetchFailed` or `PrintFailed`. The GUI thread never waits:
it calls `print_letter`, which only queues the work.

Log lines name the request id and tracking code, never the citizen.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as DeviceTimeout
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apm_api.models import MarkPrinted
from apm_api.signature import LetterProblem, sha256_hex
from kiosk.backend.errors import BackendError
from kiosk.crashpoints import crashpoint
from kiosk.failures import failure_from, failure_from_device
from kiosk.flow import events as ev
from kiosk.flow.state import PrintStep
from kiosk.letter_check import check_letter
from kiosk.storage.journal import JobState

if TYPE_CHECKING:
    from drivers.device import Job
    from kiosk.backend.client import BackendClient
    from kiosk.storage import KioskStorage
    from kiosk.storage.journal import PrintJob
    from printer.base import DocumentPrinter, PrintedDocument

log = logging.getLogger(__name__)

OWNER = "kiosk"  # the device owner the citizen flow claims the printers as
DEVICE_TIMEOUT_S = 120.0
STOP_WAIT_S = 5.0

# Failure details (English, for the flow's notice and the technician).
NOT_ANSWERING = "printer not answering"
ALREADY_PRINTED = "already printed"
REPRINT_LIMIT_REACHED = "reprint limit reached"
SHUTTING_DOWN = "kiosk shutting down"

Post = Callable[[ev.Event], None]


@dataclass(frozen=True)
class ResumeSummary:
    """What `resume()` found in the journal at start-up."""

    printed: int = 0  # the printer says the paper came out: recorded, report queued
    interrupted: int = 0  # the printer says it did not: a normal print later
    uncertain: int = 0  # nobody can tell: offered as a reprint at pickup
    not_started: int = 0  # died before the printer had it: marked failed

    @property
    def total(self) -> int:
        return self.printed + self.interrupted + self.uncertain + self.not_started

    def __str__(self) -> str:
        return (
            f"{self.printed} printed (report queued), {self.interrupted} interrupted, "
            f"{self.uncertain} uncertain, {self.not_started} not started"
        )


@dataclass(frozen=True)
class _Order:
    session_no: int
    request_id: str
    sha256: str
    tracking_code: str
    local_id: str | None
    reprint: bool


class _Stop(Exception):
    """A step ends the unit of work: the journal records `reason`, the flow gets `event`."""

    def __init__(self, reason: str, event: ev.Event) -> None:
        super().__init__(reason)
        self.reason, self.event = reason, event


class PrintService:
    def __init__(
        self,
        storage: KioskStorage,
        client_factory: Callable[[], BackendClient],
        printer: DocumentPrinter,
        trust_anchors: Callable[[], list[bytes]],
        kiosk_id: Callable[[], str],
        post: Post,
        wake_sync: Callable[[], None],
        reprint_limit: int,
        *,
        device_timeout_s: float = DEVICE_TIMEOUT_S,
        owner: str = OWNER,
    ) -> None:
        """`client_factory` returns the shared backend client (the service never closes
        it); `post` must be safe to call from the service's worker thread."""
        self._storage = storage
        self._journal = storage.journal
        self._client_factory = client_factory
        self._printer = printer
        self._trust_anchors = trust_anchors
        self._kiosk_id = kiosk_id
        self._post = post
        self._wake_sync = wake_sync
        self._reprint_limit = reprint_limit
        self._device_timeout_s = device_timeout_s
        self._owner = owner
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="print")
        # Device jobs that outlived the timeout, by journal job id: still the printer's.
        self._late: dict[str, Job[PrintedDocument]] = {}
        self._late_lock = threading.Lock()
        self._units: set[Future[None]] = set()  # queued or running print_letter calls
        self._units_lock = threading.Lock()

    # --- what the runtime calls ------------------------------------------------------------

    def print_letter(
        self,
        session_no: int,
        request_id: str,
        sha256: str,
        tracking_code: str,
        *,
        local_id: str | None = None,
        reprint: bool = False,
    ) -> Future[None]:
        """Queue the letter; returns at once. The outcome arrives as a flow event."""
        order = _Order(session_no, request_id, sha256.lower(), tracking_code, local_id, reprint)
        try:
            unit = self._worker.submit(self._run, order)
        except RuntimeError:  # stopped: still one terminal event
            self._post(_device_failure(order, SHUTTING_DOWN))
            done: Future[None] = Future()
            done.set_result(None)
            return done
        with self._units_lock:
            self._units.add(unit)

        def finished(unit: Future[None]) -> None:
            with self._units_lock:
                self._units.discard(unit)
            if unit.cancelled():  # still queued when the service stopped
                self._post(_device_failure(order, SHUTTING_DOWN))

        unit.add_done_callback(finished)
        return unit

    def resume(self) -> ResumeSummary:
        """At start-up, before any citizen can print: settle what the journal left open.

        Blocks until done (a few journal rows, one printer question each): call it from a
        worker, not the GUI thread.
        """
        return self._worker.submit(self._resume).result()

    def busy(self) -> bool:
        """A letter is being printed or waits to be (a technician's test print waits)."""
        with self._units_lock:
            return any(not unit.done() for unit in self._units)

    def stop(self, timeout: float | None = STOP_WAIT_S) -> bool:
        """Take no more work; letters still queued get their terminal PrintFailed.

        Waits up to `timeout` for the letter in hand (None: as long as it takes); True
        when the service is idle on return. A unit still waiting on the printer ends
        when the printer is closed: the journal then says what happened.
        """
        self._worker.shutdown(wait=False, cancel_futures=True)
        with self._units_lock:
            units = list(self._units)
        _, still_running = wait_for_futures(units, timeout)
        return not still_running

    # --- one letter, on the worker ---------------------------------------------------------

    def _run(self, order: _Order) -> None:
        try:
            event = self._print(order)
        except Exception as error:  # our own bug, or the disk: a calm notice, details logged
            log.exception("print service failed on request %s", order.request_id)
            event = _device_failure(order, f"print service error: {type(error).__name__}")
        self._post(event)

    def _print(self, order: _Order) -> ev.Event:
        refusal = self._refusal(order)
        if refusal is not None:
            return refusal
        job = self._journal.begin(
            order.request_id, order.sha256, local_id=order.local_id, reprint=order.reprint
        )
        try:
            pdf = self._fetch(order)
            self._verify(order, pdf)
            self._journal.mark(job.job_id, JobState.VERIFIED)
        except _Stop as stop:
            self._journal.mark(job.job_id, JobState.FAILED, error=stop.reason)
            return stop.event
        except Exception:
            self._mark_failed_quietly(job.job_id, "print service error before printing")
            raise
        crashpoint("print.verified")
        return self._print_on_device(order, job, pdf)

    def _refusal(self, order: _Order) -> ev.Event | None:
        """Exactly once: why this letter must not be printed now, or None."""
        if self._still_printing(order.request_id):
            log.warning(
                "request %s: an earlier print job is still with the printer; not starting another",
                order.request_id,
            )
            return _device_failure(order, NOT_ANSWERING)
        prints = self._journal.prints_of(order.request_id)
        maybe_printed = any(
            job.state is JobState.UNCERTAIN for job in self._journal.history(order.request_id)
        )
        if prints == 0 and not maybe_printed:
            return None
        if not order.reprint:
            reason = ALREADY_PRINTED
        elif prints - 1 >= self._reprint_limit:
            reason = REPRINT_LIMIT_REACHED
        else:
            return None
        log.warning(
            "request %s: not printed again (%s; %d prints, reprint limit %d)",
            order.request_id,
            reason,
            prints,
            self._reprint_limit,
        )
        failure = ev.Failure(ev.FailureKind.REJECTED, detail=reason)
        return ev.PrintFailed(order.session_no, ev.PrinterRole.DOCUMENT, failure)

    def _fetch(self, order: _Order) -> bytes:
        self._progress(order, PrintStep.DOWNLOADING)
        stored = self._stored_letter(order)
        if stored is not None:
            return stored
        try:
            return self._client_factory().download_document(order.request_id, order.sha256)
        except Exception as error:
            failure = _backend_failure(error)
            log.warning("request %s: letter not fetched: %s", order.request_id, failure.detail)
            event = ev.DocumentFetchFailed(order.session_no, order.request_id, failure)
            raise _Stop(f"fetch: {failure.detail}", event) from None

    def _stored_letter(self, order: _Order) -> bytes | None:
        """The prefetched letter, if it is the one announced (else download it again)."""
        try:
            stored = self._storage.letters.get(order.request_id)
        except (OSError, ValueError) as error:
            log.warning("request %s: stored letter unreadable: %s", order.request_id, error)
            return None
        if stored is not None and sha256_hex(stored) != order.sha256:
            log.info("request %s: stored letter is not the one announced", order.request_id)
            return None
        return stored

    def _verify(self, order: _Order, pdf: bytes) -> None:
        self._progress(order, PrintStep.VERIFYING)
        check = check_letter(pdf, order.sha256, self._anchors())
        if check.ok:
            return
        problem = check.problem or LetterProblem.BAD_SIGNATURE
        log.warning(
            "request %s (tracking %s): letter refused, never printed: %s",
            order.request_id,
            order.tracking_code,
            problem.value,
        )
        self._forget_stored_letter(order)
        failure = ev.Failure(ev.FailureKind.VERIFY, detail=problem.value)
        event = ev.PrintFailed(order.session_no, ev.PrinterRole.DOCUMENT, failure)
        raise _Stop(f"verify: {problem.value}", event)

    def _print_on_device(self, order: _Order, job: PrintJob, pdf: bytes) -> ev.Event:
        self._journal.mark(job.job_id, JobState.PRINTING, device_job=job.job_id)
        self._progress(order, PrintStep.PRINTING)
        title = f"Surat {order.tracking_code}"
        try:
            device_job = self._printer.print_pdf(pdf, title, self._owner, job_name=job.job_id)
        except Exception as error:  # the driver failed before a job existed: no paper
            return self._device_failed(order, job, error)
        crashpoint("print.started")
        try:
            device_job.result(timeout=self._device_timeout_s)
        except DeviceTimeout:
            # The journal stays PRINTING: the paper may still come out. The job is
            # settled when the printer answers, or by resume() after a restart.
            self._settle_when_answered(job, device_job)
            log.warning(
                "request %s: printer gave no answer within %.0f s (job %s)",
                order.request_id,
                self._device_timeout_s,
                job.job_id,
            )
            return _device_failure(order, NOT_ANSWERING)
        except Exception as error:
            return self._device_failed(order, job, error)
        crashpoint("print.printed")
        self._record_printed(job)
        crashpoint("print.recorded")
        self._wake()
        log.info(
            "request %s printed (job %s%s)",
            order.request_id,
            job.job_id,
            ", reprint" if order.reprint else "",
        )
        return ev.DocumentPrinted(order.session_no, order.request_id)

    def _device_failed(self, order: _Order, job: PrintJob, error: BaseException) -> ev.Event:
        failure = _device_failure_from(error)
        self._journal.mark(job.job_id, JobState.FAILED, error=failure.detail)
        log.warning("request %s: printer failed: %s", order.request_id, failure.detail)
        return ev.PrintFailed(order.session_no, ev.PrinterRole.DOCUMENT, failure)

    # --- settling jobs the printer had -----------------------------------------------------

    def _still_printing(self, request_id: str) -> bool:
        """Settle this letter's PRINTING jobs; True if the printer still has one."""
        for job in self._journal.history(request_id):
            if job.state is not JobState.PRINTING:
                continue
            with self._late_lock:
                late = self._late.get(job.job_id)
            if late is not None and not late.done():
                return True
            if late is not None:
                self._settle_late(job.job_id, late)
            else:  # left by an earlier run and resume() did not see it
                self._settle_from_printer(job)
        return False

    def _settle_when_answered(self, job: PrintJob, device_job: Job[PrintedDocument]) -> None:
        with self._late_lock:
            self._late[job.job_id] = device_job

        def answered(finished: Job[PrintedDocument]) -> None:
            # Closed already: resume() settles it at the next start.
            with contextlib.suppress(RuntimeError):
                self._worker.submit(self._settle_late, job.job_id, finished)

        device_job.add_done_callback(answered)

    def _settle_late(self, job_id: str, device_job: Job[PrintedDocument]) -> None:
        """The printer finally answered a job we stopped waiting for."""
        with self._late_lock:
            self._late.pop(job_id, None)
        job = self._journal.get(job_id)
        if job is None or job.state is not JobState.PRINTING:
            return  # settled already
        error = device_job.future.exception()
        if error is None:
            self._record_printed(job)
            self._wake()
            log.warning(
                "request %s: printed late, after the printer stopped answering (job %s)",
                job.request_id,
                job_id,
            )
        else:
            detail = _device_failure_from(error).detail
            self._journal.mark(job_id, JobState.FAILED, error=detail)
            log.info("request %s: the late print job failed: %s", job.request_id, detail)

    def _settle_from_printer(self, job: PrintJob) -> JobState:
        """A PRINTING job whose device job is gone: ask the printer how it ended."""
        outcome = self._ask_printer(job.device_job)
        if outcome is True:
            self._record_printed(job)
            self._wake()
            return JobState.PRINTED
        if outcome is False:
            state, error = JobState.INTERRUPTED, "the printer did not complete the job"
        else:
            state, error = JobState.UNCERTAIN, "the printer cannot tell whether it printed"
        self._journal.mark(job.job_id, state, error=error)
        return state

    def _ask_printer(self, device_job: str | None) -> bool | None:
        if device_job is None:
            return None
        try:
            return self._printer.job_outcome(device_job)
        except Exception as error:  # a printer that cannot be asked cannot tell
            log.warning("printer could not say how job %s ended: %r", device_job, error)
            return None

    def _resume(self) -> ResumeSummary:
        counts: Counter[str] = Counter()
        for job in self._journal.unfinished():
            if job.state is JobState.PRINTING:
                with self._late_lock:
                    if job.job_id in self._late:
                        continue  # still with the printer in this run
                counts[self._settle_from_printer(job).value] += 1
            else:  # STARTED / VERIFIED: nothing reached the printer
                self._journal.mark(
                    job.job_id, JobState.FAILED, error="kiosk stopped before printing"
                )
                counts["not_started"] += 1
        summary = ResumeSummary(
            printed=counts[JobState.PRINTED.value],
            interrupted=counts[JobState.INTERRUPTED.value],
            uncertain=counts[JobState.UNCERTAIN.value],
            not_started=counts["not_started"],
        )
        log.info("print journal resumed: %s", summary)
        return summary

    # --- small helpers -----------------------------------------------------------------------

    def _record_printed(self, job: PrintJob) -> None:
        """Journal PRINTED and queue the report to the backend, in one transaction."""
        report: dict[str, Any] = MarkPrinted(
            kiosk_id=self._kiosk_id_or_unknown(), document_sha256=job.sha256
        ).model_dump(mode="json")
        report["request_id"] = job.request_id
        self._journal.mark_printed(job.job_id, report)

    def _kiosk_id_or_unknown(self) -> str:
        try:
            return self._kiosk_id()
        except Exception:
            log.exception("kiosk id unavailable for a printed report")
            return "unknown"

    def _anchors(self) -> list[bytes]:
        try:
            return list(self._trust_anchors())
        except Exception as error:  # check_letter then says NO_TRUST_ANCHORS
            log.error("trust anchors unreadable: %r", error)
            return []

    def _forget_stored_letter(self, order: _Order) -> None:
        """A stored copy that fails its check is useless: drop it, download next time."""
        try:
            if self._storage.letters.remove(order.request_id):
                self._storage.requests.set_letter(order.request_id, order.sha256, on_disk=False)
        except (OSError, ValueError) as error:
            log.warning("request %s: stored letter not removed: %s", order.request_id, error)

    def _mark_failed_quietly(self, job_id: str, reason: str) -> None:
        try:
            self._journal.mark(job_id, JobState.FAILED, error=reason)
        except Exception:
            log.exception("could not mark print job %s failed", job_id)

    def _progress(self, order: _Order, step: PrintStep) -> None:
        self._post(ev.PrintProgress(order.session_no, order.request_id, step.value))

    def _wake(self) -> None:
        try:
            self._wake_sync()
        except Exception:
            log.exception("could not wake the sync worker (the report stays queued)")


# --- translation into flow failures --------------------------------------------------------


def _device_failure(order: _Order, detail: str) -> ev.PrintFailed:
    failure = ev.Failure(ev.FailureKind.DEVICE, detail=detail)
    return ev.PrintFailed(order.session_no, ev.PrinterRole.DOCUMENT, failure)


def _device_failure_from(error: BaseException) -> ev.Failure:
    return failure_from_device(error)


def _backend_failure(error: Exception) -> ev.Failure:
    if isinstance(error, BackendError):
        return failure_from(error)
    return ev.Failure(ev.FailureKind.SERVER, detail=f"{type(error).__name__}: {error}")
