"""``talkwatch status``: each job's last run and next run, crawl health and alarms."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from crawler.cli import CONFIG_HELP, DB_OR_CONFIG_HELP, add_command
from crawler.reports.data import crawl_health
from crawler.secrets import mask_secrets
from crawler.service.config import Config, load_config
from storage.database import Database
from storage.fetchlog import FetchLog
from storage.health import RunHealth
from storage.migrate import require_current_schema
from storage.runs import RunRow, Runs

# Status reads the run log and the fetch log alone, through their Core repositories rather than the
# Store: the Store's ORM repositories take longer to import than status takes to answer (under 0.4 s
# on an empty database: tests/benchmarks/cli.py).

# The monitor's schedule is read from its table without loading the monitor (APScheduler, the crawl
# runner and Scrapy behind it): the table name and the job ids are crawler.service.scheduler's, and
# tests/test_cli_commands.py keeps the two equal.
JOBS_TABLE = "apscheduler_jobs"


def configured_jobs(config: Config) -> set[str]:
    """The ids of the jobs the monitor installs for ``config`` (the keys of ``desired_jobs``)."""
    jobs = {f"crawl:{outlet.name}" for outlet in config.enabled_outlets()}
    if config.revisit_enabled:
        jobs.add("revisit")
    return jobs | {"report"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "status", epilog="Exits 1 while an alarm is up.")
    parser.add_argument("--config", type=Path, metavar="FILE", help=CONFIG_HELP)
    parser.add_argument("--db", help=DB_OR_CONFIG_HELP)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.set_defaults(handler=run)


def next_runs(db: Database) -> dict[str, datetime | None]:
    """Next run of every job in the monitor's job store (read straight from its table)."""
    if not inspect(db.engine).has_table(JOBS_TABLE):
        return {}
    with db.connection() as conn:
        rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOBS_TABLE}"))
        return {row.id: datetime.fromtimestamp(row.next_run_time, UTC) if row.next_run_time else None
                for row in rows}


def status(db: Database, config: Config) -> dict[str, Any]:
    runs = Runs(db)
    latest = runs.latest()
    upcoming = next_runs(db)
    jobs = []
    for job_id in sorted(configured_jobs(config) | set(upcoming) | {j for j in latest if ":" in j
                                                                       or j == "report"}):
        run = latest.get(job_id)
        jobs.append({"job": job_id, "scheduled": job_id in upcoming,
                     "next_run": next_run.isoformat() if (next_run := upcoming.get(job_id)) else None,
                     "last_run": _run(run)})
    health, alarms = crawl_health(runs, config)
    pending = [{"outlet": outlet, "url": p.url, "last_outcome": p.outcome, "reason": p.reason,
                "tries": p.tries, "next_try": p.next_try.isoformat()}
               for outlet, p in ((_outlet_of(p.url), p) for p in FetchLog(db).pending_articles())]
    return {"jobs": jobs,
            "health": [{"outlet": h.outlet, **(h.health.to_dict() if h.health else {})} for h in health],
            "alarms": [{"outlet": a.outlet, "kind": a.kind, "message": a.message} for a in alarms],
            "pending": pending}


def _outlet_of(url: str) -> str | None:
    from crawler.outlets import outlet_for_url  # the outlet modules, only when an article is pending

    outlet = outlet_for_url(url)
    return outlet.OUTLET.name if outlet else None


def _run(run: RunRow | None) -> dict[str, Any] | None:
    if run is None:
        return None
    h = RunHealth.from_dict(run.health) if run.health else None
    stats = run.stats or {}
    return {"run_id": run.run_id, "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "outcome": run.outcome, "returncode": run.returncode,
            "items": h.items if h else None,
            "new_versions": int(stats.get("talkwatch/versions/new", 0)) if h else None,
            "changed_versions": int(stats.get("talkwatch/versions/changed", 0)) if h else None,
            "flagged": int(stats.get("talkwatch/flagged", 0)) if h else None,
            "message": (run.message or "")[-300:] or None}


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    db = Database(args.db or config.database_url or None)
    require_current_schema(db.engine)
    data = status(db, config)
    data["database"] = mask_secrets(db.url)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    print(f"database: {data['database']}")
    print(f"{'job':<16} {'last run (UTC)':<17} {'outcome':<12} {'items':>5} {'new':>4} {'chg':>4} "
          f"{'flag':>4}  next run (UTC)")
    for job in data["jobs"]:
        last = job["last_run"] or {}
        started = last.get("started_at", "")[:16].replace("T", " ") or "never"
        nxt = (job["next_run"] or "")[:16].replace("T", " ")
        nxt = nxt or ("not scheduled" if not job["scheduled"] else "-")
        print(f"{job['job']:<16} {started:<17} {last.get('outcome', '-'):<12} {_n(last.get('items')):>5} "
              f"{_n(last.get('new_versions')):>4} {_n(last.get('changed_versions')):>4} "
              f"{_n(last.get('flagged')):>4}  {nxt}")
    print()
    print(f"{'outlet':<9} {'pages':>5} {'items':>5} {'blocked':>7} {'errors':>6}  coverage (title date body)")
    for h in data["health"]:
        if "pages" not in h:
            print(f"{h['outlet']:<9} no monitored crawl yet")
            continue
        cov = " ".join("–" if v is None else f"{v:.0%}" for v in h["coverage"].values())
        print(f"{h['outlet']:<9} {h['pages']:>5} {h['items']:>5} {h['blocked']:>7} {h['errors']:>6}  {cov}")
    print()
    if data["pending"]:
        count = len(data["pending"])
        print(f"PENDING ({count} articles not stored yet; each crawl of its outlet asks again):")
        for item in data["pending"]:
            why = f"{item['last_outcome']}" + (f": {item['reason']}" if item["reason"] else "")
            print(f"  {item['outlet'] or '?':<8} {item['url']} — {why}; {item['tries']} tries, "
                  f"next {item['next_try'][:16].replace('T', ' ')} UTC")
        print()
    if data["alarms"]:
        print("ALARMS:")
        for alarm in data["alarms"]:
            print(f"  [{alarm['kind']}] {alarm['message']}")
    else:
        print("no alarms")
    return 1 if data["alarms"] else 0


def _n(value: Any) -> str:
    return "-" if value is None else str(value)
