"""The patient's reminders at Amazon (one alert token per slot) and the prompts they fired.

A row is written only after Amazon said it created or updated that reminder; setting up twice
finds the row and creates nothing twice (one row per patient and slot). Before a POST the slot
is claimed (`claim`: a row with no alert token yet, inserted only if the slot has none), so of
two requests setting up at once only one creates each slot; a claim is not a reminder (`all`
and `count` skip it) and one left by a request that died is taken over after CLAIM_EXPIRES.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select, true, update

from skill.store.dialects import upsert_insert
from skill.store.request_connection import reading, writing
from skill.store.tables import REMINDER_PROMPTS, REMINDERS
from skill.store.utc import to_utc


@dataclass(frozen=True)
class StoredReminder:
    """One reminder at Amazon as the skill last created or updated it."""

    slot_key: str
    alert_token: str
    hours: tuple[int, ...]
    time_zone: str
    locale: str
    text: str


# The alert token of a claimed slot, not yet created at Amazon.
CLAIMED = ""
# A claim older than this was left by a request that died: another may take the slot over.
CLAIM_EXPIRES = timedelta(seconds=30)


def _hours(value: str) -> tuple[int, ...]:
    return tuple(int(hour) for hour in value.split(",") if hour)


class ReminderStore:
    """Reads and writes the patient's reminders and prompts; each call one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = upsert_insert(engine)

    def all(self, user_id: str, *, claims: bool = False) -> list[StoredReminder]:
        """The patient's reminders at Amazon, by slot (`claims`: with the slots being created
        now, alert token CLAIMED, read in the same query)."""
        with reading(self._engine) as connection:
            rows = connection.execute(
                select(
                    REMINDERS.c.slot_key,
                    REMINDERS.c.alert_token,
                    REMINDERS.c.hours,
                    REMINDERS.c.time_zone,
                    REMINDERS.c.locale,
                    REMINDERS.c.text,
                )
                .where(
                    REMINDERS.c.user_id == user_id,
                    REMINDERS.c.alert_token != CLAIMED if not claims else true(),
                )
                .order_by(REMINDERS.c.slot_key)
            ).all()
        return [
            StoredReminder(key, token, _hours(hours), zone, locale, text)
            for key, token, hours, zone, locale, text in rows
        ]

    def save(self, user_id: str, reminder: StoredReminder, *, at: datetime) -> None:
        """Keep `reminder` (Amazon created or updated it), replacing the slot's earlier row."""
        now = to_utc(at)
        values = {
            "alert_token": reminder.alert_token,
            "hours": ",".join(str(hour) for hour in reminder.hours),
            "time_zone": reminder.time_zone,
            "locale": reminder.locale,
            "text": reminder.text,
            "updated_at": now,
        }
        statement = self._insert(REMINDERS).values(
            user_id=user_id, slot_key=reminder.slot_key, created_at=now, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=[REMINDERS.c.user_id, REMINDERS.c.slot_key], set_=values
        )
        with writing(self._engine) as connection:
            connection.execute(statement)

    def claim(self, user_id: str, slot_key: str, *, at: datetime) -> bool:
        """Claim the slot before creating its reminder at Amazon: True for the one request that
        may POST it; False when it is stored already or another request claimed it (less than
        CLAIM_EXPIRES ago)."""
        now = to_utc(at)
        statement = (
            self._insert(REMINDERS)
            .values(
                user_id=user_id,
                slot_key=slot_key,
                alert_token=CLAIMED,
                hours="",
                time_zone="",
                locale="",
                text="",
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(REMINDERS.c.slot_key)
        )
        with writing(self._engine) as connection:
            # RETURNING, not rowcount: the request's connection may not report a rowcount.
            if connection.execute(statement).first() is not None:
                return True
            taken_over = connection.execute(
                update(REMINDERS)
                .where(
                    REMINDERS.c.user_id == user_id,
                    REMINDERS.c.slot_key == slot_key,
                    REMINDERS.c.alert_token == CLAIMED,
                    REMINDERS.c.updated_at < now - CLAIM_EXPIRES,
                )
                .values(updated_at=now)
                .returning(REMINDERS.c.slot_key)
            )
            return taken_over.first() is not None

    def release(self, user_id: str, slot_key: str) -> None:
        """Give up the claim of a slot whose POST failed (a stored reminder stays)."""
        with writing(self._engine) as connection:
            connection.execute(
                delete(REMINDERS).where(
                    REMINDERS.c.user_id == user_id,
                    REMINDERS.c.slot_key == slot_key,
                    REMINDERS.c.alert_token == CLAIMED,
                )
            )

    def forget(
        self, user_id: str, *, slot_keys: Iterable[str] = (), tokens: Iterable[str] = ()
    ) -> int:
        """Forget the patient's reminders of these slots or alert tokens; how many were kept."""
        keys, alert_tokens = list(slot_keys), list(tokens)
        if not keys and not alert_tokens:
            return 0
        with writing(self._engine) as connection:
            result = connection.execute(
                delete(REMINDERS).where(
                    REMINDERS.c.user_id == user_id,
                    REMINDERS.c.slot_key.in_(keys) | REMINDERS.c.alert_token.in_(alert_tokens),
                )
            )
        return int(result.rowcount or 0)

    def record_prompt(self, user_id: str, alert_token: str, *, at: datetime) -> bool:
        """A reminder of the patient fired at `at`; False if that one was recorded already or
        the token is not theirs."""
        with writing(self._engine) as connection:
            slot_key = connection.execute(
                select(REMINDERS.c.slot_key).where(
                    REMINDERS.c.user_id == user_id, REMINDERS.c.alert_token == alert_token
                )
            ).scalar_one_or_none()
            if slot_key is None:
                return False
            statement = (
                self._insert(REMINDER_PROMPTS)
                .values(
                    user_id=user_id, alert_token=alert_token, fired_at=to_utc(at), slot_key=slot_key
                )
                .on_conflict_do_nothing()
            )
            return bool(connection.execute(statement).rowcount)

    def prompts(self, user_id: str, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
        """The prompts fired from `start` until `end`: (slot key, when), earliest first."""
        with reading(self._engine) as connection:
            rows = connection.execute(
                select(REMINDER_PROMPTS.c.slot_key, REMINDER_PROMPTS.c.fired_at)
                .where(
                    REMINDER_PROMPTS.c.user_id == user_id,
                    REMINDER_PROMPTS.c.fired_at >= to_utc(start),
                    REMINDER_PROMPTS.c.fired_at < to_utc(end),
                )
                .order_by(REMINDER_PROMPTS.c.fired_at)
            ).all()
        return [(key or "", fired_at) for key, fired_at in rows]

    def count(self, user_id: str) -> int:
        """How many reminders the patient has at Amazon."""
        with reading(self._engine) as connection:
            return int(
                connection.execute(
                    select(func.count())
                    .select_from(REMINDERS)
                    .where(REMINDERS.c.user_id == user_id)
                ).scalar_one()
            )
