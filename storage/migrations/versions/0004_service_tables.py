"""The service's tables under Alembic: the run log, the delivery log and the monitor lease.

``service_runs`` and ``delivery_log`` used to be created at run time, on read paths too (``status``
made them); a database that has them from then keeps them as they are.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if _missing("service_runs"):
        op.create_table(
            "service_runs",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("run_id", sa.String(length=40), nullable=False),
            sa.Column("job", sa.String(length=60), nullable=False),
            sa.Column("outlet", sa.String(length=40), nullable=True),
            sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("outcome", sa.String(length=20), nullable=False),
            sa.Column("returncode", sa.Integer(), nullable=True),
            sa.Column("stats", sa.JSON(), nullable=True),
            sa.Column("health", sa.JSON(), nullable=True),
            sa.Column("message", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("run_id"),
        )
        op.create_index("ix_service_runs_job", "service_runs", ["job"])
        op.create_index("ix_service_runs_outlet", "service_runs", ["outlet"])
    if _missing("delivery_log"):
        op.create_table(
            "delivery_log",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("channel", sa.String(length=200), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("outcome", sa.String(length=20), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("alerts", sa.Integer(), nullable=False),
            sa.Column("alarms", sa.Integer(), nullable=False),
            sa.Column("error", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_delivery_log_channel", "delivery_log", ["channel"])
    op.create_table(
        "service_leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("service_leases")
    op.drop_index("ix_delivery_log_channel", table_name="delivery_log")
    op.drop_table("delivery_log")
    op.drop_index("ix_service_runs_outlet", table_name="service_runs")
    op.drop_index("ix_service_runs_job", table_name="service_runs")
    op.drop_table("service_runs")
