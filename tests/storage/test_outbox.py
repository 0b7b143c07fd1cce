"""The outbox: strict order, heartbeats coalesced, keys, dead letters, forgetting."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.storage import DuplicateKey, KioskStorage, OutboxKind
from kiosk.storage.outbox import REDACTED_BODY
from tests.storage.conftest import FakeClock

RATING = {"kiosk_id": "K1", "score": 4}


def heartbeat(screen: str) -> dict[str, object]:
    return {"kiosk_id": "K1", "software_version": "0.1", "uptime_s": 5, "screen": screen}


def test_items_come_out_in_the_order_they_were_queued(
    storage: KioskStorage, clock: FakeClock
) -> None:
    outbox = storage.outbox
    kinds = [OutboxKind.SUBMIT, OutboxKind.PRINTED, OutboxKind.RATING, OutboxKind.SUBMIT]
    added = [outbox.add(kind, {"n": n}) for n, kind in enumerate(kinds)]
    sent = []
    while (item := outbox.next_due(clock())) is not None:
        sent.append(item)
        outbox.settle(item.id, {"ok": True})
    assert [i.id for i in sent] == [i.id for i in added]
    assert [i.kind for i in sent] == kinds
    assert outbox.counts() == {"pending": 0, "done": 4, "dead": 0}


def test_a_waiting_head_holds_back_everything_behind_it(
    storage: KioskStorage, clock: FakeClock
) -> None:
    outbox = storage.outbox
    first = outbox.add(OutboxKind.SUBMIT, {"n": 1})
    outbox.add(OutboxKind.PRINTED, {"n": 2})
    assert outbox.retry_later(first.id, "unreachable: cannot connect", clock() + 10)
    assert outbox.next_due(clock()) is None  # the second is due, but must not overtake
    assert outbox.head() is not None and outbox.head().id == first.id
    clock.advance(10)
    again = outbox.next_due(clock())
    assert again is not None and again.id == first.id
    assert again.attempts == 1 and again.last_error == "unreachable: cannot connect"


def test_a_new_heartbeat_replaces_the_pending_ones_only(storage: KioskStorage) -> None:
    outbox = storage.outbox
    sent = outbox.add(OutboxKind.HEARTBEAT, heartbeat("attract"))
    outbox.settle(sent.id, {"server_time": "2026-01-01T00:00:00Z"})
    outbox.add(OutboxKind.HEARTBEAT, heartbeat("services"))
    submit = outbox.add(OutboxKind.SUBMIT, {"n": 1})
    newest = outbox.add(OutboxKind.HEARTBEAT, heartbeat("form"))
    assert [(i.kind, i.body.get("screen")) for i in outbox.pending()] == [
        (OutboxKind.SUBMIT, None),
        (OutboxKind.HEARTBEAT, "form"),
    ]
    assert outbox.pending()[0].id == submit.id and outbox.pending()[1].id == newest.id
    assert outbox.get(sent.id) is not None  # a settled heartbeat is history, not replaced


def test_settling_an_item_that_was_replaced_meanwhile_is_harmless(storage: KioskStorage) -> None:
    outbox = storage.outbox
    in_flight = outbox.add(OutboxKind.HEARTBEAT, heartbeat("attract"))
    outbox.add(OutboxKind.HEARTBEAT, heartbeat("services"))  # queued while it was being sent
    assert outbox.settle(in_flight.id, {"server_time": "x"}) is False
    assert outbox.counts()["pending"] == 1


def test_keys_are_made_unique_and_a_repeated_add_is_idempotent(storage: KioskStorage) -> None:
    outbox = storage.outbox
    a = outbox.add(OutboxKind.RATING, RATING)
    b = outbox.add(OutboxKind.RATING, RATING)
    assert a.key != b.key and len(a.key) == 32
    first = outbox.add(OutboxKind.PRINTED, {"x": 1}, key="printed-job-1", local_id="K-AAAA-BBBB")
    again = outbox.add(OutboxKind.PRINTED, {"x": 1}, key="printed-job-1", local_id="K-AAAA-BBBB")
    assert again == first
    with pytest.raises(DuplicateKey, match="printed-job-1"):
        outbox.add(OutboxKind.PRINTED, {"x": 2}, key="printed-job-1", local_id="K-AAAA-BBBB")


def test_an_item_joins_the_callers_transaction(storage: KioskStorage) -> None:
    with storage.db.transaction() as tx:
        item = storage.outbox.add(OutboxKind.RATING, RATING, tx=tx)
        storage.journal.begin("req-1", "ab" * 32)  # nested: one commit for both
    assert storage.outbox.get(item.id) is not None
    assert len(storage.journal.history("req-1")) == 1


def test_dead_letters_keep_the_servers_reason_and_are_not_due(
    storage: KioskStorage, clock: FakeClock
) -> None:
    outbox = storage.outbox
    item = outbox.add(OutboxKind.SUBMIT, {"request": {"service_code": "XYZ"}}, local_id="K-1234")
    error = {"code": "service_unavailable", "message": {"id": "Layanan tidak tersedia."}}
    reason = "HTTP 403 service_unavailable: Layanan tidak tersedia."
    assert outbox.dead(item.id, reason, result=error)
    assert outbox.next_due(clock()) is None
    [dead] = outbox.dead_letters()
    assert dead.id == item.id and dead.state == "dead"
    assert dead.last_error == reason and dead.result == error
    assert dead.body == {"request": {"service_code": "XYZ"}}  # kept for a technician
    assert outbox.settle(item.id, {}) is False  # final: nothing changes it back


def test_a_technician_can_send_a_dead_letter_again_with_its_key(
    storage: KioskStorage, clock: FakeClock
) -> None:
    outbox = storage.outbox
    item = outbox.add(OutboxKind.SUBMIT, {"request": {"service_code": "XYZ"}}, local_id="K-1")
    outbox.dead(item.id, "HTTP 403 service_unavailable")

    assert outbox.revive(item.id)
    again = outbox.next_due(clock())
    assert again is not None and again.id == item.id and again.key == item.key
    assert outbox.dead_letters() == []
    assert outbox.revive(item.id) is False  # only dead letters


def test_a_technician_can_discard_a_dead_letter_but_never_a_pending_item(
    storage: KioskStorage,
) -> None:
    outbox = storage.outbox
    dead = outbox.add(OutboxKind.SUBMIT, {"request": {}}, local_id="K-1")
    pending = outbox.add(OutboxKind.SUBMIT, {"request": {}}, local_id="K-2")
    outbox.dead(dead.id, "refused")

    assert outbox.discard(pending.id) is False
    assert outbox.discard(dead.id)
    assert outbox.get(dead.id) is None and outbox.get(pending.id) is not None


def test_a_dead_letter_emptied_by_retention_cannot_be_sent_again(
    storage: KioskStorage, clock: FakeClock
) -> None:
    outbox = storage.outbox
    item = outbox.add(OutboxKind.SUBMIT, {"request": {}}, local_id="K-1")
    outbox.dead(item.id, "refused")
    outbox.redact_dead(clock() + 1)

    assert outbox.revive(item.id) is False
    assert [d.id for d in outbox.dead_letters()] == [item.id]


def test_a_settled_submit_keeps_the_answer_but_not_the_citizens_data(
    storage: KioskStorage,
) -> None:
    body = {"request": {"service_code": "SKD", "applicant": {"method": "nik", "nik": "1" * 16}}}
    item = storage.outbox.add(OutboxKind.SUBMIT, body, local_id="K-1234")
    storage.outbox.settle(item.id, {"id": "req-1"})
    settled = storage.outbox.get(item.id)
    assert settled is not None
    assert settled.body == REDACTED_BODY and settled.result == {"id": "req-1"}


def test_old_settled_items_are_forgotten(storage: KioskStorage, clock: FakeClock) -> None:
    outbox = storage.outbox
    old = outbox.add(OutboxKind.RATING, RATING)
    outbox.settle(old.id, None)
    clock.advance(100)
    young = outbox.add(OutboxKind.RATING, RATING)
    outbox.settle(young.id, None)
    pending = outbox.add(OutboxKind.RATING, RATING)
    assert outbox.forget_settled(older_than=clock() - 50) == 1
    assert outbox.get(old.id) is None
    assert outbox.get(young.id) is not None and outbox.get(pending.id) is not None


def test_ids_are_never_reused_after_forgetting(storage: KioskStorage, clock: FakeClock) -> None:
    outbox = storage.outbox
    last = outbox.add(OutboxKind.RATING, RATING)
    outbox.settle(last.id, None)
    clock.advance(10)
    outbox.forget_settled(clock())
    assert outbox.add(OutboxKind.RATING, RATING).id > last.id


def test_pending_items_survive_a_restart_with_their_backoff(state_dir: Path) -> None:
    clock = FakeClock()
    storage = KioskStorage.open(state_dir, clock=clock)
    item = storage.outbox.add(OutboxKind.SUBMIT, {"n": 1}, local_id="K-1234")
    storage.outbox.retry_later(item.id, "server: HTTP 503", clock() + 30)
    storage.close()
    storage = KioskStorage.open(state_dir, clock=clock)
    try:
        again = storage.outbox.get(item.id)
        assert again is not None
        assert (again.state, again.attempts, again.next_attempt_at) == ("pending", 1, clock() + 30)
        assert again.body == {"n": 1} and again.local_id == "K-1234"
    finally:
        storage.close()
