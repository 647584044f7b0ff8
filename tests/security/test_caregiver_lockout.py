"""Attack: lock every caregiver out. One client sends wrong codes as fast as it can to spend
the code attempts allowed across the deployment, so that caregivers elsewhere with right codes
are refused (issue 15: 130 wrong codes from one address once kept everyone out for a minute).

Each attempt counts against the client's own limits first, atomically, and only wrong codes
count against the shared limit (skill.web.care.CodeAttemptLimits), so one client spends at most
its own limit of the shared one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.store.caregivers import CODE_DIGITS
from skill.store.patients import PatientStore
from skill.web.care import CodeAttemptLimits, client_key
from tests.care_support import (  # noqa: F401  (clock_fixture: the `clock` fixture)
    PATIENT,
    Clock,
    clock_fixture,
    code_for,
    enter,
)

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = [pytest.mark.date_sensitive, pytest.mark.both_databases]


def _fail(limits: CodeAttemptLimits, client: str) -> bool:
    """One wrong code by `client`: whether it was let in to try."""
    allowed = limits.take_attempt(client)
    if allowed:
        limits.record_failure(client)
    return allowed


def test_a_clients_own_limit_is_checked_first_and_refusals_spend_nothing_shared(
    time_machine: Any,
) -> None:
    time_machine.move_to(datetime(2026, 11, 20, 10, 0, 5), tick=False)
    limits = CodeAttemptLimits(
        "memory://", per_client="2 per minute; 3 per hour", overall="5 per minute"
    )
    # "a" is held to its own 2 a minute however often it tries; its refusals cost the others
    # nothing, so "b" and "c" still get their tries of the shared 5.
    assert [_fail(limits, "a") for _ in range(50)] == [True, True] + [False] * 48
    assert [_fail(limits, "b") for _ in range(3)] == [True, True, False]
    assert _fail(limits, "c")
    assert not _fail(limits, "d")  # the shared 5 a minute are spent (2 + 2 + 1)
    time_machine.move_to(datetime(2026, 11, 20, 10, 1, 5), tick=False)
    assert [_fail(limits, "a") for _ in range(2)] == [True, False]  # 3 an hour
    assert limits.take_attempt("a") is False


def test_right_codes_do_not_spend_the_shared_limit() -> None:
    limits = CodeAttemptLimits("memory://", per_client="100 per minute", overall="2 per minute")
    for _ in range(10):
        assert limits.take_attempt("a")  # a right code: tried, never recorded as a failure
    limits.record_failure("a")
    limits.record_failure("a")
    assert not limits.take_attempt("a")
    assert not limits.take_attempt("b")  # the shared 2 are spent by the failures alone


def test_parallel_attempts_cannot_slip_past_a_clients_own_limit() -> None:
    """The race: requests in flight together all checked the counters before any counted."""
    import threading

    limits = CodeAttemptLimits("memory://", per_client="5 per minute", overall="1000 per minute")
    start, results = threading.Barrier(16), []

    def attempt() -> None:
        start.wait()
        results.append(limits.take_attempt("203.0.113.9"))

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(results) == [False] * 11 + [True] * 5


def test_an_ipv6_host_is_counted_by_its_64_network() -> None:
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_key("192.0.2.7") == "192.0.2.7"
    limits = CodeAttemptLimits("memory://", per_client="2 per minute", overall="1000 per minute")
    hosts = [f"2001:db8:1:2::{n:x}" for n in range(1, 10)]
    assert [limits.take_attempt(host) for host in hosts] == [True, True] + [False] * 7


def test_one_client_cannot_lock_other_caregivers_out(
    database_url: str, alexa_api: Any, clock: Clock
) -> None:
    """The attack: one address sends wrong codes as fast as it can to spend the deployment-wide
    limit; caregivers on other addresses with right codes still get in meanwhile."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "VERIFY_REQUESTS": False,
            "CLOCK": clock,
            "CARE_CODE_LIMIT": "5 per minute",
            "CARE_CODE_GLOBAL_LIMIT": "10 per minute",
        }
    )
    try:
        PatientStore(app.extensions[EXTENSION].engine).save_surgery_date(
            PATIENT, date(2026, 10, 21), locale="en-US"
        )
        attacker = app.test_client()
        statuses = [
            enter(attacker, "0" * CODE_DIGITS, ip="203.0.113.66").status_code for _ in range(130)
        ]
        assert statuses[:5] == [400] * 5
        assert set(statuses[5:]) == {429}
        for n in (1, 2):
            caregiver = app.test_client()
            code = code_for(caregiver, PATIENT)
            assert enter(caregiver, code, ip=f"198.51.100.{n}").status_code == 303
    finally:
        app.extensions[EXTENSION].engine.dispose()
