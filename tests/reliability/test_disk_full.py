"""A full disk for real: the SQLite database on a small tmpfs that a filler file leaves only a few
kilobytes on, hit at several points of a crawl. After space returns, the next crawls leave the database
equal to a clean run's (articles, versions, alerts, threads): nothing was lost, nothing doubled.

Needs root to mount a tmpfs (CI runs as root); skipped with that reason otherwise.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer
from crawler.service.crawl import CrawlResult, run_crawl
from crawler.syndication import TEXT_RULES
from storage.store import Store

pytestmark = pytest.mark.slow
OUTLETS = ("jiji", "mofa")


def _counts(url: str) -> dict[str, int]:
    store = Store(url, rules=TEXT_RULES)
    try:
        counts = store.counts()
    finally:
        store.db.dispose()
    return {k: counts[k] for k in ("articles", "versions", "alerts", "threads")}


def _crawl(url: str, mirror: MirrorServer, state: int) -> list[CrawlResult]:
    mirror.state = state
    return [run_crawl(outlet, url, mirror_url=mirror.base_url, timeout=120) for outlet in OUTLETS]


@pytest.fixture(scope="module")
def tiny_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    where = tmp_path_factory.mktemp("tinyfs")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4M", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs for a real full disk (needs root): {mounted.stderr.strip()}")
    yield where
    subprocess.run(["umount", str(where)], check=False)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, mirror_module: MirrorServer) -> dict[str, int]:
    url = f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.sqlite3'}"
    _crawl(url, mirror_module, 1)
    _crawl(url, mirror_module, 2)
    return _counts(url)


@pytest.fixture(scope="module")
def mirror_module() -> Iterator[MirrorServer]:
    server = MirrorServer()
    server.start_in_thread()
    yield server
    server.stop()


@pytest.mark.parametrize("free_kb", [40, 160, 400])
def test_a_crawl_on_a_full_disk_loses_nothing(tiny_disk: Path, mirror_module: MirrorServer,
                                              clean: dict[str, int], free_kb: int):
    for leftover in tiny_disk.iterdir():
        leftover.unlink()
    url = f"sqlite:///{tiny_disk / 'talkwatch.sqlite3'}"
    store = Store(url, rules=TEXT_RULES)
    store.db.create_schema()
    store.db.dispose()
    filler = tiny_disk / "filler"
    stat = os.statvfs(tiny_disk)
    filler.write_bytes(b"\0" * max(stat.f_bavail * stat.f_frsize - free_kb * 1024, 0))
    full = _crawl(url, mirror_module, 1)
    assert any(r.outcome == "failed" for r in full), [r.summary() for r in full]  # the disk filled up
    filler.unlink()
    _crawl(url, mirror_module, 1)  # space is back: the same state again, then the edits
    _crawl(url, mirror_module, 2)
    assert _counts(url) == clean
