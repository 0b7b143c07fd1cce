"""The A4 printer through a real cupsd: letters come out of a cups-pdf queue with their
text, and every way a queue can fail shows in the status and refuses the print."""

from __future__ import annotations

import threading
import time

import pytest

from drivers.ipp import IppClient, JobState, first
from drivers.model import Availability, CoverState, DeviceError, ErrorKind, HealthLevel, PaperLevel
from printer.base import PrintedDocument

from .conftest import (
    OWNER,
    WAIT_S,
    PdfQueue,
    StatusRecorder,
    add_pdf_queue,
    cups_job_named,
    cups_jobs,
    cups_printer,
    pdf_text,
    unique,
)
from .cupsd import PrivateCups
from .letters import NUMBER, RESIDENT, TITLE


def test_a_signed_letter_goes_to_cups_unchanged_and_comes_out_with_its_text(
    cups: PrivateCups, pdf_queue: PdfQueue, started, letter: bytes
):
    printer = started(cups_printer(cups.server, pdf_queue.name))
    assert printer.status.availability is Availability.ONLINE
    # CUPS does not know the paper or the cover of a PDF queue: unknown, never "full"
    assert (printer.status.paper, printer.status.cover) == (PaperLevel.UNKNOWN, CoverState.UNKNOWN)

    printed = printer.print_pdf(letter, TITLE, OWNER, job_name="journal-0001").result(WAIT_S)

    assert isinstance(printed, PrintedDocument) and printed.data == letter
    job = cups_job_named(cups.server, pdf_queue.name, "journal-0001")
    assert first(job, "job-state") == JobState.COMPLETED
    attributes = IppClient(cups.server, timeout_s=5, user_name="apm-kiosk").queue(pdf_queue.name)
    supplied = attributes.job(first(job, "job-id"), ("document-format-supplied", "job-k-octets"))
    assert first(supplied, "document-format-supplied") == "application/pdf"
    text = pdf_text(pdf_queue.output_of(first(job, "job-id")))
    assert RESIDENT in text and NUMBER in text and TITLE.upper() in text.upper()
    assert printer.capabilities.model == "Generic CUPS-PDF Printer (w/ options)"


def test_the_job_name_is_the_device_job_id_when_the_kiosk_gives_none(
    cups: PrivateCups, pdf_queue: PdfQueue, started, letter: bytes
):
    printer = started(cups_printer(cups.server, pdf_queue.name))
    job = printer.print_pdf(letter, TITLE, OWNER)
    job.result(WAIT_S)
    assert first(cups_job_named(cups.server, pdf_queue.name, job.id), "job-state") == 9


def test_job_outcome_answers_from_cups_history_after_the_fact(
    cups: PrivateCups, pdf_queue: PdfQueue, started, letter: bytes
):
    name = unique("journal")
    first_run = started(cups_printer(cups.server, pdf_queue.name))
    first_run.print_pdf(letter, TITLE, OWNER, job_name=name).result(WAIT_S)
    first_run.close().result(WAIT_S)

    # another printer object, as after the kiosk restarted: it only has CUPS to ask
    after_restart = cups_printer(cups.server, pdf_queue.name)
    assert after_restart.job_outcome(name) is True
    assert after_restart.job_outcome("never-submitted") is None

    # a job that was cancelled before it printed did not complete
    cups.run("cupsdisable", pdf_queue.name)
    cancelled = unique("journal")
    client = IppClient(cups.server, timeout_s=5, user_name="apm-kiosk").queue(pdf_queue.name)
    held = client.print_job(letter, document_format="application/pdf", job_name=cancelled)
    client.cancel_job(first(held, "job-id"))
    cups.run("cupsenable", pdf_queue.name)
    assert after_restart.job_outcome(cancelled) is False


def test_job_outcome_follows_a_job_still_waiting_in_the_queue(
    cups: PrivateCups, pdf_queue: PdfQueue, letter: bytes
):
    name = unique("journal")
    cups.run("cupsdisable", pdf_queue.name)  # the job waits, as behind a busy printer
    client = IppClient(cups.server, timeout_s=5, user_name="apm-kiosk").queue(pdf_queue.name)
    client.print_job(letter, document_format="application/pdf", job_name=name)
    printer = cups_printer(cups.server, pdf_queue.name, job_timeout_s=20)

    enable_later = threading.Timer(0.5, cups.run, ("cupsenable", pdf_queue.name))
    enable_later.start()
    try:
        assert printer.job_outcome(name) is True
    finally:
        enable_later.join()


def test_a_stopped_queue_is_offline_with_the_command_that_fixes_it(
    cups: PrivateCups, pdf_queue: PdfQueue, started, letter: bytes
):
    printer = started(cups_printer(cups.server, pdf_queue.name))
    cups.run("cupsdisable", pdf_queue.name)

    status = printer.refresh_status().result(WAIT_S)
    assert status.availability is Availability.OFFLINE
    assert f"queue stopped (cupsenable {pdf_queue.name})" in status.detail
    with pytest.raises(DeviceError) as refused:
        printer.print_pdf(letter, TITLE, OWNER, job_name=unique("journal")).result(WAIT_S)
    assert refused.value.kind is ErrorKind.OFFLINE
    assert "cupsenable" in refused.value.message
    assert cups_jobs(cups.server, pdf_queue.name) == []  # nothing was queued

    cups.run("cupsenable", pdf_queue.name)
    assert printer.refresh_status().result(WAIT_S).availability is Availability.ONLINE


def test_a_queue_rejecting_jobs_is_offline_and_refuses_the_letter(
    cups: PrivateCups, pdf_queue: PdfQueue, started, letter: bytes
):
    printer = started(cups_printer(cups.server, pdf_queue.name))
    cups.run("cupsreject", pdf_queue.name)

    status = printer.refresh_status().result(WAIT_S)
    assert status.availability is Availability.OFFLINE
    assert status.detail == f"queue rejects jobs (cupsaccept {pdf_queue.name})"
    with pytest.raises(DeviceError) as refused:
        printer.print_pdf(letter, TITLE, OWNER).result(WAIT_S)
    assert refused.value.kind is ErrorKind.OFFLINE

    cups.run("cupsaccept", pdf_queue.name)
    printer.print_pdf(letter, TITLE, OWNER).result(WAIT_S)


def test_a_missing_queue_is_no_device(cups: PrivateCups, started, letter: bytes):
    printer = started(cups_printer(cups.server, "no-such-queue"))

    assert printer.status.availability is Availability.NO_DEVICE
    assert printer.status.detail == "no CUPS queue no-such-queue"
    with pytest.raises(DeviceError) as refused:
        printer.print_pdf(letter, TITLE, OWNER).result(WAIT_S)
    assert refused.value.kind is ErrorKind.NO_DEVICE
    report = printer.check_health().result(WAIT_S)
    checks = {check.name: check for check in report.checks}
    assert checks["cups"].ok and not checks["queue"].ok
    assert checks["queue"].detail == "no CUPS queue no-such-queue"


def test_cupsd_stopped_is_no_device_until_it_is_back(own_cups: PrivateCups, started, letter):
    queue = add_pdf_queue(own_cups)
    printer = started(cups_printer(own_cups.server, queue.name, request_timeout_s=2))
    own_cups.stop()

    status = printer.refresh_status().result(WAIT_S)
    assert status.availability is Availability.NO_DEVICE
    assert status.detail.startswith(f"CUPS not reachable at {own_cups.server}")
    with pytest.raises(DeviceError) as refused:
        printer.print_pdf(letter, TITLE, OWNER).result(WAIT_S)
    assert refused.value.kind is ErrorKind.NO_DEVICE
    assert not {c.name: c for c in printer.check_health().result(WAIT_S).checks}["cups"].ok

    own_cups.start()
    assert printer.refresh_status().result(WAIT_S).availability is Availability.ONLINE
    name = unique("journal")
    printer.print_pdf(letter, TITLE, OWNER, job_name=name).result(WAIT_S)
    job = cups_job_named(own_cups.server, queue.name, name)
    assert RESIDENT in pdf_text(queue.output_of(first(job, "job-id")))


def test_a_job_that_never_completes_is_cancelled_and_reported(
    cups: PrivateCups, raw_printer, started, letter: bytes
):
    hung = raw_printer(silent=True)  # takes the connection, never finishes
    queue = unique("apm-hung")
    cups.add_raw_queue(queue, hung.uri)
    printer = started(cups_printer(cups.server, queue, job_timeout_s=1.5))
    name = unique("journal")

    started_at = time.monotonic()
    with pytest.raises(DeviceError) as timed_out:
        printer.print_pdf(letter, TITLE, OWNER, job_name=name).result(WAIT_S)

    assert timed_out.value.kind is ErrorKind.TIMEOUT
    assert "not completed within 1.5 s: cancelled" in timed_out.value.message
    assert time.monotonic() - started_at < 10
    job = cups_job_named(cups.server, queue, name)
    assert first(job, "job-state") == JobState.CANCELED  # it cannot come out later
    assert printer.job_outcome(name) is False
    cups.lpadmin("-x", queue)


def test_health_checks_see_cups_and_the_queue_and_print_a_test_page(
    cups: PrivateCups, pdf_queue: PdfQueue, started
):
    printer = started(cups_printer(cups.server, pdf_queue.name))

    internal = printer.check_health().result(WAIT_S)
    assert internal.ok, internal.checks
    assert [check.name for check in internal.checks] == ["status", "cups", "queue"]

    external = printer.check_health(HealthLevel.EXTERNAL, OWNER).result(WAIT_S)
    assert external.ok, external.checks
    job = cups_job_named(cups.server, pdf_queue.name, "a4-test-page")
    text = pdf_text(pdf_queue.output_of(first(job, "job-id")))
    assert pdf_queue.name in text and cups.server in text

    cups.run("cupsdisable", pdf_queue.name)
    stopped = printer.check_health().result(WAIT_S)
    queue_check = {check.name: check for check in stopped.checks}["queue"]
    assert not queue_check.ok and "cupsenable" in queue_check.detail
    cups.run("cupsenable", pdf_queue.name)


def test_a_document_that_is_not_a_pdf_is_refused_before_cups(
    cups: PrivateCups, pdf_queue: PdfQueue, started
):
    printer = started(cups_printer(cups.server, pdf_queue.name))
    with pytest.raises(DeviceError) as refused:
        printer.print_pdf(b"<html>not a letter</html>", TITLE, OWNER).result(WAIT_S)
    assert refused.value.kind is ErrorKind.ILLEGAL
    assert cups_jobs(cups.server, pdf_queue.name) == []


# --- ippeveprinter: state reasons of a real IPP printer ----------------------------------------


def test_ippeveprinter_out_of_paper_is_paper_out(eve):
    from printer.cups_document import status_from_attributes

    client = IppClient(eve.server, timeout_s=5, user_name="apm-kiosk")
    printer = client.printer_at("/ipp/print")

    eve.set_paper(0)
    empty = status_from_attributes("eve", printer.attributes())
    assert (empty.availability, empty.paper, empty.detail) == (
        Availability.OFFLINE,
        PaperLevel.OUT,
        "paper out",
    )

    eve.set_paper(10)
    low = status_from_attributes("eve", printer.attributes())
    assert (low.availability, low.paper, low.detail) == (
        Availability.ONLINE,
        PaperLevel.LOW,
        "paper low",
    )


def test_paper_out_during_a_job_shows_in_the_status_and_the_timeout_says_so(
    cups: PrivateCups, eve, started, letter: bytes
):
    queue = unique("apm-eve")
    cups.add_ipp_queue(queue, eve.uri)
    printer = started(cups_printer(cups.server, queue, job_timeout_s=3))
    statuses = StatusRecorder(printer)
    eve.set_paper(0)  # CUPS learns it from the printer once a job runs

    with pytest.raises(DeviceError) as timed_out:
        printer.print_pdf(letter, TITLE, OWNER, job_name=unique("journal")).result(WAIT_S)

    assert timed_out.value.kind is ErrorKind.TIMEOUT
    assert "paper out" in timed_out.value.message
    assert any(s.paper is PaperLevel.OUT and not s.usable for s in statuses.statuses)
    cups.lpadmin("-x", queue)


def test_a_printer_refilled_in_time_prints_the_held_job(
    cups: PrivateCups, eve, started, letter: bytes
):
    queue = unique("apm-eve")
    cups.add_ipp_queue(queue, eve.uri)
    printer = started(cups_printer(cups.server, queue, job_timeout_s=15))
    statuses = StatusRecorder(printer)
    eve.set_paper(0)

    job = printer.print_pdf(letter, TITLE, OWNER, job_name=unique("journal"))
    statuses.wait_for(lambda status: status.paper is PaperLevel.OUT)
    assert not job.done()  # the printer holds the job while it has no paper
    eve.set_paper(250)

    assert job.result(WAIT_S).data == letter
    cups.lpadmin("-x", queue)
