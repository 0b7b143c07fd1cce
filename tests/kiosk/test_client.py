"""The backend client against a real HTTP server on 127.0.0.1, scripted per test.

Whatever the server does, only the four BackendError kinds may come out of the client.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from apm_api.models import (
    ErrorCode,
    Heartbeat,
    IdentifyByCard,
    IdentifyByNikPin,
    MarkPrinted,
    Rating,
    RequestStatus,
    SubmitRequest,
)
from kiosk.backend.client import BackendClient
from kiosk.backend.errors import (
    BackendError,
    BackendProtocolError,
    BackendRejected,
    BackendServerError,
    BackendUnreachable,
)

TOKEN = "device-token-123"
PDF = b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n"
PDF_SHA = hashlib.sha256(PDF).hexdigest()
NOW = "2026-01-02T03:04:05+00:00"


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], Reply] = {}
        self.received: list[Received] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                script.received.append(
                    Received(self.command, self.path, dict(self.headers.items()), body)
                )
                reply = script.replies.get((self.command, self.path), Reply(404, b"nope"))
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = reply.body
                headers = dict(reply.headers)
                if not isinstance(payload, bytes):
                    payload = json.dumps(payload).encode()
                    headers.setdefault("Content-Type", "application/json")
                try:
                    self.send_response(reply.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout test)

            do_GET = do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def on(self, method: str, path: str, reply: Reply) -> None:
        self.replies[(method, "/api/v1" + path)] = reply

    def last(self) -> Received:
        return self.received[-1]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


@pytest.fixture
def client(server: ScriptedServer) -> Iterator[BackendClient]:
    backend = BackendClient(server.url, TOKEN, connect_timeout_s=1.0, read_timeout_s=0.3)
    yield backend
    backend.close()


def letter(status: str = "ready", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "req/1 x",
        "tracking_code": "020126-001",
        "service_code": "SKD",
        "service_name": {"id": "Surat Keterangan Domisili"},
        "status": status,
        "created_at": NOW,
        "updated_at": NOW,
        "document": {
            "sha256": PDF_SHA,
            "size": len(PDF),
            "letter_number": "470/001",
            "signed_at": NOW,
        },
    }
    data.update(extra)
    return data


def api_error(code: str = "wrong_pin") -> dict[str, Any]:
    return {"code": code, "message": {"id": "PIN salah", "en": "Wrong PIN"}}


KIOSK_CONFIG = {
    "kiosk_id": "kiosk-1",
    "village": {
        "name": "Desa",
        "district": "Kec",
        "regency": "Kab",
        "province": "Prov",
        "address": "Jl. 1",
        "head_name": "Pak Kades",
        "code": "35.23.01.2001",
    },
    "services_enabled": ["SKD"],
    "a_field_from_a_newer_backend": True,
}


# --- good answers -------------------------------------------------------------------------


def test_kiosk_config_sends_token_and_user_agent(
    server: ScriptedServer, client: BackendClient
) -> None:
    server.on("GET", "/kiosk/config", Reply(body=KIOSK_CONFIG))
    config = client.kiosk_config()
    assert config.kiosk_id == "kiosk-1"
    headers = server.last().headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"] == "apm-kiosk/0.1.0"


def test_catalogue_and_not_modified(server: ScriptedServer, client: BackendClient) -> None:
    server.on("GET", "/catalogue", Reply(body={"version": "v2", "services": []}))
    catalogue = client.catalogue()
    assert catalogue is not None and catalogue.version == "v2"
    assert "If-None-Match" not in server.last().headers
    server.on("GET", "/catalogue", Reply(304))
    assert client.catalogue("v2") is None
    assert server.last().headers["If-None-Match"] == '"v2"'


def test_identify_posts_the_model(server: ScriptedServer, client: BackendClient) -> None:
    session = {
        "session_token": "s3cret",
        "expires_at": NOW,
        "resident": {"display_name": "Budi", "nik_masked": "3523••••0001"},
    }
    server.on("POST", "/identify", Reply(body=session))
    result = client.identify(IdentifyByNikPin(nik="3523000000000001", pin="123456"))
    assert result.resident.display_name == "Budi"
    sent = server.last()
    assert json.loads(sent.body) == {
        "method": "nik_pin",
        "nik": "3523000000000001",
        "pin": "123456",
    }
    assert sent.headers["Content-Type"] == "application/json"
    client.identify(IdentifyByCard(card_uid="04A1B2C3"))
    assert json.loads(server.last().body) == {"method": "card", "card_uid": "04A1B2C3"}


def test_my_requests_sends_the_session_token(server: ScriptedServer, client: BackendClient) -> None:
    server.on("GET", "/requests", Reply(body={"requests": [letter()]}))
    listing = client.my_requests("session-abc")
    assert listing.requests[0].status is RequestStatus.READY
    assert server.last().headers["X-Session-Token"] == "session-abc"


@pytest.mark.parametrize("status", [201, 200])
def test_submit_sends_idempotency_key(
    server: ScriptedServer, client: BackendClient, status: int
) -> None:
    server.on("POST", "/requests", Reply(status, letter("under_review", document=None)))
    body = SubmitRequest(service_code="SKD", fields={"purpose": "sekolah"})
    created = client.submit("session-abc", body, "key-42")
    assert created.status is RequestStatus.UNDER_REVIEW
    sent = server.last()
    assert sent.headers["Idempotency-Key"] == "key-42"
    assert sent.headers["X-Session-Token"] == "session-abc"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(sent.body) == {"service_code": "SKD", "fields": {"purpose": "sekolah"}}


def test_request_ids_are_quoted_path_segments(
    server: ScriptedServer, client: BackendClient
) -> None:
    server.on("GET", "/requests/req%2F1%20x", Reply(body=letter()))
    assert client.request_status("req/1 x").tracking_code == "020126-001"


def test_download_document(server: ScriptedServer, client: BackendClient) -> None:
    headers = {"Content-Type": "application/pdf", "X-Document-SHA256": PDF_SHA}
    server.on("GET", "/requests/r1/document", Reply(body=PDF, headers=headers))
    assert client.download_document("r1", PDF_SHA) == PDF


def test_mark_printed_rate_and_heartbeat(server: ScriptedServer, client: BackendClient) -> None:
    server.on("POST", "/requests/r1/printed", Reply(body=letter("collected")))
    done = client.mark_printed("r1", MarkPrinted(kiosk_id="k", document_sha256=PDF_SHA), "p-1")
    assert done.status is RequestStatus.COLLECTED
    assert server.last().headers["Idempotency-Key"] == "p-1"

    server.on("POST", "/ratings", Reply(204))
    assert client.rate(Rating(kiosk_id="k", score=4)) is None
    assert json.loads(server.last().body)["score"] == 4

    server.on("POST", "/heartbeat", Reply(body={"server_time": NOW, "config_version": "c1"}))
    beat = Heartbeat(
        kiosk_id="k",
        software_version="0.1.0",
        uptime_s=5,
        screen="idle",
        online_since=datetime.now(UTC),
    )
    assert client.heartbeat(beat).config_version == "c1"


# --- everything that can go wrong ----------------------------------------------------------


def test_garbage_bytes_are_a_protocol_error(server: ScriptedServer, client: BackendClient) -> None:
    server.on(
        "GET",
        "/kiosk/config",
        Reply(body=b"\x00\xff garbage", headers={"Content-Type": "application/json"}),
    )
    with pytest.raises(BackendProtocolError):
        client.kiosk_config()


def test_wrong_content_type_is_a_protocol_error(
    server: ScriptedServer, client: BackendClient
) -> None:
    body = json.dumps(KIOSK_CONFIG).encode()
    server.on("GET", "/kiosk/config", Reply(body=body, headers={"Content-Type": "text/html"}))
    with pytest.raises(BackendProtocolError, match="content type"):
        client.kiosk_config()


def test_html_502_is_a_server_error(server: ScriptedServer, client: BackendClient) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    server.on("GET", "/kiosk/config", Reply(502, page, {"Content-Type": "text/html"}))
    with pytest.raises(BackendServerError) as caught:
        client.kiosk_config()
    assert caught.value.kind == "server"
    assert "502" in caught.value.detail


def test_json_of_the_wrong_shape_is_a_protocol_error(
    server: ScriptedServer, client: BackendClient
) -> None:
    server.on("GET", "/requests/r1", Reply(body={"id": "r1", "status": "flying"}))
    with pytest.raises(BackendProtocolError, match="LetterRequest"):
        client.request_status("r1")
    server.on("GET", "/requests/r1", Reply(body=[1, 2, 3]))
    with pytest.raises(BackendProtocolError):
        client.request_status("r1")


def test_4xx_with_api_error_is_rejected(server: ScriptedServer, client: BackendClient) -> None:
    body = {**api_error("locked"), "retry_after_s": 30}
    server.on("POST", "/identify", Reply(429, body))
    with pytest.raises(BackendRejected) as caught:
        client.identify(IdentifyByNikPin(nik="3523000000000001", pin="123456"))
    error = caught.value
    assert (error.status, error.error.code, error.error.retry_after_s) == (
        429,
        ErrorCode.LOCKED,
        30,
    )
    assert error.kind == "rejected"
    assert "123456" not in error.detail and "3523000000000001" not in error.detail


def test_4xx_without_api_error_is_a_protocol_error(
    server: ScriptedServer, client: BackendClient
) -> None:
    server.on("GET", "/requests", Reply(401, b"Unauthorized", {"Content-Type": "text/plain"}))
    with pytest.raises(BackendProtocolError):
        client.my_requests("s")
    server.on("GET", "/requests", Reply(400, {"code": "no_such_code", "message": {"id": "x"}}))
    with pytest.raises(BackendProtocolError):
        client.my_requests("s")


def test_redirects_are_not_followed(server: ScriptedServer, client: BackendClient) -> None:
    server.on("GET", "/kiosk/config", Reply(302, b"", {"Location": "http://example.org/"}))
    with pytest.raises(BackendProtocolError, match="302"):
        client.kiosk_config()


def test_slow_answer_is_unreachable(server: ScriptedServer, client: BackendClient) -> None:
    server.on("GET", "/kiosk/config", Reply(body=KIOSK_CONFIG, delay_s=1.0))
    started = time.monotonic()
    with pytest.raises(BackendUnreachable, match="timed out"):
        client.kiosk_config()
    assert time.monotonic() - started < 0.9


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connection refused
        backend = BackendClient(f"http://127.0.0.1:{port}", TOKEN, connect_timeout_s=0.5)
        with pytest.raises(BackendUnreachable) as caught:
            backend.kiosk_config()
    assert caught.value.kind == "unreachable"


def test_unresolvable_host_is_unreachable() -> None:
    backend = BackendClient("http://no-such-host.invalid", TOKEN, connect_timeout_s=0.5)
    with pytest.raises(BackendUnreachable):
        backend.heartbeat(Heartbeat(kiosk_id="k", software_version="0", uptime_s=0, screen="x"))


def test_pdf_with_wrong_hash_is_refused(server: ScriptedServer, client: BackendClient) -> None:
    other = hashlib.sha256(b"another letter").hexdigest()
    headers = {"Content-Type": "application/pdf"}
    server.on("GET", "/requests/r1/document", Reply(body=PDF, headers=headers))
    with pytest.raises(BackendProtocolError, match="SHA-256"):
        client.download_document("r1", other)


def test_pdf_whose_header_hash_disagrees_is_refused(
    server: ScriptedServer, client: BackendClient
) -> None:
    headers = {"Content-Type": "application/pdf", "X-Document-SHA256": "0" * 64}
    server.on("GET", "/requests/r1/document", Reply(body=PDF, headers=headers))
    with pytest.raises(BackendProtocolError, match="header"):
        client.download_document("r1", PDF_SHA)


def test_document_checks(server: ScriptedServer, client: BackendClient) -> None:
    not_pdf = b"<html>hello</html>"
    path = "/requests/r1/document"
    server.on("GET", path, Reply(body=not_pdf, headers={"Content-Type": "application/pdf"}))
    with pytest.raises(BackendProtocolError, match="%PDF-"):
        client.download_document("r1", hashlib.sha256(not_pdf).hexdigest())
    server.on("GET", path, Reply(body=PDF, headers={"Content-Type": "text/html"}))
    with pytest.raises(BackendProtocolError, match="content type"):
        client.download_document("r1", PDF_SHA)
    server.on("GET", path, Reply(body=PDF, headers={"Content-Type": "application/pdf"}))
    with pytest.raises(BackendProtocolError, match="larger"):
        client.download_document("r1", PDF_SHA, max_bytes=1000)
    server.on("GET", path, Reply(409, api_error("invalid_state")))
    with pytest.raises(BackendRejected):
        client.download_document("r1", PDF_SHA)


def test_nothing_but_backend_errors_escape(server: ScriptedServer, client: BackendClient) -> None:
    """Every endpoint, against every bad answer: only BackendError subclasses come out."""
    bad_answers = [
        Reply(200, b"not json", {"Content-Type": "application/json"}),
        Reply(200, {"unexpected": "shape"}),
        Reply(500, b"boom"),
        Reply(418, b"\xff\xfe"),
        Reply(200, b"", {}),
        Reply(304),
    ]
    calls = [
        lambda: client.kiosk_config(),
        lambda: client.catalogue("v1"),
        lambda: client.identify(IdentifyByCard(card_uid="04A1B2C3")),
        lambda: client.my_requests("s"),
        lambda: client.submit("s", SubmitRequest(service_code="A", fields={}), "k"),
        lambda: client.request_status("r1"),
        lambda: client.download_document("r1", PDF_SHA),
        lambda: client.mark_printed("r1", MarkPrinted(kiosk_id="k", document_sha256=PDF_SHA), "k"),
        lambda: client.rate(Rating(kiosk_id="k", score=1)),
        lambda: client.heartbeat(
            Heartbeat(kiosk_id="k", software_version="0", uptime_s=0, screen="x")
        ),
    ]
    paths = [
        ("GET", "/kiosk/config"),
        ("GET", "/catalogue"),
        ("POST", "/identify"),
        ("GET", "/requests"),
        ("POST", "/requests"),
        ("GET", "/requests/r1"),
        ("GET", "/requests/r1/document"),
        ("POST", "/requests/r1/printed"),
        ("POST", "/ratings"),
        ("POST", "/heartbeat"),
    ]
    for reply in bad_answers:
        for method, path in paths:
            server.on(method, path, reply)
        for call in calls:
            with contextlib.suppress(BackendError):  # anything else fails the test
                call()


def test_error_constructors() -> None:
    for cls in (BackendError, BackendUnreachable, BackendServerError, BackendProtocolError):
        error = cls("short detail")
        assert error.detail == "short detail" and str(error) == "short detail"
    assert {BackendUnreachable.kind, BackendServerError.kind, BackendProtocolError.kind} == {
        "unreachable",
        "server",
        "protocol",
    }


def test_errors_module_does_not_import_requests() -> None:
    import subprocess
    import sys

    code = "import sys, kiosk.backend.errors; print('requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
