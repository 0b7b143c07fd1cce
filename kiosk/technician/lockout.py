"""Wrong technician PINs in a row lock the technician mode for a while, across restarts.

The count and the end of a lockout are kept in the state folder (one small JSON file,
replaced atomically), so pulling the plug does not give a guesser fresh tries. Times are
wall-clock (they must survive a reboot); a clock set back cannot lengthen a lockout beyond
`lockout_s`, and one set forward only shortens it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

LOCKOUT_FILE = "technician-lockout.json"
FILE_MODE = 0o600


class Lockout:
    def __init__(
        self,
        state_dir: Path,
        max_failures: int,
        lockout_s: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(state_dir) / LOCKOUT_FILE
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures, self._locked_until = self._load()

    # --- what the gate asks ---------------------------------------------------------------

    def seconds_left(self) -> float:
        """How long the technician mode stays locked (0 when it is not)."""
        with self._lock:
            return self._seconds_left()

    def tries_left(self) -> int:
        with self._lock:
            self._expire()
            return max(0, self.max_failures - self._failures)

    # --- what the gate records ------------------------------------------------------------

    def record_failure(self) -> int:
        """One more wrong PIN; the tries left (0: locked from now for `lockout_s`)."""
        with self._lock:
            self._expire()
            self._failures += 1
            if self._failures >= self.max_failures:
                self._locked_until = self._clock() + self.lockout_s
            self._save()
            return max(0, self.max_failures - self._failures)

    def record_success(self) -> None:
        with self._lock:
            if self._failures or self._locked_until:
                self._failures, self._locked_until = 0, 0.0
                self._save()

    # --- inside ---------------------------------------------------------------------------

    def _seconds_left(self) -> float:
        self._expire()
        if not self._locked_until:
            return 0.0
        # A clock set back would otherwise stretch the lockout by as much.
        return min(self._locked_until - self._clock(), self.lockout_s)

    def _expire(self) -> None:
        """A lockout that has run out gives the full count of tries again."""
        if self._locked_until and self._clock() >= self._locked_until:
            self._failures, self._locked_until = 0, 0.0
            self._save()

    def _load(self) -> tuple[int, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            failures, until = int(data["failures"]), float(data["locked_until"])
            if failures < 0 or until < 0:
                raise ValueError("negative values")
            return failures, until
        except FileNotFoundError:
            return 0, 0.0
        except (OSError, ValueError, KeyError, TypeError) as error:
            # Fail closed: a damaged record must not hand out fresh tries.
            log.warning(
                "technician lockout record %s unreadable (%s): locked for %.0f s",
                self.path,
                error,
                self.lockout_s,
            )
            return self.max_failures, self._clock() + self.lockout_s

    def _save(self) -> None:
        data = {"failures": self._failures, "locked_until": self._locked_until}
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except OSError as error:
            # The count still holds in memory until the kiosk restarts.
            log.error("technician lockout record %s not saved: %s", self.path, error)
