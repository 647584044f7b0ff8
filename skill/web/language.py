"""The language of the pages a person reads (/care, /try): gettext catalogues through
Flask-Babel, and dates and numbers formatted by Babel in that language.

A page's language is, in order: the one its switch asked for (`?lang=nl`, remembered in a
cookie by `remember_choice`), the one remembered, the best match of the browser's
Accept-Language among WEB_LOCALES, else English. A blueprint whose pages follow something else
(/try follows the language its simulated Echo speaks) registers its own `chooser`.

The catalogues are `skill/web/translations/<locale>/LC_MESSAGES/messages.po`, English being the
source; the project's set-up (`make install`) compiles them to the .mo files read here. Only
pages pay for this: /alexa renders no template and never asks for a locale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import Flask, request
from flask_babel import Babel, get_locale
from werkzeug.wrappers import Response as ResponseBase

EXTENSION = "spine_coach.language"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
SOURCE_LOCALE = "en"
# The pages' languages: English (the source, American), British English, Dutch.
WEB_LOCALES = ("en", "en_GB", "nl")
SWITCH = "lang"  # the query parameter of the switch, and the cookie that remembers it
COOKIE_MAX_AGE = 365 * 24 * 3600


def tag(locale: str) -> str:
    """The BCP 47 tag of a Babel locale name, for `<html lang>` and links: en_GB → en-GB."""
    return locale.replace("_", "-")


def web_locale(value: str | None) -> str | None:
    """The page locale a tag or name stands for exactly ('nl', 'en-GB', 'en_GB'), or None."""
    if not value:
        return None
    name = value.replace("-", "_")
    return next((locale for locale in WEB_LOCALES if locale.lower() == name.lower()), None)


def page_locale_of(skill_locale: str) -> str:
    """The page locale for a skill locale: en-US → en, en-GB → en_GB, nl-NL → nl."""
    return web_locale(skill_locale) or web_locale(skill_locale.split("-")[0]) or SOURCE_LOCALE


def _from_browser() -> str:
    tags = [tag(locale) for locale in WEB_LOCALES]
    # Werkzeug matches the primary subtag too: nl-BE gets nl, en-AU gets en.
    best = request.accept_languages.best_match(tags)
    return web_locale(best) or SOURCE_LOCALE


def chosen_page_locale() -> str:
    """The page's locale: the switch, else the cookie, else the browser's, else English."""
    return (
        web_locale(request.args.get(SWITCH))
        or web_locale(request.cookies.get(SWITCH))
        or _from_browser()
    )


def remember_choice(response: ResponseBase, *, path: str, secure: bool) -> ResponseBase:
    """The switch's choice (`?lang=`), if the request made one, kept in a cookie under `path`."""
    choice = web_locale(request.args.get(SWITCH))
    if choice is not None:
        response.set_cookie(
            SWITCH,
            tag(choice),
            max_age=COOKIE_MAX_AGE,
            secure=secure,
            httponly=True,
            samesite="Lax",
            path=path,
        )
    return response


@dataclass
class Languages:
    """Who picks the locale of a request: a blueprint's own chooser, else `chosen_page_locale`."""

    choosers: dict[str, Callable[[], str]] = field(default_factory=dict)

    def select(self) -> str:
        """Flask-Babel's locale selector."""
        chooser = self.choosers.get(request.blueprint or "")
        return chooser() if chooser is not None else chosen_page_locale()


def set_chooser(app: Flask, blueprint: str, chooser: Callable[[], str]) -> None:
    """The pages of `blueprint` take their locale from `chooser` (a name in WEB_LOCALES)."""
    languages = app.extensions[EXTENSION]
    assert isinstance(languages, Languages)
    languages.choosers[blueprint] = chooser


@dataclass(frozen=True)
class Choice:
    """One entry of a language switch: its value, its name in its own language, and whether
    the page is in it."""

    value: str
    name: str
    current: bool


def autonym(locale: str) -> str:
    """A language's name in itself: 'Nederlands', 'English (United Kingdom)'."""
    return str(Locale.parse(locale).display_name)


def page_choices() -> list[Choice]:
    """The switch of a page that offers every WEB_LOCALE."""
    current = str(get_locale())
    # The source, en, is American English: named so beside British English.
    return [
        Choice(
            tag(locale), autonym("en_US" if locale == SOURCE_LOCALE else locale), locale == current
        )
        for locale in WEB_LOCALES
    ]


def html_lang() -> str:
    """The page's `<html lang>`."""
    return tag(str(get_locale()))


# Formats in the page's language -------------------------------------------------------------


def _locale() -> Locale:
    return get_locale() or Locale.parse(SOURCE_LOCALE)


def long_date(day: date) -> str:
    """Weekday, day and month: 'Thursday, December 24', 'Thursday 24 December', 'donderdag
    24 december' (the locale's order for that skeleton, the weekday written out)."""
    locale = _locale()
    pattern = locale.datetime_skeletons["MMMMEd"].pattern.replace("E", "EEEE")
    return format_date(day, pattern, locale=locale)


def short_date(day: date) -> str:
    """Day and short month: 'Dec 24', '24 Dec', '24 dec'."""
    locale = _locale()
    return format_date(day, locale.datetime_skeletons["MMMd"].pattern, locale=locale)


def clock_time(moment: datetime | time) -> str:
    """The time as the locale writes it: '3:05 PM' in en, '15:05' in en_GB and nl."""
    return format_time(moment, "short", locale=_locale())


def date_and_time(moment: datetime) -> str:
    """A short date and the time, of a moment already in the patient's zone."""
    return f"{short_date(moment.date())}, {clock_time(moment.timetz())}"


def number(value: float) -> str:
    """A number as the locale writes it (1,5 in nl)."""
    return format_decimal(value, locale=_locale())


def init_app(app: Flask) -> Languages:
    """Flask-Babel on `app`: catalogues from skill/web/translations, the locale chosen per
    request by `Languages.select`, gettext (`_`) and the formats above in every template."""
    languages = Languages()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(
        app,
        locale_selector=languages.select,
        default_locale=SOURCE_LOCALE,
        default_domain=DOMAIN,
    )
    app.extensions[EXTENSION] = languages
    app.jinja_env.globals.update(
        html_lang=html_lang,
        long_date=long_date,
        short_date=short_date,
        clock_time=clock_time,
        date_and_time=date_and_time,
        number=number,
    )
    return languages
