"""The whole build on espeak-ng: every exercise at every pace, full and short, in en-US, checked
end to end;
rebuilds, a changed tempo, a build killed midway, every locale (Dutch with espeak-ng's Dutch
voice) each in its own files, and the `spine-coach build-audio` command."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import wave
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from skill.coach_audio.build import (
    AudioBuildError,
    BuildReport,
    build_audio,
    build_locales,
    buildable_locales,
)
from skill.coach_audio.encoding import ENCODER_LEAD_SAMPLES, SAMPLE_WIDTH, Encoder
from skill.coach_audio.manifest import MANIFEST_NAME, Manifest, load_manifest, repetition_at
from skill.coach_audio.synthesis import EspeakEngine
from skill.coach_audio.tracks import CueMap
from skill.content.plan import RecoveryPlan, load_plan
from skill.content.strings import load_catalogue
from skill.sets.script import Say, Script, Variant, all_scripts, unique_phrases
from tests import made_locale

# Builds with espeak-ng and ffmpeg, some in a process: not in `make test-fast`.
pytestmark = pytest.mark.slow

LOCALE = "en-US"


class CountingEngine(EspeakEngine):
    """espeak-ng, counting its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def synthesise(self, text: str, locale: str) -> bytes:
        self.calls.append(text)
        return super().synthesise(text, locale)


@dataclass(frozen=True)
class Built:
    audio: Path
    report: BuildReport
    manifest: Manifest
    scripts: list[Script]


def en_us_scripts(plan: RecoveryPlan | None = None) -> list[Script]:
    return all_scripts(plan or load_plan(), load_catalogue().for_locale(LOCALE))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The real en-US set, built once for this module's checks."""
    audio = tmp_path_factory.mktemp("built") / "audio"
    started = time.monotonic()
    report = build_audio(audio, locale=LOCALE, engine=EspeakEngine(), progress=False)
    print(f"\nespeak en-US first build: {time.monotonic() - started:.2f} s ({report.summary()})")
    manifest = load_manifest(audio)
    assert manifest is not None
    return Built(audio, report, manifest, en_us_scripts())


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    return {
        str(path.relative_to(folder)): (
            path.stat().st_ino,
            path.stat().st_mtime_ns,
            path.stat().st_size,
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_every_phrase_and_every_set_is_built(built: Built) -> None:
    phrases = unique_phrases(built.scripts)
    assert built.report.clips_synthesised == len(set(phrases.values()))
    assert built.report.clips_reused == 0
    # Each exercise at each pace, full and short.
    assert built.report.tracks_built == len(built.scripts) == 18
    assert {script.variant for script in built.scripts} == set(Variant)
    assert built.manifest.engine == "espeak"
    assert set(built.manifest.phrases[LOCALE]) == set(phrases)
    for key, text in phrases.items():
        clip = built.manifest.phrase(LOCALE, key)
        assert clip is not None
        assert clip.text == text
        info = Encoder.check(built.audio / clip.file)  # 48 kbps, 24000 Hz, mono, every frame
        assert clip.duration_ms == info.duration_ms
    for script in built.scripts:
        track = built.manifest.track(LOCALE, script.exercise_id, script.pace.value, script.variant)
        assert track is not None
        if script.variant is Variant.SHORT:
            short = built.manifest.short_tracks[LOCALE][script.exercise_id][script.pace.value]
            assert short == track
        cues = CueMap.model_validate_json((built.audio / track.cue_map).read_bytes())
        assert cues.variant == script.variant.value
    listed = {clip.file for clip in built.manifest.phrases[LOCALE].values()}
    assert listed == {f"clips/{p.name}" for p in (built.audio / "clips").glob("*.mp3")}


def test_each_track_lasts_its_clips_and_silences(built: Built) -> None:
    encoder = Encoder()
    clip_samples = {
        key: len(encoder.decode(built.audio / clip.file, skip_lead=True)) // SAMPLE_WIDTH
        for key, clip in built.manifest.phrases[LOCALE].items()
    }
    for script in built.scripts:
        track = built.manifest.track(LOCALE, script.exercise_id, script.pace.value, script.variant)
        assert track is not None
        expected_samples = sum(
            clip_samples[step.part.key]
            if isinstance(step.part, Say)
            else step.part.milliseconds * 24
            for step in script.steps
        )
        expected_ms = expected_samples / 24
        info = encoder.check(built.audio / track.file)
        cues = CueMap.model_validate_json((built.audio / track.cue_map).read_bytes())
        assert cues.samples == expected_samples
        assert track.duration_ms == cues.duration_ms == info.duration_ms
        # The file plays the encoder's lead (46 ms), then the PCM, then under 50 ms of padding.
        lead_ms = ENCODER_LEAD_SAMPLES / 24
        assert 0 <= info.duration_ms - lead_ms - expected_ms < 50, script
        decoded = len(encoder.decode(built.audio / track.file, skip_lead=True)) // SAMPLE_WIDTH
        assert 0 <= decoded - expected_samples < 50 * 24


def test_cue_maps_cover_each_repetition_once_contiguously(built: Built) -> None:
    for script in built.scripts:
        track = built.manifest.track(LOCALE, script.exercise_id, script.pace.value, script.variant)
        assert track is not None
        cues = CueMap.model_validate_json((built.audio / track.cue_map).read_bytes())
        spans = cues.repetitions
        assert [span.repetition for span in spans] == list(range(1, script.repetitions + 1))
        assert track.repetitions == spans
        assert cues.intro.start_ms == 0
        assert cues.intro.end_ms == spans[0].start_ms
        for span, following in pairwise(spans):
            assert span.start_ms < span.end_ms == following.start_ms
        assert spans[-1].end_ms == cues.closing.start_ms < cues.closing.end_ms
        assert cues.closing.end_ms == cues.duration_ms == track.duration_ms
        starts = [phrase.start_ms for phrase in cues.phrases]
        assert starts == sorted(starts)
        # Each repetition starts with its count.
        counts = {p.key: p.start_ms for p in cues.phrases if p.key.startswith("count.")}
        assert [counts[f"count.{span.repetition}"] for span in spans] == [
            span.start_ms for span in spans
        ]


def test_repetition_at_agrees_with_what_is_being_said(built: Built) -> None:
    for script in built.scripts:
        track = built.manifest.track(LOCALE, script.exercise_id, script.pace.value, script.variant)
        assert track is not None
        cues = CueMap.model_validate_json((built.audio / track.cue_map).read_bytes())
        for offset in range(0, track.duration_ms + 1000, 100):
            said = [p for p in cues.phrases if p.start_ms <= offset]
            # The last phrase begun tells the repetition: a rest belongs to the one before it;
            # the introduction counts as the first, the closing line as the last.
            expected = min(max(said[-1].repetition if said else 1, 1), script.repetitions)
            assert repetition_at(track, offset) == expected, (script.exercise_id, offset)


def test_a_rebuild_with_nothing_changed_synthesises_and_writes_nothing(built: Built) -> None:
    before = snapshot(built.audio)
    engine = CountingEngine()
    started = time.monotonic()
    report = build_audio(built.audio, locale=LOCALE, engine=engine, progress=False)
    print(f"\nespeak en-US no-op rebuild: {time.monotonic() - started:.3f} s")
    assert engine.calls == []
    assert (report.clips_synthesised, report.tracks_built) == (0, 0)
    assert report.clips_reused == built.report.clips_synthesised
    assert report.tracks_reused == 18
    assert not report.manifest_written
    assert snapshot(built.audio) == before


def test_a_changed_tempo_makes_new_tracks_and_reuses_every_clip(
    built: Built, tmp_path: Path
) -> None:
    audio = tmp_path / "audio"
    shutil.copytree(built.audio, audio)
    plan = load_plan()
    exercises = plan.in_bed_exercises
    slower = plan.model_copy(
        update={
            "in_bed_exercises": exercises.model_copy(
                update={"paces": exercises.paces.model_copy(update={"slow": 1.6})}
            )
        }
    )
    engine = CountingEngine()
    report = build_audio(audio, locale=LOCALE, engine=engine, plan=slower, progress=False)
    assert engine.calls == []
    assert (report.tracks_built, report.tracks_reused) == (6, 12)
    manifest = load_manifest(audio)
    assert manifest is not None
    for exercise in ("knee_presses", "knee_lifts", "bridges"):
        for variant in Variant:
            new = manifest.track(LOCALE, exercise, "slow", variant)
            old = built.manifest.track(LOCALE, exercise, "slow", variant)
            assert new is not None
            assert old is not None
            assert new.file != old.file
            assert new.duration_ms > old.duration_ms
            assert (audio / old.file).exists()  # stale files stay, unlisted
            assert manifest.track(LOCALE, exercise, "normal", variant) == built.manifest.track(
                LOCALE, exercise, "normal", variant
            )


def test_other_locales_in_the_manifest_are_kept_while_their_files_are_there(
    built: Built, tmp_path: Path
) -> None:
    audio = tmp_path / "audio"
    shutil.copytree(built.audio, audio)
    en_us = built.manifest.phrases[LOCALE]
    gone = en_us["count.2"].model_copy(update={"file": "clips/deleted.mp3"})
    other = {"count.1": en_us["count.1"], "count.2": gone}
    with_en_gb = built.manifest.model_copy(
        update={"phrases": {**built.manifest.phrases, "en-GB": other}}
    )
    (audio / MANIFEST_NAME).write_bytes(with_en_gb.dumps())
    build_audio(audio, locale=LOCALE, engine=EspeakEngine(), progress=False)
    manifest = load_manifest(audio)
    assert manifest is not None
    assert manifest.phrases["en-GB"] == {"count.1": en_us["count.1"]}
    assert manifest.phrases[LOCALE] == en_us


def test_an_unknown_locale_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AudioBuildError, match="no strings for locale 'fr-FR'"):
        build_audio(tmp_path / "audio", locale="fr-FR", engine=EspeakEngine(), progress=False)


# --- every locale ------------------------------------------------------------------------------


class LocaleCountingEngine(EspeakEngine):
    """espeak-ng, recording each phrase with the locale it was spoken in."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def synthesise(self, text: str, locale: str) -> bytes:
        self.calls.append((text, locale))
        return super().synthesise(text, locale)


class HumEngine:
    """Another engine: a quiet hum as long as the text, as 24 kHz WAV."""

    name = "hum"

    def voice(self, locale: str) -> str:
        return f"hum@{locale}"

    def synthesise(self, text: str, locale: str) -> bytes:
        audio = io.BytesIO()
        with wave.open(audio, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(24_000)
            out.writeframes(b"\x00\x08\x00\xf8" * (24 * (200 + 40 * len(text)) // 2))
        return audio.getvalue()


def one_exercise(plan: RecoveryPlan) -> RecoveryPlan:
    """The plan with only its first exercise: six tracks a locale, to keep the build short."""
    in_bed = plan.in_bed_exercises
    return plan.model_copy(
        update={"in_bed_exercises": in_bed.model_copy(update={"exercises": in_bed.exercises[:1]})}
    )


def test_every_locale_is_built_offline_in_its_own_voice_and_files(tmp_path: Path) -> None:
    """By default every locale the plan and the strings have; Dutch with espeak-ng's Dutch
    voice, each locale's clips, tracks and cue maps its own; then only what is missing."""
    plan = one_exercise(load_plan(made_locale.plan_file(tmp_path, "nl-NL")))
    catalogue = made_locale.catalogue(tmp_path / "strings", "nl-NL")
    assert buildable_locales(plan, catalogue) == ["en-US", "nl-NL"]
    audio, engine = tmp_path / "audio", LocaleCountingEngine()
    started = time.monotonic()
    reports = build_locales(audio, engine=engine, plan=plan, catalogue=catalogue, progress=False)
    print(f"\nespeak en-US and nl-NL, one exercise: {time.monotonic() - started:.2f} s")
    assert [report.locale for report in reports] == ["en-US", "nl-NL"]
    assert EspeakEngine().voice("nl-NL") == "nl@150"  # espeak-ng -v nl
    manifest = load_manifest(audio)
    assert manifest is not None
    assert manifest.locales == ["en-US", "nl-NL"]
    assert manifest.engines == {"en-US": "espeak", "nl-NL": "espeak"}
    files: dict[str, set[str]] = {}
    for locale in ("en-US", "nl-NL"):
        scripts = all_scripts(plan, catalogue.for_locale(locale))
        phrases = unique_phrases(scripts)
        assert {key: clip.text for key, clip in manifest.phrases[locale].items()} == phrases
        assert {text for text, said_in in engine.calls if said_in == locale} == set(
            phrases.values()
        )
        files[locale] = {clip.file for clip in manifest.phrases[locale].values()}
        for script in scripts:
            track = manifest.track(locale, script.exercise_id, script.pace.value, script.variant)
            assert track is not None
            cues = CueMap.model_validate_json((audio / track.cue_map).read_bytes())
            assert (cues.locale, cues.variant) == (locale, script.variant.value)
            assert [p.key for p in cues.phrases] == [say.key for say in script.phrases()]
            files[locale] |= {track.file, track.cue_map}
    assert len(files["nl-NL"]) == len(files["en-US"])
    assert not files["nl-NL"] & files["en-US"]

    # Nothing missing or out of date: nothing built.
    assert (
        build_locales(audio, engine=engine, plan=plan, catalogue=catalogue, missing_only=True) == []
    )
    # A Dutch phrase changed, or a pace: only nl-NL, or every locale, is built again.
    strings_dir = tmp_path / "strings"
    dutch_file = strings_dir / "nl-NL.yaml"
    original = dutch_file.read_text(encoding="utf-8")
    dutch_file.write_text(
        original.replace('count: "{count}."', 'count: "{count}!"'), encoding="utf-8"
    )
    changed = load_catalogue(strings_dir)
    assert changed.for_locale("nl-NL").plain("session.count", count=1) == "1!"
    reports = build_locales(
        audio, engine=engine, plan=plan, catalogue=changed, missing_only=True, progress=False
    )
    assert [(report.locale, report.tracks_built) for report in reports] == [("nl-NL", 6)]
    dutch_file.write_text(original, encoding="utf-8")
    in_bed = plan.in_bed_exercises
    faster = plan.model_copy(
        update={
            "in_bed_exercises": in_bed.model_copy(
                update={"paces": in_bed.paces.model_copy(update={"brisk": 0.5})}
            )
        }
    )
    reports = build_locales(
        audio, engine=engine, plan=faster, catalogue=catalogue, missing_only=True, progress=False
    )
    # The brisk tracks, full and short, in each locale (nl-NL's other tracks are still there).
    assert [(report.locale, report.tracks_built) for report in reports] == [
        ("en-US", 2),
        ("nl-NL", 2),
    ]
    calls = len(engine.calls)
    assert build_locales(
        audio, engine=engine, plan=plan, catalogue=catalogue, missing_only=True, progress=False
    )
    assert len(engine.calls) == calls  # back as it was: every clip and track reused

    # A manifest without nl-NL: only nl-NL is built, here by another engine, and en-US stays as
    # espeak built it.
    without_dutch = manifest.model_copy(
        update={
            "engines": {"en-US": "espeak"},
            "phrases": {"en-US": manifest.phrases["en-US"]},
            "tracks": {"en-US": manifest.tracks["en-US"]},
            "short_tracks": {"en-US": manifest.short_tracks["en-US"]},
        }
    )
    (audio / MANIFEST_NAME).write_bytes(without_dutch.dumps())
    reports = build_locales(
        audio, engine=HumEngine(), plan=plan, catalogue=catalogue, missing_only=True, progress=False
    )
    assert [report.locale for report in reports] == ["nl-NL"]
    rebuilt = load_manifest(audio)
    assert rebuilt is not None
    assert rebuilt.engines == {"en-US": "espeak", "nl-NL": "hum"}
    assert rebuilt.phrases["en-US"] == manifest.phrases["en-US"]
    assert rebuilt.tracks["en-US"] == manifest.tracks["en-US"]
    assert rebuilt.short_tracks["en-US"] == manifest.short_tracks["en-US"]
    assert rebuilt.phrases["nl-NL"].keys() == manifest.phrases["nl-NL"].keys()
    assert rebuilt.tracks["nl-NL"] != manifest.tracks["nl-NL"]


REAL_LOCALES = [
    locale for locale in buildable_locales(load_plan(), load_catalogue()) if locale != LOCALE
]


@pytest.mark.parametrize("locale", REAL_LOCALES)
def test_each_locale_of_the_plan_and_strings_builds_offline(locale: str, tmp_path: Path) -> None:
    """The real text of each further locale (nl-NL, en-GB …) in espeak-ng's voice for it."""
    plan, strings = one_exercise(load_plan()), load_catalogue().for_locale(locale)
    report = build_audio(tmp_path, locale=locale, engine=EspeakEngine(), plan=plan, progress=False)
    assert report.tracks_built == 6
    manifest = load_manifest(tmp_path)
    assert manifest is not None
    assert manifest.locales == [locale]
    phrases = unique_phrases(all_scripts(plan, strings))
    assert {key: clip.text for key, clip in manifest.phrases[locale].items()} == phrases


# --- killed midway -----------------------------------------------------------------------------

SLOW_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from skill.coach_audio.build import build_audio
    from skill.coach_audio.synthesis import EspeakEngine
    from skill.coach_audio.encoding import Encoder

    class SlowEncoder(Encoder):
        # Lingers after writing each temporary clip or track, so a kill lands mid-write.
        def encode(self, audio, destination, *, name=None):
            super().encode(audio, destination, name=name)
            time.sleep(0.15 if sys.argv[2] == "clips" else 0)

        def encode_pcm(self, pcm, destination, *, name=None):
            super().encode_pcm(pcm, destination, name=name)
            time.sleep(0.15 if sys.argv[2] == "tracks" else 0)

    build_audio(
        Path(sys.argv[1]), locale="en-US", engine=EspeakEngine(), encoder=SlowEncoder(),
        progress=False,
    )
    """
)


def kill_mid_write(audio: Path, folder: str, done: int) -> None:
    """Run the slow build in its own process group; SIGKILL it while it writes into `folder`,
    once `done` files are finished there."""
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, str(audio), folder], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while len(list((audio / folder).glob("*.mp3"))) < done or not list(
            (audio / folder).glob(".*.tmp")
        ):
            assert process.poll() is None, "the build finished before it could be killed"
            assert time.monotonic() < deadline, "the build never got far enough"
            time.sleep(0.005)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # Killed mid-write: the temporary is there, under a hidden name only.
    assert list((audio / folder).glob(".*.tmp"))


def assert_only_complete_files(audio: Path) -> None:
    encoder = Encoder()
    for path in [*audio.glob("clips/*"), *audio.glob("tracks/*")]:
        if path.name.startswith("."):
            continue  # an unfinished temporary: never under a final name
        if path.suffix == ".mp3":
            info = encoder.check(path)  # every frame whole and 48 kbps / 24000 Hz / mono
            assert len(encoder.decode(path)) == info.frames * 576 * SAMPLE_WIDTH
        if path.parent.name == "tracks" and path.suffix == ".mp3":
            cues = CueMap.model_validate_json(path.with_suffix(".cues.json").read_bytes())
            assert cues.duration_ms == info.duration_ms
        if path.name.endswith(".cues.json"):
            CueMap.model_validate_json(path.read_bytes())


def test_a_killed_build_leaves_only_complete_files_and_the_next_one_finishes(
    tmp_path: Path,
) -> None:
    audio = tmp_path / "audio"
    kill_mid_write(audio, "clips", done=5)
    assert_only_complete_files(audio)
    assert not (audio / MANIFEST_NAME).exists()

    kill_mid_write(audio, "tracks", done=1)  # this time among the tracks
    assert_only_complete_files(audio)

    engine = CountingEngine()
    report = build_audio(audio, locale=LOCALE, engine=engine, progress=False)
    total = len(set(unique_phrases(en_us_scripts()).values()))
    assert report.clips_reused >= 5
    assert report.clips_reused + report.clips_synthesised == total
    assert len(engine.calls) == report.clips_synthesised
    assert report.tracks_reused >= 1
    assert report.tracks_built + report.tracks_reused == 18
    assert [p for p in audio.rglob(".*") if p.name != ".build.lock"] == []
    assert_only_complete_files(audio)


# --- the command -------------------------------------------------------------------------------


def test_the_command_builds_then_does_nothing(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    command = [sys.executable, "-c", "from skill.cli import main; main()", "build-audio"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINE_COACH_")}
    first = subprocess.run(
        [*command, "--engine", "espeak", "--locale", "en-US"],
        env={**env, "SPINE_COACH_AUDIO_DIR": str(audio)},  # the default folder
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    total = len(set(unique_phrases(en_us_scripts()).values()))
    assert f"{total} clips synthesised, 0 reused; 18 tracks built" in first.stdout
    assert "Building en-US coach audio (espeak)" in first.stderr  # the progress bar
    assert load_manifest(audio) is not None

    started = time.monotonic()
    second = subprocess.run(
        [*command, "--engine", "espeak", "--out", str(audio), "--locale", "en-US"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    print(f"\nspine-coach build-audio no-op run: {time.monotonic() - started:.2f} s (process)")
    assert second.returncode == 0, second.stderr
    assert "0 clips synthesised" in second.stdout
    assert "0 tracks built" in second.stdout
    assert "manifest unchanged" in second.stdout

    # What `make run` does each time: only what is missing or out of date (here nothing).
    before = snapshot(audio)
    third = subprocess.run(
        [*command, "--engine", "espeak", "--out", str(audio), "--missing-only", "--locale", LOCALE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert third.returncode == 0, third.stderr
    assert third.stdout == f"Coach audio up to date (en-US): {audio / MANIFEST_NAME}\n"
    assert snapshot(audio) == before


def test_the_command_reports_a_failure_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-c", "from skill.cli import main; main()", "build-audio"),
            *("--engine", "espeak", "--locale", "fr-FR", "--out", str(tmp_path / "audio")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Error: no strings for locale 'fr-FR'" in result.stderr
    assert "Traceback" not in result.stderr
