"""ask-sdk's serializer, with its per-call reflection replaced by plans built once per type.

DefaultSerializer works out, on every value of every request, what to do with it: it matches
type strings ('list[ask_sdk_model.slot.Slot]') with regular expressions, `__import__`s model
classes by name, walks (and updates) each class's `attribute_map`, and parses timestamps with
dateutil. For one Alexa request that is most of the time the skill spends outside its handlers.

AlexaSerializer does the same work once per type string or class and keeps the result: a
decoder (a function from parsed JSON to the value DefaultSerializer would return) or an encoder
(the reverse). Its results are DefaultSerializer's: tests/alexa/test_serializer.py compares
the two on every envelope the project builds, on generated broken envelopes and on responses.

It uses ask-sdk's public surface only: DefaultSerializer's public methods and class attributes
(`serialize`, `PRIMITIVE_TYPES`, `NATIVE_TYPES_MAPPING`) and the models' public class metadata
(`deserialized_types`, `attribute_map`, `get_real_child_model`). Where DefaultSerializer's
private helpers would be needed, their behaviour is written out here (its class lookup, its
reading of timestamps with python-dateutil's public `parser.parse`).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import dateutil.parser
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer

Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Any]
Serialized = dict[str, Any] | list[Any] | tuple[Any, ...] | str | int | float | bytes | None

# DefaultSerializer's patterns for container type strings, used once per type string.
_LIST_TYPE = re.compile(r"list\[(.*)\]")
_DICT_TYPE = re.compile(r"dict\(([^,]*), (.*)\)")
_NO_ATTRIBUTES: dict[str, Any] = {}
# DefaultSerializer compares types with ==, as `in` does (a class is equal only to itself).
_PASSED_THROUGH = (object,)
_TIMESTAMPS = (date, datetime)


@dataclass(frozen=True, slots=True)
class _ModelPlan:
    """How one model class reads a JSON object: DefaultSerializer's `attribute_map` walk."""

    fields: tuple[tuple[str, str, Decoder], ...]  # (attribute, JSON key, decoder)
    known_keys: frozenset[str]  # JSON keys that are fields; the others become extra attributes


class AlexaSerializer(DefaultSerializer):
    """DefaultSerializer's results, from per-type plans cached on first use.

    Thread-safe: a cache entry is stored only once complete, so concurrent requests at worst
    build the same plan twice. Model classes are assumed not to change after their first use.
    Alexa's ISO 8601 timestamps are read by `datetime.fromisoformat`; other forms by dateutil,
    as DefaultSerializer reads them (`_dateutil_timestamp`).
    """

    def __init__(self) -> None:
        super().__init__()
        self._decoders: dict[Any, Decoder] = {}  # by type string or class
        self._subclasses: dict[str, Decoder] = {}  # by the class name a discriminator gives
        self._encoders: dict[type, Encoder] = {}

    # Deserializing ------------------------------------------------------------------------

    def deserialize(self, payload: str | None, obj_type: Any) -> Any:
        """The `obj_type` instance `payload` (JSON) describes, as DefaultSerializer reads it.

        Malformed input always raises SerializationException, also where DefaultSerializer
        lets another exception out (a TypeError for a number where a top-level list goes)."""
        if payload is None:
            return None
        try:
            data = json.loads(payload)
        except Exception as error:
            raise SerializationException(f"Couldn't parse response body: {payload}") from error
        return self.deserialize_parsed(data, obj_type)

    def deserialize_parsed(self, data: Any, obj_type: Any) -> Any:
        """`deserialize` of JSON already parsed: the `obj_type` instance `data` describes.

        For a caller that has parsed the body already (POST /alexa), so it is parsed once.
        Values typed `object` (session attributes' values, …) are shared with `data`, where
        `deserialize` would have parsed copies: change neither in place."""
        if data is None:
            return None
        try:
            return self._decoder(obj_type)(data)
        except SerializationException:
            raise
        except Exception as error:  # DefaultSerializer's own, for malformed payloads
            raise SerializationException(str(error)) from error

    def _decoder(self, obj_type: Any) -> Decoder:
        try:
            return self._decoders[obj_type]
        except KeyError:
            pass
        except TypeError:  # an unhashable obj_type: not a type, but the caller's to pass
            return self._build_decoder(obj_type)
        decoder = self._build_decoder(obj_type)
        self._decoders[obj_type] = decoder
        return decoder

    def _build_decoder(self, obj_type: Any) -> Decoder:
        """Every decoder maps None to None, as DefaultSerializer does for every type."""
        if not isinstance(obj_type, str):
            return self._class_decoder(obj_type)
        if obj_type.startswith("list["):
            return self._list_decoder(obj_type)
        if obj_type.startswith("dict("):
            return self._dict_decoder(obj_type)
        if obj_type in self.NATIVE_TYPES_MAPPING:
            return self._class_decoder(self.NATIVE_TYPES_MAPPING[obj_type])
        try:
            resolved = self._load_class(obj_type)
        except SerializationException:
            return self._unresolved_decoder(obj_type)
        return self._class_decoder(resolved)

    def _list_decoder(self, type_string: str) -> Decoder:
        match = _LIST_TYPE.match(type_string)
        if match is None:
            return _constant_decoder(list)
        item_types = match.group(1)
        if "," in item_types:  # 'list[a, b]': one type per position
            positional = tuple(self._decoder(item.strip()) for item in item_types.split(","))
            return _positional_list_decoder(positional)
        return _list_of(self._decoder(item_types.strip()))

    def _dict_decoder(self, type_string: str) -> Decoder:
        match = _DICT_TYPE.match(type_string)
        if match is None:
            return _constant_decoder(dict)
        return _dict_of(self._decoder(match.group(2)))

    def _unresolved_decoder(self, class_name: str) -> Decoder:
        """A class that does not import (yet): DefaultSerializer tries again on each value."""

        def decode(payload: Any) -> Any:
            if payload is None:
                return None
            return self._class_decoder(self._load_class(class_name))(payload)

        return decode

    def _class_decoder(self, obj_type: Any) -> Decoder:
        try:
            if obj_type in self.PRIMITIVE_TYPES:
                return _primitive_decoder(obj_type)
            if obj_type in _PASSED_THROUGH:
                return _identity
            if obj_type in _TIMESTAMPS:
                return self._timestamp_decoder(obj_type)
            if issubclass(obj_type, Enum):
                return _enum_decoder(obj_type)
            if not hasattr(obj_type, "deserialized_types"):
                return _identity
            discriminated = hasattr(obj_type, "get_real_child_model")
        except Exception as error:  # obj_type is no class: raised for any value but None
            return _failing_decoder(str(error))
        if discriminated:
            return self._discriminated_decoder(obj_type)
        return self._model_decoder(obj_type)

    def _timestamp_decoder(self, kind: Any) -> Decoder:
        """Alexa's ISO 8601 by the standard library; anything else as DefaultSerializer reads it."""

        def decode(payload: Any) -> Any:
            if payload is None:
                return None
            if isinstance(payload, str):
                try:
                    parsed = datetime.fromisoformat(payload)
                except ValueError:
                    pass
                else:
                    return parsed.date() if kind is date else parsed
            return _dateutil_timestamp(payload, kind)

        return decode

    def _discriminated_decoder(self, base: Any) -> Decoder:
        """A class with subclasses named by a payload field (Request by "type", …)."""
        real_child_model = base.get_real_child_model

        def decode(payload: Any) -> Any:
            if payload is None:
                return None
            class_name = real_child_model(payload)
            if not class_name:
                raise SerializationException(
                    f"Couldn't resolve object by discriminator type for {base} class"
                )
            subclass = self._subclasses.get(class_name)
            if subclass is None:
                subclass = self._model_decoder(self._load_class(class_name))
                self._subclasses[class_name] = subclass
            return subclass(payload)

        return decode

    def _model_decoder(self, model: Any) -> Decoder:
        """Its plan is made on first use: model classes refer to each other, even in cycles."""
        plan: _ModelPlan | None = None

        def decode(payload: Any) -> Any:
            nonlocal plan
            if payload is None:
                return None
            if plan is None:
                plan = self._model_plan(model)  # whole, then published: safe across threads
            instance = model()
            for attribute, key, field in plan.fields:
                if key in payload:
                    setattr(instance, attribute, field(payload[key]))
            if type(payload) is not dict or not plan.known_keys.issuperset(payload):
                # In payload order, after the fields, as they are: DefaultSerializer's extras.
                for extra in [key for key in payload if key not in plan.known_keys]:
                    setattr(instance, extra, payload[extra])
            return instance

        return decode

    def _model_plan(self, model: Any) -> _ModelPlan:
        """DefaultSerializer's `attribute_map`, completed from `deserialized_types` in a copy
        (DefaultSerializer completes the class's own dict; the result is the same)."""
        types = model.deserialized_types
        attribute_map = dict(getattr(model, "attribute_map", {}))
        attribute_map.update({name: name for name in types if name not in attribute_map})
        fields = tuple(
            (attribute, key, self._field_decoder(types, attribute))
            for attribute, key in attribute_map.items()
        )
        return _ModelPlan(fields=fields, known_keys=frozenset(attribute_map.values()))

    def _field_decoder(self, types: Any, attribute: str) -> Decoder:
        if attribute in types:
            return self._decoder(types[attribute])
        # In attribute_map only: DefaultSerializer fails on the key, even with a null value.
        return _always_failing_decoder(f"no deserialized type for {attribute!r}")

    def _load_class(self, class_name: str) -> Any:
        """DefaultSerializer's class lookup: 'module.Class', or a name in its own module."""
        try:
            parts = class_name.rsplit(".", 1)
            if len(parts) > 1:
                module_name, name = parts
                return getattr(__import__(module_name, fromlist=[name]), name)
            return getattr(sys.modules[DefaultSerializer.__module__], class_name)
        except Exception as error:
            raise SerializationException(
                f"Unable to resolve class {class_name} from installed modules: {error}"
            ) from error

    # Serializing --------------------------------------------------------------------------

    def serialize(self, obj: Any) -> Serialized:  # type: ignore[override]  # as in the base
        """`obj` as JSON-ready data: models as dicts of their non-None fields, by JSON key."""
        if obj is None:
            return None
        kind = type(obj)
        encoder = self._encoders.get(kind)
        if encoder is None:
            encoder = self._build_encoder(kind)
            self._encoders[kind] = encoder
        result: Serialized = encoder(obj)
        return result

    def _build_encoder(self, kind: type) -> Encoder:
        """DefaultSerializer's isinstance checks, in its order, made once per class."""
        if issubclass(kind, self.PRIMITIVE_TYPES):
            return _identity
        if issubclass(kind, list):
            return lambda obj: [self.serialize(item) for item in obj]
        if issubclass(kind, tuple):
            return lambda obj: tuple(self.serialize(item) for item in obj)
        if issubclass(kind, (datetime, date)):
            return _isoformat
        if issubclass(kind, Enum):
            return _enum_value
        if issubclass(kind, Decimal):
            return _decimal_number
        if issubclass(kind, dict):
            return lambda obj: {key: self.serialize(value) for key, value in obj.items()}
        return self._model_encoder(kind)

    def _model_encoder(self, kind: type) -> Encoder:
        types = getattr(kind, "deserialized_types", None)
        attribute_map = getattr(kind, "attribute_map", _NO_ATTRIBUTES)
        if not isinstance(types, dict) or not isinstance(attribute_map, dict):
            return self._base_encoder  # no plan to make: DefaultSerializer decides each time
        fields: tuple[tuple[Any, Any], ...] = tuple(
            (name, attribute_map.get(name, name)) for name in types
        )
        if len({key for _, key in fields}) < len(fields):  # two fields, one key: rare, subtle
            return self._base_encoder

        def encode(obj: Any) -> Any:
            own = getattr(obj, "__dict__", _NO_ATTRIBUTES)
            if "deserialized_types" in own or "attribute_map" in own:
                return self._base_encoder(obj)  # this object overrides its class's plan
            result: dict[Any, Any] = {}
            for attribute, key in fields:
                value = getattr(obj, attribute)
                if value is not None:
                    result[key] = self.serialize(value)
            return result

        return encode

    def _base_encoder(self, obj: Any) -> Any:
        """DefaultSerializer's serialize for this one object (its parts come back here)."""
        return DefaultSerializer.serialize(self, obj)


# Decoders that need no serializer ---------------------------------------------------------


def _identity(payload: Any) -> Any:
    return payload


def _constant_decoder(empty: Callable[[], Any]) -> Decoder:
    """A container type string DefaultSerializer's pattern does not match: always empty."""
    return lambda payload: None if payload is None else empty()


def _failing_decoder(message: str) -> Decoder:
    def decode(payload: Any) -> Any:
        if payload is None:
            return None
        raise SerializationException(message)

    return decode


def _always_failing_decoder(message: str) -> Decoder:
    def decode(payload: Any) -> Any:
        raise SerializationException(message)

    return decode


def _primitive_decoder(cast: Any) -> Decoder:
    """DefaultSerializer's cast: an uncastable type is kept, a bad value is an error."""

    def decode(payload: Any) -> Any:
        if payload is None or type(payload) is cast:
            return payload
        try:
            return cast(payload)
        except UnicodeEncodeError:
            return str(payload)
        except TypeError:
            return payload
        except ValueError as error:
            message = f"Failed to parse {payload} into '{cast.__name__}' object"
            raise SerializationException(message) from error

    return decode


def _dateutil_timestamp(payload: Any, kind: Any) -> Any:
    """DefaultSerializer's reading of a date or datetime (ask_sdk_core/serialize.py): dateutil's
    `parse`, the date alone for `date`; a ValueError becomes its SerializationException, any
    other error (a TypeError for a number, an OverflowError for huge digits) passes as it is."""
    try:
        parsed = dateutil.parser.parse(payload)
    except ValueError as error:
        message = f"Failed to parse {payload} into '{kind.__name__}' object"
        raise SerializationException(message) from error
    return parsed.date() if kind is date else parsed


def _enum_decoder(enum: type[Enum]) -> Decoder:
    return lambda payload: None if payload is None else enum(payload)


def _list_of(item: Decoder) -> Decoder:
    return lambda payload: None if payload is None else [item(value) for value in payload]


def _positional_list_decoder(items: tuple[Decoder, ...]) -> Decoder:
    def decode(payload: Any) -> Any:
        if payload is None:
            return None
        return [item(value) for value, item in zip(payload, items, strict=False)]

    return decode


def _dict_of(value_decoder: Decoder) -> Decoder:
    def decode(payload: Any) -> Any:
        if payload is None:
            return None
        return {key: value_decoder(value) for key, value in payload.items()}

    return decode


# Encoders ---------------------------------------------------------------------------------


def _isoformat(moment: date) -> str:
    return moment.isoformat()


def _enum_value(member: Enum) -> Any:
    return member.value


def _decimal_number(number: Decimal) -> int | float:
    return int(number) if number % 1 == 0 else float(number)
