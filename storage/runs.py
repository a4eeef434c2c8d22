"""The service's run log and delivery log (tables in :mod:`storage.tables`, created and moved by Alembic
like the rest), read and written with Core statements:

- ``service_runs``: one row per scheduled job run (crawl, revisit, report): when, outcome, exit status,
  Scrapy's ``talkwatch/*`` stats, and the run's health (:mod:`storage.health`);
- ``delivery_log``: one row per delivery of a report to a channel: attempts, outcome, error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import func, insert, select, update

from storage.database import Database
from storage.tables import delivery_log, service_runs, utcnow

# the run outcomes that count as a crawl that worked (the silent alarm's "last successful crawl")
SUCCESSFUL_OUTCOMES = ("ok", "quiet", "degraded")


@dataclass
class RunRow:
    run_id: str
    job: str
    outlet: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    returncode: int | None
    stats: dict[str, Any]
    health: dict[str, Any] | None
    message: str | None


class Runs:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- the run log -------------------------------------------------------------------------------

    def start(self, run_id: str, job: str, outlet: str | None = None,
              started_at: datetime | None = None) -> None:
        with self.db.connection() as conn:
            conn.execute(insert(service_runs).values(run_id=run_id, job=job, outlet=outlet,
                                                  started_at=started_at or utcnow(), outcome="running"))

    def exists(self, run_id: str) -> bool:
        with self.db.connection() as conn:
            query = select(service_runs.c.run_id).where(service_runs.c.run_id == run_id)
            return conn.scalar(query) is not None

    def finish(self, run_id: str, outcome: str, returncode: int | None = None,
               stats: dict[str, Any] | None = None, health: dict[str, Any] | None = None,
               message: str | None = None) -> None:
        with self.db.connection() as conn:
            conn.execute(update(service_runs).where(service_runs.c.run_id == run_id).values(
                finished_at=utcnow(), outcome=outcome, returncode=returncode, stats=stats or {},
                health=health, message=message))

    def close_stale(self, spared: Iterable[str] = ()) -> list[tuple[str, str]]:
        """Mark ``interrupted`` the runs left ``running`` by a process that died, but those in ``spared``
        (the caller's own, and those whose crawl still holds its outlet's lease:
        :meth:`storage.lease.Leases.held_run_ids`; the crawl process renews it, so a crawl that outlived its
        monitor is still running). Returns (run_id, job) of each run closed."""
        spared = set(spared)
        with self.db.connection() as conn:
            running = [(r.run_id, r.job) for r in conn.execute(
                select(service_runs.c.run_id, service_runs.c.job).where(service_runs.c.outcome == "running"))
                if r.run_id not in spared]
            for run_id, _ in running:
                conn.execute(update(service_runs).where(service_runs.c.run_id == run_id,
                                                     service_runs.c.outcome == "running").values(
                    outcome="interrupted", finished_at=utcnow(),
                    message="its process stopped during the run (no live crawl holds the run's lock)"))
        return running

    def recent(self, job: str | None = None, outlet: str | None = None, limit: int = 20,
               finished_only: bool = False) -> list[RunRow]:
        """Most recent first."""
        query = select(service_runs).order_by(service_runs.c.started_at.desc(), service_runs.c.id.desc())
        if job is not None:
            query = query.where(service_runs.c.job == job)
        if outlet is not None:
            query = query.where(service_runs.c.outlet == outlet)
        if finished_only:
            query = query.where(service_runs.c.outcome != "running")
        with self.db.connection() as conn:
            return [_row(r) for r in conn.execute(query.limit(limit))]

    def latest(self) -> dict[str, RunRow]:
        """The latest run of every job."""
        latest: dict[str, RunRow] = {}
        with self.db.connection() as conn:
            newest = (select(service_runs.c.job, func.max(service_runs.c.id).label("id"))
                      .group_by(service_runs.c.job).subquery())
            rows = conn.execute(select(service_runs).join(newest, service_runs.c.id == newest.c.id))
            for row in rows:
                latest[row.job] = _row(row)
        return latest

    def last_success(self, job: str) -> datetime | None:
        """When the job's last successful run finished."""
        with self.db.connection() as conn:
            value = conn.scalar(select(func.max(service_runs.c.finished_at))
                             .where(service_runs.c.job == job,
                                    service_runs.c.outcome.in_(SUCCESSFUL_OUTCOMES)))
        return _aware(value)

    def first_start(self, job: str) -> datetime | None:
        """When the job first ran."""
        with self.db.connection() as conn:
            value = conn.scalar(select(func.min(service_runs.c.started_at)).where(service_runs.c.job == job))
        return _aware(value)

    # --- the delivery log --------------------------------------------------------------------------

    def record_delivery(self, channel: str, outcome: str, attempts: int, alerts: int, alarms: int,
                        error: str | None = None) -> None:
        with self.db.connection() as conn:
            conn.execute(insert(delivery_log).values(channel=channel, at=utcnow(), outcome=outcome,
                                                  attempts=attempts, alerts=alerts, alarms=alarms,
                                                  error=error))

    def deliveries(self, channel: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent first."""
        query = select(delivery_log).order_by(delivery_log.c.id.desc()).limit(limit)
        if channel is not None:
            query = query.where(delivery_log.c.channel == channel)
        with self.db.connection() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _row(row: Any) -> RunRow:
    return RunRow(row.run_id, row.job, row.outlet, _aware(row.started_at), _aware(row.finished_at),
                  row.outcome, row.returncode, dict(row.stats or {}), row.health, row.message)


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: datetime | None) -> datetime | None: ...
def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything here is UTC
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
