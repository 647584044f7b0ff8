"""The reminder service: the patient's reminders at Amazon, kept in step with the plan.

It asks for the reminders permission (by voice through Alexa, or with a card), creates one
reminder per slot of `skill.recovery.reminder_schedule` at Amazon and keeps each alert token
(skill/store/reminders.py), updates or deletes them when the waking hours, the time zone, the
language or the exercises change, and records the prompts Amazon reports. It answers with
plain outcomes (skill/alexa/outcome.py); it knows nothing of handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from skill.alexa.outcome import Outcome
from skill.alexa.reminders_api import SCOPE, AlexaReminders
from skill.content.plan import WakingHours
from skill.sets.service import PatientNow
from skill.store.patients import PatientRecord

__all__ = ["ASK_TOKEN", "SCOPE", "PatientReminded", "Reminders"]
# The token of the AskFor request, echoed in its Connections.Response.
ASK_TOKEN = "reminders"


class PatientReminded(PatientNow, Protocol):
    """What the service needs of a request beyond `PatientNow` (the handlers' Turn has it)."""

    @property
    def patient(self) -> PatientRecord | None: ...
    @property
    def reminders_permitted(self) -> bool: ...
    @property
    def reminders_api(self) -> AlexaReminders | None: ...


class Reminders:
    """Sets up, lists, cancels and keeps in step the patient's reminders at Amazon."""

    def set_up(self, who: PatientReminded, window: WakingHours | None = None) -> Outcome:
        """'Remind me …' (`window`: 'from nine till nine', kept as the patient's own waking
        hours first): create or update them and say when they come; without the permission,
        hand over to Alexa's permission ask (or, declined within 7 days, the card)."""
        raise NotImplementedError

    def answer_permission(self, who: PatientReminded, status: str | None) -> Outcome:
        """The Connections.Response to the ask: ACCEPTED, DENIED, NOT_ANSWERED, or None when
        Alexa could not ask by voice (the card and 'open the Alexa app')."""
        raise NotImplementedError

    def describe(self, who: PatientReminded) -> Outcome:
        """'What reminders do I have?': one sentence, or none and the offer to set them."""
        raise NotImplementedError

    def confirm_cancel(self, who: PatientReminded) -> Outcome:
        """'Stop reminding me': 'Stop all your reminders?' (or that there are none)."""
        raise NotImplementedError

    def cancel(self, who: PatientReminded) -> Outcome:
        """After yes: delete each reminder at Amazon (a 404 counts as gone), then here."""
        raise NotImplementedError

    def launch_offer(self, who: PatientReminded) -> Outcome | None:
        """Once per patient, who has none and has not declined: 'Shall I remind you …?'."""
        raise NotImplementedError

    def answer_offer(self, who: PatientReminded, accepted: bool) -> Outcome:
        """Yes to the offer: `set_up`; no: 'All right.', never offered again."""
        raise NotImplementedError

    def catch_up(self, who: PatientReminded) -> None:
        """On launch: sync reminders owed (failed earlier, zone or language changed); no API
        call and no read when nothing is owed."""
        raise NotImplementedError

    def on_event(self, who: PatientReminded, request_type: str, body: Mapping[str, Any]) -> None:
        """Reminders.* and AlexaSkillEvent.SkillPermission* events (`body`: the request)."""
        raise NotImplementedError

    def forget_at_amazon(self, who: PatientReminded) -> None:
        """Before the patient's data is deleted: delete each reminder at Amazon, best effort."""
        raise NotImplementedError
