"""Signed letters kept on disk between prefetch and print (and not a day longer).

Each letter is written atomically: a private temporary file, flushed to the disk, then
renamed over the final name, and the directory flushed too. After a power cut the file
is either the whole letter or absent, never half of one. The print service checks the
SHA-256 and the signature again before printing anyway.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from pathlib import Path

from kiosk.storage.db import fsync_dir

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SUFFIX = ".pdf"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")


class LetterFiles:
    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        if self.folder.stat().st_mode & 0o777 != FOLDER_MODE:
            self.folder.chmod(FOLDER_MODE)

    def put(self, request_id: str, pdf: bytes) -> Path:
        """Store the letter of `request_id` (replacing an older one); durable on return."""
        final = self._path(request_id)
        temporary = self.folder / f".{final.name}.{uuid.uuid4().hex}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pdf)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, final)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        fsync_dir(self.folder)
        return final

    def get(self, request_id: str) -> bytes | None:
        try:
            return self._path(request_id).read_bytes()
        except FileNotFoundError:
            return None

    def has(self, request_id: str) -> bool:
        return self._path(request_id).is_file()

    def remove(self, request_id: str) -> bool:
        try:
            self._path(request_id).unlink()
        except FileNotFoundError:
            return False
        fsync_dir(self.folder)
        return True

    def request_ids(self) -> set[str]:
        return {
            p.name[: -len(SUFFIX)]
            for p in self.folder.iterdir()
            if p.name.endswith(SUFFIX) and not p.name.startswith(".")
        }

    def sweep(self, keep: set[str]) -> int:
        """Remove the letters of requests not in `keep`, and leftover temporary files."""
        removed = 0
        for entry in self.folder.iterdir():
            name = entry.name
            stale_tmp = name.startswith(".") and name.endswith(".tmp")
            unwanted = name.endswith(SUFFIX) and name[: -len(SUFFIX)] not in keep
            if (stale_tmp or unwanted) and entry.is_file():
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                    removed += 1
        if removed:
            fsync_dir(self.folder)
        return removed

    def _path(self, request_id: str) -> Path:
        if not _SAFE_ID.fullmatch(request_id):
            raise ValueError("a request id used as a file name must be 1-128 of [A-Za-z0-9._-]")
        return self.folder / f"{request_id}{SUFFIX}"
