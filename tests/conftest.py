"""Fixtures shared by the test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer
from storage import Store
from storage.models import Base

POSTGRES_URL = os.environ.get("TALKWATCH_TEST_DATABASE_URL")
NO_POSTGRES = "TALKWATCH_TEST_DATABASE_URL is not set (.ci/run sets it to the machine's PostgreSQL)"


def _reset(store: Store) -> None:
    Base.metadata.drop_all(store.engine)
    store.create_schema()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: an SQLite file, and the PostgreSQL test database when configured."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    store = Store(POSTGRES_URL)
    _reset(store)
    store.dispose()
    return POSTGRES_URL


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    store.create_schema()
    yield store
    store.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}"


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    server = MirrorServer()
    server.start_in_thread()
    yield server
    server.stop()
