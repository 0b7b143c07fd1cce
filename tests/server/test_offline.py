"""Requests taken while a kiosk was offline, sent later without a session (`applicant`)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import text

from apm_server.app import RunningServer

from .conftest import (
    SITI_CARD,
    SITI_MASKED,
    SITI_NIK,
    WAHYU_NIK,
    Kiosk,
    OpenApiCheck,
    serving,
)

BY_CARD = {"method": "card", "card_uid": SITI_CARD}
BY_NIK = {"method": "nik", "nik": WAHYU_NIK}
CONFIRMED = "2026-11-23T09:15:00+07:00"


def error_of(answer: requests.Response) -> tuple[int, str]:
    assert answer.headers["Content-Type"].startswith("application/json"), answer.text
    body = answer.json()
    assert body["message"]["id"], body
    return answer.status_code, body["code"]


def stored_requests(server: RunningServer) -> int:
    return len(server.office.store.requests())


def test_offline_request_by_card_is_created_unverified(kiosk: Kiosk, server: RunningServer):
    answer = kiosk.submit_offline(
        "key-offline-card-01", BY_CARD, kiosk_reference="K01-0007", submitted_at=CONFIRMED
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert (created["identity_verified"], created["kiosk_reference"]) == (False, "K01-0007")
    assert created["status"] == "awaiting_signature"  # the demo skips the review, as for others
    assert created["service_code"] == "SKD"
    # The flag and the reference stay with the request: status, and the resident's own list.
    status = kiosk.status(created["id"])
    assert (status["identity_verified"], status["kiosk_reference"]) == (False, "K01-0007")
    mine = kiosk.my_requests(kiosk.session()).json()["requests"]
    assert [(r["id"], r["identity_verified"]) for r in mine] == [(created["id"], False)]
    row = server.office.store.request(created["id"])
    assert row is not None and row.nik == SITI_NIK
    assert row.submitted_at == datetime(2026, 11, 23, 2, 15, tzinfo=UTC)


def test_offline_request_by_nik(kiosk: Kiosk, server: RunningServer):
    answer = kiosk.submit_offline("key-offline-nik-001", BY_NIK, "Pendaftaran sekolah")
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert (created["identity_verified"], created["kiosk_reference"]) == (False, None)
    row = server.office.store.request(created["id"])
    assert row is not None and row.nik == WAHYU_NIK and row.submitted_at is None
    assert WAHYU_NIK not in answer.text


def test_a_request_with_a_session_is_verified(kiosk: Kiosk):
    token = kiosk.session()
    answer = kiosk.call(
        "POST",
        "/requests",
        headers={"X-Session-Token": token, "Idempotency-Key": "key-online-ref-01"},
        json={
            "service_code": "SKCK",
            "fields": {"keperluan": "Melamar pekerjaan"},
            "kiosk_reference": "K01-0008",
        },
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["identity_verified"], answer.json()["kiosk_reference"]) == (
        True,
        "K01-0008",
    )
    assert kiosk.new_request("key-online-plain-1")["identity_verified"] is True


def test_the_verified_flag_is_a_column_of_the_database(kiosk: Kiosk, server: RunningServer):
    offline = kiosk.submit_offline("key-offline-column", BY_CARD).json()
    online = kiosk.new_request("key-online-column")
    with server.office.store.engine.connect() as db:
        flags = dict(db.execute(text("SELECT id, identity_verified FROM requests")).all())
    assert flags == {offline["id"]: 0, online["id"]: 1}


def test_an_offline_retry_replays_and_another_body_conflicts(kiosk: Kiosk, server: RunningServer):
    extra = {"kiosk_reference": "K01-0009", "submitted_at": CONFIRMED}
    first = kiosk.submit_offline("key-offline-retry1", BY_CARD, **extra)
    assert first.status_code == 201, first.text
    # The same instant written with another offset is the same submission.
    same_moment = {**extra, "submitted_at": "2026-11-23T02:15:00Z"}
    again = kiosk.submit_offline("key-offline-retry1", BY_CARD, **same_moment)
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    assert again.json() == first.json()
    for other in (
        kiosk.submit_offline("key-offline-retry1", BY_CARD, "Lain lagi", **extra),
        kiosk.submit_offline("key-offline-retry1", BY_NIK, **extra),
        kiosk.submit_offline("key-offline-retry1", BY_CARD, kiosk_reference="K01-0010"),
        kiosk.submit(kiosk.session(), "key-offline-retry1"),  # the same key, with a session
    ):
        assert error_of(other) == (409, "idempotency_conflict")
        assert "tracking_code" not in other.text
    assert stored_requests(server) == 1


def test_unknown_card_or_nik_creates_nothing(kiosk: Kiosk, server: RunningServer):
    card = kiosk.submit_offline("key-offline-unk-01", {"method": "card", "card_uid": "DEADBEEF"})
    assert error_of(card) == (422, "unknown_card")
    nik = kiosk.submit_offline("key-offline-unk-02", {"method": "nik", "nik": "3523010101900009"})
    assert error_of(nik) == (422, "unknown_resident")
    assert stored_requests(server) == 0


def test_neither_session_nor_applicant_is_401_session_expired(kiosk: Kiosk, server: RunningServer):
    assert error_of(kiosk.submit_offline("key-offline-none-1", None)) == (401, "session_expired")
    assert stored_requests(server) == 0


def test_a_session_and_an_applicant_together_are_refused(kiosk: Kiosk, server: RunningServer):
    answer = kiosk.call(
        "POST",
        "/requests",
        headers={"X-Session-Token": kiosk.session("5A3C9E01"), "Idempotency-Key": "key-both-0001"},
        json={
            "service_code": "SKCK",
            "fields": {"keperluan": "Melamar pekerjaan"},
            "applicant": BY_CARD,
        },
    )
    assert error_of(answer) == (422, "bad_request")
    assert stored_requests(server) == 0


def test_offline_requests_are_checked_like_others(kiosk: Kiosk, server: RunningServer):
    cases = [
        (kiosk.submit_offline("key-offline-bad-01", BY_CARD, "ab"), (422, "invalid_form")),
        (kiosk.submit_offline("short", BY_CARD), (400, "bad_request")),  # idempotency key
        (
            kiosk.submit_offline("key-offline-bad-02", BY_CARD, submitted_at="2026-11-23T09:15:00"),
            (422, "bad_request"),  # no time zone: which moment is meant is unknown
        ),
        (
            kiosk.submit_offline("key-offline-bad-03", BY_CARD, kiosk_reference="not valid!"),
            (422, "bad_request"),
        ),
        (
            kiosk.submit_offline("key-offline-bad-04", {"method": "nik", "nik": "123"}),
            (422, "bad_request"),
        ),
    ]
    for answer, expected in cases:
        assert error_of(answer) == expected, answer.text
    assert stored_requests(server) == 0


def test_the_demo_signs_offline_requests_so_the_kiosk_can_fetch_the_letter(tmp_path: Path):
    with serving(tmp_path / "signing", auto_sign_delay_s=0) as running:
        kiosk = Kiosk(running)
        answer = kiosk.submit_offline("key-offline-sign-1", BY_CARD, kiosk_reference="K01-0011")
        assert answer.status_code == 201, answer.text
        created = answer.json()
        assert (created["status"], created["identity_verified"]) == ("ready", False)
        pdf = kiosk.call("GET", f"/requests/{created['id']}/document")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert hashlib.sha256(pdf.content).hexdigest() == created["document"]["sha256"]
        printed = kiosk.printed(created["id"], created["document"]["sha256"], "key-offline-prn-1")
        assert printed.json()["status"] == "collected"
        kiosk.close()


def test_without_demo_an_offline_request_waits_for_review(tmp_path: Path):
    with serving(tmp_path / "strict", demo=False) as running:
        running.office.store.add_resident("3523010101700009", "Sri Wahyuni", None, "246810", {})
        kiosk = Kiosk(running)
        by_nik = {"method": "nik", "nik": "3523010101700009"}
        created = kiosk.submit_offline("key-offline-strict", by_nik).json()
        assert (created["status"], created["identity_verified"]) == ("under_review", False)
        kiosk.close()


def test_offline_answers_match_the_openapi_document(kiosk: Kiosk, conforms: OpenApiCheck):
    post = ("POST", "/requests")
    created = conforms(
        kiosk.submit_offline("key-offline-oas-01", BY_CARD, kiosk_reference="K01-0012"),
        "LetterRequest",
        *post,
    )
    conforms(
        kiosk.submit_offline("key-offline-oas-01", BY_CARD, kiosk_reference="K01-0012"),
        "LetterRequest",
        *post,
    )
    conforms(kiosk.submit_offline("key-offline-oas-02", BY_NIK), "LetterRequest", *post)
    for answer in (
        kiosk.submit_offline("key-offline-oas-01", BY_NIK),
        kiosk.submit_offline("key-offline-oas-03", {"method": "card", "card_uid": "DEADBEEF"}),
        kiosk.submit_offline("key-offline-oas-04", {"method": "nik", "nik": "3523010101900009"}),
        kiosk.submit_offline("key-offline-oas-05", None),
    ):
        conforms(answer, "ApiError", *post)
    status = conforms(
        kiosk.call("GET", f"/requests/{created['id']}"),
        "LetterRequest",
        "GET",
        "/requests/{request_id}",
    )
    assert status["identity_verified"] is False
    conforms(kiosk.my_requests(kiosk.session()), "RequestList", "GET", "/requests")
    signed = conforms(
        kiosk.sign(created["id"]), "LetterRequest", "POST", "/admin/requests/{request_id}/sign"
    )
    assert (signed["status"], signed["kiosk_reference"]) == ("ready", "K01-0012")


def test_apm_server_list_marks_unverified_requests(kiosk: Kiosk, server: RunningServer):
    from apm_server.office import describe

    offline = kiosk.submit_offline(
        "key-offline-list-1", BY_CARD, kiosk_reference="K01-0013", submitted_at=CONFIRMED
    ).json()
    online = kiosk.new_request("key-online-list-01")
    lines = {row.id: describe(row) for row in server.office.store.requests()}
    assert lines[offline["id"]].endswith(
        "identity: unverified (sent offline, kiosk ref K01-0013, confirmed 2026-11-23 09:15 WIB)"
    )
    assert SITI_MASKED in lines[offline["id"]] and SITI_NIK not in lines[offline["id"]]
    assert "unverified" not in lines[online["id"]]


def test_a_kiosk_clock_in_another_zone_is_stored_as_the_same_instant(
    kiosk: Kiosk, server: RunningServer
):
    moment = datetime(2026, 11, 23, 9, 15, tzinfo=timezone(timedelta(hours=7)))
    created = kiosk.submit_offline(
        "key-offline-zone-01", BY_NIK, submitted_at=moment.astimezone(UTC).isoformat()
    ).json()
    row = server.office.store.request(created["id"])
    assert row is not None and row.submitted_at == moment


def test_a_lost_answer_resent_offline_after_the_session_expired_is_the_same_request(
    kiosk: Kiosk, server: RunningServer
):
    """The kiosk sent it with a session, the answer was lost, the session expired: the
    resend names the applicant instead. Same resident, same content: a replay, not a 409."""
    first = kiosk.submit(kiosk.session(), "key-lost-answer-01")
    assert first.status_code == 201, first.text
    again = kiosk.submit_offline("key-lost-answer-01", BY_CARD)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    someone_else = kiosk.submit_offline("key-lost-answer-01", BY_NIK)
    assert error_of(someone_else) == (409, "idempotency_conflict")
    assert stored_requests(server) == 1
