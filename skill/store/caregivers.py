"""Caregiver access with the patient's consent: one-time codes and the sessions they open.

A code is twelve random digits (CODE_DIGITS; README's Caregivers section has the guessing
arithmetic), valid for ten minutes and once. Only a keyed hash of it is stored
(HMAC with the app's secret key: a copy of the database alone does not give the codes away).
Redeeming a code opens a session bound to that one patient; the browser keeps a random token,
the database only its hash. A session is refused SESSION_MAX_AGE after it opened, or once
unused for SESSION_IDLE_TIMEOUT (its use is written down at most once per SESSION_TOUCH_EVERY,
to keep writes rare). The caregiver can sign out (that session ends); the patient can end
every caregiver session at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from skill.store.request_connection import reading, writing
from skill.store.tables import CAREGIVER_CODES, CAREGIVER_SESSIONS
from skill.store.utc import to_utc

CODE_DIGITS = 12
CODE_GROUP = 3  # said and shown in groups of three digits: "123 456 789 012"
CODE_LIFETIME = timedelta(minutes=10)
SESSION_MAX_AGE = timedelta(hours=12)
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_TOUCH_EVERY = timedelta(minutes=1)
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")  # ASCII digits only (\d takes any script's)
_CODES = CAREGIVER_CODES
_SESSIONS = CAREGIVER_SESSIONS


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _live(now: datetime) -> ColumnElement[bool]:
    """Sessions neither revoked, nor past their maximum age, nor idle too long at `now`."""
    return (
        _SESSIONS.c.revoked_at.is_(None)
        & (_SESSIONS.c.created_at > now - SESSION_MAX_AGE)
        & (_SESSIONS.c.last_used_at > now - SESSION_IDLE_TIMEOUT)
    )


def code_groups(code: str) -> list[str]:
    """The code in groups of CODE_GROUP digits, as it is said and shown."""
    return [code[start : start + CODE_GROUP] for start in range(0, len(code), CODE_GROUP)]


class CaregiverAccess:
    """Issues and redeems codes, opens, finds and revokes caregiver sessions."""

    def __init__(self, engine: Engine, secret_key: bytes) -> None:
        if len(secret_key) < 16:
            raise ValueError("the secret key must be at least 16 bytes")
        self._engine = engine
        self._secret = secret_key

    def _code_hash(self, code: str) -> str:
        return hmac.new(self._secret, code.encode("ascii"), hashlib.sha256).hexdigest()

    def issue_code(self, user_id: str, *, at: datetime) -> str:
        """A new code for the patient; their earlier unused code stops working."""
        now = to_utc(at)
        for _ in range(20):
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            try:
                with writing(self._engine) as connection:
                    connection.execute(
                        delete(_CODES).where(
                            _CODES.c.used_at.is_(None),
                            (_CODES.c.expires_at <= now) | (_CODES.c.user_id == user_id),
                        )
                    )
                    connection.execute(
                        insert(_CODES).values(
                            user_id=user_id,
                            code_hash=self._code_hash(code),
                            created_at=now,
                            expires_at=now + CODE_LIFETIME,
                        )
                    )
            except IntegrityError:
                continue  # the same code is live for someone else: draw again
            return code
        raise RuntimeError("could not draw a free caregiver code")

    def redeem(self, code: str, *, at: datetime) -> str | None:
        """The patient a valid, unused, unexpired code belongs to; the code is then used up."""
        code = "".join(code.split())  # as shown, in groups, or typed without spaces
        if not _CODE.fullmatch(code):
            return None
        now = to_utc(at)
        statement = (
            update(_CODES)
            .where(
                _CODES.c.code_hash == self._code_hash(code),
                _CODES.c.used_at.is_(None),
                _CODES.c.expires_at > now,
            )
            .values(used_at=now)
            .returning(_CODES.c.user_id)
        )
        with writing(self._engine) as connection:
            user_id = connection.execute(statement).scalar_one_or_none()
        return str(user_id) if user_id is not None else None

    def open_session(self, user_id: str, *, at: datetime) -> str:
        """A new caregiver session for the patient; returns the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = to_utc(at)
        with writing(self._engine) as connection:
            connection.execute(
                insert(_SESSIONS).values(
                    token_hash=_token_hash(token), user_id=user_id, created_at=now, last_used_at=now
                )
            )
        return token

    def session_patient(self, token: str | None, *, at: datetime) -> str | None:
        """The patient a live session token is bound to, the session being used now: refused
        if revoked, older than SESSION_MAX_AGE or unused for SESSION_IDLE_TIMEOUT. Its last use
        is written at most once per SESSION_TOUCH_EVERY."""
        if not token or len(token) > 128:
            return None
        now = to_utc(at)
        found = _SESSIONS.c.token_hash == _token_hash(token)
        statement = select(_SESSIONS.c.user_id, _SESSIONS.c.last_used_at).where(found, _live(now))
        with reading(self._engine) as connection:
            row = connection.execute(statement).one_or_none()
        if row is None:
            return None
        if now - row.last_used_at >= SESSION_TOUCH_EVERY:
            with writing(self._engine) as connection:
                connection.execute(
                    update(_SESSIONS)
                    .where(found, _SESSIONS.c.last_used_at <= now - SESSION_TOUCH_EVERY)
                    .values(last_used_at=now)
                )
        return str(row.user_id)

    def sign_out(self, token: str | None, *, at: datetime) -> bool:
        """End the one session `token` opened (a caregiver signing out); whether it was live."""
        if not token or len(token) > 128:
            return False
        with writing(self._engine) as connection:
            result = connection.execute(
                update(_SESSIONS)
                .where(
                    _SESSIONS.c.token_hash == _token_hash(token), _SESSIONS.c.revoked_at.is_(None)
                )
                .values(revoked_at=to_utc(at))
            )
        return result.rowcount > 0

    def open_sessions(self, user_id: str, *, at: datetime) -> int:
        """How many caregiver sessions of the patient are live at `at`."""
        statement = (
            select(func.count())
            .select_from(_SESSIONS)
            .where(_SESSIONS.c.user_id == user_id, _live(to_utc(at)))
        )
        with reading(self._engine) as connection:
            return int(connection.execute(statement).scalar_one())

    def revoke_all(self, user_id: str, *, at: datetime) -> int:
        """End every caregiver session of the patient (and any unused code); how many live
        sessions ended (those already expired are over anyway)."""
        now = to_utc(at)
        with writing(self._engine) as connection:
            connection.execute(
                delete(_CODES).where(_CODES.c.user_id == user_id, _CODES.c.used_at.is_(None))
            )
            result = connection.execute(
                update(_SESSIONS)
                .where(_SESSIONS.c.user_id == user_id, _live(now))
                .values(revoked_at=now)
            )
        return result.rowcount
