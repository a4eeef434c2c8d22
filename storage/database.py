"""The database: an engine and this thread's session, one short transaction at a time.

Every repository is given the same ``Database``. Those that load and save objects (:mod:`storage.articles`,
:mod:`storage.threads`, :mod:`storage.alerts`, :mod:`storage.syndication`) run in :meth:`Database.session`,
an ORM session; those that only read and write rows (:mod:`storage.fetchlog`, :mod:`storage.runs`) run in
:meth:`Database.connection`, plain Core, so a command that needs only them (``talkwatch status``) never
imports the ORM. :meth:`Database.unit` groups the calls of several repositories into one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, CursorResult, Engine

from storage.db import database_url, make_engine
from storage.tables import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise ValueError("the statement inserted no row")
    return int(key[0])


class Database:
    def __init__(self, url: str | None = None, engine: Engine | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.url = database_url(url)
        self.engine = engine or make_engine(self.url)
        self.clock = clock  # "now" for what storage stamps (tests pass a fake clock)
        self._local = threading.local()  # this thread's Session, and whether a transaction is open in it
        self._held: list[Connection] = []  # the connections held for threads (SQLite), closed by dispose()
        self._held_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_schema(self) -> None:
        """The database at the head revision, through the Alembic migrations."""
        from storage.migrate import ensure_schema  # migrate imports alembic: only when asked

        ensure_schema(self.engine)

    def dispose(self) -> None:
        with self._held_lock:
            held, self._held = self._held, []
        for connection in held:
            connection.close()
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One short transaction (long ones hold SQLite's write lock). Called inside another (or inside
        :meth:`unit`), it joins that one."""
        local = self._local
        if getattr(local, "active", False):
            yield local.session
            return
        session = self._thread_session()
        try:
            with session.begin():
                local.active = True
                try:
                    yield session
                finally:
                    local.active = False
        finally:
            # as a new Session would be: no object of an earlier transaction answers s.get() stale
            session.expunge_all()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One short transaction on a Core connection; inside :meth:`session` or :meth:`unit` (or another
        ``connection()``) it joins that transaction."""
        local = self._local
        if getattr(local, "active", False):
            yield local.session.connection()
            return
        joined: Connection | None = getattr(local, "connection", None)
        if joined is not None:
            yield joined
            return
        with self._transaction() as connection:
            local.connection = connection
            try:
                yield connection
            finally:
                local.connection = None

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        if self.dialect != "sqlite":
            with self.engine.begin() as connection:
                yield connection
            return
        connection = self._sqlite_connection()  # the one this thread's session uses, idle between calls
        with connection.begin():
            yield connection

    def unit(self) -> AbstractContextManager[Session]:
        """Run several repository calls as one transaction: what one pipeline step writes for one page.

        Each BEGIN/COMMIT costs more than the statements a page needs, so the crawl groups a step's
        calls. All of them commit together or not at all; keep a unit short (no network, no parsing
        inside) since it may hold SQLite's write lock. Units nest (the inner one joins the outer)."""
        return self.session()

    def stored_instant(self, moment: datetime) -> datetime:
        """``moment`` as a timestamp column stores it: UTC; SQLite keeps no offset, so there it is naive
        UTC (comparing an aware +09:00 time with it would compare wall clocks, not instants)."""
        utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        return utc.replace(tzinfo=None) if self.dialect == "sqlite" else utc

    def _thread_session(self) -> Session:
        """This thread's Session, made once: making a Session and checking a connection out of the pool
        for every transaction cost more than the statements of most of them (~100 µs a time). On SQLite
        the thread keeps its connection (a file needs no reconnecting); other databases check one out
        of the pool for each transaction, pinged first, so a server restart costs no failed call."""
        session: Session | None = getattr(self._local, "session", None)
        if session is None:
            from sqlalchemy.orm import Session  # the ORM: only for the repositories that use objects

            bind = self._sqlite_connection() if self.dialect == "sqlite" else self.engine
            session = self._local.session = Session(bind, expire_on_commit=False)
        return session

    def _sqlite_connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "sqlite_connection", None)
        if connection is None:
            connection = self._local.sqlite_connection = self.engine.connect()
            with self._held_lock:
                self._held.append(connection)
        return connection
