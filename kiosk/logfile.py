"""The kiosk's log file: rotating, and private to its owner (kept apart from kiosk.logs so
that `logging.handlers` is imported only when a file is actually written)."""

from __future__ import annotations

import logging.handlers
import os
from typing import Any


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log only its owner can read (0600), also after each rotation.

    With no backups, a full file starts over (the standard handler would grow forever).
    """

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, _open_flags(self.mode), 0o600)
        os.fchmod(fd, 0o600)  # a file left by an older version, or made under another umask
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)

    def doRollover(self) -> None:
        if self.backupCount > 0:
            super().doRollover()
            return
        if self.stream:
            self.stream.close()
        self.mode, saved = "w", self.mode
        try:
            self.stream = self._open()
        finally:
            self.mode = saved


def _open_flags(mode: str) -> int:
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    return flags | (os.O_APPEND if "a" in mode else os.O_TRUNC)
