"""Autoplay scripts are parsed and checked without Qt, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.crashpoints import NAMES as CRASHPOINTS
from kiosk.demo.faulty_backend import MODES as BACKEND_FAULTS
from kiosk.demo.script import (
    DEFAULT_SCRIPT,
    ScriptError,
    load_script,
    needs_fault_proxy,
    parse_script,
    plays_the_village_head,
)


def steps(*tables: dict) -> list:
    return parse_script({"step": list(tables)})


def test_the_default_session_is_valid_and_does_the_whole_path():
    script = load_script(DEFAULT_SCRIPT)
    assert script[1].action == "tap_card" and script[1].args == {"uid": "04A3B2C1D0E1F2"}
    expected = [s.args["screen"] for s in script if s.action == "expect"]
    assert expected == ["attract", "services", "form", "confirm", "waiting", "done", "attract"]
    assert [s.number for s in script] == list(range(1, len(script) + 1))


def test_every_action_with_its_arguments():
    parsed = steps(
        {"do": "tap_card", "uid": "5A3C9E01"},
        {"do": "remove_card"},
        {"do": "press", "target": "nextButton"},
        {"do": "type", "target": "field-keperluan", "text": "Sekolah"},
        {"do": "fault", "device": "document_printer", "fault": "paper_out", "active": True},
        {"do": "wait", "seconds": 1},
        {"expect": "done", "timeout_s": 5},
        {"expect": "attract"},
    )
    assert [p.action for p in parsed] == [
        "tap_card",
        "remove_card",
        "press",
        "type",
        "fault",
        "wait",
        "expect",
        "expect",
    ]
    assert parsed[5].args == {"seconds": 1.0}
    assert parsed[6].args == {"screen": "done", "timeout_s": 5.0}
    assert parsed[7].args["timeout_s"] == 20.0  # the default
    assert parsed[6].describe() == 'expect screen "done"'


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"expect": "lobby"}, "step 1: unknown screen 'lobby'"),
        ({"do": "wait", "expect": "done", "seconds": 1}, "exactly one of 'do' and 'expect'"),
        ({"do": "fault", "device": "fax", "fault": "paper_out"}, "unknown device 'fax'"),
        ({"do": "press"}, "step 1: press needs 'target'"),
        ({"do": "dance"}, "unknown action 'dance'"),
        ({"do": "wait", "seconds": "soon"}, "seconds must be a float"),
        ({"do": "press", "target": "x", "force": 3}, "unknown key 'force' for press"),
        ({"expect": "done", "timeout_s": 0}, "timeout_s must be a positive number"),
        ({"expect": "done", "after": 1}, "unknown key 'after' for expect"),
        ({"do": "wait", "seconds": -1}, "seconds must not be negative"),
        ({"do": "backend"}, "backend needs 'fault'"),
        ({"do": "backend", "fault": "flaky"}, "unknown backend fault 'flaky'; known: ok, down"),
        ({"do": "backend", "fault": "down", "delay_s": 3}, 'delay_s is only for fault = "slow"'),
        ({"do": "backend", "fault": "slow", "delay_s": 0}, "delay_s must be more than 0"),
        ({"do": "backend", "fault": "slow", "delay_s": "long"}, "delay_s must be a float"),
        ({"do": "backend", "fault": "ok", "device": "x"}, "unknown key 'device' for backend"),
        ({"do": "kill_at"}, "kill_at needs 'at'"),
        ({"do": "kill_at", "at": "lunch"}, "unknown crashpoint 'lunch'; known: submit.queued"),
        ({"do": "sign", "request": "x"}, "unknown key 'request' for sign"),
    ],
)
def test_mistakes_are_named_with_their_step(table: dict, message: str):
    with pytest.raises(ScriptError, match=message):
        steps(table)


def test_backend_faults_crashpoints_and_signing():
    parsed = steps(
        {"do": "backend", "fault": "down"},
        {"do": "backend", "fault": "slow", "delay_s": 12},
        {"do": "backend", "fault": "slow"},
        {"do": "kill_at", "at": "submit.sent"},
        {"do": "sign"},
        {"do": "backend", "fault": "ok"},
    )
    assert parsed[0].args == {"fault": "down"}
    assert parsed[1].args == {"fault": "slow", "delay_s": 12.0}
    assert parsed[2].args == {"fault": "slow"}  # the proxy's default delay
    assert parsed[3].describe() == "kill_at(at='submit.sent')"
    assert parsed[4].action == "sign" and parsed[4].args == {}
    assert needs_fault_proxy(parsed) and plays_the_village_head(parsed)


@pytest.mark.parametrize("fault", list(BACKEND_FAULTS))
def test_every_backend_fault_is_accepted(fault: str):
    [step] = steps({"do": "backend", "fault": fault})
    assert step.args["fault"] == fault


@pytest.mark.parametrize("crashpoint", CRASHPOINTS)
def test_every_crashpoint_can_be_armed(crashpoint: str):
    [step] = steps({"do": "kill_at", "at": crashpoint})
    assert step.args == {"at": crashpoint}


def test_only_backend_and_sign_steps_put_the_proxy_in_front():
    default = load_script(DEFAULT_SCRIPT)
    assert not needs_fault_proxy(default) and not plays_the_village_head(default)
    killing = steps({"do": "kill_at", "at": "print.started"})
    assert not needs_fault_proxy(killing)
    faulting = steps({"do": "backend", "fault": "error_500"})
    assert needs_fault_proxy(faulting) and not plays_the_village_head(faulting)


def test_the_failing_step_number_is_the_one_named():
    with pytest.raises(ScriptError, match="step 3: press needs 'target'"):
        steps({"expect": "attract"}, {"do": "remove_card"}, {"do": "press"})


def test_empty_or_unreadable_scripts_are_refused(tmp_path: Path):
    with pytest.raises(ScriptError, match=r"one or more \[\[step\]\] tables"):
        parse_script({})
    with pytest.raises(ScriptError, match="unknown top-level key"):
        parse_script({"step": [{"do": "remove_card"}], "steps": []})
    bad = tmp_path / "bad.toml"
    bad.write_text("[[step]\n")
    with pytest.raises(ScriptError, match="not a valid TOML file"):
        load_script(bad)
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "missing.toml")
