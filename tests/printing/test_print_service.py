"""The print service end to end: a real server, real signatures, the real storage on disk
and the simulated A4 printer whose paper tray is a folder (one file per printed letter)."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from io import BytesIO

import pytest

from apm_server.app import RunningServer
from apm_server.signing import DemoCA
from drivers.device import Job
from kiosk.backend.client import BackendClient
from kiosk.flow import events as ev
from kiosk.flow.state import PrintStep
from kiosk.printing import (
    ALREADY_PRINTED,
    NOT_ANSWERING,
    REPRINT_LIMIT_REACHED,
    SHUTTING_DOWN,
)
from kiosk.storage import JobState
from printer.base import PrintedDocument
from printer.sim_document import SimulatedDocumentPrinter, build_test_page
from tests.devices.helpers import document_settings
from tests.printing.conftest import (
    KIOSK_ID,
    WAIT_S,
    Kiosk,
    Letter,
    local_letter,
    prefetched,
    ready_letter,
    server_anchor,
    signed,
)
from tests.server.conftest import SITI_NAME, SITI_NIK

ALL_STEPS = [PrintStep.DOWNLOADING, PrintStep.VERIFYING, PrintStep.PRINTING]


def wait_until(condition, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def only_job(kiosk: Kiosk, request_id: str):
    jobs = kiosk.storage.journal.history(request_id)
    assert len(jobs) == 1, jobs
    return jobs[0]


def assert_printed_once(kiosk: Kiosk, letter) -> None:
    """One PRINTED job, its letter in the tray byte for byte, its report queued."""
    printed = [
        j for j in kiosk.storage.journal.history(letter.request_id) if j.state is JobState.PRINTED
    ]
    assert len(printed) == 1
    job = printed[0]
    assert job.device_job == job.job_id
    assert kiosk.tray_files() == [f"{job.job_id}.pdf"]
    assert (kiosk.tray / f"{job.job_id}.pdf").read_bytes() == letter.pdf
    assert kiosk.reports() == [
        {"kiosk_id": KIOSK_ID, "document_sha256": letter.sha256, "request_id": letter.request_id}
    ]


# --- a good letter ----------------------------------------------------------------------------


def test_a_signed_letter_from_the_backend_prints_once_and_its_report_is_queued(
    make_kiosk, backend: RunningServer, backend_client: BackendClient, caplog
):
    caplog.set_level(logging.DEBUG)
    letter = ready_letter(backend_client)
    kiosk = make_kiosk(
        client_factory=lambda: backend_client,
        trust_anchors=server_anchor(backend),
        print_delay_s=0.3,
    )
    began = time.monotonic()
    unit = kiosk.service.print_letter(7, letter.request_id, letter.sha256, letter.tracking_code)
    assert time.monotonic() - began < 0.1  # the caller (the GUI thread) never waits
    event = kiosk.events.terminal(7)
    assert unit.done()
    assert event == ev.DocumentPrinted(7, letter.request_id)
    assert kiosk.events.steps(7) == ALL_STEPS
    assert_printed_once(kiosk, letter)
    item = kiosk.storage.outbox.pending()[0]
    assert item.key == f"printed-{only_job(kiosk, letter.request_id).job_id}"
    assert len(kiosk.wakes) == 1  # the sync worker is told at once
    # The logs name the request, never the citizen.
    assert letter.request_id in caplog.text
    assert SITI_NAME not in caplog.text and SITI_NIK not in caplog.text


def test_a_prefetched_letter_prints_without_the_backend(make_kiosk, trusted_ca: DemoCA):
    kiosk = make_kiosk()  # its backend client points at a port nobody listens on
    letter = prefetched(kiosk, signed(trusted_ca))
    assert kiosk.print_and_wait(1, letter) == ev.DocumentPrinted(1, letter.request_id)
    assert_printed_once(kiosk, letter)


def test_a_stored_letter_that_is_not_the_announced_one_is_downloaded_again(
    make_kiosk, backend: RunningServer, backend_client: BackendClient
):
    kiosk = make_kiosk(client_factory=lambda: backend_client, trust_anchors=server_anchor(backend))
    letter = ready_letter(backend_client)
    kiosk.storage.letters.put(letter.request_id, build_test_page("an older copy"))
    assert kiosk.print_and_wait(1, letter) == ev.DocumentPrinted(1, letter.request_id)
    assert_printed_once(kiosk, letter)


# --- letters that fail their checks -----------------------------------------------------------


def updated_after_signing(pdf: bytes) -> bytes:
    """A well-formed incremental update (a new title) appended after the signature."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    info = generic.DictionaryObject(
        {generic.NameObject("/Title"): generic.TextStringObject("Diubah")}
    )
    writer.trailer["/Info"] = writer.add_object(info)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def tampered(pdf: bytes) -> bytes:
    """The same length, one word changed inside what the signature covers."""
    assert pdf.count(b"Domisili") == 1
    return pdf.replace(b"Domisili", b"Domisilx")


@pytest.mark.parametrize(
    ("make_pdf", "problem"),
    [
        (lambda trusted, other: tampered(signed(trusted)), "modified"),
        (lambda trusted, other: build_test_page("Surat Keterangan Domisili"), "unsigned"),
        (lambda trusted, other: signed(other), "untrusted"),
        (lambda trusted, other: updated_after_signing(signed(trusted)), "modified"),
        (lambda trusted, other: b"%PDF-1.4 truncated", "not_a_pdf"),
    ],
    ids=["tampered", "unsigned", "other-ca", "appended", "truncated"],
)
def test_a_letter_that_fails_its_checks_never_reaches_the_printer(
    make_kiosk, trusted_ca: DemoCA, other_ca: DemoCA, caplog, make_pdf, problem
):
    caplog.set_level(logging.WARNING, logger="kiosk.printing")
    kiosk = make_kiosk()
    # The letter's own SHA-256 is announced, so only the signature check can catch it.
    letter = prefetched(kiosk, make_pdf(trusted_ca, other_ca))
    event = kiosk.print_and_wait(3, letter)
    assert event == ev.PrintFailed(
        3, ev.PrinterRole.DOCUMENT, ev.Failure(ev.FailureKind.VERIFY, detail=problem)
    )
    assert kiosk.events.steps(3) == [PrintStep.DOWNLOADING, PrintStep.VERIFYING]
    assert kiosk.tray_files() == [] and kiosk.printer.simulator.printed() == []
    job = only_job(kiosk, letter.request_id)
    assert (job.state, job.error) == (JobState.FAILED, f"verify: {problem}")
    assert kiosk.reports() == []
    # The useless copy is gone (the next try downloads it again).
    assert kiosk.storage.letters.get(letter.request_id) is None
    refused = [r for r in caplog.records if r.name == "kiosk.printing"]
    assert len(refused) == 1
    assert problem in refused[0].getMessage() and letter.request_id in refused[0].getMessage()


def test_without_trust_anchors_nothing_is_printed(make_kiosk, trusted_ca: DemoCA):
    def unreadable() -> list[bytes]:
        raise FileNotFoundError("/etc/apm-kiosk/trust/bsre-root.pem")

    kiosk = make_kiosk(trust_anchors=unreadable)
    letter = prefetched(kiosk, signed(trusted_ca))
    event = kiosk.print_and_wait(1, letter)
    assert event.failure == ev.Failure(ev.FailureKind.VERIFY, detail="no_trust_anchors")
    assert kiosk.tray_files() == []


# --- letters that cannot be had ---------------------------------------------------------------


def test_a_backend_out_of_reach_is_a_fetch_failure(make_kiosk, trusted_ca: DemoCA):
    kiosk = make_kiosk()
    letter = local_letter(signed(trusted_ca))  # not prefetched: it must be downloaded
    event = kiosk.print_and_wait(2, letter)
    assert isinstance(event, ev.DocumentFetchFailed)
    assert (event.request_id, event.failure.kind) == (letter.request_id, ev.FailureKind.UNREACHABLE)
    assert kiosk.events.steps(2) == [PrintStep.DOWNLOADING]
    job = only_job(kiosk, letter.request_id)
    assert job.state is JobState.FAILED and job.error.startswith("fetch: ")
    assert kiosk.tray_files() == []


def test_a_download_that_is_not_the_announced_letter_is_a_fetch_failure(
    make_kiosk, backend: RunningServer, backend_client: BackendClient
):
    kiosk = make_kiosk(client_factory=lambda: backend_client, trust_anchors=server_anchor(backend))
    letter = ready_letter(backend_client)
    wrong = Letter(letter.request_id, "0" * 64, letter.tracking_code, letter.pdf)
    event = kiosk.print_and_wait(1, wrong)
    assert isinstance(event, ev.DocumentFetchFailed)
    assert event.failure.kind is ev.FailureKind.PROTOCOL
    assert kiosk.tray_files() == []


# --- the printer --------------------------------------------------------------------------


def test_paper_out_fails_the_job_and_a_retry_prints_it_once(make_kiosk, trusted_ca: DemoCA):
    kiosk = make_kiosk(faults=("paper_out",))
    letter = prefetched(kiosk, signed(trusted_ca))
    event = kiosk.print_and_wait(1, letter)
    assert isinstance(event, ev.PrintFailed) and event.role is ev.PrinterRole.DOCUMENT
    assert event.failure.kind is ev.FailureKind.DEVICE and "paper out" in event.failure.detail
    assert kiosk.events.steps(1) == ALL_STEPS
    job = only_job(kiosk, letter.request_id)
    assert job.state is JobState.FAILED and "paper out" in (job.error or "")
    assert kiosk.storage.journal.prints_of(letter.request_id) == 0
    assert kiosk.tray_files() == [] and kiosk.reports() == []

    kiosk.printer.simulator.clear("paper_out")
    assert kiosk.print_and_wait(2, letter) == ev.DocumentPrinted(2, letter.request_id)
    assert_printed_once(kiosk, letter)


def test_a_printed_letter_is_not_printed_again_without_a_reprint(make_kiosk, trusted_ca):
    kiosk = make_kiosk()
    letter = prefetched(kiosk, signed(trusted_ca))
    assert isinstance(kiosk.print_and_wait(1, letter), ev.DocumentPrinted)
    again = kiosk.print_and_wait(2, letter)
    assert again == ev.PrintFailed(
        2, ev.PrinterRole.DOCUMENT, ev.Failure(ev.FailureKind.REJECTED, detail=ALREADY_PRINTED)
    )
    assert kiosk.events.steps(2) == []  # refused before anything started
    assert_printed_once(kiosk, letter)
    assert len(kiosk.storage.journal.history(letter.request_id)) == 1


def test_reprints_within_the_limit_are_printed_and_recorded(make_kiosk, trusted_ca: DemoCA):
    kiosk = make_kiosk(reprint_limit=1)
    letter = prefetched(kiosk, signed(trusted_ca))
    assert isinstance(kiosk.print_and_wait(1, letter), ev.DocumentPrinted)
    assert kiosk.print_and_wait(2, letter, reprint=True) == ev.DocumentPrinted(2, letter.request_id)
    third = kiosk.print_and_wait(3, letter, reprint=True)
    assert third.failure == ev.Failure(ev.FailureKind.REJECTED, detail=REPRINT_LIMIT_REACHED)
    jobs = kiosk.storage.journal.history(letter.request_id)
    assert [(j.state, j.reprint) for j in jobs] == [
        (JobState.PRINTED, False),
        (JobState.PRINTED, True),
    ]
    assert kiosk.storage.journal.prints_of(letter.request_id) == 2
    assert kiosk.tray_files() == sorted(f"{j.job_id}.pdf" for j in jobs)
    reports = kiosk.storage.outbox.pending()
    assert len(reports) == 2 and len({r.key for r in reports}) == 2  # one report per print


def test_no_reprint_at_all_with_a_limit_of_zero(make_kiosk, trusted_ca: DemoCA):
    kiosk = make_kiosk(reprint_limit=0)
    letter = prefetched(kiosk, signed(trusted_ca))
    assert isinstance(kiosk.print_and_wait(1, letter), ev.DocumentPrinted)
    refused = kiosk.print_and_wait(2, letter, reprint=True)
    assert refused.failure.detail == REPRINT_LIMIT_REACHED
    assert len(kiosk.tray_files()) == 1


def test_a_printer_that_never_answers_fails_within_the_timeout(make_kiosk, trusted_ca):
    kiosk = make_kiosk(print_delay_s=60, device_timeout_s=0.5)
    letter = prefetched(kiosk, signed(trusted_ca))
    began = time.monotonic()
    event = kiosk.print_and_wait(1, letter)
    assert 0.5 <= time.monotonic() - began < 5
    assert event == ev.PrintFailed(
        1, ev.PrinterRole.DOCUMENT, ev.Failure(ev.FailureKind.DEVICE, detail=NOT_ANSWERING)
    )
    # The paper may still come out: the journal keeps it PRINTING for the printer to settle.
    job = only_job(kiosk, letter.request_id)
    assert (job.state, job.device_job) == (JobState.PRINTING, job.job_id)
    # While the printer still has it, the same letter is not queued behind it.
    again = kiosk.print_and_wait(2, letter)
    assert again.failure == ev.Failure(ev.FailureKind.DEVICE, detail=NOT_ANSWERING)
    assert len(kiosk.storage.journal.history(letter.request_id)) == 1
    # The printer gives up (here: it is switched off): now the journal knows no paper came.
    kiosk.printer.close()
    wait_until(lambda: only_job(kiosk, letter.request_id).state is JobState.FAILED)
    assert kiosk.tray_files() == [] and kiosk.reports() == []


def test_a_job_that_finishes_after_the_timeout_is_recorded_as_printed(make_kiosk, trusted_ca):
    kiosk = make_kiosk(print_delay_s=1.0, device_timeout_s=0.2)
    letter = prefetched(kiosk, signed(trusted_ca))
    assert kiosk.print_and_wait(1, letter).failure.detail == NOT_ANSWERING
    wait_until(lambda: only_job(kiosk, letter.request_id).state is JobState.PRINTED)
    assert_printed_once(kiosk, letter)
    assert len(kiosk.wakes) == 1
    refused = kiosk.print_and_wait(2, letter)
    assert refused.failure.detail == ALREADY_PRINTED


class StuckPrinter(SimulatedDocumentPrinter):
    """A stand-in whose print jobs never complete (a driver stuck in a syscall)."""

    def print_pdf(self, pdf, title, owner, *, job_name=None) -> Job[PrintedDocument]:
        return Job(f"stuck-{job_name}", Future())


def test_a_device_job_that_never_completes_does_not_hang_the_service(make_kiosk, trusted_ca):
    kiosk = make_kiosk(StuckPrinter("a4", document_settings()), device_timeout_s=0.3)
    first = prefetched(kiosk, signed(trusted_ca))
    assert kiosk.print_and_wait(1, first).failure.detail == NOT_ANSWERING
    # The worker is free again: the next letter is handled (and refused by the same printer).
    second = prefetched(kiosk, signed(trusted_ca, "Surat Keterangan Usaha"))
    assert kiosk.print_and_wait(2, second).failure.detail == NOT_ANSWERING
    assert [only_job(kiosk, r).state for r in (first.request_id, second.request_id)] == [
        JobState.PRINTING,
        JobState.PRINTING,
    ]


class BrokenJobPrinter(SimulatedDocumentPrinter):
    """The print job itself raises something no driver should."""

    def _print_io(self, job_id, pdf, title, tray_name):
        raise RuntimeError("firmware said something odd")


class BrokenCallPrinter(SimulatedDocumentPrinter):
    """print_pdf raises at once instead of returning a job."""

    def print_pdf(self, pdf, title, owner, *, job_name=None):
        raise TypeError("driver bug")


@pytest.mark.parametrize(
    ("printer_class", "detail"),
    [
        (BrokenJobPrinter, "RuntimeError: firmware said something odd"),
        (BrokenCallPrinter, "driver bug"),
    ],
)
def test_an_unexpected_error_from_the_printer_is_one_print_failed(
    make_kiosk, trusted_ca, printer_class, detail
):
    kiosk = make_kiosk(printer_class("a4", document_settings()))
    letter = prefetched(kiosk, signed(trusted_ca))
    event = kiosk.print_and_wait(1, letter)
    assert isinstance(event, ev.PrintFailed) and event.failure.kind is ev.FailureKind.DEVICE
    assert detail in event.failure.detail
    assert only_job(kiosk, letter.request_id).state is JobState.FAILED


# --- the service itself -----------------------------------------------------------------------


def test_a_broken_journal_still_gives_one_outcome(make_kiosk, trusted_ca: DemoCA):
    kiosk = make_kiosk()
    letter = prefetched(kiosk, signed(trusted_ca))
    kiosk.storage.close()  # the disk is gone from under the service
    event = kiosk.print_and_wait(1, letter)
    assert isinstance(event, ev.PrintFailed)
    assert event.failure.kind is ev.FailureKind.DEVICE
    assert event.failure.detail.startswith("print service error")
    assert kiosk.printer.simulator.printed() == []


def test_letters_asked_for_after_close_are_refused_not_lost(make_kiosk, trusted_ca: DemoCA):
    kiosk = make_kiosk()
    letter = prefetched(kiosk, signed(trusted_ca))
    kiosk.service.stop()
    assert kiosk.print_and_wait(1, letter).failure.detail == SHUTTING_DOWN


def test_one_letter_at_a_time(make_kiosk, trusted_ca: DemoCA):
    kiosk = make_kiosk(print_delay_s=0.2)
    letters = [prefetched(kiosk, signed(trusted_ca, f"Surat {n}")) for n in range(3)]
    for session_no, letter in enumerate(letters, start=1):
        kiosk.service.print_letter(session_no, letter.request_id, letter.sha256, "t")
    for session_no in (1, 2, 3):
        assert isinstance(kiosk.events.terminal(session_no), ev.DocumentPrinted)
    documents = kiosk.printer.simulator.printed()
    assert [d.data for d in documents] == [letter.pdf for letter in letters]  # in order
    starts = [
        i
        for i, e in enumerate(kiosk.events.items)
        if isinstance(e, ev.PrintProgress) and e.step == PrintStep.DOWNLOADING
    ]
    ends = [i for i, e in enumerate(kiosk.events.items) if isinstance(e, ev.DocumentPrinted)]
    assert starts[1] > ends[0] and starts[2] > ends[1]  # never two letters interleaved


def test_stopping_finishes_the_letter_in_hand_and_refuses_the_queued_ones(make_kiosk, trusted_ca):
    kiosk = make_kiosk(print_delay_s=0.5)
    letters = [prefetched(kiosk, signed(trusted_ca, f"Surat {n}")) for n in range(3)]
    for session_no, letter in enumerate(letters, start=1):
        kiosk.service.print_letter(session_no, letter.request_id, letter.sha256, "t")
    wait_until(lambda: kiosk.events.steps(1) == ALL_STEPS)
    assert kiosk.service.stop(WAIT_S) is True
    assert isinstance(kiosk.events.terminal(1), ev.DocumentPrinted)
    for session_no in (2, 3):
        assert kiosk.events.terminal(session_no).failure.detail == SHUTTING_DOWN
    assert len(kiosk.tray_files()) == 1
