"""The strings catalogue: loading, plurals, escaping, dates, lists, fallback and broken files."""

from __future__ import annotations

import re
import shutil
import string
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from markupsafe import Markup

from skill.content.strings import (
    DEFAULT_STRINGS_DIR,
    Catalogue,
    Strings,
    StringsError,
    load_catalogue,
)

EN_US_FILE = DEFAULT_STRINGS_DIR / "en-US.yaml"
PLURAL_FORMS = {"zero", "one", "two", "few", "many", "other"}
MAX_MESSAGE_CHARS = 300

Raw = dict[str, Any]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def en(catalogue: Catalogue) -> Strings:
    return catalogue.for_locale("en-US")


def raw_en_us() -> Raw:
    raw: Raw = yaml.safe_load(EN_US_FILE.read_text(encoding="utf-8"))
    return raw


def flatten(node: Raw, prefix: str = "") -> Iterator[tuple[str, str | dict[str, str]]]:
    """(dotted key, message) pairs, read independently of skill.content.strings."""
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) <= PLURAL_FORMS:
            yield name, value
        elif isinstance(value, dict):
            yield from flatten(value, f"{name}.")
        else:
            yield name, value


def placeholders(message: str | dict[str, str]) -> set[str]:
    texts = [message] if isinstance(message, str) else list(message.values())
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


# --- loading -------------------------------------------------------------------------------


def test_catalogue_loads(catalogue: Catalogue, en: Strings) -> None:
    assert catalogue.locales == sorted(path.stem for path in DEFAULT_STRINGS_DIR.glob("*.yaml"))
    assert {"en-US", "en-GB"} <= set(catalogue.locales)
    assert catalogue.default_locale == "en-US"
    assert en.locale == "en-US"
    keys = en.keys()
    assert keys == {key for key, _ in flatten(raw_en_us())}
    assert {"elapsed.weeks", "welcome.first_time", "formats.date"} <= keys


# --- plurals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "count", "expected"),
    [
        ("elapsed.weeks", 0, "0 weeks"),
        ("elapsed.weeks", 1, "1 week"),
        ("elapsed.weeks", 2, "2 weeks"),
        ("elapsed.days", 0, "0 days"),
        ("elapsed.days", 1, "1 day"),
        ("elapsed.days", 2, "2 days"),
    ],
)
def test_plural_forms_in_english(en: Strings, key: str, count: int, expected: str) -> None:
    assert en.text(key, count=count) == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "10 knee lifts"),
        (2, "2 sets of knee lifts"),
        (3, "3 sets of knee lifts"),
    ],
)
def test_plural_with_other_placeholders(en: Strings, count: int, expected: str) -> None:
    assert en.text("exercises.due_item", count=count, repetitions=10, name="knee lifts") == expected


# --- escaping ------------------------------------------------------------------------------


def test_placeholder_values_are_escaped(en: Strings) -> None:
    spoken = en.text("surgery_date.confirm", date="<b> & co")
    assert spoken == "So your surgery was on &lt;b&gt; &amp; co. Is that right?"
    assert isinstance(spoken, Markup)


def test_markup_values_are_not_escaped(en: Strings) -> None:
    spoken = en.text("surgery_date.confirm", date=Markup('<break time="1s"/>'))
    assert spoken == 'So your surgery was on <break time="1s"/>. Is that right?'


def test_plural_count_values_are_escaped_too(en: Strings) -> None:
    assert en.text("exercises.due_item", count=2, repetitions=10, name="a<b") == (
        "2 sets of a&lt;b"
    )


# --- dates and lists -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 2), "Wednesday, December 2"),
        (date(2026, 11, 20), "Friday, November 20"),
        (date(2027, 1, 13), "Wednesday, January 13"),
    ],
)
def test_dates_are_said_with_weekday_month_and_day(en: Strings, day: date, expected: str) -> None:
    assert en.date(day) == expected


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["a", "b", "c"], "a, b, and c"),
        (["a", "b"], "a and b"),
        (["a"], "a"),
    ],
)
def test_join_lists_the_english_way(en: Strings, items: list[str], expected: str) -> None:
    joined = en.join([Markup(item) for item in items])
    assert joined == expected
    assert isinstance(joined, Markup)


def test_join_keeps_markup_items_intact(en: Strings) -> None:
    joined = en.join([Markup("knee presses"), Markup("<break/>bridges")])
    assert joined == "knee presses and <break/>bridges"


# --- British English -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def gb(catalogue: Catalogue) -> Strings:
    return catalogue.for_locale("en-GB")


def test_british_english_says_dates_day_first_and_lists_without_the_serial_comma(
    gb: Strings,
) -> None:
    assert gb.locale == "en-GB"
    assert gb.date(date(2026, 12, 24)) == "Thursday 24 December"
    assert gb.join([Markup("a"), Markup("b"), Markup("c")]) == "a, b and c"


def test_british_english_has_its_own_words_and_emergency_number(gb: Strings, en: Strings) -> None:
    assert gb.plain("check_in.emergency_number") == "999"
    assert en.plain("check_in.emergency_number") == "911"
    day = gb.date(date(2026, 12, 24))
    assert gb.plain("surgery_date.confirm", date=day) == (
        "So your operation was on Thursday 24 December. Is that right?"
    )
    assert "carer" in gb.plain("caregiver.code", code="1 2 3")


# --- locale fallback -----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["fr-FR", "en-AU", "", None])
def test_unknown_locale_falls_back_to_en_us(
    catalogue: Catalogue, en: Strings, locale: str | None
) -> None:
    strings = catalogue.for_locale(locale)
    assert strings is en
    assert strings.locale == "en-US"


# --- every message -------------------------------------------------------------------------

_EN_US_MESSAGES = list(flatten(raw_en_us()))


def _params(message: str | dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {name: f"dummy {name}" for name in placeholders(message)}
    if isinstance(message, dict):
        params["count"] = 2
    return params


@pytest.mark.parametrize(("key", "message"), _EN_US_MESSAGES, ids=[k for k, _ in _EN_US_MESSAGES])
def test_every_message_renders_short_and_without_ssml(
    en: Strings, key: str, message: str | dict[str, str]
) -> None:
    assert isinstance(message, str | dict)
    texts = [message] if isinstance(message, str) else list(message.values())
    # The message's own text carries no SSML: no tags, no entities.
    assert [t for t in texts if re.search(r"[<>]|&[a-z]+;", t)] == []

    spoken = en.text(key, **_params(message))
    assert 0 < len(spoken) < MAX_MESSAGE_CHARS
    assert "<" not in spoken
    assert "&lt;" not in spoken
    # Every placeholder was filled.
    assert "{" not in spoken
    assert "}" not in spoken


@pytest.mark.parametrize("locale", load_catalogue().locales)
def test_every_message_of_every_locale_renders_with_its_placeholders_filled(
    catalogue: Catalogue, locale: str
) -> None:
    strings = catalogue.for_locale(locale)
    assert strings.locale == locale
    for key, message in _EN_US_MESSAGES:
        spoken = strings.text(key, **_params(message))
        assert 0 < len(spoken) < MAX_MESSAGE_CHARS, (key, spoken)
        assert "{" not in spoken, (key, spoken)
        assert "}" not in spoken, (key, spoken)


def test_the_every_message_table_is_complete(en: Strings) -> None:
    assert {key for key, _ in _EN_US_MESSAGES} == en.keys()
    assert len(_EN_US_MESSAGES) > 40


# --- broken catalogues ---------------------------------------------------------------------

Mutation = Callable[[Raw], None]


def _missing_key(raw: Raw) -> None:
    del raw["welcome"]["question"]


def _extra_key(raw: Raw) -> None:
    raw["welcome"]["farewell"] = "Bye."


def _different_placeholder(raw: Raw) -> None:
    raw["surgery_date"]["confirm"] = "So your surgery was on {day}. Is that right?"


def _dropped_placeholder(raw: Raw) -> None:
    raw["surgery_date"]["confirm"] = "So your surgery was on that day. Is that right?"


def _plural_without_other(raw: Raw) -> None:
    raw["elapsed"]["weeks"] = {"one": "{count} week"}


def _plural_with_non_string_form(raw: Raw) -> None:
    raw["elapsed"]["weeks"] = {"one": "{count} week", "other": 7}


def _non_string_value(raw: Raw) -> None:
    raw["welcome"]["question"] = 42


def _list_value(raw: Raw) -> None:
    raw["welcome"]["question"] = ["What", "now?"]


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        pytest.param(_missing_key, "welcome.question", id="missing-key"),
        pytest.param(_extra_key, "welcome.farewell", id="extra-key"),
        pytest.param(_different_placeholder, "surgery_date.confirm", id="different-placeholder"),
        pytest.param(_dropped_placeholder, "surgery_date.confirm", id="dropped-placeholder"),
        pytest.param(_plural_without_other, "elapsed.weeks", id="plural-without-other"),
        pytest.param(_plural_with_non_string_form, "elapsed.weeks", id="plural-non-string"),
        pytest.param(_non_string_value, "welcome.question", id="non-string-value"),
        pytest.param(_list_value, "welcome.question", id="list-value"),
    ],
)
def test_broken_locale_file_names_file_and_key(tmp_path: Path, mutate: Mutation, key: str) -> None:
    shutil.copy(EN_US_FILE, tmp_path / "en-US.yaml")
    raw = raw_en_us()
    mutate(raw)
    broken = tmp_path / "xx-XX.yaml"
    broken.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")

    with pytest.raises(StringsError) as caught:
        load_catalogue(tmp_path)

    message = str(caught.value)
    assert str(broken) in message
    assert key in message


def test_copy_of_en_us_loads(tmp_path: Path) -> None:
    # The table above relies on an unmodified copy loading.
    shutil.copy(EN_US_FILE, tmp_path / "en-US.yaml")
    assert load_catalogue(tmp_path).locales == ["en-US"]


def test_no_en_us_file_names_the_directory(tmp_path: Path) -> None:
    shutil.copy(EN_US_FILE, tmp_path / "xx-XX.yaml")
    with pytest.raises(StringsError) as caught:
        load_catalogue(tmp_path)
    message = str(caught.value)
    assert str(tmp_path) in message
    assert "en-US.yaml" in message


def test_empty_directory_names_the_directory(tmp_path: Path) -> None:
    with pytest.raises(StringsError, match=re.escape(str(tmp_path))):
        load_catalogue(tmp_path)


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        pytest.param("xx-XX.yaml", "welcome: [unclosed\n", id="syntax-error-in-other-locale"),
        pytest.param("en-US.yaml", "welcome:\n  question: 'unclosed\n", id="syntax-error-in-en-us"),
        pytest.param("xx-XX.yaml", "- a\n- list\n", id="not-a-mapping"),
        pytest.param("xx-XX.yaml", "", id="empty-file"),
    ],
)
def test_unreadable_file_names_the_file(tmp_path: Path, file_name: str, content: str) -> None:
    shutil.copy(EN_US_FILE, tmp_path / "en-US.yaml")
    broken = tmp_path / file_name
    broken.write_text(content, encoding="utf-8")
    with pytest.raises(StringsError, match=re.escape(str(broken))):
        load_catalogue(tmp_path)


@pytest.mark.parametrize(
    "file_name",
    [
        pytest.param("notes.yaml", id="not-a-locale"),
        pytest.param("en_GB.yaml", id="underscore-never-matches-a-request-locale"),
    ],
)
def test_file_not_named_like_a_locale_names_the_file(tmp_path: Path, file_name: str) -> None:
    # A complete, valid copy under a name that is not a locale like "en-GB" must be refused
    # with a StringsError naming it, not crash with another error or load under a locale no
    # request will ever have.
    shutil.copy(EN_US_FILE, tmp_path / "en-US.yaml")
    shutil.copy(EN_US_FILE, tmp_path / file_name)
    with pytest.raises(StringsError, match=re.escape(str(tmp_path / file_name))):
        load_catalogue(tmp_path)
