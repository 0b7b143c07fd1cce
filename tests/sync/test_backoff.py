"""Backoff and link state, step by step, with a seeded rng and a clock moved by hand."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from apm_api.models import Rating
from kiosk.backend.client import BackendClient
from kiosk.config import SyncSection
from kiosk.storage import KioskStorage, OutboxKind
from kiosk.sync import LinkChanged, SyncWorker, backoff_delay
from tests.storage.conftest import FakeClock

SETTINGS = SyncSection(retry_min_s=1.0, retry_max_s=60.0, down_after_failures=3)


def test_the_delay_ceiling_doubles_from_the_minimum_up_to_the_maximum() -> None:
    rng = random.Random(7)
    for attempt in range(1, 15):
        ceiling = min(60.0, 2.0 ** (attempt - 1))
        for _ in range(50):
            assert 1.0 <= backoff_delay(attempt, SETTINGS, rng) <= ceiling
    assert backoff_delay(1, SETTINGS, rng) == 1.0  # the first retry waits the minimum
    assert max(backoff_delay(500, SETTINGS, rng) for _ in range(200)) <= 60.0
    assert max(backoff_delay(500, SETTINGS, rng) for _ in range(200)) > 50.0  # reaches the cap


def test_the_jitter_spreads_kiosks_out_and_a_seed_repeats_it() -> None:
    draws = {backoff_delay(6, SETTINGS, random.Random(seed)) for seed in range(40)}
    assert len(draws) == 40 and max(draws) - min(draws) > 15  # spread over [1, 32]
    assert [backoff_delay(n, SETTINGS, random.Random(3)) for n in range(1, 9)] == [
        backoff_delay(n, SETTINGS, random.Random(3)) for n in range(1, 9)
    ]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: every connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def offline(tmp_path: Path, closed_port: int) -> Iterator[tuple[KioskStorage, FakeClock, list]]:
    clock = FakeClock()
    storage = KioskStorage.open(tmp_path / "state", clock=clock)
    yield storage, clock, []
    storage.close()


def worker_for(storage, clock, events, port: int, seed: int) -> tuple[SyncWorker, BackendClient]:
    client = BackendClient(f"http://127.0.0.1:{port}", "demo-kiosk-token", connect_timeout_s=1)
    worker = SyncWorker(
        storage,
        lambda: client,
        SETTINGS,
        lambda: [],
        events.append,
        clock=clock,
        rng=random.Random(seed),
    )
    return worker, client


def test_an_unreachable_backend_backs_off_with_jitter_and_a_cap(offline, closed_port) -> None:
    storage, clock, events = offline
    item = storage.outbox.add(OutboxKind.RATING, Rating(kiosk_id="K1", score=3).model_dump())
    worker, client = worker_for(storage, clock, events, closed_port, seed=11)
    expected = random.Random(11)
    delays = []
    try:
        for attempt in range(1, 12):
            assert worker.step() == 0.0  # one try, refused
            queued = storage.outbox.get(item.id)
            assert queued is not None and queued.attempts == attempt
            assert queued.last_error is not None and queued.last_error.startswith("unreachable")
            delay = queued.next_attempt_at - clock()
            # the link-state probe draws from the same rng after each item's own draw
            assert delay == pytest.approx(backoff_delay(attempt, SETTINGS, expected))
            backoff_delay(attempt, SETTINGS, expected)
            delays.append(delay)
            # Not due yet: the worker waits and does not knock.
            assert worker.step() == pytest.approx(delay)
            assert storage.outbox.get(item.id).attempts == attempt  # type: ignore[union-attr]
            clock.advance(delay)
    finally:
        client.close()
    assert delays[0] == 1.0
    assert max(delays[:4]) <= 8.0 and max(delays) <= 60.0
    assert max(delays[6:]) > 8.0  # grew past the early ceilings
    assert storage.outbox.get(item.id).state == "pending"  # type: ignore[union-attr]


def test_the_link_is_down_after_the_configured_failures_in_a_row(offline, closed_port) -> None:
    storage, clock, events = offline
    storage.outbox.add(OutboxKind.RATING, Rating(kiosk_id="K1", score=3).model_dump())
    worker, client = worker_for(storage, clock, events, closed_port, seed=1)
    try:
        for failures in range(1, 6):
            worker.step()
            expected_up = failures < SETTINGS.down_after_failures
            assert worker.link_up is expected_up, failures
            clock.advance(100)
    finally:
        client.close()
    assert events == [LinkChanged(up=False)]  # said once, not at every failure
    assert worker.pending_count() == 1


def test_wake_tries_a_waiting_item_at_once(offline, closed_port) -> None:
    storage, clock, events = offline
    item = storage.outbox.add(OutboxKind.RATING, Rating(kiosk_id="K1", score=3).model_dump())
    worker, client = worker_for(storage, clock, events, closed_port, seed=1)
    try:
        worker.step()
        assert worker.step() > 0  # waiting out the backoff
        worker.wake()
        worker.step()
        assert storage.outbox.get(item.id).attempts == 2  # type: ignore[union-attr]
    finally:
        client.close()
