"""Who gets into technician mode, when, and for how long (no Qt: the rules alone)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.technician.audit import AuditLog
from kiosk.technician.pin import hash_pin
from kiosk.technician.session import PIN_IDLE_S, Mode, TechnicianSession

PIN = "24681357"
PIN_HASH = hash_pin(PIN, n=2**10)


@dataclass
class Settings:
    pin_hash: str | None = PIN_HASH
    max_failures: int = 3
    lockout_s: float = 300.0
    idle_s: float = 120.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Citizen:
    """Whether a citizen is being served (what KioskDiagnostics.citizen_busy says)."""

    def __init__(self) -> None:
        self.busy = False

    def __call__(self) -> bool:
        return self.busy


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def citizen() -> Citizen:
    return Citizen()


def make(tmp_path: Path, clock: Clock, citizen: Citizen, **settings) -> TechnicianSession:
    return TechnicianSession(Settings(**settings), tmp_path, citizen, clock=clock, wall_clock=clock)


def actions(tmp_path: Path) -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in AuditLog(tmp_path).entries()]


def test_gesture_then_the_right_pin_opens_technician_mode(tmp_path, clock, citizen):
    session = make(tmp_path, clock, citizen)
    answer = session.request_entry()
    assert answer.mode is Mode.PIN and answer.tries_left == 3
    assert session.submit_pin(PIN).mode is Mode.OPEN
    assert session.mode is Mode.OPEN
    assert actions(tmp_path) == [("enter", "ok")]


def test_without_a_pin_hash_the_gesture_does_nothing(tmp_path, clock, citizen, caplog):
    caplog.set_level(logging.INFO, logger="kiosk.technician")
    session = make(tmp_path, clock, citizen, pin_hash=None)
    assert session.request_entry().mode is Mode.OFF
    assert session.mode is Mode.OFF
    assert "no [technician] pin_hash" in caplog.text
    assert session.submit_pin(PIN).mode is Mode.OFF  # no PIN pad, no PIN


def test_refused_while_a_citizen_is_being_served(tmp_path, clock, citizen):
    citizen.busy = True
    session = make(tmp_path, clock, citizen)
    answer = session.request_entry()
    assert answer.mode is Mode.REFUSED
    assert "citizen is being served" in answer.message
    assert session.submit_pin(PIN).mode is Mode.REFUSED  # the PIN pad never opened
    assert actions(tmp_path) == [("enter", "refused_citizen_busy")]


def test_a_citizen_who_arrives_during_the_pin_keeps_the_screen(tmp_path, clock, citizen):
    session = make(tmp_path, clock, citizen)
    session.request_entry()
    citizen.busy = True  # a card tap reached the flow before the PIN pad was up
    assert session.submit_pin(PIN).mode is Mode.REFUSED
    assert session.mode is not Mode.OPEN


def test_wrong_pins_say_the_tries_left_then_lock(tmp_path, clock, citizen):
    session = make(tmp_path, clock, citizen)
    session.request_entry()
    first = session.submit_pin("11111111")
    assert first.mode is Mode.PIN and first.message == "Wrong PIN. 2 tries left."
    assert session.submit_pin("22222222").message == "Wrong PIN. 1 try left."
    locked = session.submit_pin("33333333")
    assert locked.locked_s == 300 and "try again in 5:00" in locked.message
    # Locked: even the right PIN is not checked.
    clock.now += 60
    still = session.submit_pin(PIN)
    assert still.mode is Mode.PIN and "try again in 4:00" in still.message
    clock.now += 240
    assert session.submit_pin(PIN).mode is Mode.OPEN
    assert actions(tmp_path) == [
        ("pin", "wrong"),
        ("pin", "wrong"),
        ("pin", "locked_now"),
        ("pin", "locked"),
        ("enter", "ok"),
    ]


def test_the_lockout_survives_a_restart_of_the_kiosk(tmp_path, clock, citizen):
    session = make(tmp_path, clock, citizen)
    session.request_entry()
    for _ in range(3):
        session.submit_pin("00000000")
    restarted = make(tmp_path, clock, citizen)  # power cycled
    answer = restarted.request_entry()
    assert answer.mode is Mode.PIN and answer.locked_s == 300
    assert restarted.submit_pin(PIN).mode is Mode.PIN


def test_an_open_session_ends_after_idle_s_untouched(tmp_path, clock, citizen):
    session = make(tmp_path, clock, citizen, idle_s=120)
    session.request_entry()
    session.submit_pin(PIN)
    clock.now += 100
    session.touch()
    clock.now += 100
    assert not session.leave_if_idle()
    clock.now += 20
    assert session.leave_if_idle()
    assert session.mode is Mode.OFF
    assert actions(tmp_path)[-1] == ("leave", "ok")
    assert AuditLog(tmp_path).entries()[-1]["details"] == {"reason": "idle"}


def test_an_unattended_pin_pad_closes_sooner(tmp_path, clock, citizen):
    session = make(tmp_path, clock, citizen, idle_s=600)
    session.request_entry()
    clock.now += PIN_IDLE_S
    assert session.leave_if_idle()
    assert session.mode is Mode.OFF


def test_a_pin_checked_after_cancel_does_not_open(tmp_path, clock, citizen):
    """Cancel during the (slow) PIN check: the check's end must not open the mode."""
    session = make(tmp_path, clock, citizen)
    session.request_entry()
    started, finish = threading.Event(), threading.Event()
    real_busy = session._citizen_busy

    def slow_busy() -> bool:
        started.set()
        finish.wait(5)
        return real_busy()

    session._citizen_busy = slow_busy
    answers = []
    checking = threading.Thread(target=lambda: answers.append(session.submit_pin(PIN)))
    checking.start()
    assert started.wait(5)
    session.leave("button")
    finish.set()
    checking.join(5)
    assert answers[0].mode is Mode.OFF and session.mode is Mode.OFF
