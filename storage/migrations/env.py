"""Alembic environment. :mod:`storage.migrate` passes an open connection in ``config.attributes``;
without one (the ``alembic`` command line) the URL comes from the config or TALKWATCH_DATABASE_URL."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import database_url, make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # tables of other metadata (storage/health.py's service tables) are not ours to migrate
    return not (type_ == "table" and reflected and compare_to is None)


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER constraints: batch mode copies the table instead
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url())
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
