"""Indexes for what every set start, summary and dashboard reads.

- Each patient's queued sets: starting a set closes whatever the patient had open, the set in
  progress (found through its partial unique index) and any queued set, which before this
  index meant reading every set the patient ever did. Partial, like the in-progress one: it
  holds only queued sets; `outcome` is in it so that SQLite's planner, which has no
  statistics, prefers it to the index below for `user_id = ? AND outcome = 'queued'`.
- The sets-by-time index covers what the summary and the dashboard read from it: both count a
  patient's complete sets per exercise over a week or two. With `outcome` and `exercise_id` in
  the index they are answered from the index alone, instead of one table page per set (a
  patient's sets are spread over the table among everyone else's: at a million rows, a
  hundred page reads for one summary).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

QUEUED = sa.text("outcome = 'queued'")
BY_TIME = "ix_exercise_sets_user_id_ended_at"


def upgrade() -> None:
    op.create_index(
        "ix_exercise_sets_user_id_queued",
        "exercise_sets",
        ["user_id", "outcome"],
        sqlite_where=QUEUED,
        postgresql_where=QUEUED,
    )
    op.drop_index(BY_TIME, table_name="exercise_sets")
    op.create_index(BY_TIME, "exercise_sets", ["user_id", "ended_at", "outcome", "exercise_id"])


def downgrade() -> None:
    op.drop_index(BY_TIME, table_name="exercise_sets")
    op.create_index(BY_TIME, "exercise_sets", ["user_id", "ended_at"])
    op.drop_index("ix_exercise_sets_user_id_queued", table_name="exercise_sets")
