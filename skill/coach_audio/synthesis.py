"""Speech engines: a phrase's text in, audio bytes out (any format ffmpeg reads).

Two engines share one protocol: gTTS (Google Translate's speech, the default for real builds;
network, throttled, so paced and retried) and espeak-ng (local, fast, robotic: tests, CI and
local trials). Each knows its voice per locale from one table.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import requests
from gtts import gTTS, gTTSError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class LocaleVoice:
    """How each engine speaks one locale."""

    gtts_lang: str
    gtts_tld: str
    """The Google host's top-level domain: it picks the accent (translate.google.<tld>)."""
    espeak_voice: str


VOICES: Mapping[str, LocaleVoice] = {
    "en-US": LocaleVoice("en", "com", "en-us"),
    "en-GB": LocaleVoice("en", "co.uk", "en-gb"),
    "en-AU": LocaleVoice("en", "com.au", "en-gb"),
    "en-CA": LocaleVoice("en", "ca", "en-us"),
    "en-IN": LocaleVoice("en", "co.in", "en-gb"),
    "de-DE": LocaleVoice("de", "de", "de"),
    "es-ES": LocaleVoice("es", "es", "es"),
    "es-MX": LocaleVoice("es", "com.mx", "es-419"),
    "es-US": LocaleVoice("es", "com", "es-419"),
    "fr-FR": LocaleVoice("fr", "fr", "fr-fr"),
    "fr-CA": LocaleVoice("fr", "ca", "fr-fr"),
    "it-IT": LocaleVoice("it", "it", "it"),
    "nl-NL": LocaleVoice("nl", "com", "nl"),
    "pt-BR": LocaleVoice("pt", "com.br", "pt-br"),
}


class SynthesisError(RuntimeError):
    """A phrase could not be spoken (after any retries)."""


class TransientSynthesisError(SynthesisError):
    """Worth retrying: throttled (429), a server error (5xx) or a timeout."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def locale_voice(locale: str, voices: Mapping[str, LocaleVoice] = VOICES) -> LocaleVoice:
    """The voices for a locale; SynthesisError when the table has none."""
    try:
        return voices[locale]
    except KeyError:
        known = ", ".join(sorted(voices))
        raise SynthesisError(f"no voice for locale {locale!r} (known: {known})") from None


class Engine(Protocol):
    """Speaks text. `voice()` names everything that changes the sound (it is hashed)."""

    @property
    def name(self) -> str:
        """A short stable name, e.g. "gtts"."""
        ...

    def voice(self, locale: str) -> str:
        """The voice and its settings for a locale, e.g. "en@com"; SynthesisError if none."""
        ...

    def synthesise(self, text: str, locale: str) -> bytes:
        """The audio of `text`; SynthesisError when it finally fails."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off: `attempts` tries; waits grow by `factor`, up to `max_delay`."""

    attempts: int = 5
    first_delay: float = 2.0
    factor: float = 2.0
    max_delay: float = 60.0

    def delays(self) -> Iterator[float]:
        """The waits between attempts (one fewer than attempts)."""
        delay = self.first_delay
        for _ in range(self.attempts - 1):
            yield min(delay, self.max_delay)
            delay *= self.factor


def with_retries(
    attempt: Callable[[], T],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    what: str,
) -> T:
    """`attempt()`, retried after each TransientSynthesisError with back-off."""
    delays = policy.delays()
    tries = 0
    while True:
        tries += 1
        try:
            return attempt()
        except TransientSynthesisError as error:
            delay = next(delays, None)
            if delay is None:
                raise SynthesisError(f"gave up after {tries} attempts: {error}") from error
            if error.retry_after is not None:
                delay = min(max(delay, error.retry_after), policy.max_delay)
            log.warning("%s: %s; retrying in %.1f s", what, error, delay)
            sleep(delay)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def _classify(error: gTTSError) -> SynthesisError:
    """gTTS raises one error type: tell throttling, server errors and timeouts from the rest."""
    response: requests.Response | None = getattr(error, "rsp", None)
    if response is not None:
        status = response.status_code
        if status == 429 or status >= 500:
            return TransientSynthesisError(str(error), retry_after=_retry_after(response))
        return SynthesisError(str(error))
    cause = error.__cause__ or error.__context__  # gTTS raises it while handling requests'
    if isinstance(cause, requests.Timeout):
        return TransientSynthesisError(f"timed out ({type(cause).__name__}: {cause})")
    return SynthesisError(f"{error} ({type(cause).__name__}: {cause})" if cause else str(error))


class GttsEngine:
    """Google Translate's speech through gTTS: with a timeout, paced, retried with back-off."""

    name = "gtts"

    def __init__(
        self,
        *,
        timeout: float = 15.0,
        pause: float = 1.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        voices: Mapping[str, LocaleVoice] = VOICES,
    ) -> None:
        self.timeout = timeout
        self.pause = pause
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._voices = voices
        self._last_call: float | None = None

    def voice(self, locale: str) -> str:
        """E.g. "en@com": the language and the Google domain that sets the accent."""
        voice = locale_voice(locale, self._voices)
        return f"{voice.gtts_lang}@{voice.gtts_tld}"

    def synthesise(self, text: str, locale: str) -> bytes:
        """MP3 bytes from Google (24 kHz mono, 32 kbps)."""
        voice = locale_voice(locale, self._voices)
        return with_retries(
            lambda: self._attempt(text, voice),
            policy=self.retry,
            sleep=self._sleep,
            what=f"gTTS {text[:40]!r}",
        )

    def _wait_for_turn(self) -> None:
        if self._last_call is None:
            return
        wait = self.pause - (self._clock() - self._last_call)
        if wait > 0:
            self._sleep(wait)

    def _attempt(self, text: str, voice: LocaleVoice) -> bytes:
        self._wait_for_turn()
        audio = io.BytesIO()
        try:
            speech = gTTS(text, lang=voice.gtts_lang, tld=voice.gtts_tld, timeout=self.timeout)
            speech.write_to_fp(audio)
        except gTTSError as error:
            raise _classify(error) from error
        except AssertionError as error:  # gTTS asserts there is something to say
            raise SynthesisError(f"nothing to speak: {error}") from error
        finally:
            self._last_call = self._clock()
        if not audio.getvalue():
            raise SynthesisError("gTTS returned no audio")
        return audio.getvalue()


class EspeakEngine:
    """espeak-ng, locally: `espeak-ng -v <voice> -s <speed> -w out.wav`, text on stdin."""

    name = "espeak"

    def __init__(
        self,
        *,
        speed: int = 150,
        executable: str | None = None,
        timeout: float = 60.0,
        voices: Mapping[str, LocaleVoice] = VOICES,
    ) -> None:
        self.speed = speed
        self.executable = executable or shutil.which("espeak-ng") or "espeak-ng"
        self.timeout = timeout
        self._voices = voices

    def voice(self, locale: str) -> str:
        """E.g. "en-us@150": the espeak-ng voice and words per minute."""
        return f"{locale_voice(locale, self._voices).espeak_voice}@{self.speed}"

    def synthesise(self, text: str, locale: str) -> bytes:
        """WAV bytes (22050 Hz mono)."""
        voice = locale_voice(locale, self._voices).espeak_voice
        with tempfile.TemporaryDirectory(prefix="spine-coach-espeak-") as directory:
            output = Path(directory) / "phrase.wav"
            command = [self.executable, "-v", voice, "-s", str(self.speed), "-w", str(output)]
            try:
                completed = subprocess.run(
                    [*command, "--stdin"],
                    input=text.encode("utf-8"),
                    capture_output=True,
                    timeout=self.timeout,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                raise SynthesisError(f"espeak-ng could not run: {error}") from error
            if completed.returncode != 0 or not output.exists():
                message = completed.stderr.decode("utf-8", "replace").strip() or "no output"
                raise SynthesisError(f"espeak-ng failed ({completed.returncode}): {message}")
            return output.read_bytes()
