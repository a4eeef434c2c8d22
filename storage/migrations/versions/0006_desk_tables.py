"""The desk's tables under Alembic: subscriptions and mutes per channel, and the search index.

They used to be made at run time by the desk (``crawler/web/subscriptions.py``: ``create_all``;
``crawler/web/search.py``: raw DDL), and by a delivery reading the subscriptions. A database that has them
from then keeps them as they are (same columns); the others get them here.

``web_search`` is dialect-specific and has no model: on SQLite an FTS5 virtual table with the trigram
tokenizer; elsewhere a table, on PostgreSQL with a ``pg_trgm`` GIN index on its text when the extension
can be created (without the privilege, search runs the same LIKE as a scan).

Downgrade leaves the three tables in place: the talkwatch of 0005 makes and uses exactly these tables
itself, and dropping them would delete the desk's subscriptions and mutes for nothing.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
_SQLITE_SEARCH = "CREATE VIRTUAL TABLE web_search USING fts5(doc, tokenize='trigram')"
_TABLE_SEARCH = "CREATE TABLE web_search (version_id INTEGER PRIMARY KEY, doc TEXT NOT NULL)"
_PG_TRIGRAM_INDEX = ("CREATE INDEX IF NOT EXISTS ix_web_search_doc_trgm ON web_search"
                     " USING gin (doc gin_trgm_ops)")


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def _subscriptions() -> None:
    op.create_table(
        "desk_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "kind", "value"),
    )
    op.create_index("ix_desk_subscriptions_channel", "desk_subscriptions", ["channel"])


def _mutes() -> None:
    op.create_table(
        "desk_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "thread_id"),
    )
    op.create_index("ix_desk_mutes_channel", "desk_mutes", ["channel"])


def _search_index() -> None:
    connection = op.get_bind()
    dialect = connection.dialect.name
    if _missing("web_search"):
        op.execute(_SQLITE_SEARCH if dialect == "sqlite" else _TABLE_SEARCH)
    if dialect != "postgresql":
        return
    try:
        with connection.begin_nested():  # a refusal must not abort the migration's transaction
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            connection.exec_driver_sql(_PG_TRIGRAM_INDEX)
    except sa.exc.DBAPIError as exc:
        log.warning("search without a trigram index (pg_trgm unavailable: %s)", exc.orig)


def upgrade() -> None:
    if _missing("desk_subscriptions"):
        _subscriptions()
    if _missing("desk_mutes"):
        _mutes()
    _search_index()


def downgrade() -> None:
    pass  # the tables stay (see above)
