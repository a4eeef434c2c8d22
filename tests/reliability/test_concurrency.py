"""A scheduler-like writer, a crawl and a report on the same database at once: no "database is
locked", nothing lost. SQLite (WAL, busy timeout, short transactions) and PostgreSQL (``db_url``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer
from crawler.reports.data import build_report
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES
from storage.migrate import ensure_schema
from storage.store import Store
from tests.reliability.sites import INDEX_URL, write_site

pytestmark = pytest.mark.slow

ARTICLES = 16


@pytest.fixture
def site_mirror(tmp_path: Path) -> Iterator[MirrorServer]:
    server = MirrorServer([write_site(tmp_path / "site", ARTICLES, delay=0.05)])
    server.start_in_thread()
    yield server
    server.stop()


class Loop(threading.Thread):
    """Repeat ``step`` until told to stop; keep the first error."""

    def __init__(self, step: Callable[[int], None]) -> None:
        super().__init__(daemon=True)
        self.step, self.stop, self.error, self.rounds = step, threading.Event(), None, 0

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.step(self.rounds)
            except Exception as exc:  # the test reports it
                self.error = exc
                return
            self.rounds += 1
            time.sleep(0.01)


def test_scheduler_crawl_and_report_share_the_database(db_url: str, site_mirror: MirrorServer) -> None:
    Store(db_url, rules=TEXT_RULES).db.create_schema()
    scheduler_store, report_store = Store(db_url, rules=TEXT_RULES), Store(db_url, rules=TEXT_RULES)
    ensure_schema(scheduler_store.db.engine)

    def schedule(n: int) -> None:  # what a scheduler writes: its own fetch-log rows, outcomes
        fetch_id = scheduler_store.fetches.record_fetch(run_id="scheduler", outlet="mofa", url=f"https://x.test/{n}",
                                                        role="other", status=200, bytes=0, outcome="fetched")
        scheduler_store.fetches.update_fetch(fetch_id, "unchanged", "scheduler heartbeat")

    def report(_n: int) -> None:  # what a report does: read alerts, mark them delivered
        built = build_report(report_store, channel="concurrency")
        report_store.alerts.mark_delivered(built.alert_ids, "concurrency")

    loops = [Loop(schedule), Loop(report)]
    for loop in loops:
        loop.start()
    try:
        result = run_crawl("mofa", db_url, mirror_url=site_mirror.base_url, timeout=120,
                           spider_args={"start_urls": INDEX_URL})
    finally:
        for loop in loops:
            loop.stop.set()
            loop.join(timeout=30)
    for loop in loops:
        assert loop.error is None, f"{loop.step.__name__}: {loop.error}"
        assert loop.rounds > 0
    assert result.ok, result.log_tail
    assert "database is locked" not in result.log_tail
    assert result.stat("versions/new") == ARTICLES
    counts = scheduler_store.counts()
    assert counts["versions"] == ARTICLES
    assert len(scheduler_store.fetches.where(run_id="scheduler")) == loops[0].rounds
    for store in (scheduler_store, report_store):
        store.db.dispose()
