"""Requests made at this kiosk: what the citizen needs to come back for their letter.

A request is recorded the moment the citizen confirms (with its outbox item, in one
transaction), long before the backend may have answered. The citizen finds it again by
the pickup code on the receipt, by tapping the same e-KTP, or by typing the same NIK.
None of those three is stored: only keyed hashes of them (PBKDF2 with a random salt kept
in this database), which answer "is it this one?" and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from apm_api.models import LetterRequest, RequestStatus
from kiosk.pickup import CODE_DIGITS, parse_pickup_code
from kiosk.storage.db import KioskDB

LOCAL_ID_PATTERN = re.compile(r"^[A-Z0-9-]{4,32}$")
HASH_ITERATIONS = 10_000  # about 6 ms per hash: a lookup is fine, a brute force is slow

QUEUED = "queued"  # waiting in the outbox: the backend has not answered yet
FAILED = "failed"  # the backend refused the request for good (dead letter)
FINAL_STATUSES = frozenset({FAILED, *(s.value for s in RequestStatus if s.is_final)})


class RequestIdConflict(ValueError):
    """The backend gave one request id to two requests made here (a backend bug)."""


@dataclass(frozen=True)
class LocalRequest:
    local_id: str  # the kiosk reference printed on the receipt, e.g. "K-7Q3M-9XA2"
    submit_item: int  # its outbox item
    request_id: str | None  # the backend's id, once it answered
    tracking_code: str | None
    service_code: str
    service_name: dict[str, Any]  # {"id": ..., "en": ...}
    status: str  # "queued", a RequestStatus value, or "failed"
    status_reason: str | None  # why it failed or was rejected (Indonesian)
    document_sha256: str | None
    letter_on_disk: bool
    identity_verified: bool
    created_at: float
    updated_at: float

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


_COLUMNS = (
    "local_id, submit_item, request_id, tracking_code, service_code, service_name, status, "
    "status_reason, document_sha256, letter_on_disk, identity_verified, created_at, updated_at"
)


class LocalRequests:
    def __init__(self, db: KioskDB, *, clock: Any = time.time) -> None:
        self._db = db
        self._clock = clock
        self._salt: bytes | None = None
        self._iterations = HASH_ITERATIONS

    # --- recording ---------------------------------------------------------------------------

    def create(
        self,
        *,
        local_id: str,
        submit_item: int,
        service_code: str,
        service_name: dict[str, Any],
        pickup_code: str,
        card_uid: str | None,
        nik: str | None,
        identity_verified: bool = False,
        created_at: float | None = None,
        tx: sqlite3.Connection | None = None,
    ) -> LocalRequest:
        if not LOCAL_ID_PATTERN.fullmatch(local_id):
            raise ValueError("local_id must match ^[A-Z0-9-]{4,32}$")
        if parse_pickup_code(pickup_code) != pickup_code:
            raise ValueError(f"pickup_code must be {CODE_DIGITS} digits")
        now = self._clock()
        created = now if created_at is None else created_at
        # Hashing is slow on purpose: done before taking the database lock.
        hashes = (
            self._hash("pickup", pickup_code),
            self._hash("card", card_uid.upper()) if card_uid else None,
            self._hash("nik", nik) if nik else None,
        )
        with self._db.transaction(tx) as conn:
            conn.execute(
                "INSERT INTO local_requests (local_id, submit_item, service_code, service_name, "
                "status, identity_verified, pickup_hash, card_hash, nik_hash, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    local_id,
                    submit_item,
                    service_code,
                    json.dumps(service_name),
                    QUEUED,
                    int(identity_verified),
                    *hashes,
                    created,
                    now,
                ),
            )
            row = self._row(conn, "local_id = ?", local_id)
        assert row is not None
        return row

    def apply_answer(
        self, local_id: str, answer: LetterRequest, *, tx: sqlite3.Connection | None = None
    ) -> LocalRequest | None:
        """What the backend says about the request now; None if it is not known here.

        RequestIdConflict if that request id already belongs to another request here.
        """
        sha = answer.document.sha256 if answer.document else None
        reason = answer.reject_reason.id if answer.reject_reason else None
        with self._db.transaction(tx) as conn:
            other = conn.execute(
                "SELECT local_id FROM local_requests WHERE request_id = ? AND local_id != ?",
                (answer.id, local_id),
            ).fetchone()
            if other is not None:  # checked before writing: the caller's transaction goes on
                raise RequestIdConflict(
                    f"the backend's request {answer.id} is already recorded for {other[0]}, "
                    f"not applied to {local_id}"
                )
            conn.execute(
                "UPDATE local_requests SET request_id = ?, tracking_code = ?, status = ?, "
                "status_reason = ?, service_name = ?, identity_verified = ?, "
                # a different document (re-signed) is not the one on disk any more
                "letter_on_disk = CASE WHEN document_sha256 IS ? THEN letter_on_disk ELSE 0 END, "
                "document_sha256 = ?, updated_at = ? WHERE local_id = ?",
                (
                    answer.id,
                    answer.tracking_code,
                    answer.status.value,
                    reason,
                    json.dumps(answer.service_name.model_dump(exclude_none=True)),
                    int(answer.identity_verified),
                    sha,
                    sha,
                    self._clock(),
                    local_id,
                ),
            )
            return self._row(conn, "local_id = ?", local_id)

    def mark_failed(
        self, local_id: str, reason: str, *, tx: sqlite3.Connection | None = None
    ) -> LocalRequest | None:
        with self._db.transaction(tx) as conn:
            conn.execute(
                "UPDATE local_requests SET status = ?, status_reason = ?, updated_at = ? "
                "WHERE local_id = ?",
                (FAILED, reason, self._clock(), local_id),
            )
            return self._row(conn, "local_id = ?", local_id)

    def set_letter(
        self,
        local_id_or_request_id: str,
        sha256: str | None,
        on_disk: bool,
        *,
        tx: sqlite3.Connection | None = None,
    ) -> LocalRequest | None:
        with self._db.transaction(tx) as conn:
            conn.execute(
                "UPDATE local_requests SET document_sha256 = ?, letter_on_disk = ?, "
                "updated_at = ? WHERE local_id = ? OR request_id = ?",
                (sha256, int(on_disk), self._clock(), *(local_id_or_request_id,) * 2),
            )
            return self._row(conn, "local_id = ? OR request_id = ?", *(local_id_or_request_id,) * 2)

    def reissue_pickup_code(self, local_id: str, pickup_code: str) -> bool:
        """Give a request a new pickup code (the old one was never printed); False if the
        request is not known here. Only its hash is stored, like the first one's."""
        if parse_pickup_code(pickup_code) != pickup_code:
            raise ValueError(f"pickup_code must be {CODE_DIGITS} digits")
        hashed = self._hash("pickup", pickup_code)
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE local_requests SET pickup_hash = ?, updated_at = ? WHERE local_id = ?",
                (hashed, self._clock(), local_id),
            )
        return cursor.rowcount == 1

    def forget(self, local_id: str, *, tx: sqlite3.Connection | None = None) -> bool:
        """Remove the row: its hashes, status and reason leave the disk."""
        with self._db.transaction(tx) as conn:
            cursor = conn.execute("DELETE FROM local_requests WHERE local_id = ?", (local_id,))
        return cursor.rowcount == 1

    # --- finding ---------------------------------------------------------------------------------

    def get(self, local_id: str) -> LocalRequest | None:
        with self._db.read() as conn:
            return self._row(conn, "local_id = ?", local_id)

    def by_request_id(self, request_id: str) -> LocalRequest | None:
        with self._db.read() as conn:
            return self._row(conn, "request_id = ?", request_id)

    def by_pickup_code(self, code: str) -> LocalRequest | None:
        digits = parse_pickup_code(code)
        if digits is None:
            return None
        pickup_hash = self._hash("pickup", digits)
        with self._db.read() as conn:
            return self._row(conn, "pickup_hash = ?", pickup_hash)

    def by_card(self, uid: str) -> list[LocalRequest]:
        return self._rows("card_hash = ?", self._hash("card", uid.upper()))

    def by_nik(self, nik: str) -> list[LocalRequest]:
        return self._rows("nik_hash = ?", self._hash("nik", nik))

    def pending_server(self) -> list[LocalRequest]:
        """Known to the backend, not final, no verified letter on disk yet (to prefetch)."""
        finals = sorted(FINAL_STATUSES)
        marks = ", ".join("?" * len(finals))
        return self._rows(
            f"request_id IS NOT NULL AND letter_on_disk = 0 AND status NOT IN ({marks})", *finals
        )

    def expired(self, before: float) -> list[LocalRequest]:
        return self._rows("created_at < ?", before)

    def all(self) -> list[LocalRequest]:
        return self._rows("1")

    # --- plumbing --------------------------------------------------------------------------------

    def _rows(self, where: str, *args: Any) -> list[LocalRequest]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM local_requests WHERE {where} ORDER BY created_at, rowid",
                args,
            ).fetchall()
        return [_request(r) for r in rows]

    def _row(self, conn: sqlite3.Connection, where: str, *args: Any) -> LocalRequest | None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM local_requests WHERE {where}", args).fetchone()
        return _request(row) if row else None

    def _hash(self, purpose: str, value: str) -> str:
        """PBKDF2(salt, purpose + value): the same value in two DBs gives unrelated hashes."""
        salt, iterations = self._secret()
        data = f"{purpose}:{value.strip()}".encode()
        return hashlib.pbkdf2_hmac("sha256", data, salt, iterations).hex()

    def _secret(self) -> tuple[bytes, int]:
        if self._salt is None:
            with self._db.transaction() as conn:
                found = dict(
                    conn.execute(
                        "SELECT name, value FROM meta WHERE name IN ('lookup_salt', 'lookup_iterations')"
                    ).fetchall()
                )
                if "lookup_salt" not in found:
                    found = {
                        "lookup_salt": secrets.token_hex(32),
                        "lookup_iterations": str(HASH_ITERATIONS),
                    }
                    conn.executemany("INSERT INTO meta (name, value) VALUES (?, ?)", found.items())
            self._iterations = int(found["lookup_iterations"])
            self._salt = bytes.fromhex(found["lookup_salt"])
        return self._salt, self._iterations


def _request(row: tuple[Any, ...]) -> LocalRequest:
    (
        local_id,
        submit_item,
        request_id,
        tracking_code,
        service_code,
        service_name,
        status,
        reason,
        sha,
        on_disk,
        verified,
        created_at,
        updated_at,
    ) = row
    return LocalRequest(
        local_id=local_id,
        submit_item=submit_item,
        request_id=request_id,
        tracking_code=tracking_code,
        service_code=service_code,
        service_name=json.loads(service_name),
        status=status,
        status_reason=reason,
        document_sha256=sha,
        letter_on_disk=bool(on_disk),
        identity_verified=bool(verified),
        created_at=created_at,
        updated_at=updated_at,
    )
