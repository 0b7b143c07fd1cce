"""The schema of the reference server before villages, the first one under Alembic.

A SQLite file of an earlier release already has some of these tables and no
alembic_version: what it lacks is added (tables, and the columns added since the first
release, all nullable or with a default), and device tokens it kept as they are are
replaced by their digests. A new database just gets the tables.

Revision ID: 0001
Revises: -
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> dict[str, list[sa.schema.SchemaItem]]:
    """Each table's columns and constraints (new objects each time: a Column belongs to one
    table)."""
    text, integer = sa.Text, sa.Integer
    return {
        "kiosks": [
            sa.Column("id", text, primary_key=True),
            sa.Column("token", text, nullable=False),
            sa.Column("label", text),
            sa.Column("enrolled_at", text),
            sa.Column("revoked_at", text),
            sa.UniqueConstraint("token", name="uq_kiosks_token"),
        ],
        "residents": [
            sa.Column("nik", text, primary_key=True),
            sa.Column("name", text, nullable=False),
            sa.Column("card_uid", text),
            sa.Column("pin_salt", text, nullable=False),
            sa.Column("pin_hash", text, nullable=False),
            sa.Column("data", text, nullable=False),
            sa.UniqueConstraint("card_uid", name="uq_residents_card_uid"),
        ],
        "sessions": [
            sa.Column("token", text, primary_key=True),
            sa.Column("nik", text, nullable=False),
            sa.Column("expires_at", text, nullable=False),
        ],
        "pin_failures": [
            sa.Column("nik", text, primary_key=True),
            sa.Column("count", integer, nullable=False),
            sa.Column("locked_until", text),
        ],
        "requests": [
            sa.Column("id", text, primary_key=True),
            sa.Column("tracking_code", text, nullable=False),
            sa.Column("nik", text, nullable=False),
            sa.Column("kiosk_id", text, nullable=False),
            sa.Column("service_code", text, nullable=False),
            sa.Column("fields", text, nullable=False),
            sa.Column("status", text, nullable=False),
            sa.Column("created_at", text, nullable=False),
            sa.Column("updated_at", text, nullable=False),
            sa.Column("reject_reason", text),
            sa.Column("letter_number", text),
            sa.Column("signed_at", text),
            sa.Column("doc_sha256", text),
            sa.Column("doc_size", integer),
            sa.Column("document", sa.LargeBinary),
            sa.Column("identity_verified", integer, nullable=False, server_default="1"),
            sa.Column("kiosk_reference", text),
            sa.Column("submitted_at", text),
            sa.Column("printed_at", text),
            sa.UniqueConstraint("tracking_code", name="uq_requests_tracking_code"),
        ],
        "idempotency": [
            sa.Column("scope", text, nullable=False),
            sa.Column("key", text, nullable=False),
            sa.Column("body_hash", text, nullable=False),
            sa.Column("request_id", text, nullable=False),
            sa.PrimaryKeyConstraint("scope", "key"),
        ],
        "ratings": [
            sa.Column("kiosk_id", text),
            sa.Column("request_id", text),
            sa.Column("score", integer),
            sa.Column("at", text),
        ],
        "heartbeats": [
            sa.Column("kiosk_id", text, primary_key=True),
            sa.Column("body", text),
            sa.Column("at", text),
        ],
        "counters": [
            sa.Column("name", text, primary_key=True),
            sa.Column("value", integer, nullable=False),
        ],
        "enrolments": [
            sa.Column("token_hash", text, primary_key=True),
            sa.Column("label", text, nullable=False),
            sa.Column("created_at", text, nullable=False),
            sa.Column("expires_at", text, nullable=False),
            sa.Column("used_at", text),
            sa.Column("kiosk_id", text),
        ],
        "heartbeat_minutes": [
            sa.Column("kiosk_id", text, nullable=False),
            sa.Column("minute", integer, nullable=False),
            sa.PrimaryKeyConstraint("kiosk_id", "minute"),
        ],
        "sign_jobs": [
            sa.Column("request_id", text, primary_key=True),
            sa.Column("queued_at", text, nullable=False),
            sa.Column("error", text),
        ],
        "pin_misses": [
            sa.Column("at", sa.Float, nullable=False),
            sa.Column("kiosk_id", text, nullable=False),
        ],
    }


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for name, items in _tables().items():
        if not inspector.has_table(name):
            op.create_table(name, *items)
            continue
        have = {column["name"] for column in inspector.get_columns(name)}
        for item in items:
            if isinstance(item, sa.Column) and item.name not in have:
                op.add_column(name, item)
    if "pin_misses_at" not in {index["name"] for index in inspector.get_indexes("pin_misses")}:
        op.create_index("pin_misses_at", "pin_misses", ["at"])
    _hash_plain_tokens()


def _hash_plain_tokens() -> None:
    """Releases before enrolment kept device tokens as they are; keep digests only (the
    format of apm_server.store.token_digest, written out here: a migration never changes)."""
    kiosks = sa.table("kiosks", sa.column("id", sa.Text), sa.column("token", sa.Text))
    bind = op.get_bind()
    for kiosk_id, token in bind.execute(sa.select(kiosks.c.id, kiosks.c.token)).all():
        if not token.startswith("sha256:"):
            digest = "sha256:" + hashlib.sha256(token.encode()).hexdigest()
            bind.execute(kiosks.update().where(kiosks.c.id == kiosk_id).values(token=digest))


def downgrade() -> None:
    raise NotImplementedError("apm-server's first schema has nothing before it")
