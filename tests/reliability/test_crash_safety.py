"""kill -9 of a crawl mid-run, then a restart: nothing fetched is lost, nothing is stored twice,
the next run picks up the rest. SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES
from storage.migrate import ensure_schema
from storage.store import Store
from tests.reliability.sites import INDEX_URL, write_site
from tests.support import REPO_ROOT

pytestmark = pytest.mark.slow

ARTICLES = 12


@pytest.fixture
def slow_mirror(tmp_path: Path) -> Iterator[MirrorServer]:
    server = MirrorServer([write_site(tmp_path / "site", ARTICLES, delay=0.3)])
    server.start_in_thread()
    yield server
    server.stop()


def start_crawl(db_url: str, mirror: MirrorServer) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "TALKWATCH_DATABASE_URL": db_url,
           "TALKWATCH_MIRROR_URL": mirror.base_url, "TALKWATCH_RUN_ID": "killed"}
    # one request at a time, so the kill lands with part of the listing still to fetch
    command = [sys.executable, "-m", "scrapy", "crawl", "mofa", "-a", f"start_urls={INDEX_URL}",
               "-s", "CONCURRENT_REQUESTS=1", "-s", "LOG_LEVEL=WARNING"]
    return subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def wait_for_versions(store: Store, at_least: int, process: subprocess.Popen[bytes],
                      limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the crawl ended before it could be killed")
        if store.counts()["versions"] >= at_least:
            return
        time.sleep(0.05)
    pytest.fail(f"fewer than {at_least} versions after {limit} s")


def version_rows(store: Store) -> set[tuple[str, int, str]]:
    rows = set()
    for fetch in store.fetches.where(role="article"):
        if fetch.article_key:
            rows |= {(fetch.article_key, v.seq, v.fingerprint)
                     for v in store.articles.versions(fetch.article_key)}
    return rows


def test_kill_9_mid_crawl_then_restart(db_url: str, slow_mirror: MirrorServer) -> None:
    store = Store(db_url, rules=TEXT_RULES)
    ensure_schema(store.db.engine)
    process = start_crawl(db_url, slow_mirror)
    try:
        wait_for_versions(store, 3, process)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL

    stored_before = version_rows(store)
    fetches_before = {f.id for f in store.fetches.where()}
    assert 3 <= len(stored_before) < ARTICLES  # the kill landed mid-crawl

    result = run_crawl("mofa", db_url, mirror_url=slow_mirror.base_url, timeout=120,
                       spider_args={"start_urls": INDEX_URL}, run_id="restart")
    assert result.ok, result.log_tail

    stored_after = version_rows(store)
    assert stored_before <= stored_after  # nothing already stored is lost
    assert fetches_before <= {f.id for f in store.fetches.where()}  # nor any fetch-log row
    counts = store.counts()
    assert counts["articles"] == ARTICLES  # the restart picked up the rest
    assert counts["versions"] == ARTICLES  # one version each: nothing stored twice
    # the listing was read in full again, not answered 304 from a crawl that never finished
    listing = store.fetches.where(url=INDEX_URL, run_id="restart")
    assert [f.status for f in listing] == [200]
    store.db.dispose()
