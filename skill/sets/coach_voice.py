"""The coach's voice in a response: hosted audio clips where built and reachable, else SSML text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from skill.coach_audio.manifest import Manifest, PhraseClip, Track
from skill.content.plan import Pace
from skill.sets.script import Say, Silence, Variant

MAX_AUDIO_MS = 240_000  # Alexa: at most 240 s of <audio> in one response
# Older Alexa documentation allowed at most five <audio> tags per response; unconfirmed today,
# so stay within it (platform facts, section 2).
MAX_AUDIO_CLIPS = 5
MAX_BREAK_MS = 10_000


@lru_cache(maxsize=512)
def pause(milliseconds: int) -> Markup:
    """An SSML pause of any length, as breaks of at most 10 s each (the few lengths a plan
    uses are made once)."""
    breaks = []
    remaining = milliseconds
    while remaining > 0:
        step = min(remaining, MAX_BREAK_MS)
        breaks.append(Markup('<break time="{}ms"/>').format(step))
        remaining -= step
    return Markup("").join(breaks)


@dataclass(frozen=True)
class CoachVoice:
    """The coach's phrases as SSML, and its tracks, from the build manifest and its host.

    Audio is used only when the manifest has the phrase with the same text (never a stale
    clip) and the base URL is HTTPS (Alexa plays nothing else).
    """

    manifest: Manifest | None
    base_url: str | None
    max_audio_ms: int = MAX_AUDIO_MS
    max_audio_clips: int = MAX_AUDIO_CLIPS

    @property
    def hosted(self) -> bool:
        """Whether Alexa can fetch the built audio."""
        return self.manifest is not None and (self.base_url or "").startswith("https://")

    def url(self, relative: str) -> str:
        """The public URL of a file in the audio folder."""
        return f"{self.base_url}{relative}"

    def track(
        self, locale: str, exercise_id: str, pace: Pace, variant: Variant = Variant.FULL
    ) -> Track | None:
        """The built track for an exercise at a pace in a variant, when it is hosted."""
        if not self.hosted or self.manifest is None:
            return None
        return self.manifest.track(locale, exercise_id, pace, variant)

    def render(self, locale: str, parts: Sequence[Say | Silence]) -> Markup:
        """SSML for the parts: all phrases as clips if they fit Alexa's limits, else all as text.

        One voice per response: mixing the recorded coach with Alexa's own voice mid-set would
        be jarring, so a response that cannot be all clips is all text.
        """
        clips = self._clips(locale, [part for part in parts if isinstance(part, Say)])
        rendered = []
        for part in parts:
            if isinstance(part, Silence):
                rendered.append(pause(part.milliseconds))
            elif clips is not None:
                rendered.append(Markup('<audio src="{}"/>').format(self.url(clips[part.key].file)))
            else:
                rendered.append(escape(part.text))
        return Markup(" ").join(item for item in rendered if item)

    def _clips(self, locale: str, phrases: list[Say]) -> dict[str, PhraseClip] | None:
        if not self.hosted or self.manifest is None or not phrases:
            return None
        if len(phrases) > self.max_audio_clips:
            return None
        clips: dict[str, PhraseClip] = {}
        for say in phrases:
            clip = self.manifest.phrase(locale, say.key)
            if clip is None or clip.text != say.text:
                return None
            clips[say.key] = clip
        if sum(clips[say.key].duration_ms for say in phrases) > self.max_audio_ms:
            return None
        return clips
