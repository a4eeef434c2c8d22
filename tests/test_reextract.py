"""``talkwatch reextract``: versions rebuilt from raw snapshots after a parser fix, nothing refetched,
nothing duplicated. Also the jiji 速報 merge on a real crawl."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from crawler.cli import main
from crawler.mirror.server import MirrorServer
from crawler.reextract import reextract
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES
from storage import Store
from storage.models import Article, Version

pytestmark = pytest.mark.slow

EDITED = "jiji:2025012100921"
FLASH, FULL = "jiji:2025031300148", "jiji:2025031300352"


@pytest.fixture
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('reextract') / 'talkwatch.sqlite3'}"
    server = MirrorServer()
    server.start_in_thread()
    try:
        for state in (1, 2):
            server.state = state
            result = run_crawl("jiji", db_url, mirror_url=server.base_url, timeout=120)
            assert result.ok, result.log_tail
    finally:
        server.stop()  # reextract must not need the network
    store = Store(db_url, rules=TEXT_RULES)
    yield db_url, store
    store.db.dispose()


def bodies(store: Store) -> dict[str, list[str]]:
    with store.db.session() as s:
        rows = s.query(Article.key, Version.body).join(Version).order_by(Article.key, Version.seq).all()
    out: dict[str, list[str]] = {}
    for key, body in rows:
        out.setdefault(key, []).append(body)
    return out


def test_reextract_with_the_same_parser_changes_nothing(crawled):  # type: ignore[no-untyped-def]
    _, store = crawled
    before = bodies(store)
    report = reextract(store, "jiji")
    assert set(report.articles) == {"unchanged"}
    assert bodies(store) == before
    assert len(before[EDITED]) == 2  # the edit seen in state 2


def test_reextract_repairs_what_a_broken_parser_stored(crawled):  # type: ignore[no-untyped-def]
    db_url, store = crawled
    good = bodies(store)
    with store.db.session() as s:  # what a parser that read the related-links box would have stored
        s.execute(update(Version).values(body=Version.body + "\n関連記事：大雪、北日本で交通に乱れ",
                                         fingerprint=Version.fingerprint + "-bad"))
    report = reextract(store, "jiji")
    assert report.articles["rebuilt"] == len(good)
    assert bodies(store) == good
    assert main(["reextract", "--outlet", "jiji", "--db", db_url]) == 0  # again: nothing to do
    assert bodies(store) == good


def test_flash_is_merged_into_the_full_story(crawled):  # type: ignore[no-untyped-def]
    _, store = crawled
    flash, full = store.articles.article(FLASH), store.articles.article(FULL)
    assert flash.kind == "flash"
    assert flash.merged_into_id == full.id


def test_undeclared_shift_jis_snapshot_is_decoded_as_the_crawl_decoded_it(tmp_path):
    from crawler.reextract import parse_snapshot
    from storage import Store
    from storage.migrate import ensure_schema

    store = Store(f"sqlite:///{tmp_path / 'sjis.sqlite3'}", rules=TEXT_RULES)
    ensure_schema(store.db.engine)
    url = "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01599.html"
    html = ("<html><body><div id='maincontents'><h1>日米外相会談</h1><p class='rtxt'>令和7年2月7日</p>"
            "<p>岩屋外務大臣はルビオ国務長官と会談しました。</p></div></body></html>")
    sha = store.fetches.save_snapshot(url, html.encode("shift_jis"), "text/html")
    article = parse_snapshot(store, "mofa", sha)
    store.db.dispose()
    assert article is not None and article.title == "日米外相会談"
