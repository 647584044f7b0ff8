"""/care: the caregiver's page, reached only with a code the patient gave by voice.

A code opens a session bound to that one patient (a random token in a secure, HTTP-only
cookie; its hash in the database). Code attempts are rate limited per client and across all
clients; forms carry a CSRF token. Nothing about any other patient is ever read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response as ResponseBase

from skill.alexa.time_zones import zone_or_none
from skill.services import Services
from skill.store.caregivers import CaregiverAccess
from skill.web.dashboard import build_dashboard

COOKIE = "care_session"
COOKIE_MAX_AGE = 180 * 24 * 3600
EXTENSION = "spine_coach.care"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CareSite:
    """What the caregiver pages need."""

    services: Services
    caregivers: CaregiverAccess
    clock: Callable[[], datetime]


def _site() -> CareSite:
    site = current_app.extensions[EXTENSION]
    assert isinstance(site, CareSite)
    return site


def _patient() -> str | None:
    return _site().caregivers.session_patient(request.cookies.get(COOKIE))


def _zone(site: CareSite, user_id: str) -> ZoneInfo:
    record = site.services.patients.get(user_id)
    stored = zone_or_none(record.time_zone) if record else None
    return stored or ZoneInfo(site.services.default_time_zone)


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _code_page(error: str | None = None, status: int = 200) -> Response:
    """The code form; `error` names the message the template shows ("refused", "too_many")."""
    return _private(make_response(render_template("care/code.html", error=error), status))


def dashboard() -> Response:
    """The patient's dashboard, or the code form."""
    user_id = _patient()
    if user_id is None:
        return _code_page()
    site = _site()
    record = site.services.patients.get(user_id)
    zone = _zone(site, user_id)
    board = build_dashboard(
        plan=site.services.plan,
        locale=(record.locale if record and record.locale else site.services.plan.locales[0]),
        log=site.services.exercise_log,
        check_ins=site.services.check_ins,
        user_id=user_id,
        surgery_date=record.surgery_date if record else None,
        now=site.clock(),
        zone=zone,
    )
    chart_data = {
        "days": [day.strftime("%b %d") for day in board.days],
        "exercises": [
            {"name": series.name, "perDay": series.per_day, "target": series.target}
            for series in board.exercises
        ],
        "pain": [
            {"at": at.astimezone(zone).strftime("%b %d %H:%M"), "score": score}
            for at, score in board.pain
        ],
    }
    page = render_template("care/dashboard.html", board=board, chart_data=chart_data)
    return _private(make_response(page))


def redeem_code() -> ResponseBase:
    """POST /care: a code from the patient opens a session bound to them."""
    site = _site()
    user_id = site.caregivers.redeem(request.form.get("code", ""), at=site.clock())
    if user_id is None:
        return _code_page("refused", 400)
    token = site.caregivers.open_session(user_id, at=site.clock())
    response = redirect("/care", code=303)
    set_private_cookie(response, COOKIE, token, path="/care", max_age=COOKIE_MAX_AGE)
    return response


def set_private_cookie(
    response: ResponseBase, name: str, value: str, *, path: str, max_age: int
) -> None:
    """A cookie only this site's pages under `path` get: HTTP-only, SameSite=Lax, and Secure
    unless SESSION_COOKIE_SECURE is off (a plain-HTTP local trial)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Lax",
        path=path,
    )


def _export_rows(site: CareSite, user_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in site.services.exercise_log.sets_of(user_id):
        rows.append(
            {
                "kind": "set",
                "time": item.started_at.isoformat(),
                "ended": item.ended_at.isoformat() if item.ended_at else "",
                "exercise": item.exercise_id,
                "outcome": item.outcome.value,
                "repetitions": item.repetitions_done,
                "target": item.repetitions_target,
                "pace": item.pace,
                "delivery": item.delivery.value,
                "pain": item.pain_score,
            }
        )
    for at, score in site.services.exercise_log.pain_reports(user_id, EPOCH):
        rows.append({"kind": "pain", "time": at.isoformat(), "pain": score})
    for entry in site.services.check_ins.since(user_id, EPOCH):
        rows.append(
            {
                "kind": "check_in",
                "time": entry.checked_at.isoformat(),
                "pain": entry.pain,
                "walk_minutes": entry.walk_minutes,
                "sitting_minutes": entry.sitting_minutes,
                "worried": entry.worried,
                "alerts": " ".join(entry.alerts),
            }
        )
    return rows


EXPORT_FIELDS = (
    "kind",
    "time",
    "ended",
    "exercise",
    "outcome",
    "repetitions",
    "target",
    "pace",
    "delivery",
    "pain",
    "walk_minutes",
    "sitting_minutes",
    "worried",
    "alerts",
)


def export_csv() -> Response:
    """Everything logged for the patient, as CSV."""
    user_id = _patient()
    if user_id is None:
        return _code_page(status=401)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(_export_rows(_site(), user_id))
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="spine-coach.csv"'
    return _private(response)


def export_json() -> Response:
    """Everything logged for the patient, as JSON."""
    user_id = _patient()
    if user_id is None:
        return _code_page(status=401)
    site = _site()
    record = site.services.patients.get(user_id)
    response = jsonify(
        surgery_date=record.surgery_date.isoformat() if record and record.surgery_date else None,
        records=_export_rows(site, user_id),
    )
    response.headers["Content-Disposition"] = 'attachment; filename="spine-coach.json"'
    return _private(response)


@contextmanager
def hooks_scoped_to(app: Flask, blueprint: str) -> Iterator[None]:
    """Request hooks that an extension adds to the whole app within this block run for
    `blueprint`'s requests only (Flask keeps app-wide hooks under None, a blueprint's under
    its name)."""
    registries: tuple[dict[str | None, list[Any]], ...] = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    )
    before = [list(registry.get(None, [])) for registry in registries]
    yield
    for registry, kept in zip(registries, before, strict=True):
        added = [hook for hook in registry.get(None, []) if hook not in kept]
        registry[None] = [hook for hook in registry.get(None, []) if hook in kept]
        registry.setdefault(blueprint, []).extend(added)


def register(
    app: Flask, site: CareSite, *, storage_uri: str, per_client: str, overall: str
) -> None:
    """Mount /care with its rate limits (per client and across clients)."""
    pages = Blueprint("care", __name__, url_prefix="/care")
    # Flask-Limiter hooks into every request of the app; only /care is limited, so its hooks
    # run for /care alone and /alexa never pays for them. Should Redis go away, each
    # instance keeps limiting in memory until it is back.
    with hooks_scoped_to(app, pages.name):
        limiter = Limiter(
            get_remote_address,
            app=app,
            storage_uri=storage_uri,
            default_limits=[],
            in_memory_fallback_enabled=True,
        )
    redeem = limiter.limit(per_client)(
        limiter.shared_limit(overall, scope="care-code-all", key_func=lambda: "all")(redeem_code)
    )
    pages.add_url_rule("", "dashboard", dashboard, methods=["GET"])
    pages.add_url_rule("", "redeem_code", redeem, methods=["POST"])
    pages.add_url_rule("/export.csv", "export_csv", export_csv, methods=["GET"])
    pages.add_url_rule("/export.json", "export_json", export_json, methods=["GET"])
    app.extensions[EXTENSION] = site
    app.register_blueprint(pages)

    @app.errorhandler(RateLimitExceeded)
    def too_many(_error: RateLimitExceeded) -> Response:
        return _code_page("too_many", 429)
