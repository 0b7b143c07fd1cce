"""What technicians did on the kiosk's screen: one JSON line per action, in the state folder.

`<state_dir>/logs/technician-audit.log`, one object a line: `time` (UTC, ISO 8601),
`action`, `outcome`, `details`. It is read by the village office and the vendor after a
visit, so like the kiosk's log it never holds a PIN, a NIK or a card UID: a detail named
like a PIN is refused outright, and every text passes the same masking as the log lines
(kiosk.logs.redact). Callers pass masked forms (a UID as the card read test shows it).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.logs import redact

log = logging.getLogger(__name__)

AUDIT_FILE = "technician-audit.log"
FILE_MODE = 0o600
MAX_BYTES = 1_000_000  # then the file becomes .1 (one older file kept)
WITHHELD = "[withheld]"


def audit_path(state_dir: Path) -> Path:
    return Path(state_dir) / "logs" / AUDIT_FILE


class AuditLog:
    def __init__(self, state_dir: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = audit_path(state_dir)
        self._clock = clock
        self._lock = threading.Lock()

    def record(self, action: str, outcome: str, **details: Any) -> dict[str, Any]:
        """Append one line; returns what was written. Never raises: an audit log that
        cannot be written is said in the kiosk's log, and the technician carries on."""
        entry = {
            "time": datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds"),
            "action": action,
            "outcome": outcome,
            "details": clean(details),
        }
        line = json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n"
        with self._lock:
            try:
                self._append(line.encode("utf-8"))
            except OSError as error:
                log.error("technician audit log %s not written: %s", self.path, error)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """Every line of the current file (for tests and the support bundle)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def _append(self, data: bytes) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            if self.path.stat().st_size + len(data) > MAX_BYTES:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        except FileNotFoundError:
            pass
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            os.write(fd, data)  # one write of one line: lines never interleave
        finally:
            os.close(fd)


def clean(details: Mapping[str, Any]) -> dict[str, Any]:
    """Details fit for the audit log: no PIN field, personal numbers masked, plain JSON."""
    return {str(key): _clean_value(str(key), value) for key, value in details.items()}


def _clean_value(key: str, value: Any) -> Any:
    if "pin" in key.lower():
        return WITHHELD
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return clean(value)
    if isinstance(value, list | tuple):
        return [_clean_value(key, item) for item in value]
    return redact(str(value))
