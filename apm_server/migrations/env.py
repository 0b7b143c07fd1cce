"""Alembic's environment for apm-server's migrations.

Run in code, never from an alembic.ini: `apm_server.database.upgrade` hands Alembic the
connection it holds, inside the transaction that also holds the migration lock, so the
whole upgrade commits or rolls back as one (SQLite and PostgreSQL both have transactional
DDL) and two processes starting at once do not both migrate.

A new revision: copy the newest file in versions/, give it the next number as `revision`
and the previous one as `down_revision`, and set `apm_server.schema.HEAD_REVISION` (the
tests check that schema.py and the migrations describe the same tables).
"""

from __future__ import annotations

from alembic import context

from apm_server.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
