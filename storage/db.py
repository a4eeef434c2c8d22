"""Engines: SQLite (the embedded default, in WAL mode) or any SQLAlchemy URL."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError

# the embedded default: var/ beside scrapy.cfg, whichever directory a command runs from, so
# `talkwatch crawl` (its crawl runs in a subprocess) and `talkwatch report` open the same file
DEFAULT_DATABASE_PATH = Path(__file__).resolve().parents[1] / "var" / "talkwatch.sqlite3"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATABASE_PATH}"


class BadDatabaseURL(ValueError):
    pass


def database_url(explicit: str | None = None) -> str:
    """``explicit``, else ``TALKWATCH_DATABASE_URL``, else the embedded SQLite file; a relative SQLite
    path is made absolute against the directory the command was started in, once, so every process
    of one command (the crawl subprocess, the flag step, the report) opens the same file."""
    url = explicit or os.environ.get("TALKWATCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # make_engine says what is wrong with it
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database is None or not_a_plain_file(database):
        return url
    path = Path(database).expanduser()
    if path.is_absolute():
        return url
    return parsed.set(database=str(Path.cwd() / path)).render_as_string(hide_password=False)


IDLE_IN_TRANSACTION_MS = 60_000


def make_engine(url: str) -> Engine:
    try:
        return _make_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise BadDatabaseURL(
            f"the database URL {url!r} (--db or TALKWATCH_DATABASE_URL) is not one talkwatch can open; "
            "use e.g. sqlite:///var/talkwatch.sqlite3 or postgresql+psycopg://user@127.0.0.1:5432/talkwatch"
        ) from exc
    except ImportError as exc:
        raise BadDatabaseURL(
            f"the database driver for {url!r} is not installed ({exc.name}); "
            'for PostgreSQL: pip install -e ".[postgres]"'
        ) from exc


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database is not None and not not_a_plain_file(database):
            _sqlite_folder(Path(database))
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=json_text)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver we install (extra "postgres")
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args = {}
    if parsed.get_backend_name() == "postgresql" and "options" not in parsed.query:
        # a connection lost mid-transaction (a network cut) leaves its server session "idle in
        # transaction", holding row locks the next crawl's inserts wait on forever: the server ends
        # such a session after a minute (talkwatch never idles inside a transaction)
        connect_args["options"] = f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
    return create_engine(parsed, pool_pre_ping=True, json_serializer=json_text, connect_args=connect_args)


def json_text(value: Any) -> str:
    """JSON columns as UTF-8 text: Japanese stays itself (``\\uXXXX`` escapes took six bytes a character
    where UTF-8 takes three)."""
    return json.dumps(value, ensure_ascii=False)


def not_a_plain_file(database: str | None) -> bool:
    """In-memory databases and SQLite URI filenames (``file:…?mode=ro&uri=true``) are passed as given."""
    return not database or database == ":memory:" or database.startswith("file:")


def _sqlite_folder(path: Path) -> None:
    """The default database's folder is made on first use; any other must exist (a mistyped
    ``--db`` must not create folders and an empty database somewhere)."""
    if path.resolve() == DEFAULT_DATABASE_PATH:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise BadDatabaseURL(f"the folder {path.parent} of the SQLite database {path.name} does not exist; "
                             "create it, or fix --db / TALKWATCH_DATABASE_URL")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets a report read while a crawl writes; busy_timeout waits out short write locks
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def insert_ignoring_duplicates(connection: Connection, table: Any, values: dict[str, Any]) -> None:
    """INSERT a row unless a unique constraint already holds it, without failing the transaction
    (a failed INSERT would abort a unit of work, or a PostgreSQL transaction, around it)."""
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        connection.execute(_insert_or_nothing(dialect, table).values(**values))
        return
    try:
        with connection.begin_nested():
            connection.execute(insert(table).values(**values))
    except IntegrityError:
        pass


def _insert_or_nothing(dialect: str, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` in the dialect's own construct (SQLite or PostgreSQL)."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    return postgresql_insert(table).on_conflict_do_nothing()
