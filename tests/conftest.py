"""For every test: the PostgreSQL databases its servers used are dropped afterwards (only
under APM_TEST_POSTGRES; see tests/databases.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import dropping_postgres_schemas


@pytest.fixture(autouse=True)
def _drop_postgres_schemas() -> Iterator[None]:
    with dropping_postgres_schemas():
        yield
