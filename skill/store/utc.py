"""Times in UTC: how every stored time is written and read, and the two rules behind it.

SQLite keeps a datetime's wall-clock text only, without its zone, so every stored value must
share one zone: UTC. PostgreSQL hands back an aware value in the session's zone. `UtcDateTime`,
the type of every datetime column, writes aware times as UTC and reads them back aware, in UTC,
on either database (through Core and through the prepared statements alike, as both use the
type's bind and result processors).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


def to_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive time is refused, since its zone would only be a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone")
    return moment.astimezone(UTC)


def read_utc(moment: datetime) -> datetime:
    """`moment` in UTC, a naive time taken as UTC already (SQLite's stored values; a request
    timestamp without its "Z")."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A `DateTime(timezone=True)` column that stores aware times as UTC (naive ones are
    refused) and always reads them back aware, in UTC."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else to_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else read_utc(value)
