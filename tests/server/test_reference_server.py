"""The reference backend over real HTTP on loopback: the contract as a kiosk lives it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml

from apm_server.app import RunningServer, start_server
from apm_server.openapi import render
from apm_server.signing import validate_signed_pdf

API = "/api/v1"
SITI = {"method": "card", "card_uid": "04A3B2C1D0E1F2"}
OPENAPI = Path(__file__).resolve().parents[2] / "api" / "openapi.yaml"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "server")
    yield running
    running.stop()


class Kiosk:
    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {server.kiosk_token}"

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.server.url + API + path, timeout=10, **kwargs)

    def session(self, body=SITI) -> str:
        answer = self.call("POST", "/identify", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()["session_token"]

    def submit(self, token: str, key: str, fields: dict[str, str] | None = None, code="SKD"):
        fields = fields if fields is not None else {"keperluan": "Melamar pekerjaan"}
        if code == "SKD":
            fields = {"alamat_domisili": "Dusun Krajan RT 002 RW 001", **fields}
        return self.call(
            "POST",
            "/requests",
            headers={"X-Session-Token": token, "Idempotency-Key": key},
            json={"service_code": code, "fields": fields},
        )

    def sign(self, request_id: str) -> requests.Response:
        return requests.post(
            f"{self.server.url}{API}/admin/requests/{request_id}/sign",
            headers={"Authorization": f"Bearer {self.server.admin_token}"},
            timeout=30,
        )


@pytest.fixture
def kiosk(server: RunningServer) -> Kiosk:
    return Kiosk(server)


def test_identification_never_returns_the_full_nik(kiosk: Kiosk):
    answer = kiosk.call(
        "POST", "/identify", json={"method": "nik_pin", "nik": "3523014708900001", "pin": "123456"}
    )
    assert answer.status_code == 200
    assert answer.json()["resident"]["display_name"] == "Siti Rahayu"
    assert "3523014708900001" not in answer.text


def test_unknown_card_and_wrong_pin_then_lock(kiosk: Kiosk):
    unknown = kiosk.call("POST", "/identify", json={"method": "card", "card_uid": "DEADBEEF"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_card")
    wrong = {"method": "nik_pin", "nik": "3523011203850002", "pin": "000000"}
    for _ in range(2):
        assert kiosk.call("POST", "/identify", json=wrong).json()["code"] == "wrong_pin"
    locked = kiosk.call("POST", "/identify", json=wrong)
    assert (locked.status_code, locked.json()["code"]) == (423, "locked")
    assert locked.json()["retry_after_s"] > 0
    right = {**wrong, "pin": "654321"}
    assert kiosk.call("POST", "/identify", json=right).status_code == 423  # locked even so


def test_submit_is_exactly_once_per_idempotency_key(kiosk: Kiosk):
    token = kiosk.session()
    first = kiosk.submit(token, "key-0001-abcdef")
    assert first.status_code == 201
    again = kiosk.submit(token, "key-0001-abcdef")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    mine = kiosk.call("GET", "/requests", headers={"X-Session-Token": token}).json()["requests"]
    assert [r["id"] for r in mine] == [first.json()["id"]]
    other = kiosk.submit(token, "key-0001-abcdef", {"keperluan": "Sesuatu yang lain"})
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")


def test_bad_requests_get_clear_errors_not_500(kiosk: Kiosk):
    token = kiosk.session()
    invalid = kiosk.submit(token, "key-0002-abcdef", {"keperluan": "ab", "is_admin": "1"})
    assert invalid.status_code == 422
    assert set(invalid.json()["field_errors"]) == {"keperluan", "is_admin"}
    missing = kiosk.submit(token, "key-0002-bcdefg", {"alamat_domisili": ""})
    assert set(missing.json()["field_errors"]) == {"keperluan", "alamat_domisili"}
    no_key = kiosk.call(
        "POST",
        "/requests",
        headers={"X-Session-Token": token},
        json={"service_code": "SKD", "fields": {}},
    )
    assert no_key.status_code == 400
    expired = kiosk.submit("not-a-session", "key-0003-abcdef")
    assert expired.json()["code"] == "session_expired"
    garbage = kiosk.call("POST", "/identify", data=b"\xff{not json")
    assert 400 <= garbage.status_code < 500 and garbage.json()["code"] == "bad_request"
    anonymous = requests.get(kiosk.server.url + API + "/kiosk/config", timeout=10)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthorized")


def test_catalogue_is_cached_by_version(kiosk: Kiosk):
    answer = kiosk.call("GET", "/catalogue")
    assert [s["code"] for s in answer.json()["services"]] == ["SKD", "SKTM", "SKCK", "SKU"]
    cached = kiosk.call("GET", "/catalogue", headers={"If-None-Match": answer.headers["ETag"]})
    assert cached.status_code == 304 and cached.content == b""


def test_signed_letter_lifecycle(kiosk: Kiosk, tmp_path: Path):
    token = kiosk.session()
    request = kiosk.submit(
        token, "key-0004-abcdef", {"keperluan": "Pendaftaran sekolah anak"}
    ).json()
    before = kiosk.call("GET", f"/requests/{request['id']}/document")
    assert (before.status_code, before.json()["code"]) == (409, "invalid_state")
    assert (
        kiosk.call("POST", f"/admin/requests/{request['id']}/sign").status_code == 401
    )  # kiosk token

    signed = kiosk.sign(request["id"]).json()
    assert signed["status"] == "ready"
    document = kiosk.call("GET", f"/requests/{request['id']}/document")
    pdf = document.content
    assert (
        hashlib.sha256(pdf).hexdigest()
        == signed["document"]["sha256"]
        == document.headers["X-Document-SHA256"]
    )

    letter = tmp_path / "letter.pdf"
    letter.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(letter), "-"], capture_output=True, text=True).stdout
    for expected in (
        "SURAT KETERANGAN DOMISILI",
        "Siti Rahayu",
        "3523014708900001",
        signed["document"]["letter_number"],
        "Pendaftaran sekolah anak",
        "AHMAD FAUZI",
    ):
        assert expected in text

    ca = kiosk.server.ca_cert_path.read_bytes()
    assert validate_signed_pdf(pdf, ca).ok
    tampered = bytearray(pdf)
    tampered[len(pdf) // 3] ^= 0x01  # one bit inside the signed content
    assert not validate_signed_pdf(bytes(tampered), ca).ok
    other_ca = start_server(tmp_path / "other")
    try:
        assert not validate_signed_pdf(pdf, other_ca.ca_cert_path.read_bytes()).trusted
    finally:
        other_ca.stop()

    body = {"kiosk_id": "KIOSK-DEMO-01", "document_sha256": signed["document"]["sha256"]}
    for _ in range(2):  # idempotent
        printed = kiosk.call(
            "POST",
            f"/requests/{request['id']}/printed",
            headers={"Idempotency-Key": "print-0001-abc"},
            json=body,
        )
        assert (printed.status_code, printed.json()["status"]) == (200, "collected")
    wrong = kiosk.call(
        "POST",
        f"/requests/{request['id']}/printed",
        headers={"Idempotency-Key": "print-0002-abc"},
        json={**body, "document_sha256": "0" * 64},
    )
    assert wrong.status_code == 409

    verify = requests.get(signed["verify_url"], timeout=10)
    assert verify.status_code == 200 and signed["document"]["letter_number"] in verify.text
    forged = requests.get(signed["verify_url"].replace("code=", "code=9"), timeout=10)
    assert forged.status_code == 404


def test_reject_with_a_reason(kiosk: Kiosk):
    token = kiosk.session()
    request = kiosk.submit(token, "key-0005-abcdef").json()
    answer = requests.post(
        f"{kiosk.server.url}{API}/admin/requests/{request['id']}/reject",
        headers={"Authorization": f"Bearer {kiosk.server.admin_token}"},
        json={"reason": "Alamat tidak sesuai data kependudukan"},
        timeout=10,
    ).json()
    assert answer["status"] == "rejected"
    assert answer["reject_reason"]["id"] == "Alamat tidak sesuai data kependudukan"


def test_openapi_document_is_current_valid_and_matches_real_answers(kiosk: Kiosk):
    from openapi_spec_validator import validate

    committed = OPENAPI.read_text(encoding="utf-8")
    assert committed == render(), "api/openapi.yaml is stale: run python -m apm_server.openapi"
    document = yaml.safe_load(committed)
    validate(document)

    def check(answer: requests.Response, schema: str) -> None:
        wrapper = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
        jsonschema.validate(answer.json(), wrapper)

    check(kiosk.call("GET", "/kiosk/config"), "KioskConfig")
    check(kiosk.call("GET", "/catalogue"), "Catalogue")
    check(kiosk.call("POST", "/identify", json=SITI), "Session")
    check(
        kiosk.call("POST", "/identify", json={"method": "card", "card_uid": "DEADBEEF"}), "ApiError"
    )
    token = kiosk.session()
    check(kiosk.submit(token, "key-0006-abcdef"), "LetterRequest")


def test_cli_sign_and_list_from_a_shell(kiosk: Kiosk):
    state = kiosk.server.office.state_dir
    cli = [sys.executable, "-m", "apm_server.cli"]
    unknown = subprocess.run(
        [*cli, "sign", "req-nope", "--state-dir", str(state)], capture_output=True, text=True
    )
    assert unknown.returncode == 1
    assert "no request 'req-nope'" in unknown.stderr and "Traceback" not in unknown.stderr

    request = kiosk.submit(kiosk.session(), "key-0007-abcdef").json()
    signed = subprocess.run(
        [*cli, "sign", request["id"], "--state-dir", str(state)], capture_output=True, text=True
    )
    assert signed.returncode == 0, signed.stderr
    status = kiosk.call("GET", f"/requests/{request['id']}").json()
    assert status["status"] == "ready"
    assert status["document"]["letter_number"] in signed.stdout

    listing = subprocess.run(
        [*cli, "list", "--state-dir", str(state)], capture_output=True, text=True
    )
    assert request["tracking_code"] in listing.stdout
    assert "3523014708900001" not in listing.stdout  # NIK masked
