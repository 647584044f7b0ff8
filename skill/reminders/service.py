"""The reminder service: the patient's reminders at Amazon, kept in step with the plan.

It asks for the reminders permission (by voice through Alexa, or with a card), creates one
reminder per slot of `skill.recovery.reminder_schedule` at Amazon and keeps each alert token
(skill/store/reminders.py), updates or deletes them when the waking hours, the time zone, the
language or the exercises change, and records the prompts Amazon reports. It answers with
plain outcomes (skill/alexa/outcome.py); it knows nothing of handlers.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import time as dt_time
from datetime import timedelta
from typing import Any, Protocol

from ask_sdk_model.interfaces.connections import SendRequestDirective

from skill.alexa.outcome import Listed, Message, Outcome, message
from skill.alexa.pending import RemindersCancelToConfirm, RemindersOffered
from skill.alexa.reminders_api import (
    SCOPE,
    AlexaReminders,
    FaultKind,
    RemindersFault,
    ReminderSpec,
)
from skill.content.plan import RecoveryPlan, WakingHours
from skill.content.strings import Catalogue
from skill.recovery.reminder_schedule import ReminderSlot, reminder_slots
from skill.sets.service import GuidedSets, PatientNow
from skill.store.patients import PatientRecord, PatientStore
from skill.store.reminders import CLAIMED, ReminderStore, StoredReminder

log = logging.getLogger(__name__)

__all__ = ["ASK_TOKEN", "SCOPE", "PatientReminded", "Reminders"]
# After a "no" to the permission, Alexa's guidelines allow no new ask for this long.
NO_NEW_ASK = timedelta(days=7)
# `synced` when the patient stopped their reminders but some are still at Amazon.
STOPPING = "stopping"
# The longest reminder text (what small screens show, alexa-platform.md section 10).
TEXT_LENGTH = 25
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


def permission_ask() -> SendRequestDirective:
    """Alexa's own voice ask for the reminders permission (answered by Connections.Response)."""
    return SendRequestDirective(
        name="AskFor",
        payload={
            "@type": "AskForPermissionsConsentRequest",
            "@version": "2",
            "permissionScopes": [{"permissionScope": SCOPE, "consentLevel": "ACCOUNT"}],
        },
        token=ASK_TOKEN,
    )


def whole_hours_window(window: WakingHours) -> tuple[int, int]:
    """The window as whole local hours (start rounded up, end up to 24), as stored."""
    start = window.start.hour + (1 if window.start.minute or window.start.second else 0)
    end = window.end.hour + (1 if window.end.minute or window.end.second else 0)
    return start, end


def stored_window(start: int, end: int) -> WakingHours:
    """The window of whole hours as the patient store gives it back (an end of 24 is 23:59:59)."""
    return WakingHours(start=dt_time(start), end=dt_time(23, 59, 59) if end == 24 else dt_time(end))


def clock(hour: int, *, twelve_hour: bool) -> Message:
    """A whole hour said the locale's way ('9 AM', '21')."""
    if hour == 0:
        return message("reminders.clock.midnight")
    if hour == 12:
        return message("reminders.clock.noon")
    shown = hour - 12 if twelve_hour and hour > 12 else hour
    return message("reminders.clock.am" if hour < 12 else "reminders.clock.pm", hour=shown)


def _digest(specs: Mapping[str, ReminderSpec]) -> str:
    """What a full sync leaves at Amazon, in 64 characters."""
    parts = sorted(
        f"{key}|{','.join(map(str, spec.hours))}|{spec.time_zone}|{spec.locale}|{spec.text}"
        for key, spec in specs.items()
    )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _same(stored: StoredReminder, spec: ReminderSpec) -> bool:
    return (stored.hours, stored.time_zone, stored.locale, stored.text) == (
        spec.hours,
        spec.time_zone,
        spec.locale,
        spec.text,
    )


class Reminders:
    """Sets up, lists, cancels and keeps in step the patient's reminders at Amazon."""

    def __init__(
        self,
        plan: RecoveryPlan,
        catalogue: Catalogue,
        patients: PatientStore,
        store: ReminderStore,
        guided_sets: GuidedSets,
    ) -> None:
        self.plan = plan
        self.catalogue = catalogue
        self.patients = patients
        self.store = store
        self.guided_sets = guided_sets

    # What the patient asks ------------------------------------------------------------------

    def set_up(self, who: PatientReminded, window: WakingHours | None = None) -> Outcome:
        """'Remind me …' (`window`: 'from nine till nine', kept as the patient's own waking
        hours first): create or update them and say when they come; without the permission,
        hand over to Alexa's permission ask (or, declined within 7 days, the card)."""
        own = who.waking_hours
        if window is not None:
            start, end = whole_hours_window(window)
            self.patients.save_waking_hours(who.user_id, start, end)
            # As stored (whole hours), so the next launch finds nothing to move.
            own = stored_window(start, end)
        self.patients.save_reminders(who.user_id, wanted=True)
        if not who.reminders_permitted:
            return self._ask_permission(who)
        return self._create(who, own)

    def answer_permission(self, who: PatientReminded, status: str | None) -> Outcome:
        """The Connections.Response to the ask: ACCEPTED, DENIED, NOT_ANSWERED, or None when
        Alexa could not ask by voice (the card and 'open the Alexa app')."""
        if status == "ACCEPTED":
            self.patients.save_reminders(who.user_id, wanted=True, declined_on=None)
            # A 401 just after the patient said yes is not answered by asking again (a loop).
            return self._create(who, who.waking_hours, ask_again=False)
        if status is None:
            return self._in_app()
        self.patients.save_reminders(who.user_id, declined_on=who.today)
        return Outcome().say("reminders.declined").ask_anything_else()

    def describe(self, who: PatientReminded) -> Outcome:
        """'What reminders do I have?': one sentence, or none and the offer to set them (also
        without the permission: then none can come)."""
        stored = self.store.all(who.user_id) if who.reminders_permitted else []
        if not stored:
            return (
                Outcome()
                .say("reminders.none")
                .ask("reminders.offer_set", "reminders.offer_set_reprompt")
                .expect(RemindersOffered())
            )
        by_slot = {item.slot_key: item.hours for item in stored}
        return (
            Outcome()
            .say("reminders.listed", schedule=self._schedule(by_slot, who.locale))
            .ask_anything_else()
        )

    def confirm_cancel(self, who: PatientReminded) -> Outcome:
        """'Stop reminding me': 'Stop all your reminders?' (or that there are none)."""
        if self.store.count(who.user_id) == 0:
            if who.patient is not None and who.patient.reminders.wanted:
                self.patients.save_reminders(who.user_id, wanted=False, synced=None)
            return Outcome().say("reminders.none_to_stop").ask_anything_else()
        return (
            Outcome()
            .ask("reminders.confirm_stop", "reminders.confirm_stop_reprompt")
            .expect(RemindersCancelToConfirm())
        )

    def cancel(self, who: PatientReminded) -> Outcome:
        """After yes: delete each reminder at Amazon (a 404 counts as gone), then here."""
        self.patients.save_reminders(who.user_id, wanted=False, synced=STOPPING)
        if not self._delete_all(who):
            return Outcome().say("reminders.stop_failed").ask_anything_else()
        return Outcome().say("reminders.stopped").ask_anything_else()

    def launch_offer(self, who: PatientReminded) -> Outcome | None:
        """Once per patient, who has none and has not declined: 'Shall I remind you …?'."""
        patient = who.patient
        if patient is None or patient.surgery_date is None:
            return None
        state = patient.reminders
        if state.wanted is not None or state.offered_on is not None or state.declined_on:
            return None
        self.patients.save_reminders(who.user_id, offered_on=who.today)
        return (
            Outcome().ask("reminders.offer", "reminders.offer_reprompt").expect(RemindersOffered())
        )

    def answer_offer(self, who: PatientReminded, accepted: bool) -> Outcome:
        """Yes to the offer: `set_up`; no: 'All right.', never offered again."""
        if accepted:
            return self.set_up(who)
        self.patients.save_reminders(who.user_id, wanted=False)
        return Outcome().say("reminders.offer_declined").ask_anything_else()

    # Keeping Amazon in step ------------------------------------------------------------------

    def catch_up(self, who: PatientReminded) -> None:
        """On launch: sync reminders owed (failed earlier, zone or language changed); no API
        call and no read when nothing is owed (the patient's row, read anyway, says)."""
        patient = who.patient
        if patient is None:
            return
        state = patient.reminders
        if state.wanted is False and state.synced == STOPPING:
            if who.reminders_permitted:  # without it, Amazon answers 401: wait for it
                self._delete_all(who)
            return
        if not state.wanted or patient.surgery_date is None or not who.reminders_permitted:
            return
        specs = self._wanted(who, who.waking_hours)
        if state.synced == _digest(specs):
            return
        try:
            self._sync(who, specs)
        except RemindersFault as fault:
            log.info("reminders: catch-up stopped (%s)", fault)

    def on_event(self, who: PatientReminded, request_type: str, body: Mapping[str, Any]) -> None:
        """Reminders.* and AlexaSkillEvent.SkillPermission* events (`body`: the request's
        `body` object): a fired reminder is a prompt; a deleted one is forgotten; a permission
        without the scope forgets them all (the next "remind me" asks again)."""
        if request_type == "Reminders.ReminderStarted":
            token = body.get("alertToken")
            if isinstance(token, str) and token:
                self.store.record_prompt(who.user_id, token, at=who.now)
        elif request_type == "Reminders.ReminderDeleted":
            tokens = [item for item in body.get("alertTokens") or [] if isinstance(item, str)]
            self.store.forget(who.user_id, tokens=tokens)
        elif request_type in {
            "AlexaSkillEvent.SkillPermissionChanged",
            "AlexaSkillEvent.SkillPermissionAccepted",
        }:
            scopes = {
                item.get("scope")
                for item in body.get("acceptedPermissions") or []
                if isinstance(item, Mapping)
            }
            if SCOPE not in scopes:
                self._permission_gone(who)
        else:
            log.info("reminders: %s ignored", request_type)

    def forget_at_amazon(self, who: PatientReminded) -> None:
        """Before the patient's data is deleted: delete each reminder at Amazon, best effort
        (the rows go with the patient's data)."""
        api = who.reminders_api
        stored = self.store.all(who.user_id)
        if not stored:
            return
        if api is None:
            log.warning("reminders: no API to delete %d reminders at Amazon", len(stored))
            return
        for item in stored:
            try:
                api.delete(item.alert_token)
            except RemindersFault as fault:
                if fault.kind is FaultKind.NOT_FOUND:
                    continue
                log.warning("reminders: left %d at Amazon (%s)", len(stored), fault)
                return

    # Inside ----------------------------------------------------------------------------------

    def _ask_permission(self, who: PatientReminded) -> Outcome:
        declined = who.patient.reminders.declined_on if who.patient else None
        if declined is not None and who.today - declined < NO_NEW_ASK:
            return self._in_app()
        return Outcome().say("reminders.ask_lead").hand_over(permission_ask())

    def _in_app(self) -> Outcome:
        return Outcome().say("reminders.in_app").consent_card(SCOPE).ask_anything_else()

    def _create(self, who: PatientReminded, own: WakingHours, *, ask_again: bool = True) -> Outcome:
        specs = self._wanted(who, own)
        try:
            self._sync(who, specs)
        except RemindersFault as fault:
            if fault.kind is FaultKind.PERMISSION_GONE and ask_again:
                return self._ask_permission(who)
            return Outcome().say("reminders.unavailable").ask_anything_else()
        hours = {key: spec.hours for key, spec in specs.items()}
        return (
            Outcome()
            .say("reminders.set_up", schedule=self._schedule(hours, who.locale))
            .ask_anything_else()
        )

    def _slots(self, who: PatientNow, own: WakingHours) -> list[ReminderSlot]:
        return reminder_slots(
            self.guided_sets.allowed(who), self.plan.in_bed_exercises.waking_hours, own
        )

    def _wanted(self, who: PatientReminded, own: WakingHours) -> dict[str, ReminderSpec]:
        """The reminders the patient should have at Amazon now, by slot key."""
        return {
            slot.key: ReminderSpec(
                slot.hours, who.time_zone.key, who.locale, self._text(slot, who.locale)
            )
            for slot in self._slots(who, own)
        }

    def _text(self, slot: ReminderSlot, locale: str) -> str:
        strings = self.catalogue.for_locale(locale)
        if len(slot.exercises) > 1:
            return strings.plain("reminders.text.several")
        exercise = self.plan.exercise(slot.exercises[0])
        name = exercise.name[locale] if exercise else slot.exercises[0]
        text = strings.plain("reminders.text.single", exercise=name)
        # Small screens show about 25 characters: a longer name gives the general text.
        return text if len(text) <= TEXT_LENGTH else strings.plain("reminders.text.several")

    def _sync(self, who: PatientReminded, specs: Mapping[str, ReminderSpec]) -> None:
        """Make Amazon hold `specs`: POST what is missing, PUT what changed, DELETE what is no
        longer wanted. A row is written after each 2xx; the first fault stops (RemindersFault),
        leaving the rest to `catch_up`. When unsure what Amazon holds, it is listed first and
        what is not stored here is adopted or deleted (`_reconcile`)."""
        api = who.reminders_api
        if api is None:
            raise RemindersFault(FaultKind.UNAVAILABLE, "no API client")
        # After the permission was taken back or a POST that failed, what Amazon holds is
        # unknown: its list is read, and each stored reminder is PUT again (a 404 creates it
        # anew), never created beside it.
        unsure = who.patient is None or who.patient.reminders.synced is None
        complete = True
        try:
            if unsure:
                complete = self._reconcile(who, api, specs)
            stored = {item.slot_key: item for item in self.store.all(who.user_id)}
            for key, spec in specs.items():
                known = stored.get(key)
                if known is not None and _same(known, spec) and not unsure:
                    continue
                token = self._put(api, known, spec, who) if known is not None else None
                if token is None:
                    token = self._post(api, key, spec, who)
                if token is None:
                    complete = False  # another request is creating it now
                    continue
                self.store.save(
                    who.user_id,
                    StoredReminder(key, token, spec.hours, spec.time_zone, spec.locale, spec.text),
                    at=who.now,
                )
            for key, known in stored.items():
                if key in specs:
                    continue
                try:
                    api.delete(known.alert_token)
                except RemindersFault as fault:
                    if fault.kind is not FaultKind.NOT_FOUND:
                        raise
                self.store.forget(who.user_id, slot_keys=[key])
        except RemindersFault as fault:
            log.warning("reminders: Amazon answered %s", fault)
            if fault.kind is FaultKind.PERMISSION_GONE:
                self._permission_gone(who)
            raise
        if complete:
            self.patients.save_reminders(who.user_id, synced=_digest(specs))

    def _reconcile(
        self, who: PatientReminded, api: AlexaReminders, specs: Mapping[str, ReminderSpec]
    ) -> bool:
        """List what Amazon holds (all of it this skill's, for this user) and delete each
        reminder not stored here, or adopt it for a wanted slot with none stored and the same
        hours. False (nothing deleted) while another request is creating some: its reminder may
        be at Amazon before its token is stored."""
        held = api.listed()
        rows = self.store.all(who.user_id, claims=True)
        if any(row.alert_token == CLAIMED for row in rows):
            return False
        known = {row.alert_token for row in rows}
        free = {key: spec for key, spec in specs.items() if key not in {r.slot_key for r in rows}}
        for token, hours in held:
            if token in known:
                continue
            key = next((key for key, spec in free.items() if spec.hours == hours), None)
            if key is not None and self.store.claim(who.user_id, key, at=who.now):
                spec = free.pop(key)
                stored = StoredReminder(key, token, hours, spec.time_zone, spec.locale, spec.text)
                self.store.save(who.user_id, stored, at=who.now)
                log.info("reminders: adopted one Amazon held for %s", key)
                continue
            try:
                api.delete(token)
            except RemindersFault as fault:
                if fault.kind is not FaultKind.NOT_FOUND:
                    raise
            log.info("reminders: deleted one Amazon held that was not stored")
        return True

    def _put(
        self, api: AlexaReminders, known: StoredReminder, spec: ReminderSpec, who: PatientReminded
    ) -> str | None:
        """PUT the stored reminder; None when Amazon has it no more (its row is forgotten)."""
        try:
            api.update(known.alert_token, spec, who.now)
            return known.alert_token
        except RemindersFault as fault:
            if fault.kind is not FaultKind.NOT_FOUND:
                raise
        self.store.forget(who.user_id, tokens=[known.alert_token])
        return None

    def _post(
        self, api: AlexaReminders, key: str, spec: ReminderSpec, who: PatientReminded
    ) -> str | None:
        """Claim the slot and POST its reminder; None when another request claimed it. A POST
        that failed unavailable may have been created all the same: the reminders are marked
        unsure, so the next sync lists Amazon's first."""
        if not self.store.claim(who.user_id, key, at=who.now):
            return None
        try:
            return api.create(spec, who.now)
        except RemindersFault as fault:
            self.store.release(who.user_id, key)
            if fault.kind is FaultKind.UNAVAILABLE:
                self.patients.save_reminders(who.user_id, synced=None)
            raise

    def _delete_all(self, who: PatientReminded) -> bool:
        """Delete every reminder at Amazon, forgetting each; False if Amazon could not be
        reached or refused (401): the rest wait for `catch_up`."""
        api = who.reminders_api
        for item in self.store.all(who.user_id):
            if api is None:
                return False
            try:
                api.delete(item.alert_token)
            except RemindersFault as fault:
                if fault.kind is not FaultKind.NOT_FOUND:
                    # Unreachable, or the permission gone (Amazon may still hold them): the
                    # rows stay, `synced` STOPPING, for a launch with the permission to delete.
                    log.warning("reminders: stopping them, Amazon answered %s", fault)
                    return False
            self.store.forget(who.user_id, slot_keys=[item.slot_key])
        self.patients.save_reminders(who.user_id, synced=None)
        return True

    def _permission_gone(self, who: PatientReminded) -> None:
        """The permission was taken back: the alert tokens are kept (Amazon may still hold those
        reminders; given again, they are updated, not doubled), marked unsure."""
        self.patients.save_reminders(who.user_id, synced=None)

    def _schedule(self, hours_by_slot: Mapping[str, Sequence[int]], locale: str) -> Any:
        """When the reminders come, said: 'every hour from 8 AM, the last at 9 PM, with knee
        lifts and bridges at 9 AM, 2 PM and 7 PM' (the last hourly one named, not the window's
        end: 'nine till nine' has its last at 8 PM)."""
        hours_of: dict[str, set[int]] = {}
        for key, hours in hours_by_slot.items():
            for exercise_id in ReminderSlot.exercises_of(key):
                hours_of.setdefault(exercise_id, set()).update(hours)
        hourly: set[int] = set()
        daily: dict[tuple[int, ...], list[str]] = {}
        for exercise_id, its_hours in hours_of.items():
            exercise = self.plan.exercise(exercise_id)
            if exercise is not None and exercise.every_hour:
                hourly.update(its_hours)
            else:
                daily.setdefault(tuple(sorted(its_hours)), []).append(exercise_id)
        twelve_hour = self.catalogue.for_locale(locale).plain("reminders.clock.hours") == "12"

        def at(hour: int) -> Message:
            return clock(hour, twelve_hour=twelve_hour)

        said_daily = [
            message(
                "reminders.schedule.daily",
                exercises=Listed(
                    tuple(self.guided_sets.exercise_name(item, locale) for item in ids)
                ),
                times=Listed(tuple(at(hour) for hour in hours)),
            )
            for hours, ids in daily.items()
        ]
        if not hourly:
            return Listed(tuple(said_daily))
        said_hourly = message(
            "reminders.schedule.hourly", start=at(min(hourly)), end=at(max(hourly))
        )
        if not said_daily:
            return said_hourly
        return message(
            "reminders.schedule.both", hourly=said_hourly, daily=Listed(tuple(said_daily))
        )
