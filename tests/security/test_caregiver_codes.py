"""Attack: guess any live caregiver code across the deployment. Codes are 12 digits, so with
100 live codes and the whole deployment-wide limit (60 a minute) for a year the expected
number of codes guessed stays below 0.01 (README, Caregivers)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import Engine

from skill.alexa.endpoint import EXTENSION
from skill.config import Settings
from skill.store.caregivers import CODE_DIGITS, CODE_LIFETIME, CaregiverAccess, code_groups
from tests.conftest import NOW, TEST_SECRET_KEY

LIVE_CODES = 100
MINUTES_A_YEAR = 60 * 24 * 365


@pytest.fixture
def access(app: Flask) -> CaregiverAccess:
    engine: Engine = app.extensions[EXTENSION].engine
    return CaregiverAccess(engine, TEST_SECRET_KEY.encode())


def per_minute(limit: str) -> int:
    found = re.fullmatch(r"(\d+) per minute", limit)
    assert found is not None, limit
    return int(found.group(1))


def test_a_year_of_the_whole_limit_against_100_live_codes_expects_under_a_hundredth() -> None:
    guesses_a_year = per_minute(Settings().CARE_CODE_GLOBAL_LIMIT) * MINUTES_A_YEAR
    assert guesses_a_year == 31_536_000
    expected_hits = LIVE_CODES / 10**CODE_DIGITS * guesses_a_year
    assert expected_hits == pytest.approx(0.0031536)
    assert expected_hits < 0.01


def test_codes_are_twelve_random_ascii_digits(access: CaregiverAccess) -> None:
    codes = {access.issue_code(f"amzn1.ask.account.P{n}", at=NOW) for n in range(LIVE_CODES)}
    assert len(codes) == LIVE_CODES
    assert all(re.fullmatch(r"[0-9]{12}", code) for code in codes)
    # Each position takes many digits: not a counter nor a fixed prefix.
    for position in range(CODE_DIGITS):
        assert len({code[position] for code in codes}) >= 5


def test_a_code_works_typed_in_groups_once_and_not_after_ten_minutes(
    access: CaregiverAccess,
) -> None:
    code = access.issue_code("amzn1.ask.account.P1", at=NOW)
    assert code_groups(code) == [code[0:3], code[3:6], code[6:9], code[9:12]]
    assert access.redeem(" ".join(code_groups(code)), at=NOW) == "amzn1.ask.account.P1"
    assert access.redeem(code, at=NOW) is None  # used up
    late = access.issue_code("amzn1.ask.account.P1", at=NOW)
    assert access.redeem(late, at=NOW + CODE_LIFETIME + timedelta(seconds=1)) is None


@pytest.mark.parametrize(
    "guess",
    [
        "",
        "0" * 6,  # the old length
        "0" * 11,
        "0" * 13,
        "\u0660" * 12,  # Arabic-Indic zeros: \d would take them
        "\uff10" * 12,  # full-width zeros
        "0" * 11 + "x",
    ],
)
def test_guesses_of_another_form_match_nothing(access: CaregiverAccess, guess: str) -> None:
    access.issue_code("amzn1.ask.account.P1", at=NOW)
    assert access.redeem(guess, at=NOW) is None


def test_the_six_leading_digits_of_a_live_code_match_nothing(access: CaregiverAccess) -> None:
    code = access.issue_code("amzn1.ask.account.P1", at=NOW)
    assert access.redeem(code[:6], at=NOW) is None
    assert access.redeem(code, at=NOW) == "amzn1.ask.account.P1"
