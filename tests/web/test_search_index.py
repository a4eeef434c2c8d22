"""The desk's search index: derived from the versions, brought up to date without a request waiting."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from crawler.syndication import TEXT_RULES
from crawler.web.filters import Filters
from crawler.web.search import SearchIndex, fold, snippet, terms_of
from storage.models import Version
from storage.store import Store
from storage.versions import ArticleText
from tests.web.data import reset

POSTGRES_URL = os.environ.get("TALKWATCH_TEST_DATABASE_URL")


def _text(key: str, title: str, body: str) -> ArticleText:
    return ArticleText(outlet="jiji", stable_key=key, canonical_url=f"https://www.jiji.com/{key}",
                       url=f"https://www.jiji.com/{key}", title=title, published="2025-03-13T11:38:00+09:00",
                       modified=None, description=None, paragraphs=[body], lang="ja", body_complete=True,
                       sources={})


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    elif not POSTGRES_URL:
        pytest.skip("TALKWATCH_TEST_DATABASE_URL is not set")
    else:
        url = POSTGRES_URL
    reset(url)
    store = Store(url, rules=TEXT_RULES)
    yield store
    store.db.dispose()


def _keys(index: SearchIndex, store: Store, q: str) -> set[str]:
    with store.db.session() as s:
        return {hit.key for hit in index.search(s.connection(), q, Filters())}


def test_folding_and_terms() -> None:
    assert fold("Ｇ７外相会合 RUBIO") == "g7外相会合 rubio"
    assert terms_of("  日米  関税 ") == ["日米", "関税"]
    before, match, after = snippet("岩屋外相はルビオ国務長官と会談した。", ["ルビオ"])
    assert (before, match) == ("岩屋外相は", "ルビオ") and after.startswith("国務長官")


def test_new_versions_are_indexed_in_the_background(fresh: Store) -> None:
    index = SearchIndex(fresh.db.engine)
    fresh.articles.save_version(_text("1", "日米外相、関税で協議継続", "Ｇ７外相会合に合わせて会談した。"))
    assert index.sync(force=True) == 1
    assert _keys(index, fresh, "g7") == {"jiji:1"}
    stop = index.start_background(every=0.05)
    try:
        fresh.articles.save_version(_text("2", "赤沢氏、ベッセント財務長官と協議",
                                          "為替をめぐり意見を交わした。"))
        deadline = time.monotonic() + 5
        while not _keys(index, fresh, "ベッセント") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert _keys(index, fresh, "ベッセント") == {"jiji:2"}
    assert _keys(index, fresh, "協議") == {"jiji:1", "jiji:2"}  # two characters: the LIKE path


def test_rebuild_and_prune(fresh: Store) -> None:
    index = SearchIndex(fresh.db.engine)
    fresh.articles.save_version(_text("1", "日米防衛相会談", "中谷防衛相はヘグセス国防長官と会談した。"))
    index.sync(force=True)
    with fresh.db.session() as s:
        s.execute(delete(Version))
    index.prune()
    assert _keys(index, fresh, "ヘグセス") == set()
    fresh.articles.save_version(_text("3", "日米防衛相会談", "ヘグセス長官と会談。"))
    assert index.rebuild() == 1
    assert _keys(index, fresh, "ヘグセス") == {"jiji:3"}


def test_an_index_ahead_of_the_versions_starts_again(fresh: Store) -> None:
    index = SearchIndex(fresh.db.engine)
    fresh.articles.save_version(_text("1", "日米外相会談", "ルビオ国務長官と会談した。"))
    fresh.articles.save_version(_text("2", "日米外相電話会談", "ルビオ国務長官と電話で会談した。"))
    index.sync(force=True)
    reset(fresh.db.url)  # the versions made anew: their ids start again
    with fresh.db.engine.begin() as conn:  # an index left from before (the reset dropped this one)
        conn.execute(index.table.insert().values({index.id_column.name: 99, "doc": "古い"}))
    fresh.articles.save_version(_text("3", "日米防衛相会談", "ヘグセス国防長官と会談した。"))
    assert index.sync(force=True) == 1
    assert _keys(index, fresh, "ヘグセス") == {"jiji:3"} and _keys(index, fresh, "古い") == set()
