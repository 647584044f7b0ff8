"""/care: the caregiver's page, reached only with a code the patient gave by voice.

A code opens a session bound to that one patient (a random token in a secure, HTTP-only
cookie; its hash in the database). The server refuses a session 12 hours after it opened or
after 30 minutes unused (skill.store.caregivers), and "Sign out" (POST /care/sign-out) ends it
there and clears the cookie; a refused session gets the code form again. Code attempts are
rate limited per client and across all clients; forms carry a CSRF token. Nothing about any
other patient is ever read. The pages speak the caregiver's language (skill.web.language:
Accept-Language or the switch on every page); the plan's text is in that language where the
plan has it, else in the patient's; the exports keep machine formats.

The limits are counted by the code-entry view itself, with the `limits` library's public API
(`CodeAttemptLimits`): no request hook is added to the app, so `/alexa` never runs any of it.
With the default limits and storage, the library (about 40 ms to import) is imported at the
first code attempt rather than at start-up; limits or a storage set in the configuration are
still checked at start-up.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response as ResponseBase

from skill.alexa.time_zones import zone_or_none
from skill.config import ENV_PREFIX, ConfigError, Settings
from skill.content.strings import Catalogue
from skill.services import Services
from skill.store.caregivers import SESSION_MAX_AGE, CaregiverAccess
from skill.web.dashboard import Dashboard, build_dashboard
from skill.web.headers import page_blueprint
from skill.web.language import (
    date_and_time,
    html_lang,
    page_choices,
    page_locale_of,
    remember_choice,
    short_date,
)

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.strategies import RateLimiter

COOKIE = "care_session"
COOKIE_MAX_AGE = int(SESSION_MAX_AGE.total_seconds())  # the server refuses it after that anyway
EXTENSION = "spine_coach.care"
LIMITS_EXTENSION = "spine_coach.care_limits"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

log = logging.getLogger(__name__)


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
    """The patient of the request's live session (its use noted), or None."""
    site = _site()
    return site.caregivers.session_patient(request.cookies.get(COOKIE), at=site.clock())


def _zone(site: CareSite, user_id: str) -> ZoneInfo:
    record = site.services.patients.get(user_id)
    stored = zone_or_none(record.time_zone) if record else None
    return stored or ZoneInfo(site.services.default_time_zone)


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def code_request_for(catalogue: Catalogue, page_locale: str) -> str | None:
    """What the patient says for a code, from the strings of the skill locale this page language
    stands for; None where no skill locale has it (the page then describes the request)."""
    for skill_locale in catalogue.locales:
        if page_locale_of(skill_locale) == page_locale:
            return catalogue.for_locale(skill_locale).plain("caregiver.request")
    return None


def _code_page(error: str | None = None, status: int = 200) -> Response:
    """The code form; `error` names the message the template shows ("refused", "too_many")."""
    code_request = code_request_for(_site().services.catalogue, str(get_locale()))
    page = render_template("care/code.html", error=error, code_request=code_request)
    return _private(make_response(page, status))


def _plan_locale(site: CareSite, patient_locale: str | None) -> str:
    """The plan's text in the page's language where the plan has it, else in the patient's."""
    plan_locales = site.services.plan.locales
    page = str(get_locale())
    for locale in plan_locales:
        if page_locale_of(locale) == page:
            return locale
    return patient_locale if patient_locale in plan_locales else plan_locales[0]


def chart_data(board: Dashboard, zone: ZoneInfo) -> dict[str, Any]:
    """What care.js draws, its labels in the page's language (the page may run no inline
    script: the data travels as JSON in the page)."""
    return {
        "locale": html_lang(),
        "days": [short_date(day) for day in board.days],
        "exercises": [
            {
                "name": series.name,
                "targetLabel": gettext("%(exercise)s target", exercise=series.name),
                "perDay": series.per_day,
                "target": series.target,
            }
            for series in board.exercises
        ],
        "pain": [
            {"at": date_and_time(at.astimezone(zone)), "score": score} for at, score in board.pain
        ],
        "labels": {"sets": gettext("sets"), "pain": gettext("pain (0 to 10)")},
    }


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
        locale=_plan_locale(site, record.locale if record else None),
        exercise_log=site.services.exercise_log,
        check_ins=site.services.check_ins,
        reminders=site.services.reminders.store,
        user_id=user_id,
        surgery_date=record.surgery_date if record else None,
        own_hours=record.waking_hours if record else None,
        now=site.clock(),
        zone=zone,
    )
    page = render_template("care/dashboard.html", board=board, chart_data=chart_data(board, zone))
    return _private(make_response(page))


def _remember_language(response: Response) -> Response:
    secure = bool(current_app.config["SESSION_COOKIE_SECURE"])
    remember_choice(response, path="/care", secure=secure)
    return response


class CodeAttemptLimits:
    """Wrong codes counted per client and across all clients, in memory or in Redis.

    Built so that no one client can lock the others out: every attempt first counts against
    the client's own limits, atomically (`take_attempt`: parallel requests cannot slip past
    them), and only then is the shared limit checked; only wrong codes count against the
    shared limit (`record_failure`). So a client refused by its own limit spends nothing of the
    shared one, and one client can spend at most its own limit of it (5 a minute of 60 by
    default). An IPv6 client is its /64 network (one host is given a whole /64), so one host
    cannot pose as many clients. The shared limit still bounds guessing across many addresses.
    Counters keep Flask-Limiter's keys (it counted them before). Should the storage fail,
    attempts are counted in this process's memory until a health check, retried with a
    doubling back-off of up to RECHECK_MAX seconds, finds it back.
    """

    # Flask-Limiter's identifiers for these two limits, kept so that counters in Redis carry on.
    OVERALL = ("all", "care-code-all")
    PER_CLIENT_SCOPE = "care.redeem_code"
    RECHECK_MAX = 32.0

    def __init__(
        self,
        storage_uri: str,
        *,
        per_client: str,
        overall: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from limits.storage import MemoryStorage, Storage, storage_from_string
        from limits.strategies import FixedWindowRateLimiter

        shared = _parsed(overall, "the code limit across clients", "CARE_CODE_GLOBAL_LIMIT")
        own = _parsed(per_client, "the per-client code limit", "CARE_CODE_LIMIT")
        # (limit, whether it is shared by all clients): the client's own first, then the
        # shared ones, each shortest window first.
        self._order = [(item, False) for item in sorted(own)] + [
            (item, True) for item in sorted(shared)
        ]
        storage = storage_from_string(storage_uri)
        if not isinstance(storage, Storage):
            raise ConfigError(f"{ENV_PREFIX}_RATELIMIT_STORAGE_URL={storage_uri!r} is asynchronous")
        self._storage = storage
        self._counted: RateLimiter = FixedWindowRateLimiter(storage)
        self._in_memory: RateLimiter = FixedWindowRateLimiter(MemoryStorage())
        self._clock = clock
        self._recheck_at: float | None = None  # set while the storage is taken to be down
        self._recheck_after = 1.0

    def take_attempt(self, client: str) -> bool:
        """Count an attempt against `client`'s own limits (atomically), then check the shared
        one: whether the client may try a code now."""

        def take(limiter: RateLimiter) -> bool:
            # Shortest window first, stopping at the first that is over (as Flask-Limiter did:
            # a refusal by the minute limit does not count towards the hour).
            for item, keys in self._keys(client, shared=False):
                if not limiter.hit(item, *keys):
                    return False
            return all(limiter.test(item, *keys) for item, keys in self._keys(client, shared=True))

        return self._with_storage(take)

    def record_failure(self, client: str) -> None:
        """Count a wrong code against the limits shared by all clients."""
        self._with_storage(
            lambda limiter: all(
                [limiter.hit(item, *keys) for item, keys in self._keys(client, shared=True)]
            )
        )

    def _keys(self, client: str, *, shared: bool) -> list[tuple[RateLimitItem, tuple[str, str]]]:
        if shared:
            return [(item, self.OVERALL) for item, is_shared in self._order if is_shared]
        own = (client_key(client), self.PER_CLIENT_SCOPE)
        return [(item, own) for item, is_shared in self._order if not is_shared]

    def _with_storage(self, action: Callable[[RateLimiter], bool]) -> bool:
        if self._storage_usable():
            try:
                return action(self._counted)
            except Exception:
                log.warning("rate-limit storage unreachable: counting code attempts in memory")
                self._recheck_at = self._clock() + self._recheck_after
        return action(self._in_memory)

    def _storage_usable(self) -> bool:
        if self._recheck_at is None:
            return True
        if self._clock() < self._recheck_at:
            return False
        try:
            healthy = self._storage.check()
        except Exception:
            healthy = False
        if healthy:
            log.info("rate-limit storage is back: counting code attempts there again")
            self._recheck_at, self._recheck_after = None, 1.0
            return True
        self._recheck_after = min(self._recheck_after * 2, self.RECHECK_MAX)
        self._recheck_at = self._clock() + self._recheck_after
        return False


def client_key(address: str) -> str:
    """Whom limits count by: an IPv4 address, or an IPv6 address's /64 network."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def _parsed(limits: str, what: str, setting: str) -> list[RateLimitItem]:
    """The limits a setting lists ('5 per minute; 20 per hour'); none for an empty one, as
    with Flask-Limiter. A mistake stops start-up (Flask-Limiter failed every attempt)."""
    if not limits:
        return []
    from limits import parse_many

    try:
        return parse_many(limits)
    except ValueError as error:
        raise ConfigError(
            f"{ENV_PREFIX}_{setting}={limits!r}: {what} must read like '5 per minute; 20 per hour'"
        ) from error


class CodeAttemptLimitsOnFirstUse:
    """The app's CodeAttemptLimits, built by `build` at the first code attempt (once, whichever
    thread gets there first), unless given already built."""

    def __init__(
        self, build: Callable[[], CodeAttemptLimits], built: CodeAttemptLimits | None = None
    ) -> None:
        self._build = build
        self._built = built
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """Whether the limits exist yet (the limits library is imported by then)."""
        return self._built is not None

    def take_attempt(self, client: str) -> bool:
        """CodeAttemptLimits.take_attempt, building the limits first if need be."""
        return self._limits().take_attempt(client)

    def record_failure(self, client: str) -> None:
        """CodeAttemptLimits.record_failure."""
        self._limits().record_failure(client)

    def _limits(self) -> CodeAttemptLimits:
        limits = self._built
        if limits is None:
            with self._lock:
                if self._built is None:
                    self._built = self._build()
                limits = self._built
        return limits


def _defaults(*names: str) -> tuple[Any, ...]:
    return tuple(Settings.model_fields[name].default for name in names)


# The settings whose limits need no check at start-up: the defaults (tests parse them).
DEFAULT_LIMITS = _defaults("RATELIMIT_STORAGE_URL", "CARE_CODE_LIMIT", "CARE_CODE_GLOBAL_LIMIT")


def redeem_code() -> ResponseBase:
    """POST /care: a code from the patient opens a session bound to them (attempts limited)."""
    limits = current_app.extensions[LIMITS_EXTENSION]
    assert isinstance(limits, CodeAttemptLimitsOnFirstUse)
    client = request.remote_addr or "127.0.0.1"
    if not limits.take_attempt(client):
        return _code_page("too_many", 429)
    site = _site()
    user_id = site.caregivers.redeem(request.form.get("code", ""), at=site.clock())
    if user_id is None:
        limits.record_failure(client)
        return _code_page("refused", 400)
    token = site.caregivers.open_session(user_id, at=site.clock())
    response = redirect("/care", code=303)
    set_private_cookie(response, COOKIE, token, path="/care", max_age=COOKIE_MAX_AGE)
    return response


def sign_out() -> ResponseBase:
    """POST /care/sign-out: the session of this cookie ends on the server; the cookie goes."""
    site = _site()
    site.caregivers.sign_out(request.cookies.get(COOKIE), at=site.clock())
    response = redirect("/care", code=303)
    response.delete_cookie(
        COOKIE,
        path="/care",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Lax",
    )
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


# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, quoted with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return f"'{value}"
    return value


def export_csv() -> Response:
    """Everything logged for the patient, as CSV."""
    user_id = _patient()
    if user_id is None:
        return _code_page(status=401)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(
        {key: _spreadsheet_safe(value) for key, value in row.items()}
        for row in _export_rows(_site(), user_id)
    )
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


def init_app(
    app: Flask,
    site: CareSite,
    *,
    csrf: CSRFProtect,
    storage_uri: str,
    per_client: str,
    overall: str,
) -> None:
    """Mount /care with its code-attempt limits (per client and across clients) and `csrf`
    checked on its forms. Only the code-entry view counts the limits; should Redis go away,
    each instance keeps limiting in memory until it is back."""
    pages = page_blueprint("care", __name__, "/care", csrf)
    pages.add_url_rule("", "dashboard", dashboard, methods=["GET"])
    pages.add_url_rule("", "redeem_code", redeem_code, methods=["POST"])
    pages.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])
    pages.add_url_rule("/export.csv", "export_csv", export_csv, methods=["GET"])
    pages.add_url_rule("/export.json", "export_json", export_json, methods=["GET"])
    pages.after_request(_remember_language)
    pages.context_processor(lambda: {"languages": page_choices()})
    app.extensions[EXTENSION] = site

    def build() -> CodeAttemptLimits:
        return CodeAttemptLimits(storage_uri, per_client=per_client, overall=overall)

    # Configured limits or storage are built, and so checked, now: a mistake stops start-up.
    configured = (storage_uri, per_client, overall) != DEFAULT_LIMITS
    app.extensions[LIMITS_EXTENSION] = CodeAttemptLimitsOnFirstUse(
        build, build() if configured else None
    )
    app.register_blueprint(pages)
