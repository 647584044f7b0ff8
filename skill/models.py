"""Database tables, as SQLAlchemy 2 declarative models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Base of every table; Alembic's autogenerate reads its metadata."""


class Patient(Base):
    """One Alexa user: their surgery date and preferences."""

    __tablename__ = "patients"

    user_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    surgery_date: Mapped[date | None] = mapped_column(Date)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ExerciseSetRow(Base):
    """One guided set of an in-bed exercise: queued, in progress, or how it ended."""

    __tablename__ = "exercise_sets"
    __table_args__ = (
        Index("ix_exercise_sets_user_id_ended_at", "user_id", "ended_at"),
        Index("ix_exercise_sets_user_id_started_at", "user_id", "started_at"),
        # At most one set in progress per patient, whatever two devices send at once.
        Index(
            "uq_exercise_sets_user_id_in_progress",
            "user_id",
            unique=True,
            sqlite_where=text("outcome = 'in_progress'"),
            postgresql_where=text("outcome = 'in_progress'"),
        ),
        # A patient's queued sets, closed whenever a set starts (migration 0005).
        Index(
            "ix_exercise_sets_user_id_queued",
            "user_id",
            sqlite_where=text("outcome = 'queued'"),
            postgresql_where=text("outcome = 'queued'"),
        ),
    )

    set_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(512))
    exercise_id: Mapped[str] = mapped_column(String(64))
    pace: Mapped[str] = mapped_column(String(16))
    # "audio", "speech" or "self_report"
    delivery: Mapped[str] = mapped_column(String(16))
    # "queued", "in_progress", "complete", "partial" or "stopped_for_pain"
    outcome: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    repetitions_done: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    repetitions_target: Mapped[int] = mapped_column(Integer)
    pain_score: Mapped[int | None] = mapped_column(Integer)
    # Comma-separated exercise ids to do after this set.
    up_next: Mapped[str] = mapped_column(String(512), server_default="")
    # The set this queued set follows.
    follows: Mapped[str | None] = mapped_column(String(64))
    # The AudioPlayer token the set last played under: events of older streams are ignored.
    stream: Mapped[str | None] = mapped_column(String(256))


class PainReport(Base):
    """A pain score from 0 to 10 the patient gave, during a set or on its own."""

    __tablename__ = "pain_reports"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 10", name="ck_pain_reports_score_range"),
        Index("ix_pain_reports_user_id_reported_at", "user_id", "reported_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(512))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    score: Mapped[int] = mapped_column(Integer)
    set_id: Mapped[str | None] = mapped_column(String(64))


class CheckInRecord(Base):
    """One spoken check-in: each answer (None when skipped) and the alerts it set off."""

    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_user_id_checked_at", "user_id", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(512))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pain: Mapped[int | None] = mapped_column(Integer)
    walk_minutes: Mapped[int | None] = mapped_column(Integer)
    sitting_minutes: Mapped[int | None] = mapped_column(Integer)
    worried: Mapped[bool | None] = mapped_column(Boolean)
    # Comma-separated ids of the plan's check-in alerts this check-in set off ("" for none).
    alerts: Mapped[str] = mapped_column(String(512), server_default="")


class CaregiverCode(Base):
    """A one-time code a patient gives a caregiver: stored as a keyed hash, never in clear."""

    __tablename__ = "caregiver_codes"
    __table_args__ = (
        # Two unused codes may never share a hash: redeeming one then names one patient.
        Index(
            "uq_caregiver_codes_unused_hash",
            "code_hash",
            unique=True,
            sqlite_where=text("used_at IS NULL"),
            postgresql_where=text("used_at IS NULL"),
        ),
        Index("ix_caregiver_codes_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(512))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaregiverSession(Base):
    """A caregiver's browser session, bound to one patient; the cookie holds the token, this
    table only its hash."""

    __tablename__ = "caregiver_sessions"
    __table_args__ = (Index("ix_caregiver_sessions_user_id", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
