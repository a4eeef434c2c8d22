"""The flag worker flags what a crawl stores, in storage order, in a process of its own."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from crawler.crawl import run_crawl
from crawler.errors import ConfigError
from crawler.flagging import flag_version
from crawler.flagworker import NICENESS, FlagWorker
from crawler.mirror.server import MirrorServer
from crawler.pipelines.flag import FlagPipeline
from storage import Store
from storage.models import Alert, Article, Signature, Thread, ThreadMember
from tests.storage.helpers import STORY, text

FOLLOW_UP = [
    "岩屋毅外相は２１日、ルビオ米国務長官とワシントンで会談し、2プラス2の早期開催で一致した。",
    "外務省幹部は「会談で確認した方針に沿って準備を急ぐ」と語った。",
]
UNRELATED = ["東京都内の百貨店で２１日、冬物衣料の販売が始まった。", "売り場は多くの買い物客でにぎわった。"]


def _fill(url: str) -> Store:
    """Four versions, stored in this order and not flagged: talks, a follow-up, an unrelated story, an
    edit of the first."""
    store = Store(url)
    store.create_schema()
    store.save_version(text(STORY, outlet="jiji", key="2025012100921"))
    store.save_version(text(FOLLOW_UP, title="日米外相、2+2の早期開催で一致", outlet="jiji",
                            key="2025012200455", published="2025-01-22T09:00:00+09:00"))
    store.save_version(text(UNRELATED, title="冬物衣料の販売始まる", outlet="jiji", key="2025012100777"))
    store.save_version(text([*STORY, "両氏は近く電話で再び協議する。"], outlet="jiji", key="2025012100921"))
    return store


def _outcome(store: Store) -> dict[str, list[tuple[str, ...]]]:
    with store.session() as s:
        return {
            "labels": sorted(map(tuple, s.execute(select(Article.key, Article.label)))),
            "alerts": sorted(map(tuple, s.execute(select(Alert.kind, Article.key)
                                                  .join(Article, Article.id == Alert.article_id)))),
            "threads": sorted(map(tuple, s.execute(
                select(ThreadMember.article_key, ThreadMember.role, Thread.title)
                .join(Thread, Thread.id == ThreadMember.thread_id)))),
        }


def test_the_worker_flags_the_versions_as_the_crawl_would(tmp_path: Path):
    worker_store = _fill(f"sqlite:///{tmp_path / 'worker.sqlite3'}")
    report = FlagWorker.start(worker_store.url, "jiji").finish(timeout=120)
    assert report is not None
    assert (report.decided, report.flagged, report.failed) == (4, 3, 0)
    assert report.peak_rss_mb > 0

    inline_store = _fill(f"sqlite:///{tmp_path / 'inline.sqlite3'}")
    for version in inline_store.unflagged_versions("jiji"):
        flag_version(inline_store, version)

    outcome = _outcome(worker_store)
    assert outcome == _outcome(inline_store)
    assert outcome["alerts"] == [("changed", "jiji:2025012100921"), ("follow-up", "jiji:2025012200455"),
                                 ("new", "jiji:2025012100921")]
    assert ("jiji:2025012100777", "other") in outcome["labels"]
    assert worker_store.unflagged_versions("jiji") == []
    worker_store.dispose()
    inline_store.dispose()


def test_the_worker_indexes_what_the_crawl_stored_unindexed(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}")
    store.create_schema()
    store.save_version(text(STORY, outlet="jiji", key="2025012100921"), index=False)
    assert store.near_duplicates("日米外相会談", "\n".join(STORY)) == []
    assert FlagWorker.start(store.url, "jiji").finish(timeout=120) is not None
    assert [d.key for d in store.near_duplicates("日米外相会談", "\n".join(STORY))] == ["jiji:2025012100921"]
    store.dispose()


def test_the_worker_finishes_its_work_when_the_crawl_is_gone(tmp_path: Path):
    store = _fill(f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}")
    worker = FlagWorker.start(store.url, "jiji")
    assert worker.process.stdin is not None
    worker.process.stdin.close()  # what a killed crawl leaves its worker: no more input
    assert worker.process.wait(timeout=120) == 0
    assert store.unflagged_versions("jiji") == []
    store.dispose()


def test_the_worker_leaves_sigterm_to_its_crawl(tmp_path: Path):
    # systemd and the monitor signal the whole process group; the crawl closes cleanly and says "drain"
    store = _fill(f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}")
    worker = FlagWorker.start(store.url, "jiji")
    deadline = time.monotonic() + 60
    while store.unflagged_versions("jiji") and time.monotonic() < deadline:
        time.sleep(0.05)  # working: past its start-up, its signal handlers are set
    worker.process.send_signal(signal.SIGTERM)
    report = worker.finish(timeout=60)
    assert report is not None and report.decided == 4
    store.dispose()


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities on this system")
def test_the_worker_yields_the_cpu_to_its_crawl(tmp_path: Path):
    store = _fill(f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}")
    worker = FlagWorker.start(store.url, "jiji")
    deadline = time.monotonic() + 60
    while store.unflagged_versions("jiji") and time.monotonic() < deadline:
        time.sleep(0.05)  # past its start-up
    niceness = os.getpriority(os.PRIO_PROCESS, worker.process.pid)
    assert worker.finish(timeout=60) is not None
    assert niceness == min(os.getpriority(os.PRIO_PROCESS, 0) + NICENESS, 19)
    store.dispose()


def _pipeline(database_url: str, mode: str) -> FlagPipeline:
    crawler = get_crawler(Spider, {"TALKWATCH_DATABASE_URL": database_url, "TALKWATCH_FLAG_WORKER": mode})
    return FlagPipeline(crawler)


def test_the_worker_setting(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}"
    assert _pipeline(url, "on")._use_worker() is True
    assert _pipeline(url, "off")._use_worker() is False
    assert _pipeline("sqlite://", "on")._use_worker() is False  # no other process sees that database
    with pytest.raises(ConfigError, match="TALKWATCH_FLAG_WORKER='sometimes'"):
        _pipeline(url, "sometimes")._use_worker()


@pytest.mark.parametrize("mode", ["on", "off"])
def test_a_crawl_flags_with_and_without_the_worker(tmp_path: Path, mode: str):
    db_url = f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}"
    server = MirrorServer()
    server.start_in_thread()
    try:
        result = run_crawl("mofa", db_url, mirror_url=server.base_url, timeout=120,
                           settings={"TALKWATCH_FLAG_WORKER": mode})
    finally:
        server.stop()
    assert result.ok
    assert ("talkwatch/flag_worker/peak_rss_mb" in result.stats) == (mode == "on")
    stored = result.stat("versions/new") + result.stat("versions/changed")
    assert stored > 0 and result.stat("decided") == stored
    store = Store(db_url)
    assert store.unflagged_versions("mofa") == []
    assert store.label_of("mofa:mofaj/na/na1/us/pageit_000001_01515") == "ministerial"
    with store.session() as s:  # every stored article is in the near-duplicate index
        indexed = s.scalar(select(func.count(Signature.article_id)))
        assert indexed == s.scalar(select(func.count(Article.id))) > 0
    store.dispose()
