"""What the apps need: the local test PKI as PEM files, a seeded SQLite database and, for the
PostgreSQL scenarios, a seeded throw-away PostgreSQL schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.scenarios import AUDIO_SET, AUDIO_TOKEN, AUDIO_USER, EXERCISE_USER
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.devtools.signing import LocalPki, make_pki
from skill.store.engine import make_engine, upgrade
from skill.store.exercise_log import Delivery, ExerciseLog
from skill.store.patients import PatientStore

# The benchmark patient is three weeks past surgery, so launch and phase answers are the
# returning-patient ones; the stored zone matches the device's, so no request writes.
SURGERY_DAYS_AGO = 21
TIME_ZONE = "America/New_York"


@dataclass(frozen=True)
class Fixtures:
    """Paths and objects the driver hands to the apps and uses to sign requests."""

    pki: LocalPki
    root_pem: Path
    chain_pem: Path
    database_url: str
    postgres_url: str | None = None


def prepare(workdir: Path, postgres_url: str | None = None) -> Fixtures:
    """Write the PKI's root and chain PEM files and a migrated, seeded database in `workdir`;
    seed `postgres_url` too (an empty schema, migrated) when given."""
    pki = make_pki(now=datetime.now(UTC))
    root_pem = workdir / "root.pem"
    chain_pem = workdir / "chain.pem"
    root_pem.write_bytes(pki.root_pem())
    chain_pem.write_bytes(pki.chain_pem())
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    upgrade(database_url)
    seed(database_url)
    if postgres_url is not None:
        seed(postgres_url)
    return Fixtures(
        pki=pki,
        root_pem=root_pem,
        chain_pem=chain_pem,
        database_url=database_url,
        postgres_url=postgres_url,
    )


def seed(database_url: str) -> None:
    """Store the benchmark user with a surgery date and time zone."""
    engine = make_engine(database_url)
    try:
        store = PatientStore(engine)
        surgery_date = datetime.now(UTC).date() - timedelta(days=SURGERY_DAYS_AGO)
        store.save_surgery_date(envelopes.DEFAULT_USER, surgery_date, locale="en-US")
        store.save_time_zone(envelopes.DEFAULT_USER, TIME_ZONE)
        record = store.get(envelopes.DEFAULT_USER)
        if record is None or record.surgery_date != surgery_date:
            raise RuntimeError("the benchmark patient was not stored")
        for user in (AUDIO_USER, EXERCISE_USER):
            store.save_surgery_date(user, surgery_date, locale="en-US")
            store.save_time_zone(user, TIME_ZONE)
        exercise_log = ExerciseLog(engine)
        playing = exercise_log.start(
            AUDIO_USER,
            "bridges",
            pace=Pace.NORMAL,
            delivery=Delivery.AUDIO,
            target=10,
            at=datetime.now(UTC),
            set_id=AUDIO_SET,
        )
        exercise_log.update(playing.set_id, stream=AUDIO_TOKEN.encode())
    finally:
        engine.dispose()
