"""The reference server's database: an engine for an embedded SQLite file or for a
SQLAlchemy URL (PostgreSQL for a district), and its schema brought up to date on opening.

On SQLite every write transaction starts with BEGIN IMMEDIATE (writers queue for the
lock at once, so no transaction has to give up half-way through) and reads run without
a transaction, each SELECT its own snapshot. On PostgreSQL transactions are READ
COMMITTED; the store's writes are built to be right at that level (see store.py).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import QueuePool

from apm_server import schema

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

# SQLite: writers take turns anyway, so a few idle connections are enough to reuse; each
# keeps its own page cache (small: letters are stored in the database, and the demo runs
# this server inside the kiosk's process). Readers beyond them get connections of their own.
SQLITE_IDLE_CONNECTIONS = 8
SQLITE_MAX_CONNECTIONS = 48  # the 40 request threads, the signers, a command or two
SQLITE_BUSY_TIMEOUT_S = 10
# PostgreSQL: one process of a district server answers with a threadpool of 40; keeping
# 20 connections open serves the usual load without connecting anew (a few ms each),
# and 20 more cover a burst. Several worker processes stay well under PostgreSQL's 100.
POSTGRES_POOL_SIZE = 20
POSTGRES_POOL_OVERFLOW = 20
POOL_TIMEOUT_S = 30


def database_url(location: Path | str) -> URL:
    """A `Path` or a plain path string is an SQLite file; a string with `://`, a URL."""
    if isinstance(location, str) and "://" in location:
        return make_url(location)
    return URL.create("sqlite+pysqlite", database=str(location))


def open_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(
        url,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_POOL_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
        # A connection broken by a database restart is found out before it is used, not
        # by the request that would get it.
        pool_pre_ping=True,
    )


def _sqlite_engine(url: URL) -> Engine:
    if url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=SQLITE_IDLE_CONNECTIONS,
        max_overflow=SQLITE_MAX_CONNECTIONS - SQLITE_IDLE_CONNECTIONS,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not open transactions by itself: the store says BEGIN IMMEDIATE
        # for a write and nothing for a read (commit and rollback still end what it began).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA cache_size=-512")
        cursor.execute("PRAGMA foreign_keys=ON")  # villages are enforced, as on PostgreSQL
        cursor.close()

    with engine.connect() as connection:
        # Not allowed inside a transaction; kept in the file once set.
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    return engine


def begin_write(connection: Connection) -> None:
    """Make `connection` a write transaction (on SQLite, with the write lock taken now)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock(connection: Connection, name: str) -> None:
    """Hold `name` until the transaction ends, against other transactions asking for it:
    PostgreSQL's advisory locks (a name need not be a row); on SQLite, BEGIN IMMEDIATE
    has already made the transaction the only writer."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name}
        )


def prepare(engine: Engine) -> None:
    """Bring the schema to HEAD_REVISION: a new database gets the tables of schema.py at
    once, an older one the migrations. A database already there costs one query, and
    Alembic is not even imported (the demo opens its database at every start)."""
    with engine.connect() as connection:
        if revision(connection) == schema.HEAD_REVISION:
            return
    with engine.connect() as connection:
        begin_write(connection)
        lock(connection, "apm-server schema")
        found = revision(connection)  # again: another process may have done it meanwhile
        if found == schema.HEAD_REVISION:
            return
        if found is None and not inspect(connection).get_table_names():
            log.info("new database: creating the schema at revision %s", schema.HEAD_REVISION)
            schema.metadata.create_all(connection, checkfirst=False)
            schema.version_metadata.create_all(connection, checkfirst=False)
            connection.execute(
                schema.alembic_version.insert().values(version_num=schema.HEAD_REVISION)
            )
        else:
            log.info("migrating the database from %s to %s", found, schema.HEAD_REVISION)
            upgrade(connection, "head")
        connection.commit()


def revision(connection: Connection) -> str | None:
    """The schema revision the database is at; None for one never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(select(schema.alembic_version.c.version_num)).scalar()


def upgrade(connection: Connection, target: str) -> None:
    """Run the migrations up to `target` on `connection`, inside its transaction (the
    caller commits)."""
    from alembic import command  # only when migrating: importing it takes a while
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    try:
        command.upgrade(config, target)
    except CommandError as exc:
        found = revision(connection)
        raise RuntimeError(
            f"the database is at schema revision {found!r}, which this apm-server does not "
            f"know (it knows up to {schema.HEAD_REVISION}): is it a newer release's? ({exc})"
        ) from exc
