"""The statements every request runs, compiled once and executed on pooled DBAPI connections.

A SQLAlchemy Core execution rebuilds the statement's expression, looks its compiled form up
in the cache by a generated key and wraps the rows in a Result: several times the cost of the
indexed query itself. The few statements on the hot path (reading the patient, the set in
progress, a week's sets for the summary; starting a set, recording where a stream stopped)
are prepared here instead: SQLAlchemy still writes the SQL for the dialect and converts the
values both ways (its bind and result processors), the pool still hands out and pre-pings the
connections, and errors still come out as SQLAlchemy's exceptions — only the per-call
machinery is skipped. Everything else goes through SQLAlchemy as usual. Inside a request
scope (skill.store.request_connection) the statements run on the request's one connection.

Only SQLAlchemy's documented API is used: `ClauseElement.compile`, the compiled statement's
string, `SQLCompiler.bind_names`, `.params` and `.positiontup`, `Dialect.positional`, `.name`,
`.loaded_dbapi`, `.is_disconnect` and `.dbapi_exception_translation_map`,
`TypeEngine.dialect_impl`, `.bind_processor` and `.result_processor`, `exported_columns`,
`Engine.raw_connection` and its pooled connection (`cursor`, `commit`, `close`,
`dbapi_connection`, `invalidate`; in a request scope `Connection.connection` and
`Connection.invalidate`), and the `sqlalchemy.exc` classes. One internal remains:
`BindParameter.required`, the attribute behind `bindparam(required=...)` that SQLAlchemy reads
to refuse a missing value, read here for the same purpose (tests/test_library_internals.py
says so should an upgrade move it).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, CursorResult, Engine, String, literal_column
from sqlalchemy import exc as sqlalchemy_errors
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from skill.store.request_connection import LentConnection, lent_connection

_PLAIN_WORD = re.compile(r"[a-z_]+")
Processor = Callable[[Any], Any]
Row = tuple[Any, ...]
# SQLAlchemy's wrapper for each PEP 249 exception, by the name PEP 249 gives it.
_WRAPPERS: dict[str, type[DBAPIError]] = {
    name: getattr(sqlalchemy_errors, name)
    for name in (
        "InterfaceError",
        "DatabaseError",
        "DataError",
        "OperationalError",
        "IntegrityError",
        "InternalError",
        "ProgrammingError",
        "NotSupportedError",
    )
}


def constant(value: str) -> ColumnElement[str]:
    """A fixed word written into the SQL rather than bound: a bound value that could decide
    whether a partial index applies makes SQLite plan the statement again at every execution
    (and PostgreSQL's generic plans skip the index)."""
    if not _PLAIN_WORD.fullmatch(value):
        raise ValueError(f"not a plain lowercase word: {value!r}")
    return literal_column(f"'{value}'", String)


class Prepared:
    """One Core statement compiled for an engine's dialect, with its value conversions.

    Parameters are the statement's named `bindparam`s; literal values written into the
    statement (`column == "complete"`) are bound as compiled.
    """

    def __init__(self, engine: Engine, statement: ClauseElement) -> None:
        dialect = engine.dialect
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = str(compiled)
        self._order = list(compiled.positiontup or []) if dialect.positional else None
        self._defaults: dict[str, Any] = dict(compiled.params)
        # By the names in the SQL (`binds` also holds anonymous keys that are not in it).
        names = compiled.bind_names
        # The one internal read here (see the module's docstring).
        self.required = frozenset(name for bind, name in names.items() if bind.required)
        self._binders: dict[str, Processor] = {}
        for bind, name in names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._binders[name] = processor
        columns = list(getattr(statement, "exported_columns", ()))
        self.columns = tuple(column.key for column in columns)
        readers = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self._readers: list[Processor | None] | None = (
            readers if any(reader is not None for reader in readers) else None
        )

    def arguments(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The DBAPI arguments for `params`, converted as SQLAlchemy converts them."""
        if not self.required <= params.keys() or not params.keys() <= self._defaults.keys():
            missing = sorted(self.required - params.keys())
            unknown = sorted(params.keys() - self._defaults.keys())
            raise TypeError(f"parameters missing: {missing}, unknown: {unknown}")
        values = {**self._defaults, **params}
        for name, processor in self._binders.items():
            values[name] = processor(values[name])
        if self._order is None:
            return values
        return [values[name] for name in self._order]

    def run(self, cursor: Any, **params: Any) -> None:
        """Execute on a DBAPI cursor."""
        cursor.execute(self.sql, self.arguments(params))

    def execute(self, connection: Connection, **params: Any) -> CursorResult[Any]:
        """Execute in a SQLAlchemy Core transaction (paths that share a statement with the hot
        path); rows come back unconverted."""
        arguments = self.arguments(params)
        values = arguments if isinstance(arguments, dict) else tuple(arguments)
        return connection.exec_driver_sql(self.sql, values)

    def rows(self, cursor: Any, **params: Any) -> list[Row]:
        """Execute on a DBAPI cursor and fetch every row, values converted."""
        self.run(cursor, **params)
        fetched = cursor.fetchall()
        readers = self._readers
        if readers is None:
            return [tuple(row) for row in fetched]
        return [
            tuple(
                value if reader is None else reader(value)
                for reader, value in zip(readers, row, strict=True)
            )
            for row in fetched
        ]


class HotPath:
    """Runs prepared statements on an engine's pool: reads, and short write transactions."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error

    def prepare(self, statement: ClauseElement) -> Prepared:
        """Compile `statement` for this engine."""
        return Prepared(self._engine, statement)

    def rows(self, statement: Prepared, **params: Any) -> list[Row]:
        """Every row `statement` reads."""
        with self._cursor(begin=False) as cursor:
            return statement.rows(cursor, **params)

    def first(self, statement: Prepared, **params: Any) -> Row | None:
        """The first row `statement` reads, if any."""
        found = self.rows(statement, **params)
        return found[0] if found else None

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A DBAPI cursor in one transaction: committed on success, rolled back on any error.

        On SQLite the write lock is taken first (waiting out the busy timeout), so a
        transaction that reads before it writes never works from a stale snapshot.
        """
        with self._cursor(begin=True) as cursor:
            yield cursor

    @contextmanager
    def _cursor(self, *, begin: bool) -> Iterator[Any]:
        lent = lent_connection(self._engine)
        if lent is not None:
            with self._lent_cursor(lent, begin=begin) as cursor:
                yield cursor
            return
        connection = self._engine.raw_connection()  # pre-pinged by the pool where configured
        cursor = None
        try:
            cursor = connection.cursor()
            if begin and self._sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            yield cursor
            if begin:
                connection.commit()
        except self._dbapi_error as error:
            disconnected = self._is_disconnect(error, connection.dbapi_connection, cursor)
            if disconnected:
                connection.invalidate(error)
            raise sqlalchemy_error(error, self._engine.dialect, invalidated=disconnected) from error
        finally:
            if cursor is not None:
                cursor.close()
            connection.close()  # back to the pool, which rolls back anything left open

    @contextmanager
    def _lent_cursor(self, lent: LentConnection, *, begin: bool) -> Iterator[Any]:
        """A cursor on the request's connection (skill.store.request_connection): kept open
        after the statement; a failure rolls back, a dropped connection is replaced."""
        core = lent.connection()  # a failed checkout raises SQLAlchemy's error: nothing to undo
        pooled = core.connection
        cursor = None
        try:
            cursor = pooled.cursor()
            if begin and self._sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            yield cursor
            if begin:
                pooled.commit()
        except self._dbapi_error as error:
            disconnected = self._is_disconnect(error, pooled.dbapi_connection, cursor)
            if disconnected:
                core.invalidate(error)
            lent.failed()
            raise sqlalchemy_error(error, self._engine.dialect, invalidated=disconnected) from error
        except BaseException:
            lent.failed()
            raise
        finally:
            if cursor is not None:
                with contextlib.suppress(self._dbapi_error):  # a dropped connection's cursor
                    cursor.close()

    def _is_disconnect(self, error: Exception, dbapi_connection: Any, cursor: Any) -> bool:
        return self._engine.dialect.is_disconnect(cast(Any, error), dbapi_connection, cursor)


def sqlalchemy_error(error: Exception, dialect: Dialect, *, invalidated: bool) -> DBAPIError:
    """The `sqlalchemy.exc` error SQLAlchemy raises for a DBAPI error: the wrapper named as the
    nearest PEP 249 class `error` is an instance of (IntegrityError, OperationalError, …, under
    the name the dialect translates it to), else DBAPIError itself."""
    translated = dialect.dbapi_exception_translation_map
    for kind in type(error).__mro__:
        wrapper = _WRAPPERS.get(translated.get(kind.__name__, kind.__name__))
        if wrapper is not None:
            return wrapper(None, None, error, connection_invalidated=invalidated)
    return DBAPIError(None, None, error, connection_invalidated=invalidated)
