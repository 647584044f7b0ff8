"""The real gTTS code against a mocked Google Translate endpoint: success, throttling,
server errors and timeouts, one phrase at a time and in a whole build that resumes."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import responses
from requests import PreparedRequest

from skill.coach_audio.build import AudioBuildError, build_audio
from skill.coach_audio.encoding import Encoder, ffmpeg_executable
from skill.coach_audio.manifest import MANIFEST_NAME, load_manifest
from skill.coach_audio.synthesis import GttsEngine, RetryPolicy, SynthesisError
from skill.content.plan import RecoveryPlan, load_plan
from skill.content.strings import load_catalogue
from skill.sets.script import all_scripts, unique_phrases

BATCHEXECUTE = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"


class FakeTime:
    """An injected clock and sleep: sleeping advances the clock and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def google_mp3() -> bytes:
    """What Google sends: MPEG-2 Layer III, 24 kHz, mono, 32 kbps (here a short tone)."""
    return subprocess.run(
        [
            *(ffmpeg_executable(), "-hide_banner", "-loglevel", "error"),
            *("-f", "lavfi", "-i", "sine=frequency=220:duration=0.4:sample_rate=24000"),
            *("-ac", "1", "-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3", "pipe:1"),
        ],
        check=True,
        capture_output=True,
    ).stdout


def batchexecute_body(mp3: bytes) -> str:
    """A batchexecute answer as Google frames it: the )]}' guard, then length-prefixed chunks."""
    audio = json.dumps([base64.b64encode(mp3).decode("ascii")], separators=(",", ":"))
    envelope = json.dumps(
        [
            ["wrb.fr", "jQ1olc", audio, None, None, None, "generic"],
            ["di", 58],
            ["af.httprm", 57, "-1813961939547281467", 14],
        ],
        separators=(",", ":"),
    )
    tail = '[["e",4,null,null,' + str(len(envelope) + 40) + "]]"
    return f")]}}'\n\n{len(envelope)}\n{envelope}\n{len(tail)}\n{tail}\n"


def spoken(request: PreparedRequest) -> tuple[str, str]:
    """(text, language) of a batchexecute request, unpacked as gTTS packs it."""
    body = request.body if isinstance(request.body, str) else (request.body or b"").decode()
    rpc = json.loads(urllib.parse.parse_qs(body)["f.req"][0])
    text, lang, _speed, _ = json.loads(rpc[0][0][1])
    return text, lang


@pytest.fixture
def google() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def engine(time: FakeTime) -> GttsEngine:
    return GttsEngine(timeout=5.0, pause=1.0, sleep=time.sleep, clock=time.clock)


def test_a_phrase_is_fetched_and_decoded(google: responses.RequestsMock, google_mp3: bytes) -> None:
    google.add(responses.POST, BATCHEXECUTE, body=batchexecute_body(google_mp3))
    time = FakeTime()
    assert engine(time).synthesise("And relax.", "en-US") == google_mp3
    assert spoken(google.calls[0].request) == ("And relax.", "en")
    assert time.sleeps == []


@pytest.mark.parametrize(
    ("locale", "host", "language", "voice"),
    [
        ("nl-NL", "translate.google.com", "nl", "nl@com"),
        ("en-GB", "translate.google.co.uk", "en", "en@co.uk"),  # the British accent
    ],
)
def test_each_locale_is_spoken_in_its_language_and_accent(
    google: responses.RequestsMock,
    google_mp3: bytes,
    locale: str,
    host: str,
    language: str,
    voice: str,
) -> None:
    url = BATCHEXECUTE.replace("translate.google.com", host)
    google.add(responses.POST, url, body=batchexecute_body(google_mp3))
    speaker = engine(FakeTime())
    assert speaker.voice(locale) == voice
    assert speaker.synthesise("Knieën aandrukken.", locale) == google_mp3
    assert spoken(google.calls[0].request) == ("Knieën aandrukken.", language)


def test_calls_are_paced(google: responses.RequestsMock, google_mp3: bytes) -> None:
    google.add(responses.POST, BATCHEXECUTE, body=batchexecute_body(google_mp3))
    google.add(responses.POST, BATCHEXECUTE, body=batchexecute_body(google_mp3))
    time = FakeTime()
    speaker = engine(time)
    speaker.synthesise("Hold.", "en-US")
    time.now += 0.25
    speaker.synthesise("And relax.", "en-US")
    assert time.sleeps == [0.75]


def test_throttling_is_retried_after_a_back_off(
    google: responses.RequestsMock, google_mp3: bytes
) -> None:
    google.add(responses.POST, BATCHEXECUTE, status=429, body="Too Many Requests")
    google.add(responses.POST, BATCHEXECUTE, status=429, body="Too Many Requests")
    google.add(responses.POST, BATCHEXECUTE, body=batchexecute_body(google_mp3))
    time = FakeTime()
    assert engine(time).synthesise("Hold.", "en-US") == google_mp3
    assert len(google.calls) == 3
    assert time.sleeps == [2.0, 4.0]  # exponential back-off


def test_retry_after_is_honoured(google: responses.RequestsMock, google_mp3: bytes) -> None:
    google.add(responses.POST, BATCHEXECUTE, status=429, headers={"Retry-After": "7"})
    google.add(responses.POST, BATCHEXECUTE, body=batchexecute_body(google_mp3))
    time = FakeTime()
    engine(time).synthesise("Hold.", "en-US")
    assert time.sleeps == [7.0]


@pytest.mark.parametrize(
    "timeout", [requests.exceptions.ReadTimeout, requests.exceptions.ConnectTimeout]
)
def test_timeouts_are_retried(
    google: responses.RequestsMock, google_mp3: bytes, timeout: type[Exception]
) -> None:
    google.add(responses.POST, BATCHEXECUTE, body=timeout("timed out"))
    google.add(responses.POST, BATCHEXECUTE, body=batchexecute_body(google_mp3))
    time = FakeTime()
    assert engine(time).synthesise("Hold.", "en-US") == google_mp3
    assert time.sleeps == [2.0]


def test_a_persistent_server_error_gives_up_after_the_last_attempt(
    google: responses.RequestsMock,
) -> None:
    google.add(responses.POST, BATCHEXECUTE, status=500)
    time = FakeTime()
    with pytest.raises(SynthesisError, match=r"gave up after 5 attempts.*500"):
        engine(time).synthesise("Hold.", "en-US")
    assert len(google.calls) == 5
    assert time.sleeps == [2.0, 4.0, 8.0, 16.0]


def test_a_client_error_is_not_retried(google: responses.RequestsMock) -> None:
    google.add(responses.POST, BATCHEXECUTE, status=403)
    time = FakeTime()
    with pytest.raises(SynthesisError, match="403"):
        engine(time).synthesise("Hold.", "en-US")
    assert len(google.calls) == 1
    assert time.sleeps == []


def test_an_answer_without_audio_is_an_error(google: responses.RequestsMock) -> None:
    google.add(responses.POST, BATCHEXECUTE, body=')]}\'\n\n12\n[["jQ1olc"]]\n')
    with pytest.raises(SynthesisError):
        engine(FakeTime()).synthesise("Hold.", "en-US")


def test_an_unknown_locale_is_refused_before_any_call() -> None:
    with pytest.raises(SynthesisError, match="no voice for locale 'xx-XX'"):
        engine(FakeTime()).voice("xx-XX")


# --- whole builds ------------------------------------------------------------------------------


def two_exercises() -> RecoveryPlan:
    """The plan with knee presses and bridges only: they share the text "Hold."."""
    plan = load_plan()
    exercises = plan.in_bed_exercises
    kept = [e for e in exercises.exercises if e.id in ("knee_presses", "bridges")]
    return plan.model_copy(
        update={"in_bed_exercises": exercises.model_copy(update={"exercises": kept})}
    )


def answering(
    google_mp3: bytes, failing: str | None = None
) -> Callable[[PreparedRequest], tuple[int, dict[str, str], str]]:
    def answer(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        text, _ = spoken(request)
        if text == failing:
            return 500, {}, "Internal Server Error"
        return 200, {}, batchexecute_body(google_mp3)

    return answer


@pytest.mark.slow
def test_a_build_with_gtts_writes_alexa_audio(
    google: responses.RequestsMock, google_mp3: bytes, tmp_path: Path
) -> None:
    google.add_callback(responses.POST, BATCHEXECUTE, callback=answering(google_mp3))
    plan = two_exercises()
    texts = set(unique_phrases(all_scripts(plan, load_catalogue().for_locale("en-US"))).values())
    time = FakeTime()
    report = build_audio(
        tmp_path / "audio", locale="en-US", engine=engine(time), plan=plan, progress=False
    )
    assert report.clips_synthesised == len(texts)
    assert report.tracks_built == 12  # two exercises, three paces, full and short
    assert {spoken(call.request)[0] for call in google.calls} == texts
    manifest = load_manifest(tmp_path / "audio")
    assert manifest is not None
    assert manifest.engine == "gtts"
    hold = manifest.phrase("en-US", "knee_presses.cue.1")
    assert hold is not None
    assert hold == manifest.phrase("en-US", "bridges.cue.2")  # one clip for one text
    Encoder.check(tmp_path / "audio" / hold.file)
    assert time.sleeps  # paced: a second between calls
    assert all(pause == 1.0 for pause in time.sleeps)


@pytest.mark.slow
def test_a_phrase_that_keeps_failing_stops_the_build_and_the_next_build_resumes(
    google: responses.RequestsMock, google_mp3: bytes, tmp_path: Path
) -> None:
    audio = tmp_path / "audio"
    plan = two_exercises()
    phrases = unique_phrases(all_scripts(plan, load_catalogue().for_locale("en-US")))
    texts = list(dict.fromkeys(phrases.values()))
    before_hold = texts[: texts.index("Hold.")]
    google.add_callback(
        responses.POST, BATCHEXECUTE, callback=answering(google_mp3, failing="Hold.")
    )
    with pytest.raises(AudioBuildError) as raised:
        build_audio(audio, locale="en-US", engine=engine(FakeTime()), plan=plan, progress=False)
    message = str(raised.value)
    assert "knee_presses.cue.1, bridges.cue.2" in message
    assert "'Hold.'" in message
    assert "500" in message
    assert f"The {len(before_hold)} clips built before it are kept" in message
    assert len(list((audio / "clips").glob("*.mp3"))) == len(before_hold)
    assert not (audio / MANIFEST_NAME).exists()
    assert [p.name for p in (audio / "clips").iterdir() if p.name.startswith(".")] == []

    google.replace(responses.POST, BATCHEXECUTE, body=batchexecute_body(google_mp3))
    google.calls.reset()
    report = build_audio(
        audio, locale="en-US", engine=engine(FakeTime()), plan=plan, progress=False
    )
    assert report.clips_reused == len(before_hold)
    assert report.clips_synthesised == len(texts) - len(before_hold)
    assert {spoken(call.request)[0] for call in google.calls} == set(texts) - set(before_hold)
    assert load_manifest(audio) is not None


def test_the_default_retry_policy_backs_off_exponentially() -> None:
    assert list(RetryPolicy().delays()) == [2.0, 4.0, 8.0, 16.0]
    assert list(RetryPolicy(attempts=8, max_delay=30).delays())[-3:] == [30, 30, 30]
