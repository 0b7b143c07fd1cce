"""A real reference server on loopback, the fault proxy in front of it, and the kiosk's
own backend client talking to the proxy, as the kiosk would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apm_server.app import RunningServer
from kiosk.backend.client import BackendClient
from kiosk.demo.faulty_backend import FaultyBackend
from tests.harness import serving


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[RunningServer]:
    """Signs every request inside its submit (auto-sign delay 0): letters are ready at once."""
    with serving(tmp_path / "server", auto_sign_delay_s=0) as running:
        yield running


@pytest.fixture
def unsigned_backend(tmp_path: Path) -> Iterator[RunningServer]:
    """Never signs by itself: the back office (admin API) must."""
    with serving(tmp_path / "server", auto_sign_delay_s=None) as running:
        yield running


def proxy_for(running: RunningServer) -> Iterator[FaultyBackend]:
    proxy = FaultyBackend(running.url)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def proxy(backend: RunningServer) -> Iterator[FaultyBackend]:
    yield from proxy_for(backend)


@pytest.fixture
def unsigned_proxy(unsigned_backend: RunningServer) -> Iterator[FaultyBackend]:
    yield from proxy_for(unsigned_backend)


def kiosk_client(proxy: FaultyBackend, token: str, read_timeout_s: float = 5.0) -> BackendClient:
    return BackendClient(proxy.url, token, connect_timeout_s=1.0, read_timeout_s=read_timeout_s)


@pytest.fixture
def client(proxy: FaultyBackend, backend: RunningServer) -> Iterator[BackendClient]:
    made = kiosk_client(proxy, backend.kiosk_token)
    yield made
    made.close()
