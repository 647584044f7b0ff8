"""What a service wants said, before it is said: catalogue messages, one question, directives.

Services below the handlers (the guided-set service in skill/sets) answer with an `Outcome`
rather than a spoken reply: message keys with their parameters in order, at most one question
with its reprompt and what it waits for, and AudioPlayer directives. The handler says it with
`Reply.follow`, in the patient's language: a parameter that is a `Message` is said too, a date
the locale's way, and `Listed` items as the locale's list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ask_sdk_model import Directive
from ask_sdk_model.ui import AskForPermissionsConsentCard, Card
from markupsafe import Markup

from skill.alexa.pending import Pending


@dataclass(frozen=True)
class Message:
    """The catalogue message `key` with its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def message(key: str, /, **params: Any) -> Message:
    """A catalogue message to say (or to use as another message's parameter)."""
    return Message(key, params)


@dataclass(frozen=True)
class Listed:
    """Items said as a list ('a, b and c')."""

    items: tuple[Any, ...]


@dataclass
class Outcome:
    """Sentences, then at most one question; the directives to send with them."""

    parts: list[Message | Markup] = field(default_factory=list)
    question: tuple[Message, Message] | None = None
    pending: Pending | None = None
    directives: list[Directive] = field(default_factory=list)
    # A directive that hands the conversation to Alexa (Connections.SendRequest): sent with no
    # reprompt and shouldEndSession unset, as Alexa requires.
    handover: Directive | None = None
    # A card for the Alexa app (the reminders permission, where Alexa cannot ask by voice).
    card: Card | None = None

    def say(self, key: str, /, **params: Any) -> Outcome:
        """Add the catalogue message `key`."""
        self.parts.append(Message(key, params))
        return self

    def add(self, markup: Markup) -> Outcome:
        """Add already rendered markup (a spoken chunk of a set)."""
        self.parts.append(markup)
        return self

    def ask(self, key: str, reprompt: str | None = None, /, **params: Any) -> Outcome:
        """End with the question `key` (the session stays open); `reprompt`, or it, follows."""
        self.question = (Message(key, params), Message(reprompt or key, params))
        return self

    def ask_anything_else(self) -> Outcome:
        """End with 'Anything else?'."""
        return self.ask("conversation.anything_else")

    def expect(self, pending: Pending) -> Outcome:
        """What the question waits for (skill/alexa/pending.py)."""
        self.pending = pending
        return self

    def directive(self, directive: Directive) -> Outcome:
        """Send an AudioPlayer directive with the speech."""
        self.directives.append(directive)
        return self

    def hand_over(self, directive: Directive) -> Outcome:
        """Hand the conversation to Alexa with `directive` (a Connections.SendRequest)."""
        self.handover = directive
        return self

    def consent_card(self, *scopes: str) -> Outcome:
        """Show an AskForPermissionsConsent card for `scopes` in the Alexa app."""
        self.card = AskForPermissionsConsentCard(permissions=list(scopes))
        return self
