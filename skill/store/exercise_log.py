"""The exercise log: each guided set of in-bed exercises a patient does, and their pain reports.

A set is queued (to follow the one playing), in progress (at most one per patient, which a
partial unique index guarantees), or finished: complete, partial or stopped for pain. Every
method is one short transaction, safe when two devices of one patient send requests at once.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from skill.content.plan import Pace
from skill.store.dialects import upsert_insert
from skill.store.prepared import HotPath, Prepared, constant
from skill.store.request_connection import reading, writing
from skill.store.tables import EXERCISE_SETS, PAIN_REPORTS
from skill.store.utc import to_utc

_SETS = EXERCISE_SETS
_PAIN = PAIN_REPORTS
_RETURNING = tuple(_SETS.c)
_NO_VALUES: dict[str, Any] = dict.fromkeys(_SETS.c.keys())
_T = TypeVar("_T")

# Namespaces of the deterministic set ids: a queued set's id comes from the set it follows,
# a self-reported set's from the Alexa request id.
_QUEUED_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "spine-coach:exercise-sets:queued")
_SELF_REPORT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "spine-coach:exercise-sets:self-report")

# Losing a race for the one in-progress slot (or a PostgreSQL deadlock) retries the transaction.
_ATTEMPTS = 5
_BACKOFF_SECONDS = 0.005
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
_MAX_PAIN = 10
# The first key of PostgreSQL advisory locks taken on a patient's sets ("SC" + "XL").
_LOCK_CLASS = 0x5343_584C


class Delivery(StrEnum):
    """How the set is delivered: coach audio, Alexa's speech, or done alone and told about."""

    AUDIO = "audio"
    SPEECH = "speech"
    SELF_REPORT = "self_report"


class Outcome(StrEnum):
    """Where a set stands."""

    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    PARTIAL = "partial"
    STOPPED_FOR_PAIN = "stopped_for_pain"


FINISHED = frozenset({Outcome.COMPLETE, Outcome.PARTIAL, Outcome.STOPPED_FOR_PAIN})
_OPEN = (Outcome.IN_PROGRESS.value, Outcome.QUEUED.value)


@dataclass(frozen=True)
class ExerciseSet:
    """A set as handlers see it: plain values, detached from the database, times in UTC."""

    set_id: str
    user_id: str
    exercise_id: str
    pace: Pace
    delivery: Delivery
    outcome: Outcome
    started_at: datetime
    ended_at: datetime | None
    repetitions_done: int
    repetitions_target: int
    pain_score: int | None
    up_next: tuple[str, ...]
    follows: str | None
    stream: str | None = None

    @property
    def next_repetition(self) -> int:
        """The repetition to coach next, counted from 1; the last one once all are done."""
        return min(self.repetitions_done + 1, self.repetitions_target)

    @property
    def finished(self) -> bool:
        """Whether the set has ended, however it ended."""
        return self.outcome in FINISHED


class _LostRace(Exception):
    """Another request changed the set between reading it and writing it: roll back, retry."""


def _check_count(name: str, value: int) -> int:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def _check_target(value: int) -> int:
    if value < 1:
        raise ValueError(f"a set needs at least one repetition, got {value}")
    return value


def _check_text(name: str, value: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise ValueError(f"{name} must have 1 to {limit} characters, got {value!r}")
    return value


def _joined(exercise_ids: Sequence[str]) -> str:
    for exercise_id in exercise_ids:
        _check_text("exercise id", exercise_id, 64)
        if "," in exercise_id:
            raise ValueError(f"exercise id {exercise_id!r} contains a comma")
    return _check_text("up next", ",".join(exercise_ids), 512) if exercise_ids else ""


def _to_set(row: Mapping[Any, Any]) -> ExerciseSet:
    return ExerciseSet(
        set_id=row["set_id"],
        user_id=row["user_id"],
        exercise_id=row["exercise_id"],
        pace=Pace(row["pace"]),
        delivery=Delivery(row["delivery"]),
        outcome=Outcome(row["outcome"]),
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        repetitions_done=row["repetitions_done"],
        repetitions_target=row["repetitions_target"],
        pain_score=row["pain_score"],
        up_next=tuple(exercise_id for exercise_id in row["up_next"].split(",") if exercise_id),
        follows=row["follows"],
        stream=row["stream"],
    )


def set_from_row(row: Mapping[Any, Any]) -> ExerciseSet:
    """A set from a row of the exercise_sets table, by column name."""
    return _to_set(row)


# The patient's complete sets that ended in [since, until).
_COMPLETED_BETWEEN = (
    _SETS.c.user_id == bindparam("user_id"),
    _SETS.c.ended_at >= bindparam("since"),
    _SETS.c.ended_at < bindparam("until"),
    _SETS.c.outcome == constant(Outcome.COMPLETE.value),
)


def _lock_key(user_id: str) -> int:
    digest = hashlib.blake2b(user_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def _is_transient(error: IntegrityError | OperationalError) -> bool:
    if isinstance(error, IntegrityError):
        # The retried transactions touch no other unique key: a concurrent request took the
        # patient's one in-progress slot first.
        return True
    return getattr(error.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES


def _at_most_target(value: Any) -> Any:
    """`value`, or the set's target when `value` is above it (a SQL expression)."""
    return case(
        (_SETS.c.repetitions_target < value, _SETS.c.repetitions_target),
        else_=value,
    )


def _grown_to(value: int) -> Any:
    """The larger of the set's repetitions done and `value` capped at the target (SQL)."""
    capped = _at_most_target(value)
    return case((_SETS.c.repetitions_done < capped, capped), else_=_SETS.c.repetitions_done)


class ExerciseLog:
    """Each method is one short transaction; safe under concurrent requests for one patient.

    The columns' type keeps times in UTC (skill.store.utc); a method refuses a naive time with
    `to_utc` first where it needs the value itself or binds it through Core (which would wrap
    the type's ValueError in a StatementError).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._insert = upsert_insert(engine)
        # What runs on every launch, AudioPlayer event, set start and summary is prepared once
        # (skill.store.prepared); everything else goes through SQLAlchemy Core.
        hot = self._hot = HotPath(engine)
        self._current_sql = hot.prepare(
            select(_SETS).where(
                _SETS.c.user_id == bindparam("user_id"),
                _SETS.c.outcome == constant(Outcome.IN_PROGRESS.value),
            )
        )
        self._get_sql = hot.prepare(select(_SETS).where(_SETS.c.set_id == bindparam("set_id")))
        self._lock_sql = hot.prepare(
            select(func.pg_advisory_xact_lock(_LOCK_CLASS, bindparam("lock_key", type_=Integer)))
        )
        # The patient's set in progress and queued sets, closed in one statement. Each term
        # names its outcome as a constant, so each searches its partial index (`outcome IN
        # (...)` would imply neither index's condition and scan the patient's history).
        self._close_open_sql = hot.prepare(
            update(_SETS)
            .where(
                or_(
                    *(
                        and_(
                            _SETS.c.user_id == bindparam("user_id"), _SETS.c.outcome == constant(o)
                        )
                        for o in _OPEN
                    )
                )
            )
            .values(outcome=Outcome.PARTIAL.value, ended_at=bindparam("closed_at"))
        )
        # RETURNING, not rowcount: drivers need not count the rows of an INSERT.
        self._insert_sql = hot.prepare(
            self._insert(_SETS)
            .on_conflict_do_nothing(index_elements=[_SETS.c.set_id])
            .returning(_SETS.c.set_id)
        )
        self._position_sql = hot.prepare(
            update(_SETS)
            .where(
                _SETS.c.set_id == bindparam("set_id"),
                _SETS.c.outcome == constant(Outcome.IN_PROGRESS.value),
                _SETS.c.stream == bindparam("stream"),
            )
            .values(repetitions_done=_at_most_target(bindparam("done", type_=Integer)))
            .returning(_SETS.c.set_id)
        )
        # Where a stream stopped, in one statement: the patient's set, still in progress on
        # that stream, at the repetitions done (its own when `done` is NULL), or complete when
        # they reach its target.
        done = func.coalesce(bindparam("done", type_=Integer), _SETS.c.repetitions_done)
        reached = _SETS.c.repetitions_target <= done
        self._stop_sql = hot.prepare(
            update(_SETS)
            .where(
                _SETS.c.set_id == bindparam("set_id"),
                _SETS.c.user_id == bindparam("user_id"),
                _SETS.c.outcome == constant(Outcome.IN_PROGRESS.value),
                _SETS.c.stream == bindparam("stream"),
            )
            .values(
                repetitions_done=case((reached, _SETS.c.repetitions_target), else_=done),
                outcome=case((reached, Outcome.COMPLETE.value), else_=_SETS.c.outcome),
                ended_at=case((reached, bindparam("at")), else_=_SETS.c.ended_at),
            )
            .returning(_SETS.c.outcome)
        )
        self._counts_sql = hot.prepare(
            select(_SETS.c.exercise_id, func.count())
            .where(*_COMPLETED_BETWEEN)
            .group_by(_SETS.c.exercise_id)
        )
        self._times_sql = hot.prepare(
            select(_SETS.c.exercise_id, _SETS.c.ended_at)
            .where(*_COMPLETED_BETWEEN)
            .order_by(_SETS.c.ended_at)
        )
        # Which exercises had a guided set started in a day and completed: their instructions
        # were said, so later sets that day go straight to the count. Searched by when the
        # sets ended in the partial index of complete sets (migration 0010): the day's sets
        # put aside are not read at all.
        self._instructed_sql = hot.prepare(
            select(_SETS.c.exercise_id)
            .where(
                *_COMPLETED_BETWEEN,
                _SETS.c.started_at >= bindparam("since"),
                _SETS.c.delivery != constant(Delivery.SELF_REPORT.value),
            )
            .distinct()
        )
        self._pain_sql = hot.prepare(
            select(_PAIN.c.reported_at, _PAIN.c.score)
            .where(
                _PAIN.c.user_id == bindparam("user_id"), _PAIN.c.reported_at >= bindparam("since")
            )
            .order_by(_PAIN.c.reported_at, _PAIN.c.id)
        )

    @property
    def hot_statements(self) -> dict[str, Prepared]:
        """The prepared statements, by name: the tests check how each finds its rows."""
        return {
            "current": self._current_sql,
            "get": self._get_sql,
            "close open": self._close_open_sql,
            "insert": self._insert_sql,
            "position": self._position_sql,
            "stop": self._stop_sql,
            "counts": self._counts_sql,
            "times": self._times_sql,
            "instructed": self._instructed_sql,
            "pain": self._pain_sql,
        }

    def _one(self, statement: Prepared, **params: Any) -> ExerciseSet | None:
        row = self._hot.first(statement, **params)
        return None if row is None else _to_set(dict(zip(statement.columns, row, strict=True)))

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with writing(self._engine) as connection:
            if self._sqlite:
                # Take SQLite's write lock up front (waiting out the busy timeout), so a
                # transaction that reads before writing never meets a stale snapshot.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection

    def _retrying(
        self,
        work: Callable[[Any], _T],
        transaction: Callable[[], AbstractContextManager[Any]] | None = None,
    ) -> _T:
        """Run `work` in a transaction (a Core one unless given), again if it lost a race."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with (transaction or self._transaction)() as connection:
                    return work(connection)
            except (IntegrityError, OperationalError) as error:
                if attempt == _ATTEMPTS or not _is_transient(error):
                    raise
            except _LostRace:
                if attempt == _ATTEMPTS:
                    raise
            time.sleep(random.uniform(0, _BACKOFF_SECONDS * attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _lock_patient(self, connection: Connection, user_id: str) -> None:
        # PostgreSQL: queue up the patient's starts and promotions (till commit), so they do
        # not keep losing the in-progress slot to one another; SQLite already has one writer.
        if not self._sqlite:
            self._lock_sql.execute(connection, lock_key=_lock_key(user_id))

    def _update_open(
        self, set_id: str, values: Mapping[str, Any], outcomes: Sequence[str]
    ) -> ExerciseSet | None:
        statement = (
            update(_SETS)
            .where(_SETS.c.set_id == set_id, _SETS.c.outcome.in_(outcomes))
            .values(dict(values))
            .returning(*_RETURNING)
        )
        with self._transaction() as connection:
            row = connection.execute(statement).mappings().one_or_none()
        return None if row is None else _to_set(row)

    def _insert_once(self, connection: Connection, row: Mapping[str, Any]) -> bool:
        """Insert the set unless its id is taken (columns not in `row` are NULL); whether it
        was inserted."""
        inserted = self._insert_sql.execute(connection, **{**_NO_VALUES, **row})
        return inserted.first() is not None

    def _read(self, connection: Connection, set_id: str) -> ExerciseSet | None:
        found = connection.execute(select(_SETS).where(_SETS.c.set_id == set_id))
        row = found.mappings().one_or_none()
        return None if row is None else _to_set(row)

    def _select_one(self, statement: Any) -> ExerciseSet | None:
        with reading(self._engine) as connection:
            row = connection.execute(statement).mappings().first()
        return None if row is None else _to_set(row)

    def start(
        self,
        user_id: str,
        exercise_id: str,
        *,
        pace: Pace,
        delivery: Delivery,
        target: int,
        at: datetime,
        up_next: Sequence[str] = (),
        set_id: str | None = None,
        repetitions_done: int = 0,
        stream: str | None = None,
    ) -> ExerciseSet:
        """Start a set, closing as partial whatever set the patient had open.

        Of two starts at once, the later wins and the earlier ends partial.
        """
        row = {
            "set_id": _check_text("set id", set_id or uuid.uuid4().hex, 64),
            "user_id": _check_text("user id", user_id, 512),
            "exercise_id": _check_text("exercise id", exercise_id, 64),
            "pace": Pace(pace).value,
            "delivery": Delivery(delivery).value,
            "outcome": Outcome.IN_PROGRESS.value,
            "started_at": to_utc(at),
            "ended_at": None,
            "repetitions_done": min(_check_count("repetitions done", repetitions_done), target),
            "repetitions_target": _check_target(target),
            "pain_score": None,
            "up_next": _joined(up_next),
            "follows": None,
            "stream": _check_text("stream", stream, 256) if stream is not None else None,
        }

        def work(cursor: Any) -> ExerciseSet:
            if not self._sqlite:  # as _lock_patient
                self._lock_sql.run(cursor, lock_key=_lock_key(user_id))
            self._close_open_sql.run(cursor, user_id=user_id, closed_at=row["started_at"])
            # A taken set id is the caller's mistake, not a race: no retry clears it.
            if not self._insert_sql.rows(cursor, **row):
                raise ValueError(f"set id {row['set_id']!r} is already used")
            return _to_set(row)

        return self._retrying(work, self._hot.transaction)

    def get(self, set_id: str) -> ExerciseSet | None:
        """The set with this id, if there is one."""
        return self._one(self._get_sql, set_id=set_id)

    def current(self, user_id: str) -> ExerciseSet | None:
        """The patient's set in progress, if any."""
        return self._one(self._current_sql, user_id=user_id)

    def record_progress(
        self, set_id: str, repetitions_done: int, *, at: datetime
    ) -> ExerciseSet | None:
        """Raise the repetitions done of a set in progress; never lowers them, caps at target.

        `at` must be an aware time; the schema keeps no time of progress, so it is not stored.
        """
        to_utc(at)
        grown = _grown_to(_check_count("repetitions done", repetitions_done))
        return self._update_open(set_id, {"repetitions_done": grown}, (Outcome.IN_PROGRESS.value,))

    def record_position(self, set_id: str, repetitions_done: int, *, stream: str) -> bool:
        """Where a stream stopped, as repetitions done (lower or higher), if the set is still
        in progress on that stream; an event from a replaced stream changes nothing."""
        done = _check_count("repetitions done", repetitions_done)
        with self._hot.transaction() as cursor:
            return bool(self._position_sql.rows(cursor, set_id=set_id, stream=stream, done=done))

    def record_stop(
        self,
        set_id: str,
        user_id: str,
        repetitions_done: int | None,
        *,
        stream: str,
        at: datetime,
    ) -> Outcome | None:
        """Where the patient's stream stopped, as repetitions done (lower or higher; None keeps
        the set's own), if the set is still in progress on that stream; reaching the target
        finishes it complete. One statement, no read: the set's outcome now, or None when
        nothing matched (another patient's set, ended, or a replaced stream)."""
        done = (
            None if repetitions_done is None else _check_count("repetitions done", repetitions_done)
        )
        with self._hot.transaction() as cursor:
            found = self._stop_sql.rows(
                cursor, set_id=set_id, user_id=user_id, stream=stream, done=done, at=to_utc(at)
            )
        return Outcome(found[0][0]) if found else None

    def update(
        self,
        set_id: str,
        *,
        pace: Pace | None = None,
        delivery: Delivery | None = None,
        stream: str | None = None,
        repetitions_done: int | None = None,
    ) -> ExerciseSet | None:
        """Change the pace, delivery, stream or position (lower or higher, capped at the target)
        of an open set."""
        values: dict[str, Any] = {}
        if pace is not None:
            values["pace"] = Pace(pace).value
        if delivery is not None:
            values["delivery"] = Delivery(delivery).value
        if stream is not None:
            values["stream"] = _check_text("stream", stream, 256)
        if repetitions_done is not None:
            values["repetitions_done"] = _at_most_target(
                _check_count("repetitions done", repetitions_done)
            )
        if not values:
            return self._select_one(
                select(_SETS).where(_SETS.c.set_id == set_id, _SETS.c.outcome.in_(_OPEN))
            )
        return self._update_open(set_id, values, _OPEN)

    def finish(
        self,
        set_id: str,
        outcome: Outcome,
        *,
        at: datetime,
        repetitions_done: int | None = None,
    ) -> bool:
        """End a set in progress; True the first time, False for a set already ended.

        A complete set has done all its repetitions; otherwise `repetitions_done` may raise the
        count (never lower it).
        """
        outcome = Outcome(outcome)
        if outcome not in FINISHED:
            raise ValueError(f"a set cannot finish as {outcome.value!r}")
        values: dict[str, Any] = {"outcome": outcome.value, "ended_at": to_utc(at)}
        if outcome is Outcome.COMPLETE:
            values["repetitions_done"] = _SETS.c.repetitions_target
        elif repetitions_done is not None:
            values["repetitions_done"] = _grown_to(
                _check_count("repetitions done", repetitions_done)
            )
        statement = (
            update(_SETS)
            .where(_SETS.c.set_id == set_id, _SETS.c.outcome == Outcome.IN_PROGRESS.value)
            .values(values)
        )
        with self._transaction() as connection:
            return connection.execute(statement).rowcount == 1

    def queue_next(
        self, after: ExerciseSet, exercise_id: str, *, target: int, at: datetime
    ) -> ExerciseSet:
        """Queue the set to follow `after`, at its pace and delivery; once, however often asked."""
        set_id = uuid.uuid5(_QUEUED_NAMESPACE, after.set_id).hex
        row = {
            "set_id": set_id,
            "user_id": after.user_id,
            "exercise_id": _check_text("exercise id", exercise_id, 64),
            "pace": after.pace.value,
            "delivery": after.delivery.value,
            "outcome": Outcome.QUEUED.value,
            "started_at": to_utc(at),
            "repetitions_done": 0,
            "repetitions_target": _check_target(target),
            "up_next": _joined(after.up_next[1:]),
            "follows": after.set_id,
        }
        with self._transaction() as connection:
            self._insert_once(connection, row)
            queued = self._read(connection, set_id)
        assert queued is not None  # inserted now or before; sets are never deleted here
        return queued

    def promote(self, set_id: str, *, at: datetime) -> ExerciseSet | None:
        """Start a queued set, ending the patient's set in progress.

        The set it follows ends complete (its track finished), any other set partial. A set
        already in progress is returned unchanged; an ended or unknown one gives None.
        """
        started_at = to_utc(at)

        def work(connection: Connection) -> ExerciseSet | None:
            queued = self._read(connection, set_id)
            if queued is not None and not self._sqlite:
                self._lock_patient(connection, queued.user_id)
                queued = self._read(connection, set_id)  # as the lock's last holder left it
            if queued is None or queued.finished:
                return None
            if queued.outcome is Outcome.IN_PROGRESS:
                return queued
            followed = _SETS.c.set_id == queued.follows
            connection.execute(
                update(_SETS)
                .where(
                    _SETS.c.user_id == queued.user_id,
                    _SETS.c.outcome == Outcome.IN_PROGRESS.value,
                )
                .values(
                    outcome=case((followed, Outcome.COMPLETE.value), else_=Outcome.PARTIAL.value),
                    repetitions_done=case(
                        (followed, _SETS.c.repetitions_target), else_=_SETS.c.repetitions_done
                    ),
                    ended_at=started_at,
                )
            )
            promoted = connection.execute(
                update(_SETS)
                .where(_SETS.c.set_id == set_id, _SETS.c.outcome == Outcome.QUEUED.value)
                .values(outcome=Outcome.IN_PROGRESS.value, started_at=started_at)
                .returning(*_RETURNING)
            ).mappings()
            promoted_row = promoted.one_or_none()
            if promoted_row is None:
                raise _LostRace  # promoted or closed meanwhile: undo, and look again
            return _to_set(promoted_row)

        return self._retrying(work)

    def log_self_report(
        self, user_id: str, exercise_id: str, *, pace: Pace, target: int, at: datetime, key: str
    ) -> bool:
        """Log a set the patient did alone; once per `key` (the Alexa request id). True if new."""
        ended_at = to_utc(at)
        row = {
            "set_id": "self-" + uuid.uuid5(_SELF_REPORT_NAMESPACE, key).hex,
            "user_id": _check_text("user id", user_id, 512),
            "exercise_id": _check_text("exercise id", exercise_id, 64),
            "pace": Pace(pace).value,
            "delivery": Delivery.SELF_REPORT.value,
            "outcome": Outcome.COMPLETE.value,
            "started_at": ended_at,
            "ended_at": ended_at,
            "repetitions_done": _check_target(target),
            "repetitions_target": target,
            "up_next": "",
        }
        with self._transaction() as connection:
            return self._insert_once(connection, row)

    def record_pain(
        self, user_id: str, score: int, *, at: datetime, set_id: str | None = None
    ) -> None:
        """Keep a pain score from 0 to 10, and on the patient's set when one is named."""
        if not 0 <= score <= _MAX_PAIN:
            raise ValueError(f"a pain score is from 0 to {_MAX_PAIN}, got {score}")
        report = {"user_id": user_id, "reported_at": to_utc(at), "score": score, "set_id": set_id}
        with self._transaction() as connection:
            connection.execute(insert(_PAIN).values(report))
            if set_id is not None:
                connection.execute(
                    update(_SETS)
                    .where(_SETS.c.set_id == set_id, _SETS.c.user_id == user_id)
                    .values(pain_score=score)
                )

    def completed_counts(self, user_id: str, since: datetime, until: datetime) -> dict[str, int]:
        """How many complete sets of each exercise ended in [since, until)."""
        rows = self._hot.rows(self._counts_sql, user_id=user_id, since=since, until=until)
        return {exercise_id: count for exercise_id, count in rows}

    def instructed_exercises(
        self, user_id: str, since: datetime, until: datetime
    ) -> frozenset[str]:
        """The exercises of guided sets (not self-reported) started in [since, until) and
        completed."""
        rows = self._hot.rows(self._instructed_sql, user_id=user_id, since=since, until=until)
        return frozenset(exercise_id for (exercise_id,) in rows)

    def completed_times(
        self, user_id: str, since: datetime, until: datetime
    ) -> list[tuple[str, datetime]]:
        """Each complete set ended in [since, until): its exercise and when it ended."""
        rows = self._hot.rows(self._times_sql, user_id=user_id, since=since, until=until)
        return [(exercise_id, ended_at) for exercise_id, ended_at in rows]

    def sets_of(self, user_id: str) -> list[ExerciseSet]:
        """Every set of the patient, oldest first (for export)."""
        statement = select(_SETS).where(_SETS.c.user_id == user_id).order_by(_SETS.c.started_at)
        with reading(self._engine) as connection:
            return [_to_set(row) for row in connection.execute(statement).mappings()]

    def pain_reports(self, user_id: str, since: datetime) -> list[tuple[datetime, int]]:
        """The patient's pain scores since `since`, oldest first."""
        rows = self._hot.rows(self._pain_sql, user_id=user_id, since=since)
        return [(reported_at, score) for reported_at, score in rows]
