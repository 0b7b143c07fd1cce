"""Real SQLite files in tmp_path; a clock the test moves by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.storage import KioskStorage

SITI_NIK = "3523014708900001"
SITI_CARD = "04A3B2C1D0E1F2"
SERVICE_NAME = {"id": "Surat Keterangan Domisili", "en": "Certificate of domicile"}


class FakeClock:
    """Wall-clock seconds that only move when the test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def storage(state_dir: Path, clock: FakeClock) -> Iterator[KioskStorage]:
    opened = KioskStorage.open(state_dir, clock=clock)
    yield opened
    opened.close()


def all_state_bytes(state_dir: Path) -> bytes:
    """Every byte the kiosk keeps on disk in its state directory (DB, WAL, SHM, letters)."""
    return b"".join(p.read_bytes() for p in sorted(state_dir.rglob("*")) if p.is_file())
