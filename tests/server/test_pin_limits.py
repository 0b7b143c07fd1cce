"""PIN spraying: one common PIN tried over many NIKs. The per-NIK lock alone let 300 NIKs
be tried in 3 seconds; now wrong PINs are counted across NIKs, per kiosk and overall, and
PIN checks wait when there are too many. Cards are never held back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from apm_server.store import LOCK_SECONDS, PinLimits, Store
from tests.databases import server_store

from .conftest import API, SITI_CARD, Kiosk
from .test_api import error_of

SITI_NIK = "3523014708900001"
SITI_PIN = "123456"  # apm_server.demo_data


def sprayed_nik(i: int) -> str:
    """Well-formed NIKs nobody has: Tuban, Merakurak, born 1 January 1990."""
    return f"352301010190{i:04d}"


def test_spraying_one_pin_over_many_niks_is_stopped_at_the_kiosk(kiosk: Kiosk):
    answers = [
        kiosk.identify({"method": "nik_pin", "nik": sprayed_nik(i), "pin": "123456"})
        for i in range(1, 301)
    ]
    codes = [a.json()["code"] for a in answers]
    assert codes[:10] == ["wrong_pin"] * 10  # a village hall's mistypes go through
    assert set(codes[10:]) == {"too_many_attempts"}  # then nothing more is tried
    held = answers[10]
    assert held.status_code == 429
    assert 1 <= held.json()["retry_after_s"] <= 300
    assert held.headers["Retry-After"] == str(held.json()["retry_after_s"])
    assert "e-KTP" in held.json()["message"]["id"]


def test_while_pins_are_held_back_a_card_still_identifies(kiosk: Kiosk):
    for i in range(1, 12):
        kiosk.identify({"method": "nik_pin", "nik": sprayed_nik(i), "pin": "000000"})
    right_pin = kiosk.identify({"method": "nik_pin", "nik": SITI_NIK, "pin": SITI_PIN})
    assert error_of(right_pin) == (429, "too_many_attempts")  # PINs wait, even a right one
    assert kiosk.identify({"method": "card", "card_uid": SITI_CARD}).status_code == 200


def test_another_kiosk_is_not_held_back_by_one_that_sprays(kiosk: Kiosk):
    kiosk.server.office.store.add_kiosk("KIOSK-OTHER-02", "other-kiosk-token")
    for i in range(1, 12):
        kiosk.identify({"method": "nik_pin", "nik": sprayed_nik(i), "pin": "000000"})
    other = requests.post(
        f"{kiosk.server.url}{API}/identify",
        json={"method": "nik_pin", "nik": SITI_NIK, "pin": SITI_PIN},
        headers={"Authorization": "Bearer other-kiosk-token"},
        timeout=30,
    )
    assert other.status_code == 200, other.text


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return server_store(tmp_path / "server", demo=True, pin_limits=PinLimits(2.0, 5, 8))


def miss(store: Store, kiosk: str, i: int):
    return store.check_pin(sprayed_nik(i), "000000", kiosk)


def test_too_many_misses_over_all_kiosks_hold_every_kiosk_back(store: Store):
    for i in range(5):
        assert miss(store, "A", i).throttled_s is None
    assert miss(store, "A", 50).throttled_s  # A reached its own limit
    for i in range(3):
        assert miss(store, "B", 100 + i).throttled_s is None  # 8 misses in all now
    for kiosk in ("B", "C"):
        assert miss(store, kiosk, 200).throttled_s == 2  # the district's limit: everyone
    assert store.check_pin(SITI_NIK, SITI_PIN, "C").resident is None


def test_pin_checks_go_on_once_the_misses_leave_the_window(store: Store):
    for i in range(5):
        miss(store, "A", i)
    assert miss(store, "A", 9).throttled_s
    time.sleep(2.1)
    assert store.check_pin(SITI_NIK, SITI_PIN, "A").resident is not None


def test_a_locked_nik_is_not_kept_locked_by_trying_it_again(store: Store):
    """Someone typing a neighbour's NIK locks it a minute at most: tries during the lock
    neither count nor extend it."""
    for _ in range(3):
        store.check_pin(SITI_NIK, "000000", "A")
    first = store.check_pin(SITI_NIK, "000000", "B").locked_s
    assert first is not None and first <= LOCK_SECONDS
    time.sleep(1.1)
    again = store.check_pin(SITI_NIK, "000000", "B").locked_s
    assert again is not None and again < first
