"""Coach audio, piece by piece: the manifest, content-addressed atomic files, track assembly
and the encoder's output format."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from mutagen.mp3 import MP3

from skill.coach_audio.encoding import (
    ENCODER_LEAD_SAMPLES,
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    Encoder,
    EncodingError,
    ffmpeg_executable,
)
from skill.coach_audio.manifest import (
    MANIFEST_NAME,
    Manifest,
    ManifestError,
    PhraseClip,
    RepetitionSpan,
    Track,
    load_manifest,
    repetition_at,
)
from skill.coach_audio.store import (
    StoreError,
    content_hash,
    exclusive_build,
    remove_temporaries,
    write_atomically,
    write_if_changed,
)
from skill.coach_audio.tracks import assemble, track_hash
from skill.content.plan import Pace
from skill.sets.script import Say, Script, Silence, Step, Variant

# MPEG-2 (24 kHz) Layer III, read without mutagen: bit rates (kbps) by index, rates by index.
MPEG2_L3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
MPEG2_RATES = [22050, 24000, 16000]


def mpeg_frames(data: bytes) -> list[tuple[int, int, bool]]:
    """(bit rate, sample rate, mono) of every frame, walking the file frame by frame."""
    position = 0
    if data[:3] == b"ID3":
        size = 0
        for byte in data[6:10]:
            size = (size << 7) | (byte & 0x7F)
        position = 10 + size
    frames = []
    while position + 4 <= len(data):
        header = data[position : position + 4]
        assert header[0] == 0xFF, f"no frame sync at {position}"
        assert header[1] & 0xE0 == 0xE0, f"no frame sync at {position}"
        assert (header[1] >> 3) & 0x3 == 0x2, "not MPEG-2"
        assert (header[1] >> 1) & 0x3 == 0x1, "not Layer III"
        bitrate = MPEG2_L3_KBPS[header[2] >> 4] * 1000
        rate = MPEG2_RATES[(header[2] >> 2) & 0x3]
        padding = (header[2] >> 1) & 0x1
        frames.append((bitrate, rate, header[3] >> 6 == 0x3))
        position += 72 * bitrate // rate + padding
    assert position == len(data), "the last frame is truncated"
    return frames


def sine_pcm(milliseconds: int, frequency: float = 440.0) -> bytes:
    count = milliseconds * SAMPLE_RATE // 1000
    return struct.pack(
        f"<{count}h",
        *(int(8000 * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)) for i in range(count)),
    )


def foreign_mp3(path: Path) -> Path:
    """A 44.1 kHz stereo 128 kbps MP3: not what Alexa's <audio> plays."""
    subprocess.run(
        [
            *(ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-y"),
            *("-f", "lavfi", "-i", "sine=frequency=300:duration=0.5:sample_rate=44100"),
            *("-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k", str(path)),
        ],
        check=True,
    )
    return path


# --- manifest ----------------------------------------------------------------------------------


def a_track(spans: list[tuple[int, int]]) -> Track:
    return Track(
        file="tracks/t.mp3",
        cue_map="tracks/t.cues.json",
        duration_ms=spans[-1][1] + 3000,
        repetitions=[
            RepetitionSpan(repetition=number, start_ms=start, end_ms=end)
            for number, (start, end) in enumerate(spans, start=1)
        ],
    )


def test_repetition_at_maps_the_introduction_rests_and_closing() -> None:
    track = a_track([(5000, 9000), (9000, 13000), (13000, 17000)])
    assert repetition_at(track, 0) == 1  # introduction: the first repetition
    assert repetition_at(track, 4999) == 1
    assert repetition_at(track, 5000) == 1
    assert repetition_at(track, 8999) == 1  # the rest after repetition 1
    assert repetition_at(track, 9000) == 2
    assert repetition_at(track, 16999) == 3
    assert repetition_at(track, 17000) == 3  # the closing line: the last repetition
    assert repetition_at(track, 10**9) == 3


def test_the_manifest_round_trips_and_finds_entries(tmp_path: Path) -> None:
    manifest = Manifest(
        engine="espeak",
        phrases={"en-US": {"count.1": PhraseClip(file="clips/a.mp3", text="1.", duration_ms=800)}},
        tracks={"en-US": {"bridges": {"slow": a_track([(100, 200)])}}},
    )
    assert load_manifest(tmp_path) is None
    (tmp_path / MANIFEST_NAME).write_bytes(manifest.dumps())
    loaded = load_manifest(tmp_path)
    assert loaded == manifest
    assert loaded.phrase("en-US", "count.1") == PhraseClip(
        file="clips/a.mp3", text="1.", duration_ms=800
    )
    assert loaded.phrase("en-US", "count.2") is None
    assert loaded.phrase("de-DE", "count.1") is None
    assert loaded.track("en-US", "bridges", "slow") == a_track([(100, 200)])
    assert loaded.track("en-US", "bridges", "brisk") is None


def test_short_tracks_are_listed_beside_the_full_ones(tmp_path: Path) -> None:
    full, short = a_track([(100, 200)]), a_track([(10, 110)])
    manifest = Manifest(
        engine="espeak",
        phrases={},
        tracks={"en-US": {"bridges": {"slow": full}}},
        short_tracks={"en-US": {"bridges": {"slow": short}}},
    )
    (tmp_path / MANIFEST_NAME).write_bytes(manifest.dumps())
    loaded = load_manifest(tmp_path)
    assert loaded == manifest
    assert loaded.track("en-US", "bridges", "slow") == full
    assert loaded.track("en-US", "bridges", "slow", "full") == full
    assert loaded.track("en-US", "bridges", "slow", "short") == short
    assert loaded.track("en-US", "bridges", "brisk", "short") is None
    assert loaded.all_tracks() == [full, short]
    with pytest.raises(ValueError, match="no track variant 'medium'"):
        loaded.track("en-US", "bridges", "slow", "medium")


def test_a_manifest_written_before_short_tracks_reads_with_none(tmp_path: Path) -> None:
    """Backward compatible: the same version, `short_tracks` optional (sets then play full)."""
    full = a_track([(100, 200)])
    old = {
        "version": 1,
        "engine": "espeak",
        "phrases": {},
        "tracks": {"en-US": {"bridges": {"slow": full.model_dump()}}},
    }
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(old))
    loaded = load_manifest(tmp_path)
    assert loaded is not None
    assert loaded.track("en-US", "bridges", "slow") == full
    assert loaded.track("en-US", "bridges", "slow", "short") is None
    assert loaded.short_tracks == {}


def test_each_locale_round_trips_with_its_own_clips_tracks_and_engine(tmp_path: Path) -> None:
    dutch, american = a_track([(100, 900)]), a_track([(100, 700)])
    manifest = Manifest(
        engine="gtts",
        engines={"en-US": "espeak", "nl-NL": "gtts"},
        phrases={
            "en-US": {"count.1": PhraseClip(file="clips/e.mp3", text="1.", duration_ms=500)},
            "nl-NL": {"count.1": PhraseClip(file="clips/n.mp3", text="Eén.", duration_ms=600)},
        },
        tracks={"en-US": {"bridges": {"slow": american}}, "nl-NL": {"bridges": {"slow": dutch}}},
        short_tracks={"nl-NL": {"bridges": {"slow": a_track([(10, 90)])}}},
    )
    (tmp_path / MANIFEST_NAME).write_bytes(manifest.dumps())
    loaded = load_manifest(tmp_path)
    assert loaded == manifest
    assert loaded.locales == ["en-US", "nl-NL"]
    assert loaded.phrase("nl-NL", "count.1") == PhraseClip(
        file="clips/n.mp3", text="Eén.", duration_ms=600
    )
    assert loaded.track("nl-NL", "bridges", "slow") == dutch
    assert loaded.track("en-US", "bridges", "slow") == american
    assert loaded.track("nl-NL", "bridges", "slow", "short") == a_track([(10, 90)])
    assert loaded.track("en-US", "bridges", "slow", "short") is None  # never another locale's
    assert loaded.track("en-GB", "bridges", "slow") is None
    assert (loaded.engine_of("en-US"), loaded.engine_of("nl-NL")) == ("espeak", "gtts")
    assert loaded.engine_of("en-GB") is None


def test_a_manifest_written_before_engines_per_locale_reads_with_its_one_engine(
    tmp_path: Path,
) -> None:
    old = {
        "version": 1,
        "engine": "espeak",
        "phrases": {"en-GB": {}},
        "tracks": {"en-US": {"bridges": {"slow": a_track([(100, 200)]).model_dump()}}},
    }
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(old))
    loaded = load_manifest(tmp_path)
    assert loaded is not None
    assert loaded.engines == {}
    assert loaded.locales == ["en-GB", "en-US"]
    assert loaded.engine_of("en-US") == loaded.engine_of("en-GB") == "espeak"


@pytest.mark.parametrize(
    "content", [b"{not json", b"[]", json.dumps({"version": 2, "engine": "x"}).encode()]
)
def test_an_invalid_manifest_is_an_error_naming_the_file(tmp_path: Path, content: bytes) -> None:
    (tmp_path / MANIFEST_NAME).write_bytes(content)
    with pytest.raises(ManifestError, match=re.escape(str(tmp_path / MANIFEST_NAME))):
        load_manifest(tmp_path)


# --- store -------------------------------------------------------------------------------------


def test_content_hashes_are_stable_and_key_order_free() -> None:
    assert content_hash({"a": 1, "b": [1, "é"]}) == content_hash({"b": [1, "é"], "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
    assert len(content_hash("x")) >= 16


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    target = folder / "clip.mp3"

    def produce(temporary: Path) -> None:
        temporary.write_bytes(b"half a cl")
        raise EncodingError("ffmpeg died")

    with pytest.raises(EncodingError):
        write_atomically(target, produce)
    assert list(folder.iterdir()) == []


def test_write_if_changed_leaves_an_identical_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    assert write_if_changed(target, b"{}")
    before = target.stat()
    assert not write_if_changed(target, b"{}")
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert write_if_changed(target, b"{ }")
    assert target.read_bytes() == b"{ }"


def test_leftover_temporaries_are_removed_and_finished_files_kept(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / ".abc.mp3.1a2b.tmp").write_bytes(b"partial")
    (folder / "abc.mp3").write_bytes(b"done")
    assert remove_temporaries(folder) == 1
    assert [p.name for p in folder.iterdir()] == ["abc.mp3"]


def test_one_build_at_a_time_per_folder(tmp_path: Path) -> None:
    with (
        exclusive_build(tmp_path),
        pytest.raises(StoreError, match="another audio build"),
        exclusive_build(tmp_path),
    ):
        pass
    with exclusive_build(tmp_path):  # released
        pass


# --- tracks ------------------------------------------------------------------------------------


def a_script() -> Script:
    return Script(
        "bridges",
        Pace.NORMAL,
        "en-US",
        2,
        (
            Step(0, Say("intro", "Get ready.")),
            Step(0, Silence(1000)),
            Step(1, Say("count.1", "1.")),
            Step(1, Silence(250)),
            Step(1, Say("lift", "Lift.")),
            Step(1, Silence(1500)),  # the rest after repetition 1
            Step(2, Say("count.2", "2.")),
            Step(2, Say("lift", "Lift.")),
            Step(3, Say("closing", "Done.")),
        ),
    )


def test_assembly_is_exact_to_the_sample() -> None:
    lengths = {"intro": 12345, "count.1": 7001, "lift": 9999, "count.2": 6003, "closing": 4321}
    pcm = {key: b"\x01\x00" * samples for key, samples in lengths.items()}
    assembled = assemble(a_script(), pcm, lead_samples=0)
    silence_samples = (1000 + 250 + 1500) * 24
    total = sum(lengths.values()) + lengths["lift"] + silence_samples
    assert len(assembled.pcm) == total * SAMPLE_WIDTH
    cues = assembled.cues
    assert cues.samples == total
    first = 12345 + 24000
    second = first + 7001 + 6000 + 9999 + 36000
    closing = second + 6003 + 9999
    ms = [round(samples / 24) for samples in (first, second, closing, total)]
    assert cues.intro.start_ms == 0
    assert cues.intro.end_ms == ms[0]
    assert [(s.repetition, s.start_ms, s.end_ms) for s in cues.repetitions] == [
        (1, ms[0], ms[1]),
        (2, ms[1], ms[2]),
    ]
    assert (cues.closing.start_ms, cues.closing.end_ms, cues.duration_ms) == (ms[2], ms[3], ms[3])
    # The silence between two phrases is exactly its milliseconds.
    count, lift = cues.phrases[1], cues.phrases[2]
    assert lift.start_ms - count.end_ms == 250


def test_cue_positions_are_in_playback_time_after_the_encoder_lead() -> None:
    pcm = {key: b"\x00\x00" * 2400 for key in ("intro", "count.1", "lift", "count.2", "closing")}
    plain = assemble(a_script(), pcm, lead_samples=0).cues
    played = assemble(a_script(), pcm).cues
    assert played.lead_ms == round(ENCODER_LEAD_SAMPLES / 24) == 46
    assert played.intro.start_ms == 0
    for before, after in zip(plain.repetitions, played.repetitions, strict=True):
        assert abs(after.start_ms - before.start_ms - 46) <= 1
    ended = played.ending_at(played.duration_ms + 30)
    assert ended.duration_ms == ended.closing.end_ms == played.duration_ms + 30
    with pytest.raises(ValueError, match="ends before its closing"):
        played.ending_at(played.closing.start_ms - 1)


def test_the_track_hash_follows_the_script_and_the_clips() -> None:
    script = a_script()
    clips = {key: f"h-{key}" for key in ("intro", "count.1", "lift", "count.2", "closing")}
    slower = Script(
        script.exercise_id,
        script.pace,
        script.locale,
        script.repetitions,
        tuple(
            Step(step.repetition, Silence(step.part.milliseconds + 1))
            if isinstance(step.part, Silence)
            else step
            for step in script.steps
        ),
    )
    assert track_hash(script, clips) == track_hash(script, dict(clips))
    assert track_hash(slower, clips) != track_hash(script, clips)
    assert track_hash(script, {**clips, "lift": "other"}) != track_hash(script, clips)
    # The same steps under another variant name another track (its cue map says the variant).
    short = dataclasses.replace(script, variant=Variant.SHORT)
    assert track_hash(short, clips) != track_hash(script, clips)


# --- encoding ----------------------------------------------------------------------------------


def test_encoded_audio_is_48_kbps_cbr_24_khz_mono_in_every_frame(tmp_path: Path) -> None:
    encoder = Encoder()
    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "--stdout", "Press your knees down."],
        check=True,
        capture_output=True,
    ).stdout
    target = tmp_path / "clip.mp3"
    encoder.encode(wav, target)
    info: Any = MP3(target).info  # type: ignore[no-untyped-call]
    assert (info.bitrate, info.sample_rate, info.channels) == (48000, 24000, 1)
    # Every frame, read without mutagen: no Xing/Info frame at another bit rate (Alexa refuses
    # "an unsupported bitrate 64000"), no ID3 tag, nothing after the last frame.
    frames = mpeg_frames(target.read_bytes())
    assert set(frames) == {(48000, 24000, True)}
    assert target.read_bytes()[:1] == b"\xff"
    checked = encoder.check(target)
    assert checked.frames == len(frames)
    assert checked.duration_ms == len(frames) * 24 == round(info.length * 1000)
    assert len(encoder.decode(target)) == len(frames) * 576 * SAMPLE_WIDTH


def test_pcm_plays_after_the_encoder_lead_with_its_exact_length(tmp_path: Path) -> None:
    encoder = Encoder()
    click_at = 2400
    pcm = bytearray(1234 * 24 * SAMPLE_WIDTH)
    struct.pack_into("<h", pcm, click_at * SAMPLE_WIDTH, 20000)
    target = tmp_path / "track.mp3"
    encoder.encode_pcm(bytes(pcm), target)
    decoded = encoder.decode(target)
    samples = struct.unpack(f"<{len(decoded) // SAMPLE_WIDTH}h", decoded)
    peak = max(range(len(samples)), key=lambda index: abs(samples[index]))
    assert peak == click_at + ENCODER_LEAD_SAMPLES
    trimmed = encoder.decode(target, skip_lead=True)
    assert len(pcm) <= len(trimmed) <= len(pcm) + 1152 * SAMPLE_WIDTH  # padding: < 2 frames
    assert set(mpeg_frames(target.read_bytes())) == {(48000, 24000, True)}


def test_a_file_alexa_cannot_play_is_an_error_naming_it(tmp_path: Path) -> None:
    encoder = Encoder()
    wrong = foreign_mp3(tmp_path / "wrong.mp3")
    with pytest.raises(EncodingError) as raised:
        encoder.check(wrong)
    message = str(raised.value)
    assert str(wrong) in message
    assert "bit rate 12" in message  # mutagen averages it: 127998
    assert "sample rate 44100" in message
    assert "2 channels" in message
    truncated = tmp_path / "truncated.mp3"
    encoder.encode_pcm(sine_pcm(500), truncated)
    truncated.write_bytes(truncated.read_bytes()[:-50])
    with pytest.raises(EncodingError, match="truncated"):
        encoder.check(truncated)
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(os.urandom(64))
    with pytest.raises(EncodingError, match=re.escape(str(garbage))):
        encoder.check(garbage)


def test_ffmpeg_failure_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(EncodingError, match=re.escape("clips/x.mp3")):
        Encoder().encode(b"not audio at all", tmp_path / "out.mp3", name="clips/x.mp3")
