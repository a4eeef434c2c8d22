"""No column outlet input can overflow: a 200-character Content-Type and a 42-character datePublished
are stored on PostgreSQL as on SQLite (PostgreSQL refused both, and the article was lost)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crawler.crawl import run_crawl
from crawler.mirror.server import MirrorServer
from storage import Store
from tests.reliability.sites import article_url

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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'x.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TALKWATCH_TEST_DATABASE_URL is not set (.ci/run sets it to the machine's PostgreSQL)")
    name = f"talkwatch_values_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_long_outlet_values_are_stored(db_url: str, tmp_path: Path):
    assert len(LONG_TYPE) > 200 and len(LONG_DATE) > 40
    server = MirrorServer([_site(tmp_path / "site")])
    server.start_in_thread()
    try:
        result = run_crawl("mofa", db_url, mirror_url=server.base_url, timeout=120,
                           spider_args={"start_urls": INDEX})
    finally:
        server.stop()
    assert result.outcome == "ok", result.log_tail
    store = Store(db_url)
    try:
        article = store.article("mofa:mofaj/reliability/pageit_000008_00001")
        assert article is not None and article.published == "2025-09-10T10:00:00.123456+09:00"
        [fetch] = [f for f in store.fetches() if f.url == article_url(1)]
        assert store.load_snapshot(fetch.snapshot_sha)[1] == LONG_TYPE
    finally:
        store.dispose()
