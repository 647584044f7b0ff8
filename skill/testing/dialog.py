"""Multi-turn conversations against the real HTTP endpoint, carrying the session like Alexa."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from skill.testing import envelopes

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


class JsonPoster(Protocol):
    """Anything that posts JSON and returns a response with status_code and get_json()."""

    def post(self, path: str, *, json: Any, headers: dict[str, str] | None = ...) -> Any: ...


def ssml_to_text(ssml: str) -> str:
    """The words of an SSML string, tags removed and entities unescaped."""
    text = _TAG.sub("", ssml)
    for entity, char in (
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", '"'),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ):
        text = text.replace(entity, char)
    return _SPACE.sub(" ", text).strip()


@dataclass
class AlexaReply:
    """One response from the skill, with convenient views of it."""

    body: dict[str, Any]

    @property
    def response(self) -> dict[str, Any]:
        """The `response` object."""
        response: dict[str, Any] = self.body.get("response", {})
        return response

    @property
    def ssml(self) -> str:
        """The output speech SSML, or '' when nothing is said."""
        return str(self.response.get("outputSpeech", {}).get("ssml", ""))

    @property
    def speech(self) -> str:
        """The spoken words."""
        return ssml_to_text(self.ssml)

    @property
    def reprompt(self) -> str:
        """The reprompt's words, or ''."""
        ssml = self.response.get("reprompt", {}).get("outputSpeech", {}).get("ssml", "")
        return ssml_to_text(str(ssml))

    @property
    def ends_session(self) -> bool:
        """Whether the session closes after this response."""
        return bool(self.response.get("shouldEndSession", False))

    @property
    def session_attributes(self) -> dict[str, Any]:
        """What the skill keeps for the next turn."""
        attributes: dict[str, Any] = self.body.get("sessionAttributes") or {}
        return attributes


@dataclass
class Dialog:
    """A patient talking to the skill: each turn posts a real envelope and carries the session."""

    client: JsonPoster
    at: datetime
    user_id: str = envelopes.DEFAULT_USER
    device_id: str = envelopes.DEFAULT_DEVICE
    locale: str = "en-US"
    path: str = "/alexa"
    history: list[AlexaReply] = field(default_factory=list)
    _session_id: str | None = None
    _attributes: dict[str, Any] = field(default_factory=dict)

    def advance(self, **delta: float) -> None:
        """Move the clock on, e.g. advance(days=1, hours=2)."""
        self.at += timedelta(**delta)

    def launch(self) -> AlexaReply:
        """'Alexa, open spine coach': always a new session."""
        self._session_id, self._attributes = None, {}
        return self.send(envelopes.launch(at=self.at, **self._options()))

    def say(self, intent_name: str, **slots: str | dict[str, Any] | None) -> AlexaReply:
        """An intent, as Alexa would send it mid-session; str slot values become plain slots."""
        slot_data = {
            name: value if isinstance(value, dict) else envelopes.slot(name, value)
            for name, value in slots.items()
        }
        new = self._session_id is None
        body = envelopes.intent(
            intent_name, slot_data, at=self.at, new_session=new, **self._options()
        )
        return self.send(body)

    def end_session(self, reason: str = "USER_INITIATED") -> AlexaReply:
        """Alexa closes the session."""
        reply = self.send(envelopes.session_ended(at=self.at, reason=reason, **self._options()))
        self._session_id, self._attributes = None, {}
        return reply

    def send(self, body: dict[str, Any]) -> AlexaReply:
        """Post an envelope; keep the session going unless the response ends it."""
        if "session" in body:
            self._session_id = body["session"]["sessionId"]
        response = self.client.post(self.path, json=body)
        if response.status_code != 200:
            raise AssertionError(f"/alexa answered {response.status_code}: {response.get_data()!r}")
        reply = AlexaReply(response.get_json())
        self.history.append(reply)
        if reply.ends_session:
            self._session_id, self._attributes = None, {}
        else:
            self._attributes = reply.session_attributes
        return reply

    def _options(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "device_id": self.device_id,
            "locale": self.locale,
            "session_id": self._session_id or f"amzn1.echo-api.session.{uuid.uuid4()}",
            "session_attributes": self._attributes,
        }
