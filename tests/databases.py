"""The reference server's database in tests: its SQLite file, or under APM_TEST_POSTGRES
(a PostgreSQL server's SQLAlchemy URL) a PostgreSQL database of its own for every server a
test starts. Light to import: tests/conftest.py uses it for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from apm_server.store import Store

POSTGRES_ENV = "APM_TEST_POSTGRES"  # a PostgreSQL server's SQLAlchemy URL: test on it too
_SCHEMA_PREFIX = "apm_test_"

# For a test about SQLite files themselves (e.g. one made by an earlier release): it ran in
# the SQLite pass already.
sqlite_only = pytest.mark.skipif(
    bool(os.environ.get(POSTGRES_ENV)), reason="about SQLite files: run in the SQLite pass"
)


class PostgresSchemas:
    """Under APM_TEST_POSTGRES, a database of its own for each server state directory a
    test uses: a new schema in the given database, the server's connections kept in it by
    their search_path (1 ms to make, where CREATE DATABASE took 35 to 130 ms). The same
    state directory gets the same schema, so a restarted server finds its data, as it
    would find its SQLite file. `drop_made_since` drops them after the test."""

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(server_url)
        self.admin: Engine = create_engine(
            self.server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        self.schemas: dict[Path, str] = {}
        self.stores: list[Store] = []
        self._drop_abandoned()

    def url_for(self, state_dir: Path) -> str:
        key = state_dir.resolve()
        schema = self.schemas.get(key)
        if schema is None:
            schema = f"{_SCHEMA_PREFIX}{os.getpid()}_{len(self.schemas)}"
            with self.admin.connect() as db:
                db.execute(text(f"CREATE SCHEMA {schema}"))
            self.schemas[key] = schema
        url = self.server_url.update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop_made_since(self, known: set[Path], stores_before: int) -> None:
        for store in self.stores[stores_before:]:
            store.close()
        del self.stores[stores_before:]
        for key in [key for key in self.schemas if key not in known]:
            self._drop(self.schemas.pop(key))

    def _drop(self, schema: str) -> None:
        with self.admin.connect() as db:
            # A server killed in the middle of a transaction may hold locks a moment longer.
            db.execute(text("SET lock_timeout = '20s'"))
            db.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))

    def _drop_abandoned(self) -> None:
        """Schemas of earlier test runs that did not get to drop them (killed, say)."""
        with self.admin.connect() as db:
            names = db.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :prefix"),
                {"prefix": _SCHEMA_PREFIX + "%"},
            ).scalars()
            abandoned = [name for name in names if not _process_alive(name)]
        for name in abandoned:
            self._drop(name)


def _process_alive(schema: str) -> bool:
    pid = int(schema.removeprefix(_SCHEMA_PREFIX).split("_")[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_schemas: PostgresSchemas | None = None


def postgres_schemas() -> PostgresSchemas | None:
    """The PostgreSQL databases of this test run; None when testing on SQLite only."""
    global _schemas
    url = os.environ.get(POSTGRES_ENV)
    if url and _schemas is None:
        _schemas = PostgresSchemas(url)
    return _schemas


def database_url(state_dir: Path) -> str | None:
    """The database URL for a server of `state_dir`: None (its SQLite file) unless
    APM_TEST_POSTGRES is set."""
    databases = postgres_schemas()
    return databases.url_for(state_dir) if databases else None


def server_store(state_dir: Path, **options: Any) -> Store:
    """The database of a server of `state_dir` (there or not), opened by the test itself:
    `state_dir/apm-server.sqlite3`, or its PostgreSQL schema. Closed after the test."""
    from apm_server.office import DB_NAME  # not at import: office brings the PDF stack

    databases = postgres_schemas()
    if databases is None:
        return Store(state_dir / DB_NAME, **options)
    store = Store(databases.url_for(state_dir), **options)
    databases.stores.append(store)
    return store


@contextmanager
def dropping_postgres_schemas() -> Iterator[None]:
    """Around one test: the databases it made are dropped afterwards (see tests/conftest.py)."""
    databases = postgres_schemas()
    known = set(databases.schemas) if databases else set()
    stores_before = len(databases.stores) if databases else 0
    yield
    if databases is not None:
        databases.drop_made_since(known, stores_before)


def everything_in(store: Store) -> str:
    """Every row of every table of the store's database, as text (what a copy of the
    database would give away)."""
    from sqlalchemy import MetaData

    tables = MetaData()
    lines = []
    with store.engine.connect() as db:
        tables.reflect(db)
        for table in tables.sorted_tables:
            lines += [f"{table.name}: {row}" for row in db.execute(table.select()).all()]
    return "\n".join(lines)
