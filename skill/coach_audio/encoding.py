"""ffmpeg in and out of Alexa's audio format, and a check of every file written.

Alexa plays SSML `<audio>` only as MP3 at exactly 48 kbps and 16000, 22050 or 24000 Hz
(platform facts, section 2); AudioPlayer streams take the same files. Everything the build
writes is MP3, 48 kbps constant bit rate, 24000 Hz, mono; in between, audio is raw PCM
(signed 16-bit little-endian, 24000 Hz, mono), so silences can be counted in samples.

No Xing/Info header: at 24000 Hz mono, 48 kbps frames hold 144 bytes, too few for the tag, so
ffmpeg writes that first frame at 64 kbps, and Alexa rejects such a file ("The audio is of an
unsupported bitrate 64000"; Amazon's SSML reference converts with `-write_xing 0`). Without the
tag no player trims the encoder delay: every file starts with ENCODER_LEAD_SAMPLES of silence
and ends with up to about 30 ms of padding, and the cue maps account for it.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.mp3 import MP3, BitrateMode

SAMPLE_RATE = 24_000
CHANNELS = 1
BITRATE = 48_000
SAMPLE_WIDTH = 2  # bytes per sample: s16le
SAMPLES_PER_MS = SAMPLE_RATE // 1000
SAMPLES_PER_FRAME = 576  # MPEG-2 Layer III
# libmp3lame's encoder delay (576) plus the MP3 decoder's (529): where sample 0 of the input
# plays in the output. Checked by tests/coach_audio/test_units.py.
ENCODER_LEAD_SAMPLES = 1105
# Part of every file's content hash: change any of these and everything is rebuilt.
ENCODER_SETTINGS: dict[str, str | int] = {
    "container": "mp3",
    "codec": "libmp3lame",
    "mode": "cbr",
    "bitrate": BITRATE,
    "sample_rate": SAMPLE_RATE,
    "channels": CHANNELS,
    "xing": 0,
}
_PCM_FORMAT = ["-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS)]
_MP3_OUTPUT = [
    "-vn",
    "-map_metadata", "-1",
    "-ac", str(CHANNELS),
    "-ar", str(SAMPLE_RATE),
    "-c:a", "libmp3lame",
    "-b:a", f"{BITRATE // 1000}k",
    "-fflags", "+bitexact",
    "-id3v2_version", "0",
    "-write_xing", "0",
    "-f", "mp3",
]  # fmt: skip


class EncodingError(RuntimeError):
    """ffmpeg failed, or a file is not what Alexa plays; the message names the file."""


def ffmpeg_executable() -> str:
    """The ffmpeg bundled by imageio-ffmpeg, else the one on PATH."""
    try:
        import imageio_ffmpeg

        bundled: str = imageio_ffmpeg.get_ffmpeg_exe()
        return bundled
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found is None:
            raise EncodingError("no ffmpeg: install imageio-ffmpeg or put ffmpeg on PATH") from None
        return found


def samples_to_ms(samples: int) -> int:
    """Whole milliseconds (rounded) of `samples` samples at the build's sample rate."""
    return (samples * 1000 + SAMPLE_RATE // 2) // SAMPLE_RATE


def silence(milliseconds: int) -> bytes:
    """Exactly `milliseconds` of silent PCM."""
    return bytes(milliseconds * SAMPLES_PER_MS * SAMPLE_WIDTH)


@dataclass(frozen=True)
class Mp3Info:
    """What a written MP3 is, read back from its headers."""

    bitrate: int
    sample_rate: int
    channels: int
    frames: int
    duration_ms: int
    """How long it plays: every frame, encoder lead and padding included."""


# MPEG-2 Layer III: bit rates (kbps) by header index; sample rates by index.
_MPEG2_L3_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG2_RATES = (22050, 24000, 16000)


def _id3v2_size(head: bytes) -> int:
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    return 10 + size


def _walk_frames(data: bytes) -> tuple[int, list[str]]:
    """Count the frames, checking each is MPEG-2 Layer III, 48 kbps, 24000 Hz, mono.

    mutagen reads the first audio frame and, with a Xing header, averages the bit rate, so it
    misses a tag frame at another bit rate; a truncated CBR file also looks fine to it.
    """
    position = _id3v2_size(data)
    frames = 0
    while position < len(data):
        header = data[position : position + 4]
        if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
            return frames, [f"no MPEG frame at byte {position} (truncated or not MP3)"]
        version, layer = (header[1] >> 3) & 0x3, (header[1] >> 1) & 0x3
        rate_index = (header[2] >> 2) & 0x3
        if version != 0x2 or layer != 0x1 or rate_index == 0x3:
            return frames, [f"frame {frames} is not MPEG-2 Layer III"]
        bitrate = _MPEG2_L3_KBPS[header[2] >> 4] * 1000
        rate = _MPEG2_RATES[rate_index]
        mode = "mono" if header[3] >> 6 == 0x3 else "stereo"
        if (bitrate, rate, mode) != (BITRATE, SAMPLE_RATE, "mono"):
            return frames, [f"frame {frames} is {bitrate} bit/s, {rate} Hz, {mode}"]
        length = 72 * bitrate // rate + ((header[2] >> 1) & 0x1)
        if position + length > len(data):
            return frames, [f"frame {frames} is truncated"]
        position += length
        frames += 1
    return frames, [] if frames else ["no audio frames"]


class Encoder:
    """Runs ffmpeg: any audio to an Alexa MP3, MP3 to PCM, PCM to an Alexa MP3."""

    def __init__(self, ffmpeg: str | None = None, *, timeout: float = 300.0) -> None:
        self.ffmpeg = ffmpeg or ffmpeg_executable()
        self.timeout = timeout

    def _run(self, arguments: list[str], *, stdin: bytes | None, subject: str) -> bytes:
        command = [self.ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *arguments]
        try:
            completed = subprocess.run(
                command,
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise EncodingError(f"{subject}: ffmpeg could not run: {error}") from error
        if completed.returncode != 0:
            message = completed.stderr.decode("utf-8", "replace").strip() or "no message"
            raise EncodingError(f"{subject}: ffmpeg failed ({completed.returncode}): {message}")
        return completed.stdout

    def encode(self, audio: bytes, destination: Path, *, name: str | None = None) -> None:
        """Re-encode audio in any format ffmpeg reads (MP3, WAV…) as an Alexa MP3."""
        self._run(
            ["-i", "pipe:0", *_MP3_OUTPUT, str(destination)],
            stdin=audio,
            subject=name or str(destination),
        )

    def encode_pcm(self, pcm: bytes, destination: Path, *, name: str | None = None) -> None:
        """Encode the build's PCM as an Alexa MP3, in one piece."""
        self._run(
            [*_PCM_FORMAT, "-i", "pipe:0", *_MP3_OUTPUT, str(destination)],
            stdin=pcm,
            subject=name or str(destination),
        )

    def decode(self, source: Path, *, skip_lead: bool = False) -> bytes:
        """The audio of a file as the build's PCM; with `skip_lead`, less the encoder lead."""
        pcm = self._run(
            ["-i", str(source), "-vn", "-c:a", "pcm_s16le", *_PCM_FORMAT, "pipe:1"],
            stdin=None,
            subject=str(source),
        )
        start = ENCODER_LEAD_SAMPLES * SAMPLE_WIDTH if skip_lead else 0
        return pcm[start : len(pcm) - len(pcm) % SAMPLE_WIDTH]

    @staticmethod
    def check(path: Path, *, name: str | None = None) -> Mp3Info:
        """Read an MP3's headers back; EncodingError naming the file unless Alexa plays it."""
        subject = name or str(path)
        try:
            # mutagen's MP3 is untyped: read the attributes it documents.
            info: Any = MP3(path).info  # type: ignore[no-untyped-call]
        except (MutagenError, OSError) as error:
            raise EncodingError(f"{subject}: not a readable MP3: {error}") from error
        problems = []
        if info.bitrate != BITRATE:
            problems.append(f"bit rate {info.bitrate} (need {BITRATE})")
        if info.sample_rate != SAMPLE_RATE:
            problems.append(f"sample rate {info.sample_rate} Hz (need {SAMPLE_RATE})")
        if info.channels != CHANNELS:
            problems.append(f"{info.channels} channels (need {CHANNELS})")
        if info.bitrate_mode not in (BitrateMode.CBR, BitrateMode.UNKNOWN):
            problems.append(f"bit rate mode {info.bitrate_mode.name} (need constant)")
        if problems:
            raise EncodingError(f"{subject}: not an Alexa MP3: {', '.join(problems)}")
        frames, problems = _walk_frames(path.read_bytes())
        if problems:
            raise EncodingError(f"{subject}: not an Alexa MP3: {', '.join(problems)}")
        duration_ms = frames * SAMPLES_PER_FRAME * 1000 // SAMPLE_RATE
        return Mp3Info(info.bitrate, info.sample_rate, info.channels, frames, duration_ms)
