"""The coach's phrases in a response: hosted clips when built and reachable, otherwise text."""

from __future__ import annotations

import re

import pytest

from skill.coach_audio.manifest import Manifest, PhraseClip, RepetitionSpan, Track
from skill.content.plan import Pace
from skill.sets.coach_voice import CoachVoice, pause
from skill.sets.script import Say, Silence

BASE = "https://cdn.example.org/coach/"


def manifest(**durations: int) -> Manifest:
    phrases = {
        key: PhraseClip(file=f"clips/{key}.mp3", text=f"text of {key}", duration_ms=ms)
        for key, ms in durations.items()
    }
    return Manifest(engine="espeak", phrases={"en-US": phrases}, tracks={})


def says(*keys: str) -> list[Say | Silence]:
    return [Say(key, f"text of {key}") for key in keys]


def test_built_phrases_on_an_https_host_become_audio_clips() -> None:
    voice = CoachVoice(manifest(a=1000, b=2000), BASE)
    ssml = voice.render("en-US", [*says("a"), Silence(1500), *says("b")])
    assert ssml == (
        f'<audio src="{BASE}clips/a.mp3"/> <break time="1500ms"/> <audio src="{BASE}clips/b.mp3"/>'
    )


@pytest.mark.parametrize(
    ("voice", "why"),
    [
        (CoachVoice(None, BASE), "nothing built"),
        (CoachVoice(manifest(a=1000), None), "not hosted"),
        (CoachVoice(manifest(a=1000), "http://127.0.0.1:5000/audio/"), "not https"),
        (CoachVoice(manifest(a=1000), BASE), "a phrase not built"),
    ],
)
def test_otherwise_the_text_is_spoken_escaped(voice: CoachVoice, why: str) -> None:
    parts: list[Say | Silence] = [Say("a", "text of a"), Say("z", "knees & thighs <now>")]
    ssml = voice.render("en-US", parts if why == "a phrase not built" else parts[:1])
    assert "<audio" not in ssml, why
    assert "text of a" in ssml
    if why == "a phrase not built":
        assert "knees &amp; thighs &lt;now&gt;" in ssml


def test_a_clip_built_from_older_text_is_never_played() -> None:
    voice = CoachVoice(manifest(a=1000), BASE)
    assert "<audio" not in voice.render("en-US", [Say("a", "the plan's new wording")])


def test_a_response_stays_within_240_seconds_of_audio() -> None:
    voice = CoachVoice(manifest(a=120_000, b=120_000, c=1), BASE)
    assert voice.render("en-US", says("a", "b")).count("<audio") == 2
    assert "<audio" not in voice.render("en-US", says("a", "b", "c"))


def test_a_response_stays_within_five_clips() -> None:
    voice = CoachVoice(manifest(a=1, b=1, c=1, d=1, e=1, f=1), BASE)
    assert voice.render("en-US", says("a", "b", "c", "d", "e")).count("<audio") == 5
    assert "<audio" not in voice.render("en-US", says("a", "b", "c", "d", "e", "f"))


@pytest.mark.parametrize(
    ("milliseconds", "breaks"),
    [
        (0, []),
        (800, [800]),
        (10_000, [10_000]),
        (10_001, [10_000, 1]),
        (25_000, [10_000, 10_000, 5_000]),
    ],
)
def test_pauses_become_breaks_of_at_most_ten_seconds(milliseconds: int, breaks: list[int]) -> None:
    found = [int(ms) for ms in re.findall(r'<break time="(\d+)ms"/>', pause(milliseconds))]
    assert found == breaks


def test_tracks_are_offered_only_when_built_and_hosted() -> None:
    track = Track(
        file="tracks/t.mp3",
        cue_map="tracks/t.cues.json",
        duration_ms=5000,
        repetitions=[RepetitionSpan(repetition=1, start_ms=1000, end_ms=4000)],
    )
    built = Manifest(engine="espeak", phrases={}, tracks={"en-US": {"bridges": {"normal": track}}})
    assert CoachVoice(built, BASE).track("en-US", "bridges", Pace.NORMAL) == track
    assert CoachVoice(built, BASE).url(track.file) == f"{BASE}tracks/t.mp3"
    assert CoachVoice(built, BASE).track("en-US", "bridges", Pace.SLOW) is None
    assert CoachVoice(built, None).track("en-US", "bridges", Pace.NORMAL) is None
