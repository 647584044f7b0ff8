"""Security headers: every page a person opens (/care, /try) tells the browser to run only this
site's scripts, never be framed, send no Referer and sniff nothing; files are never sniffed;
HSTS over HTTPS only; /alexa, which no browser renders, is left alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from skill.web.headers import CONTENT_SECURITY_POLICY

PAGES = ["/care", "/try"]
TEMPLATES = Path(__file__).resolve().parents[2] / "skill" / "web" / "templates"


def test_pages_carry_a_strict_policy(try_app: Flask) -> None:
    client = try_app.test_client()
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in headers  # plain HTTP: a local trial


def test_the_policy_allows_only_this_sites_scripts_and_no_framing() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_no_template_has_an_inline_script_or_style() -> None:
    """Every page, the caregiver's dashboard included (it needs a session to be fetched)."""
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) >= 4
    for template in templates:
        page = template.read_text(encoding="utf-8")
        for tag in page.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, template
        assert "<style" not in page, template
        assert " style=" not in page, template
        assert " onclick=" not in page, template
        assert "javascript:" not in page, template


def test_the_pages_have_no_inline_script_the_policy_would_block(try_app: Flask) -> None:
    client = try_app.test_client()
    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        for tag in page.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, opening
        assert " onclick=" not in page
        assert " style=" not in page


def test_hsts_over_https(try_app: Flask) -> None:
    response = try_app.test_client().get("/care", base_url="https://care.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_json_answers_of_the_pages_carry_them_too(try_app: Flask) -> None:
    response = try_app.test_client().post("/try/say", json={"text": "hi"})
    assert response.status_code == 400  # no CSRF token
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_audio_files_are_never_sniffed(audio_app: Flask, built_audio: Path) -> None:
    manifest = next(built_audio.glob("tracks/*.mp3"))
    response = audio_app.test_client().get(f"/audio/tracks/{manifest.name}")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


@pytest.mark.usefixtures("alexa_api")
def test_alexa_answers_carry_none_of_them(client: Any) -> None:
    from skill.devtools import envelopes
    from tests.conftest import NOW

    response = client.post("/alexa", json=envelopes.launch(at=NOW))
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response.headers


def test_the_csrf_session_cookie_is_same_site_and_http_only(try_app: Flask) -> None:
    response = try_app.test_client().get("/care")
    cookies = response.headers.getlist("Set-Cookie")
    session = next(cookie for cookie in cookies if cookie.startswith("session="))
    assert "SameSite=Lax" in session
    assert "HttpOnly" in session
