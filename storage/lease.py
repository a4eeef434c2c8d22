"""A lease on the database: one monitor at a time schedules crawls and deliveries.

Two ``talkwatch monitor`` on one database crawled every outlet twice and sent every alert twice. The
monitor holds a lease row (``service_leases``) that it renews while it runs; a second monitor finds it
held and does not start. A monitor killed with ``kill -9`` stops renewing, so its lease runs out after
``ttl`` and the next monitor may take over. Each step is one conditional statement, so two monitors
starting at the same instant cannot both win, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.models import service_leases
from storage.store import Store


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    expires_at: datetime


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


def acquire(store: Store, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease; ``False`` while another holder's lease has not run out."""
    now = _now()
    with store.db.session() as s:
        taken = s.connection().execute(
            update(service_leases)
            .where(service_leases.c.name == name,
                   or_(service_leases.c.holder == holder, service_leases.c.expires_at < now))
            .values(holder=holder, expires_at=now + ttl))
        if taken.rowcount:
            return True
    try:
        with store.db.session() as s:
            s.execute(insert(service_leases).values(name=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:  # another holder has it (or just took it)
        return False


def current(store: Store, name: str) -> Lease | None:
    with store.db.session() as s:
        row = s.execute(select(service_leases).where(service_leases.c.name == name)).first()
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    return Lease(row.name, row.holder, expires)


def release(store: Store, name: str, holder: str) -> None:
    with store.db.session() as s:
        s.execute(delete(service_leases).where(service_leases.c.name == name,
                                               service_leases.c.holder == holder))
