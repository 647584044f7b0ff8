"""A patient's completed sets by the time they ended, alone in their own index.

A set start asks which exercises already had a guided set completed today (their
instructions were said, so later sets go straight to the count). The sets-by-time index holds
every set that ended, sets put aside included, so that question read one entry per set of the
day whatever its outcome, and a table row for each. This partial index holds complete sets
only, with what the question reads (exercise, start, delivery): it reads the day's complete
sets and nothing else.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COMPLETE = sa.text("outcome = 'complete'")
NAME = "ix_exercise_sets_user_id_completed"


def upgrade() -> None:
    op.create_index(
        NAME,
        "exercise_sets",
        ["user_id", "ended_at", "exercise_id", "started_at", "delivery"],
        sqlite_where=COMPLETE,
        postgresql_where=COMPLETE,
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="exercise_sets")
