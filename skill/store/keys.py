"""Short, stable, non-reversible names for ids and secrets.

A patient is named by `patient_key` wherever the user id itself must not appear: in the logs
(`user:<key>`, skill.web.logs) and in the AudioPlayer stream token (skill.sets.tokens), whose
handlers check the key against the requesting user. Both use this one function, so a log line
and a stream token name the same patient alike. A device is named by `device_key`.
"""

from __future__ import annotations

import hashlib

KEY_LENGTH = 16


def stable_hash(text: str, length: int = KEY_LENGTH) -> str:
    """A short, stable, non-reversible name for a secret or an id (sha256, hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def patient_key(user_id: str) -> str:
    """The patient's name in logs and stream tokens: a hash of the Alexa user id."""
    return stable_hash(user_id)


def device_key(device_id: str) -> str:
    """A device's name in logs and stored preferences: a hash of the Alexa device id."""
    return stable_hash(device_id)
