"""Queue numbers: ddmmyy-NNN, counted per village day, never given twice across restarts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kiosk.localtime import village_zone
from kiosk.storage import KioskStorage

WIB = village_zone("WIB")


def test_queue_numbers_count_up_within_a_day_and_restart_the_next_day(storage: KioskStorage):
    monday = datetime(2026, 11, 30, 23, 59, tzinfo=WIB)
    tuesday = datetime(2026, 12, 1, 0, 1, tzinfo=WIB)
    assert [storage.next_queue_number(monday) for _ in range(3)] == [
        "301126-001",
        "301126-002",
        "301126-003",
    ]
    assert storage.next_queue_number(tuesday) == "011226-001"


def test_a_restart_goes_on_counting(state_dir: Path):
    today = datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
    first = KioskStorage.open(state_dir)
    assert first.next_queue_number(today) == "011226-001"
    first.close()
    again = KioskStorage.open(state_dir)
    try:
        assert again.next_queue_number(today) == "011226-002"
    finally:
        again.close()
