"""The reference server's tables, as SQLAlchemy Core metadata (the schema at the newest
migration, `HEAD_REVISION`; apm_server/migrations/ gets an older database there).

Moments are ISO 8601 text in UTC (`datetime.isoformat()` of an aware datetime): the same
on SQLite and PostgreSQL, ordered as text within one format, and what the first release
stored, so its files need no conversion.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Keep in step with the newest file in apm_server/migrations/versions (a test checks).
HEAD_REVISION = "0003"

# Constraint names the same on both engines, so a migration can name what it drops.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _village_code() -> Column[str]:
    return Column("village_code", Text, ForeignKey("villages.code"), nullable=False)


villages = Table(
    "villages",
    metadata,
    Column("code", Text, primary_key=True),  # kode wilayah desa, e.g. 35.23.01.2001
    Column("name", Text, nullable=False),
    Column("district", Text, nullable=False),
    Column("regency", Text, nullable=False),
    Column("province", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("head_name", Text, nullable=False),
    Column("services", Text, nullable=False),  # JSON list of the enabled service codes
    Column("created_at", Text, nullable=False),
)

kiosks = Table(
    "kiosks",
    metadata,
    Column("id", Text, primary_key=True),
    Column("token", Text, nullable=False, unique=True),  # "sha256:<hex>" of the device token
    Column("label", Text),
    Column("enrolled_at", Text),
    Column("revoked_at", Text),
    _village_code(),
)

residents = Table(
    "residents",
    metadata,
    Column("nik", Text, primary_key=True),  # national: one village at a time
    Column("name", Text, nullable=False),
    Column("card_uid", Text, unique=True),
    Column("pin_salt", Text, nullable=False),
    Column("pin_hash", Text, nullable=False),
    Column("data", Text, nullable=False),  # JSON: what prefills forms
    _village_code(),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token", Text, primary_key=True),
    Column("nik", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    _village_code(),
)

pin_failures = Table(
    "pin_failures",
    metadata,
    Column("nik", Text, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("locked_until", Text),
)

requests = Table(
    "requests",
    metadata,
    Column("id", Text, primary_key=True),
    Column("tracking_code", Text, nullable=False),  # ddmmyy-NNN, the village's queue number
    Column("nik", Text, nullable=False, index=True),
    Column("kiosk_id", Text, nullable=False),
    Column("service_code", Text, nullable=False),
    Column("fields", Text, nullable=False),  # JSON
    Column("status", Text, nullable=False, index=True),
    Column("created_at", Text, nullable=False, index=True),
    Column("updated_at", Text, nullable=False),
    Column("reject_reason", Text),
    Column("letter_number", Text),
    Column("signed_at", Text),
    Column("doc_sha256", Text),
    Column("doc_size", Integer),
    Column("document", LargeBinary),
    Column("identity_verified", Integer, nullable=False, server_default="1"),  # 0: offline
    Column("kiosk_reference", Text),
    Column("submitted_at", Text),  # when the citizen confirmed at the kiosk (offline requests)
    Column("printed_at", Text),  # when the kiosk reported the letter printed
    _village_code(),
    UniqueConstraint("village_code", "tracking_code"),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("scope", Text, nullable=False),  # the kiosk
    Column("key", Text, nullable=False),
    Column("body_hash", Text, nullable=False),
    Column("request_id", Text, nullable=False),
    PrimaryKeyConstraint("scope", "key"),
)

ratings = Table(
    "ratings",
    metadata,
    Column("kiosk_id", Text),
    Column("request_id", Text),
    Column("score", Integer),
    Column("at", Text),
)

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("kiosk_id", Text, primary_key=True),
    Column("body", Text),  # the latest heartbeat, as JSON
    Column("at", Text),
)

counters = Table(
    "counters",
    metadata,
    Column("name", Text, primary_key=True),  # tracking-{village}-{ddmmyy}, letter-{village}-{year}
    Column("value", Integer, nullable=False),
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("label", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("used_at", Text),
    Column("kiosk_id", Text),
    _village_code(),
)

heartbeat_minutes = Table(
    "heartbeat_minutes",
    metadata,
    Column("kiosk_id", Text, nullable=False),
    Column("minute", Integer, nullable=False),  # minutes since the epoch
    PrimaryKeyConstraint("kiosk_id", "minute"),
)

sign_jobs = Table(
    "sign_jobs",
    metadata,
    Column("request_id", Text, primary_key=True),
    Column("queued_at", Text, nullable=False),
    Column("error", Text),
)

pin_misses = Table(
    "pin_misses",
    metadata,
    Column("at", Float, nullable=False),  # seconds since the epoch
    Column("kiosk_id", Text, nullable=False),
    Index("pin_misses_at", "at"),
)

# Kiosks closed by the office (PUT /admin/out-of-service): per village code, or "*" for
# every village. In the database, so every worker process of a server says the same.
closures = Table(
    "closures",
    metadata,
    Column("village_code", Text, primary_key=True),
    Column("reason", Text, nullable=False),  # JSON: {"id": ..., "en": ...}
    Column("since", Text, nullable=False),
)

# Alembic's own table, as Alembic makes it: a new database is made from `metadata` and
# stamped here, without running (or importing) Alembic at all.
version_metadata = MetaData()
alembic_version = Table(
    "alembic_version",
    version_metadata,
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
