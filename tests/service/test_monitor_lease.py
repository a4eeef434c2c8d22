"""One monitor per database: a second one does not start, and a monitor killed with kill -9 leaves no
orphan crawl behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer
from storage.store import Store
from tests.service.processes import alive, children
from tests.service.test_scheduler import REPO, mofa_monitor_config, slow_site

SLOW_PAGE = "https://www.mofa.go.jp/mofaj/a_o/ocn/au/pageit_000001_01522.html"


def test_a_held_lease_is_refused_to_another_holder(store: Store):
    assert store.leases.acquire("monitor", "host-a:1", timedelta(seconds=60))
    assert store.leases.acquire("monitor", "host-a:1", timedelta(seconds=60))  # renewal
    assert not store.leases.acquire("monitor", "host-b:2", timedelta(seconds=60))
    held = store.leases.current("monitor")
    assert held is not None and held.holder == "host-a:1"


def test_a_lease_that_ran_out_can_be_taken(store: Store):
    assert store.leases.acquire("monitor", "dead:1", timedelta(seconds=-1))  # expired at once
    assert store.leases.acquire("monitor", "next:2", timedelta(seconds=60))


def test_a_released_lease_is_free(store: Store):
    assert store.leases.acquire("monitor", "a:1", timedelta(seconds=60))
    store.leases.release("monitor", "a:1")
    assert store.leases.current("monitor") is None


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's")
def test_a_second_monitor_refuses_and_a_killed_one_leaves_no_orphan(tmp_path: Path):
    db_url = f"sqlite:///{tmp_path / 'tw.sqlite3'}"
    server = MirrorServer([slow_site(tmp_path)])
    server.start_in_thread()
    config = mofa_monitor_config(tmp_path, server.base_url)
    command = [sys.executable, "-m", "crawler.cli", "monitor", "--config", str(config), "--db", db_url]
    log = (tmp_path / "monitor.log").open("w")
    first = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
    crawl: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not server.attempts.get(SLOW_PAGE):
            time.sleep(0.1)
        assert server.attempts.get(SLOW_PAGE), (tmp_path / "monitor.log").read_text()
        second = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert "another monitor is running on this database" in second.stderr
        crawl = children(first.pid, b"scrapy")
        assert len(crawl) == 1
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and alive(crawl[0]):
            time.sleep(0.2)
        assert not alive(crawl[0]), "the crawl kept running after its monitor was killed"
    finally:
        for pid in crawl:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if first.poll() is None:
            first.kill()
        server.stop()


def _slow_site(tmp_path: Path, delay: float) -> Path:
    site = slow_site(tmp_path)
    routes = site / "mofa" / "routes.yaml"
    routes.write_text(routes.read_text("utf-8").replace("delay: 8", f"delay: {delay:g}"), "utf-8")
    return site


def _wait(condition: Callable[[], object], limit: float, why: str) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(why)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's")
def test_a_killed_monitors_crawl_keeps_its_outlet_and_its_record_true(tmp_path: Path):
    """kill -9 of the monitor in a slow crawl: the crawl stops by itself (it finishes the page it waits
    for), and while it lives no second crawl of the outlet starts and the restarted monitor does not call
    its run interrupted; once it is gone its run says interrupted, and no orphan is left."""
    db_url = f"sqlite:///{tmp_path / 'tw.sqlite3'}"
    server = MirrorServer([_slow_site(tmp_path, 14)])
    server.start_in_thread()
    config = mofa_monitor_config(tmp_path, server.base_url)
    command = [sys.executable, "-m", "crawler.cli", "monitor", "--config", str(config), "--db", db_url]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(command, cwd=REPO, stdout=(tmp_path / "first.log").open("w"),
                             stderr=subprocess.STDOUT, env=env)
    second: subprocess.Popen[bytes] | None = None
    crawl: list[int] = []
    store = Store(db_url)
    try:
        _wait(lambda: server.attempts.get(SLOW_PAGE), 60, "the crawl never reached the slow page")
        crawl = children(first.pid, b"scrapy")
        assert len(crawl) == 1
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        second = subprocess.Popen(command, cwd=REPO, stdout=(tmp_path / "second.log").open("w"),
                                  stderr=subprocess.STDOUT, env=env)
        # the orphan still waits for its slow page: a second crawl of MOFA is refused
        again = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "mofa", "--db", db_url,
                                "--mirror", server.base_url], cwd=REPO, capture_output=True, text=True,
                               timeout=120)
        assert alive(crawl[0]), "the orphan ended before the second crawl was tried"
        assert again.returncode == 1, again.stdout + again.stderr
        assert "another crawl of mofa is running" in again.stdout
        _wait(lambda: "monitor started" in (tmp_path / "second.log").read_text(), 60,
              "the restarted monitor did not start")
        assert alive(crawl[0])
        [run] = store.runs.recent(job="crawl:mofa")
        assert run.outcome == "running"  # the restarted monitor left the live crawl's run alone
        _wait(lambda: not alive(crawl[0]), 40, "the crawl kept running after its monitor was killed")
        _wait(lambda: store.runs.recent(job="crawl:mofa")[0].outcome != "running", 20,
              "the run stayed running")
        [run] = store.runs.recent(job="crawl:mofa")
        assert run.outcome == "interrupted" and run.finished_at is not None
        assert "monitor died" in (run.message or "")
        assert run.health is not None and run.health["new_versions"] >= 2  # what it stored is told
        # the second crawl never reached the mirror: each page was asked for by the one crawl only
        assert max(server.hits.values()) == 1, server.hits
        assert store.leases.current("crawl:mofa") is None  # the orphan released its lock
    finally:
        for pid in crawl:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        store.db.dispose()
        server.stop()
    assert "interrupted" not in (tmp_path / "second.log").read_text()
