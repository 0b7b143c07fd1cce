"""HTTP for the district service: uvicorn (h11) with the limits a kiosk fleet needs.

uvicorn parses and validates HTTP (a garbled request line, conflicting Content-Length
headers, oversized headers: 400 and the connection closed) and keeps an idle kept-alive
connection `IDLE_S`. What it does not have, and a server facing village links does:
- a deadline for a whole request, from its first byte to the last of its body, so a
  client trickling a byte now and then is cut off (a coroutine costs little, but each
  such client still holds a socket and a file descriptor);
- a connection that never sends anything is closed after the idle time too;
- its own 400 in the API's error shape (an ApiError JSON body), like every other error;
- a body limit (`MAX_BODY`, 413) and no chunked bodies (411): the API needs neither, and
  a length known up front is what lets the limit be checked before reading.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from apm_api.models import ApiError, ErrorCode, Text

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_HEADERS = 16 * 1024  # h11 limits headers only while they are incomplete
IDLE_S = 30.0  # a kept-alive (or new) connection's wait for its next request
REQUEST_S = 15.0  # a request, from its first byte to the last of its body
SHUTDOWN_S = 5  # a stopping server lets answers in progress finish this long

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def error_body(status: int, en: str, id_text: str = "Permintaan tidak valid.") -> bytes:
    code = ErrorCode.BAD_REQUEST if status < 500 else ErrorCode.INTERNAL
    return ApiError(code=code, message=Text(id=id_text, en=en)).model_dump_json().encode()


class DeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a per-request deadline and an idle limit from the start."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # uvicorn arms its keep-alive timer only after a first answer: a connection that
        # never sends a byte would be held forever.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            # The first bytes of a request start its clock (REQUEST_S read at each
            # request, so a test can shorten it).
            self._deadline = self.loop.call_later(REQUEST_S, self._too_slow)
        super().data_received(data)
        if self.cycle is not None and not self.cycle.more_body:
            self._stop_clock()  # all of it is in: the answer may take what it takes

    def on_response_complete(self) -> None:
        self._stop_clock()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clock()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """The server stops: an idle connection is closed at once, over TLS too.

        A TLS close waits for the client's close_notify, which a kiosk keeping an idle
        connection open never sends: each would hold the server's stop for its whole
        grace time (SHUTDOWN_S). An answer in progress still finishes.
        """
        idle = self.cycle is None or self.cycle.response_complete
        super().shutdown()
        if idle and self.transport.get_extra_info("sslcontext") is not None:
            self.transport.abort()

    def _stop_clock(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.info("request from %s not received within %.0f s: closed", self.client, REQUEST_S)
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to what h11 refuses, as an ApiError like any other error."""
        body = error_body(400, msg)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        try:
            out = self.conn.send(
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
            )
            out += self.conn.send(h11.Data(data=body)) or b""
            out += self.conn.send(h11.EndOfMessage()) or b""
            self.transport.write(out or b"")
        except h11.LocalProtocolError:  # e.g. a request line too garbled for h11's states
            self.transport.write(
                b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
        self.transport.close()


class BodyLimits:
    """ASGI middleware: 431 past MAX_HEADERS, 411 for a chunked body, 413 past MAX_BODY,
    before the app reads anything.

    Answered with Connection: close, so the unread body is never taken for a request.
    """

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADERS:
            await _refuse(
                send, 431, "Request headers too large.", "Kepala permintaan terlalu besar."
            )
            return
        headers = dict(scope["headers"])
        if b"transfer-encoding" in headers:
            await _refuse(send, 411, "Content-Length required.", "Content-Length wajib.")
            return
        length = headers.get(b"content-length", b"0")
        if length.isdigit() and int(length) > MAX_BODY:
            await _refuse(send, 413, "Request too large.", "Permintaan terlalu besar.")
            return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, en: str, id_text: str) -> None:
    body = error_body(status, en, id_text)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def uvicorn_config(
    app: Any, host: str, port: int, *, version: str, **options: Any
) -> uvicorn.Config:
    """The settings every apm-server runs with, in-process or as `apm-server serve`."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=DeadlineProtocol,
        lifespan="off",
        log_config=None,  # the process's logging, as configured by its owner
        access_log=False,  # paths carry request ids; the app logs what matters
        timeout_keep_alive=int(IDLE_S),
        timeout_graceful_shutdown=SHUTDOWN_S,
        backlog=512,  # 200 kiosks connecting at once are all taken
        server_header=False,
        headers=[("Server", f"apm-server/{version}")],
        **options,
    )


def bound_socket(host: str, port: int) -> socket.socket:
    """The listening address, bound before uvicorn starts: port 0 picks a free port, known
    at once (to print, or to hand to a test)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given, not 0: asyncio sets TCP_NODELAY on accepted connections only when it
    # sees IPPROTO_TCP, and without it each kept-alive answer (headers and body written
    # apart) waits ~40 ms for the client's delayed ACK.
    bound = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bound.bind((host, port))
    bound.listen(512)  # connections wait in the backlog until the server takes them
    return bound


class ThreadedServer:
    """uvicorn serving from a daemon thread of this process (the demo, the tests)."""

    def __init__(self, config: uvicorn.Config) -> None:
        self.server = uvicorn.Server(config)
        self.socket = bound_socket(config.host, config.port)
        self.port = int(self.socket.getsockname()[1])
        self._thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.socket]},
            name="apm-server",
            daemon=True,
        )

    def start(self, timeout_s: float = 30.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"apm-server did not start on port {self.port}")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop listening and close every connection, kept-alive ones too (answers in
        progress get SHUTDOWN_S): a stopped server is gone, as after an outage."""
        self.server.should_exit = True
        self._thread.join(SHUTDOWN_S + 5)
        self.socket.close()
