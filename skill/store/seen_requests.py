"""Requests already taken: a signed Alexa request is accepted once, on any worker or instance.

Alexa signs every request and the skill refuses one whose timestamp is more than 150 s from
now (an hour for skill lifecycle events), but within that window the same signed bytes could
be sent again: a pain report counted twice, a caregiver code issued to whoever replayed the
request, a deletion. Each verified request id is remembered here, in the database every
instance shares, until its window has passed; a second sight of it is a replay.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, delete

from skill.store.dialects import upsert_insert
from skill.store.prepared import HotPath
from skill.store.request_connection import writing
from skill.store.tables import SEEN_REQUESTS
from skill.store.utc import UtcDateTime, to_utc

# Expired ids are swept at most this often per process (a sweep is one indexed DELETE).
SWEEP_EVERY_S = 60.0
# Ids are kept this long past their window, so that an instance whose clock runs ahead does
# not forget an id that another instance would still take as fresh.
CLOCK_SKEW_MARGIN = timedelta(minutes=5)
log = logging.getLogger(__name__)


class SeenRequests:
    """Alexa request ids taken, each until the moment its request could no longer be fresh."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._hot = HotPath(engine)
        # Every verified request runs this: prepared once (skill.store.prepared).
        self._take = self._hot.prepare(
            upsert_insert(engine)(SEEN_REQUESTS)
            .values(
                request_id=bindparam("request_id"),
                expires_at=bindparam("expires_at", type_=UtcDateTime()),
            )
            .on_conflict_do_nothing(index_elements=[SEEN_REQUESTS.c.request_id])
            .returning(SEEN_REQUESTS.c.request_id)
        )
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def first_time(self, request_id: str, *, now: datetime, until: datetime) -> bool:
        """Take `request_id`, remembered until `until`; False if it was taken already (a replay).

        One statement: the insert is skipped when the id is there, so two workers given the
        same request at once cannot both take it."""
        with self._hot.transaction() as cursor:
            taken = bool(self._take.rows(cursor, request_id=request_id, expires_at=to_utc(until)))
        self._sweep_now_and_then(now)
        return taken

    def forget_expired(self, now: datetime) -> int:
        """Forget the ids whose window has passed; how many."""
        with writing(self._engine) as connection:
            result = connection.execute(
                delete(SEEN_REQUESTS).where(SEEN_REQUESTS.c.expires_at < to_utc(now))
            )
        return result.rowcount

    def _sweep_now_and_then(self, now: datetime) -> None:
        with self._lock:
            if time.monotonic() < self._next_sweep:
                return
            self._next_sweep = time.monotonic() + SWEEP_EVERY_S
        try:  # the id is taken already: a failed sweep must not fail the request
            self.forget_expired(now - CLOCK_SKEW_MARGIN)
        except Exception:
            log.warning("could not forget expired request ids", exc_info=True)
