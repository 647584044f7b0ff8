"""The sets-by-time index covers what the summary and the dashboard read from it.

Both count a patient's complete sets per exercise over a week or two. With `outcome` and
`exercise_id` in the index they are answered from the index alone, instead of one table page
per set: a patient's sets are spread over the table among everyone else's, so at a million
rows that was a hundred page reads for one summary.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NAME = "ix_exercise_sets_user_id_ended_at"


def upgrade() -> None:
    op.drop_index(NAME, table_name="exercise_sets")
    op.create_index(NAME, "exercise_sets", ["user_id", "ended_at", "outcome", "exercise_id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="exercise_sets")
    op.create_index(NAME, "exercise_sets", ["user_id", "ended_at"])
