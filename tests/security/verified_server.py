"""Spine Coach as production builds it, with verification against a local PKI, for tests that
run it as a separate process (gunicorn: `tests.security.verified_server:create()`).

Settings come from SPINE_COACH_* as in production (verification and the replay check on by
default); only the network edges are local: the trust store is the local root, the chain
"download" reads a file, and Amazon's settings API is answered in-process.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from flask import Flask

from skill import create_app
from skill.devtools.simulator.local_api import LocalAlexaApi

# Set by the test that starts the process.
ROOT_PEM_ENV = "VERIFIED_SERVER_ROOT_PEM"
CHAIN_PEM_ENV = "VERIFIED_SERVER_CHAIN_PEM"
DEVICE_TIME_ZONE = "America/New_York"


def create() -> Flask:
    """The WSGI app, for gunicorn."""
    root_pem = Path(os.environ[ROOT_PEM_ENV]).read_bytes()
    chain_pem = Path(os.environ[CHAIN_PEM_ENV]).read_bytes()
    return create_app(
        {
            "TRUST_ROOTS": x509.load_pem_x509_certificates(root_pem),
            "CERT_CHAIN_FETCHER": lambda url: chain_pem,
            "ALEXA_API_CLIENT": LocalAlexaApi(DEVICE_TIME_ZONE),
        }
    )
