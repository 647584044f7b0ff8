"""The pages' gettext catalogues: complete, in step with the templates and code, and compiled.

Every catalogue translates every message (nothing empty or fuzzy, the same placeholders and
markup as the English), extraction with babel.cfg finds exactly the catalogues' messages (no
page text left untranslated, no stale entry), and the .mo that `make install` compiles says
what the .po says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from skill.web.language import DOMAIN, SOURCE_LOCALE, TRANSLATIONS_DIR, WEB_LOCALES

REPO = Path(__file__).resolve().parents[2]
TRANSLATED = [locale for locale in WEB_LOCALES if locale != SOURCE_LOCALE]
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_TAG = re.compile(r"</?\w+>")


def _po(locale: str) -> Catalog:
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def _messages(catalog: Catalog) -> dict[str, str]:
    return {str(message.id): str(message.string) for message in catalog if message.id}


def _extracted() -> set[str]:
    with (REPO / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)  # type: ignore[no-untyped-call]
    found = extract_from_dir(
        str(REPO),
        method_map,
        options_map,
        # Only the project's code: not its virtual environment nor the tests.
        directory_filter=lambda path: (
            Path(path).resolve().is_relative_to(REPO / "skill") or Path(path).resolve() == REPO
        ),
    )
    return {str(message) for _file, _line, message, _comments, _context in found}


def test_every_page_language_but_the_source_has_a_catalogue() -> None:
    on_disk = sorted(path.name for path in TRANSLATIONS_DIR.iterdir() if path.is_dir())
    assert on_disk == sorted(TRANSLATED)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders_and_markup(locale: str) -> None:
    catalog = _po(locale)
    assert not catalog.fuzzy
    for message in catalog:
        if not message.id:
            continue
        assert message.string, f"{locale}: {message.id!r} is not translated"
        assert not message.fuzzy, f"{locale}: {message.id!r} is marked fuzzy"
        for pattern in (_PLACEHOLDER, _TAG):
            original = sorted(pattern.findall(str(message.id)))
            assert sorted(pattern.findall(str(message.string))) == original, (locale, message.id)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_catalogue_holds_exactly_what_the_pages_say(locale: str) -> None:
    extracted, translated = _extracted(), set(_messages(_po(locale)))
    assert extracted, "babel.cfg found no page text"
    assert not extracted - translated, (
        f"new page text, not in {locale}'s catalogue: run `make translations-update`, then "
        f"translate it: {sorted(extracted - translated)}"
    )
    assert not translated - extracted, f"stale in {locale}: {sorted(translated - extracted)}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_compiled_catalogue_says_what_the_po_says(locale: str) -> None:
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    assert path.is_file(), f"{path} is missing: `make install` (or `make translations`) compiles it"
    with path.open("rb") as file:
        compiled = _messages(read_mo(file))
    assert compiled == _messages(_po(locale)), f"{path} is stale: run `make translations`"


def test_dutch_speaks_to_the_reader_as_u() -> None:
    """The formal register, throughout: never the informal je/jij/jouw."""
    informal = re.compile(r"\b(je|jij|jou|jouw)\b", re.IGNORECASE)
    texts = _messages(_po("nl")).values()
    assert not [text for text in texts if informal.search(text)]
    assert any(re.search(r"\bu\b", text) for text in texts)
