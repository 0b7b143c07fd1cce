"""API v1 of the reference server over real HTTP: what a kiosk (and a citizen) would notice."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
import requests
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from apm_api.logo import decode_logo
from apm_api.models import IdentifyByCard, IdentifyByNikPin, MarkPrinted, SubmitRequest
from apm_server import store
from apm_server.app import RunningServer
from apm_server.openapi import render
from kiosk.backend.client import BackendClient
from kiosk.backend.errors import BackendRejected

from .conftest import (
    API,
    BUDI_NIK,
    BUDI_PIN,
    OPENAPI,
    SITI_CARD,
    SITI_MASKED,
    SITI_NAME,
    SITI_NIK,
    SITI_PIN,
    SKD_ADDRESS,
    Kiosk,
    OpenApiCheck,
    serving,
    wait_for,
)

WIB = timezone(timedelta(hours=7))


def error_of(answer: requests.Response) -> tuple[int, str]:
    """(HTTP status, ApiError code); every error answer must be a JSON ApiError."""
    assert answer.headers["Content-Type"].startswith("application/json"), answer.text
    body = answer.json()
    assert body["message"]["id"], body
    return answer.status_code, body["code"]


# --- identification -----------------------------------------------------------------------


def test_identify_by_card_opens_a_session_without_the_full_nik(kiosk: Kiosk):
    answer = kiosk.identify({"method": "card", "card_uid": SITI_CARD})
    assert answer.status_code == 200
    session = answer.json()
    assert session["resident"]["display_name"] == SITI_NAME
    assert session["resident"]["nik_masked"] == SITI_MASKED
    assert session["resident"]["prefill"]["address"].startswith("Dusun Krajan")
    assert len(session["session_token"]) >= 16
    assert datetime.fromisoformat(session["expires_at"]) > datetime.now(UTC)
    assert SITI_NIK not in answer.text


def test_identify_by_nik_and_pin(kiosk: Kiosk):
    answer = kiosk.identify({"method": "nik_pin", "nik": SITI_NIK, "pin": SITI_PIN})
    assert answer.status_code == 200
    assert answer.json()["resident"]["display_name"] == SITI_NAME
    assert SITI_NIK not in answer.text
    # The session works: the resident's (empty) list of open requests.
    mine = kiosk.my_requests(answer.json()["session_token"])
    assert (mine.status_code, mine.json()) == (200, {"requests": []})


def test_unknown_card_is_404_unknown_card(kiosk: Kiosk):
    answer = kiosk.identify({"method": "card", "card_uid": "DEADBEEF0001"})
    assert error_of(answer) == (404, "unknown_card")


def test_wrong_pin_is_401_and_does_not_tell_unknown_nik_apart(kiosk: Kiosk):
    wrong = kiosk.identify({"method": "nik_pin", "nik": SITI_NIK, "pin": "000000"})
    assert error_of(wrong) == (401, "wrong_pin")
    nobody = kiosk.identify({"method": "nik_pin", "nik": "3523010101900009", "pin": "123456"})
    assert error_of(nobody) == (401, "wrong_pin")


def test_three_wrong_pins_lock_even_the_right_pin(kiosk: Kiosk):
    wrong = {"method": "nik_pin", "nik": SITI_NIK, "pin": "999999"}
    assert error_of(kiosk.identify(wrong)) == (401, "wrong_pin")
    assert error_of(kiosk.identify(wrong)) == (401, "wrong_pin")
    locked = kiosk.identify(wrong)
    assert error_of(locked) == (423, "locked")
    assert 0 < locked.json()["retry_after_s"] <= 60
    right = kiosk.identify({**wrong, "pin": SITI_PIN})
    assert error_of(right) == (423, "locked")
    assert right.json()["retry_after_s"] > 0
    # The lock is per resident: another resident still gets in, and so does the card.
    other = kiosk.identify({"method": "nik_pin", "nik": BUDI_NIK, "pin": BUDI_PIN})
    assert other.status_code == 200


def test_a_right_pin_resets_the_count_of_wrong_ones(kiosk: Kiosk):
    wrong = {"method": "nik_pin", "nik": SITI_NIK, "pin": "999999"}
    for _ in range(2):
        assert error_of(kiosk.identify(wrong)) == (401, "wrong_pin")
    assert kiosk.identify({**wrong, "pin": SITI_PIN}).status_code == 200
    for _ in range(2):
        assert error_of(kiosk.identify(wrong)) == (401, "wrong_pin")


def test_malformed_identification_is_422_bad_request(kiosk: Kiosk):
    for body in (
        {"method": "card", "card_uid": "04a3b2c1d0e1f2"},  # lower case: not as a kiosk sends it
        {"method": "nik_pin", "nik": "35230147089", "pin": "123456"},
        {"method": "nik_pin", "nik": SITI_NIK, "pin": "12345"},
        {"method": "password", "nik": SITI_NIK},
        {"method": "card", "card_uid": SITI_CARD, "admin": True},
    ):
        assert error_of(kiosk.identify(body)) == (422, "bad_request"), body


# --- submitting a request -------------------------------------------------------------------


def test_submit_gives_a_tracking_code_of_the_day(kiosk: Kiosk):
    token = kiosk.session()
    first = kiosk.submit(token, "key-track-0001")
    second = kiosk.submit(token, "key-track-0002", "Pendaftaran sekolah")
    assert (first.status_code, second.status_code) == (201, 201)
    for answer, number in ((first, "001"), (second, "002")):
        body = answer.json()
        assert re.fullmatch(r"\d{6}-\d{3}", body["tracking_code"])
        day = datetime.fromisoformat(body["created_at"]).astimezone(WIB).strftime("%d%m%y")
        assert body["tracking_code"] == f"{day}-{number}"  # ddmmyy (village time) - NNN
        assert body["service_code"] == "SKD"
        assert body["service_name"]["id"] == "Surat Keterangan Domisili"
        assert body["status"] == "awaiting_signature"
        assert body["document"] is None
    assert first.json()["id"] != second.json()["id"]


def test_same_key_same_body_is_replayed_not_duplicated(kiosk: Kiosk):
    token = kiosk.session()
    first = kiosk.submit(token, "key-replay-0001")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = kiosk.submit(token, "key-replay-0001")
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    mine = kiosk.my_requests(token).json()["requests"]
    assert [r["id"] for r in mine] == [first.json()["id"]]
    # A retry from a fresh session (the kiosk re-identified the resident) is still one request.
    kiosk.submit(kiosk.session(), "key-replay-0001")
    assert len(kiosk.my_requests(token).json()["requests"]) == 1


def test_same_key_different_body_is_409_idempotency_conflict(kiosk: Kiosk):
    token = kiosk.session()
    assert kiosk.submit(token, "key-conflict-01").status_code == 201
    other = kiosk.submit(token, "key-conflict-01", "Keperluan yang lain")
    assert error_of(other) == (409, "idempotency_conflict")
    assert len(kiosk.my_requests(token).json()["requests"]) == 1


def test_missing_or_unusable_idempotency_key_is_400(kiosk: Kiosk):
    token = kiosk.session()
    for key in (None, "", "short", "x" * 201):
        assert error_of(kiosk.submit(token, key)) == (400, "bad_request"), key
    assert kiosk.my_requests(token).json()["requests"] == []


def test_invalid_form_names_the_fields(kiosk: Kiosk):
    token = kiosk.session()
    answer = kiosk.submit(
        token,
        "key-form-00001",
        fields={"keperluan": "ab", "alamat_domisili": SKD_ADDRESS, "is_admin": "1"},
    )
    assert error_of(answer) == (422, "invalid_form")
    errors = answer.json()["field_errors"]
    assert set(errors) == {"keperluan", "is_admin"}
    assert all(text["id"] for text in errors.values())
    missing = kiosk.submit(token, "key-form-00002", fields={"alamat_domisili": "   "})
    assert error_of(missing) == (422, "invalid_form")
    assert set(missing.json()["field_errors"]) == {"keperluan", "alamat_domisili"}
    sktm = kiosk.submit(
        token,
        "key-form-00003",
        service="SKTM",
        fields={
            "keperluan": "liburan",
            "penghasilan_bulanan": "satu juta",
            "jumlah_tanggungan": "2",
        },
    )
    assert error_of(sktm) == (422, "invalid_form")
    assert set(sktm.json()["field_errors"]) == {"keperluan", "penghasilan_bulanan"}
    assert kiosk.my_requests(token).json()["requests"] == []


def test_every_service_accepts_a_valid_form(kiosk: Kiosk):
    token = kiosk.session()
    forms = {
        "SKTM": {
            "keperluan": "pendidikan",
            "penghasilan_bulanan": "1500000",
            "jumlah_tanggungan": "3",
        },
        "SKCK": {"keperluan": "Melamar kerja"},
        "SKU": {
            "nama_usaha": "Warung Bu Siti",
            "jenis_usaha": "Warung makan",
            "alamat_usaha": SKD_ADDRESS,
            "mulai_usaha": "2019-05-01",
        },
    }
    for code, fields in forms.items():
        answer = kiosk.submit(token, f"key-service-{code}", service=code, fields=fields)
        assert answer.status_code == 201, answer.text
        assert answer.json()["service_code"] == code
    unknown = kiosk.submit(token, "key-service-unknown", service="KTP", fields={})
    assert error_of(unknown) == (403, "service_unavailable")


def test_missing_or_expired_session_is_401_session_expired(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
):
    assert error_of(kiosk.submit("", "key-session-01")) == (401, "session_expired")
    assert error_of(kiosk.submit("made-up-token", "key-session-02")) == (401, "session_expired")
    assert error_of(kiosk.call("GET", "/requests")) == (401, "session_expired")
    monkeypatch.setattr(store, "SESSION_MINUTES", -1)  # sessions opened now are already over
    expired = kiosk.session()
    assert error_of(kiosk.submit(expired, "key-session-03")) == (401, "session_expired")
    assert error_of(kiosk.my_requests(expired)) == (401, "session_expired")


ENDPOINTS = [
    ("GET", "/kiosk/config"),
    ("GET", "/catalogue"),
    ("POST", "/identify"),
    ("GET", "/requests"),
    ("POST", "/requests"),
    ("GET", "/requests/req-0000/document"),
    ("POST", "/heartbeat"),
]


def test_no_or_wrong_bearer_token_is_401_unauthorized(server: RunningServer):
    for method, path in ENDPOINTS:
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token"},
            {"Authorization": f"Bearer {server.admin_token}"},  # the back office is not a kiosk
            {"Authorization": server.kiosk_token},  # no scheme
            {"Authorization": f"Basic {server.kiosk_token}"},
        ):
            answer = requests.request(
                method, server.url + API + path, headers=headers, json={}, timeout=10
            )
            assert error_of(answer) == (401, "unauthorized"), (method, path, headers)


def test_a_non_json_body_is_a_4xx_api_error_never_500(kiosk: Kiosk):
    token = kiosk.session()
    request = kiosk.new_request("key-garbage-00")
    paths = [
        "/identify",
        "/requests",
        f"/requests/{request['id']}/printed",
        "/ratings",
        "/heartbeat",
    ]
    for path in paths:
        for body in (b"", b"\xff\xfe{not json", b"null", b"[1, 2]", b'"text"', b"{", b"<xml/>"):
            answer = kiosk.call(
                "POST",
                path,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Session-Token": token,
                    "Idempotency-Key": "key-garbage-01",
                },
            )
            assert error_of(answer) == (422, "bad_request"), (path, body)
    assert [r["id"] for r in kiosk.my_requests(token).json()["requests"]] == [request["id"]]


def test_admin_reject_with_a_non_json_body_is_400(kiosk: Kiosk):
    request = kiosk.new_request("key-reject-garbage")
    answer = kiosk.admin("POST", f"/admin/requests/{request['id']}/reject", data=b"\xffnope")
    assert error_of(answer) == (400, "bad_request")
    assert kiosk.status(request["id"])["status"] == "awaiting_signature"


def test_a_broken_content_length_is_400_not_500(kiosk: Kiosk):
    for length in (b"abc", b"-5", b"1e3"):
        answer = kiosk.raw(
            b"POST /api/v1/identify HTTP/1.1\r\nHost: kiosk\r\n"
            b"Authorization: Bearer demo-kiosk-token\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + length + b"\r\n\r\n{}"
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), answer
        assert json.loads(body)["code"] == "bad_request"


def test_a_too_large_body_is_413_and_the_connection_closes(kiosk: Kiosk):
    answer = kiosk.raw(
        b"POST /api/v1/identify HTTP/1.1\r\nHost: kiosk\r\n"
        b"Authorization: Bearer demo-kiosk-token\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), answer
    assert json.loads(body)["code"] == "bad_request"


def test_unknown_endpoint_and_unknown_request_are_404(kiosk: Kiosk):
    assert error_of(kiosk.call("GET", "/nothing-here")) == (404, "not_found")
    assert error_of(kiosk.call("GET", "/requests/req-unknown")) == (404, "not_found")
    assert error_of(kiosk.call("GET", "/requests/req-unknown/document")) == (404, "not_found")
    assert error_of(kiosk.sign("req-unknown")) == (404, "not_found")
    assert error_of(kiosk.reject("req-unknown", "Tidak ada")) == (404, "not_found")


# --- document, signing, printing, rejecting ---------------------------------------------------


def test_document_before_signing_is_409_invalid_state(kiosk: Kiosk):
    request = kiosk.new_request("key-early-doc-01")
    assert error_of(kiosk.call("GET", f"/requests/{request['id']}/document")) == (
        409,
        "invalid_state",
    )
    printed = kiosk.printed(request["id"], "0" * 64, "print-early-01")
    assert error_of(printed) == (409, "invalid_state")
    assert kiosk.status(request["id"])["status"] == "awaiting_signature"


def test_only_the_admin_token_can_sign(kiosk: Kiosk):
    request = kiosk.new_request("key-sign-auth-01")
    with_kiosk_token = kiosk.call("POST", f"/admin/requests/{request['id']}/sign")
    assert error_of(with_kiosk_token) == (401, "unauthorized")
    anonymous = requests.post(
        f"{kiosk.server.url}{API}/admin/requests/{request['id']}/sign", timeout=10
    )
    assert error_of(anonymous) == (401, "unauthorized")
    assert kiosk.status(request["id"])["status"] == "awaiting_signature"


def test_sign_download_print_collect(kiosk: Kiosk):
    token = kiosk.session()
    request = kiosk.submit(token, "key-lifecycle-01").json()
    signed = kiosk.sign(request["id"])
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["status"] == "ready"
    document = body["document"]
    year = datetime.fromisoformat(document["signed_at"]).astimezone(WIB).year
    assert re.fullmatch(rf"474\.4/001/35\.23\.01\.2001/[IVX]+/{year}", document["letter_number"])
    assert re.fullmatch(r"[0-9a-f]{64}", document["sha256"])
    assert kiosk.status(request["id"]) == body

    # Back at the kiosk, the resident sees the letter ready to print.
    mine = kiosk.my_requests(token).json()["requests"]
    assert [(r["id"], r["status"]) for r in mine] == [(request["id"], "ready")]

    pdf = kiosk.call("GET", f"/requests/{request['id']}/document")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) == document["size"]
    assert hashlib.sha256(pdf.content).hexdigest() == document["sha256"]
    assert pdf.headers["X-Document-SHA256"] == document["sha256"]
    assert request["tracking_code"] in pdf.headers["Content-Disposition"]

    wrong = kiosk.printed(request["id"], "0" * 64, "print-lifecycle-00")
    assert error_of(wrong) == (409, "invalid_state")
    assert kiosk.status(request["id"])["status"] == "ready"

    first = kiosk.printed(request["id"], document["sha256"], "print-lifecycle-01")
    assert (first.status_code, first.json()["status"]) == (200, "collected")
    again = kiosk.printed(request["id"], document["sha256"], "print-lifecycle-01")
    assert (again.status_code, again.json()["status"]) == (200, "collected")
    assert again.json()["document"] == document  # the same letter, still downloadable
    assert kiosk.call("GET", f"/requests/{request['id']}/document").content == pdf.content
    # Collected letters leave the resident's list of open requests.
    assert kiosk.my_requests(token).json()["requests"] == []
    # And a signed letter cannot be signed again or rejected.
    assert error_of(kiosk.sign(request["id"])) == (409, "invalid_state")
    assert error_of(kiosk.reject(request["id"], "Terlambat")) == (409, "invalid_state")


def test_letter_numbers_count_up(kiosk: Kiosk):
    numbers = []
    for n in range(2):
        request = kiosk.new_request(f"key-numbers-0{n}")
        numbers.append(kiosk.sign(request["id"]).json()["document"]["letter_number"])
    assert [number.split("/")[1] for number in numbers] == ["001", "002"]


def test_printed_with_a_malformed_body_is_422(kiosk: Kiosk):
    request = kiosk.new_request("key-printed-bad")
    sha = kiosk.sign(request["id"]).json()["document"]["sha256"]
    answer = kiosk.call(
        "POST",
        f"/requests/{request['id']}/printed",
        headers={"Idempotency-Key": "print-bad-0001"},
        json={"kiosk_id": "KIOSK-DEMO-01", "document_sha256": sha.upper()},
    )
    assert error_of(answer) == (422, "bad_request")
    assert kiosk.status(request["id"])["status"] == "ready"


def test_reject_with_a_reason(kiosk: Kiosk):
    token = kiosk.session()
    request = kiosk.submit(token, "key-reject-0001").json()
    reason = "Alamat tidak sesuai data kependudukan"
    answer = kiosk.reject(request["id"], f"  {reason} ")
    assert answer.status_code == 200
    assert answer.json()["status"] == "rejected"
    assert answer.json()["reject_reason"]["id"] == reason
    status = kiosk.status(request["id"])
    assert (status["status"], status["reject_reason"]["id"]) == ("rejected", reason)
    assert status["document"] is None
    assert kiosk.my_requests(token).json()["requests"] == []
    assert error_of(kiosk.sign(request["id"])) == (409, "invalid_state")
    assert error_of(kiosk.call("GET", f"/requests/{request['id']}/document"))[0] == 409


def test_reject_needs_a_reason(kiosk: Kiosk):
    request = kiosk.new_request("key-reject-noreason")
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": 42}, {"reason": "x" * 501}):
        answer = kiosk.admin("POST", f"/admin/requests/{request['id']}/reject", json=body)
        assert error_of(answer) == (422, "bad_request"), body
    assert kiosk.status(request["id"])["status"] == "awaiting_signature"


def test_the_typed_kiosk_client_goes_through_the_whole_flow(server: RunningServer, kiosk: Kiosk):
    client = BackendClient(server.url, server.kiosk_token)
    try:
        config = client.kiosk_config()
        assert config.kiosk_id == "KIOSK-DEMO-01"
        assert config.village.head_name == "Ahmad Fauzi"
        assert config.services_enabled == ["SKD", "SKTM", "SKCK", "SKU"]
        catalogue = client.catalogue()
        assert catalogue is not None
        assert client.catalogue(catalogue.version) is None  # 304: still current
        session = client.identify(IdentifyByNikPin(nik=SITI_NIK, pin=SITI_PIN))
        assert session.resident.nik_masked == SITI_MASKED
        body = SubmitRequest(
            service_code="SKCK", fields={"keperluan": "Melamar kerja di pabrik semen"}
        )
        created = client.submit(session.session_token, body, "client-key-0001")
        assert client.submit(session.session_token, body, "client-key-0001").id == created.id
        kiosk.sign(created.id)
        ready = client.request_status(created.id)
        assert ready.status == "ready" and ready.document is not None
        pdf = client.download_document(created.id, ready.document.sha256)
        assert hashlib.sha256(pdf).hexdigest() == ready.document.sha256
        mark = MarkPrinted(kiosk_id=config.kiosk_id, document_sha256=ready.document.sha256)
        assert client.mark_printed(created.id, mark, "client-print-01").status == "collected"
        with pytest.raises(BackendRejected) as rejected:
            client.identify(IdentifyByCard(card_uid="DEADBEEF"))
        assert rejected.value.status == 404
    finally:
        client.close()


def test_ratings_and_heartbeat(kiosk: Kiosk):
    rated = kiosk.call("POST", "/ratings", json={"kiosk_id": "KIOSK-DEMO-01", "score": 4})
    assert rated.status_code == 204
    assert kiosk.server.office.store.ratings()[0]["score"] == 4
    too_high = kiosk.call("POST", "/ratings", json={"kiosk_id": "KIOSK-DEMO-01", "score": 5})
    assert error_of(too_high) == (422, "bad_request")
    beat = kiosk.call(
        "POST",
        "/heartbeat",
        json={
            "kiosk_id": "KIOSK-DEMO-01",
            "software_version": "0.1.0",
            "uptime_s": 12,
            "screen": "welcome",
        },
    )
    assert beat.status_code == 200
    catalogue = kiosk.call("GET", "/catalogue").json()
    assert beat.json()["catalogue_version"] == catalogue["version"]


# --- catalogue ---------------------------------------------------------------------------


def test_catalogue_lists_four_services_in_order_and_is_cached_by_etag(kiosk: Kiosk):
    answer = kiosk.call("GET", "/catalogue")
    assert answer.status_code == 200
    catalogue = answer.json()
    assert [s["code"] for s in catalogue["services"]] == ["SKD", "SKTM", "SKCK", "SKU"]
    assert all(s["fields"] for s in catalogue["services"])
    etag = answer.headers["ETag"]
    assert etag == f'"{catalogue["version"]}"'
    cached = kiosk.call("GET", "/catalogue", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["ETag"] == etag
    stale = kiosk.call("GET", "/catalogue", headers={"If-None-Match": '"0123456789abcdef"'})
    assert stale.status_code == 200 and stale.json() == catalogue
    assert kiosk.call("GET", "/catalogue").headers["ETag"] == etag  # stable between calls


# --- auto-signing -------------------------------------------------------------------------


def test_auto_signer_makes_a_request_ready(tmp_path: Path):
    with serving(tmp_path / "auto", auto_sign_delay_s=0.2) as running:
        kiosk = Kiosk(running)
        request = kiosk.new_request("key-auto-sign-01")
        assert request["status"] == "awaiting_signature"  # not before the delay is over
        ready = wait_for(
            lambda: (s := kiosk.status(request["id"]))["status"] == "ready" and s, timeout_s=20
        )
        assert ready["document"]["letter_number"].startswith("474.4/001/")
        pdf = kiosk.call("GET", f"/requests/{request['id']}/document").content
        assert hashlib.sha256(pdf).hexdigest() == ready["document"]["sha256"]
        kiosk.close()


def test_no_auto_sign_delay_signs_inside_the_submit(tmp_path: Path):
    with serving(tmp_path / "at-once", auto_sign_delay_s=0) as running:
        kiosk = Kiosk(running)
        request = kiosk.new_request("key-at-once-0001")
        assert request["status"] == "ready"
        assert request["document"]["size"] > 0
        kiosk.close()


def test_without_auto_signing_requests_wait_for_the_village_head(kiosk: Kiosk):
    request = kiosk.new_request("key-waiting-0001")
    assert kiosk.status(request["id"])["status"] == "awaiting_signature"


# --- verification page ----------------------------------------------------------------------


def test_verify_page(kiosk: Kiosk):
    request = kiosk.new_request("key-verify-0001")
    page_url = f"{kiosk.server.url}/verify/{request['id']}?code={request['tracking_code']}"
    assert request["verify_url"] == page_url
    before = requests.get(page_url, timeout=10)
    assert before.status_code == 200
    assert "belum ditandatangani" in before.text
    signed = kiosk.sign(request["id"]).json()
    number = signed["document"]["letter_number"]
    after = requests.get(page_url, timeout=10)  # no token: anyone holding the letter may check
    assert after.status_code == 200
    assert after.headers["Content-Type"].startswith("text/html")
    assert number in after.text
    assert signed["document"]["sha256"] in after.text
    assert SITI_MASKED in after.text and SITI_NIK not in after.text
    assert "Ahmad Fauzi" in after.text
    for wrong in (
        f"{kiosk.server.url}/verify/{request['id']}?code=010101-999",
        f"{kiosk.server.url}/verify/{request['id']}",
        f"{kiosk.server.url}/verify/req-unknown?code={request['tracking_code']}",
    ):
        answer = requests.get(wrong, timeout=10)
        assert answer.status_code == 404, wrong
        assert number not in answer.text


# --- OpenAPI -------------------------------------------------------------------------------


def test_committed_openapi_is_current_and_valid(openapi: dict):
    from openapi_spec_validator import validate

    assert OPENAPI.read_text(encoding="utf-8") == render(), (
        "api/openapi.yaml is stale: run python -m apm_server.openapi > api/openapi.yaml"
    )
    validate(openapi)
    assert openapi["openapi"].startswith("3.1")


def test_real_answers_match_the_openapi_schemas(kiosk: Kiosk, conforms: OpenApiCheck):
    check = conforms
    check(kiosk.call("GET", "/kiosk/config"), "KioskConfig", "GET", "/kiosk/config")
    check(kiosk.call("GET", "/catalogue"), "Catalogue", "GET", "/catalogue")
    session = check(
        kiosk.identify({"method": "card", "card_uid": SITI_CARD}), "Session", "POST", "/identify"
    )
    token = session["session_token"]
    for body in (
        {"method": "card", "card_uid": "DEADBEEF"},
        {"method": "nik_pin", "nik": BUDI_NIK, "pin": "000000"},
        {"method": "card"},
    ):
        check(kiosk.identify(body), "ApiError", "POST", "/identify")
    for _ in range(2):
        kiosk.identify({"method": "nik_pin", "nik": BUDI_NIK, "pin": "000000"})
    locked = check(
        kiosk.identify({"method": "nik_pin", "nik": BUDI_NIK, "pin": "000000"}),
        "ApiError",
        "POST",
        "/identify",
    )
    assert locked["code"] == "locked"

    created = check(kiosk.submit(token, "key-openapi-01"), "LetterRequest", "POST", "/requests")
    check(kiosk.submit(token, "key-openapi-01"), "LetterRequest", "POST", "/requests")
    for answer in (
        kiosk.submit(token, "key-openapi-01", "Lain lagi"),
        kiosk.submit(token, None),
        kiosk.submit(token, "key-openapi-02", "ab"),
        kiosk.submit("expired", "key-openapi-03"),
        kiosk.submit(token, "key-openapi-04", service="KTP", fields={}),
    ):
        check(answer, "ApiError", "POST", "/requests")
    check(kiosk.my_requests(token), "RequestList", "GET", "/requests")
    request_path = "/requests/{request_id}"
    check(kiosk.call("GET", "/requests/req-nope"), "ApiError", "GET", request_path)
    early = kiosk.call("GET", f"/requests/{created['id']}/document")
    check(early, "ApiError", "GET", request_path + "/document")

    signed = check(
        kiosk.sign(created["id"]), "LetterRequest", "POST", "/admin/requests/{request_id}/sign"
    )
    check(kiosk.call("GET", f"/requests/{created['id']}"), "LetterRequest", "GET", request_path)
    check(kiosk.my_requests(token), "RequestList", "GET", "/requests")
    printed_path = request_path + "/printed"
    sha = signed["document"]["sha256"]
    check(kiosk.printed(created["id"], "0" * 64, "key-p-0001"), "ApiError", "POST", printed_path)
    check(kiosk.printed(created["id"], sha, "key-p-0002"), "LetterRequest", "POST", printed_path)

    other = kiosk.new_request("key-openapi-05")
    reject_path = "/admin/requests/{request_id}/reject"
    check(kiosk.reject(other["id"], "Data tidak lengkap"), "LetterRequest", "POST", reject_path)
    check(kiosk.reject(other["id"], "Lagi"), "ApiError", "POST", reject_path)
    beat = kiosk.call(
        "POST",
        "/heartbeat",
        json={"kiosk_id": "K", "software_version": "1", "uptime_s": 1, "screen": "idle"},
    )
    check(beat, "HeartbeatAck", "POST", "/heartbeat")
    anonymous = requests.get(kiosk.server.url + API + "/kiosk/config", timeout=10)
    check(anonymous, "ApiError", "GET", "/kiosk/config")
    assert {"KioskConfig", "Catalogue", "Session", "LetterRequest", "ApiError"} <= check.seen


def test_the_schema_check_does_catch_a_wrong_answer(openapi: dict):
    """Guard for the test above: the registry really resolves and applies the schemas."""
    registry = Registry().with_resource(
        "urn:apm:openapi", Resource.from_contents(openapi, default_specification=DRAFT202012)
    )
    validator = jsonschema.Draft202012Validator(
        {"$ref": "urn:apm:openapi#/components/schemas/LetterRequest"}, registry=registry
    )
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"id": "x", "tracking_code": "not-a-code"})


def test_a_sam_read_identifies_the_resident_and_a_mismatched_finger_is_refused(kiosk: Kiosk):
    read = {"method": "sam", "nik": SITI_NIK, "reader": "ACME EK-200 SAM 5678"}
    answer = kiosk.identify({**read, "fingerprint": "matched"})
    assert answer.status_code == 200
    assert answer.json()["resident"]["nik_masked"] == SITI_MASKED
    assert SITI_NIK not in answer.text
    mismatch = kiosk.identify({**read, "fingerprint": "not-matched"})
    assert error_of(mismatch) == (401, "fingerprint_mismatch")
    stranger = {**read, "nik": "3523010101900009", "fingerprint": "not-supported"}
    assert error_of(kiosk.identify(stranger)) == (404, "unknown_resident")


def test_the_office_closes_and_opens_its_kiosks(kiosk: Kiosk, conforms: OpenApiCheck):
    config = kiosk.call("GET", "/kiosk/config").json()
    assert config["out_of_service"] is None
    assert decode_logo(config["logo_png"]).startswith(b"\x89PNG")  # the village's emblem
    reason = {
        "id": "Perawatan printer sampai pukul 13.00.",
        "en": "Printer maintenance until 1 pm.",
    }
    closed = kiosk.admin("PUT", "/admin/out-of-service", json={"reason": reason})
    assert conforms(closed, "Text", "PUT", "/admin/out-of-service") == reason
    config = conforms(kiosk.call("GET", "/kiosk/config"), "KioskConfig", "GET", "/kiosk/config")
    assert config["out_of_service"] == reason
    assert kiosk.admin("DELETE", "/admin/out-of-service").status_code == 204
    assert kiosk.call("GET", "/kiosk/config").json()["out_of_service"] is None


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": "plain text"}, {"reason": {"id": "  "}}, {"reason": {"id": "x" * 301}}],
)
def test_closing_the_kiosks_needs_a_reason(kiosk: Kiosk, body):
    answer = kiosk.admin("PUT", "/admin/out-of-service", json=body)
    assert error_of(answer) == (422, "bad_request")
    assert kiosk.call("GET", "/kiosk/config").json()["out_of_service"] is None


def test_only_the_office_closes_the_kiosks(kiosk: Kiosk):
    reason = {"reason": {"id": "Tutup."}}
    answer = kiosk.call("PUT", "/admin/out-of-service", json=reason)
    assert error_of(answer) == (401, "unauthorized")
    assert kiosk.call("GET", "/kiosk/config").json()["out_of_service"] is None
