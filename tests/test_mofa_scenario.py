"""Issue 2's scenario on MOFA: first publication, an unchanged re-crawl, an edit and a follow-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.mirror.server import MirrorServer
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES
from storage.diff import render, texts
from storage.store import Store

pytestmark = pytest.mark.slow

READOUT = "mofa:mofaj/na/na1/us/pageit_000001_01515"
AUSTRALIA = "mofa:mofaj/a_o/ocn/au/pageit_000001_01522"
ENGLISH = "mofa:na/na1/us/pageite_000001_00768"
FOLLOW_UP = "mofa:mofaj/na/na1/us/pageit_000001_01530"
# state 2, in the real 2026 index's shape: the same file name in another folder, a page without an id
ECONOMY_SAME_NAME = "mofa:mofaj/ecm/ec/pageit_000001_01530"
NO_NUMERIC_ID = "mofa:mofaj/na/st/kyogi_2plus2"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('mofa') / 'talkwatch.sqlite3'}"
    server = MirrorServer()
    server.start_in_thread()
    try:
        for state in (1, 1, 2):
            server.state = state
            result = run_crawl("mofa", db_url, mirror_url=server.base_url, timeout=120)
            assert result.ok, result.log_tail
    finally:
        server.stop()
    store = Store(db_url, rules=TEXT_RULES)
    yield store
    store.db.dispose()


def test_readouts_are_stored_once_each(store: Store):
    for key in (READOUT, AUSTRALIA, ENGLISH, FOLLOW_UP, ECONOMY_SAME_NAME, NO_NUMERIC_ID):
        assert store.articles.article(key) is not None, key
    assert store.counts()["articles"] == 6


def test_the_edited_readout_has_exactly_one_new_version(store: Store):
    versions = store.articles.versions(READOUT)
    assert [v.seq for v in versions] == [1, 2]
    assert "約45分間" in versions[1].body and "約40分間" in versions[0].body


def test_the_new_version_carries_its_diff(store: Store):
    first, second = store.articles.versions(READOUT)
    diff = render(second.diff, texts(first))
    inserted = [op["text"] for op in diff["body"] if op["op"] == "insert"]
    assert any("2+2" in text for text in inserted)


def test_unchanged_articles_have_one_version(store: Store):
    assert len(store.articles.versions(AUSTRALIA)) == 1
    assert len(store.articles.versions(ENGLISH)) == 1


def test_japan_us_readout_is_flagged_with_its_terms(store: Store):
    article = store.articles.article(READOUT)
    assert article.label == "ministerial"
    view = next(a for a in store.alerts.alert_views("test")
                       if a.article_key == READOUT and a.kind in {"new", "follow-up"})
    assert "ルビオ" in view.explanation


def test_non_us_readout_is_not_flagged(store: Store):
    assert store.articles.article(AUSTRALIA).label != "ministerial"
    assert all(a.article_key != AUSTRALIA for a in store.alerts.alert_views("test"))


def test_follow_up_readout_joins_the_thread_of_the_talks(store: Store):
    follow_up = store.threads.thread_of(FOLLOW_UP)
    assert follow_up is not None and follow_up.id == store.threads.thread_of(READOUT).id
    kinds = {a.kind for a in store.alerts.alert_views("test") if a.article_key == FOLLOW_UP}
    assert kinds == {"follow-up"}


def test_the_edit_raises_a_changed_alert(store: Store):
    changed = [a for a in store.alerts.alert_views("test") if a.kind == "changed"]
    assert [a.article_key for a in changed] == [READOUT]


def test_the_unreachable_page_is_in_the_fetch_log(store: Store):
    missing = [f for f in store.fetches.where() if f.url.endswith("page22_003912.html")]
    assert missing and missing[0].outcome == "error" and missing[0].reason == "HTTP 404"


def test_a_version_left_unflagged_by_a_stopped_crawl_is_flagged_by_the_next(tmp_path):
    from storage.versions import ArticleText

    db_url = f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}"
    store = Store(db_url, rules=TEXT_RULES)
    store.db.create_schema()
    key = "pageit_000001_01999"
    # what a crawl killed between the version and flag steps leaves behind: a version, no decision
    store.articles.save_version(ArticleText(
        outlet="mofa", stable_key=key, canonical_url=f"https://www.mofa.go.jp/mofaj/na/na1/us/{key}.html",
        url=f"https://www.mofa.go.jp/mofaj/na/na1/us/{key}.html", title="日米外相電話会談",
        published="2025-02-07T00:00:00+09:00", modified=None, description=None,
        paragraphs=["岩屋毅外務大臣は、マルコ・ルビオ米国国務長官と日米外相電話会談を行いました。"],
        lang="ja", body_complete=True, sources={}))
    assert store.articles.label_of(f"mofa:{key}") is None
    server = MirrorServer()
    server.start_in_thread()
    try:
        assert run_crawl("mofa", db_url, mirror_url=server.base_url, timeout=120).ok
    finally:
        server.stop()
    assert store.articles.label_of(f"mofa:{key}") == "ministerial"
    assert any(a.article_key == f"mofa:{key}" for a in store.alerts.alert_views("test"))
    store.db.dispose()
