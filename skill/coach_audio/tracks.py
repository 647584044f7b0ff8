"""One track per script (each exercise, pace and variant): the clips and exact silences as PCM,
encoded once, and its cue map.

Concatenating PCM rather than MP3 clips keeps every silence exact: MP3 frames would add each
clip's encoder delay and padding (tens of milliseconds) and drift the cues. All positions come
from sample counts, never estimates, and are given in playback time: shifted by the encoder
lead that every player plays before the first sample (see encoding.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from skill.coach_audio.encoding import (
    ENCODER_LEAD_SAMPLES,
    ENCODER_SETTINGS,
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    samples_to_ms,
    silence,
)
from skill.coach_audio.manifest import RepetitionSpan
from skill.coach_audio.store import content_hash
from skill.sets.script import Say, Script

CUES_SUFFIX = ".cues.json"


class Span(BaseModel):
    """[start_ms, end_ms) in a track."""

    model_config = ConfigDict(frozen=True)

    start_ms: int
    end_ms: int


class PhraseCue(BaseModel):
    """Where one spoken phrase sits in a track."""

    model_config = ConfigDict(frozen=True)

    key: str
    repetition: int
    start_ms: int
    end_ms: int


class CueMap(BaseModel):
    """`<track>.cues.json`: what plays when in a track (repetition spans include their rest)."""

    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    exercise_id: str
    pace: str
    locale: str
    variant: Literal["full", "short"] = "full"
    """Which script the track plays (cue maps written before short tracks are all full)."""
    sample_rate: int
    samples: int
    """Samples assembled (clips and silences), without the encoder's lead and padding."""
    lead_ms: int
    """Where the first sample plays: the MP3 encoder's delay."""
    duration_ms: int
    """How long the MP3 plays, read from the encoded file."""
    intro: Span
    repetitions: list[RepetitionSpan]
    closing: Span
    phrases: list[PhraseCue]

    def ending_at(self, duration_ms: int) -> CueMap:
        """This map for an encoded track `duration_ms` long (the closing runs to its end)."""
        if duration_ms < self.closing.start_ms:
            raise ValueError(f"a {duration_ms} ms track ends before its closing line")
        return self.model_copy(
            update={
                "duration_ms": duration_ms,
                "closing": Span(start_ms=self.closing.start_ms, end_ms=duration_ms),
            }
        )

    def dumps(self) -> bytes:
        """The cue map as written."""
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


def track_hash(script: Script, clips: Mapping[str, str]) -> str:
    """The track's content hash: the script's steps, the clips (by hash) and the encoder.

    `clips` maps each phrase key of the script to its clip's hash.
    """
    steps = [
        [step.repetition, "say", step.part.key, clips[step.part.key]]
        if isinstance(step.part, Say)
        else [step.repetition, "silence", step.part.milliseconds]
        for step in script.steps
    ]
    return content_hash(
        {
            "kind": "track",
            "exercise": script.exercise_id,
            "pace": script.pace.value,
            "variant": script.variant.value,
            "locale": script.locale,
            "repetitions": script.repetitions,
            "steps": steps,
            "encoder": ENCODER_SETTINGS,
        }
    )


@dataclass(frozen=True)
class AssembledTrack:
    """A track's PCM and its cue map."""

    pcm: bytes
    cues: CueMap


def assemble(
    script: Script, clip_pcm: Mapping[str, bytes], *, lead_samples: int = ENCODER_LEAD_SAMPLES
) -> AssembledTrack:
    """Concatenate the script's clips (PCM by phrase key) and silences; map the repetitions.

    Positions are in playback time, `lead_samples` after the PCM's; the duration is the lead
    and the PCM until the encoded length is known (`CueMap.ending_at`).
    """
    parts: list[bytes] = []
    offset = lead_samples  # playback position, in samples
    starts: dict[int, int] = {}
    phrases: list[PhraseCue] = []
    last_repetition = -1
    for step in script.steps:
        if step.repetition < last_repetition:
            raise ValueError(
                f"{script.exercise_id}/{script.pace}: steps go back to repetition {step.repetition}"
            )
        last_repetition = step.repetition
        starts.setdefault(step.repetition, offset)
        if isinstance(step.part, Say):
            audio = clip_pcm[step.part.key]
            start = offset
            offset += len(audio) // SAMPLE_WIDTH
            phrases.append(
                PhraseCue(
                    key=step.part.key,
                    repetition=step.repetition,
                    start_ms=samples_to_ms(start),
                    end_ms=samples_to_ms(offset),
                )
            )
        else:
            audio = silence(step.part.milliseconds)
            offset += len(audio) // SAMPLE_WIDTH
        parts.append(audio)
    total = offset
    numbers = list(range(1, script.repetitions + 1))
    if not numbers:
        raise ValueError(f"{script.exercise_id}/{script.pace}: a set needs a repetition")
    missing = [number for number in numbers if number not in starts]
    if missing:
        raise ValueError(f"{script.exercise_id}/{script.pace}: no steps for repetitions {missing}")
    boundaries = [starts[number] for number in numbers]
    closing_start = starts.get(script.closing_repetition, total)
    ends = [*boundaries[1:], closing_start]
    repetitions = [
        RepetitionSpan(repetition=number, start_ms=samples_to_ms(start), end_ms=samples_to_ms(end))
        for number, start, end in zip(numbers, boundaries, ends, strict=True)
    ]
    cues = CueMap(
        exercise_id=script.exercise_id,
        pace=script.pace.value,
        locale=script.locale,
        variant=script.variant.value,
        sample_rate=SAMPLE_RATE,
        samples=total - lead_samples,
        lead_ms=samples_to_ms(lead_samples),
        duration_ms=samples_to_ms(total),
        intro=Span(start_ms=0, end_ms=samples_to_ms(boundaries[0])),
        repetitions=repetitions,
        closing=Span(start_ms=samples_to_ms(closing_start), end_ms=samples_to_ms(total)),
        phrases=phrases,
    )
    return AssembledTrack(b"".join(parts), cues)
