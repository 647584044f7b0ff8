"""Phone numbers in speech: one function wraps them in SSML say-as, in the plan's digit groups,
escaped, so the catalogue's text around them stays text and the markup is well formed."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from markupsafe import Markup

from skill.alexa.speech import plain, ssml, telephone
from skill.content.plan import load_plan
from skill.content.strings import load_catalogue

PLAN = load_plan()
CATALOGUE = load_catalogue()
# The say-as values Alexa's SSML reference lists (developer.amazon.com, "Speech Synthesis Markup
# Language (SSML) Reference", say-as).
ALEXA_SAY_AS = {
    "characters",
    "spell-out",
    "cardinal",
    "number",
    "ordinal",
    "digits",
    "fraction",
    "unit",
    "date",
    "time",
    "telephone",
    "address",
    "interjection",
    "expletive",
}


def parsed(markup: Markup) -> ElementTree.Element:
    """The SSML as Alexa gets it, inside <speak>; a parse error fails the test."""
    return ElementTree.fromstring(f"<speak>{ssml(markup)}</speak>")


def every_number() -> list[str]:
    """Every number the skill may say: the plan's contacts and each locale's emergency number."""
    numbers = [contact.phone for contact in PLAN.contacts.values()]
    numbers += [
        CATALOGUE.for_locale(locale).plain("check_in.emergency_number")
        for locale in CATALOGUE.locales
    ]
    return numbers


@pytest.mark.parametrize("number", every_number())
def test_a_number_is_one_say_as_telephone_in_the_groups_it_is_written_in(number: str) -> None:
    (element,) = list(parsed(telephone(number)))
    assert element.tag == "say-as"
    assert element.attrib == {"interpret-as": "telephone"}
    assert element.attrib["interpret-as"] in ALEXA_SAY_AS
    assert element.text == number  # "088 979 23 23": the plan's digit groups, as written
    assert list(element) == []  # text only: say-as takes no child elements


def test_the_plans_numbers_are_digit_groups() -> None:
    for contact in PLAN.contacts.values():
        groups = contact.phone.split(" ")
        assert len(groups) > 1, contact.phone
        assert all(group.isdigit() for group in groups), contact.phone


def test_a_number_is_escaped_never_trusted_as_markup() -> None:
    hostile = '1 <break time="10s"/> & "2"'
    markup = telephone(hostile)
    (element,) = list(parsed(markup))
    assert element.text == hostile
    assert "<break" not in str(markup)


def test_catalogue_text_around_a_number_stays_text() -> None:
    strings = CATALOGUE.for_locale("en-US")
    sentence = strings.text(
        "phone.again", contact=plain("R&D <b>"), phone=telephone("088 979 43 65")
    )
    root = parsed(sentence)
    assert [element.tag for element in root] == ["say-as"]  # the one element is the number
    assert "".join(root.itertext()) == "The number is 088 979 43 65, for R&D <b>."


def test_text_for_a_card_keeps_the_plain_digits() -> None:
    strings = CATALOGUE.for_locale("en-US")
    card = strings.plain(
        "phone.again", contact="the Neurosurgery department", phone="088 979 43 65"
    )
    assert card == "The number is 088 979 43 65, for the Neurosurgery department."
