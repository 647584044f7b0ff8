"""`spine-coach build-audio`: every phrase of every script as a clip, every script (each
exercise, pace and variant: full or short) as a track.

The phrases come from the scripts themselves (never listed by hand). Each distinct text is
synthesised once, re-encoded to Alexa's MP3 format and stored under its content hash; each
script becomes one track with a cue map. Files already built are kept and reused, so a build
with nothing changed synthesises nothing and writes nothing, and a failed or killed build
resumes where it stopped. The manifest is rewritten only when its content changes.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from skill.coach_audio.encoding import (
    ENCODER_SETTINGS,
    Encoder,
    EncodingError,
    Mp3Info,
)
from skill.coach_audio.manifest import (
    MANIFEST_NAME,
    Manifest,
    ManifestError,
    PhraseClip,
    Track,
    Tracks,
    load_manifest,
)
from skill.coach_audio.store import (
    StoreError,
    content_hash,
    exclusive_build,
    remove_temporaries,
    write_atomically,
    write_if_changed,
)
from skill.coach_audio.synthesis import Engine, SynthesisError
from skill.coach_audio.tracks import CUES_SUFFIX, CueMap, assemble, track_hash
from skill.content.plan import RecoveryPlan, load_plan
from skill.content.strings import Catalogue, Strings, load_catalogue
from skill.sets.script import Script, Variant, all_scripts, unique_phrases

log = logging.getLogger(__name__)

AUDIO_DIR_ENV = "SPINE_COACH_AUDIO_DIR"
REPOSITORY_AUDIO_DIR = Path(__file__).resolve().parents[2] / "audio"
CLIPS_DIR = "clips"
TRACKS_DIR = "tracks"
ALL_LOCALES = "all"
"""What `--locale` takes for every locale the plan and the strings have."""
MAX_CLIP_MS = 240_000  # Alexa: at most 240 s per <audio> file
# An encoded track plays its PCM plus the encoder's lead and padding: more means trouble.
TRACK_PADDING_MS = 100


class AudioBuildError(RuntimeError):
    """The build stopped; the message says which phrase or file, and what is kept."""


def default_audio_dir() -> Path:
    """$SPINE_COACH_AUDIO_DIR, else the repository's audio/ folder."""
    configured = os.environ.get(AUDIO_DIR_ENV)
    return Path(configured) if configured else REPOSITORY_AUDIO_DIR


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    locale: str
    engine: str
    audio_dir: Path
    clips_synthesised: int
    clips_reused: int
    tracks_built: int
    tracks_reused: int
    seconds: float
    manifest_written: bool

    def summary(self) -> str:
        """One line for the console."""
        manifest = "written" if self.manifest_written else "unchanged"
        return (
            f"Coach audio for {self.locale} ({self.engine}) in {self.seconds:.1f} s: "
            f"{self.clips_synthesised} clips synthesised, {self.clips_reused} reused; "
            f"{self.tracks_built} tracks built, {self.tracks_reused} reused; "
            f"manifest {manifest}: {self.audio_dir / MANIFEST_NAME}"
        )


@dataclass(frozen=True)
class _Clip:
    """One distinct text and every phrase key that says it."""

    text: str
    keys: tuple[str, ...]
    hash: str

    @property
    def file(self) -> str:
        return f"{CLIPS_DIR}/{self.hash}.mp3"


def _clips(phrases: Mapping[str, str], engine: str, voice: str) -> list[_Clip]:
    keys_by_text: dict[str, list[str]] = {}
    for key, text in phrases.items():
        keys_by_text.setdefault(text, []).append(key)
    return [
        _Clip(
            text,
            tuple(keys),
            content_hash(
                {
                    "kind": "clip",
                    "engine": engine,
                    "voice": voice,
                    "text": text,
                    "encoder": ENCODER_SETTINGS,
                }
            ),
        )
        for text, keys in keys_by_text.items()
    ]


class _ClipAudio:
    """Each clip's PCM, decoded at most once per build (only to assemble tracks)."""

    def __init__(self, audio_dir: Path, encoder: Encoder) -> None:
        self._audio_dir = audio_dir
        self._encoder = encoder
        self._pcm: dict[str, bytes] = {}

    def pcm(self, clip: _Clip) -> bytes:
        if clip.hash not in self._pcm:
            path = self._audio_dir / clip.file
            self._pcm[clip.hash] = self._encoder.decode(path, skip_lead=True)
        return self._pcm[clip.hash]


def _usable(path: Path, encoder: Encoder) -> Mp3Info | None:
    """A built file's headers, if it is there and plays on Alexa (else it is built again)."""
    if not path.is_file():
        return None
    try:
        return encoder.check(path)
    except EncodingError as error:
        log.warning("rebuilding %s: %s", path, error)
        return None


def _existing_cues(track: Path, cues: Path, encoder: Encoder) -> CueMap | None:
    """The cue map of a built track, if both are there and agree."""
    if not cues.is_file():
        return None
    info = _usable(track, encoder)
    if info is None:
        return None
    try:
        cue_map = CueMap.model_validate_json(cues.read_bytes())
    except ValueError as error:
        log.warning("rebuilding %s: %s", cues, error)
        return None
    if cue_map.duration_ms != info.duration_ms:
        log.warning("rebuilding %s: its cue map says %d ms", track, cue_map.duration_ms)
        return None
    return cue_map


def _strings_for(locale: str) -> Strings:
    catalogue = load_catalogue()
    if locale not in catalogue.locales:
        raise AudioBuildError(
            f"no strings for locale {locale!r} (have: {', '.join(catalogue.locales)})"
        )
    return catalogue.for_locale(locale)


def _previous_manifest(audio_dir: Path) -> Manifest | None:
    try:
        return load_manifest(audio_dir)
    except ManifestError as error:
        log.warning("%s; writing a new one", error)
        return None


def _label(item: _Clip | Script | None) -> str | None:
    if isinstance(item, _Clip):
        return item.keys[0]
    if isinstance(item, Script):
        return f"{item.exercise_id}/{item.pace.value}/{item.variant.value}"
    return None


@contextmanager
def _progress(
    items: list[_Clip | Script], *, enabled: bool, label: str
) -> Iterator[Iterable[_Clip | Script]]:
    if not enabled:
        yield items
        return
    with click.progressbar(
        items, label=label, file=sys.stderr, item_show_func=_label, show_pos=True
    ) as bar:
        yield bar


class _Builder:
    """One build: the folder, the engine, the encoder and the tallies."""

    def __init__(self, audio_dir: Path, locale: str, engine: Engine, encoder: Encoder) -> None:
        self.audio_dir = audio_dir
        self.locale = locale
        self.engine = engine
        self.encoder = encoder
        self.clips_synthesised = 0
        self.clips_reused = 0
        self.tracks_built = 0
        self.tracks_reused = 0

    def clip(self, clip: _Clip) -> int:
        """Build the clip unless it is there; how long it plays (ms)."""
        path = self.audio_dir / clip.file
        existing = _usable(path, self.encoder)
        if existing is not None:
            self.clips_reused += 1
            return existing.duration_ms
        phrase = f"phrase {', '.join(clip.keys)} ({clip.text!r})"
        try:
            audio = self.engine.synthesise(clip.text, self.locale)
        except SynthesisError as error:
            kept = self.clips_synthesised + self.clips_reused
            raise AudioBuildError(
                f"could not synthesise {phrase} with {self.engine.name}: {error}. "
                f"The {kept} clips built before it are kept in {self.audio_dir / CLIPS_DIR}; "
                "run the build again to resume."
            ) from error

        durations: list[int] = []

        def encode(temporary: Path) -> None:
            self.encoder.encode(audio, temporary, name=str(path))
            info = self.encoder.check(temporary, name=str(path))
            if info.duration_ms > MAX_CLIP_MS:
                raise EncodingError(
                    f"{path}: {info.duration_ms} ms, longer than Alexa's {MAX_CLIP_MS} ms clips"
                )
            durations.append(info.duration_ms)

        try:
            write_atomically(path, encode)
        except EncodingError as error:
            raise AudioBuildError(f"{phrase}: {error}") from error
        self.clips_synthesised += 1
        return durations[0]

    def track(self, script: Script, clips: Mapping[str, _Clip], audio: _ClipAudio) -> Track:
        digest = track_hash(script, {key: clip.hash for key, clip in clips.items()})
        file = f"{TRACKS_DIR}/{digest}.mp3"
        cue_file = f"{TRACKS_DIR}/{digest}{CUES_SUFFIX}"
        path, cue_path = self.audio_dir / file, self.audio_dir / cue_file
        cues = _existing_cues(path, cue_path, self.encoder)
        if cues is not None:
            self.tracks_reused += 1
        else:
            cues = self._encode_track(script, clips, audio, path, cue_path)
            self.tracks_built += 1
        return Track(
            file=file, cue_map=cue_file, duration_ms=cues.duration_ms, repetitions=cues.repetitions
        )

    def _encode_track(
        self,
        script: Script,
        clips: Mapping[str, _Clip],
        audio: _ClipAudio,
        path: Path,
        cue_path: Path,
    ) -> CueMap:
        assembled = assemble(
            script, {say.key: audio.pcm(clips[say.key]) for say in script.phrases()}
        )
        finished: list[CueMap] = []

        def encode(temporary: Path) -> None:
            self.encoder.encode_pcm(assembled.pcm, temporary, name=str(path))
            info = self.encoder.check(temporary, name=str(path))
            expected_ms = assembled.cues.duration_ms
            if not expected_ms <= info.duration_ms <= expected_ms + TRACK_PADDING_MS:
                raise EncodingError(
                    f"{path}: encoded as {info.duration_ms} ms, expected {expected_ms} ms "
                    f"and at most {TRACK_PADDING_MS} ms of padding"
                )
            cues = assembled.cues.ending_at(info.duration_ms)
            # The cue map first, the track last: a track on disk always has its cue map.
            write_if_changed(cue_path, cues.dumps())
            finished.append(cues)

        write_atomically(path, encode)
        return finished[0]


def _files_exist(audio_dir: Path, files: Iterable[str]) -> bool:
    return all((audio_dir / file).is_file() for file in files)


def _tracks_there(audio_dir: Path, tracks: Tracks, locale: str) -> Tracks:
    """The tracks of locales other than `locale` whose files are there."""
    return {
        other: {
            exercise: {
                pace: track
                for pace, track in paces.items()
                if _files_exist(audio_dir, [track.file, track.cue_map])
            }
            for exercise, paces in exercises.items()
        }
        for other, exercises in tracks.items()
        if other != locale
    }


def _other_locales(
    previous: Manifest | None, audio_dir: Path, locale: str
) -> tuple[dict[str, dict[str, PhraseClip]], Tracks, Tracks, dict[str, str]]:
    """The previous manifest's entries for other locales whose files are there (phrases, full
    tracks, short tracks, and the engine of each): a locale's build leaves the others as they
    were, whichever engine built them."""
    if previous is None:
        return {}, {}, {}, {}
    phrases = {
        other: {key: clip for key, clip in clips.items() if _files_exist(audio_dir, [clip.file])}
        for other, clips in previous.phrases.items()
        if other != locale
    }
    engines = {
        other: previous.engines.get(other, previous.engine)
        for other in previous.locales
        if other != locale
    }
    return (
        phrases,
        _tracks_there(audio_dir, previous.tracks, locale),
        _tracks_there(audio_dir, previous.short_tracks, locale),
        engines,
    )


def buildable_locales(plan: RecoveryPlan, catalogue: Catalogue) -> list[str]:
    """The locales the coach can speak: those with the plan's text and strings (plan order)."""
    return [locale for locale in plan.locales if locale in catalogue.locales]


def built_locales(audio_dir: Path) -> list[str]:
    """The locales the manifest in `audio_dir` lists (none without a readable manifest)."""
    previous = _previous_manifest(audio_dir)
    return [] if previous is None else previous.locales


def _up_to_date(
    manifest: Manifest | None, audio_dir: Path, locale: str, plan: RecoveryPlan, strings: Strings
) -> bool:
    """Whether the manifest has the locale as the plan and strings say it now: every phrase
    with today's text, every track made of those clips at today's tempo, every file there."""
    if manifest is None or locale not in manifest.locales:
        return False
    try:
        scripts = all_scripts(plan, strings)
    except (KeyError, ValueError):
        return False  # the build says what is wrong
    clips = manifest.phrases.get(locale, {})
    if {key: clip.text for key, clip in clips.items()} != unique_phrases(scripts):
        return False
    files = [clip.file for clip in clips.values()]
    for script in scripts:
        track = manifest.track(locale, script.exercise_id, script.pace.value, script.variant)
        digest = track_hash(script, {key: Path(clip.file).stem for key, clip in clips.items()})
        if track is None or track.file != f"{TRACKS_DIR}/{digest}.mp3":
            return False
        files += [track.file, track.cue_map]
    return _files_exist(audio_dir, files)


def build_locales(
    out_dir: Path,
    *,
    locales: Sequence[str] | None = None,
    engine: Engine,
    missing_only: bool = False,
    plan: RecoveryPlan | None = None,
    catalogue: Catalogue | None = None,
    progress: bool = True,
    encoder: Encoder | None = None,
) -> list[BuildReport]:
    """Build `locales` one after the other (default: every buildable locale); with
    `missing_only`, only those the manifest lacks or has out of date (its phrases' text, or
    its tracks' tempo, not what the plan and strings say now; a file gone): none if none."""
    plan = plan or load_plan()
    catalogue = catalogue or load_catalogue()
    wanted = list(locales) if locales is not None else buildable_locales(plan, catalogue)
    for locale in wanted:
        if locale not in catalogue.locales:
            raise AudioBuildError(
                f"no strings for locale {locale!r} (have: {', '.join(catalogue.locales)})"
            )
    if missing_only:
        previous = _previous_manifest(out_dir)
        wanted = [
            locale
            for locale in wanted
            if not _up_to_date(previous, out_dir, locale, plan, catalogue.for_locale(locale))
        ]
    reports = []
    for locale in wanted:
        reports.append(
            build_audio(
                out_dir,
                locale=locale,
                engine=engine,
                plan=plan,
                strings=catalogue.for_locale(locale),
                progress=progress,
                encoder=encoder,
            )
        )
    return reports


def build_audio(
    out_dir: Path,
    *,
    locale: str,
    engine: Engine,
    plan: RecoveryPlan | None = None,
    strings: Strings | None = None,
    progress: bool = True,
    encoder: Encoder | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> BuildReport:
    """Build (or bring up to date) the clips, tracks and manifest of one locale in `out_dir`.

    Raises AudioBuildError naming the phrase or file when it cannot finish; what was built
    until then stays, and the next build resumes from it.
    """
    started = clock()
    plan = plan or load_plan()
    strings = strings or _strings_for(locale)
    if strings.locale != locale:
        raise AudioBuildError(f"strings are for {strings.locale}, not {locale}")
    try:
        scripts = all_scripts(plan, strings)
        phrases = unique_phrases(scripts)
    except KeyError as error:
        raise AudioBuildError(f"the recovery plan has no {locale} text: {error}") from error
    except ValueError as error:
        raise AudioBuildError(str(error)) from error
    try:
        voice = engine.voice(locale)
    except SynthesisError as error:
        raise AudioBuildError(f"{engine.name}: {error}") from error
    clips = _clips(phrases, engine.name, voice)
    clip_by_key = {key: clip for clip in clips for key in clip.keys}
    try:
        encoder = encoder or Encoder()
        with exclusive_build(out_dir):
            for directory in (out_dir, out_dir / CLIPS_DIR, out_dir / TRACKS_DIR):
                directory.mkdir(parents=True, exist_ok=True)
                if removed := remove_temporaries(directory):
                    log.info("removed %d unfinished files in %s", removed, directory)
            previous = _previous_manifest(out_dir)
            audio = _ClipAudio(out_dir, encoder)
            durations: dict[str, int] = {}
            builder = _Builder(out_dir, locale, engine, encoder)
            tracks: dict[Variant, dict[str, dict[str, Track]]] = {v: {} for v in Variant}
            work: list[_Clip | Script] = [*clips, *scripts]
            label = f"Building {locale} coach audio ({engine.name})"
            with _progress(work, enabled=progress, label=label) as items:
                for item in items:
                    if isinstance(item, _Clip):
                        durations[item.hash] = builder.clip(item)
                    else:
                        keys = {say.key for say in item.phrases()}
                        track = builder.track(item, {key: clip_by_key[key] for key in keys}, audio)
                        by_exercise = tracks[item.variant].setdefault(item.exercise_id, {})
                        by_exercise[item.pace.value] = track
            phrase_clips = {
                key: PhraseClip(
                    file=clip_by_key[key].file,
                    text=text,
                    duration_ms=durations[clip_by_key[key].hash],
                )
                for key, text in phrases.items()
            }
            other_phrases, other_full, other_short, other_engines = _other_locales(
                previous, out_dir, locale
            )
            manifest = Manifest(
                engine=engine.name,
                engines=dict(sorted({**other_engines, locale: engine.name}.items())),
                phrases=dict(sorted({**other_phrases, locale: phrase_clips}.items())),
                tracks=dict(sorted({**other_full, locale: tracks[Variant.FULL]}.items())),
                short_tracks=dict(sorted({**other_short, locale: tracks[Variant.SHORT]}.items())),
            )
            written = write_if_changed(out_dir / MANIFEST_NAME, manifest.dumps())
    except (StoreError, EncodingError, OSError) as error:
        raise AudioBuildError(str(error)) from error
    return BuildReport(
        locale=locale,
        engine=engine.name,
        audio_dir=out_dir,
        clips_synthesised=builder.clips_synthesised,
        clips_reused=builder.clips_reused,
        tracks_built=builder.tracks_built,
        tracks_reused=builder.tracks_reused,
        seconds=clock() - started,
        manifest_written=written,
    )
