"""Copies of what the backend last said about this kiosk, for starting without a link.

Keys in use: "kiosk_config" and "catalogue" (the JSON of those answers), each with the
ETag (or version) it came with, so the next fetch can ask "has it changed?".
"""

from __future__ import annotations

import json
import time
from typing import Any

from kiosk.storage.db import KioskDB


class Cache:
    def __init__(self, db: KioskDB, *, clock: Any = time.time) -> None:
        self._db = db
        self._clock = clock

    def get(self, key: str) -> tuple[dict[str, Any], str | None] | None:
        """(value, etag), or None if nothing was ever stored under `key`."""
        with self._db.read() as conn:
            row = conn.execute("SELECT value, etag FROM cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return json.loads(row[0]), row[1]

    def put(self, key: str, value: dict[str, Any], etag: str | None) -> None:
        text = json.dumps(value, separators=(",", ":"))
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO cache (key, value, etag, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, etag = excluded.etag, "
                "updated_at = excluded.updated_at",
                (key, text, etag, self._clock()),
            )

    def updated_at(self, key: str) -> float | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT updated_at FROM cache WHERE key = ?", (key,)).fetchone()
        return None if row is None else float(row[0])
