"""HTTP details a kiosk or another client relies on, the exact demo data, and privacy in logs."""

from __future__ import annotations

import http.client
import json
import logging
import sqlite3
import statistics
import threading
import time
from pathlib import Path

import pytest
import requests

from apm_api.models import IDEMPOTENCY_KEY_PATTERN
from apm_server.app import RunningServer
from apm_server.web import IDEMPOTENCY_KEY
from tests.databases import sqlite_only

from .conftest import (
    API,
    BUDI_NIK,
    SITI_CARD,
    SITI_NIK,
    SITI_PIN,
    SKD_ADDRESS,
    Kiosk,
    serving,
)


def error_of(answer: requests.Response) -> tuple[int, str]:
    assert answer.headers["Content-Type"].startswith("application/json"), answer.text
    return answer.status_code, answer.json()["code"]


# --- demo data: other parts of the project rely on these exact values -------------------------


def test_kiosk_config_is_the_demo_village(kiosk: Kiosk):
    config = kiosk.call("GET", "/kiosk/config").json()
    assert config["kiosk_id"] == "KIOSK-DEMO-01"
    assert config["village"] == {
        "name": "Sumberejo",
        "district": "Merakurak",
        "regency": "Kabupaten Tuban",
        "province": "Jawa Timur",
        "address": "Jl. Raya Sumberejo No. 1, Merakurak, Tuban 62355",
        "head_name": "Ahmad Fauzi",
        "code": "35.23.01.2001",
    }
    assert config["services_enabled"] == ["SKD", "SKTM", "SKCK", "SKU"]
    assert (config["idle_timeout_s"], config["status_poll_s"]) == (60, 2)


def test_catalogue_forms_are_the_demo_services(kiosk: Kiosk):
    services = {s["code"]: s for s in kiosk.call("GET", "/catalogue").json()["services"]}
    assert [services[c]["name"]["id"] for c in ("SKD", "SKTM", "SKCK", "SKU")] == [
        "Surat Keterangan Domisili",
        "Surat Keterangan Tidak Mampu",
        "Surat Pengantar SKCK",
        "Surat Keterangan Usaha",
    ]

    def form(code: str) -> list[tuple[str, str, bool, str | None]]:
        return [
            (f["name"], f["kind"], f["required"], f.get("prefill"))
            for f in services[code]["fields"]
        ]

    assert form("SKD") == [
        ("keperluan", "text", True, None),
        ("alamat_domisili", "textarea", True, "address"),
    ]
    assert form("SKTM") == [
        ("keperluan", "choice", True, None),
        ("penghasilan_bulanan", "number", True, None),
        ("jumlah_tanggungan", "number", True, None),
    ]
    assert [c["value"] for c in services["SKTM"]["fields"][0]["choices"]] == [
        "pendidikan",
        "kesehatan",
        "bantuan_sosial",
        "lainnya",
    ]
    assert form("SKCK") == [("keperluan", "text", True, None)]
    assert [name for name, *_ in form("SKU")] == [
        "nama_usaha",
        "jenis_usaha",
        "alamat_usaha",
        "mulai_usaha",
    ]
    assert services["SKU"]["fields"][3]["kind"] == "date"
    for service in services.values():  # every text has its English version
        assert service["name"]["en"] and service["description"]["en"]
        assert all(f["label"]["en"] for f in service["fields"])


@pytest.mark.parametrize(
    ("body", "name", "masked"),
    [
        ({"method": "card", "card_uid": "5A3C9E01"}, "Budi Santoso", "3523••••••••0002"),
        (
            {"method": "nik_pin", "nik": "3523012511000003", "pin": "111222"},
            "Wahyu Hidayat",
            "3523••••••••0003",
        ),
        ({"method": "nik_pin", "nik": BUDI_NIK, "pin": "654321"}, "Budi Santoso", None),
    ],
)
def test_every_demo_resident_can_identify(kiosk: Kiosk, body: dict, name: str, masked: str | None):
    answer = kiosk.identify(body)
    assert answer.status_code == 200, answer.text
    resident = answer.json()["resident"]
    assert resident["display_name"] == name
    if masked:
        assert resident["nik_masked"] == masked
    assert set(resident["prefill"]) == {
        "address",
        "birth_place",
        "birth_date",
        "gender",
        "religion",
        "occupation",
        "marital_status",
    }


# --- caching and idempotency, as HTTP clients really send them ---------------------------------


def test_if_none_match_in_the_forms_http_allows(kiosk: Kiosk):
    version = kiosk.call("GET", "/catalogue").json()["version"]
    for header in (
        f'"{version}"',
        f'W/"{version}"',
        version,
        f'"0000", "{version}"',
        "*",
    ):
        answer = kiosk.call("GET", "/catalogue", headers={"If-None-Match": header})
        assert answer.status_code == 304, header
    assert kiosk.call("GET", "/catalogue", headers={"If-None-Match": '"0000"'}).status_code == 200


def test_a_retry_with_other_json_spelling_is_the_same_submission(kiosk: Kiosk):
    token = kiosk.session()
    headers = {"X-Session-Token": token, "Idempotency-Key": "key-spelling-001"}
    fields = {"keperluan": "Melamar pekerjaan", "alamat_domisili": SKD_ADDRESS}
    first = kiosk.call(
        "POST", "/requests", headers=headers, json={"service_code": "SKD", "fields": fields}
    )
    assert first.status_code == 201
    reordered = json.dumps(
        {"fields": dict(reversed(list(fields.items()))), "service_code": "SKD"}, indent=2
    )
    again = kiosk.call(
        "POST",
        "/requests",
        data=reordered.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    assert again.json()["id"] == first.json()["id"]


def test_another_resident_reusing_a_key_gets_a_conflict_not_the_request(kiosk: Kiosk):
    assert kiosk.submit(kiosk.session(), "key-shared-0001").status_code == 201
    budi = kiosk.session("5A3C9E01")
    answer = kiosk.submit(budi, "key-shared-0001")
    assert error_of(answer) == (409, "idempotency_conflict")
    assert "tracking_code" not in answer.text


def test_concurrent_retries_create_one_request(kiosk: Kiosk):
    token = kiosk.session()
    answers: list[requests.Response] = []

    def submit() -> None:
        answers.append(Kiosk(kiosk.server).submit(token, "key-concurrent-01"))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(kiosk.my_requests(token).json()["requests"]) == 1


def test_printed_needs_an_idempotency_key_and_says_when_it_replays(kiosk: Kiosk):
    request = kiosk.new_request("key-printed-key-01")
    sha = kiosk.sign(request["id"]).json()["document"]["sha256"]
    body = {"kiosk_id": "KIOSK-DEMO-01", "document_sha256": sha}
    no_key = kiosk.call("POST", f"/requests/{request['id']}/printed", json=body)
    assert error_of(no_key) == (400, "bad_request")
    assert kiosk.status(request["id"])["status"] == "ready"
    first = kiosk.printed(request["id"], sha, "print-key-000001")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    again = kiosk.printed(request["id"], sha, "print-key-000001")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_the_key_rule_is_the_one_the_openapi_document_states():
    assert IDEMPOTENCY_KEY.pattern == IDEMPOTENCY_KEY_PATTERN.strip("^$")
    assert IDEMPOTENCY_KEY.fullmatch("0f8e4a5c9b2d4e7f8a1b2c3d4e5f6a7b")  # a uuid4().hex
    for bad in ("short", "with space inside", "ümlaut-key-123", "x" * 201):
        assert not IDEMPOTENCY_KEY.fullmatch(bad), bad


# --- HTTP edge cases: always an ApiError, never an HTML page or a hang ---------------------------


def test_other_methods_are_405_with_allow(kiosk: Kiosk):
    answer = kiosk.call("DELETE", "/requests")
    assert error_of(answer) == (405, "bad_request")
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert error_of(kiosk.call("PUT", "/nothing")) == (404, "not_found")


def test_requests_http_itself_refuses_get_json_errors(kiosk: Kiosk):
    """What the HTTP server refuses before any route sees it is an ApiError too."""
    huge_headers = b"".join(b"X-Header-%d: %s\r\n" % (n, b"1" * 100) for n in range(400))
    for raw, status in (
        (b"GET /healthz HTTP/1.1\r\nHost: k\r\n" + huge_headers + b"\r\n", b"431"),
        (b"GET /healthz HTTP/1.1\r\n\r\n", b"400"),  # HTTP/1.1 without a Host
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"OPTIONS /api/v1/catalogue HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n", b"405"),
    ):
        head, _, body = kiosk.raw(raw).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 " + status + b" "), head
        assert json.loads(body)["code"] == "bad_request"


def test_a_chunked_body_is_refused_with_411(kiosk: Kiosk):
    answer = kiosk.raw(
        b"POST /api/v1/identify HTTP/1.1\r\nHost: kiosk\r\n"
        b"Authorization: Bearer demo-kiosk-token\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\n{}\r\n0\r\n\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 411 "), answer
    assert json.loads(body)["code"] == "bad_request"


def test_a_chunked_submit_is_refused_and_creates_nothing(kiosk: Kiosk):
    token = kiosk.session()
    body = json.dumps({"service_code": "SKCK", "fields": {"keperluan": "Melamar pekerjaan"}})
    chunk = f"{len(body):x}\r\n{body}\r\n0\r\n\r\n".encode()
    head = (
        "POST /api/v1/requests HTTP/1.1\r\nHost: kiosk\r\n"
        "Authorization: Bearer demo-kiosk-token\r\nContent-Type: application/json\r\n"
        f"X-Session-Token: {token}\r\nIdempotency-Key: key-chunked-0001\r\n"
    )
    for framing in ("Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip, chunked\r\n"):
        # The server closes the connection (kiosk.raw reads to its end): the chunks
        # must not be read as a next request.
        answer = kiosk.raw((head + framing + "\r\n").encode() + chunk)
        status, _, rest = answer.partition(b"\r\n")
        # 411 from the API; a coding HTTP itself cannot read (gzip) is refused by the
        # server's parser already, with 400.
        assert status.startswith((b"HTTP/1.1 411 ", b"HTTP/1.1 400 ")), answer
        assert b"\r\nconnection: close\r\n" in rest.partition(b"\r\n\r\n")[0].lower() + b"\r\n"
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["code"] == "bad_request"
        assert answer.count(b"HTTP/1.1 ") == 1
    assert kiosk.my_requests(token).json()["requests"] == []


def test_two_different_content_lengths_are_400(kiosk: Kiosk):
    answer = kiosk.raw(
        b"POST /api/v1/identify HTTP/1.1\r\nHost: kiosk\r\n"
        b"Authorization: Bearer demo-kiosk-token\r\nContent-Length: 2\r\n"
        b"Content-Length: 40\r\n\r\n{}"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer
    assert json.loads(body)["code"] == "bad_request"


def test_kept_alive_requests_are_answered_without_a_nagle_delay(kiosk: Kiosk):
    """50 requests on one connection, one after the other: no answer waits for an ACK.

    An answer written in two parts (headers, then body) waits for the client's delayed
    ACK of the first part (at least 40 ms on Linux): every request took over 40 ms that
    way. The median of the GETs is compared with that, so a loaded machine (a slow
    database write, a busy core) does not fail the test but the delay always does.
    """
    token = kiosk.session()
    host, port = kiosk.server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    auth = {"Authorization": f"Bearer {kiosk.server.kiosk_token}"}
    conn.request("GET", API + "/kiosk/config", headers=auth)
    assert conn.getresponse().read()
    sock = conn.sock
    submit = {"service_code": "SKCK", "fields": {"keperluan": "Melamar pekerjaan"}}
    gets: list[float] = []
    for n in range(50):
        started = time.perf_counter()
        if n % 2:
            conn.request("GET", API + "/kiosk/config", headers=auth)
        else:
            headers = {**auth, "X-Session-Token": token, "Idempotency-Key": f"key-nagle-{n:04d}"}
            conn.request(
                "POST", API + "/requests", body=json.dumps(submit).encode(), headers=headers
            )
        answer = conn.getresponse()
        assert answer.status == (200 if n % 2 else 201), answer.read()
        answer.read()
        if n % 2:
            gets.append(time.perf_counter() - started)
    assert conn.sock is sock  # one kept-alive connection throughout
    conn.close()
    median = statistics.median(gets)
    assert median < 0.030, f"a kept-alive GET took {median * 1000:.0f} ms (median of 25)"


def test_a_kept_alive_connection_survives_a_body_on_a_get(kiosk: Kiosk):
    # A GET with a body must not leave bytes that would be read as the next request.
    for _ in range(2):
        answer = kiosk.call("GET", "/kiosk/config", data=b'{"ignored": true}')
        assert answer.status_code == 200
    assert requests.get(kiosk.server.url + "/healthz", data=b"x" * 10, timeout=10).text == "ok"


def test_auth_and_lock_answers_carry_their_http_headers(kiosk: Kiosk):
    anonymous = requests.get(kiosk.server.url + API + "/catalogue", timeout=10)
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    wrong = {"method": "nik_pin", "nik": SITI_NIK, "pin": "000000"}
    for _ in range(3):
        answer = kiosk.identify(wrong)
    assert error_of(answer) == (423, "locked")
    assert int(answer.headers["Retry-After"]) == answer.json()["retry_after_s"]


def test_healthz_needs_no_token(server: RunningServer):
    answer = requests.get(server.url + "/healthz", timeout=10)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert answer.headers["Content-Type"].startswith("text/plain")


# --- lifecycle without the demo shortcut, storage, privacy -------------------------------------


def test_without_demo_there_are_no_demo_residents(tmp_path: Path):
    with serving(tmp_path / "strict", demo=False) as running:
        kiosk = Kiosk(running)
        for body in (
            {"method": "card", "card_uid": SITI_CARD},
            {"method": "nik_pin", "nik": SITI_NIK, "pin": SITI_PIN},
        ):
            assert kiosk.identify(body).status_code in (401, 404), body
        assert running.office.store.resident(SITI_NIK) is None
        assert kiosk.call("GET", "/kiosk/config").status_code == 200  # the kiosk is enrolled
        kiosk.close()
    # Started again with the demo, the same database gets them.
    with serving(tmp_path / "strict") as running:
        assert Kiosk(running).identify({"method": "card", "card_uid": SITI_CARD}).ok


def test_without_demo_requests_wait_for_review_and_signing_includes_it(tmp_path: Path):
    with serving(tmp_path / "strict", demo=False) as running:
        running.office.store.add_resident(
            "3523010101700009", "Sri Wahyuni", "0A0B0C0D", "246810", {"address": "Dusun Krajan"}
        )
        kiosk = Kiosk(running)
        request = kiosk.submit(kiosk.session("0A0B0C0D"), "key-no-demo-0001").json()
        assert request["status"] == "under_review"
        signed = kiosk.sign(request["id"]).json()
        assert (signed["status"], signed["document"]["size"] > 0) == ("ready", True)
        kiosk.close()


@sqlite_only
def test_the_database_is_sqlite_in_wal_mode(server: RunningServer):
    path = Path(server.office.state_dir) / "apm-server.sqlite3"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM residents").fetchone()[0] == 3
        pins = [row[0] for row in db.execute("SELECT pin_hash FROM residents")]
    assert SITI_PIN not in pins  # PINs are kept only as salted hashes


def test_restart_keeps_the_state_and_does_not_reload_demo_data(tmp_path: Path):
    with serving(tmp_path / "again") as running:
        request = Kiosk(running).new_request("key-restart-0001")
        first_ca = running.ca_cert_path.read_bytes()
    with serving(tmp_path / "again") as running:
        kiosk = Kiosk(running)
        assert kiosk.status(request["id"])["tracking_code"] == request["tracking_code"]
        assert running.ca_cert_path.read_bytes() == first_ca
        assert kiosk.identify({"method": "card", "card_uid": SITI_CARD}).status_code == 200
        kiosk.close()


def test_logs_never_hold_a_full_nik_or_card_uid(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    with serving(tmp_path / "logs", auto_sign_delay_s=0) as running:
        kiosk = Kiosk(running)
        kiosk.identify({"method": "nik_pin", "nik": SITI_NIK, "pin": "000000"})
        kiosk.identify({"method": "nik_pin", "nik": SITI_NIK, "pin": SITI_PIN})
        kiosk.identify({"method": "card", "card_uid": "DEADBEEF0042"})
        request = kiosk.new_request("key-logging-0001")
        kiosk.call("GET", f"/requests/{request['id']}/document")
        kiosk.close()
    assert "identified 3523" in caplog.text  # the log does say who, masked
    for secret in (SITI_NIK, SITI_CARD, "DEADBEEF0042", SITI_PIN):
        assert secret not in caplog.text, secret


def test_a_stopped_server_also_ends_its_kept_alive_connections(tmp_path: Path):
    """After stop() the server is gone for every client, as after an outage: a connection
    kept alive from before gets no more answers (it used to be served for another minute)."""
    with serving(tmp_path / "gone") as running:
        host, port = running.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        headers = {"Authorization": f"Bearer {running.kiosk_token}"}
        connection.request("GET", "/api/v1/kiosk/config", headers=headers)
        assert connection.getresponse().read()
        started = time.monotonic()
        running.stop()
        assert time.monotonic() - started < 3
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            connection.request("GET", "/api/v1/kiosk/config", headers=headers)
            connection.getresponse().read()
        connection.close()


def test_a_body_of_another_type_is_refused_saying_so(kiosk: Kiosk):
    answer = kiosk.call(
        "POST",
        "/identify",
        data=b'{"method": "card", "card_uid": "04A3B2C1D0E1F2"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error_of(answer) == (415, "bad_request")
    assert "application/json" in answer.json()["message"]["en"]
    untyped = kiosk.call(
        "POST", "/identify", data=b'{"method": "card", "card_uid": "04A3B2C1D0E1F2"}'
    )
    assert untyped.status_code == 200  # no Content-Type at all: read as JSON
