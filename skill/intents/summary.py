"""'How am I doing?': the week's sets against target, the pain trend, the last check-in and any
alert, and the next milestone, in well under 45 seconds."""

from __future__ import annotations

from datetime import timedelta

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.intents.base import IntentHandler
from skill.intents.turn import turn_of
from skill.recovery.daily_targets import local_day_bounds
from skill.recovery.phrases import milestone_sentence
from skill.recovery.timeline import upcoming_milestones
from skill.recovery.weekly_summary import DAYS, exercise_weeks, pain_scores, pain_trend


class ProgressSummaryIntentHandler(IntentHandler):
    """The caregiver's (or patient's) weekly report."""

    intents = ("ProgressSummaryIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        surgery_date = turn.require_surgery_date()
        strings, services = turn.strings, turn.services
        week_start, _ = local_day_bounds(turn.today - timedelta(days=DAYS - 1), turn.time_zone)
        _, day_end = local_day_bounds(turn.today, turn.time_zone)
        done = services.exercise_log.completed_counts(turn.user_id, week_start, day_end)
        weeks = exercise_weeks(
            services.guided_sets.allowed(turn), done, turn.plan.in_bed_exercises.waking_hours
        )
        reply = turn.reply()
        reply.say(
            "summary.sets",
            items=strings.join(
                [
                    strings.text(
                        "summary.item",
                        exercise=services.guided_sets.exercise_name(week.exercise.id, turn.locale),
                        done=week.done,
                        target=week.target,
                    )
                    for week in weeks
                ]
            ),
        )
        earlier = week_start - timedelta(days=DAYS)
        check_ins = services.check_ins.since(turn.user_id, earlier)
        scores = pain_scores(services.exercise_log.pain_reports(turn.user_id, earlier), check_ins)
        trend = pain_trend(scores, week_start)
        if trend.direction != "none":
            reply.say(f"summary.pain.{trend.direction}", now=trend.now, before=trend.before)
        this_week = [c for c in check_ins if c.checked_at >= week_start]
        if check_ins:
            last = check_ins[-1].checked_at.astimezone(turn.time_zone).date()
            reply.say("summary.last_check_in", date=strings.date(last))
        alerts = sum(1 for c in this_week if c.alerts)
        if alerts:
            reply.say("summary.alerts", count=alerts)
        upcoming = upcoming_milestones(turn.plan, surgery_date, turn.today)
        if upcoming:
            reply.add(milestone_sentence(strings, upcoming[0]))
        return reply.ask_anything_else().build(handler_input)


HANDLERS = [ProgressSummaryIntentHandler()]
