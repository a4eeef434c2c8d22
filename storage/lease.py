"""Leases on the database: one monitor at a time schedules crawls and deliveries, and one crawl at a
time crawls an outlet.

A lease is a row of ``service_leases`` (name, holder, expiry) that its holder renews while it runs (a
heartbeat); anyone else finds it held and stays off. Each step is one conditional statement, so two
processes starting at the same instant cannot both win, on SQLite or PostgreSQL. A holder killed with
``kill -9`` stops renewing, so its lease runs out after ``ttl``; sooner when the holder was a process of
this host that is gone (its pid is dead): then the row is taken over at once.

- ``monitor``: held by ``talkwatch monitor`` (:mod:`crawler.service.scheduler`); a second monitor waits
  as a standby (``--standby``) or exits with a clear message.
- ``crawl:<outlet>``: held by the Scrapy process of a crawl of that outlet itself
  (:class:`crawler.extensions.CrawlLock`), whoever started it (``talkwatch crawl``, the monitor,
  ``scrapy crawl``, scrapyd). An orphaned crawl still renews it, so it still keeps a second crawl of its
  outlet away; the holder names the crawl's run id, so a monitor can tell a run whose crawl still lives
  from one whose crawl died (:meth:`Leases.held_run_ids`).

A holder is ``host:pid`` (and `` run_id`` for a crawl).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.tables import service_leases

CRAWL_PREFIX = "crawl:"


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    expires_at: datetime

    @property
    def run_id(self) -> str | None:
        """The crawl run this lease belongs to (``None`` for a monitor's)."""
        _, _, run_id = self.holder.partition(" ")
        return run_id or None

    @property
    def pid(self) -> int | None:
        try:
            return int(self.holder.split(" ", 1)[0].rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return None

    def live(self, now: datetime | None = None) -> bool:
        """Unexpired, and not held by a process of this host that is gone."""
        return self.expires_at > (now or _now()) and holder_alive(self.holder) is not False


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def crawl_holder(run_id: str) -> str:
    return f"{this_process()} {run_id}"


def crawl_lease(outlet: str) -> str:
    return f"{CRAWL_PREFIX}{outlet}"


def _now() -> datetime:
    return datetime.now(UTC)


def holder_alive(holder: str) -> bool | None:
    """Whether the holder's process lives: ``None`` when it is on another host (only its expiry tells)."""
    host, _, rest = holder.split(" ", 1)[0].rpartition(":")
    if host != socket.gethostname():
        return None
    try:
        pid = int(rest)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except (OSError, ValueError, IndexError):  # no /proc (not Linux): ask the kernel
        try:
            os.kill(int(rest), 0)
        except ProcessLookupError:
            return False
        except (OSError, ValueError):
            return None
        return True
    return state not in ("Z", "X")  # a zombie is dead, only not reaped yet


class Leases:
    """The lease table: take, renew, read and give back leases (one conditional statement a step)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def acquire(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew the lease; ``False`` while another holder's lease lives."""
        if self._take(name, holder, ttl):
            return True
        held = self.current(name)
        if held is None or held.holder == holder or holder_alive(held.holder) is not False:
            return self._take(name, holder, ttl) if held is None else False
        # its holder died on this host: take it over now, not after its ttl
        with self.db.connection() as conn:
            conn.execute(delete(service_leases).where(service_leases.c.name == name,
                                                      service_leases.c.holder == held.holder))
        return self._take(name, holder, ttl)

    def _take(self, name: str, holder: str, ttl: timedelta) -> bool:
        now = _now()
        with self.db.connection() as conn:
            taken = conn.execute(
                update(service_leases)
                .where(service_leases.c.name == name,
                       or_(service_leases.c.holder == holder, service_leases.c.expires_at < now))
                .values(holder=holder, expires_at=now + ttl))
            if taken.rowcount:
                return True
        try:
            with self.db.connection() as conn:
                conn.execute(insert(service_leases).values(name=name, holder=holder, expires_at=now + ttl))
            return True
        except IntegrityError:  # another holder has it (or just took it)
            return False

    def current(self, name: str) -> Lease | None:
        with self.db.connection() as conn:
            row = conn.execute(select(service_leases).where(service_leases.c.name == name)).first()
        return None if row is None else _lease(row)

    def live_holder(self, name: str) -> Lease | None:
        """The lease if someone alive holds it."""
        held = self.current(name)
        return held if held is not None and held.live() else None

    def held_run_ids(self) -> set[str]:
        """Run ids of the crawls that hold their outlet's lease now (their process lives)."""
        with self.db.connection() as conn:
            query = select(service_leases).where(service_leases.c.name.startswith(CRAWL_PREFIX))
            rows = conn.execute(query).all()
        now = _now()
        return {lease.run_id for lease in map(_lease, rows) if lease.run_id and lease.live(now)}

    def release(self, name: str, holder: str) -> None:
        with self.db.connection() as conn:
            conn.execute(delete(service_leases).where(service_leases.c.name == name,
                                                      service_leases.c.holder == holder))


def _lease(row: Any) -> Lease:
    expires: datetime = row.expires_at
    return Lease(row.name, row.holder, expires if expires.tzinfo else expires.replace(tzinfo=UTC))
