"""The AudioPlayer stream token: which patient, exercise, pace, variant and set a track plays.

Alexa echoes the token back in every AudioPlayer event and in `context.AudioPlayer`. It names
the patient by a short hash of the user id, never the id itself, which would end up in logs
(skill.store.keys.patient_key: the logs name the patient by the same key), and the handlers
check that hash against the user id of the request that carries it. The last part tells one
playing of a set from another (after "start over", say), so an event from a stream the skill
has since replaced is recognised and ignored. The variant (full or short) names the track, so
an offset maps to repetitions with that track's cue map; tokens issued before short tracks
existed (prefix `sc1`, no variant) name the full one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from skill.content.plan import Pace
from skill.sets.script import Variant
from skill.store.keys import patient_key

_PACES = frozenset(pace.value for pace in Pace)

PREFIX = "sc2"
LEGACY_PREFIX = "sc1"
_TOKEN = re.compile(
    r"^(?:sc1|sc2\.(?P<variant>full|short))"
    r"\.(?P<patient>[0-9a-f]{16})\.(?P<exercise>[a-z_]{1,64})\.(?P<pace>[a-z]{1,16})"
    r"\.(?P<set>[0-9a-z-]{1,64})\.(?P<play>[0-9a-f]{8})$"
)


@dataclass(frozen=True)
class PlaybackToken:
    """The parts of a stream token."""

    patient: str
    exercise_id: str
    pace: Pace
    set_id: str
    play: str
    variant: Variant = Variant.FULL
    legacy: bool = False
    """Issued before variants (`sc1`): encoded as it was, so it still names its stream."""

    @classmethod
    def for_set(
        cls,
        user_id: str,
        exercise_id: str,
        pace: Pace,
        set_id: str,
        variant: Variant = Variant.FULL,
    ) -> PlaybackToken:
        """A new token for playing a set's track (full or short) for `user_id`."""
        return cls(
            patient_key(user_id), exercise_id, pace, set_id, secrets.token_hex(4), Variant(variant)
        )

    def encode(self) -> str:
        """The token as sent in `AudioPlayer.Play`."""
        head = (LEGACY_PREFIX,) if self.legacy else (PREFIX, self.variant)
        return ".".join(
            (
                *head,
                self.patient,
                self.exercise_id,
                self.pace,
                self.set_id,
                self.play,
            )
        )

    def belongs_to(self, user_id: str | None) -> bool:
        """Whether the token was issued to this user."""
        return user_id is not None and self.patient == patient_key(user_id)


def parse_token(text: object) -> PlaybackToken | None:
    """The token's parts, or None for anything this skill did not issue."""
    if not isinstance(text, str):
        return None
    match = _TOKEN.fullmatch(text)
    if match is None or match["pace"] not in _PACES:
        return None
    return PlaybackToken(
        match["patient"],
        match["exercise"],
        Pace(match["pace"]),
        match["set"],
        match["play"],
        Variant(match["variant"] or Variant.FULL),
        legacy=match["variant"] is None,
    )
