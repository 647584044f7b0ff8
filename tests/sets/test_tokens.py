"""The AudioPlayer stream token: it round-trips, names its patient without the user id, tells
one playing of a set from the next, and nothing the skill did not issue parses."""

from __future__ import annotations

import hashlib
import string
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.content.plan import Pace, load_plan
from skill.sets.script import Variant
from skill.sets.tokens import PlaybackToken, parse_token

ALEXA_MAX_TOKEN = 1024  # AudioPlayer.Play: stream.token is at most 1024 characters
USER = "amzn1.ask.account.AEXAMPLEUSERIDFORTESTS0123456789"
OTHER_USER = "amzn1.ask.account.AOTHERUSERIDFORTESTS9876543210"
SET_ID = uuid.UUID("9f1c2b3a-4d5e-4f70-8192-a3b4c5d6e7f8").hex

user_ids = st.text(min_size=1, max_size=300)
alexa_user_ids = st.text(string.ascii_uppercase + string.digits, min_size=20, max_size=200).map(
    lambda suffix: f"amzn1.ask.account.{suffix}"
)
exercise_ids = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=64)
paces = st.sampled_from(list(Pace))
set_ids = st.one_of(
    st.uuids().map(lambda value: value.hex),
    st.uuids().map(lambda value: f"self-{value.hex}"),
    st.text("0123456789abcdef", min_size=1, max_size=64),
)


def issued() -> PlaybackToken:
    return PlaybackToken.for_set(USER, "knee_presses", Pace.NORMAL, SET_ID)


@settings(max_examples=200, deadline=None)
@given(user_id=user_ids, exercise_id=exercise_ids, pace=paces, set_id=set_ids)
def test_a_token_round_trips(user_id: str, exercise_id: str, pace: Pace, set_id: str) -> None:
    token = PlaybackToken.for_set(user_id, exercise_id, pace, set_id)
    text = token.encode()
    parsed = parse_token(text)
    assert parsed == token
    assert (parsed.exercise_id, parsed.pace, parsed.set_id) == (exercise_id, pace, set_id)
    assert parsed.belongs_to(user_id)
    assert text.isascii()
    assert len(text) <= ALEXA_MAX_TOKEN


def test_every_exercise_pace_and_variant_of_the_plan_round_trips() -> None:
    for exercise in load_plan().in_bed_exercises.exercises:
        for pace in Pace:
            for variant in Variant:
                token = PlaybackToken.for_set(USER, exercise.id, pace, SET_ID, variant)
                parsed = parse_token(token.encode())
                assert parsed == token
                assert parsed.variant is variant


def test_a_token_issued_before_variants_names_the_full_track_and_its_own_stream() -> None:
    token = issued()
    old = f"sc1.{token.patient}.knee_presses.normal.{SET_ID}.{token.play}"
    parsed = parse_token(old)
    assert parsed is not None
    assert (parsed.exercise_id, parsed.pace, parsed.set_id) == ("knee_presses", "normal", SET_ID)
    assert parsed.variant is Variant.FULL
    assert parsed.belongs_to(USER)
    # Stored sets compare their stream with the token's text: an old stream is still its own.
    assert parsed.encode() == old


@settings(max_examples=200, deadline=None)
@given(user_id=user_ids, other=user_ids)
def test_a_token_belongs_only_to_the_user_it_was_issued_to(user_id: str, other: str) -> None:
    token = PlaybackToken.for_set(user_id, "bridges", Pace.SLOW, SET_ID)
    parsed = parse_token(token.encode())
    assert parsed is not None
    assert parsed.belongs_to(user_id)
    assert parsed.belongs_to(other) == (other == user_id)
    assert not parsed.belongs_to(None)
    assert not parsed.belongs_to("")


def test_the_patient_is_a_hash_of_the_user_id() -> None:
    token = issued()
    assert token.patient == hashlib.sha256(USER.encode()).hexdigest()[: len(token.patient)]
    assert len(token.patient) >= 16
    assert not token.belongs_to(OTHER_USER)


@settings(max_examples=200, deadline=None)
@given(user_id=alexa_user_ids, exercise_id=exercise_ids, pace=paces, set_id=set_ids)
def test_a_token_never_contains_the_user_id(
    user_id: str, exercise_id: str, pace: Pace, set_id: str
) -> None:
    token = PlaybackToken.for_set(user_id, exercise_id, pace, set_id)
    text = token.encode()
    assert user_id not in text
    # The user id changes the hash in the token, and nothing else.
    other = PlaybackToken.for_set(user_id + "X", exercise_id, pace, set_id)
    other_text = PlaybackToken(other.patient, exercise_id, pace, set_id, token.play).encode()
    assert other_text.replace(other.patient, token.patient, 1) == text


def test_each_playing_of_a_set_has_its_own_token() -> None:
    tokens = [issued() for _ in range(20)]
    assert len({token.play for token in tokens}) == len(tokens)
    assert len({token.encode() for token in tokens}) == len(tokens)
    for token in tokens:
        assert (token.patient, token.exercise_id, token.pace, token.set_id) == (
            tokens[0].patient,
            "knee_presses",
            "normal",
            SET_ID,
        )
        assert parse_token(token.encode()) == token


# --- what never parses -------------------------------------------------------------------------


def garbled() -> list[object]:
    # A play part with letters, so that upper-casing it really changes it (a random one can be
    # all digits, about one time in forty).
    token = issued()
    lettered = PlaybackToken(token.patient, token.exercise_id, token.pace, token.set_id, "a1b2c3d4")
    text = lettered.encode()
    prefix, variant, patient, exercise, pace, set_id, play = text.split(".")
    forged: list[object] = [
        None,
        0,
        1234,
        b"",
        text.encode(),
        [text],
        "",
        " ",
        ".",
        text.upper(),
        text.replace(prefix, "SC2", 1),
        text.replace(prefix, "sc3", 1),  # another version or skill
        text.replace(f"{prefix}.", "sc1.", 1),  # a token from before variants has none
        text.replace(f".{variant}.", ".", 1),  # no variant
        text.replace(f".{variant}.", ".medium.", 1),
        text.replace(f".{variant}.", ".FULL.", 1),
        text.replace(f".{variant}.", f".{variant}.{variant}.", 1),
        text[len(prefix) + 1 :],  # no prefix
        text[:-1],  # truncated
        *(text[:cut] for cut in range(0, len(text), 7)),
        f"{text}.00ff00ff",  # an extra part
        f"{text}.",
        f".{text}",
        f"{text}0",  # the play part too long
        f" {text}",
        f"{text} ",
        text.replace(patient, patient[:-1], 1),
        text.replace(patient, patient + "0", 1),
        text.replace(patient, patient.upper(), 1),
        text.replace(patient, "g" * len(patient), 1),
        text.replace(f".{exercise}.", ".Knee_Presses.", 1),
        text.replace(f".{exercise}.", ".knee-presses.", 1),
        text.replace(f".{exercise}.", ".knee presses.", 1),
        text.replace(f".{exercise}.", "..", 1),
        text.replace(f".{exercise}.", f".{'a' * 65}.", 1),
        text.replace(f".{pace}.", ".Normal.", 1),
        text.replace(f".{pace}.", f".{'a' * 17}.", 1),
        text.replace(f".{pace}.", ".n0rmal.", 1),
        text.replace(f".{set_id}.", f".{'0' * 65}.", 1),
        text.replace(f".{set_id}.", f".{set_id.upper()}.", 1),
        text.replace(f".{set_id}.", f".{set_id}.{set_id}.", 1),
        text.replace(f".{set_id}.", "..", 1),
        text.replace(f".{play}", f".{play.upper()}", 1),
        text.replace(f".{play}", f".{play[:-1]}", 1),
        text.replace(f".{play}", ".0000000g", 1),
        text.replace(".", ":"),
        text.replace(".", ".."),
        "https://example.com/audio/tracks/abc.mp3",  # a URL token, as other skills use
        "amzn1.echo-api.session.0000",
        f"sc1.{USER}.knee_presses.normal.{SET_ID}.{play}",  # the user id in clear
    ]
    assert text not in forged  # each one really is changed
    return forged


@pytest.mark.parametrize("text", garbled(), ids=repr)
def test_what_the_skill_did_not_issue_does_not_parse(text: object) -> None:
    assert parse_token(text) is None


def test_a_token_with_a_trailing_newline_does_not_parse() -> None:
    assert parse_token(issued().encode() + "\n") is None


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    character=st.characters(exclude_characters="\n"),
)
def test_a_changed_token_parses_only_as_what_it_says(data: st.DataObject, character: str) -> None:
    """Any one-character change either does not parse or parses to exactly what it reads."""
    text = issued().encode()
    index = data.draw(st.integers(0, len(text)), label="at")
    changed = data.draw(
        st.sampled_from(
            [
                text[:index] + character + text[index:],  # inserted
                text[:index] + character + text[index + 1 :],  # replaced
                text[:index] + text[index + 1 :],  # deleted
            ]
        ),
        label="changed",
    )
    parsed = parse_token(changed)
    if parsed is not None:
        assert parsed.encode() == changed
        assert len(changed.split(".")) == 7


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_parses_only_as_what_it_says(text: str) -> None:
    parsed = parse_token(text)
    assert parsed is None or parsed.encode() == text
