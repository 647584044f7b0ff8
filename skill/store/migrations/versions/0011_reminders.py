"""Reminders (issue 18): the patient's own waking hours and reminder state on `patients`, one
row per reminder at Amazon (`reminders`: its alert token per slot), and the prompts fired
(`reminder_prompts`). New columns are nullable, so code before this revision keeps working.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PATIENT_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("waking_start", sa.Integer(), nullable=True),
    sa.Column("waking_end", sa.Integer(), nullable=True),
    sa.Column("reminders_wanted", sa.Boolean(), nullable=True),
    sa.Column("reminders_offered_on", sa.Date(), nullable=True),
    sa.Column("reminders_declined_on", sa.Date(), nullable=True),
    sa.Column("reminders_synced", sa.String(64), nullable=True),
)


def upgrade() -> None:
    for column in PATIENT_COLUMNS:
        op.add_column("patients", column)
    op.create_table(
        "reminders",
        sa.Column("user_id", sa.String(512), primary_key=True),
        sa.Column("slot_key", sa.String(256), primary_key=True),
        sa.Column("alert_token", sa.String(512), nullable=False),
        sa.Column("hours", sa.String(128), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("text", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reminder_prompts",
        sa.Column("user_id", sa.String(512), primary_key=True),
        sa.Column("alert_token", sa.String(512), primary_key=True),
        sa.Column("fired_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("slot_key", sa.String(256), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("reminder_prompts")
    op.drop_table("reminders")
    # SQLite drops a column by rebuilding the table: batch mode does that.
    with op.batch_alter_table("patients") as batch:
        for column in reversed(PATIENT_COLUMNS):
            batch.drop_column(column.name)
