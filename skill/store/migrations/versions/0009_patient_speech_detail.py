"""patients.speech_detail: how much the patient wants to hear ("brief" or "full"), remembered
from "shorter" / "more detail"; NULL is the brief default, so existing patients hear it and the
code before this revision keeps writing patients during a rolling deploy.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("patients", sa.Column("speech_detail", sa.String(8), nullable=True))


def downgrade() -> None:
    # SQLite drops a column by rebuilding the table: batch mode does that.
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("speech_detail")
