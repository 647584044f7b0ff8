"""When each caregiver session was last used, so an idle session can be refused.

Existing sessions count as last used when they opened (so those idle for longer than the
timeout are refused from now on).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "caregiver_sessions", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE caregiver_sessions SET last_used_at = created_at")
    with op.batch_alter_table("caregiver_sessions") as batch:
        batch.alter_column("last_used_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("caregiver_sessions") as batch:
        batch.drop_column("last_used_at")
