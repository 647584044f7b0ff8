"""Security for the pages a person opens in a browser (/care, /try) and the files they load
(/audio): what the browser may run, embed, send and guess, and CSRF checks on their posts.

A strict Content-Security-Policy (scripts, styles and everything else from this site only, no
inline scripts: the pages have none), no framing by any site (clickjacking), no Referer sent
elsewhere (the dashboard's address stays here), no MIME sniffing, and HSTS when the request
came over HTTPS (directly or through PROXY_HOPS trusted proxies). Attached per blueprint, so
/alexa, which no browser renders, pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request
from flask_wtf.csrf import CSRFProtect

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
FILE_HEADERS = {"X-Content-Type-Options": "nosniff"}
HSTS = "max-age=31536000; includeSubDomains"


def _adding(headers: dict[str, str]) -> Callable[[Response], Response]:
    def after(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    return after


def protect_pages(pages: Blueprint) -> None:
    """Every response of `pages` (HTML and JSON a page fetches) carries the page headers."""
    pages.after_request(_adding(PAGE_HEADERS))


def protect_files(files: Blueprint) -> None:
    """Files served to pages are never sniffed as another type."""
    files.after_request(_adding(FILE_HEADERS))


def page_blueprint(name: str, import_name: str, url_prefix: str, csrf: CSRFProtect) -> Blueprint:
    """A blueprint of browser pages: the page headers on every response, and `csrf` checked on
    every post (Flask-WTF's way when WTF_CSRF_CHECK_DEFAULT is off: /alexa runs no CSRF code)."""
    pages = Blueprint(name, import_name, url_prefix=url_prefix)
    protect_pages(pages)

    @pages.before_request
    def check_csrf() -> None:
        csrf.protect()

    return pages
