"""Fetching less: conditional GET on discovery documents, and revisits driven from the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from crawler.mirror.server import MirrorServer
from crawler.service.crawl import run_crawl
from crawler.service.revisit import revisit_mode, run_revisits
from crawler.syndication import TEXT_RULES
from storage.store import Store

pytestmark = pytest.mark.slow

READOUT = "mofa:mofaj/na/na1/us/pageit_000001_01515"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, MirrorServer]]:
    # the fixture pages are from 2025: a schedule long enough to still revisit them
    patch = pytest.MonkeyPatch()
    patch.setenv("TALKWATCH_REVISIT_SCHEDULE", "100000d:1d")
    db_url = f"sqlite:///{tmp_path_factory.mktemp('revisit') / 'talkwatch.sqlite3'}"
    server = MirrorServer()
    server.start_in_thread()
    try:
        for run_id in ("first", "second"):
            result = run_crawl("mofa", db_url, mirror_url=server.base_url, timeout=120, run_id=run_id)
            assert result.ok, result.log_tail
        yield db_url, server
    finally:
        server.stop()
        patch.undo()


@pytest.fixture(scope="module")
def store(crawled: tuple[str, MirrorServer]) -> Iterator[Store]:
    store = Store(crawled[0], rules=TEXT_RULES)
    yield store
    store.db.dispose()


def revisit(crawled: tuple[str, MirrorServer], run_id: str, days: int):  # type: ignore[no-untyped-def]
    db_url, server = crawled
    when = (NOW + timedelta(days=days)).isoformat()
    return run_crawl("mofa", db_url, mirror_url=server.base_url, timeout=120, run_id=run_id,
                     spider_args={"revisit": "only"}, settings={"TALKWATCH_NOW": when})


def test_second_poll_gets_304_for_every_discovery_document(store: Store):
    discovery = store.fetches.where(run_id="second", role="discovery")
    assert discovery and {f.outcome for f in discovery} == {"not_modified"}


def test_a_304_is_not_parsed(store: Store):
    # nothing behind an unchanged listing is requested again: no article fetches in the second poll
    assert store.fetches.where(run_id="second", role="article") == []


def test_every_article_is_scheduled(store: Store):
    with store.db.session() as s:
        from storage.models import Article

        assert all(a.next_visit_at is not None for a in s.query(Article))


def test_revisit_asks_conditionally_and_stores_nothing_new(crawled, store: Store):  # type: ignore[no-untyped-def]
    versions = store.counts()["versions"]
    result = revisit(crawled, "revisit-1", days=2)
    assert result.ok, result.log_tail
    fetched = store.fetches.where(run_id="revisit-1")
    articles = [f for f in fetched if f.role == "article"]
    assert len(articles) == store.counts()["articles"]  # every article was due
    assert {f.outcome for f in articles} == {"not_modified"}
    assert not [f for f in fetched if f.role == "discovery"]  # revisit=only: no discovery
    assert store.counts()["versions"] == versions


def test_revisit_catches_an_edit_without_rediscovery(crawled, store: Store):  # type: ignore[no-untyped-def]
    _, server = crawled
    server.state = 2  # the readout is edited; a follow-up appears in the listing only
    try:
        result = revisit(crawled, "revisit-2", days=4)
    finally:
        server.state = 1
    assert result.ok, result.log_tail
    outcomes = {f.article_key: f.outcome for f in store.fetches.where(run_id="revisit-2", role="article")}
    assert outcomes[READOUT] == "changed"
    assert len(store.articles.versions(READOUT)) == 2
    # only discovery finds new articles
    assert store.articles.article("mofa:mofaj/na/na1/us/pageit_000001_01530") is None


def test_nothing_due_means_no_crawl(crawled):  # type: ignore[no-untyped-def]
    db_url, server = crawled
    assert run_revisits(db_url, mirror_url=server.base_url, now=NOW - timedelta(days=400)) == []


@pytest.mark.parametrize(("argument", "setting", "mode"), [
    (None, None, None), ("0", None, None), ("1", None, "also"), ("only", None, "only"),
    (None, "1", "also"), ("0", "1", None),
])
def test_revisit_mode(argument: str | None, setting: str | None, mode: str | None):
    assert revisit_mode(argument, setting) == mode
