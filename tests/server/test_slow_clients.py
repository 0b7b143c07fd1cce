"""Many kiosks at once, and clients that trickle: the server takes them all, cuts a slow one
off at its deadline, and the others are answered meanwhile. Raw sockets on loopback."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from apm_server import serving
from tests.harness import serving as serving_server

from .conftest import API, Kiosk


def address(kiosk: Kiosk) -> tuple[str, int]:
    url = urlsplit(kiosk.server.url)
    return url.hostname or "127.0.0.1", url.port or 80


def request(kiosk: Kiosk) -> bytes:
    return (
        f"GET {API}/catalogue HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {kiosk.server.kiosk_token}\r\nConnection: close\r\n\r\n"
    ).encode()


def answer_of(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_two_hundred_kiosks_connecting_at_once_are_all_answered(kiosk: Kiosk):
    connections = [socket.create_connection(address(kiosk), timeout=30) for _ in range(200)]
    try:
        for connection in connections:
            connection.sendall(request(kiosk))
        answers = [answer_of(connection) for connection in connections]
    finally:
        for connection in connections:
            connection.close()
    assert all(a.startswith(b"HTTP/1.1 200 ") for a in answers)


def trickle(kiosk: Kiosk, stop: threading.Event, cut: list[float]) -> None:
    """A request line, then a header byte every 0.3 s, for as long as the server listens."""
    with socket.create_connection(address(kiosk), timeout=10) as connection:
        started = time.monotonic()
        connection.sendall(f"GET {API}/catalogue HTTP/1.1\r\n".encode())
        try:
            while not stop.is_set():
                connection.sendall(b"X")
                connection.settimeout(0.3)
                try:
                    if connection.recv(1024) == b"":
                        cut.append(time.monotonic() - started)
                        return
                except TimeoutError:
                    continue
        except OSError:  # reset by the server: cut off too
            cut.append(time.monotonic() - started)


def test_a_trickling_client_is_cut_off_and_others_are_served_meanwhile(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(serving, "REQUEST_S", 2.0)
    stop, cut = threading.Event(), []
    slow = [threading.Thread(target=trickle, args=(kiosk, stop, cut)) for _ in range(30)]
    for client in slow:
        client.start()
    try:
        time.sleep(0.5)  # all 30 are trickling now
        started = time.monotonic()
        assert kiosk.call("GET", "/catalogue").status_code == 200
        assert time.monotonic() - started < 1.0
        for client in slow:
            client.join(timeout=10)
    finally:
        stop.set()
    assert len(cut) == 30, "a trickling client was still held after 10 s"
    assert max(cut) < 2.0 + 1.5  # its deadline, and a read's worth


def test_a_body_trickled_in_is_cut_off_at_the_same_deadline(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
):
    """Headers whole, then the body a byte at a time: the request's clock still runs."""
    monkeypatch.setattr(serving, "REQUEST_S", 2.0)
    head = (
        f"POST {API}/identify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {kiosk.server.kiosk_token}\r\nContent-Length: 500\r\n\r\n"
    )
    with socket.create_connection(address(kiosk), timeout=10) as connection:
        started = time.monotonic()
        connection.sendall(head.encode())
        answer = b""
        try:
            for _ in range(40):
                connection.sendall(b" ")
                connection.settimeout(0.3)
                try:
                    answer = connection.recv(1024)
                    break  # closed (b"") or answered
                except TimeoutError:
                    continue
        except OSError:
            pass
        held = time.monotonic() - started
    assert answer == b"" and held < 2.0 + 1.0, (answer, held)


def test_a_connection_that_never_sends_is_closed_after_the_idle_time(
    tmp_path, monkeypatch: pytest.MonkeyPatch
):
    """uvicorn times out a kept-alive connection only after a first answer; one that
    connects and stays silent is closed after the idle time too."""
    monkeypatch.setattr(serving, "IDLE_S", 1.0)
    with serving_server(tmp_path / "state") as running:
        url = urlsplit(running.url)
        with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
            started = time.monotonic()
            assert connection.recv(1024) == b""  # closed by the server, nothing said
            assert time.monotonic() - started < 1.0 + 1.5
