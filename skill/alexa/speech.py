"""Building spoken responses: SSML from catalogue messages, questions with reprompts, repeat."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeGuard
from xml.etree import ElementTree

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Directive, Response
from ask_sdk_model.ui import Card, SimpleCard
from markupsafe import Markup, escape

from skill.alexa import pending as pending_question
from skill.alexa.outcome import Listed, Message, Outcome
from skill.alexa.pending import Pending
from skill.alexa.request import has_session, session_attributes
from skill.content.strings import Strings

MAX_SSML_CHARS = 8000
LAST_SPEECH = "last_speech"
LAST_REPROMPT = "last_reprompt"


class SpeechTooLong(RuntimeError):
    """A response would break Alexa's 8000-character SSML limit."""


def ssml(markup: Markup) -> str:
    """Markup as SSML text: apostrophes (in every "I'm") need no escaping outside attributes."""
    return str(markup).replace("&#39;", "'")


def plain(text: str) -> Markup:
    """Plan text as SSML-safe markup."""
    return escape(text)


def telephone(number: str) -> Markup:
    """A phone number, read as a number to dial in the digit groups it is written in
    ('088 979 23 23'): the one place a number gets its SSML. The number itself is escaped;
    only the say-as markup around it is trusted."""
    return Markup('<say-as interpret-as="telephone">{}</say-as>').format(number)


class Reply:
    """One response: sentences, then at most one question with its reprompt."""

    def __init__(self, strings: Strings) -> None:
        self.strings = strings
        self._parts: list[Markup] = []
        self._question: Markup | None = None
        self._reprompt: Markup | None = None
        self._pending: Pending | None = None
        self._directives: list[Directive] = []
        self._card: tuple[str, str] | Card | None = None
        self._handover: Directive | None = None

    def say(self, key: str, /, **params: Any) -> Reply:
        """Add the catalogue message `key`."""
        self._parts.append(self.strings.text(key, **params))
        return self

    def add(self, markup: Markup) -> Reply:
        """Add already rendered markup (plan text, composed phrases)."""
        self._parts.append(markup)
        return self

    def ask(self, key: str, reprompt: str | None = None, /, **params: Any) -> Reply:
        """End with the question `key`; the session stays open and `reprompt` (or it) follows."""
        self._question = self.strings.text(key, **params)
        self._reprompt = self.strings.text(reprompt, **params) if reprompt else self._question
        return self

    def ask_anything_else(self) -> Reply:
        """End with 'Anything else?': the usual close of an answer."""
        return self.ask("conversation.anything_else")

    def expect(self, pending: Pending) -> Reply:
        """What the question waits for (skill/alexa/pending.py), for the next answer only."""
        self._pending = pending
        return self

    def follow(self, outcome: Outcome) -> Reply:
        """Say what a service's outcome says, in this reply's language, with its directives."""
        for part in outcome.parts:
            self._parts.append(self._render(part) if isinstance(part, Message) else part)
        if outcome.question is not None:
            question, reprompt = outcome.question
            self._question, self._reprompt = self._render(question), self._render(reprompt)
        if outcome.pending is not None:
            self._pending = outcome.pending
        self._directives.extend(outcome.directives)
        if outcome.handover is not None:
            self._handover = outcome.handover
        if outcome.card is not None:
            self._card = outcome.card
        return self

    def _render(self, message: Message) -> Markup:
        params = {name: self._value(value) for name, value in message.params.items()}
        return self.strings.text(message.key, **params)

    def _value(self, value: Any) -> Any:
        if isinstance(value, Message):
            return self._render(value)
        if isinstance(value, Listed):
            return self.strings.join([self._value(item) for item in value.items])
        if isinstance(value, date):
            return self.strings.date(value)
        return value

    def directive(self, directive: Directive) -> Reply:
        """Send a directive (AudioPlayer.Play, Stop …) with the speech."""
        self._directives.append(directive)
        return self

    def card(self, title_key: str, text_key: str, /, **params: Any) -> Reply:
        """Show a card (the Alexa app, screen devices) with catalogue text."""
        self._card = (self.strings.plain(title_key), self.strings.plain(text_key, **params))
        return self

    def hand_over(self, directive: Directive) -> Reply:
        """Hand the conversation to Alexa (Connections.SendRequest, AskFor): Alexa asks next and
        answers with a Connections.Response, so the reply asks nothing itself."""
        self._handover = directive
        return self

    @property
    def speech(self) -> Markup:
        """Everything said, question last."""
        parts = [*self._parts, *([self._question] if self._question else [])]
        return Markup(" ").join(part for part in parts if part)

    def build(self, handler_input: HandlerInput) -> Response:
        """The Alexa response; it ends the session unless a question was asked. A hand-over
        (`hand_over`) goes with no question, no reprompt and `shouldEndSession` left unset:
        Alexa's rule for Connections.SendRequest, whose answer comes in the same session."""
        if self._handover is not None and self._question is not None:
            raise ValueError("a hand-over to Alexa asks no question of its own")
        speech, reprompt = ssml(self.speech), ssml(self._reprompt or Markup())
        if len(speech) + len("<speak></speak>") > MAX_SSML_CHARS:
            raise SpeechTooLong(f"{len(speech)} characters")
        if not has_session(handler_input):
            raise ValueError("a spoken reply needs a session")
        builder = handler_input.response_builder
        if speech:
            builder.speak(speech)
        for directive in self._directives:
            builder.add_directive(directive)
        if isinstance(self._card, tuple):
            builder.set_card(SimpleCard(title=self._card[0], content=self._card[1]))
        elif self._card is not None:
            builder.set_card(self._card)
        session = session_attributes(handler_input)
        session.pop(pending_question.SESSION_KEY, None)
        if self._handover is not None:
            builder.add_directive(self._handover)
        elif self._question is not None:
            if self._pending is not None:
                session[pending_question.SESSION_KEY] = pending_question.dump(self._pending)
            builder.ask(reprompt).set_should_end_session(False)
            session[LAST_SPEECH] = speech
            session[LAST_REPROMPT] = reprompt
        else:
            builder.set_should_end_session(True)
        return builder.response


def _well_formed(value: object) -> TypeGuard[str]:
    """Whether a session value is SSML this skill could have said: text within Alexa's limit
    that parses inside <speak>."""
    if not isinstance(value, str) or not value or len(value) > MAX_SSML_CHARS - 20:
        return False
    try:
        ElementTree.fromstring(f"<speak>{value}</speak>")
    except ElementTree.ParseError:
        return False
    return True


def repeat_last(handler_input: HandlerInput) -> Response | None:
    """The last question-ending response again, if this session has one."""
    session = session_attributes(handler_input)
    speech, reprompt = session.get(LAST_SPEECH), session.get(LAST_REPROMPT)
    if not (_well_formed(speech) and _well_formed(reprompt)):
        return None  # nothing said yet, or a session that did not come from this skill
    builder = handler_input.response_builder.speak(speech).ask(reprompt)
    return builder.set_should_end_session(False).response
