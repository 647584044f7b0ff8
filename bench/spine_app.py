"""Spine Coach as production builds it, with only the network edges replaced by local stand-ins.

Verification is on (the local test root is the trust store, the chain "download" reads a file
and the verifier caches it), every request reads the patient from a real SQLite database, and
the device time zone comes from a stand-in for Amazon's settings API. One thing is turned off:
the replay check, because the load generator sends one signed body many times (see `create`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography import x509
from flask import Flask

from skill import create_app
from skill.devtools import envelopes
from skill.devtools.simulator.local_api import LocalAlexaApi

# Set by the driver (bench.__main__) for the gunicorn workers.
DATABASE_URL_ENV = "BENCH_DATABASE_URL"
ROOT_PEM_ENV = "BENCH_ROOT_PEM"
CHAIN_PEM_ENV = "BENCH_CHAIN_PEM"

DEVICE_TIME_ZONE = "America/New_York"
_TIME_ZONE_PATH = re.compile(r"/v2/devices/[^/]+/settings/System\.timeZone$")
_JSON = [("Content-Type", "application/json")]


class ChainFile:
    """The certificate chain "download": the PEM bytes of a local file, whatever the URL."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __call__(self, url: str) -> bytes:
        return self._path.read_bytes()


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run the benchmark with `python -m bench`")
    return value


def _required_path(name: str) -> Path:
    return Path(_required(name))


def create() -> Flask:
    """The WSGI app, for gunicorn: `bench.spine_app:create()`."""
    database_url = _required(DATABASE_URL_ENV)
    root_pem = _required_path(ROOT_PEM_ENV).read_bytes()
    return create_app(
        {
            "VERIFY_REQUESTS": True,
            "SKILL_ID": envelopes.DEFAULT_SKILL_ID,
            "DATABASE_URL": database_url,
            "TRUST_ROOTS": x509.load_pem_x509_certificates(root_pem),
            "CERT_CHAIN_FETCHER": ChainFile(_required_path(CHAIN_PEM_ENV)),
            "ALEXA_API_CLIENT": LocalAlexaApi(DEVICE_TIME_ZONE),
            # wrk sends one signed body many times: as replays, all but the first would be
            # refused. The check's own cost (one insert) is measured in-process instead.
            "REFUSE_REPLAYS": False,
        }
    )
