"""The cookie session is opened only where a page uses one (/care, /try), never for Alexa."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from skill.devtools import envelopes
from skill.web.sessions import CookieSessionsExcept
from tests.conftest import NOW


class Spy(CookieSessionsExcept):
    """The app's session interface, noting every session it opens and every cookie it reads."""

    def __init__(self, real: CookieSessionsExcept) -> None:
        super().__init__(real.paths, real.prefixes)
        self.opened: list[tuple[str, SessionMixin]] = []
        self.cookie_reads = 0

    def get_signing_serializer(self, app: Flask) -> Any:
        self.cookie_reads += 1  # Flask's cookie session reads the cookie through it
        return super().get_signing_serializer(app)

    def open_session(self, app: Flask, request: Request) -> Any:
        opened = super().open_session(app, request)
        null = self.make_null_session(app)
        self.opened.append((request.path, null if opened is None else opened))
        return opened


@pytest.fixture
def spy(app: Flask) -> Spy:
    real = app.session_interface
    assert isinstance(real, CookieSessionsExcept)
    app.session_interface = spy = Spy(real)
    return spy


def test_alexa_health_probes_and_audio_get_no_session_and_no_cookie(app: Flask, spy: Spy) -> None:
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "a-cookie-nobody-should-read")
    alexa = client.post("/alexa", json=envelopes.launch(at=NOW))
    assert alexa.status_code == 200
    assert "Spine Coach" in json.dumps(alexa.get_json())
    others = [client.get(path) for path in ("/healthz", "/readyz", "/audio/none.mp3")]
    assert [response.status_code for response in others] == [200, 200, 404]
    assert [path for path, _ in spy.opened] == [
        "/alexa",
        "/healthz",
        "/readyz",
        "/audio/none.mp3",
    ]
    assert all(spy.is_null_session(session) for _, session in spy.opened)
    assert spy.cookie_reads == 0
    for response in (alexa, *others):
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")


def test_the_caregivers_page_still_has_its_cookie_session(app: Flask, spy: Spy) -> None:
    client = app.test_client()
    page = client.get("/care")
    assert page.status_code == 200
    ((path, session),) = spy.opened
    assert path == "/care"
    assert not spy.is_null_session(session)
    assert spy.cookie_reads >= 1
    assert "csrf_token" in session  # the form's token is kept in the session
    assert app.config["SESSION_COOKIE_NAME"] + "=" in page.headers["Set-Cookie"]


def test_the_sessionless_paths_are_the_routes_of_alexa_and_audio(app: Flask) -> None:
    interface = app.session_interface
    assert isinstance(interface, CookieSessionsExcept)
    assert interface.paths == {"/alexa", "/healthz", "/readyz"}
    assert interface.prefixes == ("/audio/",)
    for path in ("/alexa", "/healthz", "/readyz", "/audio/tracks/en-US/x.mp3"):
        assert interface.is_sessionless(path)
    for path in ("/care", "/care/export.csv", "/try", "/try/say", "/alexa/", "/audio", "/"):
        assert not interface.is_sessionless(path)


def test_without_paths_it_is_flasks_cookie_session(app: Flask) -> None:
    interface = CookieSessionsExcept()
    assert isinstance(interface, SecureCookieSessionInterface)
    with app.test_request_context("/alexa"):
        from flask import request

        session = interface.open_session(app, request)
    assert session is not None
    assert not interface.is_null_session(session)
