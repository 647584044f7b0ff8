"""Stored check-ins: one row per finished check-in, with the alerts it set off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, bindparam, insert, select

from skill.content.check_in import Answers
from skill.store.prepared import HotPath
from skill.store.request_connection import writing
from skill.store.tables import CHECK_INS
from skill.store.utc import to_utc

_TABLE = CHECK_INS


@dataclass(frozen=True)
class StoredCheckIn:
    """A check-in as read back."""

    checked_at: datetime
    pain: int | None
    walk_minutes: int | None
    sitting_minutes: int | None
    worried: bool | None
    alerts: tuple[str, ...]


def _number(value: int | bool | None) -> int | None:
    return None if value is None or isinstance(value, bool) else value


class CheckIns:
    """Saves and reads check-ins; each call is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Read by every spoken summary: prepared once (skill.store.prepared).
        self._hot = HotPath(engine)
        self._since_sql = self._hot.prepare(
            select(_TABLE)
            .where(
                _TABLE.c.user_id == bindparam("user_id"), _TABLE.c.checked_at >= bindparam("since")
            )
            .order_by(_TABLE.c.checked_at)
        )

    def save(self, user_id: str, *, at: datetime, answers: Answers, alerts: Sequence[str]) -> None:
        """Store a finished check-in."""
        worried = answers.get("worried")
        with writing(self._engine) as connection:
            connection.execute(
                insert(_TABLE).values(
                    user_id=user_id,
                    checked_at=to_utc(at),
                    pain=_number(answers.get("pain")),
                    walk_minutes=_number(answers.get("walk_minutes")),
                    sitting_minutes=_number(answers.get("sitting_minutes")),
                    worried=worried if isinstance(worried, bool) else None,
                    alerts=",".join(alerts),
                )
            )

    def since(self, user_id: str, since: datetime) -> list[StoredCheckIn]:
        """The patient's check-ins from `since` on, oldest first."""
        statement = self._since_sql
        rows = [
            dict(zip(statement.columns, row, strict=True))
            for row in self._hot.rows(statement, user_id=user_id, since=since)
        ]
        return [
            StoredCheckIn(
                checked_at=row["checked_at"],
                pain=row["pain"],
                walk_minutes=row["walk_minutes"],
                sitting_minutes=row["sitting_minutes"],
                worried=row["worried"],
                alerts=tuple(alert for alert in row["alerts"].split(",") if alert),
            )
            for row in rows
        ]
