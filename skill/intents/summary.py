"""'How am I doing?': one sentence first (the week's sets against target, the pain trend), then
"want the details?": the sets by exercise, the last check-in and any alert."""

from __future__ import annotations

from datetime import datetime, timedelta

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from markupsafe import Markup

from skill.alexa.budget import WORD_BUDGET, count_words, spoken_text
from skill.alexa.pending import DetailsOffered, MilestoneOffered
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of
from skill.recovery.daily_targets import local_day_bounds
from skill.recovery.timeline import upcoming_milestones
from skill.recovery.weekly_summary import DAYS, WeekReport, exercise_weeks, week_report
from skill.reminders.adherence import adherence_between


def _bounds(turn: Turn) -> tuple[datetime, datetime]:
    """The last seven local days, today included: from the first one's start to today's end."""
    week_start, _ = local_day_bounds(turn.today - timedelta(days=DAYS - 1), turn.time_zone)
    _, day_end = local_day_bounds(turn.today, turn.time_zone)
    return week_start, day_end


def _week(turn: Turn) -> WeekReport:
    """The last seven local days (today included) from the exercise log and the check-ins."""
    services = turn.services
    week_start, day_end = _bounds(turn)
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


def _details(turn: Turn) -> list[Markup]:
    """The details' sentences, in order: each exercise's sets, the last check-in, the week's
    alerts, and how many of the week's reminders a set followed within the hour."""
    week, strings = _week(turn), turn.strings
    sentences = [
        strings.text(
            "summary.sets",
            items=strings.join(
                [
                    strings.text(
                        "summary.item",
                        exercise=turn.services.guided_sets.exercise_name(
                            item.exercise.id, turn.locale
                        ),
                        done=item.done,
                        target=item.target,
                    )
                    for item in week.exercises
                ]
            ),
        )
    ]
    if week.last_check_in is not None:
        last = week.last_check_in.astimezone(turn.time_zone).date()
        sentences.append(strings.text("summary.last_check_in", date=strings.date(last)))
    if week.alerts:
        sentences.append(strings.text("summary.alerts", count=week.alerts))
    services = turn.services
    reminders = adherence_between(
        services.reminders.store, services.exercise_log, turn.user_id, *_bounds(turn)
    )
    if reminders.prompts:
        sentences.append(
            strings.text("summary.reminders", count=reminders.prompts, followed=reminders.followed)
        )
    return sentences


def _fitting(sentences: list[Markup]) -> int:
    """How many of `sentences`, from the first, fit the word budget together (at least one)."""
    words = 0
    for index, sentence in enumerate(sentences):
        words += count_words(spoken_text(str(sentence)))
        if words > WORD_BUDGET:
            return max(index, 1)
    return len(sentences)


def answer_details(turn: Turn, *, accepted: bool, said: int = 0) -> Response:
    """'Yes' (or "tell me more") to 'want the details?': each exercise's sets, the last check-in,
    the week's alerts and reminders, then what's next is offered; 'no': anything else?

    The details are said as far as they fit the word budget; the rest follows 'want to hear the
    rest?' (`said`: how many of the sentences were said already)."""
    reply = turn.reply()
    if not accepted:
        return reply.ask_anything_else().build(turn.handler_input)
    surgery_date = turn.require_surgery_date()
    sentences = _details(turn)
    said = min(said, len(sentences))
    now = said + _fitting(sentences[said:])
    for sentence in sentences[said:now]:
        reply.add(sentence)
    if now < len(sentences):
        reply.ask("summary.offer_rest", "summary.offer_rest_reprompt")
        reply.expect(DetailsOffered(said=now))
    elif upcoming_milestones(turn.plan, surgery_date, turn.today):
        reply.ask("summary.offer_next").expect(MilestoneOffered(index=0))
    else:
        reply.ask_anything_else()
    return reply.build(turn.handler_input)


HANDLERS = [ProgressSummaryIntentHandler()]
