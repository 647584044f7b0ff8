"""The exercise log, on SQLite and again on PostgreSQL: sets, pain, and concurrent requests."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from skill.content.plan import Pace
from skill.store.engine import downgrade, upgrade
from skill.store.exercise_log import Delivery, ExerciseLog, ExerciseSet, Outcome
from skill.store.tables import EXERCISE_SETS, PAIN_REPORTS, metadata

T = TypeVar("T")
AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
USER = "amzn1.ask.account.patient"
THREADS = 8
TABLES = {"exercise_sets", "pain_reports"}
SETS = EXERCISE_SETS
PAIN = PAIN_REPORTS


@pytest.fixture
def exercise_log(engine: Engine) -> ExerciseLog:
    return ExerciseLog(engine)


def minutes(count: int) -> datetime:
    return AT + timedelta(minutes=count)


def start(
    exercise_log: ExerciseLog, exercise_id: str = "ankle_pumps", **options: Any
) -> ExerciseSet:
    arguments: dict[str, Any] = {"pace": "normal", "delivery": Delivery.AUDIO, "target": 10}
    arguments.update(options)
    arguments.setdefault("at", AT)
    return exercise_log.start(USER, exercise_id, **arguments)


def in_progress(engine: Engine, user_id: str = USER) -> list[str]:
    statement = select(SETS.c.set_id).where(
        SETS.c.user_id == user_id, SETS.c.outcome == "in_progress"
    )
    with engine.connect() as connection:
        return list(connection.scalars(statement))


def all_at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """Run work(0..count-1) on that many threads, released together; a failure fails the test."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait()
            result = work(index)
        except BaseException as error:  # collected: a thread's failure must fail the test
            with lock:
                errors.append(error)
            return
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


# Starting, reading back, and the one set in progress.


def test_a_started_set_reads_back_and_is_current(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log, up_next=["heel_slides", "glute_sets"], pace=Pace.SLOW)
    assert started == ExerciseSet(
        set_id=started.set_id,
        user_id=USER,
        exercise_id="ankle_pumps",
        pace=Pace.SLOW,
        delivery=Delivery.AUDIO,
        outcome=Outcome.IN_PROGRESS,
        started_at=AT,
        ended_at=None,
        repetitions_done=0,
        repetitions_target=10,
        pain_score=None,
        up_next=("heel_slides", "glute_sets"),
        follows=None,
    )
    assert exercise_log.get(started.set_id) == started
    assert exercise_log.current(USER) == started
    assert (started.next_repetition, started.finished) == (1, False)


def test_nothing_is_found_for_unknown_sets_and_patients(exercise_log: ExerciseLog) -> None:
    start(exercise_log)
    assert exercise_log.get("no-such-set") is None
    assert exercise_log.current("amzn1.ask.account.other") is None


def test_times_come_back_in_utc(exercise_log: ExerciseLog) -> None:
    new_york = timezone(timedelta(hours=-5))
    started = start(exercise_log, at=datetime(2026, 11, 20, 10, 0, tzinfo=new_york))
    stored = exercise_log.get(started.set_id)
    assert stored is not None
    assert stored.started_at == AT
    assert stored.started_at.tzinfo is UTC


def test_naive_times_and_bad_values_are_refused(exercise_log: ExerciseLog) -> None:
    with pytest.raises(ValueError, match="time zone"):
        start(exercise_log, at=datetime(2026, 11, 20, 15, 0))
    with pytest.raises(ValueError, match="at least one repetition"):
        start(exercise_log, target=0)
    with pytest.raises(ValueError, match="comma"):
        start(exercise_log, up_next=["heel_slides,glute_sets"])
    assert exercise_log.current(USER) is None


def test_a_taken_set_id_is_refused_and_changes_nothing(exercise_log: ExerciseLog) -> None:
    first = start(exercise_log, set_id="set-1")
    with pytest.raises(ValueError, match="already used"):
        start(exercise_log, "heel_slides", set_id="set-1", at=minutes(1))
    assert exercise_log.current(USER) == first


def test_starting_a_second_set_closes_the_first_as_partial(exercise_log: ExerciseLog) -> None:
    first = start(exercise_log)
    exercise_log.record_progress(first.set_id, 4, at=minutes(1))
    second = start(exercise_log, "heel_slides", at=minutes(2))
    closed = exercise_log.get(first.set_id)
    assert closed is not None
    assert (closed.outcome, closed.ended_at, closed.repetitions_done) == (
        Outcome.PARTIAL,
        minutes(2),
        4,
    )
    assert closed.finished
    assert exercise_log.current(USER) == second


def test_starting_closes_a_queued_set_too(exercise_log: ExerciseLog) -> None:
    first = start(exercise_log, up_next=["heel_slides"])
    queued = exercise_log.queue_next(first, "heel_slides", target=8, at=minutes(1))
    start(exercise_log, "glute_sets", at=minutes(2))
    closed = exercise_log.get(queued.set_id)
    assert closed is not None
    assert (closed.outcome, closed.ended_at) == (Outcome.PARTIAL, minutes(2))


def test_patients_have_their_own_set_in_progress(exercise_log: ExerciseLog) -> None:
    mine = start(exercise_log)
    theirs = exercise_log.start(
        "amzn1.ask.account.other",
        "heel_slides",
        pace=Pace.NORMAL,
        delivery=Delivery.SPEECH,
        target=5,
        at=minutes(1),
    )
    assert exercise_log.current(USER) == mine
    assert exercise_log.current("amzn1.ask.account.other") == theirs


# Progress, rewinding, pace and delivery.


def test_progress_only_grows_and_is_capped_at_the_target(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log)
    grown = exercise_log.record_progress(started.set_id, 3, at=minutes(1))
    assert grown is not None
    assert (grown.repetitions_done, grown.next_repetition) == (3, 4)
    lower = exercise_log.record_progress(started.set_id, 2, at=minutes(2))
    assert lower is not None
    assert lower.repetitions_done == 3
    capped = exercise_log.record_progress(started.set_id, 25, at=minutes(3))
    assert capped is not None
    assert (capped.repetitions_done, capped.next_repetition) == (10, 10)
    with pytest.raises(ValueError, match="negative"):
        exercise_log.record_progress(started.set_id, -1, at=minutes(4))


def test_progress_is_not_recorded_on_ended_or_unknown_sets(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log)
    assert exercise_log.finish(started.set_id, Outcome.PARTIAL, at=minutes(1), repetitions_done=2)
    assert exercise_log.record_progress(started.set_id, 5, at=minutes(2)) is None
    assert exercise_log.record_progress("no-such-set", 5, at=minutes(2)) is None
    ended = exercise_log.get(started.set_id)
    assert ended is not None
    assert ended.repetitions_done == 2


def test_moving_the_position_goes_back_and_stays_within_the_target(
    exercise_log: ExerciseLog,
) -> None:
    started = start(exercise_log)
    exercise_log.record_progress(started.set_id, 7, at=minutes(1))
    rewound = exercise_log.update(started.set_id, repetitions_done=2)
    assert rewound is not None
    assert (rewound.repetitions_done, rewound.next_repetition) == (2, 3)
    capped = exercise_log.update(started.set_id, repetitions_done=40)
    assert capped is not None
    assert capped.repetitions_done == 10
    exercise_log.finish(started.set_id, Outcome.COMPLETE, at=minutes(2))
    assert exercise_log.update(started.set_id, repetitions_done=0) is None


def test_a_stop_records_the_position_lower_or_higher_on_its_stream(
    exercise_log: ExerciseLog,
) -> None:
    started = start(exercise_log, stream="s1")
    record = exercise_log.record_stop
    assert record(started.set_id, USER, 6, stream="s1", at=minutes(1)) is Outcome.IN_PROGRESS
    assert record(started.set_id, USER, 2, stream="s1", at=minutes(2)) is Outcome.IN_PROGRESS
    stopped = exercise_log.get(started.set_id)
    assert stopped == replace(started, repetitions_done=2)
    # No track to read the offset by (None): the set keeps its own count.
    assert record(started.set_id, USER, None, stream="s1", at=minutes(3)) is Outcome.IN_PROGRESS
    assert exercise_log.get(started.set_id) == stopped


def test_a_stop_at_the_target_finishes_the_set_complete_once(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log, stream="s1")
    stopped = exercise_log.record_stop(started.set_id, USER, 12, stream="s1", at=minutes(4))
    assert stopped is Outcome.COMPLETE
    finished = exercise_log.get(started.set_id)
    assert finished == replace(
        started, outcome=Outcome.COMPLETE, repetitions_done=10, ended_at=minutes(4)
    )
    assert exercise_log.record_stop(started.set_id, USER, 3, stream="s1", at=minutes(5)) is None
    assert exercise_log.get(started.set_id) == finished
    assert exercise_log.completed_counts(USER, AT, minutes(10)) == {"ankle_pumps": 1}


def test_a_stop_changes_nothing_on_another_stream_patient_or_ended_set(
    exercise_log: ExerciseLog,
) -> None:
    started = start(exercise_log, stream="s1")
    record = exercise_log.record_stop
    assert record(started.set_id, USER, 4, stream="s0", at=minutes(1)) is None  # replaced stream
    assert record(started.set_id, "amzn1.ask.account.other", 4, stream="s1", at=AT) is None
    assert record("no-such-set", USER, 4, stream="s1", at=minutes(1)) is None
    assert exercise_log.get(started.set_id) == started
    exercise_log.finish(started.set_id, Outcome.PARTIAL, at=minutes(2))
    ended = exercise_log.get(started.set_id)
    assert record(started.set_id, USER, 4, stream="s1", at=minutes(3)) is None
    assert exercise_log.get(started.set_id) == ended
    with pytest.raises(ValueError, match="negative"):
        record(started.set_id, USER, -1, stream="s1", at=minutes(3))
    with pytest.raises(ValueError, match="no time zone"):
        record(started.set_id, USER, 1, stream="s1", at=datetime(2026, 11, 20, 15, 0))


def test_update_changes_pace_and_delivery_of_open_sets_only(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log, up_next=["heel_slides"])
    slower = exercise_log.update(started.set_id, pace=Pace.SLOW)
    assert slower is not None
    assert (slower.pace, slower.delivery) == ("slow", Delivery.AUDIO)
    spoken = exercise_log.update(started.set_id, delivery=Delivery.SPEECH)
    assert spoken is not None
    assert (spoken.pace, spoken.delivery) == (Pace.SLOW, Delivery.SPEECH)
    assert exercise_log.update(started.set_id) == spoken
    queued = exercise_log.queue_next(spoken, "heel_slides", target=8, at=minutes(1))
    faster = exercise_log.update(queued.set_id, pace=Pace.BRISK)
    assert faster is not None
    assert faster.pace is Pace.BRISK
    exercise_log.finish(started.set_id, Outcome.COMPLETE, at=minutes(2))
    assert exercise_log.update(started.set_id, pace=Pace.BRISK) is None
    ended = exercise_log.get(started.set_id)
    assert ended is not None
    assert ended.pace is Pace.SLOW


# Finishing.


def test_finish_counts_once_and_complete_fills_the_target(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log)
    exercise_log.record_progress(started.set_id, 6, at=minutes(1))
    assert exercise_log.finish(started.set_id, Outcome.COMPLETE, at=minutes(2)) is True
    assert exercise_log.finish(started.set_id, Outcome.COMPLETE, at=minutes(3)) is False
    assert exercise_log.finish(started.set_id, Outcome.STOPPED_FOR_PAIN, at=minutes(3)) is False
    ended = exercise_log.get(started.set_id)
    assert ended is not None
    assert (ended.outcome, ended.repetitions_done, ended.ended_at) == (
        Outcome.COMPLETE,
        10,
        minutes(2),
    )
    assert exercise_log.current(USER) is None


def test_a_partial_finish_never_lowers_the_repetitions(exercise_log: ExerciseLog) -> None:
    first = start(exercise_log)
    exercise_log.record_progress(first.set_id, 6, at=minutes(1))
    assert exercise_log.finish(
        first.set_id, Outcome.STOPPED_FOR_PAIN, at=minutes(2), repetitions_done=4
    )
    second = start(exercise_log, at=minutes(3))
    exercise_log.record_progress(second.set_id, 2, at=minutes(4))
    assert exercise_log.finish(second.set_id, Outcome.PARTIAL, at=minutes(5), repetitions_done=5)
    stopped, partial = exercise_log.get(first.set_id), exercise_log.get(second.set_id)
    assert stopped is not None
    assert partial is not None
    assert (stopped.outcome, stopped.repetitions_done) == (Outcome.STOPPED_FOR_PAIN, 6)
    assert (partial.outcome, partial.repetitions_done) == (Outcome.PARTIAL, 5)


def test_a_set_cannot_finish_as_queued_or_in_progress(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log)
    for outcome in (Outcome.QUEUED, Outcome.IN_PROGRESS):
        with pytest.raises(ValueError, match="cannot finish"):
            exercise_log.finish(started.set_id, outcome, at=minutes(1))
    assert exercise_log.current(USER) == started


# Queueing the next exercise and promoting it.


def test_queue_next_is_idempotent(exercise_log: ExerciseLog, engine: Engine) -> None:
    first = start(exercise_log, pace=Pace.SLOW, up_next=["heel_slides", "glute_sets", "quad_sets"])
    queued = exercise_log.queue_next(first, "heel_slides", target=8, at=minutes(1))
    again = exercise_log.queue_next(first, "heel_slides", target=8, at=minutes(2))
    assert again == queued
    assert queued.set_id != first.set_id
    assert (queued.outcome, queued.follows, queued.pace, queued.delivery) == (
        Outcome.QUEUED,
        first.set_id,
        "slow",
        Delivery.AUDIO,
    )
    assert (queued.exercise_id, queued.repetitions_target) == ("heel_slides", 8)
    assert queued.up_next == ("glute_sets", "quad_sets")
    with engine.connect() as connection:
        rows = connection.scalars(select(SETS.c.set_id).where(SETS.c.follows == first.set_id))
        assert list(rows) == [queued.set_id]
    assert exercise_log.current(USER) == first


def test_promote_closes_the_followed_set_complete(exercise_log: ExerciseLog) -> None:
    first = start(exercise_log, up_next=["heel_slides"])
    exercise_log.record_progress(first.set_id, 9, at=minutes(1))
    queued = exercise_log.queue_next(first, "heel_slides", target=8, at=minutes(1))
    promoted = exercise_log.promote(queued.set_id, at=minutes(2))
    assert promoted is not None
    assert (promoted.set_id, promoted.outcome, promoted.started_at) == (
        queued.set_id,
        Outcome.IN_PROGRESS,
        minutes(2),
    )
    followed = exercise_log.get(first.set_id)
    assert followed is not None
    assert (followed.outcome, followed.repetitions_done, followed.ended_at) == (
        Outcome.COMPLETE,
        10,
        minutes(2),
    )
    assert exercise_log.current(USER) == promoted
    assert exercise_log.promote(queued.set_id, at=minutes(3)) == promoted


def test_a_queued_set_closed_by_a_start_is_not_promoted(exercise_log: ExerciseLog) -> None:
    first = start(exercise_log, up_next=["heel_slides"])
    queued = exercise_log.queue_next(first, "heel_slides", target=8, at=minutes(1))
    other = start(exercise_log, "glute_sets", at=minutes(2))
    assert exercise_log.promote(queued.set_id, at=minutes(3)) is None
    assert exercise_log.current(USER) == other
    assert exercise_log.promote("no-such-set", at=minutes(3)) is None


def test_promote_ends_an_unrelated_set_in_progress_as_partial(
    exercise_log: ExerciseLog, engine: Engine
) -> None:
    first = start(exercise_log, up_next=["heel_slides"])
    queued = exercise_log.queue_next(first, "heel_slides", target=8, at=minutes(1))
    exercise_log.finish(first.set_id, Outcome.COMPLETE, at=minutes(2))
    # Another device started a set directly, bypassing start(): promote still keeps one open.
    with engine.begin() as connection:
        connection.execute(
            insert(SETS).values(
                set_id="stray",
                user_id=USER,
                exercise_id="glute_sets",
                pace=Pace.NORMAL,
                delivery="speech",
                outcome="in_progress",
                started_at=minutes(3),
                repetitions_done=1,
                repetitions_target=5,
            )
        )
    promoted = exercise_log.promote(queued.set_id, at=minutes(4))
    assert promoted is not None
    stray = exercise_log.get("stray")
    assert stray is not None
    assert (stray.outcome, stray.repetitions_done, stray.ended_at) == (
        Outcome.PARTIAL,
        1,
        minutes(4),
    )
    assert in_progress(engine) == [queued.set_id]


def test_a_start_racing_a_set_started_elsewhere_wins(
    exercise_log: ExerciseLog, engine: Engine
) -> None:
    # A set in progress is inserted but not yet committed when start() runs: PostgreSQL makes
    # start() wait on the unique index, then fail and retry; SQLite makes it wait for the lock.
    results: list[ExerciseSet] = []
    with engine.begin() as connection:
        connection.execute(
            insert(SETS).values(
                set_id="elsewhere",
                user_id=USER,
                exercise_id="glute_sets",
                pace=Pace.NORMAL,
                delivery="speech",
                outcome="in_progress",
                started_at=AT,
                repetitions_target=5,
            )
        )
        racer = threading.Thread(target=lambda: results.append(start(exercise_log, at=minutes(1))))
        racer.start()
        time.sleep(0.3)
    racer.join()
    assert len(results) == 1
    assert in_progress(engine) == [results[0].set_id]
    elsewhere = exercise_log.get("elsewhere")
    assert elsewhere is not None
    assert (elsewhere.outcome, elsewhere.ended_at) == (Outcome.PARTIAL, minutes(1))


# Self-reports and pain.


def test_a_self_report_is_logged_once_per_request(
    exercise_log: ExerciseLog, engine: Engine
) -> None:
    report: dict[str, Any] = {"pace": "normal", "target": 10, "at": minutes(5)}
    assert exercise_log.log_self_report(USER, "knee_presses", key="request-1", **report) is True
    assert exercise_log.log_self_report(USER, "knee_presses", key="request-1", **report) is False
    assert exercise_log.log_self_report(USER, "knee_presses", key="request-2", **report) is True
    assert exercise_log.completed_counts(USER, AT, minutes(10)) == {"knee_presses": 2}
    logged = exercise_log.sets_of(USER)
    assert len(logged) == 2
    for each in logged:
        assert each.set_id.startswith("self-")
        assert (each.delivery, each.outcome, each.repetitions_done) == (
            Delivery.SELF_REPORT,
            Outcome.COMPLETE,
            10,
        )
        assert each.started_at == each.ended_at == minutes(5)
    assert in_progress(engine) == []


def test_pain_is_kept_as_a_report_and_on_the_set(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log)
    exercise_log.record_pain(USER, 4, at=minutes(1), set_id=started.set_id)
    exercise_log.record_pain(USER, 2, at=minutes(2))
    with_pain = exercise_log.get(started.set_id)
    assert with_pain is not None
    assert with_pain.pain_score == 4
    assert exercise_log.pain_reports(USER, AT) == [(minutes(1), 4), (minutes(2), 2)]
    assert exercise_log.pain_reports(USER, minutes(2)) == [(minutes(2), 2)]
    assert exercise_log.pain_reports("amzn1.ask.account.other", AT) == []
    reported_at, _ = exercise_log.pain_reports(USER, AT)[0]
    assert reported_at.tzinfo is UTC


def test_pain_scores_outside_0_to_10_are_refused(exercise_log: ExerciseLog, engine: Engine) -> None:
    for score in (-1, 11):
        with pytest.raises(ValueError, match="0 to 10"):
            exercise_log.record_pain(USER, score, at=AT)
    assert exercise_log.pain_reports(USER, AT) == []
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(PAIN).values(user_id=USER, reported_at=AT, score=11))


def test_pain_is_not_put_on_another_patients_set(exercise_log: ExerciseLog) -> None:
    theirs = exercise_log.start(
        "amzn1.ask.account.other",
        "heel_slides",
        pace=Pace.NORMAL,
        delivery=Delivery.AUDIO,
        target=5,
        at=AT,
    )
    exercise_log.record_pain(USER, 7, at=minutes(1), set_id=theirs.set_id)
    untouched = exercise_log.get(theirs.set_id)
    assert untouched is not None
    assert untouched.pain_score is None
    assert exercise_log.pain_reports(USER, AT) == [(minutes(1), 7)]


# Summaries.


def test_completed_counts_count_complete_sets_in_the_window(exercise_log: ExerciseLog) -> None:
    def finished(exercise_id: str, outcome: Outcome, ended: int) -> None:
        started = start(exercise_log, exercise_id, at=minutes(ended - 1))
        assert exercise_log.finish(started.set_id, outcome, at=minutes(ended))

    finished("ankle_pumps", Outcome.COMPLETE, 0)  # at `since`: counted
    finished("ankle_pumps", Outcome.COMPLETE, 30)
    finished("heel_slides", Outcome.COMPLETE, 40)
    finished("heel_slides", Outcome.PARTIAL, 50)
    finished("glute_sets", Outcome.STOPPED_FOR_PAIN, 55)
    finished("ankle_pumps", Outcome.COMPLETE, 60)  # at `until`: not counted
    finished("ankle_pumps", Outcome.COMPLETE, -5)  # before the window
    start(exercise_log, "quad_sets", at=minutes(58))  # still in progress
    exercise_log.log_self_report(
        "amzn1.ask.account.other",
        "ankle_pumps",
        pace=Pace.NORMAL,
        target=5,
        at=minutes(10),
        key="theirs",
    )
    assert exercise_log.completed_counts(USER, AT, minutes(60)) == {
        "ankle_pumps": 2,
        "heel_slides": 1,
    }
    assert exercise_log.completed_counts(USER, minutes(60), minutes(120)) == {"ankle_pumps": 1}
    assert exercise_log.completed_counts("amzn1.ask.account.nobody", AT, minutes(60)) == {}


def test_every_set_of_the_patient_is_read_back_oldest_first(exercise_log: ExerciseLog) -> None:
    # For the caregiver's export: however each set ended, and no other patient's.
    assert exercise_log.sets_of(USER) == []
    first = start(exercise_log, at=minutes(0))
    second = start(exercise_log, "heel_slides", at=minutes(5))  # ends `first` as partial at 5
    assert exercise_log.finish(second.set_id, Outcome.STOPPED_FOR_PAIN, at=minutes(9))
    exercise_log.log_self_report(
        USER, "knee_presses", pace=Pace.NORMAL, target=5, at=minutes(7), key="k"
    )
    start(exercise_log, "glute_sets", at=minutes(12))  # in progress: not finished
    assert exercise_log.finish(first.set_id, Outcome.COMPLETE, at=minutes(13)) is False
    assert [
        (each.exercise_id, each.outcome, each.started_at, each.ended_at)
        for each in exercise_log.sets_of(USER)
    ] == [
        ("ankle_pumps", Outcome.PARTIAL, minutes(0), minutes(5)),
        ("heel_slides", Outcome.STOPPED_FOR_PAIN, minutes(5), minutes(9)),
        ("knee_presses", Outcome.COMPLETE, minutes(7), minutes(7)),
        ("glute_sets", Outcome.IN_PROGRESS, minutes(12), None),
    ]
    assert exercise_log.sets_of("amzn1.ask.account.other") == []


# Concurrent requests for one patient (separate connections, real threads).


def test_concurrent_starts_leave_exactly_one_set_in_progress(
    exercise_log: ExerciseLog, engine: Engine
) -> None:
    rounds = 5

    def starts(index: int) -> list[str]:
        return [
            start(exercise_log, f"exercise_{index}", at=minutes(index * rounds + turn)).set_id
            for turn in range(rounds)
        ]

    set_ids = [set_id for started in all_at_once(THREADS, starts) for set_id in started]
    assert len(set(set_ids)) == THREADS * rounds
    open_sets = in_progress(engine)
    assert len(open_sets) == 1
    assert open_sets[0] in set_ids
    ended = [exercise_log.get(set_id) for set_id in set_ids if set_id not in open_sets]
    assert {found.outcome for found in ended if found is not None} == {Outcome.PARTIAL}
    assert len(ended) == THREADS * rounds - 1


def test_concurrent_starts_and_promotes_leave_one_set_in_progress(
    exercise_log: ExerciseLog, engine: Engine
) -> None:
    first = start(exercise_log, up_next=["heel_slides"])
    queued = exercise_log.queue_next(first, "heel_slides", target=8, at=minutes(1))

    def start_or_promote(index: int) -> ExerciseSet | None:
        if index % 2:
            return exercise_log.promote(queued.set_id, at=minutes(2))
        return start(exercise_log, f"exercise_{index}", at=minutes(2))

    results = all_at_once(THREADS, start_or_promote)
    open_sets = in_progress(engine)
    assert len(open_sets) == 1
    promoted = [found for found in results if found is not None and found.follows]
    assert {found.set_id for found in promoted} <= {queued.set_id}
    started = {found.set_id for found in results if found is not None and not found.follows}
    assert len(started) == THREADS // 2
    assert open_sets[0] in started | {queued.set_id}
    ended = exercise_log.get(first.set_id)
    assert ended is not None
    assert ended.finished


def test_concurrent_finishes_count_once(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log)
    results = all_at_once(
        THREADS, lambda _: exercise_log.finish(started.set_id, Outcome.COMPLETE, at=minutes(1))
    )
    assert sorted(results) == [False] * (THREADS - 1) + [True]
    assert exercise_log.completed_counts(USER, AT, minutes(2)) == {"ankle_pumps": 1}


def test_concurrent_self_reports_with_one_key_insert_once(exercise_log: ExerciseLog) -> None:
    def report(_: int) -> bool:
        return exercise_log.log_self_report(
            USER, "knee_presses", pace=Pace.NORMAL, target=10, at=AT, key="retried-request"
        )

    assert sorted(all_at_once(THREADS, report)) == [False] * (THREADS - 1) + [True]
    assert exercise_log.completed_counts(USER, AT, minutes(1)) == {"knee_presses": 1}


def test_concurrent_self_reports_with_distinct_keys_are_all_kept(exercise_log: ExerciseLog) -> None:
    rounds = 5

    def reports(index: int) -> list[bool]:
        return [
            exercise_log.log_self_report(
                USER,
                "knee_presses",
                pace=Pace.NORMAL,
                target=10,
                at=AT,
                key=f"request-{index}-{turn}",
            )
            for turn in range(rounds)
        ]

    results = [inserted for done in all_at_once(THREADS, reports) for inserted in done]
    assert results == [True] * (THREADS * rounds)
    assert exercise_log.completed_counts(USER, AT, minutes(1)) == {"knee_presses": THREADS * rounds}


def test_concurrent_progress_ends_at_the_most_repetitions(exercise_log: ExerciseLog) -> None:
    started = start(exercise_log, target=100)
    values = list(range(1, THREADS * 5 + 1))
    random.Random(7).shuffle(values)
    shares = [values[index::THREADS] for index in range(THREADS)]

    def progress(index: int) -> None:
        for value in shares[index]:
            exercise_log.record_progress(started.set_id, value, at=minutes(1))

    all_at_once(THREADS, progress)
    ended_at = exercise_log.get(started.set_id)
    assert ended_at is not None
    assert ended_at.repetitions_done == max(values)


# The schema.


def test_one_set_in_progress_per_patient_is_enforced_by_the_database(
    exercise_log: ExerciseLog, engine: Engine
) -> None:
    start(exercise_log)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            insert(SETS).values(
                set_id="second",
                user_id=USER,
                exercise_id="heel_slides",
                pace=Pace.NORMAL,
                delivery="audio",
                outcome="in_progress",
                started_at=AT,
                repetitions_target=5,
            )
        )
    exercise_log.log_self_report(USER, "heel_slides", pace=Pace.NORMAL, target=5, at=AT, key="k")
    assert exercise_log.completed_counts(USER, AT, minutes(1)) == {"heel_slides": 1}


def test_the_migrations_match_the_models(engine: Engine) -> None:
    def ours(_object: Any, name: str | None, type_: str, *_: Any) -> bool:
        return type_ != "table" or name in TABLES

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": ours})
        assert compare_metadata(context, metadata) == []


def test_migrations_create_and_drop_the_exercise_log(database_url: str, engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    indexes = {index["name"]: index for index in inspect(engine).get_indexes("exercise_sets")}
    assert indexes["uq_exercise_sets_user_id_in_progress"]["unique"]
    downgrade(database_url, "0001")
    names = set(inspect(engine).get_table_names())
    assert not TABLES & names
    assert "patients" in names
    upgrade(database_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
