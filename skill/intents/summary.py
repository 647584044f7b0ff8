"""'How am I doing?': one sentence first (the week's sets against target, the pain trend), then
"want the details?": the sets by exercise, the last check-in and any alert."""

from __future__ import annotations

from datetime import timedelta

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa.pending import DetailsOffered, MilestoneOffered
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of
from skill.recovery.daily_targets import local_day_bounds
from skill.recovery.timeline import upcoming_milestones
from skill.recovery.weekly_summary import DAYS, WeekReport, exercise_weeks, week_report


def _week(turn: Turn) -> WeekReport:
    """The last seven local days (today included) from the exercise log and the check-ins."""
    services = turn.services
    week_start, _ = local_day_bounds(turn.today - timedelta(days=DAYS - 1), turn.time_zone)
    _, day_end = local_day_bounds(turn.today, turn.time_zone)
    done = services.exercise_log.completed_counts(turn.user_id, week_start, day_end)
    weeks = exercise_weeks(services.guided_sets.allowed(turn), done, turn.waking_hours)
    earlier = week_start - timedelta(days=DAYS)
    return week_report(
        weeks,
        services.exercise_log.pain_reports(turn.user_id, earlier),
        services.check_ins.since(turn.user_id, earlier),
        week_start,
    )


class ProgressSummaryIntentHandler(IntentHandler):
    """The caregiver's (or patient's) weekly report: the headline, then the details on request."""

    intents = ("ProgressSummaryIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        turn.require_surgery_date()
        week = _week(turn)
        return (
            turn.reply()
            .say(
                f"summary.headline.{week.pain.direction}",
                done=week.done,
                target=week.target,
                now=week.pain.now,
                before=week.pain.before,
            )
            .ask("summary.offer_details", "summary.offer_details_reprompt")
            .expect(DetailsOffered())
            .build(handler_input)
        )


def answer_details(turn: Turn, *, accepted: bool) -> Response:
    """'Yes' (or "tell me more") to 'want the details?': each exercise's sets, the last check-in
    and the week's alerts, then what's next is offered; 'no': anything else?"""
    reply = turn.reply()
    if not accepted:
        return reply.ask_anything_else().build(turn.handler_input)
    surgery_date = turn.require_surgery_date()
    week, strings = _week(turn), turn.strings
    reply.say(
        "summary.sets",
        items=strings.join(
            [
                strings.text(
                    "summary.item",
                    exercise=turn.services.guided_sets.exercise_name(item.exercise.id, turn.locale),
                    done=item.done,
                    target=item.target,
                )
                for item in week.exercises
            ]
        ),
    )
    if week.last_check_in is not None:
        last = week.last_check_in.astimezone(turn.time_zone).date()
        reply.say("summary.last_check_in", date=strings.date(last))
    if week.alerts:
        reply.say("summary.alerts", count=week.alerts)
    if upcoming_milestones(turn.plan, surgery_date, turn.today):
        reply.ask("summary.offer_next").expect(MilestoneOffered(index=0))
    else:
        reply.ask_anything_else()
    return reply.build(turn.handler_input)


HANDLERS = [ProgressSummaryIntentHandler()]
