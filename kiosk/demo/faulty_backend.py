"""A fault-injecting HTTP proxy between the kiosk and its backend, for the demo and tests.

Like OctoPrint's virtual printer swapped in at the serial port, it sits at the transport:
the kiosk talks HTTP to it exactly as it would to the backend, and it forwards every
request to the real backend, unless a fault is switched on. Faults switch at runtime,
from any thread but the proxy's own (`set_mode`); each request sees the mode that was on
when it arrived:

- `ok`: pass through;
- `down`: connections refused (the listening socket is closed), open ones cut; `ok`
  (or any other mode) opens the same port again;
- `slow`: forwarded, the answer held back `delay_s` seconds (longer than the kiosk's
  read timeout by default: the backend did the work, the kiosk never heard);
- `error_500`: HTTP 500 with an ApiError body, and the backend never sees the request;
- `malformed_json`: forwarded, then answered 200 with `{"broken": ` (the letter passes);
- `truncated_pdf`: the letter cut in half, its hashes still those of the whole letter;
- `tampered_pdf`: a byte of the signed letter changed and every hash the kiosk sees
  (X-Document-SHA256, `document.sha256` in request answers) rewritten to match, so that
  only the PAdES check can tell;
- `untrusted_signer`: the letter signed again by a rogue CA with the same names as the
  demo CA, hashes rewritten as for `tampered_pdf`, so that only the trust check can tell;
- `unsigned_pdf`: the letter as it was before the village head signed it (no signature
  at all), hashes rewritten as for `tampered_pdf`.

Bodies are small (a letter is well under 1 MiB), so answers are read whole and sent in
one write (no Nagle delay between headers and body). The heavy imports (http.server, and
pyHanko for `untrusted_signer`) happen when the proxy starts or the fault is first used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import socket
import struct
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

if TYPE_CHECKING:
    from email.message import Message
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger(__name__)

MODES: dict[str, str] = {
    "ok": "pass every request through",
    "down": "refuse connections and cut open ones, as a backend that is off",
    "slow": "forward, then hold the answer back delay_s seconds",
    "error_500": "answer HTTP 500 (an ApiError) without forwarding",
    "malformed_json": 'forward, then answer 200 with {"broken": (the letter PDF passes)',
    "truncated_pdf": "the letter cut in half; its hashes are those of the whole letter",
    "tampered_pdf": "a byte of the signed letter changed; every hash rewritten to match",
    "untrusted_signer": "the letter signed by a rogue CA; every hash rewritten to match",
    "unsigned_pdf": "the letter without its signature; every hash rewritten to match",
}
DOCUMENT_FAULTS = ("truncated_pdf", "tampered_pdf", "untrusted_signer", "unsigned_pdf")
# Faults that rewrite the announced hashes, and how each forges the letter.
FORGED = ("tampered_pdf", "untrusted_signer", "unsigned_pdf")
DEFAULT_SLOW_S = 15.0  # longer than the kiosk's default read timeout (10 s)
MAX_SLOW_S = 600.0
DEMO_ADMIN_TOKEN = "demo-admin-token"  # the reference server's demo back office

API_PREFIX = "/api/v1"  # apm_api.models.API_PREFIX, not imported: pydantic is slow to load
DOCUMENT_PATH = re.compile(r"^/api/v1/requests/([^/?]+)/document$")
SUBMIT_PATH = "/api/v1/requests"
BROKEN_JSON = b'{"broken": '
UPSTREAM_TIMEOUT_S = 60.0  # the backend signs inside a submit when its delay is 0
IDLE_TIMEOUT_S = 30.0  # a kept-alive connection nobody uses frees its thread
POLL_S = 0.05  # how quickly the serve loop notices a shutdown
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


class UnknownMode(ValueError):
    pass


class SignFailed(Exception):
    """The back office could not sign (no request seen yet, or the backend said no)."""


@dataclass
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def with_header(self, name: str, value: str) -> Answer:
        kept = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        return Answer(self.status, self.reason, [*kept, (name, value)], self.body)

    def is_json(self) -> bool:
        content_type = (self.header("Content-Type") or "").split(";")[0].strip().lower()
        return content_type == "application/json"

    def encode(self, *, close: bool) -> bytes:
        """The whole HTTP/1.1 answer, headers and body, ready for a single write."""
        lines = [f"HTTP/1.1 {self.status} {self.reason}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.status not in (204, 304) and self.status >= 200:
            lines.append(f"Content-Length: {len(self.body)}")
        if close:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + (self.body if self.status not in (204, 304) else b"")


def api_error(status: int, reason: str, code: str, message_id: str, message_en: str) -> Answer:
    body = json.dumps({"code": code, "message": {"id": message_id, "en": message_en}})
    return Answer(status, reason, [("Content-Type", "application/json")], body.encode())


class FaultyBackend:
    """The proxy: `url` for the kiosk, `upstream` for the real backend, `set_mode` for faults.

    `upstream` may be given later (`set_upstream`), e.g. once an embedded server started.
    """

    def __init__(self, upstream: str | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self._upstream = upstream.rstrip("/") if upstream else None
        self._mode = "ok"
        self._delay_s = DEFAULT_SLOW_S
        self._switching = threading.Lock()  # one mode change at a time
        self._state = threading.Lock()  # mode, delay, connections, submissions
        self._cut = threading.Event()  # set while down or stopped: slow answers give up
        self._connections: set[socket.socket] = set()
        self._forgeries: dict[tuple[str, str, str], bytes] = {}
        self._forging = threading.Lock()  # one forgery at a time: each is made only once
        self._rogue_ca_dir: tempfile.TemporaryDirectory[str] | None = None
        self._submitted: list[str] = []
        self._stopped = False
        self._httpd: ThreadingHTTPServer | None = self._serve(host, port)
        self.host, self.port = host, self._httpd.server_address[1]

    # --- what the demo and the tests use ------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def upstream(self) -> str | None:
        return self._upstream

    def set_upstream(self, url: str) -> None:
        self._upstream = url.rstrip("/")

    @property
    def mode(self) -> str:
        with self._state:
            return self._mode

    @property
    def delay_s(self) -> float:
        with self._state:
            return self._delay_s

    @property
    def submitted(self) -> list[str]:
        """Ids of the requests the backend accepted through this proxy, oldest first."""
        with self._state:
            return list(self._submitted)

    def set_mode(self, mode: str, *, delay_s: float | None = None) -> None:
        """Switch to `mode` (see MODES). Not from the proxy's own threads.

        Raises UnknownMode, ValueError for a bad delay, OSError if the port cannot be
        opened again after `down`, RuntimeError once stopped.
        """
        if mode not in MODES:
            raise UnknownMode(f"unknown backend fault {mode!r}; known: {', '.join(MODES)}")
        if delay_s is not None and not 0 < delay_s <= MAX_SLOW_S:
            raise ValueError(f"delay_s must be more than 0 and at most {MAX_SLOW_S:g} s")
        with self._switching:
            if self._stopped:
                raise RuntimeError("the faulty backend proxy is stopped")
            was_down = self._httpd is None
            if mode != "down" and was_down:
                self._httpd = self._serve(self.host, self.port)  # may raise OSError
                self._cut.clear()
            with self._state:
                self._mode = mode
                if delay_s is not None:
                    self._delay_s = delay_s
            if mode == "down" and not was_down:
                self._go_down()
        log.info("faulty backend: %s", mode)

    def stop(self) -> None:
        with self._switching:
            if self._stopped:
                return
            self._stopped = True
            if self._httpd is not None:
                self._go_down()
        if self._rogue_ca_dir is not None:
            self._rogue_ca_dir.cleanup()

    def sign_latest(self, admin_token: str = DEMO_ADMIN_TOKEN) -> str:
        """Have the back office sign the last request submitted through the proxy now.

        Goes straight to the backend (faults are for the kiosk's link, not the office's);
        returns the request id.
        """
        with self._state:
            latest = self._submitted[-1] if self._submitted else None
        if latest is None:
            raise SignFailed("no request has been submitted through the backend yet")
        path = f"{API_PREFIX}/admin/requests/{quote(latest, safe='')}/sign"
        try:
            answer = self._forward("POST", path, {"Authorization": f"Bearer {admin_token}"}, b"")
        except OSError as exc:
            raise SignFailed(f"the backend cannot be reached: {exc}") from None
        if answer.status != 200:
            detail = answer.body[:300].decode("utf-8", "replace")
            raise SignFailed(f"the backend answered HTTP {answer.status}: {detail}")
        return latest

    # --- serving ------------------------------------------------------------------------

    def _serve(self, host: str, port: int) -> ThreadingHTTPServer:
        server_class, handler_class = _http_classes(self)
        httpd = server_class((host, port), handler_class)
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": POLL_S},
            name="faulty-backend",
            daemon=True,
        )
        thread.start()
        return httpd

    def _go_down(self) -> None:
        """Close the listening socket (new connections are refused) and cut open ones."""
        httpd, self._httpd = self._httpd, None
        self._cut.set()
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        with self._state:
            connections = list(self._connections)
        for connection in connections:
            cut(connection)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._state:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    # --- one request --------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: Message, body: bytes) -> Answer | None:
        """The answer to send back, or None to drop the connection without one."""
        with self._state:
            mode, delay_s = self._mode, self._delay_s
        if mode == "down":
            return None
        if mode == "error_500":
            return api_error(
                500, "Internal Server Error", "internal", "Kesalahan server.", "Server error."
            )
        forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            answer = self._forward(method, path, forwarded, body)
        except OSError as exc:
            log.warning("faulty backend: the backend cannot be reached: %s", exc)
            return api_error(
                502, "Bad Gateway", "internal", "Server tidak terjangkau.", "Backend unreachable."
            )
        self._note_submission(method, path, answer)
        answer = self._with_fault(mode, method, path, forwarded, answer)
        if mode == "slow" and self._cut.wait(delay_s):
            return None  # went down (or stopped) while the answer was held back
        return answer

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        import http.client

        if self._upstream is None:
            raise ConnectionRefusedError("no backend behind the proxy yet")
        target = urlsplit(self._upstream)
        kind = (
            http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(target.hostname or "127.0.0.1", target.port, timeout=UPSTREAM_TIMEOUT_S)
        try:
            has_body = bool(body) or method in ("POST", "PUT", "PATCH")
            connection.request(
                method,
                target.path.rstrip("/") + path,
                body=body if has_body else None,
                headers={**headers, "Connection": "close"},
            )
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            return Answer(response.status, response.reason, kept, data)
        except http.client.HTTPException as exc:
            raise ConnectionError(f"bad answer from the backend: {type(exc).__name__}") from None
        finally:
            connection.close()

    def _note_submission(self, method: str, path: str, answer: Answer) -> None:
        if (
            method != "POST"
            or urlsplit(path).path != SUBMIT_PATH
            or answer.status not in (200, 201)
        ):
            return
        try:
            request_id = json.loads(answer.body)["id"]
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(request_id, str):
            with self._state:
                if request_id not in self._submitted:
                    self._submitted.append(request_id)

    def _with_fault(
        self, mode: str, method: str, path: str, headers: dict[str, str], answer: Answer
    ) -> Answer:
        document = DOCUMENT_PATH.match(urlsplit(path).path) if method == "GET" else None
        if mode == "malformed_json" and document is None:
            return Answer(200, "OK", [("Content-Type", "application/json")], BROKEN_JSON)
        if mode not in DOCUMENT_FAULTS or not 200 <= answer.status < 300:
            return answer
        if document is None:
            forges = mode in FORGED and answer.is_json()
            return self._with_forged_hashes(mode, headers, answer) if forges else answer
        if mode == "truncated_pdf":
            half = answer.body[: len(answer.body) // 2]
            return Answer(answer.status, answer.reason, answer.headers, half)
        forged = self._forgery(mode, unquote(document.group(1)), answer.body)
        sha = hashlib.sha256(forged).hexdigest()
        return Answer(answer.status, answer.reason, answer.headers, forged).with_header(
            "X-Document-SHA256", sha
        )

    # --- forged letters -------------------------------------------------------------------

    def _with_forged_hashes(self, mode: str, headers: dict[str, str], answer: Answer) -> Answer:
        """Every `document` of a LetterRequest in the answer announces the forged letter."""
        try:
            data = json.loads(answer.body)
        except ValueError:
            return answer
        requests = data.get("requests") if isinstance(data, dict) else None
        letters = requests if isinstance(requests, list) else [data]
        changed = False
        for letter in letters:
            document = letter.get("document") if isinstance(letter, dict) else None
            if not isinstance(document, dict) or not isinstance(document.get("sha256"), str):
                continue
            forged = self._forgery_for(mode, str(letter.get("id")), document["sha256"], headers)
            if forged is not None:
                document["sha256"] = hashlib.sha256(forged).hexdigest()
                document["size"] = len(forged)
                changed = True
        if not changed:
            return answer
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return Answer(answer.status, answer.reason, answer.headers, body)

    def _forgery_for(
        self, mode: str, request_id: str, real_sha: str, headers: dict[str, str]
    ) -> bytes | None:
        """The forged letter for a request whose real letter has `real_sha` (fetched once)."""
        with self._forging:
            known = self._forgeries.get((mode, request_id, real_sha))
        if known is not None:
            return known
        path = f"{API_PREFIX}/requests/{request_id}/document"
        auth = {k: v for k, v in headers.items() if k.lower() == "authorization"}
        try:
            real = self._forward("GET", path, {**auth, "Accept": "application/pdf"}, b"")
        except OSError:
            return None
        if real.status != 200 or hashlib.sha256(real.body).hexdigest() != real_sha:
            return None
        return self._forgery(mode, request_id, real.body)

    def _forgery(self, mode: str, request_id: str, real: bytes) -> bytes:
        key = (mode, request_id, hashlib.sha256(real).hexdigest())
        with self._forging:
            if key not in self._forgeries:
                make = {
                    "tampered_pdf": tampered,
                    "untrusted_signer": self._resigned,
                    "unsigned_pdf": unsigned_part,
                }[mode]
                self._forgeries[key] = make(real)
            return self._forgeries[key]

    def _resigned(self, real: bytes) -> bytes:
        """The letter as the village head had it before signing, signed by a rogue CA."""
        from apm_server.signing import ensure_demo_ca, sign_pdf

        if self._rogue_ca_dir is None:
            self._rogue_ca_dir = tempfile.TemporaryDirectory(prefix="apm-rogue-ca-")
        # The same names as the demo CA and the village head: only the keys differ.
        rogue = ensure_demo_ca(Path(self._rogue_ca_dir.name), "Ahmad Fauzi", "Sumberejo")
        return sign_pdf(unsigned_part(real), rogue, reason="Rogue", location="Sumberejo")


def tampered(pdf: bytes) -> bytes:
    """The letter with one character in the middle of its first stream changed.

    Inside the signed bytes and of the same length, so the file still parses and only the
    signature's digest gives it away (in the page's ASCII85 text, a character becomes the
    next one: the letter reads differently).
    """
    start = re.search(rb"stream\r?\n", pdf)
    end = pdf.find(b"endstream", start.end()) if start else -1
    at = (start.end() + end) // 2 if start and end > start.end() else len(pdf) // 4
    changed = bytearray(pdf)
    byte = changed[at]
    changed[at] = (byte - 33 + 1) % 85 + 33 if 33 <= byte <= 117 else byte ^ 0x01
    return bytes(changed)


def unsigned_part(pdf: bytes) -> bytes:
    """The first revision of an incrementally signed PDF: the letter before it was signed."""
    end = pdf.find(b"%%EOF")
    if end < 0:
        return pdf
    end += len(b"%%EOF")
    while pdf[end : end + 1] in (b"\r", b"\n"):
        end += 1
    return pdf[:end]


def cut(connection: socket.socket) -> None:
    """Reset a connection: linger 0 makes the close send RST; shutdown wakes its reader."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _http_classes(
    proxy: FaultyBackend,
) -> tuple[type[ThreadingHTTPServer], type[BaseHTTPRequestHandler]]:
    """The server and handler classes (http.server is imported only when a proxy starts)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        block_on_close = False  # stopping never waits for a held-back answer

        def handle_error(self, request: Any, client_address: Any) -> None:
            # A connection cut by `down` (or by the kiosk) while its answer was on its way.
            log.debug("faulty backend: connection from %s ended early", client_address)

    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = IDLE_TIMEOUT_S

        def setup(self) -> None:
            super().setup()
            proxy.track(self.connection, True)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                proxy.track(self.connection, False)

        def do_GET(self) -> None:
            self._relay()

        def do_POST(self) -> None:
            self._relay()

        def do_PUT(self) -> None:
            self._relay()

        def do_PATCH(self) -> None:
            self._relay()

        def do_DELETE(self) -> None:
            self._relay()

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("faulty backend: " + format, *args)

        def _relay(self) -> None:
            body = self._body()
            if body is None:
                return
            try:
                answer = proxy.answer(self.command, self.path, self.headers, body)
            except Exception:  # a bug here must look like a broken backend, not hang
                log.exception("faulty backend: %s %s failed", self.command, self.path)
                answer = api_error(
                    502, "Bad Gateway", "internal", "Kesalahan proksi.", "Proxy error."
                )
            if answer is None:
                self.close_connection = True
                cut(self.connection)
                return
            self.wfile.write(answer.encode(close=self.close_connection))

        def _body(self) -> bytes | None:
            announced = (self.headers.get("Content-Length") or "0").strip()
            if self.headers.get("Transfer-Encoding") or not announced.isdigit():
                self.close_connection = True
                error = api_error(
                    411,
                    "Length Required",
                    "bad_request",
                    "Content-Length wajib.",
                    "Content-Length required.",
                )
                self.wfile.write(error.encode(close=True))
                return None
            length = int(announced)
            return self.rfile.read(length) if length else b""

    return Server, Relay
