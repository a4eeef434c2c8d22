"""Throwaway PostgreSQL databases beside the test database (``TALKWATCH_TEST_DATABASE_URL``), for tests
whose crawl and monitor subprocesses need a database of their own (dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

POSTGRES_URL = os.environ.get("TALKWATCH_TEST_DATABASE_URL")


@contextmanager
def scratch_postgres(purpose: str) -> Iterator[URL]:
    """A new empty database named after the test database and ``purpose``; its URL."""
    assert POSTGRES_URL, "TALKWATCH_TEST_DATABASE_URL is not set"
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def render(url: URL) -> str:
    return url.render_as_string(hide_password=False)
