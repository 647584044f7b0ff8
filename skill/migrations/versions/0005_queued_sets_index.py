"""An index of each patient's queued sets, so starting a set finds them without a scan.

Starting a set closes whatever the patient had open: the set in progress (found through
its partial unique index) and any queued set, which before this index meant reading every
set the patient ever did. Partial, like the in-progress one: it holds only queued sets.

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


def upgrade() -> None:
    op.create_index(
        "ix_exercise_sets_user_id_queued",
        "exercise_sets",
        ["user_id"],
        sqlite_where=QUEUED,
        postgresql_where=QUEUED,
    )


def downgrade() -> None:
    op.drop_index("ix_exercise_sets_user_id_queued", table_name="exercise_sets")
