"""The Dutch catalogue (nl-NL): every message rendered with the plan's Dutch text, plurals by
Dutch rules, dates and lists through Babel, the formal "u", and the word budget of the answers
it makes up."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import yaml
from markupsafe import Markup

from skill.alexa.budget import WORD_BUDGET, count_words, spoken_text
from skill.alexa.speech import plain, telephone
from skill.content.plan import RecoveryPlan, load_plan
from skill.content.strings import DEFAULT_STRINGS_DIR, Detail, Strings, load_catalogue
from skill.intents.caregivers import digits
from skill.recovery.daily_targets import Standing
from skill.recovery.phrases import (
    call_sentence,
    due_now_sentence,
    elapsed_sentence,
    exercise_names,
    pain_advice,
    phase_name,
    phase_sentence,
)
from skill.recovery.timeline import Elapsed

NL_FILE = DEFAULT_STRINGS_DIR / "nl-NL.yaml"
PLAN = load_plan()
SURGERY = date(2026, 10, 21)

# Said the same in both languages: numbers, placeholders only, a name.
SAME_AS_ENGLISH = {"session.count", "session.how_to"}


@pytest.fixture(scope="module")
def nl() -> Strings:
    return load_catalogue().for_locale("nl-NL")


@pytest.fixture(scope="module")
def en() -> Strings:
    return load_catalogue().for_locale("en-US")


def full(strings: Strings) -> Strings:
    """The strings for a patient who asked for more detail."""
    return strings.detailed(lambda: Detail.FULL)


def words(markup: str) -> int:
    return count_words(spoken_text(markup))


def flatten(node: dict[str, Any], prefix: str = "") -> list[tuple[str, str | dict[str, str]]]:
    """(dotted key, message) pairs, read independently of skill.content.strings."""
    pairs: list[tuple[str, str | dict[str, str]]] = []
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) <= {"one", "other"}:
            pairs.append((name, value))
        elif isinstance(value, dict):
            pairs.extend(flatten(value, f"{name}."))
        else:
            pairs.append((name, value))
    return pairs


def nl_messages() -> list[tuple[str, str | dict[str, str]]]:
    return flatten(yaml.safe_load(NL_FILE.read_text(encoding="utf-8")))


_NL_MESSAGES = nl_messages()


def realistic(strings: Strings, plan: RecoveryPlan) -> dict[str, Any]:
    """A value for every placeholder, as the skill fills it in for a Dutch patient."""
    locale = strings.locale
    contact = plan.contacts["physical_therapy"]
    phase = plan.phases[1]
    knee_presses = plan.in_bed_exercises.exercises[0]
    return {
        "advice": plain(plan.check_in.alerts[0].advice[locale]),
        "because": Markup(""),
        "before": 6,
        "code": digits("123456789012"),
        "contact": plain(contact.name[locale]),
        "date": strings.date(date(2026, 12, 24)),
        "days": strings.text("elapsed.days", count=2),
        "done": 3,
        "elapsed": elapsed_sentence(strings, Elapsed(30)),
        "emergency": telephone(strings.plain("check_in.emergency_number")),
        "exercise": plain(knee_presses.name[locale]),
        "exercises": exercise_names(strings, plan),
        "followed": 1,
        "hours": plain(contact.hours[locale] if contact.hours else ""),
        "instruction": plain(knee_presses.instruction[locale]),
        "items": strings.join([plain(e.name[locale]) for e in plan.in_bed_exercises.exercises]),
        "name": plain(contact.name[locale]),
        "now": 4,
        "options": strings.alternatives([Markup("a"), Markup("b")]),
        "pace": strings.text("pace.names.normal"),
        "phase": phase_name(strings, phase),
        "phone": telephone(contact.phone),
        "position": plain(plan.in_bed_exercises.starting_position.text[locale]),
        "repetition": 6,
        "repetitions": 10,
        "safety": plain(plan.in_bed_exercises.safety.text[locale]),
        "schedule": strings.text(
            "reminders.schedule.both",
            hourly=strings.text("reminders.schedule.hourly", start=8, end=21),
            daily=strings.text(
                "reminders.schedule.daily", exercises=Markup("a"), times=Markup("9")
            ),
        ),
        "hourly": strings.text("reminders.schedule.hourly", start=8, end=21),
        "daily": strings.text("reminders.schedule.daily", exercises=Markup("a"), times=Markup("9")),
        "start": 8,
        "end": 21,
        "hour": 9,
        "times": strings.join([Markup("9"), Markup("14"), Markup("19")]),
        "score": 3,
        "span": strings.text("elapsed.weeks", count=4),
        "summary": plain(phase.summary[locale]),
        "target": 21,
        "text": plain(plan.milestones[0].text[locale]),
        "week": 6,
        "weeks": strings.text("elapsed.weeks", count=4),
    }


# --- every message -------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "message"), _NL_MESSAGES, ids=[k for k, _ in _NL_MESSAGES])
def test_every_dutch_message_renders_with_realistic_values_within_the_budget(
    nl: Strings, key: str, message: str | dict[str, str]
) -> None:
    texts = [message] if isinstance(message, str) else list(message.values())
    assert [t for t in texts if re.search(r"[<>]|&[a-z]+;", t)] == []  # no SSML in the text
    for count in (1, 2):  # each plural form
        spoken = nl.text(key, **realistic(nl, PLAN), count=count)
        said = spoken_text(str(spoken))
        assert said
        assert not re.search(r"[{}]", said), said
        assert words(spoken) <= WORD_BUDGET, said


def test_every_message_is_in_dutch(nl: Strings, en: Strings) -> None:
    # Nothing left in English: a message the same as en-US's is one that needs no words.
    same = {
        key
        for key, _ in _NL_MESSAGES
        if key != "formats.date"
        and nl.plain(key, **realistic(nl, PLAN), count=2)
        == en.plain(key, **realistic(nl, PLAN), count=2)
    }
    assert same == SAME_AS_ENGLISH


_INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jullie|jezelf|kun je|wil je)\b", re.IGNORECASE)


@pytest.mark.parametrize(("key", "message"), _NL_MESSAGES, ids=[k for k, _ in _NL_MESSAGES])
def test_the_patient_is_spoken_to_as_u(key: str, message: str | dict[str, str]) -> None:
    texts = [message] if isinstance(message, str) else list(message.values())
    assert [text for text in texts if _INFORMAL.search(text)] == []


def test_the_formal_u_is_used_throughout(nl: Strings) -> None:
    # A sample of what the patient hears most: the register holds.
    for key in ("welcome.question", "surgery_date.ask", "conversation.anything_else"):
        assert re.search(r"\b(u|uw)\b", nl.plain(key)), key


# --- plurals, dates, lists, numbers --------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "count", "expected"),
    [
        ("elapsed.weeks", 0, "0 weken"),
        ("elapsed.weeks", 1, "1 week"),
        ("elapsed.weeks", 2, "2 weken"),
        ("elapsed.days", 1, "1 dag"),
        ("elapsed.days", 6, "6 dagen"),
        ("session.ready_next", 1, "Klaar voor de laatste?"),
        ("session.ready_next", 5, "Klaar voor de volgende 5?"),
        ("caregiver.offer_revoke", 1, "Zal ik die beëindigen?"),
        ("caregiver.offer_revoke", 3, "Zal ik ze beëindigen?"),
    ],
)
def test_plurals_by_dutch_rules(nl: Strings, key: str, count: int, expected: str) -> None:
    assert nl.text(key, count=count) == expected


@pytest.mark.parametrize(
    ("count", "brief", "full"),
    [
        (1, "10 keer knieën aandrukken", "10 keer knieën aandrukken"),
        (3, "3 sets knieën aandrukken", "3 keer 10 knieën aandrukken"),
    ],
)
def test_sets_due_say_how_many_sets_and_in_full_how_many_times(
    nl: Strings, count: int, brief: str, full: str
) -> None:
    name = plain(PLAN.in_bed_exercises.exercises[0].name["nl-NL"])
    assert nl.text("exercises.due_item", count=count, repetitions=10, name=name) == brief
    detailed = nl.detailed(lambda: Detail.FULL)
    assert detailed.text("exercises.due_item", count=count, repetitions=10, name=name) == full


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 24), "donderdag 24 december"),
        (date(2026, 12, 2), "woensdag 2 december"),
        (date(2027, 3, 1), "maandag 1 maart"),
    ],
)
def test_dates_are_said_the_dutch_way(nl: Strings, day: date, expected: str) -> None:
    assert nl.date(day) == expected


def test_the_week_and_its_date(nl: Strings) -> None:
    said = nl.plain("session.not_yet", because="", week=6, date=nl.date(date(2026, 12, 24)))
    assert said == "Nog niet.  Die staan in uw plan vanaf week 6, dat is donderdag 24 december."


def test_lists_and_choices_the_dutch_way(nl: Strings) -> None:
    items = [Markup("knieën aandrukken"), Markup("knie optrekken"), Markup("bruggetjes")]
    assert nl.join(items) == "knieën aandrukken, knie optrekken en bruggetjes"
    assert nl.alternatives(items) == "knieën aandrukken, knie optrekken of bruggetjes"


def test_the_emergency_number_is_112(nl: Strings, en: Strings) -> None:
    assert nl.plain("check_in.emergency_number") == "112"
    assert en.plain("check_in.emergency_number") == "911"


def test_the_caregiver_code_is_said_digit_by_digit(nl: Strings) -> None:
    said = nl.text("caregiver.code", code=digits("123456789012"))
    assert said.startswith(
        'De code voor uw mantelzorger is <say-as interpret-as="digits">123</say-as>'
        '<break time="400ms"/>'
    )
    assert said.count('interpret-as="digits"') == 4


def test_the_exercise_names_asked_for_are_the_plans(nl: Strings) -> None:
    # "Welke oefening?" names them as the plan does (and the nl-NL model hears them).
    names = [e.name["nl-NL"] for e in PLAN.in_bed_exercises.exercises]
    asked = nl.plain("session.which_reprompt").lower()
    assert all(name.lower() in asked for name in names), (names, asked)


def test_the_plans_cue_takes_the_side(nl: Strings) -> None:
    lifts = PLAN.exercise("knee_lifts")
    assert lifts is not None
    cue = lifts.tempo.cues[0].say["nl-NL"]
    assert cue.format(side=nl.plain("session.sides.right")).startswith("Rechter knie")
    assert cue.format(side=nl.plain("session.sides.left")).startswith("Linker knie")


# --- answers composed from several messages and the plan: the budget at its longest --------


def _longest_day(phase_index: int) -> int:
    """The last day of a phase (the longest time since surgery said in it); the last phase's
    is 2 years on (the plan covers no more)."""
    phases = PLAN.phases
    if phase_index + 1 < len(phases):
        return phases[phase_index + 1].starts_week * 7 - 1
    return 2 * 365


@pytest.mark.parametrize("index", range(len(PLAN.phases)))
@pytest.mark.parametrize("detail", list(Detail))
def test_the_phase_with_the_longest_time_in_it_keeps_the_budget(
    nl: Strings, index: int, detail: Detail
) -> None:
    strings = nl.detailed(lambda: detail)
    phase = PLAN.phases[index]
    for total in (phase.starts_week * 7, _longest_day(index), _longest_day(index) - 3):
        said = phase_sentence(strings, phase, Elapsed(total))
        assert words(said) <= WORD_BUDGET, said


@pytest.mark.parametrize("index", range(len(PLAN.phases)))
def test_a_returning_launch_in_full_keeps_the_budget(nl: Strings, index: int) -> None:
    strings = full(nl)
    said = strings.text(
        "welcome.returning",
        elapsed=elapsed_sentence(strings, Elapsed(_longest_day(index) - 3)),
        phase=phase_name(strings, PLAN.phases[index]),
        exercises=exercise_names(strings, PLAN),
    )
    assert said.startswith("Welkom terug. Uw operatie is ")
    assert words(said) <= WORD_BUDGET, said


def _standings(behind: list[int]) -> list[Standing]:
    return [
        Standing(exercise, done=0, target=14, due=late)
        for exercise, late in zip(PLAN.in_bed_exercises.exercises, behind, strict=True)
    ]


@pytest.mark.parametrize("detail", list(Detail))
def test_what_is_due_now_keeps_the_budget(nl: Strings, detail: Detail) -> None:
    strings = nl.detailed(lambda: detail)
    said = due_now_sentence(strings, _standings([3, 1, 1]))
    assert said.startswith("Nu")
    listed = "knieën aandrukken, 10 keer knie optrekken en 10 keer bruggetjes"
    assert listed in said
    assert ("3 keer 10 " if detail is Detail.FULL else "3 sets ") + listed in said
    assert words(said) <= WORD_BUDGET, said


def test_the_pain_rule_with_the_stopped_set_keeps_the_budget(nl: Strings) -> None:
    advice = pain_advice(nl, PLAN, 3, stopped=True)
    assert advice.speech.startswith("Ik heb de set gestopt.")
    assert "088 979 23 23" in advice.speech
    assert words(advice.speech) <= WORD_BUDGET, advice.speech


def test_severe_pain_says_whom_to_call_first(nl: Strings) -> None:
    advice = pain_advice(nl, PLAN, 8, stopped=True)
    assert advice.call_now == "neurosurgery"
    assert "088 979 43 65" in advice.speech
    assert str(advice.speech).endswith("Ik heb de set gestopt. Pijnscore 8 genoteerd.")


def test_the_contact_with_its_hours_in_24_hour_time(nl: Strings) -> None:
    said = spoken_text(str(call_sentence(full(nl), PLAN.contacts["physical_therapy"])))
    assert said == (
        "Bel de afdeling Fysiotherapie op 088 979 23 23, maandag tot en met vrijdag van 8.00 uur "
        "tot 16.30 uur."
    )


def test_the_weekly_details_with_an_alert_keep_the_budget(nl: Strings) -> None:
    items = [
        nl.text("summary.item", exercise=plain(e.name["nl-NL"]), done=12, target=target)
        for e, target in zip(PLAN.in_bed_exercises.exercises, (98, 21, 21), strict=True)
    ]
    said = Markup(" ").join(
        [
            nl.text("summary.sets", items=nl.join(items)),
            nl.text("summary.last_check_in", date=nl.date(SURGERY + timedelta(days=30))),
            nl.text("summary.alerts", count=2),
        ]
    )
    assert said.startswith("Sets: knieën aandrukken 12 van de 98")
    assert words(said) <= WORD_BUDGET, said


def test_the_check_in_alert_with_the_emergency_number_keeps_the_budget(nl: Strings) -> None:
    contact = PLAN.contacts[PLAN.check_in.contact]
    for alert in PLAN.check_in.alerts:
        said = Markup(" ").join(
            [
                nl.text(
                    "check_in.urgent",
                    advice=plain(alert.advice["nl-NL"]),
                    contact=plain(contact.name["nl-NL"]),
                    phone=telephone(contact.phone),
                    emergency=telephone(nl.plain("check_in.emergency_number")),
                ),
                nl.text("check_in.saved"),
            ]
        )
        assert "112" in said
        assert words(said) <= WORD_BUDGET, said
