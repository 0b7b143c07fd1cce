"""What a technician can do on the kiosk's screen, each action audited.

Wraps the running kiosk's diagnostics (kiosk.diagnostics.service.KioskDiagnostics) and
turns their findings into plain dicts and lists for the screens. Every method blocks
(devices, the backend, the disk): the Qt side runs them on its worker thread.
"""

from __future__ import annotations

import logging
import platform
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from kiosk import __version__
from kiosk.technician.audit import AuditLog

log = logging.getLogger(__name__)

LOG_LINES = 200
CARD_READ_TIMEOUT_S = 20.0
PENDING_SHOWN = 50
LEVELS = ("ok", "skipped", "warning", "fault")  # from best to worst


class CheckLike(Protocol):
    area: str
    name: str
    summary: str

    @property
    def level(self) -> Any: ...

    @property
    def details(self) -> Mapping[str, Any]: ...


class Diagnostics(Protocol):
    """The part of KioskDiagnostics the technician screens use."""

    def devices(self) -> list[Any]: ...
    def test_print(self, role: str) -> Any: ...
    def card_read(self, timeout_s: float = ...) -> Any: ...
    def backend(self) -> list[Any]: ...
    def outbox(self) -> dict[str, Any]: ...
    def retry(self, item_id: int) -> bool: ...
    def discard(self, item_id: int) -> bool: ...
    def recent_logs(self, lines: int = ...) -> list[str]: ...
    def masked_config(self) -> str: ...
    def kiosk_check(self) -> Any: ...
    def citizen_busy(self) -> bool: ...


class TechnicianActions:
    def __init__(self, diagnostics: Diagnostics, audit: AuditLog) -> None:
        self.diagnostics = diagnostics
        self.audit = audit

    def devices(self) -> list[dict[str, Any]]:
        checks = self._checks("devices", self.diagnostics.devices)
        return [device_view(c) for c in checks]

    def test_print(self, role: str) -> dict[str, Any]:
        check = self._check("test_print", lambda: self.diagnostics.test_print(role), role=role)
        return check_view(check)

    def card_read(self, timeout_s: float = CARD_READ_TIMEOUT_S) -> dict[str, Any]:
        def read() -> CheckLike:
            return self.diagnostics.card_read(timeout_s)

        # The check's details hold the UID masked already; the audit masks again anyway.
        return check_view(self._check("card_read", read, keep=("uid_masked", "read_ms")))

    def backend(self) -> list[dict[str, Any]]:
        return [check_view(c) for c in self._checks("backend_check", self.diagnostics.backend)]

    def outbox(self) -> dict[str, Any]:
        try:
            found = self.diagnostics.outbox()
        except Exception as error:
            log.exception("technician: the outbox could not be read")
            self.audit.record("outbox_view", "error", error=str(error))
            return {"error": f"the outbox could not be read: {error}", "counts": {}}
        dead = list(found.get("dead_letters", []))
        pending = list(found.get("pending", []))
        self.audit.record("outbox_view", "ok", pending=len(pending), dead=len(dead))
        return {
            "error": "",
            "counts": dict(found.get("counts", {})),
            "dead_letters": dead,
            # Days offline may queue thousands: the first ones say enough on a screen.
            "pending": pending[:PENDING_SHOWN],
            "pending_more": max(0, len(pending) - PENDING_SHOWN),
        }

    def retry(self, item_id: int) -> bool:
        return self._outbox_change("outbox_retry", self.diagnostics.retry, item_id)

    def discard(self, item_id: int) -> bool:
        return self._outbox_change("outbox_discard", self.diagnostics.discard, item_id)

    def logs(self, lines: int = LOG_LINES) -> list[str]:
        """The kiosk log's last lines, newest first."""
        try:
            found = self.diagnostics.recent_logs(lines)
        except Exception as error:
            self.audit.record("logs_view", "error", error=str(error))
            return [f"the log could not be read: {error}"]
        self.audit.record("logs_view", "ok", lines=len(found))
        return found[::-1]  # newest first: what a technician looks for, without scrolling

    def config(self) -> str:
        try:
            text = self.diagnostics.masked_config()
        except Exception as error:
            self.audit.record("config_view", "error", error=str(error))
            return f"the configuration could not be shown: {error}"
        self.audit.record("config_view", "ok")
        return text

    def about(self) -> dict[str, Any]:
        """The software's version and where it runs."""
        try:
            app = check_view(self.diagnostics.kiosk_check())
        except Exception as error:
            app = {"level": "fault", "summary": f"kiosk state unknown: {error}", "lines": []}
        self.audit.record("version_view", "ok", version=__version__)
        return {
            "version": __version__,
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "executable": sys.executable,
            "app": app,
        }

    def restart(self) -> None:
        log.warning("technician restarts the kiosk application")
        self.audit.record("restart", "ok")

    # --- inside ------------------------------------------------------------------------------

    def _checks(self, action: str, run: Any, **details: Any) -> list[CheckLike]:
        try:
            checks: list[CheckLike] = list(run())
        except Exception as error:
            log.exception("technician: %s failed", action)
            self.audit.record(action, "error", error=str(error), **details)
            return [_failed(action, error)]
        outcome = worst(c.level for c in checks)
        faults = [f"{c.name}: {c.summary}" for c in checks if _level(c) == "fault"]
        self.audit.record(action, outcome, checks=len(checks), faults=faults, **details)
        return checks

    def _check(
        self, action: str, run: Any, *, keep: tuple[str, ...] = (), **details: Any
    ) -> CheckLike:
        try:
            check: CheckLike = run()
        except Exception as error:
            log.exception("technician: %s failed", action)
            self.audit.record(action, "error", error=str(error), **details)
            return _failed(action, error)
        kept = {key: check.details[key] for key in keep if key in check.details}
        self.audit.record(action, _level(check), summary=check.summary, **details, **kept)
        return check

    def _outbox_change(self, action: str, change: Any, item_id: int) -> bool:
        try:
            done = bool(change(item_id))
        except Exception as error:
            log.exception("technician: %s of item %s failed", action, item_id)
            self.audit.record(action, "error", item=item_id, error=str(error))
            return False
        self.audit.record(action, "ok" if done else "not_found", item=item_id)
        return done


# --- views for the screens -------------------------------------------------------------------


class _Failed:
    """A check for an action that raised instead of reporting (a bug, or a device gone)."""

    def __init__(self, name: str, error: Exception) -> None:
        self.area, self.name, self.level = "technician", name, "fault"
        self.summary = f"{name} could not run: {error}"
        self.details: dict[str, Any] = {}


def _failed(name: str, error: Exception) -> CheckLike:
    return _Failed(name, error)


def _level(check: CheckLike) -> str:
    return str(getattr(check.level, "value", check.level))


def worst(levels: Any) -> str:
    found = [str(getattr(level, "value", level)) for level in levels]
    return max(found, key=LEVELS.index, default="ok")


def check_view(check: CheckLike) -> dict[str, Any]:
    """One finding: its level (for the colour), one line, and its details as lines."""
    return {
        "area": check.area,
        "name": check.name,
        "level": _level(check),
        "summary": check.summary,
        "lines": detail_lines(check.details),
        "details": {k: v for k, v in check.details.items() if _plain(v)},
    }


def device_view(check: CheckLike) -> dict[str, Any]:
    """A device: its status, capabilities and health each on a line of its own."""
    details = dict(check.details)
    status = details.get("status") or {}
    caps = details.get("capabilities") or {}
    health = details.get("health") or []
    lines = []
    if status:
        lines.append("Status: " + _pairs(status))
    if caps:
        lines.append("Capabilities: " + _pairs(caps))
    if health:
        lines += health_lines(health)
    if details.get("lifecycle"):
        lines.append(f"Lifecycle: {details['lifecycle']} (owner {details.get('owner') or '-'})")
    view = check_view(check)
    view.update(role=check.name, type=str(details.get("type", "")), lines=lines)
    return view


def health_lines(health: Sequence[Mapping[str, Any]]) -> list[str]:
    """A device's health checks: one line of marks, then what each found."""
    marks = [f"{'✔' if h.get('ok') else '✘'} {h.get('name')}" for h in health]
    said = [f"  {h.get('name')}: {h.get('detail')}" for h in health if h.get("detail")]
    return ["Health: " + ", ".join(marks), *said]


def detail_lines(details: Mapping[str, Any]) -> list[str]:
    lines = []
    for key, value in details.items():
        if key == "health" and isinstance(value, list | tuple):
            lines += health_lines(value)
        elif isinstance(value, Mapping):
            lines.append(f"{key}: {_pairs(value)}")
        elif isinstance(value, list | tuple):
            shown = [_pairs(v) if isinstance(v, Mapping) else str(v) for v in value]
            lines.append(f"{key}: {'; '.join(shown) if shown else '-'}")
        else:
            lines.append(f"{key}: {value}")
    return lines


def _pairs(mapping: Mapping[str, Any]) -> str:
    shown = []
    for key, value in mapping.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list | tuple):
            value = "/".join(str(v) for v in value)
        shown.append(f"{key} {value}")
    return ", ".join(shown) or "-"


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
