"""The print journal: printed and reported in one transaction, unfinished jobs found again."""

from __future__ import annotations

import pytest

from kiosk.storage import JobState, JournalError, KioskStorage, OutboxKind
from kiosk.storage.journal import report_key
from tests.storage.conftest import FakeClock

SHA = "ab" * 32
REPORT = {"kiosk_id": "KIOSK-DEMO-01", "document_sha256": SHA}


def test_a_job_goes_through_its_steps(storage: KioskStorage, clock: FakeClock) -> None:
    journal = storage.journal
    job = journal.begin("req-1", SHA, local_id="K-AAAA-BBBB")
    assert (job.state, job.reprint, job.device_job) == (JobState.STARTED, False, None)
    journal.mark(job.job_id, JobState.VERIFIED)
    clock.advance(2)
    printing = journal.mark(job.job_id, JobState.PRINTING, device_job="cups-17")
    assert printing.state is JobState.PRINTING and printing.device_job == "cups-17"
    assert printing.updated_at == job.updated_at + 2
    assert journal.unfinished() == [printing]
    assert journal.prints_of("req-1") == 0

    report = journal.mark_printed(job.job_id, REPORT)
    printed = journal.get(job.job_id)
    assert printed is not None and printed.state is JobState.PRINTED
    assert printed.device_job == "cups-17"
    assert report.kind is OutboxKind.PRINTED and report.key == report_key(job.job_id)
    assert report.body == {**REPORT, "request_id": "req-1"}
    assert report.local_id == "K-AAAA-BBBB" and report.state == "pending"
    assert journal.prints_of("req-1") == 1
    assert journal.unfinished() == []


def test_marking_printed_twice_queues_one_report(storage: KioskStorage) -> None:
    job = storage.journal.begin("req-1", SHA)
    first = storage.journal.mark_printed(job.job_id, REPORT)
    again = storage.journal.mark_printed(job.job_id, REPORT)
    assert again.id == first.id
    assert storage.outbox.counts()["pending"] == 1
    assert storage.journal.prints_of("req-1") == 1


def test_printed_and_its_report_are_one_transaction(storage: KioskStorage) -> None:
    job = storage.journal.begin("req-1", SHA)
    storage.journal.mark(job.job_id, JobState.PRINTING)
    with storage.db.transaction() as tx:  # the outbox refuses the report (a full disk, say)
        tx.execute(
            "CREATE TEMP TRIGGER no_reports BEFORE INSERT ON outbox "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    with pytest.raises(Exception, match="disk full"):
        storage.journal.mark_printed(job.job_id, REPORT)
    still = storage.journal.get(job.job_id)
    assert still is not None and still.state is JobState.PRINTING  # not printed without report
    assert storage.journal.prints_of("req-1") == 0


def test_printed_is_reached_only_with_a_report_and_never_left(storage: KioskStorage) -> None:
    job = storage.journal.begin("req-1", SHA)
    with pytest.raises(JournalError, match="mark_printed"):
        storage.journal.mark(job.job_id, JobState.PRINTED)
    storage.journal.mark_printed(job.job_id, REPORT)
    with pytest.raises(JournalError, match="printed"):
        storage.journal.mark(job.job_id, JobState.FAILED, error="late error")
    with pytest.raises(JournalError, match="no print job"):
        storage.journal.mark("nope", JobState.FAILED)


def test_unfinished_jobs_and_history(storage: KioskStorage, clock: FakeClock) -> None:
    journal = storage.journal
    started = journal.begin("req-1", SHA)
    clock.advance(1)
    verified = journal.mark(journal.begin("req-2", SHA).job_id, JobState.VERIFIED)
    clock.advance(1)
    failed = journal.mark(journal.begin("req-1", SHA).job_id, JobState.FAILED, error="paper out")
    clock.advance(1)
    uncertain = journal.mark(journal.begin("req-3", SHA).job_id, JobState.UNCERTAIN)
    clock.advance(1)
    reprint = journal.begin("req-1", SHA, reprint=True)
    assert [j.job_id for j in journal.unfinished()] == [
        started.job_id,
        verified.job_id,
        reprint.job_id,
    ]
    assert [j.job_id for j in journal.history("req-1")] == [
        started.job_id,
        failed.job_id,
        reprint.job_id,
    ]
    assert failed.error == "paper out" and reprint.reprint
    assert uncertain.state is JobState.UNCERTAIN
    assert journal.prints_of("req-1") == 0  # failed and unfinished jobs are not prints
