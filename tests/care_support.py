"""The caregiver site as a caregiver and a patient use it, for the tests of /care
(tests/web/test_care.py) and of attacks on it (tests/security/): the patient's code by voice,
the form's CSRF token, a code entered from an address, and the app's clock the tests move."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from skill.devtools import envelopes
from skill.devtools.dialog import Dialog
from skill.store.caregivers import CODE_DIGITS
from tests.conftest import NOW

PATIENT, OTHER = envelopes.DEFAULT_USER, "amzn1.ask.account.OTHERPATIENT"
_CODE_GROUP = re.compile(r'<say-as interpret-as="digits">([0-9]{3})</say-as>')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    """The app's clock, moved by the tests."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    """`clock`: the app's clock, at NOW until a test moves it (a module imports the function)."""
    return Clock(NOW)


def code_for(client: FlaskClient, user_id: str, at: datetime = NOW) -> str:
    """The code a patient gets by saying 'give my caregiver access'."""
    dialog = Dialog(client, at=at, user_id=user_id)
    reply = dialog.say("CaregiverCodeIntent")
    return said_code(reply.ssml)


def said_code(ssml: str) -> str:
    """The code in the speech: its groups of three digits, each said digit by digit."""
    groups = _CODE_GROUP.findall(ssml)
    assert len(groups) == CODE_DIGITS // 3, ssml
    return "".join(groups)


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the /care page's form, for this browser."""
    page = client.get("/care").get_data(as_text=True)
    found = _CSRF.search(page)
    assert found is not None
    return found.group(1)


def enter(client: FlaskClient, code: str, *, ip: str = "192.0.2.10") -> Any:
    """`code` typed into the /care form from the address `ip`."""
    return client.post(
        "/care",
        data={"code": code, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": ip},
    )
