"""Sentences composed from the plan, the timeline and the strings catalogue (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from skill.alexa.speech import plain, telephone
from skill.content.plan import ActivityRule, Contact, Phase, RecoveryPlan
from skill.content.strings import Strings
from skill.recovery.daily_targets import Standing
from skill.recovery.timeline import Elapsed, UpcomingMilestone, activity_status


def elapsed_sentence(strings: Strings, elapsed: Elapsed) -> Markup:
    """'It's been 4 weeks and 2 days since your surgery.'"""
    if elapsed.total_days == 0:
        return strings.text("elapsed.surgery_today")
    weeks = strings.text("elapsed.weeks", count=elapsed.weeks)
    days = strings.text("elapsed.days", count=elapsed.days)
    if elapsed.weeks == 0:
        span = days
    elif elapsed.days == 0:
        span = weeks
    else:
        span = strings.text("elapsed.weeks_and_days", weeks=weeks, days=days)
    return strings.text("elapsed.since", span=span)


def phase_name(strings: Strings, phase: Phase) -> Markup:
    """The phase's spoken name."""
    return plain(phase.name[strings.locale])


def phase_sentence(strings: Strings, phase: Phase, elapsed: Elapsed) -> Markup:
    """The phase and what it allows in one line; in full, the time since surgery first and the
    plan's full summary."""
    return strings.text(
        "phase.current",
        elapsed=elapsed_sentence(strings, elapsed),
        phase=phase_name(strings, phase),
        summary=plain(strings.pick(phase.summary, phase.summary_full)[strings.locale]),
    )


def exercise_names(strings: Strings, plan: RecoveryPlan) -> Markup:
    """'knee presses, knee lifts, and bridges'."""
    return strings.join([plain(e.name[strings.locale]) for e in plan.in_bed_exercises.exercises])


def due_now_sentence(strings: Strings, items: Sequence[Standing]) -> Markup:
    """What is still due now (sets behind, by exercise); else how many are left for later, or
    that the day's sets are done. The full wording adds each set's repetitions."""
    due = [item for item in items if item.behind > 0]
    if due:
        listed = [
            strings.text(
                "exercises.due_item",
                count=item.behind,
                repetitions=item.exercise.repetitions,
                name=plain(item.exercise.name[strings.locale]),
            )
            for item in due
        ]
        return strings.text("exercises.due_now", items=strings.join(listed))
    left = sum(item.remaining for item in items)
    if left:
        return strings.text("exercises.none_due", count=left)
    return strings.text("exercises.all_done")


def activity_answer(
    strings: Strings, rule: ActivityRule, surgery_date: date | None, today: date
) -> Markup:
    """The plan's answer for this activity at the patient's point in recovery."""
    if rule.from_week == 0:
        return plain(rule.answer[strings.locale])
    if surgery_date is None:
        raise ValueError("a time-gated activity needs the surgery date")
    status = activity_status(rule, surgery_date, today)
    if status.allowed_now or rule.answer_before is None:
        return plain(rule.answer[strings.locale])
    before = strings.pick(rule.answer_before, rule.answer_before_full)
    return Markup(escape(before[strings.locale])).format(
        week=rule.from_week, date=strings.date(status.from_date)
    )


def no_guidance_sentence(strings: Strings, contact: Contact) -> Markup:
    """An honest 'I have no guidance on that', with whom to ask."""
    return strings.text(
        "activity.no_guidance",
        contact=plain(contact.name[strings.locale]),
        phone=telephone(contact.phone),
    )


def milestone_sentence(strings: Strings, upcoming: UpcomingMilestone) -> Markup:
    """'From Wednesday, December 2, you can …' (the plan's full text for a patient who wants it)."""
    milestone = upcoming.milestone
    return strings.text(
        "milestones.next",
        week=upcoming.week,
        date=strings.date(upcoming.starts_on),
        text=plain(strings.pick(milestone.text, milestone.text_full)[strings.locale]),
    )


def contact_name(strings: Strings, contact: Contact) -> Markup:
    """A contact's spoken name."""
    return plain(contact.name[strings.locale])


def call_sentence(strings: Strings, contact: Contact) -> Markup:
    """'Call the Physical Therapy department on 088 979 23 23.' (with its hours, in full)."""
    name, phone = contact_name(strings, contact), telephone(contact.phone)
    if contact.hours is None:
        return strings.text("contact.call_no_hours", name=name, phone=phone)
    hours = plain(contact.hours[strings.locale])
    return strings.text("contact.call", name=name, phone=phone, hours=hours)


@dataclass(frozen=True)
class PainAdvice:
    """What to say after a pain score; `call_now` names the contact to call at once, if any."""

    speech: Markup
    call_now: str | None = None


def pain_rule_said_today(plan: RecoveryPlan, earlier_today: Sequence[int]) -> bool:
    """Whether today's earlier pain scores already brought the plan's general rule: the first
    score below the threshold each day does (a severe one gets the call instead)."""
    threshold = plan.in_bed_exercises.pain.threshold
    return any(score < threshold for score in earlier_today)


def pain_advice(
    strings: Strings,
    plan: RecoveryPlan,
    score: int,
    *,
    earlier_today: Sequence[int] = (),
    stopped: bool = False,
) -> PainAdvice:
    """The answer to a pain score. At or above the plan's threshold: whom to call now, with the
    number, first. Below it: the score noted, and the plan's general rule with the first
    contact's number, once a day. `stopped`: the set was stopped for this report."""
    pain = plan.in_bed_exercises.pain
    noted = strings.text("pain.noted", score=score)
    stop = [strings.text("pain.stopped")] if stopped else []
    if score >= pain.threshold:
        contact = plan.contacts[pain.contact]
        urgent = Markup(escape(pain.urgent.text[strings.locale])).format(
            contact=plain(contact.name[strings.locale]), phone=telephone(contact.phone)
        )
        return PainAdvice(Markup(" ").join([urgent, *stop, noted]), call_now=pain.contact)
    if pain_rule_said_today(plan, earlier_today):
        return PainAdvice(Markup(" ").join([*stop, noted]))
    primary = plan.primary_contact
    rule = strings.text(
        "pain.rule",
        safety=plain(plan.in_bed_exercises.safety.text[strings.locale]),
        contact=plain(primary.name[strings.locale]),
        phone=telephone(primary.phone),
    )
    # With the rule, "I've stopped the set" stands for "noted": the answer stays short.
    return PainAdvice(Markup(" ").join([*(stop or [noted]), rule]))
