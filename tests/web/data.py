"""The databases the dashboard tests read: what a real crawl of the project's mirror stored (two mirror
states, every outlet, as ``talkwatch demo`` runs it), plus one hostile article."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from crawler.mirror.server import MirrorServer
from crawler.outlets import OUTLET_NAMES
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES
from storage.models import Base
from storage.store import Store
from storage.versions import ArticleText

SCRIPT_TITLE = '<script>window.__pwned = 1</script>岩屋外相とルビオ国務長官が電話会談"><b>'
EVIL_URL = "javascript:window.__pwned=2"
HOSTILE_KEY = "reuters:EVIL123"
HOSTILE_PAGE = (b"<html><head><script>window.top.__pwned = 5; parent.document.title = 'pwned'</script>"
                b"<meta http-equiv='refresh' content='0;url=javascript:window.top.__pwned=6'></head>"
                b"<body onload='window.top.__pwned=7'><h1>snapshot</h1>"
                b"<img src='x' onerror='window.top.__pwned=8'></body></html>")


@dataclass(frozen=True)
class DemoData:
    url: str
    hostile_article_id: int
    hostile_thread_id: int
    demo_output: str = ""


def reset(url: str) -> None:
    store = Store(url, rules=TEXT_RULES)
    with store.db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS web_search")
    Base.metadata.drop_all(store.db.engine)
    store.db.create_schema()
    store.db.dispose()


def run_demo(workdir: Path) -> tuple[str, str]:
    """``talkwatch demo`` as a user runs it; returns its database URL and what it printed."""
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--dir", str(workdir)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    db = re.search(r"database: (.+)", done.stdout)
    assert db, done.stdout
    return f"sqlite:///{db.group(1).strip()}", done.stdout


def crawl_like_the_demo(url: str) -> None:
    """The demo's crawls (mirror state 1, then 2: an edited readout, follow-ups) into any database."""
    mirror = MirrorServer()
    mirror.start_in_thread()
    try:
        for state in (1, 2):
            mirror.state = state
            for outlet in OUTLET_NAMES:
                result = run_crawl(outlet, url, mirror_url=mirror.base_url, timeout=300)
                assert result.ok, result.log_tail
    finally:
        mirror.stop()


def hostile_text(paragraphs: list[str]) -> ArticleText:
    return ArticleText(outlet="reuters", stable_key="EVIL123", canonical_url=EVIL_URL, url=EVIL_URL,
                       title=SCRIPT_TITLE, published="2025-01-23T09:00:00+09:00", modified=None,
                       description='<iframe src="javascript:window.__pwned=3"></iframe>リード',
                       paragraphs=paragraphs, lang="ja", body_complete=True, sources={"title": "arc"})


def add_hostile(url: str) -> tuple[int, int]:
    """An article with script in its title, lead and body, a javascript: URL, a hostile snapshot, an
    edit, hostile terms and a hostile thread title; returns (article id, thread id)."""
    store = Store(url, rules=TEXT_RULES)
    sha = store.fetches.save_snapshot(EVIL_URL, HOSTILE_PAGE, "text/html; charset=utf-8")
    first = store.articles.save_version(hostile_text(["<script>window.__pwned=4</script>本文。"]),
                                        snapshot_sha=sha)
    store.threads.record_decision(
        first.article_id, first.version_id or 0, "ministerial", 0.9,
        [{"category": "pair", "surface": "<script>window.__pwned=9</script>", "ref": None}],
        '<img src=x onerror="window.__pwned=10">')
    thread = store.threads.open_thread(
        '<b>bold</b><script>window.__pwned=11</script> 電話会談',
        {"type": "foreign", "participants": ["iwaya", "rubio"],
         "label": "<script>window.__pwned=12</script>"},
        "2025-01-23T00:00:00+00:00")
    store.threads.join_thread(thread.id, HOSTILE_KEY, "2025-01-23T00:00:00+00:00", "opener")
    second = store.articles.save_version(
        hostile_text(["<script>window.__pwned=4</script>本文。",
                      '<a href="javascript:window.__pwned=13">click</a>追記。']),
        snapshot_sha=sha)
    store.alerts.add_alert("changed", second.article_id, second.version_id or 0, thread.id)
    store.db.dispose()
    return first.article_id, thread.id
