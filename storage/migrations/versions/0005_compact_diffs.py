"""Compact diffs: every stored diff becomes opcodes against the version before it (``storage/diff.py``).

A diff used to hold the readable form: the unchanged text repeated, the old and new side of every
changed sentence, written with ``\\uXXXX`` escapes (~3x a correction's body). Each one is rewritten from
that form and the previous version's text (:func:`storage.diff.compact_field`), and kept only when it
reads back exactly as stored. A diff that does not fit the version before it (written against a text
that was later rebuilt) keeps its readable form, which every reader still shows as it is.

Downgrade renders the opcodes back into the readable form, so an older talkwatch reads them.
No table changes; a database already holding compact diffs is left as it is (the upgrade only touches
diffs in the readable form), so this may run on any database, whatever it was stamped.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.diff import DiffMismatch, compact_field, render_field, texts

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
ARTICLES_PER_BATCH = 200

_versions = sa.table("versions", sa.column("id", sa.Integer), sa.column("article_id", sa.Integer),
                     sa.column("seq", sa.Integer), sa.column("title", sa.Text), sa.column("lead", sa.Text),
                     sa.column("body", sa.Text), sa.column("diff", sa.JSON))

Rewrite = Callable[[list[Any], str], list[Any] | None]  # a field's ops and previous text -> new ops


def _readable(ops: list[Any]) -> bool:
    return any(isinstance(op, dict) for op in ops)


def _to_compact(ops: list[Any], previous: str) -> list[Any] | None:
    if not ops:
        return []
    if not _readable(ops):
        return None  # compact already
    try:
        return compact_field(ops, previous)
    except (DiffMismatch, KeyError, TypeError):
        return None


def _to_readable(ops: list[Any], previous: str) -> list[Any] | None:
    if not ops:
        return []
    if _readable(ops):
        return None
    try:
        return render_field(ops, previous)
    except (DiffMismatch, IndexError, TypeError):
        return None


def _batches(connection: sa.Connection) -> Iterator[list[int]]:
    """Ids of the articles with more than one version, a batch at a time."""
    query = (sa.select(_versions.c.article_id).where(_versions.c.seq > 1).distinct()
             .order_by(_versions.c.article_id))
    ids = [row[0] for row in connection.execute(query)]
    for start in range(0, len(ids), ARTICLES_PER_BATCH):
        yield ids[start:start + ARTICLES_PER_BATCH]


def _rewritten(diff: dict[str, Any], previous: Any, rewrite: Rewrite) -> dict[str, Any] | None:
    """``diff`` with every field rewritten, or None when a field cannot be (the diff stays as it is)."""
    before = texts(previous)
    out: dict[str, Any] = {}
    for field, ops in diff.items():
        new_ops = rewrite(ops, before.get(field, "")) if isinstance(ops, list) else None
        if new_ops is None:
            return None
        out[field] = new_ops
    return out


def _rewrite_all(rewrite: Rewrite) -> tuple[int, int]:
    """Rewrite every version's diff; returns (rewritten, left as they were)."""
    connection = op.get_bind()
    done = kept = 0
    update = (_versions.update().where(_versions.c.id == sa.bindparam("version_id"))
              .values(diff=sa.bindparam("new_diff", type_=sa.JSON)))
    for article_ids in _batches(connection):
        rows = connection.execute(sa.select(_versions).where(_versions.c.article_id.in_(article_ids))
                                  .order_by(_versions.c.article_id, _versions.c.seq)).all()
        changes = []
        for previous, row in pairwise(rows):
            if not row.diff:
                continue
            linked = previous.article_id == row.article_id and previous.seq == row.seq - 1
            new_diff = _rewritten(dict(row.diff), previous, rewrite) if linked else None
            if new_diff is None:
                kept += 1
            else:
                changes.append({"version_id": row.id, "new_diff": new_diff})
        if changes:
            connection.execute(update, changes)
            done += len(changes)
    return done, kept


def upgrade() -> None:
    done, kept = _rewrite_all(_to_compact)
    log.info("compact diffs: %d rewritten, %d left as they were", done, kept)


def downgrade() -> None:
    done, kept = _rewrite_all(_to_readable)
    log.info("readable diffs: %d rewritten, %d left as they were", done, kept)
