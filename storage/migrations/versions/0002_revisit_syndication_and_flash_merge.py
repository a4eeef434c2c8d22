"""Flash merge (articles.kind, articles.merged_into_id) and the near-duplicate index (signatures,
signature_bands) for syndication.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signature_bands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signature_bands", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signature_bands_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signature_bands_bucket"), ["bucket"], unique=False)

    op.create_table(
        "signatures",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("outlet", sa.String(length=40), nullable=False),
        sa.Column("published", sa.String(length=40), nullable=True),
        sa.Column("credit", sa.String(length=40), nullable=True),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="article", nullable=False))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_articles_outlet_kind_published", ["outlet", "kind", "published"])
        batch_op.create_foreign_key("fk_articles_merged_into_id", "articles", ["merged_into_id"], ["id"],
                                    ondelete="SET NULL")

    # jiji 速報 stored before articles had a kind: their headline says so
    op.execute(
        "UPDATE articles SET kind = 'flash' WHERE outlet = 'jiji' AND id IN "
        "(SELECT article_id FROM versions WHERE title LIKE '【速報】%')"
    )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_constraint("fk_articles_merged_into_id", type_="foreignkey")
        batch_op.drop_index("ix_articles_outlet_kind_published")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("kind")
    with op.batch_alter_table("signature_bands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signature_bands_bucket"))
        batch_op.drop_index(batch_op.f("ix_signature_bands_article_id"))
    op.drop_table("signature_bands")
    op.drop_table("signatures")
