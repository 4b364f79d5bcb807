"""Turn Python values into Temporal payloads and back.

The encodings and metadata match Temporal's default data converter, so a value
written by Tempo is read by the official SDKs and the other way round:

============== =============================================================
encoding       values
============== =============================================================
binary/null    ``None``
binary/plain   ``bytes``
json/protobuf  protobuf messages (metadata ``messageType`` names the type)
binary/protobuf protobuf messages (decoding only)
json/plain     everything else that JSON can hold, plus dataclasses, enums,
               datetimes, UUIDs and sets
============== =============================================================

Decoding ``json/plain`` is driven by an optional type hint: with
``list[Order]`` a list of dicts comes back as a list of ``Order`` dataclasses.

A :class:`PayloadCodec` (``DataConverter(payload_codec=...)``) transforms the payloads
once more on their way to and from the server, as the official SDKs' codecs do: to
encrypt or compress them. The client, the worker and the Replayer apply it to every
payload they send or receive except search attributes and headers.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import sys
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from google.protobuf.message import DecodeError, Message
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure

__all__ = ["DataConverter", "PayloadCodec", "PayloadDecodeError"]

_ENCODING = "encoding"
_NULL = b"binary/null"
_BYTES = b"binary/plain"
_JSON_PROTO = b"json/protobuf"
_BINARY_PROTO = b"binary/protobuf"
_JSON = b"json/plain"


class PayloadDecodeError(ValueError):
    """A payload could not be turned back into a Python value."""


class PayloadCodec(ABC):
    """Transforms payloads as a whole after conversion: encryption, compression.

    The shape of the official SDK's ``temporalio.converter.PayloadCodec``, so one codec
    class can serve both SDKs (and ``tempo codec-server``). The data converter calls
    :meth:`encode` on payloads it sends and :meth:`decode` on payloads it receives;
    a codec should leave payloads it did not encode as they are.
    """

    @abstractmethod
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encode the given payloads (do not mutate them); return one payload for each."""

    @abstractmethod
    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decode the given payloads (do not mutate them); return one payload for each."""


class _JSONEncoder(json.JSONEncoder):
    """JSON encoder for the types Temporal's default converter also accepts."""

    def default(self, o: Any) -> Any:
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        if isinstance(o, enum.Enum):
            return o.value
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        uuid_class = _uuid_class()
        if uuid_class is not None and isinstance(o, uuid_class):
            return str(o)
        if isinstance(o, set | frozenset):
            return list(o)
        # Pydantic models and similar expose their JSON shape this way.
        to_dict = getattr(o, "model_dump", None) or getattr(o, "to_dict", None)
        if callable(to_dict):
            return to_dict()
        return super().default(o)


def _uuid_class() -> type | None:
    """``uuid.UUID`` if `uuid` was imported, else None: only then can a value be one, so the
    converter does not import it (it loads `platform`: 2 ms of a `tempo` command)."""
    uuid = sys.modules.get("uuid")
    return None if uuid is None else uuid.UUID


def _dumps(value: Any, **kwargs: Any) -> bytes:
    # Compact and sorted like Temporal's converter, so equal values give equal bytes.
    return json.dumps(value, separators=(",", ":"), sort_keys=True, **kwargs).encode()


def _message_class(full_name: str) -> type[Message]:
    # protobuf's Python layers (descriptor_pool, json_format) load only when a payload holds a
    # message: they cost a `tempo` command about 5 ms.
    from google.protobuf import descriptor_pool, message_factory

    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(full_name)
    except KeyError as err:
        raise PayloadDecodeError(f"unknown protobuf message type {full_name!r}") from err
    return message_factory.GetMessageClass(descriptor)


def _coerce(value: Any, hint: Any) -> Any:
    """Shape a decoded JSON value into ``hint`` (a class or a typing construct)."""
    if hint is None or hint is Any or hint is object:
        return value
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return _coerce(value, args[0])
    if origin is typing.Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg)
            except (TypeError, ValueError) as err:
                errors.append(str(err))
        raise TypeError(f"{value!r} matches none of {hint}: {'; '.join(errors)}")
    if origin is typing.Literal:
        if value not in args:
            raise ValueError(f"{value!r} is not one of {args}")
        return value
    if origin in (list, Sequence, typing.Sequence, set, frozenset) or hint in (list, set):
        if not isinstance(value, list):
            raise TypeError(f"expected a JSON array for {hint}, got {type(value).__name__}")
        item = args[0] if args else None
        items = [_coerce(v, item) for v in value]
        container = origin if origin in (set, frozenset) else list
        return container(items)
    if origin is tuple or hint is tuple:
        if not isinstance(value, list):
            raise TypeError(f"expected a JSON array for {hint}, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0]) for v in value)
        if args:
            return tuple(_coerce(v, a) for v, a in zip(value, args, strict=True))
        return tuple(value)
    if origin in (dict, Mapping, typing.Mapping) or hint is dict:
        if not isinstance(value, dict):
            raise TypeError(f"expected a JSON object for {hint}, got {type(value).__name__}")
        key_hint, value_hint = args if args else (None, None)
        return {_coerce_key(k, key_hint): _coerce(v, value_hint) for k, v in value.items()}
    if not isinstance(hint, type):
        return value
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError(f"expected a JSON object for {hint.__name__}")
        field_hints = typing.get_type_hints(hint)
        kwargs = {
            f.name: _coerce(value[f.name], field_hints.get(f.name))
            for f in dataclasses.fields(hint)
            if f.init and f.name in value
        }
        return hint(**kwargs)
    if issubclass(hint, enum.Enum):
        return hint(value)
    if issubclass(hint, datetime.datetime):
        return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
    if issubclass(hint, datetime.date):
        return datetime.date.fromisoformat(value) if isinstance(value, str) else value
    uuid_class = _uuid_class()
    if uuid_class is not None and issubclass(hint, uuid_class):
        return uuid_class(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (str, int, float, bool) and not isinstance(value, hint):
        raise TypeError(f"expected {hint.__name__}, got {type(value).__name__}")
    validate = getattr(hint, "model_validate", None)
    if callable(validate):
        return validate(value)
    return value


def _coerce_key(key: str, hint: Any) -> Any:
    # JSON object keys are always strings; bring back int/enum keys.
    if hint is int:
        return int(key)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(key) if not issubclass(hint, int) else hint(int(key))
    return key


@dataclasses.dataclass(frozen=True)
class DataConverter:
    """Converts values to Temporal payloads and exceptions to Temporal failures.

    Use :attr:`DataConverter.default` unless you need a custom JSON encoder or a codec.

    Attributes:
        json_encoder: The ``json.JSONEncoder`` class used for ``json/plain``.
        payload_codec: Applied to payloads on their way to and from the server (the
            conversion methods below do not apply it; the client and worker do).
    """

    json_encoder: type[json.JSONEncoder] = _JSONEncoder
    payload_codec: PayloadCodec | None = None

    default: ClassVar[DataConverter]

    def to_payload(self, value: Any) -> Payload:
        """Encode one value.

        Args:
            value: Any value JSON can hold, a dataclass, bytes, None or a protobuf message.

        Returns:
            The payload, with the ``encoding`` metadata Temporal expects.

        Raises:
            TypeError: The value cannot be encoded.
        """
        if value is None:
            return Payload(metadata={_ENCODING: _NULL})
        if isinstance(value, bytes):
            return Payload(metadata={_ENCODING: _BYTES}, data=value)
        if isinstance(value, Message):
            from google.protobuf import json_format

            return Payload(
                metadata={
                    _ENCODING: _JSON_PROTO,
                    "messageType": value.DESCRIPTOR.full_name.encode(),
                },
                data=_dumps(json_format.MessageToDict(value)),
            )
        try:
            data = self._to_json(value)
        except (TypeError, ValueError) as err:
            raise TypeError(f"cannot convert {type(value).__name__} to a payload: {err}") from err
        return Payload(metadata={_ENCODING: _JSON}, data=data)

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """Decode one payload.

        Args:
            payload: The payload to decode.
            type_hint: The expected type (e.g. a dataclass, ``list[Order]``,
                ``Order | None``); ``None`` gives plain JSON values.

        Returns:
            The decoded value.

        Raises:
            PayloadDecodeError: Unknown encoding, bad data, or data that does not
                fit the type hint.
        """
        encoding = payload.metadata.get(_ENCODING, b"")
        if encoding == _NULL:
            return None
        if encoding == _BYTES:
            return payload.data
        if encoding in (_JSON_PROTO, _BINARY_PROTO):
            from google.protobuf import json_format

            message_type = payload.metadata.get("messageType", b"").decode()
            message = _message_class(message_type)()
            try:
                if encoding == _JSON_PROTO:
                    json_format.Parse(payload.data, message, ignore_unknown_fields=True)
                else:
                    message.ParseFromString(payload.data)
            except (json_format.ParseError, DecodeError) as err:
                raise PayloadDecodeError(f"bad {message_type} payload: {err}") from err
            return message
        if encoding == _JSON:
            return self._from_json(payload.data, type_hint)
        shown = encoding.decode(errors="replace") or "<none>"
        raise PayloadDecodeError(f"unknown payload encoding {shown!r}")

    def _to_json(self, value: Any) -> bytes:
        """The ``json/plain`` bytes of a value (raises TypeError or ValueError)."""
        return _dumps(value, cls=self.json_encoder)

    def _from_json(self, data: bytes, type_hint: Any) -> Any:
        """A value from ``json/plain`` bytes, shaped by the type hint."""
        try:
            value = json.loads(data)
        except ValueError as err:
            raise PayloadDecodeError(f"payload is not valid JSON: {err}") from err
        try:
            return _coerce(value, type_hint)
        except (TypeError, ValueError, KeyError) as err:
            raise PayloadDecodeError(f"payload does not fit {_hint_name(type_hint)}: {err}") from err

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """Encode each value; see :meth:`to_payload`."""
        return [self.to_payload(v) for v in values]

    def from_payloads(self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None) -> list[Any]:
        """Decode each payload, using the type hint at the same position if given.

        Args:
            payloads: The payloads to decode.
            type_hints: Optional hints; missing or ``None`` entries mean "no hint".

        Returns:
            The decoded values, one per payload.
        """
        hints = list(type_hints or [])
        return [self.from_payload(p, hints[i] if i < len(hints) else None) for i, p in enumerate(payloads)]

    def to_failure(self, exc: BaseException) -> Failure:
        """Convert an exception (with its ``__cause__`` chain) into a Temporal failure."""
        from sdk._failure import exception_to_failure

        return exception_to_failure(exc, self)

    def from_failure(self, failure: Failure) -> BaseException:
        """Convert a Temporal failure (with its cause chain) into an exception."""
        from sdk._failure import failure_to_exception

        return failure_to_exception(failure, self)


def _hint_name(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint)


DataConverter.default = DataConverter()
