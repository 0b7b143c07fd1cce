"""Requests made here: found again by pickup code, card or NIK, which are never stored raw."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from apm_api.models import ApplicantByNik, LetterRequest, SubmitRequest
from kiosk.pickup import PICKUP_QR_PREFIX, new_kiosk_reference, new_pickup_code, parse_pickup_code
from kiosk.pickup import display as format_pickup_code
from kiosk.storage import KioskStorage, LocalRequest, OutboxKind
from kiosk.storage.requests import RequestIdConflict
from tests.storage.conftest import SERVICE_NAME, SITI_CARD, SITI_NIK, FakeClock, all_state_bytes

BUDI_NIK = "3523011203850002"


def make(
    storage: KioskStorage,
    *,
    pickup: str | None = None,
    card: str | None = None,
    nik: str | None = None,
) -> LocalRequest:
    local_id = new_kiosk_reference()
    with storage.db.transaction() as tx:
        item = storage.outbox.add(OutboxKind.SUBMIT, {"ref": local_id}, local_id=local_id, tx=tx)
        return storage.requests.create(
            local_id=local_id,
            submit_item=item.id,
            service_code="SKD",
            service_name=SERVICE_NAME,
            pickup_code=pickup or new_pickup_code(),
            card_uid=card,
            nik=nik,
            tx=tx,
        )


def answer(local: LocalRequest, status: str = "awaiting_signature", **extra) -> LetterRequest:
    return LetterRequest.model_validate(
        {
            "id": f"req-{local.local_id.lower()}",
            "tracking_code": "011226-001",
            "service_code": local.service_code,
            "service_name": SERVICE_NAME,
            "status": status,
            "created_at": "2026-12-01T02:00:00Z",
            "updated_at": "2026-12-01T02:00:00Z",
            "kiosk_reference": local.local_id,
            **extra,
        }
    )


# --- codes --------------------------------------------------------------------------------


def test_pickup_codes_are_twelve_random_digits_shown_in_groups() -> None:
    codes = {new_pickup_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[0-9]{12}", c) for c in codes)
    assert format_pickup_code("123456789012") == "1234-5678-9012"


@pytest.mark.parametrize(
    "typed",
    [
        "123456789012",
        "1234-5678-9012",
        " 1234 5678 9012 ",
        PICKUP_QR_PREFIX + "123456789012",
        PICKUP_QR_PREFIX.lower() + "123456789012",  # a scanner typing with caps lock on
        PICKUP_QR_PREFIX + "123456789012\n",
    ],
)
def test_a_pickup_code_is_read_from_the_qr_payload_or_typed_digits(typed: str) -> None:
    assert parse_pickup_code(typed) == "123456789012"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12345678901",
        "1234567890123",
        "1234-5678-901X",
        "APM1:LAIN:123456789012",
        "١٢٣٤٥٦٧٨٩٠١٢",
    ],
)
def test_anything_else_is_not_a_pickup_code(typed: str) -> None:
    assert parse_pickup_code(typed) is None


def test_kiosk_references_fit_the_contract_and_avoid_confusable_letters() -> None:
    refs = {new_kiosk_reference() for _ in range(500)}
    assert len(refs) == 500
    for ref in refs:
        assert re.fullmatch(r"K-[0-9A-Z]{4}-[0-9A-Z]{4}", ref)
        assert SubmitRequest(service_code="SKD", fields={}, kiosk_reference=ref)
        assert not set(ref) & set("ILOU")


# --- finding again ---------------------------------------------------------------------------


def test_a_request_is_found_by_its_pickup_code_however_it_is_entered(
    storage: KioskStorage,
) -> None:
    local = make(storage, pickup="123456789012")
    make(storage)
    assert storage.requests.by_pickup_code("123456789012") == local
    assert storage.requests.by_pickup_code("1234-5678-9012") == local
    assert storage.requests.by_pickup_code(PICKUP_QR_PREFIX + "123456789012") == local
    assert storage.requests.by_pickup_code("123456789013") is None
    assert storage.requests.by_pickup_code("not a code") is None


def test_requests_are_found_by_card_and_by_nik(storage: KioskStorage) -> None:
    by_card = make(storage, card=SITI_CARD)
    by_nik = make(storage, nik=SITI_NIK)
    both = make(storage, card=SITI_CARD, nik=SITI_NIK)
    make(storage, nik=BUDI_NIK)
    assert storage.requests.by_card(SITI_CARD) == [by_card, both]
    assert storage.requests.by_card(SITI_CARD.lower()) == [by_card, both]
    assert storage.requests.by_nik(SITI_NIK) == [by_nik, both]
    assert storage.requests.by_card("5A3C9E01") == []
    assert storage.requests.by_nik("3523012511000003") == []


def test_no_pickup_code_card_uid_or_nik_is_stored_raw(state_dir: Path) -> None:
    pickup = "987654321098"
    storage = KioskStorage.open(state_dir)
    make(storage, pickup=pickup, card=SITI_CARD, nik=SITI_NIK)
    assert storage.requests.by_nik(SITI_NIK)
    # An offline request: its outbox body must carry the NIK to the backend, until it is
    # settled; then it goes (secure_delete overwrites the old bytes).
    request = SubmitRequest(
        service_code="SKD",
        fields={"keperluan": "Melamar pekerjaan"},
        applicant=ApplicantByNik(nik=BUDI_NIK),
        submitted_at=datetime.now(UTC),
    )
    _, item = storage.queue_submit(
        request, session_token=None, service_name=SERVICE_NAME, pickup_code=new_pickup_code()
    )
    assert BUDI_NIK.encode() in all_state_bytes(state_dir)  # the test can see it when present
    storage.outbox.settle(item.id, {"id": "req-1"})
    storage.close()
    on_disk = all_state_bytes(state_dir)
    for secret in (pickup, format_pickup_code(pickup), SITI_CARD, SITI_CARD.lower(), SITI_NIK):
        assert secret.encode() not in on_disk, secret
    assert BUDI_NIK.encode() not in on_disk
    assert b"Melamar pekerjaan" not in on_disk


def test_each_database_has_its_own_salt(tmp_path: Path) -> None:
    hashes = []
    for name in ("a", "b"):
        storage = KioskStorage.open(tmp_path / name)
        make(storage, nik=SITI_NIK)
        storage.close()
        conn = sqlite3.connect(tmp_path / name / "kiosk.db")
        hashes.append(conn.execute("SELECT nik_hash FROM local_requests").fetchone()[0])
        conn.close()
    assert hashes[0] != hashes[1]


def test_lookups_work_after_reopening(state_dir: Path) -> None:
    storage = KioskStorage.open(state_dir)
    local = make(storage, pickup="111122223333", card=SITI_CARD)
    storage.close()
    storage = KioskStorage.open(state_dir)
    try:
        assert storage.requests.by_pickup_code("1111-2222-3333") == local
        assert storage.requests.by_card(SITI_CARD) == [local]
    finally:
        storage.close()


def test_bad_references_and_codes_are_refused(storage: KioskStorage) -> None:
    with pytest.raises(ValueError, match="local_id"):
        storage.requests.create(
            local_id="k-lower",
            submit_item=1,
            service_code="SKD",
            service_name=SERVICE_NAME,
            pickup_code=new_pickup_code(),
            card_uid=None,
            nik=None,
        )
    with pytest.raises(ValueError, match="pickup_code"):
        storage.requests.create(
            local_id="K-AAAA-BBBB",
            submit_item=1,
            service_code="SKD",
            service_name=SERVICE_NAME,
            pickup_code="1234-5678-9012",
            card_uid=None,
            nik=None,
        )


# --- life of a request -------------------------------------------------------------------------


def test_queue_submit_records_the_request_and_its_outbox_item_together(
    storage: KioskStorage,
) -> None:
    request = SubmitRequest(service_code="SKD", fields={"keperluan": "Sekolah"})
    local, item = storage.queue_submit(
        request,
        session_token="session-1",
        service_name=SERVICE_NAME,
        pickup_code="555566667777",
        card_uid=SITI_CARD,
    )
    assert local.status == "queued" and local.submit_item == item.id
    assert item.kind is OutboxKind.SUBMIT and item.local_id == local.local_id
    assert item.body["session_token"] == "session-1"
    assert item.body["request"]["kiosk_reference"] == local.local_id
    assert "submitted_at" in item.body["request"]
    assert SubmitRequest.model_validate(item.body["request"]).fields == {"keperluan": "Sekolah"}
    assert storage.requests.by_pickup_code("555566667777") == local


def test_the_backends_answer_is_applied(storage: KioskStorage, clock: FakeClock) -> None:
    local = make(storage)
    clock.advance(5)
    waiting = storage.requests.apply_answer(local.local_id, answer(local))
    assert waiting is not None
    assert (waiting.status, waiting.request_id, waiting.tracking_code) == (
        "awaiting_signature",
        f"req-{local.local_id.lower()}",
        "011226-001",
    )
    assert waiting.updated_at == local.updated_at + 5 and waiting.identity_verified
    assert storage.requests.by_request_id(waiting.request_id or "") == waiting
    assert storage.requests.pending_server() == [waiting]

    document = {
        "sha256": "ab" * 32,
        "size": 100,
        "letter_number": "474/1",
        "signed_at": "2026-12-01T03:00:00Z",
    }
    ready = storage.requests.apply_answer(local.local_id, answer(local, "ready", document=document))
    assert ready is not None and ready.document_sha256 == "ab" * 32 and not ready.letter_on_disk
    on_disk = storage.requests.set_letter(ready.request_id or "", "ab" * 32, True)
    assert on_disk is not None and on_disk.letter_on_disk
    assert storage.requests.pending_server() == []
    # Re-signed: another document, so the one on disk is not it any more.
    document["sha256"] = "cd" * 32
    resigned = storage.requests.apply_answer(
        local.local_id, answer(local, "ready", document=document)
    )
    assert resigned is not None and not resigned.letter_on_disk


def test_a_rejection_keeps_the_reason_and_ends_the_prefetch(storage: KioskStorage) -> None:
    local = make(storage)
    rejected = storage.requests.apply_answer(
        local.local_id,
        answer(local, "rejected", reject_reason={"id": "Data tidak lengkap.", "en": "Incomplete."}),
    )
    assert rejected is not None and rejected.is_final
    assert rejected.status_reason == "Data tidak lengkap."
    assert storage.requests.pending_server() == []


def test_a_dead_letter_marks_the_request_failed(storage: KioskStorage) -> None:
    local = make(storage)
    failed = storage.requests.mark_failed(local.local_id, "Layanan tidak tersedia.")
    assert failed is not None
    assert (failed.status, failed.status_reason, failed.is_final) == (
        "failed",
        "Layanan tidak tersedia.",
        True,
    )


def test_queued_requests_are_not_prefetched_and_old_ones_are_listed(
    storage: KioskStorage, clock: FakeClock
) -> None:
    old = make(storage)
    clock.advance(3600)
    young = make(storage)
    assert storage.requests.pending_server() == []  # no request id yet
    assert storage.requests.expired(before=clock() - 60) == [old]
    assert storage.requests.forget(old.local_id)
    assert storage.requests.get(old.local_id) is None
    assert storage.requests.all() == [young]


def test_one_backend_id_for_two_requests_here_is_refused_without_writing(
    storage: KioskStorage,
) -> None:
    first, second = make(storage), make(storage)
    storage.requests.apply_answer(first.local_id, answer(first))
    taken = answer(first)  # the same request id, given to the second request
    with storage.db.transaction() as tx:
        with pytest.raises(RequestIdConflict, match=first.local_id):
            storage.requests.apply_answer(second.local_id, taken, tx=tx)
        storage.requests.mark_failed(second.local_id, "still in one transaction")
    assert storage.requests.get(second.local_id).request_id is None  # type: ignore[union-attr]
    assert storage.requests.get(second.local_id).status == "failed"  # type: ignore[union-attr]
