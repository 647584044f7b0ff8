"""Replays across processes: the same signed bytes sent to one server process and then to
another, which share only the database (a SQLite file, or PostgreSQL), are refused by the
second and change nothing. The in-process tests (test_replays.py) give two apps one process;
here nothing but the database is shared, as between two workers or two machines.

Each server is gunicorn with production's worker (skill.production.WaitressWorker) on a free
loopback port, verifying signatures against a local PKI (tests/security/verified_server.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bench.server import gunicorn, options
from skill.devtools import envelopes
from skill.devtools.signing import LocalPki, make_pki
from skill.store.engine import make_engine
from skill.store.patients import PatientStore
from skill.store.tables import CAREGIVER_CODES, PAIN_REPORTS
from tests.conftest import TEST_SECRET_KEY
from tests.security.verified_server import CHAIN_PEM_ENV, ROOT_PEM_ENV

pytestmark = pytest.mark.slow

USER = envelopes.DEFAULT_USER
APP = "tests.security.verified_server:create()"


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    """The shared database, the patient in it with a surgery date a month ago."""
    engine = make_engine(database_url)
    PatientStore(engine).save_surgery_date(
        USER, datetime.now(UTC).date() - timedelta(days=30), locale="en-US"
    )
    yield engine
    engine.dispose()


@pytest.fixture
def pki() -> LocalPki:
    return make_pki(now=datetime.now(UTC))  # the servers check certificates on the real clock


@pytest.fixture
def servers(
    database_url: str, db: Engine, pki: LocalPki, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """Two server processes on the one database, each gunicorn with one worker."""
    root_pem, chain_pem = tmp_path / "root.pem", tmp_path / "chain.pem"
    root_pem.write_bytes(pki.root_pem())
    chain_pem.write_bytes(pki.chain_pem())
    (tmp_path / "audio").mkdir()
    env = {
        "SPINE_COACH_DATABASE_URL": database_url,
        "SPINE_COACH_SKILL_ID": envelopes.DEFAULT_SKILL_ID,
        "SPINE_COACH_SECRET_KEY": TEST_SECRET_KEY,
        "SPINE_COACH_AUDIO_DIR": str(tmp_path / "audio"),
        ROOT_PEM_ENV: str(root_pem),
        CHAIN_PEM_ENV: str(chain_pem),
    }
    serving = options(workers=1, threads=2, worker_class="production")
    with ExitStack() as stack:
        first, second = (
            stack.enter_context(
                gunicorn(APP, gunicorn_options=serving, env=env, log_path=tmp_path / f"{n}.log")
            )
            for n in ("first", "second")
        )
        yield first, second


def send(base: str, pki: LocalPki, body: bytes) -> tuple[int, str]:
    """POST the signed `body` to /alexa: the status and the answer's text."""
    headers = {"Content-Type": "application/json", **pki.headers(body)}
    request = urllib.request.Request(f"{base}/alexa", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, refused.read().decode()


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def signed(name: str, **slots: str) -> bytes:
    """An intent request of now (the servers check timestamps on the real clock)."""
    filled = {slot: envelopes.slot(slot, value) for slot, value in slots.items()}
    return json.dumps(envelopes.intent(name, filled, at=datetime.now(UTC), user_id=USER)).encode()


def test_replays_to_another_process_are_refused_and_change_nothing(
    servers: tuple[str, str], pki: LocalPki, db: Engine
) -> None:
    first, second = servers
    pain = signed("PainReportIntent", score="8")
    status, answer = send(first, pki, pain)
    assert status == 200, answer
    assert count(db, PAIN_REPORTS) == 1
    status, answer = send(second, pki, pain)
    assert status == 400, answer
    assert count(db, PAIN_REPORTS) == 1
    # The attack on codes: a replayed "give my caregiver access" would cancel the patient's
    # code and read a new one to whoever replayed it.
    code = signed("CaregiverCodeIntent")
    status, answer = send(second, pki, code)
    assert status == 200, answer
    assert "say-as" in answer  # the code, read to the patient
    status, answer = send(first, pki, code)
    assert status == 400
    assert "say-as" not in answer
    assert count(db, CAREGIVER_CODES) == 1
    # New requests are still answered by both: only the replays were refused.
    for base in (first, second):
        status, answer = send(base, pki, signed("PainReportIntent", score="4"))
        assert status == 200, answer
    assert count(db, PAIN_REPORTS) == 3
