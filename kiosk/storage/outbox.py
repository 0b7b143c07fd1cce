"""The outbox: everything the kiosk owes the backend, on disk before it is sent.

Each item carries its own idempotency key, so sending it again after a lost answer (or a
crash between "the backend has it" and "we wrote that down") is safe: the backend answers
the same. Items go out strictly in the order they were queued: a report that a letter was
printed never overtakes the request it belongs to.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kiosk.storage.db import KioskDB


class OutboxKind(StrEnum):
    SUBMIT = "submit"
    PRINTED = "printed"
    RATING = "rating"
    HEARTBEAT = "heartbeat"


class OutboxState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


class DuplicateKey(ValueError):
    """An item with this idempotency key is already queued with other content."""


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: OutboxKind
    key: str  # the Idempotency-Key sent with it
    local_id: str | None  # the LocalRequest it belongs to
    body: dict[str, Any]
    created_at: float
    attempts: int
    next_attempt_at: float
    state: str  # "pending" | "done" | "dead"
    last_error: str | None
    result: dict[str, Any] | None


REDACTED_BODY: dict[str, Any] = {"redacted": True}
_REDACTED_TEXT = json.dumps(REDACTED_BODY)

_COLUMNS = (
    "id, kind, key, local_id, body, created_at, attempts, next_attempt_at, state, "
    "last_error, result"
)


class Outbox:
    def __init__(self, db: KioskDB, *, clock: Any = time.time) -> None:
        self._db = db
        self._clock = clock

    # --- queueing -------------------------------------------------------------------------

    def add(
        self,
        kind: OutboxKind,
        body: dict[str, Any],
        *,
        key: str | None = None,
        local_id: str | None = None,
        tx: sqlite3.Connection | None = None,
    ) -> OutboxItem:
        """Queue an item; committed (durable) when this returns, unless `tx` is given.

        With `tx` (from `db.transaction()`) the item joins that transaction and is durable
        when the caller's transaction commits. Adding a heartbeat drops the older pending
        ones: only the newest state of the kiosk is worth sending. Adding again an item
        with a key already queued returns the queued one if it is the same item, and
        raises DuplicateKey otherwise.
        """
        kind = OutboxKind(kind)
        key = key or uuid.uuid4().hex
        text = json.dumps(body, separators=(",", ":"), sort_keys=True)
        with self._db.transaction(tx) as conn:
            known = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE key = ?", (key,)).fetchone()
            if known is not None:
                item = _item(known)
                if item.kind is kind and item.local_id == local_id and item.body == body:
                    return item
                raise DuplicateKey(f"outbox key {key} is already used by item {item.id}")
            if kind is OutboxKind.HEARTBEAT:
                conn.execute("DELETE FROM outbox WHERE kind = 'heartbeat' AND state = 'pending'")
            now = self._clock()
            cursor = conn.execute(
                "INSERT INTO outbox (kind, key, local_id, body, created_at, next_attempt_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (kind.value, key, local_id, text, now, now),
            )
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
        return _item(row)

    # --- sending ---------------------------------------------------------------------------

    def head(self) -> OutboxItem | None:
        """The oldest pending item, due or not (the next one to send)."""
        first = self.heads(1)
        return first[0] if first else None

    def find(self, key: str) -> OutboxItem | None:
        """The item queued with this idempotency key, in whatever state."""
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE key = ?", (key,)).fetchone()
        return _item(row) if row else None

    def heads(self, count: int) -> list[OutboxItem]:
        """The `count` oldest pending items, in order, due or not."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?",
                (count,),
            ).fetchall()
        return [_item(row) for row in rows]

    def next_due(self, now: float) -> OutboxItem | None:
        """The oldest pending item if it is due; None if it is not (order is strict)."""
        item = self.head()
        return item if item is not None and item.next_attempt_at <= now else None

    def settle(
        self, id: int, result: dict[str, Any] | None, *, tx: sqlite3.Connection | None = None
    ) -> bool:
        """The backend accepted the item; False if it was gone (e.g. a replaced heartbeat).

        A settled SUBMIT's body (the citizen's form and identity) is dropped: the backend
        has it, and `result` keeps the backend's answer.
        """
        return self._finish(id, OutboxState.DONE, None, result, tx)

    def dead(
        self,
        id: int,
        reason: str,
        *,
        result: dict[str, Any] | None = None,
        tx: sqlite3.Connection | None = None,
    ) -> bool:
        """The backend refused the item for good: kept, with its reason, never retried."""
        return self._finish(id, OutboxState.DEAD, reason, result, tx)

    def retry_later(
        self,
        id: int,
        error: str,
        next_attempt_at: float,
        *,
        tx: sqlite3.Connection | None = None,
    ) -> bool:
        with self._db.transaction(tx) as conn:
            cursor = conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE id = ? AND state = 'pending'",
                (error, next_attempt_at, id),
            )
        return cursor.rowcount == 1

    def retry_now(self, id: int) -> bool:
        """Make a pending item due at once (e.g. the link is back)."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND state = 'pending'",
                (self._clock(), id),
            )
        return cursor.rowcount == 1

    def _finish(
        self,
        id: int,
        state: OutboxState,
        error: str | None,
        result: dict[str, Any] | None,
        tx: sqlite3.Connection | None,
    ) -> bool:
        text = None if result is None else json.dumps(result, separators=(",", ":"))
        # A request the backend has needs no copy of the citizen's form and identity here;
        # a refused one keeps it (a technician may have to act on it) until retention.
        redact = state is OutboxState.DONE
        with self._db.transaction(tx) as conn:
            cursor = conn.execute(
                "UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, "
                "result = ?, settled_at = ?, "
                "body = CASE WHEN ? AND kind = 'submit' THEN ? ELSE body END "
                "WHERE id = ? AND state = 'pending'",
                (state.value, error, text, self._clock(), redact, _REDACTED_TEXT, id),
            )
        return cursor.rowcount == 1

    # --- a technician's hand on dead letters -------------------------------------------------

    def revive(self, id: int) -> bool:
        """A dead letter sent again (the backend may take it now, e.g. after a fix there).

        Same idempotency key: if the backend did record it after all, it answers as before.
        Not when its body was emptied by retention: there is nothing left to send.
        """
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, settled_at = NULL, "
                "result = NULL WHERE id = ? AND state = 'dead' AND body != ?",
                (self._clock(), id, _REDACTED_TEXT),
            )
        return cursor.rowcount == 1

    def discard(self, id: int) -> bool:
        """A dead letter dropped for good (a technician decided it cannot be delivered)."""
        with self._db.transaction() as conn:
            cursor = conn.execute("DELETE FROM outbox WHERE id = ? AND state = 'dead'", (id,))
        return cursor.rowcount == 1

    # --- looking -------------------------------------------------------------------------------

    def get(self, id: int) -> OutboxItem | None:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (id,)).fetchone()
        return _item(row) if row else None

    def counts(self) -> dict[str, int]:
        """Items per state: {"pending": n, "done": n, "dead": n} (zeros included)."""
        counts = dict.fromkeys((s.value for s in OutboxState), 0)
        with self._db.read() as conn:
            for state, n in conn.execute("SELECT state, count(*) FROM outbox GROUP BY state"):
                counts[state] = n
        return counts

    def pending(self) -> list[OutboxItem]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state = 'pending' ORDER BY id"
            ).fetchall()
        return [_item(r) for r in rows]

    def dead_letters(self) -> list[OutboxItem]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state = 'dead' ORDER BY id"
            ).fetchall()
        return [_item(r) for r in rows]

    # --- forgetting ------------------------------------------------------------------------------

    def forget_settled(self, older_than: float, *, tx: sqlite3.Connection | None = None) -> int:
        """Delete items the backend accepted before `older_than`; how many went."""
        with self._db.transaction(tx) as conn:
            cursor = conn.execute(
                "DELETE FROM outbox WHERE state = 'done' AND settled_at < ?", (older_than,)
            )
        return cursor.rowcount

    def forget_local(self, local_id: str, *, tx: sqlite3.Connection | None = None) -> int:
        """Personal data of a forgotten request leaves the outbox; pending items stay.

        Settled items are deleted; dead letters keep their reason and kind for the
        technician, but their body (the citizen's form and identity) is emptied.
        """
        with self._db.transaction(tx) as conn:
            deleted = conn.execute(
                "DELETE FROM outbox WHERE local_id = ? AND state = 'done'", (local_id,)
            ).rowcount
            redacted = conn.execute(
                "UPDATE outbox SET body = ? WHERE local_id = ? AND state = 'dead'",
                (_REDACTED_TEXT, local_id),
            ).rowcount
        return deleted + redacted

    def redact_dead(self, older_than: float, *, tx: sqlite3.Connection | None = None) -> int:
        """Empty the bodies of dead letters settled before `older_than` (reasons stay)."""
        with self._db.transaction(tx) as conn:
            cursor = conn.execute(
                "UPDATE outbox SET body = ? WHERE state = 'dead' AND settled_at < ? AND body != ?",
                (_REDACTED_TEXT, older_than, _REDACTED_TEXT),
            )
        return cursor.rowcount


def _item(row: tuple[Any, ...]) -> OutboxItem:
    (id, kind, key, local_id, body, created_at, attempts, next_at, state, error, result) = row
    return OutboxItem(
        id=id,
        kind=OutboxKind(kind),
        key=key,
        local_id=local_id,
        body=json.loads(body),
        created_at=created_at,
        attempts=attempts,
        next_attempt_at=next_at,
        state=state,
        last_error=error,
        result=None if result is None else json.loads(result),
    )
