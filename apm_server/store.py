"""SQLite storage of the reference backend.

One short transaction per operation (WAL mode), so the HTTP threads, the auto-signer and
the `apm-server sign` command in another process can all use the same file safely.
Connections are kept in a small pool and reused: opening one (and reading the schema
again) cost more than the queries of a whole submit.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from apm_server import demo_data

SCHEMA = """
CREATE TABLE IF NOT EXISTS kiosks (id TEXT PRIMARY KEY, token TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS residents (
    nik TEXT PRIMARY KEY, name TEXT NOT NULL, card_uid TEXT UNIQUE,
    pin_salt TEXT NOT NULL, pin_hash TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, nik TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pin_failures (nik TEXT PRIMARY KEY, count INTEGER NOT NULL, locked_until TEXT);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY, tracking_code TEXT UNIQUE NOT NULL, nik TEXT NOT NULL,
    kiosk_id TEXT NOT NULL, service_code TEXT NOT NULL, fields TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    reject_reason TEXT, letter_number TEXT, signed_at TEXT, doc_sha256 TEXT, doc_size INTEGER,
    document BLOB, identity_verified INTEGER NOT NULL DEFAULT 1, kiosk_reference TEXT,
    submitted_at TEXT);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL, request_id TEXT NOT NULL,
    PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS ratings (kiosk_id TEXT, request_id TEXT, score INTEGER, at TEXT);
CREATE TABLE IF NOT EXISTS heartbeats (kiosk_id TEXT PRIMARY KEY, body TEXT, at TEXT);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS enrolments (
    token_hash TEXT PRIMARY KEY, label TEXT NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL, used_at TEXT, kiosk_id TEXT);
CREATE TABLE IF NOT EXISTS heartbeat_minutes (
    kiosk_id TEXT NOT NULL, minute INTEGER NOT NULL, PRIMARY KEY (kiosk_id, minute));
CREATE TABLE IF NOT EXISTS sign_jobs (
    request_id TEXT PRIMARY KEY, queued_at TEXT NOT NULL, error TEXT);
CREATE TABLE IF NOT EXISTS pin_misses (at REAL NOT NULL, kiosk_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pin_misses_at ON pin_misses (at);
"""

# Columns added after the first release: (name, definition) for ALTER TABLE on older files.
ADDED_REQUEST_COLUMNS = (
    ("identity_verified", "INTEGER NOT NULL DEFAULT 1"),  # 0: sent offline, without a session
    ("kiosk_reference", "TEXT"),
    ("submitted_at", "TEXT"),  # when the citizen confirmed at the kiosk, for offline requests
    ("printed_at", "TEXT"),  # when the kiosk reported the letter printed (collected)
)

# Columns of kiosks added with enrolment; its `token` column holds a token's digest.
ADDED_KIOSK_COLUMNS = (("label", "TEXT"), ("enrolled_at", "TEXT"), ("revoked_at", "TEXT"))

# What a RequestRow holds: everything but the signed PDF, which a status poll must not read.
_ROW_COLUMNS = (
    "id, tracking_code, nik, kiosk_id, service_code, fields, status, created_at, updated_at,"
    " reject_reason, letter_number, signed_at, doc_sha256, doc_size, identity_verified,"
    " kiosk_reference, submitted_at"
)

SESSION_MINUTES = 15
IDLE_CONNECTIONS = 8  # kept open for reuse; more may be open at once under load
TOKEN_CACHE_S = 30.0
MAX_PIN_FAILURES = 3
LOCK_SECONDS = 60  # never longer, however often a NIK is tried: see check_pin


def token_digest(token: str) -> str:
    """How a device or enrolment token is kept: tokens are 256-bit random, so one SHA-256
    is enough (nothing to guess from), and a copy of the database gives no working token."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


class EnrolmentRefused(Exception):
    """An enrolment token that is unknown, used already, or expired: which, in words."""


@dataclass(frozen=True)
class PinLimits:
    """Wrong PINs counted across NIKs, against spraying one common PIN over many NIKs
    (the per-NIK lock alone let 300 NIKs be tried in 3 seconds). Over a window: so many
    from one kiosk, so many from all kiosks; past either, PIN checks there (or everywhere)
    wait until the oldest counted miss has left the window. Cards are never limited."""

    window_s: float = 300.0
    per_kiosk: int = 10  # a village hall sees a mistyped PIN now and then, not 10 in 5 min
    overall: int = 100  # a district of 75 kiosks


@dataclass(frozen=True)
class PinCheck:
    resident: Resident | None = None
    locked_s: int | None = None  # this NIK is locked for so long
    throttled_s: int | None = None  # PIN checks at this kiosk (or all) wait so long


def now() -> datetime:
    return datetime.now(UTC)


def mask_nik(nik: str) -> str:
    return nik[:4] + "•" * 8 + nik[-4:]


_NO_SALT = "00" * 16


def _pin_hash(salt: str, pin: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), 20_000).hex()


@dataclass(frozen=True)
class Resident:
    nik: str
    name: str
    card_uid: str | None
    data: dict[str, str]


@dataclass(frozen=True)
class RequestRow:
    id: str
    tracking_code: str
    nik: str
    kiosk_id: str
    service_code: str
    fields: dict[str, str]
    status: str
    created_at: datetime
    updated_at: datetime
    reject_reason: str | None
    letter_number: str | None
    signed_at: datetime | None
    doc_sha256: str | None
    doc_size: int | None
    identity_verified: bool = True
    kiosk_reference: str | None = None
    submitted_at: datetime | None = None


class Store:
    """The server's database file.

    demo: load the demo residents (`demo_data.RESIDENTS`) into a database that has none.
    The demo kiosk and its token are registered in any new database (the reference server
    has no other way to enrol a kiosk); residents without the demo come from
    `add_resident`.
    """

    def __init__(
        self, path: Path, *, demo: bool = False, pin_limits: PinLimits | None = None
    ) -> None:
        self.pin_limits = pin_limits or PinLimits()
        self.path = path
        self._idle: list[sqlite3.Connection] = []
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (kiosk id, when looked up)
        self._idle_lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        setup = sqlite3.connect(path, timeout=10)
        try:
            setup.execute("PRAGMA journal_mode=WAL")  # not allowed inside a transaction
            setup.executescript(SCHEMA)
            _migrate(setup)
        finally:
            setup.close()
        with self._db() as db:
            if db.execute("SELECT COUNT(*) FROM kiosks").fetchone()[0] == 0:
                db.execute(
                    "INSERT INTO kiosks (id, token, label) VALUES (?, ?, ?)",
                    (demo_data.KIOSK_ID, token_digest(demo_data.KIOSK_TOKEN), "Demo kiosk"),
                )
            if demo and db.execute("SELECT COUNT(*) FROM residents").fetchone()[0] == 0:
                for r in demo_data.RESIDENTS:
                    data = {k: v for k, v in r.items() if k not in _IDENTITY_KEYS}
                    _insert_resident(db, r["nik"], r["name"], r["card_uid"], str(r["pin"]), data)

    def close(self) -> None:
        """Close the pooled connections (a later operation opens new ones)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()

    @contextmanager
    def _db(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; `write` takes the write lock at once (no upgrade deadlocks).

        A read runs in autocommit mode: each SELECT sees one consistent snapshot, and
        a BEGIN/COMMIT pair around it would only cost two more statements per request.
        """
        db = self._take()
        if not write:
            try:
                yield db
            except BaseException:
                self._roll_back(db)
                raise
            self._give_back(db)
            return
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        except BaseException:
            self._roll_back(db)
            raise
        self._give_back(db)

    def _roll_back(self, db: sqlite3.Connection) -> None:
        try:
            if db.in_transaction:
                db.execute("ROLLBACK")
        except sqlite3.Error:  # a connection that cannot roll back is not reused
            db.close()
            return
        self._give_back(db)

    def _take(self) -> sqlite3.Connection:
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        # Up to IDLE_CONNECTIONS stay open, each with its own page cache; letters are
        # stored in the database, so 2 MiB each (the default) would add up in the demo,
        # which runs this server inside the kiosk's process.
        db.execute("PRAGMA cache_size=-512")
        return db

    def _give_back(self, db: sqlite3.Connection) -> None:
        with self._idle_lock:
            if len(self._idle) < IDLE_CONNECTIONS:
                self._idle.append(db)
                return
        db.close()

    def add_resident(
        self, nik: str, name: str, card_uid: str | None, pin: str, data: dict[str, str]
    ) -> None:
        """Register a resident (PIN kept as a salted hash); data fills forms in advance."""
        with self._db() as db:
            _insert_resident(db, nik, name, card_uid, pin, data)

    # --- kiosks and residents ---------------------------------------------------------

    def add_kiosk(self, kiosk_id: str, token: str, label: str = "") -> None:
        """Register a kiosk and its device token (kept as its digest)."""
        with self._db() as db:
            db.execute(
                "INSERT INTO kiosks (id, token, label, enrolled_at) VALUES (?, ?, ?, ?)",
                (kiosk_id, token_digest(token), label or kiosk_id, now().isoformat()),
            )

    # --- enrolment -----------------------------------------------------------------------

    def create_enrolment(self, label: str, valid_hours: int) -> tuple[str, datetime]:
        """A one-time enrolment token (shown once; kept as its digest) and when it expires."""
        token = secrets.token_urlsafe(32)
        created = now()
        expires = created + timedelta(hours=valid_hours)
        with self._db() as db:
            db.execute(
                "INSERT INTO enrolments (token_hash, label, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_digest(token), label, created.isoformat(), expires.isoformat()),
            )
        return token, expires

    def enrol(self, enrolment_token: str) -> tuple[str, str, str]:
        """(kiosk id, device token, label) for a valid enrolment token, which is then used
        up in the same transaction: two kiosks racing with one token get one answer."""
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM enrolments WHERE token_hash = ?", (token_digest(enrolment_token),)
            ).fetchone()
            if row is None:
                raise EnrolmentRefused("unknown enrolment token")
            if row["used_at"]:
                raise EnrolmentRefused(f"enrolment token already used, by {row['kiosk_id']}")
            if datetime.fromisoformat(row["expires_at"]) <= now():
                raise EnrolmentRefused("enrolment token expired")
            kiosk_id = f"KIOSK-{secrets.token_hex(4).upper()}"
            device_token = secrets.token_urlsafe(32)
            db.execute(
                "INSERT INTO kiosks (id, token, label, enrolled_at) VALUES (?, ?, ?, ?)",
                (kiosk_id, token_digest(device_token), row["label"], now().isoformat()),
            )
            db.execute(
                "UPDATE enrolments SET used_at = ?, kiosk_id = ? WHERE token_hash = ?",
                (now().isoformat(), kiosk_id, row["token_hash"]),
            )
        return kiosk_id, device_token, str(row["label"])

    def revoke_kiosk(self, kiosk_id: str) -> bool:
        """The kiosk's device token stops working now (in this process; others within
        TOKEN_CACHE_S). False if there is no such kiosk."""
        with self._db() as db:
            done = db.execute(
                "UPDATE kiosks SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (now().isoformat(), kiosk_id),
            ).rowcount
            known = db.execute("SELECT 1 FROM kiosks WHERE id = ?", (kiosk_id,)).fetchone()
        self._tokens = {d: k for d, k in self._tokens.items() if k[0] != kiosk_id}
        return bool(done or known)

    def kiosk_for_token(self, token: str) -> str | None:
        """The kiosk a device token belongs to; asked on every request, so remembered for
        a short while (a revoked token stops working within TOKEN_CACHE_S)."""
        now = time.monotonic()
        digest = token_digest(token)
        known = self._tokens.get(digest)
        if known is not None and now - known[1] < TOKEN_CACHE_S:
            return known[0]
        with self._db(write=False) as db:
            row = db.execute(
                "SELECT id FROM kiosks WHERE token = ? AND revoked_at IS NULL", (digest,)
            ).fetchone()
        if row is None:
            self._tokens.pop(digest, None)
            return None
        if len(self._tokens) > 1000:  # a flood of wrong tokens must not grow it forever
            self._tokens.clear()
        self._tokens[digest] = (row["id"], now)
        return str(row["id"])

    def resident_by_card(self, card_uid: str) -> Resident | None:
        with self._db(write=False) as db:
            row = db.execute("SELECT * FROM residents WHERE card_uid = ?", (card_uid,)).fetchone()
        return _resident(row) if row else None

    def resident(self, nik: str) -> Resident | None:
        with self._db(write=False) as db:
            row = db.execute("SELECT * FROM residents WHERE nik = ?", (nik,)).fetchone()
        return _resident(row) if row else None

    def check_pin(self, nik: str, pin: str, kiosk_id: str = "") -> PinCheck:
        """The resident, or why not: this NIK locked, or PIN checks at this kiosk (or at all
        kiosks) held back after too many misses across NIKs, or (neither set) a wrong PIN.

        A locked NIK stays locked LOCK_SECONDS from its third miss; tries during the lock
        neither count nor extend it, so someone typing a neighbour's NIK can keep it locked
        a minute at a time at most, and the neighbour's card still works meanwhile."""
        with self._db() as db:
            throttled = self._throttled(db, kiosk_id)
            if throttled:
                return PinCheck(throttled_s=throttled)
            failure = db.execute("SELECT * FROM pin_failures WHERE nik = ?", (nik,)).fetchone()
            if failure and failure["locked_until"]:
                left = datetime.fromisoformat(failure["locked_until"]) - now()
                if left.total_seconds() > 0:
                    return PinCheck(locked_s=max(1, int(left.total_seconds())))
            row = db.execute("SELECT * FROM residents WHERE nik = ?", (nik,)).fetchone()
            # An unknown NIK costs the same hashing as a known one: the answer time must not
            # tell which NIKs are registered.
            salt, expected = (row["pin_salt"], row["pin_hash"]) if row else (_NO_SALT, "")
            if secrets.compare_digest(_pin_hash(salt, pin), expected) and row:
                db.execute("DELETE FROM pin_failures WHERE nik = ?", (nik,))
                return PinCheck(resident=_resident(row))
            db.execute("INSERT INTO pin_misses VALUES (?, ?)", (time.time(), kiosk_id))
            count = (failure["count"] if failure and not failure["locked_until"] else 0) + 1
            locked = (
                (now() + timedelta(seconds=LOCK_SECONDS)).isoformat()
                if count >= MAX_PIN_FAILURES
                else None
            )
            db.execute(
                "INSERT OR REPLACE INTO pin_failures VALUES (?, ?, ?)",
                (nik, 0 if locked else count, locked),
            )
            return PinCheck(locked_s=LOCK_SECONDS if locked else None)

    def _throttled(self, db: sqlite3.Connection, kiosk_id: str) -> int | None:
        """Seconds until PIN checks may go on here, if too many missed lately (else None)."""
        limits, now_s = self.pin_limits, time.time()
        since = now_s - limits.window_s
        db.execute("DELETE FROM pin_misses WHERE at < ?", (since,))
        waits = []
        for where, args, limit in (
            ("kiosk_id = ? AND", (kiosk_id,), limits.per_kiosk),
            ("", (), limits.overall),
        ):
            # The limit-th newest miss: once it leaves the window, one more try is allowed.
            row = db.execute(
                f"SELECT at FROM pin_misses WHERE {where} at >= ? ORDER BY at DESC"
                " LIMIT 1 OFFSET ?",
                (*args, since, limit - 1),
            ).fetchone()
            if row is not None:
                waits.append(max(1, math.ceil(row["at"] + limits.window_s - now_s)))
        return max(waits) if waits else None

    # --- sessions -----------------------------------------------------------------------

    def new_session(self, nik: str) -> tuple[str, datetime]:
        token = secrets.token_urlsafe(24)
        expires = now() + timedelta(minutes=SESSION_MINUTES)
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (now().isoformat(),))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (token, nik, expires.isoformat()))
        return token, expires

    def session_nik(self, token: str) -> str | None:
        with self._db(write=False) as db:
            row = db.execute("SELECT * FROM sessions WHERE token = ?", (token,)).fetchone()
        if row is None or datetime.fromisoformat(row["expires_at"]) < now():
            return None
        return str(row["nik"])

    # --- requests -------------------------------------------------------------------------

    def idempotent_request(self, scope: str, key: str) -> tuple[str, str] | None:
        """(body hash, request id) stored for this key, if any."""
        with self._db(write=False) as db:
            row = db.execute(
                "SELECT body_hash, request_id FROM idempotency WHERE scope = ? AND key = ?",
                (scope, key),
            ).fetchone()
        return (row["body_hash"], row["request_id"]) if row else None

    def create_request(
        self,
        *,
        key: str,
        body_hash: str,
        nik: str,
        kiosk_id: str,
        service_code: str,
        fields: dict[str, str],
        status: str,
        identity_verified: bool = True,
        kiosk_reference: str | None = None,
        submitted_at: datetime | None = None,
    ) -> tuple[str, bool]:
        """Create a request once per idempotency key: (request id, created now?)."""
        with self._db() as db:
            row = db.execute(
                "SELECT body_hash, request_id FROM idempotency WHERE scope = ? AND key = ?",
                (kiosk_id, key),
            ).fetchone()
            if row:
                return row["request_id"], False
            stamp = now()
            day = stamp.astimezone(_WIB).strftime("%d%m%y")
            number = _next(db, f"tracking-{day}")
            request_id = "req-" + secrets.token_hex(8)
            db.execute(
                "INSERT INTO requests (id, tracking_code, nik, kiosk_id, service_code, fields, status,"
                " created_at, updated_at, identity_verified, kiosk_reference, submitted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request_id,
                    f"{day}-{number:03d}",
                    nik,
                    kiosk_id,
                    service_code,
                    json.dumps(fields),
                    status,
                    stamp.isoformat(),
                    stamp.isoformat(),
                    int(identity_verified),
                    kiosk_reference,
                    submitted_at.astimezone(UTC).isoformat() if submitted_at else None,
                ),
            )
            db.execute(
                "INSERT INTO idempotency VALUES (?, ?, ?, ?)",
                (kiosk_id, key, body_hash, request_id),
            )
            return request_id, True

    def request(self, request_id: str) -> RequestRow | None:
        with self._db(write=False) as db:
            row = db.execute(
                f"SELECT {_ROW_COLUMNS} FROM requests WHERE id = ?", (request_id,)
            ).fetchone()
        return _request(row) if row else None

    def open_requests(self, nik: str) -> list[RequestRow]:
        with self._db(write=False) as db:
            rows = db.execute(
                f"SELECT {_ROW_COLUMNS} FROM requests WHERE nik = ?"
                " AND status NOT IN ('collected', 'cancelled', 'rejected')"
                " ORDER BY created_at DESC, rowid DESC",
                (nik,),
            ).fetchall()
        return [_request(r) for r in rows]

    def requests(self, *, newest: int | None = None) -> list[RequestRow]:
        """Every request, oldest first; or only the `newest` so many, newest first (the
        back-office page: the database picks them, not a sort of the whole table)."""
        order = (
            "ORDER BY created_at, rowid"
            if newest is None
            else ("ORDER BY created_at DESC, rowid DESC LIMIT ?")
        )
        with self._db(write=False) as db:
            rows = db.execute(
                f"SELECT {_ROW_COLUMNS} FROM requests {order}",
                () if newest is None else (newest,),
            ).fetchall()
        return [_request(r) for r in rows]

    # --- the back office's signing queue (a worker signs; the page never waits) ------------

    def queue_signature(self, request_id: str) -> None:
        """Ask for a signature; asking again clears a failure, so the job is tried anew."""
        with self._db() as db:
            db.execute(
                "INSERT INTO sign_jobs VALUES (?, ?, NULL)"
                " ON CONFLICT (request_id) DO UPDATE SET error = NULL",
                (request_id, now().isoformat()),
            )

    def next_signature(self) -> str | None:
        """The oldest job that has not failed."""
        with self._db(write=False) as db:
            row = db.execute(
                "SELECT request_id FROM sign_jobs WHERE error IS NULL ORDER BY queued_at LIMIT 1"
            ).fetchone()
        return str(row[0]) if row else None

    def finish_signature(self, request_id: str, error: str | None) -> None:
        with self._db() as db:
            if error is None:
                db.execute("DELETE FROM sign_jobs WHERE request_id = ?", (request_id,))
            else:
                db.execute(
                    "UPDATE sign_jobs SET error = ? WHERE request_id = ?", (error, request_id)
                )

    def signature_jobs(self) -> dict[str, str | None]:
        """request id -> None (waiting) or why it failed."""
        with self._db(write=False) as db:
            return dict(db.execute("SELECT request_id, error FROM sign_jobs").fetchall())

    def awaiting_signature(self) -> list[RequestRow]:
        with self._db(write=False) as db:
            rows = db.execute(
                f"SELECT {_ROW_COLUMNS} FROM requests WHERE status = 'awaiting_signature'"
            ).fetchall()
        return [_request(r) for r in rows]

    def set_status(self, request_id: str, status: str, *, reject_reason: str | None = None) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE requests SET status = ?, reject_reason = COALESCE(?, reject_reason), updated_at = ?"
                " WHERE id = ?",
                (status, reject_reason, now().isoformat(), request_id),
            )

    def mark_collected(self, request_id: str) -> None:
        """ready -> collected; nothing happens in any other state."""
        with self._db() as db:
            db.execute(
                "UPDATE requests SET status = 'collected', updated_at = ?, printed_at = ?"
                " WHERE id = ? AND status = 'ready'",
                (now().isoformat(), now().isoformat(), request_id),
            )

    def next_letter_number(self, year: int) -> int:
        with self._db() as db:
            return _next(db, f"letter-{year}")

    def store_document(
        self, request_id: str, letter_number: str, pdf: bytes, signed_at: datetime
    ) -> bool:
        """Keep the signed letter and mark the request ready; False if it was not awaiting."""
        with self._db() as db:
            cursor = db.execute(
                "UPDATE requests SET status = 'ready', letter_number = ?, signed_at = ?, doc_sha256 = ?,"
                " doc_size = ?, document = ?, updated_at = ? WHERE id = ? AND status = 'awaiting_signature'",
                (
                    letter_number,
                    signed_at.isoformat(),
                    hashlib.sha256(pdf).hexdigest(),
                    len(pdf),
                    pdf,
                    now().isoformat(),
                    request_id,
                ),
            )
            return cursor.rowcount == 1

    def document(self, request_id: str) -> bytes | None:
        with self._db(write=False) as db:
            row = db.execute("SELECT document FROM requests WHERE id = ?", (request_id,)).fetchone()
        return bytes(row["document"]) if row and row["document"] is not None else None

    def add_rating(self, kiosk_id: str, request_id: str | None, score: int) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO ratings VALUES (?, ?, ?, ?)",
                (kiosk_id, request_id, score, now().isoformat()),
            )

    def ratings(self) -> list[dict[str, Any]]:
        with self._db(write=False) as db:
            return [dict(r) for r in db.execute("SELECT * FROM ratings").fetchall()]

    def fleet(self) -> list[tuple[str, str, bool, str | None, str | None]]:
        """Every kiosk: (id, label, revoked, latest heartbeat JSON, when it came), by id."""
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT k.id, k.label, k.revoked_at, h.body, h.at FROM kiosks k"
                " LEFT JOIN heartbeats h ON h.kiosk_id = k.id ORDER BY k.id"
            ).fetchall()
        return [(r[0], r[1] or r[0], r[2] is not None, r[3], r[4]) for r in rows]

    def add_heartbeat(self, kiosk_id: str, body: str) -> None:
        """The latest heartbeat, and the minute it came in (availability is the share of
        minutes with one: a kiosk sends one a minute)."""
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO heartbeats VALUES (?, ?, ?)",
                (kiosk_id, body, now().isoformat()),
            )
            db.execute(
                "INSERT OR IGNORE INTO heartbeat_minutes VALUES (?, ?)",
                (kiosk_id, int(time.time() // 60)),
            )

    def figures(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Per kiosk, over [start, end): what SNI ISO 37122 evaluations ask of a
        self-service point (services delivered, how long they took, availability, ratings)."""
        span = (start.isoformat(), end.isoformat())
        minutes = (int(start.timestamp() // 60), int(end.timestamp() // 60))
        with self._db(write=False) as db:
            kiosks = db.execute("SELECT id, label FROM kiosks ORDER BY id").fetchall()
            requests = db.execute(
                "SELECT kiosk_id, status, created_at, signed_at, printed_at, updated_at"
                " FROM requests WHERE (created_at >= ? AND created_at < ?)"
                " OR (signed_at >= ? AND signed_at < ?) OR (printed_at >= ? AND printed_at < ?)",
                span * 3,
            ).fetchall()
            beats = dict(
                db.execute(
                    "SELECT kiosk_id, COUNT(*) FROM heartbeat_minutes"
                    " WHERE minute >= ? AND minute < ? GROUP BY kiosk_id",
                    minutes,
                ).fetchall()
            )
            ratings = db.execute(
                "SELECT kiosk_id, score FROM ratings WHERE at >= ? AND at < ?", span
            ).fetchall()
        rows = []
        for kiosk in kiosks:
            mine = [r for r in requests if r["kiosk_id"] == kiosk["id"]]
            scores = [r["score"] for r in ratings if r["kiosk_id"] == kiosk["id"]]
            rows.append(
                _figures_row(kiosk["id"], kiosk["label"] or kiosk["id"], mine, scores, span)
                | {"heartbeat_minutes": beats.get(kiosk["id"], 0)}
            )
        village = _figures_row(None, "Desa", list(requests), [r["score"] for r in ratings], span)
        rows.append(village | {"heartbeat_minutes": sum(beats.values()), "kiosks": len(kiosks)})
        return rows


_WIB = timezone(timedelta(hours=7), "WIB")  # the villages' clock


def wib(moment: datetime) -> datetime:
    return moment.astimezone(_WIB)


_IDENTITY_KEYS = ("nik", "name", "card_uid", "pin")  # the rest of a demo resident prefills forms


def _insert_resident(
    db: sqlite3.Connection,
    nik: str,
    name: str,
    card_uid: str | None,
    pin: str,
    data: dict[str, str],
) -> None:
    salt = secrets.token_hex(16)
    db.execute(
        "INSERT INTO residents VALUES (?, ?, ?, ?, ?, ?)",
        (nik, name, card_uid, salt, _pin_hash(salt, pin), json.dumps(data)),
    )


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a database made by an earlier version up to SCHEMA (columns only ever added).

    Under the write lock, so two processes starting on an old file do not both add them.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        for table, added in (("requests", ADDED_REQUEST_COLUMNS), ("kiosks", ADDED_KIOSK_COLUMNS)):
            have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for name, definition in added:
                if name not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")
        # Device tokens were kept as they are before enrolment came: keep digests only.
        for kiosk_id, token in db.execute("SELECT id, token FROM kiosks").fetchall():
            if not token.startswith("sha256:"):
                db.execute(
                    "UPDATE kiosks SET token = ? WHERE id = ?", (token_digest(token), kiosk_id)
                )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _next(db: sqlite3.Connection, name: str) -> int:
    db.execute("INSERT OR IGNORE INTO counters VALUES (?, 0)", (name,))
    db.execute("UPDATE counters SET value = value + 1 WHERE name = ?", (name,))
    return int(db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()[0])


def _resident(row: sqlite3.Row) -> Resident:
    return Resident(row["nik"], row["name"], row["card_uid"], json.loads(row["data"]))


def _request(row: sqlite3.Row) -> RequestRow:
    def moment(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return RequestRow(
        id=row["id"],
        tracking_code=row["tracking_code"],
        nik=row["nik"],
        kiosk_id=row["kiosk_id"],
        service_code=row["service_code"],
        fields=json.loads(row["fields"]),
        status=row["status"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        reject_reason=row["reject_reason"],
        letter_number=row["letter_number"],
        signed_at=moment(row["signed_at"]),
        doc_sha256=row["doc_sha256"],
        doc_size=row["doc_size"],
        identity_verified=bool(row["identity_verified"]),
        kiosk_reference=row["kiosk_reference"],
        submitted_at=moment(row["submitted_at"]),
    )


def _figures_row(
    kiosk_id: str | None, label: str, requests: list[Any], scores: list[int], span: tuple[str, str]
) -> dict[str, Any]:
    def within(value: str | None) -> bool:
        return value is not None and span[0] <= value < span[1]

    def hours(rows: list[Any], end: str) -> float | None:
        taken = sorted(
            (datetime.fromisoformat(r[end]) - datetime.fromisoformat(r["created_at"]))
            .total_seconds() / 3600
            for r in rows
        )  # fmt: skip
        return round(statistics.median(taken), 2) if taken else None

    signed = [r for r in requests if within(r["signed_at"])]
    printed = [r for r in requests if within(r["printed_at"])]
    return {
        "kiosk_id": kiosk_id,
        "label": label,
        "requests_submitted": sum(within(r["created_at"]) for r in requests),
        "letters_signed": len(signed),
        "letters_printed": len(printed),
        "requests_rejected": sum(
            r["status"] == "rejected" and within(r["updated_at"]) for r in requests
        ),
        "median_hours_to_signature": hours(signed, "signed_at"),
        "median_hours_to_print": hours(printed, "printed_at"),
        "ratings": len(scores),
        "mean_rating": round(sum(scores) / len(scores), 2) if scores else None,
    }
