"""The monitor: jobs persisted in the database, real crawls of the mirror recorded with their health,
the report job, `talkwatch status`, and a clean shutdown on SIGTERM in the middle of a crawl."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text, update

from crawler.cli import main
from crawler.mirror import SITE_DIR
from crawler.mirror.server import MirrorServer
from crawler.service.config import Config, parse_config
from crawler.service.scheduler import (
    JOBS_TABLE,
    _outlet_lock,
    build_scheduler,
    crawl_job,
    install_jobs,
    report_job,
    revisit_job,
)
from crawler.syndication import TEXT_RULES
from storage.models import Article
from storage.store import Store

ALL = ("jiji", "nhk", "reuters", "mofa")
REPO = Path(__file__).resolve().parents[2]


def only(outlet: str, db_url: str, mirror_url: str = "", **extra: object) -> Config:
    config = parse_config({"talkwatch": {"mirror_url": mirror_url, "progress_seconds": 0.2},
                           "outlets": {name: {"enabled": name == outlet, "interval_minutes": 30}
                                       for name in ALL},
                           **extra})
    config.database_url = db_url
    return config


def test_jobs_live_in_the_database(db_url: str) -> None:
    sqlite_url = db_url  # SQLite, and PostgreSQL when configured
    config = only("mofa", sqlite_url)
    store = Store(sqlite_url, rules=TEXT_RULES)
    with store.db.engine.begin() as conn:  # the shared PostgreSQL test database keeps tables between tests
        conn.execute(text(f"DROP TABLE IF EXISTS {JOBS_TABLE}"))
    scheduler = build_scheduler(config, store)
    scheduler.start(paused=True)
    later = datetime.now(UTC) + timedelta(hours=1)  # nothing is due while the test looks
    assert install_jobs(scheduler, config, now=later) == ["crawl:mofa", "revisit", "report"]
    first = {j.id: j.next_run_time for j in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)

    again = build_scheduler(config, Store(sqlite_url, rules=TEXT_RULES))
    again.start(paused=True)
    assert {j.id: j.next_run_time for j in again.get_jobs()} == first  # a restart keeps the schedule
    assert install_jobs(again, config, now=later) == []  # nothing changed
    mofa = again.get_job("crawl:mofa")
    assert (mofa.max_instances, mofa.coalesce, mofa.misfire_grace_time) == (1, True, 600)
    assert mofa.trigger.interval == timedelta(minutes=30)

    changed = only("jiji", sqlite_url)
    assert install_jobs(again, changed, now=later) == ["crawl:jiji", "revisit", "report"]
    assert sorted(j.id for j in again.get_jobs()) == ["crawl:jiji", "report", "revisit"]  # mofa dropped
    again.shutdown(wait=False)


def test_crawl_job_records_run_and_health(sqlite_url: str, mirror: MirrorServer) -> None:
    config = only("mofa", sqlite_url, mirror.base_url)
    # the mirror's MOFA country page links one page that answers 404: stored all else, degraded
    assert crawl_job("mofa", config.to_dict()) == "degraded"
    store = Store(sqlite_url, rules=TEXT_RULES)
    [run] = store.runs.recent(job="crawl:mofa")
    assert run.outcome == "degraded" and run.returncode == 0 and run.finished_at is not None
    assert run.health["error_causes"] == {"http": 1}
    assert run.stats["talkwatch/versions/new"] == 3
    assert run.health["items"] == 3 and run.health["new_versions"] == 3 and run.health["pages"] >= 5
    assert run.health["coverage"] == {"title": 1.0, "date": 1.0, "body": 1.0}
    assert {f.run_id for f in store.fetches.where(outlet="mofa")} == {run.run_id}


def test_revisit_job_crawls_only_due_articles(sqlite_url: str, mirror: MirrorServer) -> None:
    config = only("mofa", sqlite_url, mirror.base_url)
    crawl_job("mofa", config.to_dict())
    store = Store(sqlite_url, rules=TEXT_RULES)
    revisit_job(config.to_dict())  # just crawled: nothing is due yet
    assert store.runs.recent(job="revisit:mofa") == []
    due = store.articles.article("mofa:mofaj/na/na1/us/pageit_000001_01515")
    assert due is not None
    with store.db.session() as s:
        s.execute(update(Article).where(Article.id == due.id)
                  .values(next_visit_at=datetime.now(UTC) - timedelta(minutes=1)))
    revisit_job(config.to_dict())
    [run] = store.runs.recent(job="revisit:mofa")
    assert run.outcome == "quiet"  # the revisited readout had not changed
    fetched = [f for f in store.fetches.where(run_id=run.run_id) if f.role != "robots"]
    assert [(f.role, f.url) for f in fetched] == [
        ("article", "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html")]


def test_never_two_crawls_of_one_outlet(sqlite_url: str) -> None:
    config = only("mofa", sqlite_url)
    with _outlet_lock("mofa"):
        assert crawl_job("mofa", config.to_dict(), revisit=True) == "skipped"
    store = Store(sqlite_url, rules=TEXT_RULES)
    store.db.create_schema()  # the skipped job did not even open the database
    assert store.runs.recent() == []


def test_report_job_writes_and_delivers(sqlite_url: str, mirror: MirrorServer, tmp_path: Path) -> None:
    config = only("mofa", sqlite_url, mirror.base_url,
                  report={"dir": str(tmp_path / "reports"), "formats": ["md", "html", "json", "atom"]},
                  delivery=[{"kind": "file", "name": "desk", "path": str(tmp_path / "desk.md")}])
    crawl_job("mofa", config.to_dict())
    report_job(config.to_dict())
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert [n for n in names if n.startswith("latest")] == ["latest.atom.xml", "latest.html", "latest.json",
                                                            "latest.md"]
    assert len([n for n in names if n.startswith("report-")]) == 4
    assert "## New talks" in (tmp_path / "desk.md").read_text("utf-8")
    [run] = Store(sqlite_url, rules=TEXT_RULES).runs.recent(job="report")
    assert run.outcome == "ok" and "file:desk: sent" in (run.message or "")


def test_an_unwritable_report_folder_still_lets_every_channel_deliver(sqlite_url: str, mirror: MirrorServer,
                                                                     tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the report folder should be", encoding="utf-8")
    config = only("mofa", sqlite_url, mirror.base_url, report={"dir": str(blocker / "reports")},
                  delivery=[{"kind": "file", "name": "desk", "path": str(tmp_path / "desk.md")}])
    crawl_job("mofa", config.to_dict())
    report_job(config.to_dict())
    assert "## New talks" in (tmp_path / "desk.md").read_text("utf-8")  # the channel was still tried
    [run] = Store(sqlite_url, rules=TEXT_RULES).runs.recent(job="report")
    assert run.outcome == "failed"
    assert "report files not written" in (run.message or "") and "file:desk: sent" in (run.message or "")


def test_status(sqlite_url: str, mirror: MirrorServer, capsys: pytest.CaptureFixture[str]) -> None:
    crawl_job("mofa", only("mofa", sqlite_url, mirror.base_url).to_dict())
    assert main(["status", "--db", sqlite_url]) in (0, 1)
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("crawl:mofa"))
    assert " degraded " in line and " 3 " in line  # outcome, items
    assert "mofa" in out and "100% 100% 100%" in out


def mofa_monitor_config(tmp_path: Path, mirror: str, *extra: str) -> Path:
    """A monitor config that crawls only MOFA, from ``mirror``, hourly; ``extra`` lines go in [talkwatch]."""
    config = tmp_path / "talkwatch.toml"
    settings = "\n".join(extra)
    config.write_text(f"""
[talkwatch]
mirror_url = "{mirror}"
stop_grace_seconds = 30
{settings}
[outlets.jiji]
enabled = false
[outlets.nhk]
enabled = false
[outlets.reuters]
enabled = false
[outlets.mofa]
interval_minutes = 60
[revisit]
enabled = false
[report]
interval_minutes = 600
dir = "{tmp_path / 'reports'}"
""", encoding="utf-8")
    return config


def slow_site(tmp_path: Path) -> Path:
    """The mirror's MOFA pages, with one article answering only after 8 s."""
    site = tmp_path / "site"
    shutil.copytree(SITE_DIR / "mofa", site / "mofa")
    routes = yaml.safe_load((site / "mofa" / "routes.yaml").read_text("utf-8"))
    page = next(r for r in routes if r["url"].endswith("pageit_000001_01522.html"))
    slow = {**page, "fault": "slow", "delay": 8}
    routes.append(slow)
    (site / "mofa" / "routes.yaml").write_text(yaml.safe_dump(routes, allow_unicode=True), "utf-8")
    return site


@pytest.mark.slow
def test_monitor_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'tw.sqlite3'}"
    server = MirrorServer([slow_site(tmp_path)])
    server.start_in_thread()
    config = mofa_monitor_config(tmp_path, server.base_url, "progress_seconds = 1")
    log = (tmp_path / "monitor.log").open("w")
    monitor = subprocess.Popen([sys.executable, "-m", "crawler.cli", "monitor", "--config", str(config),
                                "--db", db_url], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    store = Store(db_url, rules=TEXT_RULES)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the crawl is under way, stuck on the slow page
            if server.attempts.get("https://www.mofa.go.jp/mofaj/a_o/ocn/au/pageit_000001_01522.html"):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the crawl never reached the slow page:\n" + (tmp_path / "monitor.log").read_text())
        time.sleep(1.5)
        monitor.send_signal(signal.SIGTERM)
        assert monitor.wait(timeout=60) == 0
    finally:
        if monitor.poll() is None:
            monitor.kill()
        server.stop()
    text = (tmp_path / "monitor.log").read_text()
    assert "SIGTERM received" in text and "asked 1 running crawl(s) to stop" in text
    assert "monitor stopped" in text
    assert "crawl:mofa: running for" in text  # the progress line
    [run] = store.runs.recent(job="crawl:mofa")
    assert run.outcome == "interrupted" and run.finished_at is not None
    assert run.stats.get("finish_reason") == "shutdown"
    # what the crawl finished before the signal is stored
    assert store.counts()["versions"] >= 2
    assert run.health["new_versions"] >= 2
    assert run.started_at > datetime.now(UTC) - timedelta(minutes=5)
