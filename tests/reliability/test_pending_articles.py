"""Nothing lost: an article a crawl could not store stays pending, is shown by ``talkwatch status`` and
is asked for again by the next crawl of its outlet, even when no listing links to it any more."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES
from storage.fetchlog import pending_backoff
from storage.store import Store
from tests.reliability.sites import article_page, article_url

pytestmark = pytest.mark.slow

INDEX = "https://www.mofa.go.jp/mofaj/pending/index.html"
FLAKY, STEADY = article_url(1), article_url(2)


def _listing(*urls: str) -> str:
    links = "".join(f'<li><a href="{u}">協議</a></li>' for u in urls)
    return (f'<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8"><title>一覧｜外務省</title></head>'
            f'<body><div id="maincontents"><h1>一覧</h1><ul>{links}</ul></div></body></html>')


def _site(root: Path) -> Path:
    """State 1: the index lists both; the flaky article answers 503. State 2: the index lists only the
    steady one, and the flaky article is back."""
    folder = root / "mofa"
    folder.mkdir(parents=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    (folder / "index1.html").write_text(_listing(FLAKY, STEADY), encoding="utf-8")
    (folder / "index2.html").write_text(_listing(STEADY), encoding="utf-8")
    (folder / "a1.html").write_text(article_page(1), encoding="utf-8")
    (folder / "a2.html").write_text(article_page(2), encoding="utf-8")
    (folder / "routes.yaml").write_text(
        "- url: https://www.mofa.go.jp/robots.txt\n  file: robots.txt\n"
        f"- url: {INDEX}\n  file: index1.html\n  until: 1\n"
        f"- url: {INDEX}\n  file: index2.html\n  since: 2\n"
        f"- url: {FLAKY}\n  file: a1.html\n  status: 503\n  until: 1\n"
        f"- url: {FLAKY}\n  file: a1.html\n  since: 2\n"
        f"- url: {STEADY}\n  file: a2.html\n", encoding="utf-8")
    return root


def test_backoff_doubles_and_is_bounded():
    assert [pending_backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=5), timedelta(minutes=10),
                                                       timedelta(minutes=20)]
    assert pending_backoff(50) == timedelta(hours=6)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str], object]:
    tmp = tmp_path_factory.mktemp("pending")
    db = f"sqlite:///{tmp / 'x.sqlite3'}"
    server = MirrorServer([_site(tmp / "site")])
    server.start_in_thread()
    try:
        first = run_crawl("mofa", db, mirror_url=server.base_url, timeout=120,
                          spider_args={"start_urls": INDEX})
        status = subprocess.run([sys.executable, "-m", "crawler.cli", "status", "--db", db, "--json"],
                                capture_output=True, text=True, timeout=120)
        server.state = 2
        later = (datetime.now(UTC) + timedelta(hours=7)).isoformat()  # past any backoff
        second = run_crawl("mofa", db, mirror_url=server.base_url, timeout=120,
                           spider_args={"start_urls": INDEX}, settings={"TALKWATCH_NOW": later})
    finally:
        server.stop()
    assert first.ok and second.ok, first.log_tail + second.log_tail
    return db, [first.outcome, second.outcome], json.loads(status.stdout)


def test_the_failed_article_is_pending_with_its_reason(crawls):
    _, outcomes, status = crawls
    assert outcomes[0] == "degraded"
    [pending] = status["pending"]
    assert (pending["url"], pending["last_outcome"], pending["reason"]) == (FLAKY, "error", "HTTP 503")


def test_the_next_crawl_stores_it_though_no_listing_links_to_it(crawls):
    db, outcomes, _ = crawls
    store = Store(db, rules=TEXT_RULES)
    try:
        assert store.articles.article("mofa:mofaj/reliability/pageit_000008_00001") is not None
        assert store.fetches.pending_articles("mofa") == []
    finally:
        store.db.dispose()
    assert outcomes[1] == "ok"
