"""Database tables, as SQLAlchemy Core tables (the skill reads and writes with Core only).

Alembic's autogenerate and the migration tests compare the migrations with `metadata`. Every
datetime column is a `UtcDateTime` (skill.store.utc): aware times in, aware UTC times out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    text,
)

from skill.store.utc import UtcDateTime

metadata = MetaData()


# SQLite and PostgreSQL both build partial indexes; the migrations write each one's WHERE.
PARTIAL_INDEX_DIALECTS = ("sqlite", "postgresql")


def _when(condition: str) -> dict[str, Any]:
    """The WHERE clause of a partial index, kept in `info` until a dialect is chosen.

    Naming `postgresql_where` here would make SQLAlchemy import its PostgreSQL dialect (to
    check the keyword) in every app, SQLite ones included; `use_partial_indexes` gives the
    clause to the dialect in use once its engine exists.
    """
    return {"info": {"where": condition}}


def use_partial_indexes(dialect_name: str) -> None:
    """Give each partial index its WHERE clause for `dialect_name` (idempotent).

    Called when an engine is made (skill.store.engine, the migrations' environment), so that
    `metadata` describes the indexes as that database builds them.
    """
    if dialect_name not in PARTIAL_INDEX_DIALECTS:
        return
    for table in metadata.tables.values():
        for index in table.indexes:
            condition = index.info.get("where")
            if condition is not None:
                index.dialect_kwargs[f"{dialect_name}_where"] = text(condition)


# One Alexa user: their surgery date and preferences.
PATIENTS = Table(
    "patients",
    metadata,
    Column("user_id", String(512), primary_key=True),
    Column("surgery_date", Date),
    Column("time_zone", String(64)),
    Column("locale", String(16)),
    Column("preferences", JSON, default=dict),
    # "brief" or "full": the wording the patient chose ("shorter", "more detail"); NULL is brief
    # (migration 0009).
    Column("speech_detail", String(8)),
    # The patient's own waking hours, whole local hours ("remind me from nine till nine");
    # NULL: the plan's (migration 0011).
    Column("waking_start", Integer),
    Column("waking_end", Integer),
    # Reminders: wanted (asked for or accepted; False after "no" or "stop"), when the launch
    # offered them, when the permission was last declined (no new ask for 7 days), and what was
    # last synced with Amazon in full (NULL: something is owed; skill.reminders.service).
    Column("reminders_wanted", Boolean),
    Column("reminders_offered_on", Date),
    Column("reminders_declined_on", Date),
    Column("reminders_synced", String(64)),
    Column("created_at", UtcDateTime(), server_default=func.now()),
    Column("updated_at", UtcDateTime(), server_default=func.now(), onupdate=func.now()),
)

# One guided set of an in-bed exercise: queued, in progress, or how it ended.
EXERCISE_SETS = Table(
    "exercise_sets",
    metadata,
    Column("set_id", String(64), primary_key=True),
    Column("user_id", String(512), nullable=False),
    Column("exercise_id", String(64), nullable=False),
    Column("pace", String(16), nullable=False),
    # "audio", "speech" or "self_report"
    Column("delivery", String(16), nullable=False),
    # "queued", "in_progress", "complete", "partial" or "stopped_for_pain"
    Column("outcome", String(20), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime()),
    Column("repetitions_done", Integer, nullable=False, server_default=text("0")),
    Column("repetitions_target", Integer, nullable=False),
    Column("pain_score", Integer),
    # Comma-separated exercise ids to do after this set.
    Column("up_next", String(512), nullable=False, server_default=""),
    # The set this queued set follows.
    Column("follows", String(64)),
    # The AudioPlayer token the set last played under: events of older streams are ignored.
    Column("stream", String(256)),
    # Covering the summary's and dashboard's reads of a patient's recent sets (migration 0005).
    Index("ix_exercise_sets_user_id_ended_at", "user_id", "ended_at", "outcome", "exercise_id"),
    Index("ix_exercise_sets_user_id_started_at", "user_id", "started_at"),
    # At most one set in progress per patient, whatever two devices send at once.
    Index(
        "uq_exercise_sets_user_id_in_progress",
        "user_id",
        unique=True,
        **_when("outcome = 'in_progress'"),
    ),
    # A patient's queued sets, closed whenever a set starts (migration 0005).
    Index("ix_exercise_sets_user_id_queued", "user_id", "outcome", **_when("outcome = 'queued'")),
    # A patient's complete sets by when they ended, for a set start's "instructed today?"
    # (migration 0010).
    Index(
        "ix_exercise_sets_user_id_completed",
        "user_id",
        "ended_at",
        "exercise_id",
        "started_at",
        "delivery",
        **_when("outcome = 'complete'"),
    ),
)

# A pain score from 0 to 10 the patient gave, during a set or on its own.
PAIN_REPORTS = Table(
    "pain_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(512), nullable=False),
    Column("reported_at", UtcDateTime(), nullable=False),
    Column("score", Integer, nullable=False),
    Column("set_id", String(64)),
    CheckConstraint("score >= 0 AND score <= 10", name="ck_pain_reports_score_range"),
    Index("ix_pain_reports_user_id_reported_at", "user_id", "reported_at"),
)

# One spoken check-in: each answer (None when skipped) and the alerts it set off.
CHECK_INS = Table(
    "check_ins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(512), nullable=False),
    Column("checked_at", UtcDateTime(), nullable=False),
    Column("pain", Integer),
    Column("walk_minutes", Integer),
    Column("sitting_minutes", Integer),
    Column("worried", Boolean),
    # Comma-separated ids of the plan's check-in alerts this check-in set off ("" for none).
    Column("alerts", String(512), nullable=False, server_default=""),
    Index("ix_check_ins_user_id_checked_at", "user_id", "checked_at"),
)

# A one-time code a patient gives a caregiver: stored as a keyed hash, never in clear.
CAREGIVER_CODES = Table(
    "caregiver_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(512), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime()),
    # Two unused codes may never share a hash: redeeming one then names one patient.
    Index("uq_caregiver_codes_unused_hash", "code_hash", unique=True, **_when("used_at IS NULL")),
    Index("ix_caregiver_codes_user_id", "user_id"),
)

# A caregiver's browser session, bound to one patient; the cookie holds the token, this table
# only its hash. It is refused 12 hours after `created_at` or 30 minutes after `last_used_at`
# (skill.store.caregivers).
CAREGIVER_SESSIONS = Table(
    "caregiver_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(512), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime()),
    # Written at most once a minute; the default serves code before 0007 (rolling deploys).
    Column("last_used_at", UtcDateTime(), nullable=False, server_default=func.now()),
    Index("ix_caregiver_sessions_user_id", "user_id"),
)

# Alexa request ids already taken, each until its request can no longer be fresh: a replay of
# the same signed request is refused (skill.store.seen_requests).
SEEN_REQUESTS = Table(
    "seen_requests",
    metadata,
    Column("request_id", String(128), primary_key=True),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_seen_requests_expires_at", "expires_at"),
)

# One reminder at Amazon per patient and slot (skill.recovery.reminder_schedule): its alert
# token and what it was created or last updated with, written only after Amazon said 2xx.
REMINDERS = Table(
    "reminders",
    metadata,
    Column("user_id", String(512), primary_key=True),
    Column("slot_key", String(256), primary_key=True),
    Column("alert_token", String(512), nullable=False),
    # Comma-separated local hours ("9,14,19").
    Column("hours", String(128), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("text", String(256), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# A reminder that fired (Reminders.ReminderStarted): a prompt, for the adherence figures. A
# replayed event counts once.
REMINDER_PROMPTS = Table(
    "reminder_prompts",
    metadata,
    Column("user_id", String(512), primary_key=True),
    Column("alert_token", String(512), primary_key=True),
    Column("fired_at", UtcDateTime(), primary_key=True),
    Column("slot_key", String(256)),
)
