"""Spoken check-ins and their alerts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(512), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=True),
        sa.Column("walk_minutes", sa.Integer(), nullable=True),
        sa.Column("sitting_minutes", sa.Integer(), nullable=True),
        sa.Column("worried", sa.Boolean(), nullable=True),
        sa.Column("alerts", sa.String(512), nullable=False, server_default=""),
    )
    op.create_index("ix_check_ins_user_id_checked_at", "check_ins", ["user_id", "checked_at"])


def downgrade() -> None:
    op.drop_index("ix_check_ins_user_id_checked_at", table_name="check_ins")
    op.drop_table("check_ins")
