"""No column outlet input can overflow: a 200-character Content-Type and a 42-character datePublished
are stored on PostgreSQL as on SQLite (PostgreSQL refused both, and the article was lost)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crawler.syndication import TEXT_RULES
from storage.store import Store
from tests.reliability.sites import article_url, crawl_site

pytestmark = pytest.mark.slow
POSTGRES_URL = os.environ.get("TALKWATCH_TEST_DATABASE_URL")
INDEX = "https://www.mofa.go.jp/mofaj/values/index.html"
LONG_TYPE = "text/html; charset=utf-8; " + "; ".join(f"x-param{i}=value{i}" for i in range(12))
LONG_DATE = "2025-09-10T10:00:00.1234567890123456+09:00"


def _site(root: Path) -> Path:
    folder = root / "mofa"
    folder.mkdir(parents=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    (folder / "index.html").write_text(
        f'<html lang="ja"><body><div id="maincontents"><ul><li><a href="{article_url(1)}">協議</a></li>'
        "</ul></div></body></html>", encoding="utf-8")
    (folder / "a1.html").write_text(
        '<html lang="ja"><head><meta charset="utf-8"><title>日米外相会談｜外務省</title>'
        f'<script type="application/ld+json">{{"@type":"NewsArticle","datePublished":"{LONG_DATE}"}}</script>'
        '</head><body><div id="maincontents"><h1>日米外相会談</h1>'
        "<p>外務大臣は国務長官と会談し、日米同盟の強化で一致しました。</p></div></body></html>",
        encoding="utf-8")
    (folder / "routes.yaml").write_text(
        "- url: https://www.mofa.go.jp/robots.txt\n  file: robots.txt\n"
        f"- url: {INDEX}\n  file: index.html\n"
        f"- url: {article_url(1)}\n  file: a1.html\n  content_type: \"{LONG_TYPE}\"\n", encoding="utf-8")
    return root


def test_long_outlet_values_are_stored(empty_url: str, tmp_path: Path):
    db_url = empty_url
    assert len(LONG_TYPE) > 200 and len(LONG_DATE) > 40
    result, _ = crawl_site(_site(tmp_path / "site"), "mofa", db_url, INDEX)
    assert result.outcome == "ok", result.log_tail
    store = Store(db_url, rules=TEXT_RULES)
    try:
        article = store.articles.article("mofa:mofaj/reliability/pageit_000008_00001")
        assert article is not None and article.published == "2025-09-10T10:00:00.123456+09:00"
        [fetch] = [f for f in store.fetches.where() if f.url == article_url(1)]
        assert store.fetches.load_snapshot(fetch.snapshot_sha)[1] == LONG_TYPE
    finally:
        store.db.dispose()
