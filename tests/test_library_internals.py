"""Where the skill leans on a library's internals, an upgrade that changes them fails here, loudly.

One place still does: skill/store/prepared.py reads `BindParameter.required` (SQLAlchemy's
attribute behind `bindparam(required=...)`, undocumented as an attribute) to refuse a missing
parameter as SQLAlchemy would. The test below says plainly if it moved, so that an upgrade
(`make upgrade`) stops at the cause rather than at a puzzling failure elsewhere; the parity
tests are tests/store/test_prepared.py. The serializer's date parsing and /care's rate limits
use public APIs only; the last test keeps the internals they once used out of the skill.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Integer, bindparam, column, create_engine, select, table
from sqlalchemy.sql.compiler import SQLCompiler

SKILL = Path(__file__).resolve().parent.parent / "skill"


def test_sqlalchemys_bind_parameters_still_say_whether_a_value_is_required() -> None:
    engine = create_engine("sqlite://")
    sets = table("sets", column("id", Integer), column("outcome"), column("pace"))
    statement = select(sets.c.id).where(
        sets.c.id == bindparam("id"),
        sets.c.outcome == "done",
        sets.c.pace == bindparam("pace", "normal"),
    )
    compiled = statement.compile(dialect=engine.dialect)
    assert isinstance(compiled, SQLCompiler)
    required = {name: getattr(bind, "required", None) for bind, name in compiled.bind_names.items()}
    assert required == {"id": True, "outcome_1": False, "pace": False}, (
        f"SQLAlchemy's BindParameter.required no longer says which values a statement needs "
        f"({required}): skill/store/prepared.py reads it to refuse a missing parameter as "
        "SQLAlchemy does. Keep the locked SQLAlchemy, or find another way to tell "
        "(tests/store/test_prepared.py: test_missing_and_unknown_parameters_are_refused)"
    )


# Internals the skill once used, now replaced by public APIs: (what, where, the public way).
GIVEN_UP = [
    (
        "_DefaultSerializer__",
        "skill/alexa/serializer.py",
        "dateutil.parser.parse, as ask-sdk calls it (_dateutil_timestamp)",
    ),
    ("before_request_funcs", "skill/web/care.py", "limits, called by the /care view"),
    ("after_request_funcs", "skill/web/care.py", "limits, called by the /care view"),
    ("teardown_request_funcs", "skill/web/care.py", "limits, called by the /care view"),
    ("DBAPIError.instance", "skill/store/prepared.py", "sqlalchemy_error"),
    ("compiled.positional", "skill/store/prepared.py", "Dialect.positional"),
]


def test_the_internals_given_up_stay_given_up() -> None:
    sources = {path: path.read_text(encoding="utf-8") for path in SKILL.rglob("*.py")}
    assert len(sources) > 20  # the scan reads the skill's modules
    found = [
        f"{path.relative_to(SKILL.parent)} uses {name} (was in {was}; use {instead})"
        for name, was, instead in GIVEN_UP
        for path, text in sources.items()
        if name in text
    ]
    assert not found, found
