"""One pooled connection per request: checked out at the request's first statement, lent to
every read and write transaction of the stores until the request ends, then given back.

Without a scope each store call checks a connection out of the pool (a pre-ping on
PostgreSQL) and back in; a request of five statements paid that five times. Inside
`connection_for_request(engine)` the stores' statements on that engine share one Core
`Connection`: reads (prepared or Core) run on it, and each write transaction runs on it and
commits (or rolls back) as before, so a request's earlier writes stay committed whatever
happens later. Outside a scope (the caregiver site, the CLI, tests) every call works as it
always did.

Errors: a failed statement or transaction is rolled back at once, so the next statement of
the request never meets an aborted transaction; a connection the server dropped (SQLAlchemy
invalidates it) is closed and the next statement checks out a new, pre-pinged one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Connection, Engine


class LentConnection:
    """The connection a request scope lends; checked out at its first use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    def connection(self) -> Connection:
        """The request's connection (a fresh one after a failure closed the last)."""
        if self._connection is None:
            self._connection = self.engine.connect()
        return self._connection

    def failed(self) -> None:
        """After an error: undo what the failed transaction left open (at the DBAPI level
        too, where prepared statements ran), or drop a connection that is invalidated or cannot
        roll back; the next statement then checks out another."""
        connection = self._connection
        if connection is None:
            return
        if not connection.invalidated:
            try:
                connection.rollback()
                connection.connection.rollback()
                return
            except Exception:  # the rollback failed too: the connection is of no more use
                with contextlib.suppress(Exception):
                    connection.invalidate()
        self._connection = None
        with contextlib.suppress(Exception):
            connection.close()

    def close(self) -> None:
        """Give the connection back to the pool (which rolls back anything left open)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


_LENT: ContextVar[LentConnection | None] = ContextVar("request_connection", default=None)


@contextmanager
def connection_for_request(engine: Engine) -> Iterator[None]:
    """Lend one pooled connection to every store statement on `engine` until the block ends
    (nested scopes on the same engine share the outer one)."""
    outer = _LENT.get()
    if outer is not None and outer.engine is engine:
        yield
        return
    lent = LentConnection(engine)
    token = _LENT.set(lent)
    try:
        yield
    finally:
        _LENT.reset(token)
        lent.close()


def lent_connection(engine: Engine) -> LentConnection | None:
    """The request scope's connection holder for `engine`, if a scope is open on it."""
    lent = _LENT.get()
    return lent if lent is not None and lent.engine is engine else None


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A Core connection to read with: the request's, else one from the pool for this call."""
    lent = lent_connection(engine)
    if lent is None:
        with engine.connect() as connection:
            yield connection
        return
    try:
        yield lent.connection()
    except BaseException:
        lent.failed()
        raise


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A Core transaction, committed at the end of the block and rolled back on any error: on
    the request's connection, else on one from the pool (`engine.begin()`)."""
    lent = lent_connection(engine)
    if lent is None:
        with engine.begin() as connection:
            yield connection
        return
    try:
        connection = lent.connection()
        yield connection
        connection.commit()
    except BaseException:
        lent.failed()
        raise
