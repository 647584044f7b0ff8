"""Caregiver access: one-time codes and the browser sessions they open.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNUSED = sa.text("used_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "caregiver_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(512), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "uq_caregiver_codes_unused_hash",
        "caregiver_codes",
        ["code_hash"],
        unique=True,
        sqlite_where=UNUSED,
        postgresql_where=UNUSED,
    )
    op.create_index("ix_caregiver_codes_user_id", "caregiver_codes", ["user_id"])
    op.create_table(
        "caregiver_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_caregiver_sessions_user_id", "caregiver_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_caregiver_sessions_user_id", table_name="caregiver_sessions")
    op.drop_table("caregiver_sessions")
    op.drop_index("ix_caregiver_codes_user_id", table_name="caregiver_codes")
    op.drop_index("uq_caregiver_codes_unused_hash", table_name="caregiver_codes")
    op.drop_table("caregiver_codes")
