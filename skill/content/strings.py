"""The strings catalogue: every spoken sentence that is not clinical content, keyed by locale."""

from __future__ import annotations

import copy
import re
import string
from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from markupsafe import Markup, escape

from skill.content.yaml_files import safe_load

DEFAULT_STRINGS_DIR = Path(__file__).parent / "strings"
DEFAULT_LOCALE = "en-US"
LOCALE_FILE = re.compile(r"[a-z]{2}-[A-Z]{2}")
PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})

# A key ending in this has the full wording of the key without it (the brief default).
FULL = "_full"

Message = str | dict[str, str]
T = TypeVar("T")


class Detail(StrEnum):
    """How much the patient wants to hear: the brief default, or the full wording."""

    BRIEF = "brief"
    FULL = "full"


def _brief() -> Detail:
    return Detail.BRIEF


class StringsError(RuntimeError):
    """A strings file is unreadable or inconsistent; the message names the file and key."""


def _flatten(node: Mapping[str, Any], prefix: str, path: Path) -> dict[str, Message]:
    flat: dict[str, Message] = {}
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, str):
            flat[name] = value
        elif isinstance(value, dict) and value and set(value) <= PLURAL_FORMS:
            if "other" not in value or not all(isinstance(v, str) for v in value.values()):
                raise StringsError(f"{path}: {name}: a plural needs string forms including 'other'")
            flat[name] = dict(value)
        elif isinstance(value, dict):
            flat.update(_flatten(value, f"{name}.", path))
        else:
            raise StringsError(f"{path}: {name}: expected text, got {type(value).__name__}")
    return flat


def _placeholders(message: Message) -> set[str]:
    texts = [message] if isinstance(message, str) else list(message.values())
    return {
        name
        for text in texts
        for _, name, _, _ in string.Formatter().parse(text)
        if name is not None
    }


def _safe(value: object) -> object:
    """A placeholder value ready for an escaped template: markup and numbers as they are."""
    if isinstance(value, Markup | int | float):
        return value
    return escape(value)


class Strings:
    """One locale's messages, rendered as SSML-safe markup."""

    def __init__(self, locale: str, messages: Mapping[str, Message]) -> None:
        self.locale = locale
        self._messages = dict(messages)
        self._babel = Locale.parse(locale.replace("-", "_"))
        # Templates escaped once; str.format then fills in escaped values (several times
        # faster than Markup.format, and this runs several times per request).
        self._plural_forms: dict[int, str] = {}
        self._dates: dict[date, str] = {}
        self._templates: dict[str, str | dict[str, str]] = {
            key: {form: str(escape(text)) for form, text in message.items()}
            if isinstance(message, dict)
            else str(escape(message))
            for key, message in self._messages.items()
        }
        # Each key with a full wording, and that wording's key.
        self._full_keys = {
            key.removesuffix(FULL): key for key in self._messages if key.endswith(FULL)
        }
        self._detail: Callable[[], Detail] = _brief

    def detailed(self, detail: Callable[[], Detail]) -> Strings:
        """These strings for one patient: a key with a full wording (`<key>_full`) says it when
        `detail()` is FULL (asked only then, so a patient is read only when it matters)."""
        view = copy.copy(self)
        view._detail = detail
        return view

    @property
    def detail(self) -> Detail:
        """How much this patient wants to hear."""
        return self._detail()

    def pick(self, brief: T, full: T | None) -> T:
        """The brief wording, or the full one (if there is one) for a patient who wants it:
        for the plan's texts, which have `<field>_full` beside `<field>`."""
        return full if full is not None and self.detail is Detail.FULL else brief

    def _key(self, key: str) -> str:
        full = self._full_keys.get(key)
        return full if full is not None and self.detail is Detail.FULL else key

    def text(self, key: str, /, **params: Any) -> Markup:
        """The message `key` (its full wording for a patient who wants it) with its placeholders
        filled (escaped unless already Markup)."""
        template = self._form(self._templates[self._key(key)], params)
        return Markup(template.format(**{name: _safe(value) for name, value in params.items()}))

    def _form(self, message: str | dict[str, str], params: dict[str, Any]) -> str:
        """The message itself, or its plural form for params['count']."""
        if isinstance(message, str):
            return message
        return message.get(self._plural_form(params["count"]), message["other"])

    def _plural_form(self, count: int) -> str:
        form = self._plural_forms.get(count)
        if form is None:
            form = self._babel.plural_form(count)
            if len(self._plural_forms) < 1000:  # counts of days and weeks: a small set
                self._plural_forms[count] = form
        return form

    def plain(self, key: str, /, **params: Any) -> str:
        """The message `key` as plain text (for speech synthesis, not SSML)."""
        return self._form(self._messages[self._key(key)], params).format(**params)

    def date(self, day: date) -> str:
        """A date the way this locale says it, e.g. 'Wednesday, December 2'."""
        said = self._dates.get(day)
        if said is None:
            said = format_date(day, str(self._messages["formats.date"]), locale=self._babel)
            if len(self._dates) < 4096:  # Babel formatting is slow; the dates said are few
                self._dates[day] = said
        return said

    def join(self, items: list[Markup]) -> Markup:
        """Items joined as this locale lists them: 'a, b, and c'."""
        return Markup(format_list([str(item) for item in items], locale=self._babel))

    def alternatives(self, items: list[Markup]) -> Markup:
        """Items joined as this locale offers a choice: 'a, b, or c'."""
        return Markup(format_list([str(item) for item in items], style="or", locale=self._babel))

    def keys(self) -> set[str]:
        """Every message key."""
        return set(self._messages)


class Catalogue:
    """All locales' strings; the default locale answers for locales it lacks."""

    def __init__(self, by_locale: Mapping[str, Strings], default_locale: str = DEFAULT_LOCALE):
        if default_locale not in by_locale:
            raise StringsError(f"no strings for the default locale {default_locale}")
        self._by_locale = dict(by_locale)
        self.default_locale = default_locale

    def for_locale(self, locale: str | None) -> Strings:
        """The strings for a request's locale, or the default locale's."""
        return self._by_locale.get(locale or "", self._by_locale[self.default_locale])

    @property
    def locales(self) -> list[str]:
        """Every locale with strings."""
        return sorted(self._by_locale)


def load_catalogue(directory: Path = DEFAULT_STRINGS_DIR) -> Catalogue:
    """Load every <locale>.yaml; each must have the default locale's keys and placeholders."""
    raw: dict[str, dict[str, Message]] = {}
    paths = sorted(directory.glob("*.yaml"))
    for path in paths:
        if not LOCALE_FILE.fullmatch(path.stem):
            raise StringsError(f"{path}: name strings files by locale, like en-US.yaml")
        try:
            data = safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise StringsError(f"{path}: cannot read: {error}") from error
        if not isinstance(data, dict):
            raise StringsError(f"{path}: expected a mapping of keys to text")
        raw[path.stem] = _flatten(data, "", path)
    if DEFAULT_LOCALE not in raw:
        raise StringsError(f"{directory}: no {DEFAULT_LOCALE}.yaml")
    reference = raw[DEFAULT_LOCALE]
    for locale, messages in raw.items():
        path = directory / f"{locale}.yaml"
        for key in messages:
            if key.endswith(FULL) and key.removesuffix(FULL) not in messages:
                raise StringsError(
                    f"{path}: {key}: a full wording needs its brief default, "
                    f"{key.removesuffix(FULL)}"
                )
        missing = sorted(set(reference) - set(messages))
        extra = sorted(set(messages) - set(reference))
        if missing or extra:
            raise StringsError(f"{path}: missing keys {missing}, unknown keys {extra}")
        for key, message in messages.items():
            if _placeholders(message) != _placeholders(reference[key]):
                raise StringsError(
                    f"{path}: {key}: placeholders {sorted(_placeholders(message))} differ from "
                    f"{DEFAULT_LOCALE}'s {sorted(_placeholders(reference[key]))}"
                )
    by_locale = {}
    for locale, messages in raw.items():
        try:
            by_locale[locale] = Strings(locale, messages)
        except (ValueError, UnknownLocaleError) as error:
            raise StringsError(f"{directory / locale}.yaml: unknown locale: {error}") from error
    return Catalogue(by_locale)
