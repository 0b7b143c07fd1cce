"""Wrong PINs in a row lock technician mode for a while, and a restart does not undo it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from kiosk.technician.lockout import LOCKOUT_FILE, Lockout


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_last_allowed_failure_locks_for_lockout_s(tmp_path: Path):
    clock = Clock()
    lockout = Lockout(tmp_path, 3, 300, clock=clock)
    assert lockout.tries_left() == 3 and lockout.seconds_left() == 0
    assert lockout.record_failure() == 2
    assert lockout.record_failure() == 1
    assert lockout.seconds_left() == 0
    assert lockout.record_failure() == 0
    assert lockout.seconds_left() == 300
    clock.now += 299
    assert lockout.seconds_left() == 1
    clock.now += 1
    assert lockout.seconds_left() == 0
    assert lockout.tries_left() == 3  # a full set of tries again


def test_the_count_survives_a_restart(tmp_path: Path):
    clock = Clock()
    first = Lockout(tmp_path, 3, 300, clock=clock)
    first.record_failure()
    first.record_failure()
    again = Lockout(tmp_path, 3, 300, clock=clock)  # the kiosk restarted
    assert again.tries_left() == 1
    again.record_failure()
    clock.now += 100
    after_reboot = Lockout(tmp_path, 3, 300, clock=clock)
    assert after_reboot.seconds_left() == 200


def test_a_right_pin_resets_the_count(tmp_path: Path):
    lockout = Lockout(tmp_path, 3, 300, clock=Clock())
    lockout.record_failure()
    lockout.record_failure()
    lockout.record_success()
    assert lockout.tries_left() == 3
    assert Lockout(tmp_path, 3, 300, clock=Clock()).tries_left() == 3


def test_a_clock_set_back_does_not_stretch_the_lockout(tmp_path: Path):
    clock = Clock()
    lockout = Lockout(tmp_path, 1, 300, clock=clock)
    lockout.record_failure()
    clock.now -= 86_400  # a day back (a dead RTC battery, then NTP)
    assert lockout.seconds_left() == 300


def test_a_damaged_record_locks_rather_than_hands_out_fresh_tries(tmp_path: Path, caplog):
    (tmp_path / LOCKOUT_FILE).write_text("{not json", encoding="utf-8")
    lockout = Lockout(tmp_path, 5, 120, clock=Clock())
    assert lockout.seconds_left() == 120
    assert "unreadable" in caplog.text


def test_the_record_is_private_and_holds_no_pin(tmp_path: Path):
    lockout = Lockout(tmp_path, 5, 120, clock=Clock())
    lockout.record_failure()
    path = tmp_path / LOCKOUT_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())) == {"failures", "locked_until"}
