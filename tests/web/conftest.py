"""One database per backend, built once per session by a real crawl of the mirror (SQLite: by running
``talkwatch demo`` itself), shared read-only by the dashboard tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from crawler.syndication import TEXT_RULES
from crawler.web import create_app
from storage.store import Store
from tests.web.data import DemoData, add_hostile, crawl_like_the_demo, reset, run_demo

POSTGRES_URL = os.environ.get("TALKWATCH_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    url, output = run_demo(tmp_path_factory.mktemp("web-demo") / "demo")
    article_id, thread_id = add_hostile(url)
    return DemoData(url, article_id, thread_id, output)


@pytest.fixture(scope="session")
def postgresql_demo() -> DemoData:
    if not POSTGRES_URL:
        pytest.skip("TALKWATCH_TEST_DATABASE_URL is not set (a PostgreSQL database of the tests' own)")
    reset(POSTGRES_URL)
    crawl_like_the_demo(POSTGRES_URL)
    article_id, thread_id = add_hostile(POSTGRES_URL)
    return DemoData(POSTGRES_URL, article_id, thread_id)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest) -> DemoData:
    return request.getfixturevalue(f"{request.param}_demo")


@pytest.fixture(scope="session")
def store(demo: DemoData) -> Iterator[Store]:
    store = Store(demo.url, rules=TEXT_RULES)
    yield store
    store.db.dispose()


@pytest.fixture(scope="session")
def app(store: Store) -> Any:
    return create_app(store)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()
