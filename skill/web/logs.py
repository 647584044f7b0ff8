"""Logging: one JSON object per line, a request id on every line, no secret and no readable id.

`configure` makes the root logger write JSON lines to stderr (`spine-coach serve --production`
and gunicorn with `skill.production`). Every line has `time`, `level`, `logger`, `message`
and `request_id` (null outside a request), `exception` with the traceback when there is one,
and the fields passed as `extra` (the access lines' `method`, `path`, `status`, `duration_ms`).

`init_app` gives each request an id: Alexa's `request.requestId` for POST /alexa (its endpoint
hands over the envelope it parsed, `adopt_alexa_request_id`), else a random one. It is on every
line logged while the request is handled, in the `X-Request-Id` response header, and on the
access line logged when the response is ready (logger `skill.access`; health probes at DEBUG,
everything else at INFO).

`redact` replaces, in every line (message, traceback, extra fields): Alexa user, person and
device ids (`amzn1.ask.account.…` → `user:<hash>`, where the hash is the patient key the stream
token names the patient by too, skill.store.keys.patient_key; `amzn1.ask.person.…` →
`person:<hash>`, `amzn1.ask.device.…` → `device:<hash>`), bearer tokens, JWTs, Login with
Amazon tokens (`Atza|…`) and the values of token fields (`apiAccessToken`, `accessToken`,
`consentToken`, `access_token`, …) with `<token:hash>`. The hashes are short and stable, so one
user's lines can still be followed.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, Response, has_request_context, request

from skill.store.keys import device_key, patient_key, stable_hash

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_KEY = "spine_coach.request_id"  # in the WSGI environ: one per request, also nested
_STARTED_KEY = "spine_coach.started"
ACCESS_LOGGER = "skill.access"
ALEXA_ENDPOINT = "alexa.alexa"  # the view of POST /alexa (skill.alexa.endpoint)
HEALTH_ENDPOINTS = frozenset({"alexa.healthz", "alexa.readyz"})
# Alexa's request ids look like amzn1.echo-api.request.<uuid>; anything else is not trusted.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

access_log = logging.getLogger(ACCESS_LOGGER)


# Redaction -----------------------------------------------------------------------------------


def _tagged(tag: str, key: Callable[[str], str]) -> Callable[[re.Match[str]], str]:
    return lambda match: f"{tag}:{key(match[0])}"


def _token(match: re.Match[str]) -> str:
    return f"<token:{stable_hash(match[0], 12)}>"


def _bearer(match: re.Match[str]) -> str:
    return f"{match['scheme']} <token:{stable_hash(match['secret'], 12)}>"


def _field(match: re.Match[str]) -> str:
    return f"{match['key']}{match['sep']}<token:{stable_hash(match['value'], 12)}>"


# What follows an id's prefix: letters, digits and - _ + = in dot-separated parts (a sentence's
# full stop, a path's slash or a colon ends it). The bare prefix alone is replaced as well.
_ID_TAIL = r"(?:[A-Za-z0-9_\-+=]+(?:\.[A-Za-z0-9_\-+=]+)*)?"
_TOKEN_FIELDS = (
    "apiAccessToken|accessToken|consentToken|access_token|refresh_token|id_token|"
    "client_secret|x-amz-access-token|authorization"
)
_REDACTIONS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    # The user id: named by its patient key, as in the stream token (skill.store.keys).
    (re.compile(r"amzn1\.ask\.account\." + _ID_TAIL), _tagged("user", patient_key)),
    (re.compile(r"amzn1\.ask\.person\." + _ID_TAIL), _tagged("person", stable_hash)),
    (re.compile(r"amzn1\.ask\.device\." + _ID_TAIL), _tagged("device", device_key)),
    (
        re.compile(r"\b(?P<scheme>[Bb]earer)\s+(?P<secret>[A-Za-z0-9\-._~+/|]+=*)"),
        _bearer,
    ),
    # JWTs (Alexa's apiAccessToken is one) and Login with Amazon tokens, wherever they are.
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"), _token),
    (re.compile(r"\bAtz[ar]\|" + _ID_TAIL), _token),
    # The value of a token field in JSON, a dict's repr, headers or a query string: whatever
    # the value looks like ("Bearer …" is left to the rule above).
    (
        re.compile(
            rf"(?P<key>\b(?:{_TOKEN_FIELDS})\b)(?P<sep>\\?[\"']?\s*[:=]\s*\\?[\"']?)"
            r"(?!<token:|[Bb]earer\s)"
            r"(?P<value>(?:(?:Basic|Digest|Negotiate|Token)\s+)?[^\s\"'\\,;&<>()\[\]{}]+)",
            re.IGNORECASE,
        ),
        _field,
    ),
)


# Every rule above needs one of these (lower-cased); most log text has none and is let by.
_MARKERS = ("amzn1.ask.", "bearer", "eyj", "atz", "token", "authorization", "client_secret")
_REDACTED = "_spine_coach_redacted"  # set on a record once RedactingFilter has been over it


def redact(text: str) -> str:
    """`text` with every token and readable Alexa id replaced by a short stable hash."""
    lowered = text.lower()
    for marker in _MARKERS:
        if marker in lowered:
            break
    else:
        return text
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """`value` with every string in it redacted (dicts, lists and tuples are walked)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(key)): redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))  # anything else is written as its text: redact that


class RedactingFilter(logging.Filter):
    """Redacts a record in place for every handler: message (arguments merged in), traceback
    text, stack and extra fields. Put it on handlers: a logger's own filters do not see records
    that propagate from its children."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a wrong format string must not fail the code that logs
            message = f"{record.msg!r} (unformattable arguments {record.args!r})"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key in _extra_keys(record):
            setattr(record, key, redact_value(getattr(record, key)))
        request_id = getattr(record, "request_id", None)
        if isinstance(request_id, str):
            record.request_id = redact(request_id)
        setattr(record, _REDACTED, True)
        return True


# JSON lines ----------------------------------------------------------------------------------

_STANDARD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}


def _extra_keys(record: logging.LogRecord) -> list[str]:
    return [key for key in vars(record) if key not in _STANDARD_FIELDS and not key.startswith("_")]


class JsonFormatter(logging.Formatter):
    """One JSON object per line (newlines in messages and tracebacks are escaped), redacted."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!r} (unformattable arguments {record.args!r})"
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            "request_id": getattr(record, "request_id", None),
        }
        for key in _extra_keys(record):
            entry.setdefault(key, getattr(record, key))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        if not getattr(record, _REDACTED, False):  # without RedactingFilter: redact here
            entry = redact_value(entry)
        return json.dumps(entry, default=str)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to records logged while a request is handled (None otherwise)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing redacted JSON lines, with request ids, to `stream` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    return handler


def configure(level: int | str = logging.INFO, stream: IO[str] | None = None) -> None:
    """Make every log line (Python warnings included) a JSON line on stderr, at `level`.

    Replaces the root logger's handlers, so it can be called again (gunicorn does, on HUP).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.addHandler(json_handler(stream))
    root.setLevel(level.upper() if isinstance(level, str) else level)
    logging.captureWarnings(True)


# Request ids ---------------------------------------------------------------------------------


def alexa_request_id(body: bytes) -> str | None:
    """`request.requestId` of an Alexa envelope, if it is there and looks like an id."""
    try:
        envelope = json.loads(body)
    except (ValueError, TypeError, RecursionError):  # RecursionError: [[[[…
        return None
    return envelope_request_id(envelope)


def envelope_request_id(envelope: object) -> str | None:
    """`request.requestId` of a parsed Alexa envelope, if it is there and looks like an id."""
    alexa_request = envelope.get("request") if isinstance(envelope, dict) else None
    value = alexa_request.get("requestId") if isinstance(alexa_request, dict) else None
    return value if isinstance(value, str) and _SAFE_ID.fullmatch(value) else None


def adopt_alexa_request_id(envelope: object) -> None:
    """Make Alexa's id (`request.requestId` of the parsed `envelope`) the id of the request
    being handled, unless it has one already (a line was logged before the envelope was read)
    or the envelope has none that looks like an id: then it gets a random one when first
    needed. POST /alexa's endpoint calls this once it has parsed the body."""
    environ = request.environ
    if REQUEST_ID_KEY not in environ:
        alexa_id = envelope_request_id(envelope)
        if alexa_id is not None:
            environ[REQUEST_ID_KEY] = alexa_id


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    if not has_request_context():
        return None
    request_id = request.environ.get(REQUEST_ID_KEY)
    if request_id is None:  # POST /alexa before its envelope was read, or a hook's early line
        request_id = request.environ[REQUEST_ID_KEY] = uuid.uuid4().hex
    return str(request_id)


def _start_request() -> None:
    environ = request.environ
    environ[_STARTED_KEY] = time.perf_counter()
    if request.endpoint != ALEXA_ENDPOINT:
        environ[REQUEST_ID_KEY] = uuid.uuid4().hex
    # POST /alexa: its endpoint hands over Alexa's id (adopt_alexa_request_id) before it logs.


def _finish_request(response: Response) -> Response:
    request_id = current_request_id() or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    level = logging.DEBUG if request.endpoint in HEALTH_ENDPOINTS else logging.INFO
    if access_log.isEnabledFor(level):
        started = request.environ.get(_STARTED_KEY)
        duration_ms = None if started is None else (time.perf_counter() - started) * 1000
        access_log.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": None if duration_ms is None else round(duration_ms, 2),
            },
        )
    return response


def init_app(app: Flask) -> None:
    """Give every request an id and an access line. Call before other extensions register
    their hooks, so the id is there when they log and the duration covers their work."""
    app.before_request(_start_request)
    app.after_request(_finish_request)
