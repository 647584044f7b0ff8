"""The baseline: a bare ask-sdk-core hello-world skill behind the same thin Flask adapter.

No verification and no database: it is what the framework alone costs, served the same way.
"""

from __future__ import annotations

import json

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import RequestEnvelope, Response
from flask import Flask, jsonify, request
from flask import Response as HttpResponse

SPEECH = "Hello world"


class LaunchRequestHandler(AbstractRequestHandler):
    """'Alexa, open hello world.'"""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(SPEECH).ask(SPEECH).response


class IntentRequestHandler(AbstractRequestHandler):
    """Any intent at all."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("IntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(SPEECH).ask(SPEECH).response


class AudioPlayerEventHandler(AbstractRequestHandler):
    """AudioPlayer events: an empty answer, as every AudioPlayer skill gives."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request_type = getattr(handler_input.request_envelope.request, "object_type", "") or ""
        return bool(request_type.startswith("AudioPlayer."))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.response


def build_skill() -> CustomSkill:
    """The hello-world skill."""
    builder = SkillBuilder()
    builder.add_request_handler(LaunchRequestHandler())
    builder.add_request_handler(IntentRequestHandler())
    builder.add_request_handler(AudioPlayerEventHandler())
    return builder.create()


def create() -> Flask:
    """The WSGI app, for gunicorn: `bench.hello_skill:create()`."""
    app = Flask(__name__)
    skill = build_skill()
    serializer = DefaultSerializer()

    @app.post("/alexa")
    def alexa() -> HttpResponse:
        body = request.get_data(cache=False)
        json.loads(body)  # the same parse the real endpoint does before deserializing
        envelope = serializer.deserialize(body.decode("utf-8"), RequestEnvelope)
        answer = serializer.serialize(skill.invoke(envelope, None))
        return jsonify(answer)

    @app.get("/healthz")
    def healthz() -> HttpResponse:
        return jsonify(status="ok")

    return app
