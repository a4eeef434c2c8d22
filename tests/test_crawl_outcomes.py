"""Every crawl's outcome comes from its fetch log, as ``talkwatch crawl`` prints it and exits.

Real crawls against the mirror, through the command a user types: failed (nothing could be fetched)
exits 1, quiet (only 304s) is not an alarm, and the run is recorded where ``status`` reads it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer
from crawler.syndication import TEXT_RULES
from storage.health import outlet_alarms
from storage.store import Store

pytestmark = pytest.mark.slow


def talkwatch(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture(scope="module")
def mirror() -> Iterator[MirrorServer]:
    server = MirrorServer()
    server.start_in_thread()
    yield server
    server.stop()


def test_a_crawl_that_reaches_nothing_fails_and_exits_1(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    done = talkwatch("crawl", "mofa", "--db", db, "--mirror", f"http://127.0.0.1:{_closed_port()}")
    assert done.returncode == 1, done.stdout + done.stderr
    database, outcome = done.stdout.splitlines()[:2]
    assert database == f"database: {db}"  # every command says which database it uses
    assert outcome.startswith("mofa: failed — 0 fetched")
    assert "connection)" in done.stdout  # the errors are told by cause


def test_a_mirror_url_without_a_scheme_is_refused_before_crawling(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    done = talkwatch("crawl", "mofa", "--db", db, "--mirror", "127.0.0.1:8800")
    assert done.returncode == 2
    assert "not an http(s) URL" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.sqlite3").exists()


@pytest.fixture(scope="module")
def crawled_twice(mirror: MirrorServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    db = f"sqlite:///{tmp_path_factory.mktemp('outcomes') / 'x.sqlite3'}"
    mirror.state = 1
    outputs = [talkwatch("crawl", "jiji", "--db", db, "--mirror", mirror.base_url) for _ in range(2)]
    assert [o.returncode for o in outputs] == [0, 0], [o.stdout + o.stderr for o in outputs]
    return db, [o.stdout for o in outputs]


def test_the_first_crawl_is_ok_with_its_counts(crawled_twice: tuple[str, list[str]]):
    _, (first, _) = crawled_twice
    assert "\njiji: ok — " in first
    assert " 3 new, 0 changed, 0 blocked" in first


def test_a_crawl_that_finds_nothing_new_is_quiet(crawled_twice: tuple[str, list[str]]):
    _, (_, second) = crawled_twice
    assert "\njiji: quiet — " in second
    assert "0 new, 0 changed" in second and "not modified" in second


def test_crawls_outside_the_monitor_are_in_the_run_log(crawled_twice: tuple[str, list[str]]):
    db, _ = crawled_twice
    store = Store(db, rules=TEXT_RULES)
    try:
        assert [r.outcome for r in store.runs.recent(job="crawl:jiji")] == ["quiet", "ok"]
    finally:
        store.db.dispose()


def test_a_quiet_crawl_raises_no_alarm(crawled_twice: tuple[str, list[str]]):
    db, _ = crawled_twice
    store = Store(db, rules=TEXT_RULES)
    try:
        assert outlet_alarms(store.runs, "jiji", interval_minutes=30) == []
    finally:
        store.db.dispose()


def test_status_tells_the_counts_of_crawls_outside_the_monitor(crawled_twice: tuple[str, list[str]]):
    import json

    db, _ = crawled_twice
    done = talkwatch("status", "--db", db, "--json")
    jobs = {job["job"]: job for job in json.loads(done.stdout)["jobs"]}
    last = jobs["crawl:jiji"]["last_run"]  # the second, quiet crawl: nothing new
    assert (last["outcome"], last["new_versions"], last["changed_versions"]) == ("quiet", 0, 0)
    store = Store(db)
    try:
        first = store.runs.recent(job="crawl:jiji")[-1]  # what the first crawl recorded for status
    finally:
        store.db.dispose()
    assert first.stats["talkwatch/versions/new"] == 3  # before: {} for every crawl outside the monitor
    assert first.stats["talkwatch/flagged"] >= 1
