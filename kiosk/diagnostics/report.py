"""A diagnostics report: a list of checks, each ok, a warning, a fault, or skipped.

Read by a technician on a phone call ("what does line 4 say?"), so the text form is one
line per check with its area, and the JSON form has the same content for tools.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk import __version__

EXIT_ALL_WELL = 0
EXIT_FAULTY = 1
EXIT_BAD_CONFIG = 2  # as `apm-kiosk run` and `apm-kiosk config check` say it


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"  # works, but a technician should look (paper low, clock off by 90 s)
    FAULT = "fault"  # a citizen would notice: fix before the kiosk is used
    SKIPPED = "skipped"  # not applicable here, or could not be run (said why)


_MARKS = {Level.OK: "ok", Level.WARNING: "WARN", Level.FAULT: "FAULT", Level.SKIPPED: "skip"}


@dataclass(frozen=True)
class Check:
    area: str  # config, storage, device, serial, pcscd, backend, clock, kiosk
    name: str  # e.g. "receipt_printer" or "disk space"
    level: Level
    summary: str  # one line, plain English
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "name": self.name,
            "level": self.level.value,
            "summary": self.summary,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Check:
        """From `as_dict` (what the running kiosk sends over the local socket)."""
        return cls(
            area=str(data["area"]),
            name=str(data["name"]),
            level=Level(data["level"]),
            summary=str(data["summary"]),
            details=dict(data.get("details") or {}),
        )


def ok(area: str, name: str, summary: str, **details: Any) -> Check:
    return Check(area, name, Level.OK, summary, details)


def warning(area: str, name: str, summary: str, **details: Any) -> Check:
    return Check(area, name, Level.WARNING, summary, details)


def fault(area: str, name: str, summary: str, **details: Any) -> Check:
    return Check(area, name, Level.FAULT, summary, details)


def skipped(area: str, name: str, summary: str, **details: Any) -> Check:
    return Check(area, name, Level.SKIPPED, summary, details)


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    config_path: str = ""
    # Where the device checks came from: "running kiosk" (asked over its socket) or
    # "opened by diag" (the kiosk was not running).
    devices_from: str = ""
    version: str = __version__
    host: str = field(default_factory=platform.node)
    generated_at: float = field(default_factory=time.time)

    @classmethod
    def of(cls, checks: Iterable[Check], **kwargs: Any) -> Report:
        return cls(tuple(checks), **kwargs)

    @property
    def ok(self) -> bool:
        return not any(c.level is Level.FAULT for c in self.checks)

    @property
    def exit_code(self) -> int:
        if any(c.area == "config" and c.level is Level.FAULT for c in self.checks):
            return EXIT_BAD_CONFIG
        return EXIT_ALL_WELL if self.ok else EXIT_FAULTY

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((level.value for level in Level), 0)
        for check in self.checks:
            counts[check.level.value] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "version": self.version,
            "host": self.host,
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.generated_at)),
            "config": self.config_path,
            "devices_from": self.devices_from,
            "counts": self.counts(),
            "checks": [c.as_dict() for c in self.checks],
        }


def render_text(report: Report) -> str:
    """The report for a terminal: a header, one line per check, and a verdict."""
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(report.generated_at))
    lines = [f"apm-kiosk {report.version} on {report.host}, {when}"]
    if report.config_path:
        lines.append(f"config: {report.config_path}")
    if report.devices_from:
        lines.append(f"devices: {report.devices_from}")
    lines.append("")
    width = max((len(f"{c.area}/{c.name}") for c in report.checks), default=10)
    for check in report.checks:
        where = f"{check.area}/{check.name}"
        lines.append(f"{_MARKS[check.level]:>5}  {where:<{width}}  {check.summary}")
    counts = report.counts()
    verdict = "all well" if report.ok else "FAULTY"
    lines += [
        "",
        f"{verdict}: {counts['ok']} ok, {counts['warning']} warnings, "
        f"{counts['fault']} faults, {counts['skipped']} skipped",
    ]
    return "\n".join(lines)
