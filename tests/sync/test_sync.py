"""The sync worker against a real reference server on loopback."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from apm_api.models import Heartbeat, LetterRequest, MarkPrinted, Rating
from apm_server.app import RunningServer
from kiosk.config import SyncSection
from kiosk.storage import OutboxKind
from kiosk.sync import (
    LetterReady,
    LinkChanged,
    ReportSettled,
    SubmitFailedForGood,
    SubmitSettled,
)
from tests.databases import server_store
from tests.harness import start_reference_server
from tests.sync.conftest import (
    BUDI_NIK,
    FAST,
    SITI_CARD,
    SITI_NIK,
    Kiosk,
    port_of,
    serving,
    wait_for,
)


def server_requests(running: RunningServer) -> list:
    return running.office.store.requests()


# --- submissions ----------------------------------------------------------------------------


def test_queued_requests_reach_the_server_exactly_once_in_order(server, make_kiosk) -> None:
    kiosk: Kiosk = make_kiosk(server)
    token = kiosk.session()
    queued = [
        kiosk.queue(token=token, card=SITI_CARD),
        kiosk.queue(token=token, card=SITI_CARD),
        kiosk.queue(nik=BUDI_NIK),  # taken while offline: no session
        kiosk.queue(card=SITI_CARD),
    ]
    kiosk.worker.start()
    wait_for(lambda: len(kiosk.events_of(SubmitSettled)) == 4, what="four answers")
    assert kiosk.drained()
    settled = kiosk.events_of(SubmitSettled)
    assert [e.item_id for e in settled] == [item.id for _, item in queued]
    assert [e.local_id for e in settled] == [local.local_id for local, _ in queued]

    rows = server_requests(server)
    assert len(rows) == 4
    assert sorted(r.kiosk_reference for r in rows) == sorted(lo.local_id for lo, _ in queued)
    for (local, _), event in zip(queued, settled, strict=True):
        mine = kiosk.storage.requests.get(local.local_id)
        assert mine is not None and mine.request_id == event.request.id
        assert mine.tracking_code == event.request.tracking_code
        assert mine.status == "awaiting_signature"
        seen = kiosk.client.request_status(event.request.id)
        assert seen.kiosk_reference == local.local_id
    verified = [kiosk.storage.requests.get(lo.local_id).identity_verified for lo, _ in queued]
    assert verified == [True, True, False, False]
    assert {r.nik for r in rows} == {SITI_NIK, BUDI_NIK}


def test_the_same_item_sent_twice_gives_the_same_request(server, make_kiosk, tmp_path) -> None:
    """A lost answer: the item goes again with its key, the backend replays its answer."""
    first: Kiosk = make_kiosk(server)
    local, item = first.queue(card=SITI_CARD)
    # A second outbox holding the very same item (same key, same body), as if the first
    # copy's answer had been lost before it was written down.
    second: Kiosk = make_kiosk(server)
    with second.storage.db.transaction() as tx:
        copy = second.storage.outbox.add(
            OutboxKind.SUBMIT, item.body, key=item.key, local_id=local.local_id, tx=tx
        )
    for kiosk in (first, second):
        kiosk.worker.start()
        wait_for(lambda k=kiosk: k.events_of(SubmitSettled), what="an answer")
    [one] = first.events_of(SubmitSettled)
    [two] = second.events_of(SubmitSettled)
    assert (
        one.request.id == two.request.id and one.request.tracking_code == two.request.tracking_code
    )
    assert len(server_requests(server)) == 1
    assert second.storage.outbox.get(copy.id).state == "done"  # type: ignore[union-attr]


def test_a_refused_request_becomes_a_dead_letter_and_the_next_still_goes(
    server, make_kiosk
) -> None:
    kiosk: Kiosk = make_kiosk(server)
    unknown, unknown_item = kiosk.queue(card=SITI_CARD, service="XYZ")
    bad_form, bad_item = kiosk.queue(card=SITI_CARD, fields={"keperluan": ""})
    good, _ = kiosk.queue(card=SITI_CARD)
    kiosk.worker.start()
    wait_for(lambda: kiosk.events_of(SubmitSettled), what="the good request's answer")

    failed = kiosk.events_of(SubmitFailedForGood)
    assert [(e.item_id, e.local_id, e.code) for e in failed] == [
        (unknown_item.id, unknown.local_id, "service_unavailable"),
        (bad_item.id, bad_form.local_id, "invalid_form"),
    ]
    assert failed[0].reason == {"id": "Layanan tidak tersedia.", "en": "Service unavailable."}
    dead = {d.id: d for d in kiosk.storage.outbox.dead_letters()}
    assert set(dead) == {unknown_item.id, bad_item.id}
    assert dead[unknown_item.id].last_error == (
        "HTTP 403 service_unavailable: Layanan tidak tersedia."
    )
    assert dead[unknown_item.id].attempts == 1  # never retried blindly
    assert dead[bad_item.id].result is not None
    assert "keperluan" in dead[bad_item.id].result["field_errors"]  # type: ignore[index]
    marked = kiosk.storage.requests.get(unknown.local_id)
    assert marked is not None
    assert (marked.status, marked.status_reason) == ("failed", "Layanan tidak tersedia.")
    [settled] = kiosk.events_of(SubmitSettled)
    assert settled.local_id == good.local_id
    assert len(server_requests(server)) == 1
    assert kiosk.worker.link_up  # a refusal is an answer: the link is fine


def test_an_expired_session_falls_back_to_the_applicant(server, make_kiosk) -> None:
    kiosk: Kiosk = make_kiosk(server)
    with_applicant, _ = kiosk.queue(token="expired-session-token", card=SITI_CARD)
    without, _ = kiosk.queue(token="expired-session-token")
    kiosk.worker.start()
    wait_for(lambda: len(kiosk.events) == 2, what="both answered")
    [settled] = kiosk.events_of(SubmitSettled)
    assert settled.local_id == with_applicant.local_id
    assert settled.request.identity_verified is False
    [failed] = kiosk.events_of(SubmitFailedForGood)
    assert (failed.local_id, failed.code) == (without.local_id, "session_expired")


def test_a_damaged_item_is_a_dead_letter_not_a_crash(server, make_kiosk, caplog) -> None:
    kiosk: Kiosk = make_kiosk(server)
    damaged = kiosk.storage.outbox.add(
        OutboxKind.SUBMIT, {"request": {"service_code": 5, "fields": {"nik": SITI_NIK}}}
    )
    kiosk.queue(card=SITI_CARD)
    with caplog.at_level(logging.INFO, logger="kiosk"):
        kiosk.worker.start()
        wait_for(lambda: len(kiosk.events) == 2, what="both handled")
    [failed] = kiosk.events_of(SubmitFailedForGood)
    assert (failed.item_id, failed.code) == (damaged.id, "unsendable")
    assert len(kiosk.events_of(SubmitSettled)) == 1
    assert SITI_NIK not in caplog.text


# --- the link ---------------------------------------------------------------------------------


def test_items_wait_while_the_server_is_down_and_go_when_it_is_back(
    tmp_path: Path, make_kiosk, server_processes
) -> None:
    server_state = tmp_path / "server"
    running = server_processes(server_state)
    kiosk: Kiosk = make_kiosk(running)
    kiosk.queue(card=SITI_CARD)
    kiosk.worker.start()
    wait_for(lambda: kiosk.events_of(SubmitSettled), what="the first answer")

    running.kill()  # the backend's machine loses power
    waiting = [kiosk.queue(card=SITI_CARD), kiosk.queue(nik=BUDI_NIK)]
    kiosk.worker.wake()
    wait_for(lambda: kiosk.events_of(LinkChanged), what="the link declared down")
    assert kiosk.events_of(LinkChanged) == [LinkChanged(up=False)]
    assert not kiosk.worker.link_up
    head = kiosk.storage.outbox.head()
    assert head is not None and head.id == waiting[0][1].id
    assert head.attempts >= 1  # (a prefetch that failed may count among the failures)
    assert head.last_error is not None and head.last_error.startswith("unreachable")
    assert kiosk.worker.pending_count() == 2

    again = server_processes(server_state, port=running.port)
    wait_for(lambda: len(kiosk.events_of(SubmitSettled)) == 3, what="sent after the restart")
    assert kiosk.events_of(LinkChanged) == [LinkChanged(up=False), LinkChanged(up=True)]
    assert kiosk.worker.link_up and kiosk.drained()
    settled = kiosk.events_of(SubmitSettled)
    assert [e.item_id for e in settled[1:]] == [item.id for _, item in waiting]
    again.kill()
    store = server_store(server_state)
    try:
        assert len(store.requests()) == 3  # each exactly once
    finally:
        store.close()


def test_a_down_link_with_nothing_queued_comes_up_by_itself(
    tmp_path: Path, make_kiosk, server_processes
) -> None:
    server_state = tmp_path / "server"
    running = server_processes(server_state)
    kiosk: Kiosk = make_kiosk(running)
    kiosk.queue(card=SITI_CARD)
    kiosk.worker.start()
    wait_for(lambda: kiosk.events_of(SubmitSettled), what="the first answer")
    running.kill()
    kiosk.queue(card=SITI_CARD)
    kiosk.worker.wake()
    wait_for(lambda: kiosk.events_of(LinkChanged), what="the link declared down")
    # A technician removes the item, say: nothing is queued, yet the link is probed.
    with kiosk.storage.db.transaction() as tx:
        tx.execute("UPDATE outbox SET state = 'dead' WHERE state = 'pending'")
    server_processes(server_state, port=running.port)
    wait_for(lambda: kiosk.worker.link_up, what="the link up again")
    assert kiosk.events_of(LinkChanged) == [LinkChanged(up=False), LinkChanged(up=True)]


def test_wake_sends_at_once_when_the_link_is_back(tmp_path: Path, make_kiosk) -> None:
    server_state = tmp_path / "server"
    running = start_reference_server(server_state, auto_sign_delay_s=None)
    port = port_of(running)
    running.stop()
    slow = SyncSection(retry_min_s=60, retry_max_s=600, down_after_failures=1)
    kiosk: Kiosk = make_kiosk(running, settings=slow)
    local, _ = kiosk.queue(card=SITI_CARD)
    kiosk.worker.start()
    wait_for(lambda: kiosk.storage.outbox.head().attempts == 1, what="a first refused try")  # type: ignore[union-attr]
    with serving(server_state, port=port, auto_sign_delay_s=None):
        started = time.monotonic()
        kiosk.worker.wake()  # e.g. the runtime's own call just reached the backend
        wait_for(kiosk.drained, timeout_s=10, what="sent after wake()")
        assert time.monotonic() - started < 5  # not the 60 s backoff
    assert kiosk.storage.requests.get(local.local_id).request_id  # type: ignore[union-attr]


def test_stop_is_prompt_and_loses_nothing(tmp_path: Path, make_kiosk) -> None:
    running = start_reference_server(tmp_path / "server", auto_sign_delay_s=None)
    running.stop()
    kiosk: Kiosk = make_kiosk(running)
    kiosk.queue(card=SITI_CARD)
    kiosk.worker.start()
    wait_for(lambda: kiosk.storage.outbox.head().attempts >= 1)  # type: ignore[union-attr]
    started = time.monotonic()
    assert kiosk.worker.stop(10)
    assert time.monotonic() - started < 2
    assert kiosk.storage.outbox.counts()["pending"] == 1


# --- prefetch -----------------------------------------------------------------------------------


def test_a_signed_letter_is_prefetched_verified_and_stored_once(signing_server, make_kiosk):
    kiosk: Kiosk = make_kiosk(signing_server)
    local, _ = kiosk.queue(token=kiosk.session(), card=SITI_CARD)
    kiosk.worker.start()
    [ready] = wait_for(lambda: kiosk.events_of(LetterReady), what="the letter prefetched")
    [settled] = kiosk.events_of(SubmitSettled)
    assert (ready.request_id, ready.local_id) == (settled.request.id, local.local_id)
    document = settled.request.document
    assert document is not None
    pdf = kiosk.storage.letters.get(ready.request_id)
    assert pdf == kiosk.client.download_document(ready.request_id, document.sha256)
    mine = kiosk.storage.requests.get(local.local_id)
    assert mine is not None and mine.letter_on_disk and mine.document_sha256 == document.sha256
    time.sleep(4 * FAST.prefetch_every_s)  # more rounds: nothing more to fetch
    assert len(kiosk.events_of(LetterReady)) == 1
    assert kiosk.storage.requests.pending_server() == []


def test_the_prefetch_waits_for_the_village_head(server, make_kiosk) -> None:
    kiosk: Kiosk = make_kiosk(server)
    local, _ = kiosk.queue(card=SITI_CARD)
    kiosk.worker.start()
    [settled] = wait_for(lambda: kiosk.events_of(SubmitSettled), what="the answer")
    time.sleep(3 * FAST.prefetch_every_s)
    assert kiosk.events_of(LetterReady) == []
    assert kiosk.storage.letters.get(settled.request.id) is None
    server.office.sign(settled.request.id)
    wait_for(lambda: kiosk.events_of(LetterReady), what="the letter after signing")
    mine = kiosk.storage.requests.get(local.local_id)
    assert mine is not None and mine.status == "ready" and mine.letter_on_disk


def test_a_letter_failing_its_check_is_not_kept(
    signing_server, make_kiosk, tmp_path: Path, caplog
) -> None:
    other = start_reference_server(tmp_path / "other-village", auto_sign_delay_s=None)
    other.stop()
    foreign_ca = other.ca_cert_path.read_bytes()  # a real CA, just not this backend's
    kiosk: Kiosk = make_kiosk(signing_server, anchors=[foreign_ca])
    local, _ = kiosk.queue(card=SITI_CARD)
    with caplog.at_level(logging.WARNING, logger="kiosk.sync"):
        kiosk.worker.start()
        wait_for(lambda: "untrusted" in caplog.text, what="the failed check logged")
    [settled] = kiosk.events_of(SubmitSettled)
    assert kiosk.storage.letters.get(settled.request.id) is None
    assert kiosk.events_of(LetterReady) == []
    assert not kiosk.storage.requests.get(local.local_id).letter_on_disk  # type: ignore[union-attr]
    assert settled.request.id in caplog.text

    kiosk.anchors = [signing_server.ca_cert_path.read_bytes()]  # the right anchor configured
    wait_for(lambda: kiosk.events_of(LetterReady), what="the letter with the right anchor")
    assert kiosk.storage.letters.get(settled.request.id) is not None


# --- reports, ratings, heartbeats -------------------------------------------------------------------


def test_printed_report_rating_and_heartbeat_are_delivered(signing_server, make_kiosk):
    kiosk: Kiosk = make_kiosk(signing_server)
    local, _ = kiosk.queue(card=SITI_CARD)
    kiosk.worker.start()
    [ready] = wait_for(lambda: kiosk.events_of(LetterReady))
    request_id = ready.request_id
    sha = kiosk.storage.requests.get(local.local_id).document_sha256  # type: ignore[union-attr]
    job = kiosk.storage.journal.begin(request_id, sha, local_id=local.local_id)
    report = MarkPrinted(kiosk_id="KIOSK-DEMO-01", document_sha256=sha)
    kiosk.storage.journal.mark_printed(job.job_id, report.model_dump())
    rating = Rating(kiosk_id="KIOSK-DEMO-01", request_id=request_id, score=4)
    kiosk.storage.outbox.add(OutboxKind.RATING, rating.model_dump(mode="json"))
    beat = Heartbeat(kiosk_id="KIOSK-DEMO-01", software_version="0.1", uptime_s=9, screen="done")
    kiosk.storage.outbox.add(OutboxKind.HEARTBEAT, beat.model_dump(mode="json"))
    kiosk.worker.wake()
    wait_for(kiosk.drained, what="report, rating and heartbeat sent")
    wait_for(lambda: kiosk.events_of(ReportSettled), what="the report's event")
    assert kiosk.events_of(ReportSettled) == [ReportSettled(request_id)]
    assert kiosk.client.request_status(request_id).status == "collected"
    mine = kiosk.storage.requests.get(local.local_id)
    assert mine is not None and mine.status == "collected"
    assert [r["score"] for r in signing_server.office.store.ratings()] == [4]
    assert kiosk.storage.outbox.counts() == {"pending": 0, "done": 4, "dead": 0}


def test_no_personal_data_in_the_kiosks_logs(server, make_kiosk, caplog) -> None:
    kiosk: Kiosk = make_kiosk(server)
    with caplog.at_level(logging.DEBUG, logger="kiosk"):
        kiosk.queue(token="expired-session-token", card=SITI_CARD)  # falls back to the card
        kiosk.queue(nik="3523019999999999")  # not a resident: refused with a reason
        kiosk.queue(nik=SITI_NIK, fields={"keperluan": "x" * 500})  # a bad form
        kiosk.worker.start()
        wait_for(lambda: len(kiosk.events_of(SubmitFailedForGood)) == 2)
        wait_for(lambda: len(kiosk.events_of(SubmitSettled)) == 1)
    kiosk_lines = [r.getMessage() for r in caplog.records if r.name.startswith("kiosk")]
    assert kiosk_lines
    text = "\n".join(kiosk_lines)
    for secret in (SITI_CARD, SITI_NIK, "3523019999999999", "Siti", "Dusun Krajan", "xxxxx"):
        assert secret not in text, secret


def test_a_request_the_backend_does_not_know_is_reported_once(server, make_kiosk, caplog):
    kiosk: Kiosk = make_kiosk(server)
    local, item = kiosk.queue(card=SITI_CARD)
    answer = LetterRequest.model_validate(
        {
            "id": "req-unknown",
            "tracking_code": "011226-999",
            "service_code": "SKD",
            "service_name": {"id": "SKD"},
            "status": "awaiting_signature",
            "created_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z",
        }
    )
    with kiosk.storage.db.transaction() as tx:  # as if answered by another backend, say
        kiosk.storage.outbox.settle(item.id, None, tx=tx)
        kiosk.storage.requests.apply_answer(local.local_id, answer, tx=tx)
    with caplog.at_level(logging.WARNING, logger="kiosk.sync"):
        kiosk.worker.start()
        time.sleep(5 * FAST.prefetch_every_s)
    refused = [r for r in caplog.records if "req-unknown" in r.getMessage()]
    assert len(refused) == 1 and "404" in refused[0].getMessage()
    assert kiosk.worker.link_up


def test_a_backend_answer_that_contradicts_the_records_does_not_block_the_outbox(
    server, make_kiosk, caplog
) -> None:
    kiosk: Kiosk = make_kiosk(server)
    first, first_item = kiosk.queue(card=SITI_CARD)
    # Stepped by hand, not on its thread: a running worker could send the second request
    # before the test swaps its outbox item below (CI saw it: four answers, not three).
    kiosk.worker.step()
    [answered] = kiosk.events_of(SubmitSettled)
    # The same key and body queued again for another reference (by hand, say): the backend
    # replays the first request, whose id is already recorded here.
    kiosk.storage.outbox.forget_settled(older_than=time.time() + 1)
    second, _ = kiosk.queue(card=SITI_CARD)
    with kiosk.storage.db.transaction() as tx:
        tx.execute("UPDATE outbox SET state = 'done' WHERE local_id = ?", (second.local_id,))
        again = kiosk.storage.outbox.add(
            OutboxKind.SUBMIT, first_item.body, key=first_item.key, local_id=second.local_id, tx=tx
        )
    third, _ = kiosk.queue(card=SITI_CARD)
    with caplog.at_level(logging.ERROR, logger="kiosk.sync"):
        for _ in range(5):  # the two items go out together: one step, maybe two
            if kiosk.drained():
                break
            kiosk.worker.step()
    assert len(kiosk.events_of(SubmitSettled)) == 3
    assert kiosk.storage.outbox.get(again.id).state == "done"  # type: ignore[union-attr]
    assert answered.request.id in caplog.text and first.local_id in caplog.text
    assert kiosk.storage.requests.get(second.local_id).request_id is None  # type: ignore[union-attr]
    assert kiosk.storage.requests.get(third.local_id).request_id  # type: ignore[union-attr]


def test_two_items_go_out_together_and_are_recorded_in_order(server, make_kiosk) -> None:
    """While the link is up the item after the head is sent alongside it (the backend
    works on one while the kiosk records the other); a refusal of one does not touch
    the other, and events still come in outbox order."""
    kiosk: Kiosk = make_kiosk(server)
    refused, refused_item = kiosk.queue(card=SITI_CARD, service="XYZ")
    good, good_item = kiosk.queue(card=SITI_CARD)
    kiosk.worker.step()  # one step: both are answered
    assert kiosk.drained()
    assert [type(e).__name__ for e in kiosk.events] == ["SubmitFailedForGood", "SubmitSettled"]
    assert [e.item_id for e in kiosk.events] == [refused_item.id, good_item.id]
    assert kiosk.storage.requests.get(good.local_id).request_id is not None
    assert kiosk.storage.requests.get(refused.local_id).status == "failed"
