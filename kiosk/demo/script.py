"""Autoplay scripts: a citizen session written down as steps, checked before it runs.

A script is a TOML file of `[[step]]` tables, each either an action (`do = ...`) or an
expectation (`expect = "<screen>"`). See kiosk/demo/README.md and the README.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.crashpoints import NAMES as CRASHPOINTS
from kiosk.demo.faulty_backend import MAX_SLOW_S
from kiosk.demo.faulty_backend import MODES as BACKEND_FAULTS

DEFAULT_SCRIPT = Path(__file__).with_name("default_session.toml")
DEVICES = ("receipt_printer", "document_printer", "card_reader")

# action -> (required keys with their types, optional keys with their types)
ACTIONS: dict[str, tuple[dict[str, type], dict[str, type]]] = {
    "tap_card": ({"uid": str}, {}),
    "remove_card": ({}, {}),
    "press": ({"target": str}, {}),
    "type": ({"target": str, "text": str}, {}),
    "fault": ({"device": str, "fault": str}, {"active": bool}),
    "wait": ({"seconds": float}, {}),
    "backend": ({"fault": str}, {"delay_s": float}),
    "kill_at": ({"at": str}, {}),
    "sign": ({}, {}),
}
# Steps that need the fault proxy in front of the backend (it also sees what is submitted).
PROXY_ACTIONS = ("backend", "sign")


class ScriptError(Exception):
    pass


@dataclass(frozen=True)
class Step:
    number: int
    action: str  # one of ACTIONS, or "expect"
    args: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.action == "expect":
            return f'expect screen "{self.args["screen"]}"'
        details = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"{self.action}({details})"


def load_script(path: Path) -> list[Step]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScriptError(f"{path}: not a valid TOML file: {exc}") from None
    return parse_script(data, str(path))


def parse_script(data: dict[str, Any], source: str = "<script>") -> list[Step]:
    extra = set(data) - {"step"}
    if extra:
        raise ScriptError(f"{source}: unknown top-level key(s): {', '.join(sorted(extra))}")
    raw_steps = data.get("step")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScriptError(f"{source}: expected one or more [[step]] tables")
    return [_parse_step(n, raw, source) for n, raw in enumerate(raw_steps, start=1)]


def _parse_step(number: int, raw: Any, source: str) -> Step:
    where = f"{source}: step {number}"
    if not isinstance(raw, dict):
        raise ScriptError(f"{where}: expected a table")
    if ("do" in raw) == ("expect" in raw):
        raise ScriptError(f"{where}: give exactly one of 'do' and 'expect'")
    if "expect" in raw:
        return _parse_expect(number, raw, where)
    action = raw["do"]
    if action not in ACTIONS:
        raise ScriptError(f"{where}: unknown action {action!r}; known: {', '.join(ACTIONS)}")
    required, optional = ACTIONS[action]
    args = {k: v for k, v in raw.items() if k != "do"}
    for key in set(args) - set(required) - set(optional):
        raise ScriptError(f"{where}: unknown key {key!r} for {action}")
    for key, kind in {**required, **optional}.items():
        if key not in args:
            if key in required:
                raise ScriptError(f"{where}: {action} needs {key!r}")
            continue
        value = args[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            args[key] = value = float(value)
        if not isinstance(value, kind):
            raise ScriptError(f"{where}: {key} must be a {kind.__name__}, found {value!r}")
    _check_values(action, args, where)
    return Step(number, action, args)


def _check_values(action: str, args: dict[str, Any], where: str) -> None:
    """What the types alone do not say: known names, sensible numbers."""
    if action == "fault" and args["device"] not in DEVICES:
        raise ScriptError(
            f"{where}: unknown device {args['device']!r}; known: {', '.join(DEVICES)}"
        )
    if action == "wait" and args["seconds"] < 0:
        raise ScriptError(f"{where}: seconds must not be negative, found {args['seconds']!r}")
    if action == "backend":
        if args["fault"] not in BACKEND_FAULTS:
            known = ", ".join(BACKEND_FAULTS)
            raise ScriptError(f"{where}: unknown backend fault {args['fault']!r}; known: {known}")
        delay = args.get("delay_s")
        if delay is not None and args["fault"] != "slow":
            raise ScriptError(f'{where}: delay_s is only for fault = "slow"')
        if delay is not None and not 0 < delay <= MAX_SLOW_S:
            raise ScriptError(
                f"{where}: delay_s must be more than 0 and at most {MAX_SLOW_S:g}, found {delay!r}"
            )
    if action == "kill_at" and args["at"] not in CRASHPOINTS:
        known = ", ".join(CRASHPOINTS)
        raise ScriptError(f"{where}: unknown crashpoint {args['at']!r}; known: {known}")


def needs_fault_proxy(steps: list[Step]) -> bool:
    """True when the script switches backend faults or signs: the proxy goes in front."""
    return any(step.action in PROXY_ACTIONS for step in steps)


def plays_the_village_head(steps: list[Step]) -> bool:
    """True when the script signs by itself: the embedded server must not sign on its own."""
    return any(step.action == "sign" for step in steps)


def _parse_expect(number: int, raw: dict[str, Any], where: str) -> Step:
    screen = raw["expect"]
    from kiosk.flow.state import Screen  # the flow loads pydantic: not at start-up

    known = [s.value for s in Screen]
    if screen not in known:
        raise ScriptError(f"{where}: unknown screen {screen!r}; known: {', '.join(known)}")
    timeout = raw.get("timeout_s", 20)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ScriptError(f"{where}: timeout_s must be a positive number, found {timeout!r}")
    for key in set(raw) - {"expect", "timeout_s"}:
        raise ScriptError(f"{where}: unknown key {key!r} for expect")
    return Step(number, "expect", {"screen": screen, "timeout_s": float(timeout)})
