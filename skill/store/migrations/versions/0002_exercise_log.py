"""The exercise log: guided sets of in-bed exercises, and pain reports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

IN_PROGRESS = sa.text("outcome = 'in_progress'")


def upgrade() -> None:
    op.create_table(
        "exercise_sets",
        sa.Column("set_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(512), nullable=False),
        sa.Column("exercise_id", sa.String(64), nullable=False),
        sa.Column("pace", sa.String(16), nullable=False),
        sa.Column("delivery", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("repetitions_done", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("repetitions_target", sa.Integer(), nullable=False),
        sa.Column("pain_score", sa.Integer(), nullable=True),
        sa.Column("up_next", sa.String(512), server_default="", nullable=False),
        sa.Column("follows", sa.String(64), nullable=True),
        sa.Column("stream", sa.String(256), nullable=True),
    )
    op.create_index("ix_exercise_sets_user_id_ended_at", "exercise_sets", ["user_id", "ended_at"])
    op.create_index(
        "ix_exercise_sets_user_id_started_at", "exercise_sets", ["user_id", "started_at"]
    )
    op.create_index(
        "uq_exercise_sets_user_id_in_progress",
        "exercise_sets",
        ["user_id"],
        unique=True,
        sqlite_where=IN_PROGRESS,
        postgresql_where=IN_PROGRESS,
    )
    op.create_table(
        "pain_reports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(512), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.String(64), nullable=True),
        sa.CheckConstraint("score >= 0 AND score <= 10", name="ck_pain_reports_score_range"),
    )
    op.create_index(
        "ix_pain_reports_user_id_reported_at", "pain_reports", ["user_id", "reported_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_pain_reports_user_id_reported_at", table_name="pain_reports")
    op.drop_table("pain_reports")
    op.drop_index("uq_exercise_sets_user_id_in_progress", table_name="exercise_sets")
    op.drop_index("ix_exercise_sets_user_id_started_at", table_name="exercise_sets")
    op.drop_index("ix_exercise_sets_user_id_ended_at", table_name="exercise_sets")
    op.drop_table("exercise_sets")
