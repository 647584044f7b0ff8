"""/try in a real browser (Debian's Chromium under Playwright): a conversation, then a track.

Headless Chromium has `speechSynthesis` (speaking fails there with "synthesis-failed", which
the page ignores), so nothing is stubbed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from playwright.sync_api import Locator, Page, ViewportSize, expect

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.coach_audio.manifest import load_manifest
from tests.browser_support import LiveServer, test_output_dir
from tests.conftest import AUDIO_BASE_URL, NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

PHONE: ViewportSize = {"width": 400, "height": 860}


def _answers(page: Page) -> Locator:
    return page.locator("#transcript li.alexa")


def _say_until_answered(page: Page, action: Any, count: int) -> str:
    """Do `action` (a click or a typed line) and wait for the `count`-th answer."""
    action()
    answer = _answers(page).nth(count - 1)
    expect(answer).to_be_visible()
    return answer.inner_text()


def _first_visit(page: Page) -> None:
    assert page.evaluate("() => typeof window.speechSynthesis") == "object"
    launch = _say_until_answered(page, lambda: page.click('[data-say="open spine coach"]'), 1)
    assert "When was your surgery?" in launch
    heard = page.locator("#transcript li.you .heard").first
    expect(heard).to_have_text("LaunchRequest")

    def type_the_date() -> None:
        page.fill("#utterance", "my surgery was three weeks ago")
        page.press("#utterance", "Enter")

    assert "Friday, October 30" in _say_until_answered(page, type_the_date, 2)
    expect(page.locator("#transcript li.you .heard").nth(1)).to_have_text(
        "SetSurgeryDateIntent · surgeryDate=2026-10-30"
    )
    assert "Got it" in _say_until_answered(page, lambda: page.click('[data-say="yes"]'), 3)


def test_a_conversation_in_the_browser(try_app: Flask, new_page: Page) -> None:
    page = new_page
    with LiveServer(try_app) as server:
        page.set_viewport_size(PHONE)
        page.goto(f"{server.url}/try")
        expect(page.locator("#clock")).to_contain_text("Nov 20")
        _first_visit(page)
        drive = _say_until_answered(page, lambda: page.click('[data-say="can I drive yet"]'), 4)
        assert drive.startswith("Not yet.")
        chunk = _say_until_answered(page, lambda: page.click('[data-say="start my bridges"]'), 5)
        assert "Lift your bottom" in chunk
        assert "Ready for the next 5?" in chunk
        expect(page.locator("#track")).to_have_text("Nothing playing.")
        page.click("#next-day")
        expect(page.locator("#clock")).to_contain_text("Nov 21")
        assert page.locator("#transcript .error").count() == 0


def test_reminders_allowed_with_a_button_go_off_as_hours_pass(
    try_app: Flask, new_page: Page
) -> None:
    page = new_page
    with LiveServer(try_app) as server:
        page.set_viewport_size(PHONE)
        page.goto(f"{server.url}/try")
        _first_visit(page)

        def ask() -> None:
            page.fill("#utterance", "remind me to do my exercises")
            page.press("#utterance", "Enter")

        assert "permission" in _say_until_answered(page, ask, 4)
        alexa = page.locator("#transcript li.alexa-own")
        expect(alexa).to_contain_text("Do you give Spine Coach permission to set reminders?")
        expect(alexa).to_contain_text("her own question")
        page.click('#transcript [data-permission="allow"]')
        expect(page.locator("#transcript .permission")).to_have_count(0)  # answered
        expect(page.locator("#transcript li.you .heard").last).to_have_text(
            "Connections.Response · ACCEPTED"
        )
        expect(_answers(page).last).to_contain_text("every hour")

        page.click('[data-listen="3600"]')
        reminders = page.locator("#transcript li.reminder")
        expect(reminders).to_have_text(["Reminder at 16:00: Time for knee presses"])
        expect(page.locator("#transcript li.events").last).to_have_text("events: ReminderStarted")
        page.click("#next-day")
        expect(reminders).to_have_count(7)  # the hour's, five of the day's, and the rest counted
        expect(reminders.last).to_have_text("… and 9 more reminders")
        expect(reminders.nth(1)).to_have_text("Reminder at 17:00: Time for knee presses")
        assert page.locator("#transcript .error").count() == 0


def test_a_streamed_set_in_the_browser(audio_app: Flask, new_page: Page) -> None:
    page = new_page
    with LiveServer(audio_app) as server:
        page.set_viewport_size(PHONE)
        page.goto(f"{server.url}/try")
        _first_visit(page)
        started = _say_until_answered(page, lambda: page.click('[data-say="start my bridges"]'), 4)
        assert "Here are your bridges" in started
        expect(page.locator("#activity")).to_have_attribute("data-activity", "PLAYING")
        expect(page.locator("#activity")).to_have_text("Playing")
        expect(page.locator("#track")).to_have_text("bridges, normal pace")
        src = page.get_attribute("#audio", "src")
        assert src is not None
        assert src.startswith("/audio/tracks/")
        # The browser fetched the track from this app and knows how long it is.
        page.wait_for_function("() => document.getElementById('audio').duration > 100")
        expect(page.locator("#progress")).to_have_attribute("data-offset", "0")

        page.click('[data-listen="10"]')
        expect(page.locator("#progress")).to_have_attribute("data-offset", "10000")
        expect(page.locator("#position")).to_have_text("0:10")
        assert page.evaluate("() => document.getElementById('progress').value") == 10_000
        expect(page.locator("#clock")).to_contain_text("03:00:10 PM")

        page.click('[data-press="Pause"]')
        expect(page.locator("#activity")).to_have_attribute("data-activity", "STOPPED")
        expect(page.locator("#transcript li.events").last).to_contain_text("PlaybackStopped")
        assert page.evaluate("() => document.getElementById('audio').paused")
        assert page.locator("#transcript .error").count() == 0
        shot = test_output_dir() / "try.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000


# A patient's first visit in each locale the skill adds to en-US (issue 17) -------------------


@pytest.fixture(scope="session")
def british_and_dutch_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The nl-NL and en-GB coach audio, built once per run with the offline voice (espeak-ng),
    as `make run` builds it."""
    from skill.coach_audio.build import build_audio
    from skill.coach_audio.synthesis import EspeakEngine

    folder = tmp_path_factory.mktemp("coach-audio-nl-gb") / "audio"
    for locale in ("nl-NL", "en-GB"):
        build_audio(folder, locale=locale, engine=EspeakEngine(), progress=False)
    return folder


@pytest.fixture
def voiced_app(
    sqlite_url: str, alexa_api: responses.RequestsMock, british_and_dutch_audio: Path
) -> Iterator[Flask]:
    """/try as `make run` serves it: coach audio built for nl-NL and en-GB, sets streamed."""
    app = create_app(
        {
            "VERIFY_REQUESTS": False,
            "SIMULATOR": True,
            "CLOCK": lambda: NOW,
            "DATABASE_URL": sqlite_url,
            "AUDIO_DIR": str(british_and_dutch_audio),
            "AUDIO_BASE_URL": AUDIO_BASE_URL,
        }
    )
    yield app
    app.extensions[EXTENSION].engine.dispose()


@dataclass(frozen=True)
class Journey:
    """A new patient's first visit in one locale: what they say, what they must hear, and the
    words of other languages (or spellings) the page must not show."""

    locale: str
    switch: str  # the language's link in the page's switch
    html_lang: str
    says: dict[str, str]
    hears: dict[str, list[str]]
    resumed: str  # the resumed set's first words, {repetition} the one it stopped at
    track: str  # the player's line for the set
    directives: str  # the transcript's labels of Alexa's directives and events
    events: str
    pause: str  # the page's Pause button's label, or what the patient says
    pause_by_button: bool
    foreign: list[str]  # regular expressions, matched case-insensitively on word boundaries


# English words a Dutch page would show if something were left untranslated. Not words Dutch
# shares with English ("is", "in", "set", "start", "stop", "help", "sorry", "week", "of", …),
# nor the product's name (Spine Coach) and the devices' (Echo, Alexa).
ENGLISH = [
    "the", "you", "your", "yes", "and", "with", "what", "when", "from", "not",
    "anything", "else", "got it", "here", "ready", "next", "previous", "play", "pause", "say",
    "mute", "unmute", "listen", "player", "clock", "nothing", "playing", "stopped", "finished",
    "idle", "bridges", "knee", "pace", "surgery", "operation", "hurts", "pain", "today", "day",
    "directives", "events", "session", "closed", "track", "answers", "language", "try",
]  # fmt: skip
# American forms a British patient should not read.
AMERICAN = [
    "stabilization", r"\w+iz(e|ed|es|ing)", "physical therap\\w*", "center", "color",
    "favorite", "program", "911", "(january|february|march|april|may|june|july|august|"
    "september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec) \\d",
    "(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun), "
    "\\w+ \\d", "\\d{1,2}:\\d\\d:\\d\\d [ap]m",
]  # fmt: skip

DUTCH = Journey(
    locale="nl-NL",
    switch="Nederlands (Nederland)",
    html_lang="nl",
    says={
        "open": "open rug coach",
        "date": "drie weken geleden",
        "confirm": "ja",
        "drive": "mag ik al autorijden",
        "bridges": "start mijn bruggetjes",
        "resume": "ga verder",
        "progress": "hoeveel heb ik vandaag gedaan",
    },
    hears={
        # NOW is Friday 20 November 2026: three weeks ago is Friday 30 October.
        "open": ["^Hallo, ik ben Rug Coach\\.", "Wanneer was uw operatie\\?$"],
        "date": ["^Uw operatie was dus op vrijdag 30 oktober\\. Klopt dat\\?$"],
        "confirm": ["^Genoteerd: vrijdag 30 oktober\\.", "statische stabilisatie"],
        # The plan: driving from week 6, when legs and back have feeling and strength.
        "drive": ["^Nog niet\\. Vanaf vrijdag 11 december", "gevoel en kracht"],
        "bridges": ["^Daar gaan we: bruggetjes, in een normaal tempo\\.", "Alexa, pauze"],
        "progress": ["^Vandaag tot nu toe:", "bruggetjes 1 van de"],
    },
    resumed="Verder met bruggetjes, vanaf herhaling {repetition}.",
    track="bruggetjes, tempo normaal",
    directives="opdrachten",
    events="gebeurtenissen",
    pause="Pauze",
    pause_by_button=True,
    foreign=ENGLISH,
)

BRITISH = Journey(
    locale="en-GB",
    switch="English (United Kingdom)",
    html_lang="en-GB",
    says={
        "open": "open spine coach",
        "date": "I had my operation three weeks ago",
        "confirm": "yes",
        "drive": "can I drive yet",
        "bridges": "start my bridges",
        "resume": "resume",
        "progress": "how many have I done today",
    },
    hears={
        "open": ["^Hello, I'm Spine Coach\\.", "When was your operation\\?$"],
        "date": ["^So your operation was on Friday 30 October\\. Is that right\\?$"],
        "confirm": ["^Got it, Friday 30 October\\.", "static stabilisation"],
        "drive": ["^Not yet\\. From Friday 11 December", "feeling and strength"],
        "bridges": ["^Here are your bridges, at a normal pace\\.", "Alexa, pause"],
        "progress": ["^Today so far:", "bridges, 1 of"],
    },
    resumed="Back to your bridges, from repetition {repetition}.",
    track="bridges, normal pace",
    directives="directives",
    events="events",
    pause="pause",
    pause_by_button=False,
    foreign=AMERICAN,
)

# The page's text in every form a reader meets it: what the page shows (and a screen reader
# reads: labels, placeholders, titles) and what its script may show later (#page-text). Left
# out: the language switch (each language by its own name), what the simulator heard (Alexa's
# intent names) and the transcript's directive and event lines (checked on their own).
PAGE_TEXT = r"""() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("script, nav.languages, .heard, li.events").forEach(n => n.remove());
  const labels = [...document.querySelectorAll("[aria-label], [placeholder], [title]")]
    .flatMap(n => ["aria-label", "placeholder", "title"].map(name => n.getAttribute(name) || ""));
  const data = JSON.parse(document.getElementById("page-text").textContent);
  const later = Object.entries(data).filter(([name]) => !name.endsWith("Lang"))
    .flatMap(([, value]) => typeof value === "string" ? [value] : Object.values(value))
    .map(template => template.replace(/\{\w+\}/g, ""));  // {track}: a value, filled in
  return [document.title, body.textContent, ...labels, ...later].join("\n");
}"""

# Every utterance the page gives the browser's voice, and in which language.
RECORD_SPEECH = """() => {
  window.spoken = [];
  if (!window.speechSynthesis) return;
  const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
  window.speechSynthesis.speak = utterance => {
    window.spoken.push({ lang: utterance.lang, text: utterance.text });
    speak(utterance);
  };
}"""


def _say(page: Page, words: str, count: int) -> str:
    """Type `words` as the patient and wait for the `count`-th answer."""

    def type_them() -> None:
        page.fill("#utterance", words)
        page.press("#utterance", "Enter")

    return _say_until_answered(page, type_them, count)


def _speech(answer: str) -> str:
    """What Alexa said, without the reprompt or card shown below it."""
    return answer.split("\n")[0]


def _matches(answer: str, patterns: list[str]) -> None:
    for pattern in patterns:
        assert re.search(pattern, answer), f"{pattern!r} not in {answer!r}"


def _foreign_words(text: str, patterns: list[str]) -> list[str]:
    return [
        found.group(0)
        for pattern in patterns
        for found in re.finditer(rf"\b(?:{pattern})\b", text, re.IGNORECASE)
    ]


@pytest.mark.parametrize("journey", [DUTCH, BRITISH], ids=lambda journey: journey.locale)
def test_a_first_visit_in_the_patients_own_language(
    journey: Journey, voiced_app: Flask, new_page: Page, british_and_dutch_audio: Path
) -> None:
    """Issue 17's "done when" on /try: the language chosen with the page's own switch, a
    surgery date said that language's way, driving, and a streamed set of bridges paused and
    resumed from the repetition it stopped at; the page shows only that language, and the
    browser's voice and the coach's track speak it."""
    page = new_page
    page.add_init_script(f"({RECORD_SPEECH})()")
    manifest = load_manifest(british_and_dutch_audio)
    assert manifest is not None
    track = manifest.track(journey.locale, "bridges", "normal")
    assert track is not None
    says, hears = journey.says, journey.hears
    with LiveServer(voiced_app) as server:
        page.set_viewport_size(PHONE)
        page.goto(f"{server.url}/try")  # the browser asks for American English
        expect(page.locator("html")).to_have_attribute("lang", "en")
        with page.expect_navigation():  # to the page in that language, its script run
            page.get_by_role("link", name=journey.switch).click()
        expect(page.locator("nav.languages [aria-current]")).to_have_text(journey.switch)
        expect(page.locator("html")).to_have_attribute("lang", journey.html_lang)

        for number, step in enumerate(("open", "date", "confirm", "drive", "bridges"), 1):
            _matches(_speech(_say(page, says[step], number)), hears[step])
        activity = page.locator("#activity")
        expect(activity).to_have_attribute("data-activity", "PLAYING")
        expect(page.locator("#track")).to_have_text(journey.track)
        # The coach's voice in the patient's language: the track built for this locale.
        expect(page.locator("#audio")).to_have_attribute("src", f"/audio/{track.file}")

        # A minute into the set, the patient pauses it, then asks to go on.
        page.click('[data-listen="60"]')
        expect(page.locator("#progress")).to_have_attribute("data-offset", "60000")
        if journey.pause_by_button:
            page.get_by_role("button", name=journey.pause, exact=True).click()
        else:
            page.fill("#utterance", journey.pause)
            page.press("#utterance", "Enter")
        expect(activity).to_have_attribute("data-activity", "STOPPED")
        stopped_in = next(span for span in track.repetitions if span.end_ms > 60_000)
        assert 1 < stopped_in.repetition < len(track.repetitions)  # mid-set
        count = _answers(page).count()
        resumed = _speech(_say(page, says["resume"], count + 1))
        assert resumed == journey.resumed.format(repetition=stopped_in.repetition)
        expect(activity).to_have_attribute("data-activity", "PLAYING")
        expect(page.locator("#audio")).to_have_attribute("src", f"/audio/{track.file}")
        expect(page.locator("#progress")).to_have_attribute("data-offset", str(stopped_in.start_ms))
        for _minute in range(track.duration_ms // 60_000 + 1):
            if activity.get_attribute("data-activity") != "PLAYING":
                break
            page.click('[data-listen="60"]')
            page.wait_for_function("() => !document.body.classList.contains('busy')")
        expect(activity).to_have_attribute("data-activity", "FINISHED")
        # The set counts as done: resumed, it ended at its last repetition.
        _matches(_speech(_say(page, says["progress"], count + 2)), hears["progress"])
        assert page.locator("#transcript .error").count() == 0

        # Only the patient's language, on the page and in the browser's voice.
        text = page.evaluate(PAGE_TEXT)
        assert _foreign_words(text, journey.foreign) == [], text
        for line in page.locator("#transcript li.events").all_inner_texts():
            for part in line.split(" · "):
                label, _, names = part.partition(": ")
                assert label in (journey.directives, journey.events), line
                assert re.fullmatch(r"[A-Z][\w.]*(, [A-Z][\w.]*)*", names), line
        spoken = page.evaluate("() => window.spoken")
        assert [utterance["text"] for utterance in spoken] == _answers(page).locator(
            ".speech"
        ).all_inner_texts()
        assert {utterance["lang"] for utterance in spoken} == {journey.locale}
