"""Bring a database to the current schema through the Alembic migrations in ``storage/migrations``.

- an empty database is upgraded from nothing to head;
- a database at an older revision is upgraded to head;
- a database made before migrations existed (``create_all`` of the first schema, no ``alembic_version``)
  is stamped with the revision its tables match, then upgraded.
"""

from __future__ import annotations

import ast
import atexit
import fcntl
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import Inspector

from storage.db import not_a_plain_file

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (and the Mako and Pygments it brings) is imported where a migration is read or run: a
# command on a database already at head (`talkwatch status`, `report`) never loads it.

FIRST_REVISION = "0001"


@lru_cache(maxsize=1)
def migrations_dir() -> Path:
    """The migrations folder on disk; copied out once when the package runs from a zip (a scrapyd egg)."""
    source = resources.files("storage") / "migrations"
    if isinstance(source, Path) and source.is_dir():
        return source
    target = Path(tempfile.mkdtemp(prefix="talkwatch-migrations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy_tree(source, target)
    return target


def _copy_tree(source: Traversable, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                (target / entry.name).mkdir()
                _copy_tree(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())


def alembic_config(engine: Engine | None = None) -> Config:
    """A Config built in code: no alembic.ini in the working directory is needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False)
                               .replace("%", "%%"))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# pg_advisory_lock's key for "a migration is running on this database" (any bigint of our own)
MIGRATION_LOCK_KEY = 0x74616C6B77617463  # "talkwatc"


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """One migration at a time on a database, whichever processes start at once (two commands on a new
    database would both create its tables): a PostgreSQL advisory lock, a lock file beside an SQLite
    file. Not reentrant."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not_a_plain_file(database):
        yield  # in memory: one process only
        return
    with open(f"{database}.migrate-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade (or, for an older ``revision``, only go as far as it) on one connection, one migration at
    a time (:func:`migration_lock`)."""
    with migration_lock(engine):
        _upgrade(engine, revision)


def _upgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    config = alembic_config(engine)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # batch mode copies a table and drops the old one: with foreign keys on, that drop would
            # cascade into the rows that point at it (every version of every article). The pragma
            # only takes effect outside a transaction.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            _adopt_unversioned(conn, config)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


class SchemaOutOfDate(RuntimeError):
    """The database was made by an older talkwatch; only ``talkwatch db upgrade`` moves it."""


def require_current_schema(engine: Engine) -> None:
    """What a crawl or a report calls first: a new, empty database gets the schema; one at an older
    revision is not migrated behind the user's back (a crawl must not hold a long migration's lock)."""
    if _at_declared_head(engine):
        return  # the everyday case, answered without loading Alembic
    with migration_lock(engine):  # another process may be creating the schema: wait for it, then look
        head = head_revision()
        revision = current_revision(engine)
        if revision == head:
            return
        if not inspect(engine).has_table("articles"):
            _upgrade(engine, "head")  # nothing there yet: create it
            return
    raise SchemaOutOfDate(f"the database is at schema revision {revision or 'unknown'}, this talkwatch needs "
                          f"{head}: run `talkwatch db upgrade --db …` first (back it up before)")


# `revision = "0004"` / `down_revision: str | None = "0003"` at the top of a revision file
_DECLARATION = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


@lru_cache(maxsize=1)
def declared_head() -> str | None:
    """The head revision as the revision files declare it (each names itself and the one before it),
    read without importing Alembic. ``None`` when they do not form one straight line (a branch, a merge,
    a file this cannot read): then only Alembic's own answer counts."""
    revisions: dict[str, str | None] = {}
    for path in (migrations_dir() / "versions").glob("*.py"):
        found = dict(_DECLARATION.findall(path.read_text("utf-8")))
        if not found:
            continue  # __init__.py
        try:
            revision, down = ast.literal_eval(found["revision"]), ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
            return None
        revisions[revision] = down
    heads = set(revisions) - set(revisions.values())
    if len(heads) != 1 or list(revisions.values()).count(None) != 1:
        return None
    return heads.pop()


def _at_declared_head(engine: Engine) -> bool:
    """Whether ``alembic_version`` holds exactly the declared head; ``False`` whenever in doubt."""
    head = declared_head()
    if head is None:
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) == [head]


def ensure_schema(engine: Engine) -> None:
    """The database at the head revision, migrated if need be (the demo, the monitor at start,
    ``talkwatch db upgrade``). Cheap when it already is."""
    head = head_revision()
    if current_revision(engine) == head and inspect(engine).has_table("articles"):
        return
    upgrade(engine)


def _adopt_unversioned(conn: Connection, config: Config) -> None:
    """Reconcile ``alembic_version`` with the tables that are really there."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    inspector = inspect(conn)
    has_version = inspector.has_table("alembic_version")
    if not inspector.has_table("articles"):
        if has_version:
            # the tables were dropped behind alembic's back (e.g. a test reset): start again from nothing
            conn.execute(text("DELETE FROM alembic_version"))
        return
    if has_version and MigrationContext.configure(conn).get_current_revision() is not None:
        return
    config.attributes["connection"] = conn
    command.stamp(config, _revision_of_tables(inspector))


def _revision_of_tables(inspector: Inspector) -> str:
    """The newest revision whose tables a database made by ``create_all`` holds. The migrations after it
    run: from 0004 on they make only what is missing (0004's logs, 0006's desk tables) and touch only
    diffs still in the readable form (0005), so a database of the current models comes to no harm."""
    if "merged_into_id" not in {c["name"] for c in inspector.get_columns("articles")}:
        return FIRST_REVISION
    if inspector.has_table("service_leases"):
        return "0004"
    return "0003" if "fields" in {c["name"] for c in inspector.get_columns("fetches")} else "0002"
