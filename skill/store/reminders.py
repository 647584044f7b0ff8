"""The patient's reminders at Amazon (one alert token per slot) and the prompts they fired.

A row is written only after Amazon said it created or updated that reminder; setting up twice
finds the row and creates nothing twice (one row per patient and slot).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, select

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


def _hours(value: str) -> tuple[int, ...]:
    return tuple(int(hour) for hour in value.split(",") if hour)


class ReminderStore:
    """Reads and writes the patient's reminders and prompts; each call one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = upsert_insert(engine)

    def all(self, user_id: str) -> list[StoredReminder]:
        """The patient's reminders at Amazon, by slot."""
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
                .where(REMINDERS.c.user_id == user_id)
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

    def forget_all(self, user_id: str) -> None:
        """Forget every reminder of the patient (they are gone at Amazon, or will be)."""
        with writing(self._engine) as connection:
            connection.execute(delete(REMINDERS).where(REMINDERS.c.user_id == user_id))

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
