"""The HTTP side of the skill: POST /alexa (verify, deserialize, invoke), health checks."""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope, ResponseEnvelope
from ask_sdk_model.request import Request
from ask_sdk_model.response import Response as AlexaResponse
from ask_sdk_model.ui import SsmlOutputSpeech
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine

from skill.alexa.serializer import AlexaSerializer
from skill.alexa.speech import ssml
from skill.alexa.verification import RequestVerifier, VerificationError, check_application_id
from skill.content.strings import Catalogue
from skill.store.engine import is_reachable
from skill.store.request_connection import connection_for_request

log = logging.getLogger(__name__)
EXTENSION = "spine_coach"
RESPONSE_VERSION = "1.0"


class BadRequest(Exception):
    """The request is not a well-formed Alexa envelope; answered with HTTP 400."""


def _nothing(parsed: Any) -> None:
    pass


@dataclass
class AlexaEndpoint:
    """Everything POST /alexa needs, built once by the app factory."""

    skill: CustomSkill
    catalogue: Catalogue
    engine: Engine
    verifier: RequestVerifier | None
    skill_id: str | None
    serializer: AlexaSerializer
    # Given the parsed body before it is checked: the app's logs take the request's id from
    # it (skill.web.logs.adopt_alexa_request_id).
    on_parsed: Callable[[Any], None] = _nothing

    def answer(self, body: bytes, headers: Any) -> dict[str, Any]:
        """The response envelope for a raw body; raises BadRequest or VerificationError."""
        parsed = parse_json(body)
        self.on_parsed(parsed)
        envelope = check_envelope(parsed)
        if self.skill_id is not None:
            check_application_id(envelope, self.skill_id)
        # One pooled connection for the whole request: the replay check, then the skill.
        with connection_for_request(self.engine):
            if self.verifier is not None:
                try:
                    self.verifier.verify(
                        cert_chain_url=headers.get("SignatureCertChainUrl"),
                        signature=headers.get("Signature-256"),
                        body=body,
                        envelope=envelope,
                    )
                except VerificationError:
                    raise
                except Exception:  # the replay check's database failed: nothing was done
                    log.exception(
                        "could not check request %s", envelope["request"].get("requestId")
                    )
                    return self.apology(envelope["request"]["type"])
            request_type = envelope["request"]["type"]
            if request_type not in Request.discriminator_value_class_map:
                log.info(
                    "an unknown request type, answered with an empty response: %s", request_type
                )
                return empty_response()
            try:
                if not _utf8_text(body):  # what ask-sdk's deserialize reads (the body as text)
                    raise SerializationException("the body is not UTF-8 text")
                request_envelope = self.serializer.deserialize_parsed(envelope, RequestEnvelope)
            except Exception as error:
                problem = type(error).__name__
                raise BadRequest(f"envelope does not deserialize: {problem}") from error
            try:
                # The raw envelope rides along as the handler context: ask-sdk-model drops fields
                # some handlers need (SkillDisabled's userInformationPersistenceStatus).
                response_envelope = self.skill.invoke(request_envelope, envelope)
            except Exception:
                log.exception("skill failed for request %s", envelope["request"].get("requestId"))
                return self.apology(request_type)
            try:
                return _as_dict(self.serializer.serialize(response_envelope))
            except RecursionError as error:  # session attributes nested hundreds deep
                raise BadRequest("session attributes are nested too deeply") from error

    def apology(self, request_type: str) -> dict[str, Any]:
        """A valid response when even the skill's own error handling failed."""
        if request_type not in ("LaunchRequest", "IntentRequest"):
            return empty_response()
        strings = self.catalogue.for_locale(None)
        apology = ssml(strings.text("conversation.apology"))
        speech = SsmlOutputSpeech(ssml=f"<speak>{apology}</speak>")
        envelope = ResponseEnvelope(
            version=RESPONSE_VERSION,
            response=AlexaResponse(output_speech=speech, should_end_session=True),
        )
        return _as_dict(self.serializer.serialize(envelope))


def _as_dict(serialized: object) -> dict[str, Any]:
    if not isinstance(serialized, dict):
        raise TypeError("a response envelope serializes to a JSON object")
    return serialized


def empty_response() -> dict[str, Any]:
    """A valid response that says and does nothing."""
    return {"version": RESPONSE_VERSION, "response": {}}


def parse_json(body: bytes) -> Any:
    """The body parsed as JSON (in UTF-8, -16 or -32, as `json.loads` reads bytes)."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest("body is not JSON") from error
    except RecursionError as error:  # `[[[[…` nested past the decoder's limit: not ValueError
        raise BadRequest("body is nested too deeply") from error


def _utf8_text(body: bytes) -> bool:
    """Whether `json.loads` of `body` read it as UTF-8 and would read `body.decode("utf-8")`
    alike: no byte-order mark, no UTF-16 or -32 (a NUL in the first two bytes: json's own
    test), no encoded surrogates (json reads them, strict UTF-8 does not)."""
    if body.startswith(codecs.BOM_UTF8) or b"\x00" in body[:2]:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_envelope(envelope: Any) -> dict[str, Any]:
    """The parsed body, checked for the parts every Alexa request has."""
    if not isinstance(envelope, dict):
        raise BadRequest("body is not a JSON object")
    alexa_request, context = envelope.get("request"), envelope.get("context")
    if not isinstance(alexa_request, dict) or not isinstance(alexa_request.get("type"), str):
        raise BadRequest("no request.type")
    if not isinstance(context, dict) or not isinstance(context.get("System"), dict):
        raise BadRequest("no context.System")
    return envelope


def _bad_request() -> tuple[Response, int]:
    return jsonify(error="bad request"), 400


def alexa() -> Response | tuple[Response, int]:
    """Alexa's requests: verified, then answered by the skill."""
    endpoint: AlexaEndpoint = current_app.extensions[EXTENSION]
    if request.mimetype != "application/json":
        log.warning("refused request: content type %r", request.mimetype)
        return _bad_request()
    body = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413
    try:
        answer = endpoint.answer(body, request.headers)
    except (BadRequest, VerificationError) as error:
        log.warning("refused request: %s", error)
        return _bad_request()
    # Compact, in the order built: Alexa reads any order, and jsonify would sort the keys.
    return Response(json.dumps(answer, separators=(",", ":")), mimetype="application/json")


def healthz() -> Response:
    """The process is up."""
    return jsonify(status="ok")


def readyz() -> Response | tuple[Response, int]:
    """The database is reachable."""
    endpoint: AlexaEndpoint = current_app.extensions[EXTENSION]
    if is_reachable(endpoint.engine):
        return jsonify(status="ready")
    return jsonify(status="database unreachable"), 503


def init_app(app: Flask, endpoint: AlexaEndpoint, *, csrf: CSRFProtect) -> None:
    """Mount POST /alexa (answered by `endpoint`) and the health checks, exempt from `csrf`:
    Alexa's requests are signed, not forms."""
    pages = Blueprint("alexa", __name__)
    pages.add_url_rule("/alexa", "alexa", alexa, methods=["POST"])
    pages.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    pages.add_url_rule("/readyz", "readyz", readyz, methods=["GET"])
    csrf.exempt(pages)
    app.extensions[EXTENSION] = endpoint
    app.register_blueprint(pages)
