"""Storage of the reference backend and district service: SQLAlchemy Core over an
embedded SQLite file (the demo, tests, one village) or PostgreSQL (a district).

One short transaction per operation, so the request threads, the signers and the
`apm-server` commands in other processes can all use the same database. Where operations
race, the database decides (see apm_server.database for the engines):
- queue and letter numbers come from one atomic upsert of a counter row
  (`... ON CONFLICT DO UPDATE SET value = value + 1 RETURNING value`), taken in the
  transaction that stores the request: two submits never share a number, and a submit
  that fails gives its number back;
- a submit first claims its (kiosk, idempotency key) with `ON CONFLICT DO NOTHING`: a
  concurrent retry waits for the first and then gets its request;
- an enrolment token is read `FOR UPDATE`: a second kiosk racing with it sees it used;
- PIN checks of one kiosk, and of one NIK, take turns (see `check_pin`).
On SQLite every write transaction holds the only write lock (BEGIN IMMEDIATE) anyway.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Table, delete, func, select, true, update
from sqlalchemy.exc import IntegrityError

from apm_api.models import Text, Village
from apm_server import demo_data
from apm_server.database import begin_write, database_url, lock, open_engine, prepare
from apm_server.schema import (
    closures,
    counters,
    enrolments,
    heartbeat_minutes,
    heartbeats,
    idempotency,
    kiosks,
    pin_failures,
    pin_misses,
    ratings,
    requests,
    residents,
    sessions,
    sign_jobs,
    villages,
)

DEMO_VILLAGE = demo_data.VILLAGE.code

SESSION_MINUTES = 15
TOKEN_CACHE_S = 30.0
MAX_PIN_FAILURES = 3
LOCK_SECONDS = 60  # never longer, however often a NIK is tried: see check_pin

# What a RequestRow holds: everything but the signed PDF, which a status poll must not read.
_ROW_COLUMNS = [column for column in requests.c if column.name != "document"]


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
    village_code: str = DEMO_VILLAGE


@dataclass(frozen=True)
class VillageRow:
    village: Village
    services: list[str]  # the service codes its kiosks offer, in their order


class Store:
    """The server's database: an SQLite file (a `Path`, or a path string) or a SQLAlchemy
    URL (a string with `://`, e.g. postgresql+psycopg://user:password@host/db).

    Opening it creates or migrates the schema. Any new database gets the demo village and
    the demo kiosk with its token (the reference server's first kiosk; others enrol);
    demo: the demo residents too, in a database that has no residents (otherwise they
    come from `add_resident`).

    Operations of one village take `village=` (the demo village by default); a row of
    another village is not there for them.
    """

    def __init__(
        self, location: Path | str, *, demo: bool = False, pin_limits: PinLimits | None = None
    ) -> None:
        self.pin_limits = pin_limits or PinLimits()
        url = database_url(location)
        sqlite_file = url.database if url.get_backend_name() == "sqlite" else None
        self.path = Path(sqlite_file) if sqlite_file else None
        self.url = url.render_as_string(hide_password=True)
        self.engine = open_engine(url)
        # INSERT ... ON CONFLICT is each dialect's own construct (imported only when used:
        # PostgreSQL's dialect alone takes 50 ms to import, at every start of the demo).
        self._insert_with_conflicts: Callable[[Table], Any]
        if self.engine.dialect.name == "sqlite":
            from sqlalchemy.dialects import sqlite

            self._insert_with_conflicts = sqlite.insert
        else:
            from sqlalchemy.dialects import postgresql

            self._insert_with_conflicts = postgresql.insert
        # Asked on every kiosk request, so remembered a while: token digest -> (kiosk id,
        # when looked up); kiosk id -> (its village, when looked up).
        self._tokens: dict[str, tuple[str, float]] = {}
        self._kiosk_villages: dict[str, tuple[str, float]] = {}
        prepare(self.engine)
        self._add_demo_data(demo)

    def _add_demo_data(self, demo: bool) -> None:
        with self._db() as db:
            lock(db, "apm-server demo data")  # two processes starting on one new database
            if db.execute(select(func.count()).select_from(villages)).scalar() == 0:
                _insert_village(db, demo_data.VILLAGE, [s.code for s in demo_data.SERVICES])
            if db.execute(select(func.count()).select_from(kiosks)).scalar() == 0:
                db.execute(
                    kiosks.insert().values(
                        id=demo_data.KIOSK_ID,
                        token=token_digest(demo_data.KIOSK_TOKEN),
                        label="Demo kiosk",
                        village_code=DEMO_VILLAGE,
                    )
                )
            if demo and db.execute(select(func.count()).select_from(residents)).scalar() == 0:
                for r in demo_data.RESIDENTS:
                    data = {k: v for k, v in r.items() if k not in _IDENTITY_KEYS}
                    _insert_resident(
                        db, r["nik"], r["name"], r["card_uid"], str(r["pin"]), data, DEMO_VILLAGE
                    )

    def close(self) -> None:
        """Close the pooled connections (a later operation opens new ones)."""
        self.engine.dispose()

    @contextmanager
    def _db(self, *, write: bool = True) -> Iterator[Connection]:
        """One transaction, committed if the block ends normally (a read's is rolled back:
        it changed nothing). On SQLite a write takes the write lock at once, and a read
        runs without a transaction (each SELECT sees one consistent snapshot)."""
        with self.engine.connect() as db:
            if write:
                begin_write(db)
            yield db
            if write:
                db.commit()

    def _insert(self, table: Table) -> Any:
        """INSERT with ON CONFLICT, in the database's own dialect."""
        return self._insert_with_conflicts(table)

    # --- villages ------------------------------------------------------------------------

    def add_village(self, village: Village, services: list[str]) -> None:
        """A village this server serves, with the service codes its kiosks offer."""
        try:
            with self._db() as db:
                _insert_village(db, village, services)
        except IntegrityError:
            raise ValueError(f"village {village.code} exists already") from None

    def village(self, code: str) -> VillageRow | None:
        with self._db(write=False) as db:
            row = db.execute(select(villages).where(villages.c.code == code)).first()
        return _village(row) if row else None

    def villages(self) -> list[VillageRow]:
        with self._db(write=False) as db:
            rows = db.execute(select(villages).order_by(villages.c.code)).all()
        return [_village(row) for row in rows]

    # --- kiosks and residents ---------------------------------------------------------

    def add_resident(
        self,
        nik: str,
        name: str,
        card_uid: str | None,
        pin: str,
        data: dict[str, str],
        *,
        village: str = DEMO_VILLAGE,
    ) -> None:
        """Register a resident (PIN kept as a salted hash); data fills forms in advance."""
        with self._db() as db:
            _insert_resident(db, nik, name, card_uid, pin, data, village)

    def add_kiosk(
        self, kiosk_id: str, token: str, label: str = "", *, village: str = DEMO_VILLAGE
    ) -> None:
        """Register a kiosk and its device token (kept as its digest)."""
        with self._db() as db:
            db.execute(
                kiosks.insert().values(
                    id=kiosk_id,
                    token=token_digest(token),
                    label=label or kiosk_id,
                    enrolled_at=now().isoformat(),
                    village_code=village,
                )
            )

    # --- enrolment -----------------------------------------------------------------------

    def create_enrolment(
        self, label: str, valid_hours: int, *, village: str = DEMO_VILLAGE
    ) -> tuple[str, datetime]:
        """A one-time enrolment token for a kiosk of `village` (shown once; kept as its
        digest) and when it expires."""
        token = secrets.token_urlsafe(32)
        created = now()
        expires = created + timedelta(hours=valid_hours)
        with self._db() as db:
            if (
                db.execute(select(villages.c.code).where(villages.c.code == village)).first()
                is None
            ):
                raise ValueError(f"no village {village!r} on this server: add it first")
            db.execute(
                enrolments.insert().values(
                    token_hash=token_digest(token),
                    label=label,
                    created_at=created.isoformat(),
                    expires_at=expires.isoformat(),
                    village_code=village,
                )
            )
        return token, expires

    def enrol(self, enrolment_token: str) -> tuple[str, str, str]:
        """(kiosk id, device token, label) for a valid enrolment token, which is then used
        up in the same transaction: two kiosks racing with one token get one answer (the
        row is locked; the second reads it used). The kiosk joins the token's village."""
        with self._db() as db:
            row = db.execute(
                select(enrolments)
                .where(enrolments.c.token_hash == token_digest(enrolment_token))
                .with_for_update()
            ).first()
            if row is None:
                raise EnrolmentRefused("unknown enrolment token")
            if row.used_at:
                raise EnrolmentRefused(f"enrolment token already used, by {row.kiosk_id}")
            if datetime.fromisoformat(row.expires_at) <= now():
                raise EnrolmentRefused("enrolment token expired")
            kiosk_id = f"KIOSK-{secrets.token_hex(4).upper()}"
            device_token = secrets.token_urlsafe(32)
            db.execute(
                kiosks.insert().values(
                    id=kiosk_id,
                    token=token_digest(device_token),
                    label=row.label,
                    enrolled_at=now().isoformat(),
                    village_code=row.village_code,
                )
            )
            db.execute(
                update(enrolments)
                .where(enrolments.c.token_hash == row.token_hash)
                .values(used_at=now().isoformat(), kiosk_id=kiosk_id)
            )
        return kiosk_id, device_token, str(row.label)

    def revoke_kiosk(self, kiosk_id: str) -> bool:
        """The kiosk's device token stops working now (in this process; others within
        TOKEN_CACHE_S). False if there is no such kiosk."""
        with self._db() as db:
            db.execute(
                update(kiosks)
                .where(kiosks.c.id == kiosk_id, kiosks.c.revoked_at.is_(None))
                .values(revoked_at=now().isoformat())
            )
            known = db.execute(select(kiosks.c.id).where(kiosks.c.id == kiosk_id)).first()
        self._tokens = {d: k for d, k in self._tokens.items() if k[0] != kiosk_id}
        return known is not None

    def kiosk_for_token(self, token: str) -> str | None:
        """The kiosk a device token belongs to; asked on every request, so remembered for
        a short while (a revoked token stops working within TOKEN_CACHE_S)."""
        moment = time.monotonic()
        digest = token_digest(token)
        known = self._tokens.get(digest)
        if known is not None and moment - known[1] < TOKEN_CACHE_S:
            return known[0]
        with self._db(write=False) as db:
            row = db.execute(
                select(kiosks.c.id, kiosks.c.village_code).where(
                    kiosks.c.token == digest, kiosks.c.revoked_at.is_(None)
                )
            ).first()
        if row is None:
            self._tokens.pop(digest, None)
            return None
        if len(self._tokens) > 1000:  # a flood of wrong tokens must not grow it forever
            self._tokens.clear()
        self._tokens[digest] = (row.id, moment)
        self._remember_village(row.id, row.village_code, moment)
        return str(row.id)

    def kiosk_village(self, kiosk_id: str) -> str | None:
        """The village a kiosk belongs to (None: no such kiosk); remembered like tokens (a
        kiosk never changes village)."""
        moment = time.monotonic()
        known = self._kiosk_villages.get(kiosk_id)
        if known is not None and moment - known[1] < TOKEN_CACHE_S:
            return known[0]
        with self._db(write=False) as db:
            village = db.execute(
                select(kiosks.c.village_code).where(kiosks.c.id == kiosk_id)
            ).scalar()
        if village is None:
            return None
        self._remember_village(kiosk_id, village, moment)
        return str(village)

    def _remember_village(self, kiosk_id: str, village: str, moment: float) -> None:
        if len(self._kiosk_villages) > 10_000:
            self._kiosk_villages.clear()
        self._kiosk_villages[kiosk_id] = (village, moment)

    def resident_by_card(self, card_uid: str, *, village: str = DEMO_VILLAGE) -> Resident | None:
        with self._db(write=False) as db:
            row = db.execute(
                select(residents).where(
                    residents.c.card_uid == card_uid, residents.c.village_code == village
                )
            ).first()
        return _resident(row) if row else None

    def resident(self, nik: str, *, village: str | None = None) -> Resident | None:
        """The resident with this NIK: in `village`, or (None) in any (the office's use)."""
        query = select(residents).where(residents.c.nik == nik)
        if village is not None:
            query = query.where(residents.c.village_code == village)
        with self._db(write=False) as db:
            row = db.execute(query).first()
        return _resident(row) if row else None

    def check_pin(
        self, nik: str, pin: str, kiosk_id: str = "", *, village: str = DEMO_VILLAGE
    ) -> PinCheck:
        """The resident of `village`, or why not: this NIK locked, or PIN checks at this
        kiosk (or at all kiosks) held back after too many misses across NIKs, or (neither
        set) a wrong PIN; a NIK of another village is a wrong PIN, at the same cost.

        A locked NIK stays locked LOCK_SECONDS from its third miss; tries during the lock
        neither count nor extend it, so someone typing a neighbour's NIK can keep it locked
        a minute at a time at most, and the neighbour's card still works meanwhile.

        One kiosk's checks take turns, and so do one NIK's, so parallel tries neither skip
        a NIK's lock nor a kiosk's limit; checks at different kiosks run side by side on
        PostgreSQL, so the overall limit may be passed by the checks in progress at once."""
        with self._db() as db:
            lock(db, f"pin kiosk {kiosk_id}")  # always kiosk first, then NIK: no deadlock
            lock(db, f"pin nik {nik}")
            throttled = self._throttled(db, kiosk_id)
            if throttled:
                return PinCheck(throttled_s=throttled)
            failure = db.execute(
                select(pin_failures.c.count.label("misses"), pin_failures.c.locked_until).where(
                    pin_failures.c.nik == nik
                )
            ).first()
            if failure and failure.locked_until:
                left = datetime.fromisoformat(failure.locked_until) - now()
                if left.total_seconds() > 0:
                    return PinCheck(locked_s=max(1, int(left.total_seconds())))
            row = db.execute(
                select(residents).where(residents.c.nik == nik, residents.c.village_code == village)
            ).first()
            # An unknown NIK costs the same hashing as a known one: the answer time must not
            # tell which NIKs are registered.
            salt, expected = (row.pin_salt, row.pin_hash) if row else (_NO_SALT, "")
            if secrets.compare_digest(_pin_hash(salt, pin), expected) and row:
                db.execute(delete(pin_failures).where(pin_failures.c.nik == nik))
                return PinCheck(resident=_resident(row))
            db.execute(pin_misses.insert().values(at=time.time(), kiosk_id=kiosk_id))
            count = (failure.misses if failure and not failure.locked_until else 0) + 1
            locked = (
                (now() + timedelta(seconds=LOCK_SECONDS)).isoformat()
                if count >= MAX_PIN_FAILURES
                else None
            )
            values = {"count": 0 if locked else count, "locked_until": locked}
            db.execute(
                self._insert(pin_failures)
                .values(nik=nik, **values)
                .on_conflict_do_update(index_elements=["nik"], set_=values)
            )
            return PinCheck(locked_s=LOCK_SECONDS if locked else None)

    def _throttled(self, db: Connection, kiosk_id: str) -> int | None:
        """Seconds until PIN checks may go on here, if too many missed lately (else None)."""
        limits, now_s = self.pin_limits, time.time()
        since = now_s - limits.window_s
        db.execute(delete(pin_misses).where(pin_misses.c.at < since))
        waits = []
        for where, limit in (
            (pin_misses.c.kiosk_id == kiosk_id, limits.per_kiosk),
            (true(), limits.overall),
        ):
            # The limit-th newest miss: once it leaves the window, one more try is allowed.
            at = db.execute(
                select(pin_misses.c.at)
                .where(where, pin_misses.c.at >= since)
                .order_by(pin_misses.c.at.desc())
                .limit(1)
                .offset(limit - 1)
            ).scalar()
            if at is not None:
                waits.append(max(1, math.ceil(at + limits.window_s - now_s)))
        return max(waits) if waits else None

    # --- sessions -----------------------------------------------------------------------

    def new_session(self, nik: str, *, village: str = DEMO_VILLAGE) -> tuple[str, datetime]:
        token = secrets.token_urlsafe(24)
        expires = now() + timedelta(minutes=SESSION_MINUTES)
        with self._db() as db:
            db.execute(delete(sessions).where(sessions.c.expires_at < now().isoformat()))
            db.execute(
                sessions.insert().values(
                    token=token, nik=nik, expires_at=expires.isoformat(), village_code=village
                )
            )
        return token, expires

    def session_nik(self, token: str, *, village: str = DEMO_VILLAGE) -> str | None:
        """The NIK of a live session opened at a kiosk of `village` (another village's
        session is no session here)."""
        with self._db(write=False) as db:
            row = db.execute(
                select(sessions.c.nik, sessions.c.expires_at).where(
                    sessions.c.token == token, sessions.c.village_code == village
                )
            ).first()
        if row is None or datetime.fromisoformat(row.expires_at) < now():
            return None
        return str(row.nik)

    # --- requests -------------------------------------------------------------------------

    def idempotent_request(self, scope: str, key: str) -> tuple[str, str] | None:
        """(body hash, request id) stored for this key, if any."""
        with self._db(write=False) as db:
            row = db.execute(
                select(idempotency.c.body_hash, idempotency.c.request_id).where(
                    idempotency.c.scope == scope, idempotency.c.key == key
                )
            ).first()
        return (row.body_hash, row.request_id) if row else None

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
        village: str = DEMO_VILLAGE,
    ) -> tuple[str, bool]:
        """Create a request once per idempotency key: (request id, created now?).

        The key is claimed first: a concurrent submit with the same key waits there until
        this one commits, then finds the key taken and answers with this request."""
        request_id = "req-" + secrets.token_hex(8)
        with self._db() as db:
            claimed = db.execute(
                self._insert(idempotency)
                .values(scope=kiosk_id, key=key, body_hash=body_hash, request_id=request_id)
                .on_conflict_do_nothing(index_elements=["scope", "key"])
                .returning(idempotency.c.request_id)
            ).first()
            if claimed is None:
                first = db.execute(
                    select(idempotency.c.request_id).where(
                        idempotency.c.scope == kiosk_id, idempotency.c.key == key
                    )
                ).scalar_one()
                return str(first), False
            day = wib(now()).strftime("%d%m%y")
            number = self._next(db, f"tracking-{village}-{day}")
            # Taken after the number (the counter row waits for the submit before): the
            # village's requests in time order are in queue order.
            stamp = now()
            db.execute(
                requests.insert().values(
                    id=request_id,
                    tracking_code=f"{day}-{number:03d}",
                    nik=nik,
                    kiosk_id=kiosk_id,
                    service_code=service_code,
                    fields=json.dumps(fields),
                    status=status,
                    created_at=stamp.isoformat(),
                    updated_at=stamp.isoformat(),
                    identity_verified=int(identity_verified),
                    kiosk_reference=kiosk_reference,
                    submitted_at=submitted_at.astimezone(UTC).isoformat() if submitted_at else None,
                    village_code=village,
                )
            )
            return request_id, True

    def request(self, request_id: str, *, village: str | None = None) -> RequestRow | None:
        """The request; with `village`, None if it is another village's."""
        query = select(*_ROW_COLUMNS).where(requests.c.id == request_id)
        if village is not None:
            query = query.where(requests.c.village_code == village)
        with self._db(write=False) as db:
            row = db.execute(query).first()
        return _request(row) if row else None

    def open_requests(self, nik: str, *, village: str = DEMO_VILLAGE) -> list[RequestRow]:
        """The resident's requests in `village` that are still going, newest first."""
        with self._db(write=False) as db:
            rows = db.execute(
                select(*_ROW_COLUMNS)
                .where(
                    requests.c.nik == nik,
                    requests.c.village_code == village,
                    requests.c.status.not_in(("collected", "cancelled", "rejected")),
                )
                .order_by(*_NEWEST_FIRST)
            ).all()
        return [_request(r) for r in rows]

    def requests(
        self, *, newest: int | None = None, village: str | None = None
    ) -> list[RequestRow]:
        """Every request (of `village`, or of all), oldest first; or only the `newest` so
        many, newest first (the back-office page: the database picks them, not a sort of
        the whole table)."""
        query = select(*_ROW_COLUMNS)
        if village is not None:
            query = query.where(requests.c.village_code == village)
        if newest is None:
            query = query.order_by(*_OLDEST_FIRST)
        else:
            query = query.order_by(*_NEWEST_FIRST).limit(newest)
        with self._db(write=False) as db:
            rows = db.execute(query).all()
        return [_request(r) for r in rows]

    # --- the back office's signing queue (a worker signs; the page never waits) ------------

    def queue_signature(self, request_id: str) -> None:
        """Ask for a signature; asking again clears a failure, so the job is tried anew."""
        with self._db() as db:
            db.execute(
                self._insert(sign_jobs)
                .values(request_id=request_id, queued_at=now().isoformat(), error=None)
                .on_conflict_do_update(index_elements=["request_id"], set_={"error": None})
            )

    def next_signature(self) -> str | None:
        """The oldest job that has not failed."""
        with self._db(write=False) as db:
            found = db.execute(
                select(sign_jobs.c.request_id)
                .where(sign_jobs.c.error.is_(None))
                .order_by(sign_jobs.c.queued_at)
                .limit(1)
            ).scalar()
        return str(found) if found is not None else None

    def finish_signature(self, request_id: str, error: str | None) -> None:
        with self._db() as db:
            if error is None:
                db.execute(delete(sign_jobs).where(sign_jobs.c.request_id == request_id))
            else:
                db.execute(
                    update(sign_jobs)
                    .where(sign_jobs.c.request_id == request_id)
                    .values(error=error)
                )

    # --- kiosks closed for a while ----------------------------------------------------

    def close_kiosks(self, village: str, reason: Text) -> None:
        """Close a village's kiosks (or every village's, ALL_VILLAGES) with a reason."""
        with self._db() as db:
            db.execute(
                self._insert(closures)
                .values(
                    village_code=village, reason=reason.model_dump_json(), since=now().isoformat()
                )
                .on_conflict_do_update(
                    index_elements=["village_code"], set_={"reason": reason.model_dump_json()}
                )
            )

    def open_kiosks(self, village: str | None) -> None:
        """Open a village's kiosks again (None: every closure ends)."""
        with self._db() as db:
            query = delete(closures)
            if village is not None:
                query = query.where(closures.c.village_code == village)
            db.execute(query)

    def closures(self) -> dict[str, Text]:
        """Village code (or ALL_VILLAGES) -> why its kiosks are closed."""
        with self._db(write=False) as db:
            rows = db.execute(select(closures.c.village_code, closures.c.reason)).all()
        return {row.village_code: Text.model_validate_json(row.reason) for row in rows}

    def signature_jobs(self) -> dict[str, str | None]:
        """request id -> None (waiting) or why it failed."""
        with self._db(write=False) as db:
            rows = db.execute(select(sign_jobs.c.request_id, sign_jobs.c.error)).all()
        return {row.request_id: row.error for row in rows}

    def awaiting_signature(self) -> list[RequestRow]:
        """Of every village."""
        with self._db(write=False) as db:
            rows = db.execute(
                select(*_ROW_COLUMNS).where(requests.c.status == "awaiting_signature")
            ).all()
        return [_request(r) for r in rows]

    def set_status(self, request_id: str, status: str, *, reject_reason: str | None = None) -> None:
        with self._db() as db:
            db.execute(
                update(requests)
                .where(requests.c.id == request_id)
                .values(
                    status=status,
                    reject_reason=func.coalesce(reject_reason, requests.c.reject_reason),
                    updated_at=now().isoformat(),
                )
            )

    def mark_collected(self, request_id: str) -> None:
        """ready -> collected; nothing happens in any other state."""
        moment = now().isoformat()
        with self._db() as db:
            db.execute(
                update(requests)
                .where(requests.c.id == request_id, requests.c.status == "ready")
                .values(status="collected", updated_at=moment, printed_at=moment)
            )

    def next_letter_number(self, year: int, *, village: str = DEMO_VILLAGE) -> int:
        """The village's next letter number in `year` (1, 2, ...)."""
        with self._db() as db:
            return self._next(db, f"letter-{village}-{year}")

    def store_document(
        self, request_id: str, letter_number: str, pdf: bytes, signed_at: datetime
    ) -> bool:
        """Keep the signed letter and mark the request ready; False if it was not awaiting."""
        with self._db() as db:
            stored = db.execute(
                update(requests)
                .where(requests.c.id == request_id, requests.c.status == "awaiting_signature")
                .values(
                    status="ready",
                    letter_number=letter_number,
                    signed_at=signed_at.isoformat(),
                    doc_sha256=hashlib.sha256(pdf).hexdigest(),
                    doc_size=len(pdf),
                    document=pdf,
                    updated_at=now().isoformat(),
                )
            )
            return stored.rowcount == 1

    def document(self, request_id: str) -> bytes | None:
        with self._db(write=False) as db:
            pdf = db.execute(
                select(requests.c.document).where(requests.c.id == request_id)
            ).scalar()
        return bytes(pdf) if pdf is not None else None

    def add_rating(self, kiosk_id: str, request_id: str | None, score: int) -> None:
        with self._db() as db:
            db.execute(
                ratings.insert().values(
                    kiosk_id=kiosk_id, request_id=request_id, score=score, at=now().isoformat()
                )
            )

    def ratings(self) -> list[dict[str, Any]]:
        with self._db(write=False) as db:
            return [dict(row._mapping) for row in db.execute(select(ratings)).all()]

    def fleet(self) -> list[tuple[str, str, bool, str | None, str | None, str]]:
        """Every kiosk: (id, label, revoked, latest heartbeat JSON, when it came, village
        code), by id."""
        with self._db(write=False) as db:
            rows = db.execute(
                select(
                    kiosks.c.id,
                    kiosks.c.label,
                    kiosks.c.revoked_at,
                    heartbeats.c.body,
                    heartbeats.c.at,
                    kiosks.c.village_code,
                )
                .select_from(kiosks.outerjoin(heartbeats, heartbeats.c.kiosk_id == kiosks.c.id))
                .order_by(kiosks.c.id)
            ).all()
        return [(r[0], r[1] or r[0], r[2] is not None, r[3], r[4], r[5]) for r in rows]

    def add_heartbeat(self, kiosk_id: str, body: str) -> None:
        """The latest heartbeat, and the minute it came in (availability is the share of
        minutes with one: a kiosk sends one a minute)."""
        moment = now().isoformat()
        with self._db() as db:
            db.execute(
                self._insert(heartbeats)
                .values(kiosk_id=kiosk_id, body=body, at=moment)
                .on_conflict_do_update(
                    index_elements=["kiosk_id"], set_={"body": body, "at": moment}
                )
            )
            db.execute(
                self._insert(heartbeat_minutes)
                .values(kiosk_id=kiosk_id, minute=int(time.time() // 60))
                .on_conflict_do_nothing(index_elements=["kiosk_id", "minute"])
            )

    def figures(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Over [start, end), what SNI ISO 37122 evaluations ask of a self-service point
        (services delivered, how long they took, availability, ratings): for each village,
        by code, a row per kiosk (by id) and then the village's own (kiosk_id None, with
        `kiosks`, how many it has). Every row says its `village_code`."""
        # Moments are kept as UTC ISO text and compared as text: the bounds must be UTC too
        # (a WIB midnight, 00:00+07:00, sorts after the 17:00+00:00 it is).
        span = (start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat())
        minutes = (int(start.timestamp() // 60), int(end.timestamp() // 60))
        with self._db(write=False) as db:
            all_villages = db.execute(
                select(villages.c.code, villages.c.name).order_by(villages.c.code)
            ).all()
            all_kiosks = db.execute(
                select(kiosks.c.id, kiosks.c.label, kiosks.c.village_code).order_by(kiosks.c.id)
            ).all()
            found = db.execute(
                select(
                    requests.c.village_code,
                    requests.c.kiosk_id,
                    requests.c.status,
                    requests.c.created_at,
                    requests.c.signed_at,
                    requests.c.printed_at,
                    requests.c.updated_at,
                ).where(
                    within(requests.c.created_at, span)
                    | within(requests.c.signed_at, span)
                    | within(requests.c.printed_at, span)
                )
            ).all()
            beats = {
                row.kiosk_id: row.minutes
                for row in db.execute(
                    select(heartbeat_minutes.c.kiosk_id, func.count().label("minutes"))
                    .where(within(heartbeat_minutes.c.minute, minutes))
                    .group_by(heartbeat_minutes.c.kiosk_id)
                ).all()
            }
            scores = db.execute(
                select(ratings.c.kiosk_id, ratings.c.score).where(within(ratings.c.at, span))
            ).all()
        requests_found = [dict(row._mapping) for row in found]
        village_of = {kiosk.id: kiosk.village_code for kiosk in all_kiosks}
        rows = []
        for village in all_villages:
            mine = [kiosk for kiosk in all_kiosks if kiosk.village_code == village.code]
            for kiosk in mine:
                rows.append(
                    _figures_row(
                        kiosk.id,
                        kiosk.label or kiosk.id,
                        [r for r in requests_found if r["kiosk_id"] == kiosk.id],
                        [s.score for s in scores if s.kiosk_id == kiosk.id],
                        span,
                    )
                    | {"village_code": village.code, "heartbeat_minutes": beats.get(kiosk.id, 0)}
                )
            summary = _figures_row(
                None,
                f"Desa {village.name}",
                [r for r in requests_found if r["village_code"] == village.code],
                [s.score for s in scores if village_of.get(s.kiosk_id) == village.code],
                span,
            )
            rows.append(
                summary
                | {
                    "village_code": village.code,
                    "heartbeat_minutes": sum(beats.get(kiosk.id, 0) for kiosk in mine),
                    "kiosks": len(mine),
                }
            )
        return rows

    def _next(self, db: Connection, name: str) -> int:
        """The counter's next value, atomically: the row stays locked until the caller's
        transaction ends, so numbers are handed out in turn and none is lost."""
        return int(
            db.execute(
                self._insert(counters)
                .values(name=name, value=1)
                .on_conflict_do_update(
                    index_elements=["name"], set_={"value": counters.c.value + 1}
                )
                .returning(counters.c.value)
            ).scalar_one()
        )


_WIB = timezone(timedelta(hours=7), "WIB")  # the villages' clock


def within(column: ColumnElement[Any], span: tuple[Any, Any]) -> ColumnElement[bool]:
    """start <= column < end."""
    return (column >= span[0]) & (column < span[1])


# Ties in created_at (one microsecond) go by queue number, then id: the same order on
# both engines, where SQLite's rowid was.
_OLDEST_FIRST = (requests.c.created_at, requests.c.tracking_code, requests.c.id)
_NEWEST_FIRST = tuple(column.desc() for column in _OLDEST_FIRST)


def wib(moment: datetime) -> datetime:
    return moment.astimezone(_WIB)


_IDENTITY_KEYS = ("nik", "name", "card_uid", "pin")  # the rest of a demo resident prefills forms


def _insert_resident(
    db: Connection,
    nik: str,
    name: str,
    card_uid: str | None,
    pin: str,
    data: dict[str, str],
    village: str,
) -> None:
    salt = secrets.token_hex(16)
    db.execute(
        residents.insert().values(
            nik=nik,
            name=name,
            card_uid=card_uid,
            pin_salt=salt,
            pin_hash=_pin_hash(salt, pin),
            data=json.dumps(data),
            village_code=village,
        )
    )


def _insert_village(db: Connection, village: Village, services: list[str]) -> None:
    db.execute(
        villages.insert().values(
            code=village.code,
            name=village.name,
            district=village.district,
            regency=village.regency,
            province=village.province,
            address=village.address,
            head_name=village.head_name,
            services=json.dumps(list(services)),
            created_at=now().isoformat(),
        )
    )


def _village(row: Row[Any]) -> VillageRow:
    village = Village(
        code=row.code,
        name=row.name,
        district=row.district,
        regency=row.regency,
        province=row.province,
        address=row.address,
        head_name=row.head_name,
    )
    return VillageRow(village, list(json.loads(row.services)))


def _resident(row: Row[Any]) -> Resident:
    return Resident(row.nik, row.name, row.card_uid, json.loads(row.data))


def _request(row: Row[Any]) -> RequestRow:
    def moment(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return RequestRow(
        id=row.id,
        tracking_code=row.tracking_code,
        nik=row.nik,
        kiosk_id=row.kiosk_id,
        service_code=row.service_code,
        fields=json.loads(row.fields),
        status=row.status,
        created_at=datetime.fromisoformat(row.created_at),
        updated_at=datetime.fromisoformat(row.updated_at),
        reject_reason=row.reject_reason,
        letter_number=row.letter_number,
        signed_at=moment(row.signed_at),
        doc_sha256=row.doc_sha256,
        doc_size=row.doc_size,
        identity_verified=bool(row.identity_verified),
        kiosk_reference=row.kiosk_reference,
        submitted_at=moment(row.submitted_at),
        village_code=row.village_code,
    )


def _figures_row(
    kiosk_id: str | None,
    label: str,
    requests: list[dict[str, Any]],
    scores: list[int],
    span: tuple[str, str],
) -> dict[str, Any]:
    def within(value: str | None) -> bool:
        return value is not None and span[0] <= value < span[1]

    def hours(rows: list[dict[str, Any]], end: str) -> float | None:
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
