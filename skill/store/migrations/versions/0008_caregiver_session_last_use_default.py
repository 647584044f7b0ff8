"""caregiver_sessions.last_used_at defaults to the current time, so an instance still running the
code before 0007 (which inserts sessions without it) keeps opening sessions during a rolling
deploy; such a session counts as last used when it opened.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot alter a column's default in place: batch mode rebuilds the table.
    with op.batch_alter_table("caregiver_sessions") as batch:
        batch.alter_column(
            "last_used_at",
            existing_type=sa.DateTime(timezone=True),
            existing_nullable=False,
            server_default=sa.func.now(),
        )


def downgrade() -> None:
    with op.batch_alter_table("caregiver_sessions") as batch:
        batch.alter_column(
            "last_used_at",
            existing_type=sa.DateTime(timezone=True),
            existing_nullable=False,
            server_default=None,
        )
