"""The cookie session, only where a page uses one.

Flask opens the session of every request before routing it: with a secret key set, that is
reading the cookie header and building a session, ~75 µs a request, for nothing on the paths
that never use one: Alexa's requests (signed, cookieless), the coach audio and health probes.
`CookieSessionsExcept` (Flask's public `SessionInterface` API, set as `app.session_interface`)
gives those paths Flask's null session without touching cookies, and every other path the
usual signed-cookie session (/care and /try keep their login and CSRF token in it).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionsExcept(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except on `paths` and under `prefixes`: there the null
    session (it can be read, empty; writing to it raises), never saved, so no cookie is read or
    set. Matched on the request's path, as the session is opened before the URL is routed."""

    def __init__(self, paths: Iterable[str] = (), prefixes: Iterable[str] = ()) -> None:
        self.paths = frozenset(paths)
        self.prefixes = tuple(prefixes)

    @classmethod
    def for_blueprints(cls, app: Flask, blueprints: Iterable[str]) -> CookieSessionsExcept:
        """Sessionless on every route of `blueprints` (registered on `app` already): a rule's
        path, or for a rule with variables the path up to the first one."""
        names = frozenset(blueprints)
        paths, prefixes = set(), set()
        for rule in app.url_map.iter_rules():
            if rule.endpoint.partition(".")[0] not in names:
                continue
            if rule.arguments:
                prefixes.add(rule.rule.partition("<")[0])
            else:
                paths.add(rule.rule)
        return cls(paths, sorted(prefixes))

    def is_sessionless(self, path: str) -> bool:
        """Whether requests for `path` get the null session."""
        return path in self.paths or path.startswith(self.prefixes)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.is_sessionless(request.path):
            return None  # Flask then makes the null session; save_session is not called
        return super().open_session(app, request)
