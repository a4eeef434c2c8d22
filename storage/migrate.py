"""Bring a database to the current schema through the Alembic migrations in ``storage/migrations``.

- an empty database is upgraded from nothing to head;
- a database at an older revision is upgraded to head;
- a database made before migrations existed (``create_all`` of the first schema, no ``alembic_version``)
  is stamped with the revision its tables match, then upgraded.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

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
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False)
                               .replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade (or, for an older ``revision``, only go as far as it) on one connection."""
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
    head = head_revision()
    revision = current_revision(engine)
    if revision == head:
        return
    if not inspect(engine).has_table("articles"):
        upgrade(engine)  # nothing there yet: create it
        return
    raise SchemaOutOfDate(f"the database is at schema revision {revision or 'unknown'}, this talkwatch needs "
                          f"{head}: run `talkwatch db upgrade --db …` first (back it up before)")


def ensure_schema(engine: Engine) -> None:
    """The database at the head revision, migrated if need be (the demo, the monitor at start,
    ``talkwatch db upgrade``). Cheap when it already is."""
    head = head_revision()
    if current_revision(engine) == head and inspect(engine).has_table("articles"):
        return
    upgrade(engine)


def _adopt_unversioned(conn: Connection, config: Config) -> None:
    """Reconcile ``alembic_version`` with the tables that are really there."""
    inspector = inspect(conn)
    has_version = inspector.has_table("alembic_version")
    if not inspector.has_table("articles"):
        if has_version:
            # the tables were dropped behind alembic's back (e.g. a test reset): start again from nothing
            conn.execute(text("DELETE FROM alembic_version"))
        return
    if has_version and MigrationContext.configure(conn).get_current_revision() is not None:
        return
    # made by create_all: the first schema, or the current one when it has the newest columns
    columns = {c["name"] for c in inspector.get_columns("articles")}
    revision = head_revision() if "merged_into_id" in columns else FIRST_REVISION
    config.attributes["connection"] = conn
    command.stamp(config, revision)
