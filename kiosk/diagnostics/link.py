"""The local socket through which `apm-kiosk diag` asks the running kiosk about its devices.

The kiosk owns its devices exclusively (a serial port, a claimed USB printer): a second
process opening them would fight it, or take the card reader from under a citizen. So the
running kiosk listens on `<state_dir>/diag.sock` (a unix socket, reachable by root and the
kiosk's own user only: the state directory is private) and answers one JSON request per
connection with one JSON answer:

    {"op": "report"}                       -> {"report": {...}}   (Report.as_dict)
    {"op": "device", "role": "..."}        -> {"checks": [...]}
    {"op": "test_print", "role": "..."}    -> {"checks": [...]}
    {"op": "card_read", "timeout_s": 30}   -> {"checks": [...]}
    anything else                          -> {"error": "..."}

Paths: a unix socket path is limited to 108 bytes, and a state directory may be deep
(tests); both sides reach the directory through /proc/self/fd/N, which is always short.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.diagnostics.report import Check

if TYPE_CHECKING:
    from kiosk.diagnostics.service import KioskDiagnostics

log = logging.getLogger(__name__)

SOCKET_NAME = "diag.sock"
MAX_REQUEST_BYTES = 64 * 1024
REQUEST_READ_S = 5.0
MAX_CONNECTIONS = 4  # a technician's terminal or two, not a crowd
CARD_READ_LIMIT_S = 300.0


class DiagServer:
    def __init__(self, state_dir: Path, diagnostics: KioskDiagnostics) -> None:
        self._diagnostics = diagnostics
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._closed = threading.Event()
        with _short_path(state_dir, SOCKET_NAME) as path:
            # Bound under a temporary name and renamed once its mode is set: a client
            # never finds it with the mode bind() gave it.
            partial = f"{path}.{os.getpid()}"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
            self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._listener.bind(partial)
            os.chmod(partial, 0o660)
            self._listener.listen(MAX_CONNECTIONS)
            os.replace(partial, path)  # over one left by a killed kiosk: we hold the lock
        self._path = state_dir / SOCKET_NAME
        self._thread = threading.Thread(target=self._accept_loop, name="diag-socket", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with contextlib.suppress(OSError):
            self._path.unlink()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            if not self._slots.acquire(blocking=False):
                _send(conn, {"error": "busy: other diagnostics are running"})
                conn.close()
                continue
            threading.Thread(
                target=self._serve, args=(conn,), name="diag-request", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(REQUEST_READ_S)
                request = _read_request(conn)
                conn.settimeout(None)  # a card read waits for the technician's card
                _send(conn, self._answer(request))
        except (OSError, ValueError) as error:
            log.info("diag socket: request dropped: %s", error)
        finally:
            self._slots.release()

    def _answer(self, request: dict[str, Any]) -> dict[str, Any]:
        diagnostics, op = self._diagnostics, request.get("op")
        log.info("diag socket: %s", op)
        try:
            if op == "report":
                return {"report": diagnostics.report().as_dict()}
            if op == "device":
                return _checks(diagnostics.device(str(request.get("role"))))
            if op == "test_print":
                return _checks([diagnostics.test_print(str(request.get("role")))])
            if op == "card_read":
                timeout_s = min(float(request.get("timeout_s", 30.0)), CARD_READ_LIMIT_S)
                return _checks([diagnostics.card_read(timeout_s)])
        except Exception as error:  # a broken check must not take the kiosk's socket down
            log.exception("diag socket: %s failed", op)
            return {"error": f"{op} failed in the kiosk: {type(error).__name__}: {error}"}
        return {"error": f"unknown request {op!r}"}


def start_diag_server(state_dir: Path, diagnostics: KioskDiagnostics) -> DiagServer | None:
    """The socket, or None (logged) when it cannot be made: the kiosk runs on without it."""
    try:
        return DiagServer(state_dir, diagnostics)
    except OSError as error:
        log.warning("no diagnostics socket in %s: %s", state_dir, error)
        return None


class KioskNotAnswering(Exception):
    """The kiosk runs (it holds its state lock) but its socket does not answer."""


def ask_running_kiosk(
    state_dir: Path, request: dict[str, Any], timeout_s: float
) -> dict[str, Any] | None:
    """The running kiosk's answer; None when no kiosk listens (the caller may then open
    the devices itself). Raises KioskNotAnswering when one listens but does not answer."""
    try:
        with _short_path(state_dir, SOCKET_NAME) as path:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(timeout_s)
            try:
                conn.connect(path)
            except (FileNotFoundError, ConnectionRefusedError):
                conn.close()
                return None
    except FileNotFoundError:  # no state directory at all
        return None
    try:
        with conn:
            conn.sendall(json.dumps(request).encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
            answer = _read_all(conn)
    except OSError as error:
        raise KioskNotAnswering(f"the kiosk's diagnostics socket: {error}") from None
    try:
        decoded: dict[str, Any] = json.loads(answer)
    except ValueError:
        raise KioskNotAnswering("the kiosk answered something that is not JSON") from None
    return decoded


def checks_of(answer: dict[str, Any]) -> list[Check]:
    return [Check.from_dict(item) for item in answer.get("checks", [])]


def _checks(checks: list[Check]) -> dict[str, Any]:
    return {"checks": [c.as_dict() for c in checks]}


def _read_request(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST_BYTES:
            raise ValueError("request too large")
    request = json.loads(data.split(b"\n", 1)[0] or b"{}")
    if not isinstance(request, dict):
        raise ValueError("request is not a JSON object")
    return request


def _read_all(conn: socket.socket) -> bytes:
    parts = []
    while chunk := conn.recv(65536):
        parts.append(chunk)
    return b"".join(parts)


def _send(conn: socket.socket, answer: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps(answer, ensure_ascii=False).encode() + b"\n")


@contextlib.contextmanager
def _short_path(directory: Path, name: str) -> Iterator[str]:
    """`directory/name` as a path short enough for a unix socket, valid inside the block."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{name}"
    finally:
        os.close(fd)
