"""Fixtures for tests that need a real PostgreSQL server (tests marked ``postgres``).

The server comes from ``RISKSEG_TEST_PG_URL``; ``scripts/pg-test-server.sh`` starts a local
throwaway one and prints its URL, and ``.ci/run`` always sets it. Without it these tests skip.

Use from ``tests/conftest.py`` (pytest puts ``tests/`` on ``sys.path`` for its conftest)::

    from pg_fixture import pg_schema, pg_url

    __all__ = ["pg_schema", "pg_url"]
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

SKIP_REASON = "no PostgreSQL: set RISKSEG_TEST_PG_URL (scripts/pg-test-server.sh prints one)"


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the test server; skips the test when ``RISKSEG_TEST_PG_URL`` is unset."""
    url = os.environ.get("RISKSEG_TEST_PG_URL")
    if not url:
        pytest.skip(SKIP_REASON)
    return url


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[tuple[str, str]]:
    """A fresh, uniquely named schema for one test: yields ``(url, schema)``.

    The schema is dropped with everything in it afterwards, so tests (and xdist workers)
    sharing one database never see each other's tables.
    """
    import psycopg  # only tests that really reach PostgreSQL need the driver
    from psycopg import sql

    schema = f"riskseg_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield pg_url, schema
    finally:
        with psycopg.connect(pg_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
