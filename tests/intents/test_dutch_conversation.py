"""A Dutch patient (an nl-NL request locale) through the handlers: what Spine Coach says, in
Dutch only, in the formal "u", within the word budget (tests/speech_budget.py measures every
answer here too). Real HTTP requests to /alexa; the nl-NL interaction model is not needed."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from skill.devtools.dialog import AlexaReply, Dialog
from skill.devtools.envelopes import slot
from tests.conftest import NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

LOCALE = "nl-NL"
SURGERY = date(2026, 10, 21)  # a Wednesday: 4 weeks and 2 days before NOW (Friday 20 November)
# English a Dutch answer would give away (the skill's own name apart).
_ENGLISH = re.compile(
    r"\b(the|your|you|you're|please|what|would|shall|it's|sorry, I|I've|set of|sets of|pace)\b"
)


@pytest.fixture
def dialog(client: FlaskClient) -> Dialog:
    """A Dutch patient, starting at NOW."""
    return Dialog(client, at=NOW, locale=LOCALE)


def dated(dialog: Dialog) -> AlexaReply:
    dialog.launch()
    dialog.say("SetSurgeryDateIntent", surgeryDate=SURGERY.isoformat())
    return dialog.say("AMAZON.YesIntent")


def exercise(value: str, exercise_id: str) -> dict[str, Any]:
    """The `exercise` slot as Alexa resolves it."""
    return slot("exercise", value, resolved_id=exercise_id, authority="EXERCISE")


def assert_asks(reply: AlexaReply) -> None:
    assert not reply.ends_session
    assert reply.speech.endswith("?")
    assert reply.reprompt


def assert_all_dutch(dialog: Dialog) -> None:
    said = [text for reply in dialog.history for text in (reply.speech, reply.reprompt) if text]
    assert said
    assert [text for text in said if _ENGLISH.search(text)] == []


def detail(dialog: Dialog) -> None:
    reply = dialog.say("MoreDetailIntent")
    assert reply.speech.startswith("Goed, vanaf nu geef ik u meer uitleg.")


def test_a_new_patient_hears_the_welcome_and_gives_the_date(dialog: Dialog) -> None:
    welcome = dialog.launch()
    assert welcome.speech == (
        "Hallo, ik ben Rug Coach. Ik geef u het advies van uw ziekenhuis na het vastzetten van "
        "uw wervels. Ik vervang uw zorgteam niet. Wanneer was uw operatie?"
    )
    assert welcome.reprompt == "Uw operatiedatum?"
    confirm = dialog.say("SetSurgeryDateIntent", surgeryDate=SURGERY.isoformat())
    assert confirm.speech == "Uw operatie was dus op woensdag 21 oktober. Klopt dat?"
    assert confirm.reprompt == "Was het woensdag 21 oktober?"
    saved = dialog.say("AMAZON.YesIntent")
    assert saved.speech == (
        "Genoteerd: woensdag 21 oktober. Uw operatie is 4 weken en 2 dagen geleden. U zit in de "
        "fase van statische stabilisatie. Kan ik nog iets voor u doen?"
    )
    assert_asks(saved)
    assert_all_dutch(dialog)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2026-W45", "Ik heb de precieze dag nodig. Wanneer was uw operatie?"),
        ("2026-12-01", "Die datum moet nog komen. Wanneer was uw operatie?"),
        ("2024-11-19", "Dat is meer dan twee jaar geleden"),
        ("not-a-date", "Sorry, ik heb de datum niet verstaan."),
    ],
)
def test_a_date_that_is_not_one_past_day_is_asked_again(
    dialog: Dialog, value: str, said: str
) -> None:
    dialog.launch()
    reply = dialog.say("SetSurgeryDateIntent", surgeryDate=value)
    assert reply.speech.startswith(said)
    assert reply.speech.endswith("Wanneer was uw operatie?")
    assert_asks(reply)


def test_a_returning_patient_is_offered_the_exercise_due_now(dialog: Dialog) -> None:
    dated(dialog)
    dialog.advance(days=1)
    reply = dialog.launch()
    assert reply.speech == (
        "Welkom terug. U zit in de fase van statische stabilisatie. Zullen we nu beginnen met "
        "knieën aandrukken?"
    )
    assert reply.reprompt == "Nu beginnen met knieën aandrukken?"
    started = dialog.say("AMAZON.YesIntent")
    assert started.speech.startswith(
        "We beginnen met knieën aandrukken, in een normaal tempo. Bij pijn zegt u: het doet pijn."
    )
    assert_all_dutch(dialog)


def test_in_full_the_launch_adds_the_time_and_the_days_exercises(dialog: Dialog) -> None:
    dated(dialog)
    detail(dialog)
    reply = dialog.launch()
    assert reply.speech == (
        "Welkom terug. Uw operatie is 4 weken en 2 dagen geleden. Uw herstelfase: statische "
        "stabilisatie. Uw oefeningen vandaag: knieën aandrukken, knie optrekken en bruggetjes. "
        "Zullen we nu beginnen met knieën aandrukken?"
    )


def test_may_i_drive_yet_says_the_day_and_in_full_the_week(dialog: Dialog) -> None:
    dated(dialog)
    drive = slot("activity", "autorijden", resolved_id="drive")
    brief = dialog.say("ActivityCheckIntent", activity=drive)
    assert brief.speech.startswith("Nog niet. Vanaf woensdag 2 december, ")
    detail(dialog)
    full = dialog.say("ActivityCheckIntent", activity=drive)
    assert full.speech.startswith("Nog niet. Vanaf week 6, dat is woensdag 2 december, ")
    assert_all_dutch(dialog)


def test_an_activity_without_guidance_names_whom_to_ask(dialog: Dialog) -> None:
    dated(dialog)
    reply = dialog.say("ActivityCheckIntent", activity=slot("activity", "paardrijden"))
    assert reply.speech == (
        "Daarover staat niets in uw plan. Vraag het aan de afdeling Fysiotherapie, op "
        "088 979 23 23. Kan ik nog iets voor u doen?"
    )


def test_the_phase_and_the_next_milestone(dialog: Dialog) -> None:
    dated(dialog)
    phase = dialog.say("CurrentPhaseIntent")
    assert phase.speech.startswith("U zit in de fase van statische stabilisatie. ")
    assert phase.speech.endswith("Wilt u horen wat er hierna komt?")
    milestone = dialog.say("AMAZON.YesIntent")
    assert milestone.speech.startswith("Vanaf woensdag 2 december kunt u ")
    assert milestone.speech.endswith("Wilt u ook de volgende horen?")
    assert_all_dutch(dialog)


def test_whom_to_call_with_the_hours_in_full(dialog: Dialog) -> None:
    dated(dialog)
    detail(dialog)
    reply = dialog.say("ContactIntent")
    assert reply.speech == (
        "Bel de afdeling Fysiotherapie op 088 979 23 23, maandag tot en met vrijdag van "
        "8.00 uur tot 16.30 uur. Wilt u ook het nummer van de afdeling Neurochirurgie?"
    )
    other = dialog.say("AMAZON.YesIntent")
    assert other.speech == ("Bel de afdeling Neurochirurgie op 088 979 43 65. Zal ik het herhalen?")


def test_what_is_due_now(dialog: Dialog) -> None:
    dated(dialog)
    reply = dialog.say("TodayExercisesIntent")
    assert reply.speech.startswith(
        "Nu aan de beurt: 3 sets knieën aandrukken, 10 keer knie optrekken en 10 keer bruggetjes. "
    )
    assert_asks(reply)


def test_a_set_of_bridges_paused_and_finished_the_next_day(dialog: Dialog) -> None:
    dated(dialog)
    bridges = exercise("bruggetjes", "bridges")
    first = dialog.say("StartExerciseIntent", exercise=bridges)
    assert first.speech.startswith("We beginnen met bruggetjes, in een normaal tempo.")
    assert first.speech.endswith("Klaar voor de volgende 5?")
    assert first.reprompt == "Zullen we doorgaan?"
    rest = dialog.say("AMAZON.PauseIntent")
    assert rest.speech == "Goed, we rusten hier even. Zeg ga verder als u weer zover bent."
    dialog.advance(days=1)
    offer = dialog.launch()
    assert offer.speech == ("U stopte bij herhaling 6 van bruggetjes. Zullen we de set afmaken?")
    assert offer.reprompt == "Zullen we de set bruggetjes afmaken?"
    resumed = dialog.say("AMAZON.YesIntent")
    assert resumed.speech.startswith("Verder met bruggetjes, vanaf herhaling 6. ")
    assert "Goed gedaan. Deze set bruggetjes zit erop." in resumed.speech
    assert_all_dutch(dialog)


def test_pain_during_a_set(dialog: Dialog) -> None:
    dated(dialog)
    dialog.say("StartExerciseIntent", exercise=exercise("knie optrekken", "knee_lifts"))
    asked = dialog.say("PainReportIntent")
    assert asked.speech == (
        "Ik heb de set gestopt. Hoe erg is de pijn, op een schaal van 0 tot 10?"
    )
    assert asked.reprompt == "Hoe erg, van 0 tot 10?"
    rule = dialog.say("PainScoreIntent", score="3")
    assert rule.speech.startswith("Pijnscore 3 genoteerd. ")
    assert "Vragen? Bel de afdeling Fysiotherapie op 088 979 23 23." in rule.speech
    dialog.say("StartExerciseIntent", exercise=exercise("bruggetjes", "bridges"))
    dialog.say("PainReportIntent")
    severe = dialog.say("PainScoreIntent", score="8")
    assert "de afdeling Neurochirurgie, op 088 979 43 65" in severe.speech
    assert severe.speech.endswith("Pijnscore 8 genoteerd. Zal ik het nummer herhalen?")
    again = dialog.say("AMAZON.YesIntent")
    assert again.speech.startswith("Het nummer van de afdeling Neurochirurgie is 088 979 43 65.")
    assert_all_dutch(dialog)


def test_a_check_in_with_an_alert_gives_112(dialog: Dialog) -> None:
    dated(dialog)
    intro = dialog.say("CheckInIntent")
    assert intro.speech == (
        "Tijd voor uw check-in: vier korte vragen. Bij elke vraag kunt u overslaan zeggen. "
        "Hoe erg is uw pijn nu, van 0 tot 10?"
    )
    alert = dialog.say("PainScoreIntent", score="8")
    assert "Bel de afdeling Fysiotherapie op 088 979 23 23, of 112 in een noodgeval." in (
        alert.speech
    )
    assert alert.speech.endswith("Hoeveel minuten heeft u vandaag ongeveer gewandeld?")
    dialog.say("CheckInMinutesIntent", minutes="20")
    worried = dialog.say("SkipIntent")
    assert worried.speech == "Maakt u zich zorgen over uw herstel?"
    assert worried.reprompt == "Ja, nee of overslaan?"
    saved = dialog.say("AMAZON.NoIntent")
    assert saved.speech == "Uw check-in is opgeslagen. Kan ik nog iets voor u doen?"
    summary = dialog.say("ProgressSummaryIntent")
    assert summary.speech == (
        "Deze week 0 van de 140 sets, en gemiddeld een pijnscore van 8. Wilt u de details horen?"
    )
    details = dialog.say("AMAZON.YesIntent")
    assert details.speech.startswith("Sets: knieën aandrukken 0 van de 98, ")
    assert "Laatste check-in: vrijdag 20 november. Eén check-in gaf deze week alarm." in (
        details.speech
    )
    assert_all_dutch(dialog)


def test_the_caregiver_code_is_said_digit_by_digit(dialog: Dialog) -> None:
    dated(dialog)
    reply = dialog.say("CaregiverCodeIntent")
    assert reply.speech.startswith("De code voor uw mantelzorger is ")
    assert reply.ssml.count('<say-as interpret-as="digits">') == 4
    assert reply.speech.endswith(
        "Die werkt één keer, binnen 10 minuten, op de pagina Spine Coach voor mantelzorgers. "
        "Zal ik het herhalen?"
    )
    sessions = dialog.say("CaregiverSessionsIntent")
    assert sessions.speech.startswith("Er kan nu geen mantelzorger uw voortgang zien.")


def test_help_fallback_and_goodbye(dialog: Dialog) -> None:
    dated(dialog)
    help_ = dialog.say("AMAZON.HelpIntent")
    assert help_.speech == (
        "U kunt zeggen: start mijn oefeningen, in welke fase zit ik of wie moet ik bellen. "
        "Wat wilt u doen?"
    )
    fallback = dialog.say("AMAZON.FallbackIntent")
    assert fallback.speech.startswith("Sorry, daar kan ik u niet mee helpen.")
    goodbye = dialog.say("AMAZON.StopIntent")
    assert goodbye.speech == "Pas goed op uzelf, en rust goed uit."
    assert goodbye.ends_session
    assert_all_dutch(dialog)


def test_deleting_everything_asks_first(dialog: Dialog) -> None:
    dated(dialog)
    ask = dialog.say("DeleteMyDataIntent")
    assert ask.speech.endswith("Dat kan niet ongedaan worden gemaakt. Zal ik alles wissen?")
    assert ask.reprompt == "Alles wissen wat ik over u bewaar?"
    done = dialog.say("AMAZON.YesIntent")
    assert done.speech == "Klaar. Ik heb alles gewist wat ik over u bewaarde. Pas goed op uzelf."
    assert done.ends_session
    assert_all_dutch(dialog)
