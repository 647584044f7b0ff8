"""Where the skill leans on a library's internals, an upgrade that changes them fails here, loudly.

Three places do so for speed, each pinned by uv.lock and each with parity tests of its own
(named in the messages below). These tests say plainly which internal moved, so that an
upgrade (`make upgrade`) stops at the cause rather than at a puzzling failure elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from sqlalchemy import Integer, bindparam, column, create_engine, select, table
from sqlalchemy.sql.compiler import SQLCompiler

from skill.web.care import hooks_scoped_to


def test_ask_sdk_still_has_the_private_date_parser_the_serializer_falls_back_to() -> None:
    parser = getattr(DefaultSerializer, "_DefaultSerializer__deserialize_datetime", None)
    assert parser is not None, (
        "ask-sdk-core no longer has DefaultSerializer.__deserialize_datetime, which "
        "skill/alexa/serializer.py calls for timestamps fromisoformat cannot read: keep the "
        "locked ask-sdk-core, or give the serializer a parser of its own "
        "(tests/alexa/test_serializer.py compares it with DefaultSerializer)"
    )
    parsed = parser(DefaultSerializer(), "2026-11-20T15:00:00Z", datetime)
    assert parsed == datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_sqlalchemys_compiled_statements_still_expose_what_prepared_sql_reads() -> None:
    engine = create_engine("sqlite://")
    sets = table("sets", column("id", Integer), column("outcome"))
    statement = select(sets.c.id).where(sets.c.id == bindparam("id"), sets.c.outcome == "done")
    compiled = statement.compile(dialect=engine.dialect)
    assert isinstance(compiled, SQLCompiler)
    problems = [
        name
        for name in ("positional", "positiontup", "binds", "params")
        if not hasattr(compiled, name)
    ]
    assert not problems, (
        f"SQLAlchemy's SQLCompiler no longer has {problems}, which skill/store/prepared.py reads "
        "to run the hot path's statements: keep the locked SQLAlchemy "
        "(tests/store/test_prepared.py compares its results with Core's)"
    )
    assert compiled.positional
    assert list(compiled.positiontup or []) == ["id", "outcome_1"]
    assert compiled.binds["id"].required
    assert compiled.params == {"id": None, "outcome_1": "done"}


def _hooks(app: Flask) -> dict[str, dict[str | None, list[Any]]]:
    registries = (
        "before_request_funcs",
        "after_request_funcs",
        "teardown_request_funcs",
        "url_value_preprocessors",
        "url_default_functions",
        "template_context_processors",
    )
    return {name: {k: list(v) for k, v in getattr(app, name).items()} for name in registries}


def test_flask_limiter_still_hooks_in_only_where_hooks_scoped_to_can_move_it() -> None:
    app = Flask(__name__)
    before_any = _hooks(app)
    teardowns = list(app.teardown_appcontext_funcs)
    pages = Blueprint("care", __name__)
    with hooks_scoped_to(app, pages.name):
        Limiter(get_remote_address, app=app, storage_uri="memory://", default_limits=[])
    after = _hooks(app)
    app_wide = {
        name: [hook for hook in after[name].get(None, []) if hook not in before_any[name][None]]
        for name in after
    }
    assert not any(app_wide.values()), (
        f"Flask-Limiter added app-wide hooks that skill/web/care.py's hooks_scoped_to does "
        f"not move under /care: {app_wide}; /alexa would pay for them on every request"
    )
    assert after["before_request_funcs"].get("care"), (
        "Flask-Limiter no longer registers a before-request hook the way hooks_scoped_to "
        "expects; /care's code limits may not run (tests/web/test_care.py)"
    )
    assert list(app.teardown_appcontext_funcs) == teardowns
