"""Fixtures for the PC/SC tests: the session's private pcscd (see tests/pcsc/pcscd.py),
readers under test with a recorder of their events, and the virtual e-KTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cardreader.pcsc import PcscCardReader, PcscCardReaderSettings
from drivers.model import DataReceived, StatusChanged
from drivers.sim.virtual_card import VirtualCard
from tests.devices.conftest import EventRecorder
from tests.pcsc.pcscd import Pcscd, PcscdUnavailable, start_private_pcscd


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    try:
        daemon = start_private_pcscd(tmp_path_factory.mktemp("pcscd"))
    except PcscdUnavailable as why:
        pytest.skip(str(why))
    yield daemon
    daemon.stop()


@pytest.fixture
def running_pcscd(pcscd: Pcscd) -> Iterator[Pcscd]:
    """The session's pcscd, up with its vpcd readers (a test that stopped it gets it back)."""
    if pcscd._process is None or pcscd._process.poll() is not None:
        pcscd.write_config(with_vpcd=True)
        pcscd.start()
    pcscd.wait_until_no_card()
    yield pcscd
    if pcscd._process is None or pcscd._process.poll() is not None:
        pcscd.write_config(with_vpcd=True)
        pcscd.start()


SITI_UID = "04A3B2C1D0E1F2"
BUDI_UID = "5A3C9E01"
WAIT_S = 5.0
RECOVERY_S = 5.0  # "within a few seconds" after pcscd is back


class Recorder(EventRecorder):
    """The devices' recorder, with marks: what happened after a point in the history."""

    def mark(self) -> int:
        """A point in the history: `status(since=...)` looks only after it."""
        with self._changed:
            return len(self.events)

    def cards(self) -> list[Any]:
        with self._changed:
            return self._cards()

    def _cards(self) -> list[Any]:
        return [e.data for e in self.events if isinstance(e, DataReceived)]

    def next_card(self, after: int, timeout_s: float = WAIT_S) -> Any:
        """The card event that follows the first `after` ones."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self._cards()) > after, timeout_s)
            assert arrived, f"no card event after {self._cards()}"
            return self._cards()[after]

    def status(self, timeout_s: float = WAIT_S, since: int = 0, **fields: Any) -> Any:
        """The latest status change (after `since`) with these fields."""

        def matching() -> list[Any]:
            return [
                e.current
                for e in self.events[since:]
                if isinstance(e, StatusChanged)
                and all(getattr(e.current, k) == v for k, v in fields.items())
            ]

        with self._changed:
            assert self._changed.wait_for(matching, timeout_s), (
                f"no {fields} in {[e.current for e in self.events if isinstance(e, StatusChanged)]}"
            )
            return matching()[-1]


@pytest.fixture
def make_reader(running_pcscd: Pcscd) -> Iterator[Callable[..., tuple[PcscCardReader, Recorder]]]:
    readers: list[PcscCardReader] = []

    def make(**table: Any) -> tuple[PcscCardReader, Recorder]:
        settings = PcscCardReaderSettings.model_validate({"type": "pcsc", **table})
        reader = PcscCardReader("card_reader", settings)
        readers.append(reader)
        recorder = Recorder(reader)
        reader.start("kiosk").result(WAIT_S)
        return reader, recorder

    yield make
    for reader in readers:
        reader.close().result(WAIT_S)


@pytest.fixture
def card(running_pcscd: Pcscd) -> Iterator[VirtualCard]:
    with VirtualCard(port=running_pcscd.port, uid=SITI_UID) as virtual:
        yield virtual
