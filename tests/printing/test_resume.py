"""resume() at start-up: what a stop left in the journal is settled before anyone prints.

The journal rows are made as the service makes them (begin, VERIFIED, PRINTING with the
job's name on the printer); the paper is made by the real simulated printer, whose tray
on disk outlives it.
"""

from __future__ import annotations

import logging

from apm_server.signing import DemoCA
from kiosk.flow import events as ev
from kiosk.printing import ALREADY_PRINTED, OWNER, ResumeSummary
from kiosk.storage import JobState, PrintJob
from printer.sim_document import SimulatedDocumentPrinter
from tests.devices.helpers import document_settings
from tests.printing.conftest import KIOSK_ID, WAIT_S, Kiosk, Letter, prefetched, signed


def left_at(kiosk: Kiosk, letter: Letter, state: JobState, *, paper_out: bool = False) -> PrintJob:
    """A job as a crash leaves it at `state`; with paper_out the printer did finish it."""
    journal = kiosk.storage.journal
    job = journal.begin(letter.request_id, letter.sha256)
    if state in (JobState.VERIFIED, JobState.PRINTING):
        job = journal.mark(job.job_id, JobState.VERIFIED)
    if state is JobState.PRINTING:
        job = journal.mark(job.job_id, JobState.PRINTING, device_job=job.job_id)
    if paper_out:
        kiosk.printer.print_pdf(letter.pdf, "Surat", OWNER, job_name=job.job_id).result(WAIT_S)
    return job


def state_of(kiosk: Kiosk, job: PrintJob) -> JobState:
    found = kiosk.storage.journal.get(job.job_id)
    assert found is not None
    return found.state


def test_resume_settles_every_job_a_stop_left_open(make_kiosk, trusted_ca: DemoCA, caplog):
    caplog.set_level(logging.INFO, logger="kiosk.printing")
    before = make_kiosk()
    came_out = prefetched(before, signed(trusted_ca, "Surat satu"))
    cut_off = prefetched(before, signed(trusted_ca, "Surat dua"))
    unchecked = prefetched(before, signed(trusted_ca, "Surat tiga"))
    checked = prefetched(before, signed(trusted_ca, "Surat empat"))
    printed_job = left_at(before, came_out, JobState.PRINTING, paper_out=True)
    cut_job = left_at(before, cut_off, JobState.PRINTING)
    started_job = left_at(before, unchecked, JobState.STARTED)
    verified_job = left_at(before, checked, JobState.VERIFIED)
    before.printer.close().result(WAIT_S)

    after = make_kiosk()  # the kiosk starts again: same disk, same tray
    summary = after.service.resume()

    assert summary == ResumeSummary(printed=1, interrupted=1, uncertain=0, not_started=2)
    assert state_of(after, printed_job) is JobState.PRINTED
    assert state_of(after, cut_job) is JobState.INTERRUPTED
    assert state_of(after, started_job) is JobState.FAILED
    assert state_of(after, verified_job) is JobState.FAILED
    assert after.storage.journal.unfinished() == []
    # The letter that came out is reported, exactly as a normal print would report it.
    assert after.reports() == [
        {
            "kiosk_id": KIOSK_ID,
            "document_sha256": came_out.sha256,
            "request_id": came_out.request_id,
        }
    ]
    assert after.wakes
    assert "print journal resumed: 1 printed (report queued), 1 interrupted, 0 uncertain, " in (
        caplog.text
    )
    assert after.events.items == []  # no citizen is waiting for these

    # Afterwards: the interrupted and never-started letters print normally, once; the one
    # that came out is not printed again.
    for session_no, letter in enumerate((cut_off, unchecked, checked), start=1):
        assert after.print_and_wait(session_no, letter) == ev.DocumentPrinted(
            session_no, letter.request_id
        )
    refused = after.print_and_wait(9, came_out)
    assert refused.failure == ev.Failure(ev.FailureKind.REJECTED, detail=ALREADY_PRINTED)
    assert len(after.tray_files()) == 4


def test_a_printer_that_cannot_tell_leaves_the_job_uncertain(make_kiosk, trusted_ca: DemoCA):
    before = make_kiosk(tray_on_disk=False)
    letter = prefetched(before, signed(trusted_ca))
    job = left_at(before, letter, JobState.PRINTING, paper_out=True)
    before.printer.close().result(WAIT_S)

    after = make_kiosk(tray_on_disk=False)  # job_outcome answers None
    assert after.service.resume() == ResumeSummary(uncertain=1)
    assert state_of(after, job) is JobState.UNCERTAIN
    assert after.reports() == []
    # Maybe printed: a plain print is refused; the citizen is offered a reprint, which counts.
    assert after.print_and_wait(1, letter).failure.detail == ALREADY_PRINTED
    assert after.print_and_wait(2, letter, reprint=True) == ev.DocumentPrinted(2, letter.request_id)
    jobs = after.storage.journal.history(letter.request_id)
    assert [(j.state, j.reprint) for j in jobs] == [
        (JobState.UNCERTAIN, False),
        (JobState.PRINTED, True),
    ]


class UnaskablePrinter(SimulatedDocumentPrinter):
    def job_outcome(self, device_job: str) -> bool | None:
        raise ConnectionError("printer web interface down")


def test_a_printer_that_cannot_be_asked_is_the_same_as_one_that_cannot_tell(
    make_kiosk, trusted_ca: DemoCA
):
    before = make_kiosk()
    letter = prefetched(before, signed(trusted_ca))
    job = left_at(before, letter, JobState.PRINTING)
    before.printer.close().result(WAIT_S)
    after = make_kiosk(UnaskablePrinter("a4", document_settings(output_dir=before.tray)))
    assert after.service.resume() == ResumeSummary(uncertain=1)
    assert state_of(after, job) is JobState.UNCERTAIN


def test_a_job_left_printing_is_settled_before_the_same_letter_prints_again(
    make_kiosk, trusted_ca: DemoCA
):
    """Even when resume() was not run: the printer is asked before a second job starts."""
    before = make_kiosk()
    letter = prefetched(before, signed(trusted_ca))
    job = left_at(before, letter, JobState.PRINTING, paper_out=True)
    before.printer.close().result(WAIT_S)
    after = make_kiosk()
    assert after.print_and_wait(1, letter).failure.detail == ALREADY_PRINTED
    assert state_of(after, job) is JobState.PRINTED
    assert len(after.reports()) == 1 and len(after.tray_files()) == 1


def test_nothing_to_resume(make_kiosk):
    kiosk = make_kiosk()
    summary = kiosk.service.resume()
    assert summary == ResumeSummary() and summary.total == 0
    assert kiosk.wakes == []
