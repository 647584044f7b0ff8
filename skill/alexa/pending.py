"""What the skill is waiting for: the one question its last answer asked, typed.

A reply that asks something may leave one `Pending` in the session (`Reply.expect`); the next
request reads it back with `load` and nothing else. Each kind names the intents that answer
it (`answered_by`), so "yes", "no", numbers and "I didn't catch that" are dispatched on the
question that is open, in one place (skill/intents/answers.py), not on the order of handlers.
A value the skill could not have written (tampered, or left by an older version) is dropped
here: the request is then answered as if nothing were pending.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

SESSION_KEY = "pending"
ID = Annotated[str, Field(min_length=1, max_length=80)]

YES, NO = "AMAZON.YesIntent", "AMAZON.NoIntent"
FALLBACK = "AMAZON.FallbackIntent"
SKIP = "SkipIntent"
MORE_DETAIL = "MoreDetailIntent"
PAIN_SCORE, MINUTES = "PainScoreIntent", "CheckInMinutesIntent"


class _Pending(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The intents that answer this question; any other intent leaves it behind.
    answered_by: ClassVar[tuple[str, ...]] = (YES, NO)


class SurgeryDateAsked(_Pending):
    """'When was your surgery?': a date comes as SetSurgeryDateIntent; anything else, again."""

    kind: Literal["surgery_date"] = "surgery_date"
    answered_by: ClassVar[tuple[str, ...]] = (FALLBACK,)


class SurgeryDateToConfirm(_Pending):
    """'So your surgery was on …. Is that right?'"""

    kind: Literal["confirm_surgery_date"] = "confirm_surgery_date"
    day: date


class DeletionToConfirm(_Pending):
    """'This deletes everything I keep about you … Are you sure?'"""

    kind: Literal["confirm_delete"] = "confirm_delete"


class PainScoreAsked(_Pending):
    """'How bad is the pain, from 0 to 10?', after the set it stopped (if any)."""

    kind: Literal["pain_score"] = "pain_score"
    set_id: ID | None = None
    answered_by: ClassVar[tuple[str, ...]] = (FALLBACK,)


CheckInAnswer = int | bool | None


class CheckInStep(_Pending):
    """A check-in question is open: which one, and what was answered before it."""

    kind: Literal["check_in"] = "check_in"
    step: Annotated[int, Field(ge=0, le=20)]
    answers: dict[Annotated[str, Field(max_length=40)], CheckInAnswer] = Field(
        default_factory=dict, max_length=20
    )
    answered_by: ClassVar[tuple[str, ...]] = (PAIN_SCORE, MINUTES, YES, NO, SKIP, FALLBACK)


class MilestoneOffered(_Pending):
    """'Want to hear what's next?' — the milestone at `index` (0: the next one)."""

    kind: Literal["milestone"] = "milestone"
    index: Annotated[int, Field(ge=0, le=100)]


class DetailsOffered(_Pending):
    """'This week, 25 of 140 sets, and pain down to 4 from 6. Want the details?' ("tell me
    more" says them too); with `said`, 'want to hear the rest?' after that many of them."""

    kind: Literal["details"] = "details"
    said: Annotated[int, Field(ge=0, le=20)] = 0
    answered_by: ClassVar[tuple[str, ...]] = (YES, NO, MORE_DETAIL)


class OtherContactOffered(_Pending):
    """'Call the Physical Therapy department on …. Want the number for Neurosurgery too?'"""

    kind: Literal["other_contact"] = "other_contact"
    contact: ID


class RepeatOffered(_Pending):
    """'Want me to say that again?' (a caregiver code, the contacts)."""

    kind: Literal["repeat"] = "repeat"


class NumberOffered(_Pending):
    """'Shall I repeat the number?' after the phone number of `contact`, to call now."""

    kind: Literal["number"] = "number"
    contact: ID


class RevokeOffered(_Pending):
    """'2 caregiver sessions are open. Shall I end them?'"""

    kind: Literal["revoke"] = "revoke"


class NextChunkOffered(_Pending):
    """'Ready for the next 5?' in a spoken set."""

    kind: Literal["chunk"] = "chunk"
    set_id: ID


class ResumeOffered(_Pending):
    """'You stopped at repetition 6 of your bridges. Shall we finish them?' ('no' puts the old
    set aside), or 'shall we go on with your bridges?' after "how do I do this?" in a set
    (`rest_on_no`: 'no' rests, the set waits, as after 'ready for the next five?')."""

    kind: Literal["resume"] = "resume"
    set_id: ID
    rest_on_no: bool = False


class SetOffered(_Pending):
    """'Next, your bridges. Ready?': a new set, with the rest of the routine after it."""

    kind: Literal["start"] = "start"
    exercise: ID
    up_next: list[ID] = Field(default_factory=list, max_length=20)


class RemindersOffered(_Pending):
    """'Shall I remind you to do your exercises through the day?' (the launch's offer, or after
    'You have no reminders.')."""

    kind: Literal["reminders_offer"] = "reminders_offer"


class RemindersCancelToConfirm(_Pending):
    """'Stop all your reminders?'"""

    kind: Literal["confirm_cancel_reminders"] = "confirm_cancel_reminders"


Pending = Annotated[
    SurgeryDateAsked
    | SurgeryDateToConfirm
    | DeletionToConfirm
    | PainScoreAsked
    | CheckInStep
    | MilestoneOffered
    | DetailsOffered
    | OtherContactOffered
    | RepeatOffered
    | NumberOffered
    | RevokeOffered
    | NextChunkOffered
    | ResumeOffered
    | SetOffered
    | RemindersOffered
    | RemindersCancelToConfirm,
    Field(discriminator="kind"),
]
SetOffer = NextChunkOffered | ResumeOffered | SetOffered
KINDS: tuple[type[_Pending], ...] = (
    SurgeryDateAsked,
    SurgeryDateToConfirm,
    DeletionToConfirm,
    PainScoreAsked,
    CheckInStep,
    MilestoneOffered,
    DetailsOffered,
    OtherContactOffered,
    RepeatOffered,
    NumberOffered,
    RevokeOffered,
    NextChunkOffered,
    ResumeOffered,
    SetOffered,
    RemindersOffered,
    RemindersCancelToConfirm,
)
# Every intent that answers some question.
ANSWERING_INTENTS = tuple(sorted({name for kind in KINDS for name in kind.answered_by}))
_ADAPTER: TypeAdapter[Pending] = TypeAdapter(Pending)


def load(session: dict[str, Any]) -> Pending | None:
    """The question the last answer left open, or None (none, or not one this skill wrote)."""
    value = session.get(SESSION_KEY)
    if value is None:
        return None
    try:
        return _ADAPTER.validate_python(value)
    except ValidationError:
        return None


def dump(pending: Pending) -> dict[str, Any]:
    """The session value for `pending` (JSON)."""
    return pending.model_dump(mode="json")


def answers(pending: Pending | None, intent: str | None) -> bool:
    """Whether `intent` answers the open question."""
    return pending is not None and intent in pending.answered_by
