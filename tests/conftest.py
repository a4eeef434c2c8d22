"""Fixtures shared by the test suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crawler.mirror.server import MirrorServer
from crawler.syndication import TEXT_RULES
from storage.models import Base
from storage.store import Store

POSTGRES_URL = os.environ.get("TALKWATCH_TEST_DATABASE_URL")
NO_POSTGRES = "TALKWATCH_TEST_DATABASE_URL is not set (.ci/run sets it to the machine's PostgreSQL)"


@pytest.fixture(autouse=True, scope="session")
def _no_database_in_the_working_tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands a test runs without ``--db`` (and their crawl subprocesses) use a scratch file, not the
    working tree's ``var/talkwatch.sqlite3``: the suite leaves nothing behind."""
    saved = os.environ.get("TALKWATCH_DATABASE_URL")
    scratch = tmp_path_factory.mktemp("default-db") / "talkwatch.sqlite3"
    os.environ["TALKWATCH_DATABASE_URL"] = f"sqlite:///{scratch}"
    yield
    if saved is None:
        os.environ.pop("TALKWATCH_DATABASE_URL", None)
    else:
        os.environ["TALKWATCH_DATABASE_URL"] = saved


def _reset(store: Store) -> None:
    Base.metadata.drop_all(store.db.engine)
    store.db.create_schema()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: an SQLite file, and the PostgreSQL test database when configured."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    store = Store(POSTGRES_URL, rules=TEXT_RULES)
    _reset(store)
    store.db.dispose()
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own, without any schema (PostgreSQL: a scratch database, dropped after, so
    other tests' tables are untouched and a crawl subprocess can use it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    name = f"talkwatch_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url, rules=TEXT_RULES)
    store.db.create_schema()
    yield store
    store.db.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}"


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    server = MirrorServer()
    server.start_in_thread()
    yield server
    server.stop()
