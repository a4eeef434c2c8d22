"""MOFA articles keyed by their page path; the fetch log records which path gave each article field.

MOFA file names repeat across folders (``pageit_000001_00004.html`` is a different readout in each
section), so a key of the file name alone merged different pages. The key becomes the path without
its extension, read from the stored canonical URL (``mofa:mofaj/na/na1/us/pageit_000001_01515``);
thread membership and the fetch log follow the article. Versions, alerts and deliveries hang on the
article's id and move with it.

``versions.change_kind`` names every field that changed (``correction+title+lead+body`` is 26 characters).

``snapshots.content_type`` becomes unbounded text (a server's header, any length).

``fetches.fields``: for an article page that reached its parser, where each field came from (the
outlet's own rules, a ``fallback:*`` path, or ``missing``), so crawl health counts coverage from it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("key", sa.String),
                     sa.column("stable_key", sa.String), sa.column("outlet", sa.String),
                     sa.column("canonical_url", sa.Text))
_members = sa.table("thread_members", sa.column("article_key", sa.String))
_fetches = sa.table("fetches", sa.column("article_key", sa.String))


def path_key(canonical_url: str) -> str | None:
    """``https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html`` →
    ``mofaj/na/na1/us/pageit_000001_01515``."""
    path = urlsplit(canonical_url or "").path.strip("/")
    if not path.endswith((".html", ".htm")):
        return None
    return path.rsplit(".", 1)[0]


def _rekey(old_key: str, new_key: str) -> None:
    op.execute(_members.update().where(_members.c.article_key == old_key).values(article_key=new_key))
    op.execute(_fetches.update().where(_fetches.c.article_key == old_key).values(article_key=new_key))


def upgrade() -> None:
    with op.batch_alter_table("fetches") as batch_op:
        batch_op.add_column(sa.Column("fields", sa.JSON(), nullable=True))
    with op.batch_alter_table("versions") as batch_op:
        batch_op.alter_column("change_kind", type_=sa.String(length=40), existing_nullable=False)
    # a server's Content-Type header is outlet input: PostgreSQL refused a 200-character one
    with op.batch_alter_table("snapshots") as batch_op:
        batch_op.alter_column("content_type", type_=sa.Text(), existing_nullable=True)
    connection = op.get_bind()
    rows = connection.execute(sa.select(_articles.c.id, _articles.c.key, _articles.c.canonical_url)
                              .where(_articles.c.outlet == "mofa")).all()
    for article_id, old_key, canonical_url in rows:
        stable_key = path_key(canonical_url)
        if stable_key is None or old_key == f"mofa:{stable_key}":
            continue  # not a page URL we can read a path from: the old key stays
        new_key = f"mofa:{stable_key}"
        op.execute(_articles.update().where(_articles.c.id == article_id)
                   .values(key=new_key, stable_key=stable_key))
        _rekey(old_key, new_key)


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_articles.c.id, _articles.c.key, _articles.c.stable_key)
                              .where(_articles.c.outlet == "mofa")).all()
    for article_id, new_key, stable_key in rows:
        file_name = stable_key.rsplit("/", 1)[-1]
        old_key = f"mofa:{file_name}"
        if old_key == new_key:
            continue
        op.execute(_articles.update().where(_articles.c.id == article_id)
                   .values(key=old_key, stable_key=file_name))
        _rekey(new_key, old_key)
    with op.batch_alter_table("fetches") as batch_op:
        batch_op.drop_column("fields")
    snapshots = sa.table("snapshots", sa.column("content_type", sa.Text))
    op.execute(snapshots.update().where(sa.func.length(snapshots.c.content_type) > 120)
               .values(content_type=sa.func.substr(snapshots.c.content_type, 1, 120)))
    with op.batch_alter_table("snapshots") as batch_op:
        batch_op.alter_column("content_type", type_=sa.String(length=120), existing_nullable=True)
    # kinds longer than the old column keep their first part
    versions = sa.table("versions", sa.column("change_kind", sa.String))
    op.execute(versions.update().where(sa.func.length(versions.c.change_kind) > 20)
               .values(change_kind=sa.func.substr(versions.c.change_kind, 1, 10)))
    with op.batch_alter_table("versions") as batch_op:
        batch_op.alter_column("change_kind", type_=sa.String(length=20), existing_nullable=False)
