"""retention_sweep: personal data leaves the disk when it is no longer needed, and not before."""

from __future__ import annotations

from apm_api.models import LetterRequest, SubmitRequest
from kiosk.pickup import new_pickup_code
from kiosk.storage import JobState, KioskStorage, LocalRequest, OutboxKind
from kiosk.storage.outbox import REDACTED_BODY
from tests.storage.conftest import SERVICE_NAME, FakeClock

DAY = 86400.0
SHA = "ab" * 32
PDF = b"%PDF-1.7\nletter\n%%EOF\n"


def request_at_kiosk(storage: KioskStorage, nik: str, status: str | None) -> LocalRequest:
    """A request queued here; with a status, also sent and answered by the backend."""
    local, item = storage.queue_submit(
        SubmitRequest(service_code="SKD", fields={"keperluan": "Sekolah"}),
        session_token="s",
        service_name=SERVICE_NAME,
        pickup_code=new_pickup_code(),
        nik=nik,
    )
    if status is None:
        return local
    if status == "failed":
        storage.outbox.dead(item.id, "HTTP 422 invalid_form: Isian belum benar.")
        failed = storage.requests.mark_failed(local.local_id, "Isian belum benar.")
        assert failed is not None
        return failed
    storage.outbox.settle(item.id, {"id": f"req-{nik}"})
    return apply(storage, local, status)


def apply(storage: KioskStorage, local: LocalRequest, status: str) -> LocalRequest:
    document = (
        {"sha256": SHA, "size": 10, "letter_number": "1", "signed_at": "2026-12-01T00:00:00Z"}
        if status in ("ready", "collected")
        else None
    )
    answer = LetterRequest.model_validate(
        {
            "id": local.request_id or f"req-{local.local_id}",
            "tracking_code": "011226-001",
            "service_code": "SKD",
            "service_name": SERVICE_NAME,
            "status": status,
            "created_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z",
            "document": document,
        }
    )
    applied = storage.requests.apply_answer(local.local_id, answer)
    assert applied is not None
    return applied


def print_here(storage: KioskStorage, local: LocalRequest, *, reported: bool) -> None:
    assert local.request_id is not None
    job = storage.journal.begin(local.request_id, SHA, local_id=local.local_id)
    report = storage.journal.mark_printed(job.job_id, {"kiosk_id": "K1", "document_sha256": SHA})
    if reported:
        storage.outbox.settle(report.id, {"id": local.request_id, "status": "collected"})


def test_the_sweep_forgets_exactly_what_is_no_longer_needed(
    storage: KioskStorage, clock: FakeClock
) -> None:
    letters = storage.letters
    # Fifteen days ago (older than the retention of 14 days):
    old_ready = request_at_kiosk(storage, "1000000000000001", "ready")
    letters.put(old_ready.request_id or "", PDF)
    old_queued = request_at_kiosk(storage, "1000000000000002", None)  # never reached the backend
    old_failed = request_at_kiosk(storage, "1000000000000003", "failed")
    old_heartbeat = storage.outbox.add(OutboxKind.HEARTBEAT, {"screen": "attract"})
    storage.outbox.settle(old_heartbeat.id, {"server_time": "x"})
    old_failed_job = storage.journal.mark(
        storage.journal.begin("req-old", SHA).job_id, JobState.FAILED
    )
    old_started_job = storage.journal.begin("req-old", SHA)  # unfinished: the print service's
    clock.advance(15 * DAY)
    # Today:
    done = request_at_kiosk(storage, "2000000000000001", "ready")
    letters.put(done.request_id or "", PDF)
    print_here(storage, done, reported=True)
    done = apply(storage, done, "collected")
    unreported = request_at_kiosk(storage, "2000000000000002", "ready")
    letters.put(unreported.request_id or "", PDF)
    print_here(storage, unreported, reported=False)
    unreported = apply(storage, unreported, "collected")  # final, but the report is not sent
    waiting = request_at_kiosk(storage, "2000000000000003", "ready")
    letters.put(waiting.request_id or "", PDF)
    rejected = request_at_kiosk(storage, "2000000000000004", "rejected")
    letters.put("req-stray", PDF)  # a letter no request here owns
    rating = storage.outbox.add(OutboxKind.RATING, {"kiosk_id": "K1", "score": 4})
    storage.outbox.settle(rating.id, None)

    counts = storage.retention_sweep(clock(), retention_days=14)

    assert counts == {
        "requests": 3,  # old_ready, old_failed, done
        "letters": 3,  # old_ready's, done's, the stray one
        "outbox": 5,  # submits of old_ready and done, done's report, old_failed redacted, heartbeat
        "print_jobs": 1,  # the old failed job
        "kept_queued": 1,  # old_queued
    }
    remaining = {r.local_id for r in storage.requests.all()}
    assert remaining == {
        old_queued.local_id,
        unreported.local_id,
        waiting.local_id,
        rejected.local_id,
    }
    assert letters.request_ids() == {unreported.request_id, waiting.request_id}
    assert storage.requests.by_nik("2000000000000001") == []
    [dead] = storage.outbox.dead_letters()
    assert dead.local_id == old_failed.local_id
    assert dead.body == REDACTED_BODY and dead.last_error is not None  # the reason stays
    assert storage.outbox.get(old_heartbeat.id) is None
    assert storage.outbox.get(rating.id) is not None
    assert storage.outbox.get(old_queued.submit_item) is not None  # still to be sent
    assert storage.journal.get(old_failed_job.job_id) is None
    assert storage.journal.get(old_started_job.job_id) is not None
    assert storage.journal.prints_of(done.request_id or "") == 1  # history of today's print

    assert storage.retention_sweep(clock(), retention_days=14) == {
        "requests": 0,
        "letters": 0,
        "outbox": 0,
        "print_jobs": 0,
        "kept_queued": 1,
    }
