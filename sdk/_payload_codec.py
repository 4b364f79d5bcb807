"""Apply a payload codec to every payload inside a protobuf message.

The official SDKs run their codec over each payload a request carries and each payload
a response brings (a generated visitor per message type). Here one walk over the
message's descriptors finds them: ``Payloads`` lists, single ``Payload`` fields, maps of
payloads (a memo), and ``google.protobuf.Any`` bodies of known types (the update
requests and answers in workflow task protocol messages). As in the official SDKs,
search attributes stay as they are (the server indexes them) and so do headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, Payloads

from sdk.converter import PayloadCodec

MessageT = TypeVar("MessageT", bound=Message)
Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]

_PAYLOAD = Payload.DESCRIPTOR.full_name
_PAYLOADS = Payloads.DESCRIPTOR.full_name
_ANY = "google.protobuf.Any"
# Left as they are, as the official SDKs leave them by default.
_UNTOUCHED = frozenset({"temporal.api.common.v1.SearchAttributes", "temporal.api.common.v1.Header"})

# The SDK core's own bookkeeping in its markers (a patch's id, a local activity's sequence
# number and times) is written and read as plain JSON by every official SDK, whatever codec
# the user has: only the rest of a marker (a local activity's result, its failure) is encoded.
_MARKERS = frozenset(
    {
        "temporal.api.command.v1.RecordMarkerCommandAttributes",
        "temporal.api.history.v1.MarkerRecordedEventAttributes",
    }
)
_CORE_MARKER_BOOKKEEPING = {"core_patch": frozenset({"patch-data"}), "core_local_activity": frozenset({"data"})}

_holds_payloads: dict[str, bool] = {}


def may_hold_payloads(descriptor: Any, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a message of this type (a message ``Descriptor``) can contain a payload we
    transform (cached)."""
    name = descriptor.full_name
    if name in _holds_payloads:
        return _holds_payloads[name]
    if name in _UNTOUCHED:
        return False
    if name in (_PAYLOAD, _PAYLOADS, _ANY):
        return True
    if name in seen:  # a recursive type (Failure.cause): its other fields decide
        return False
    answer = any(
        field.type == FieldDescriptor.TYPE_MESSAGE and may_hold_payloads(field.message_type, seen | {name})
        for field in descriptor.fields
    )
    if answer or not seen:  # a "no" inside a cycle may be partial; cache only complete ones
        _holds_payloads[name] = answer
    return answer


async def _one(transform: Transform, payload: Payload) -> Payload:
    result = await transform([payload])
    if len(result) != 1:
        raise ValueError(f"payload codec returned {len(result)} payloads for one")
    return result[0]


async def transform_payloads(message: Message, transform: Transform) -> bool:
    """Replace, in place, each payload in ``message`` with what ``transform`` makes of it.

    ``transform`` is called once per ``Payloads`` list and once per single payload.

    Returns:
        Whether the message held any payload.
    """
    found = False
    kept: frozenset[str] = frozenset()
    if message.DESCRIPTOR.full_name in _MARKERS:
        kept = _CORE_MARKER_BOOKKEEPING.get(message.marker_name, frozenset())  # type: ignore[attr-defined]
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE or not may_hold_payloads(field.message_type):
            continue
        found = True
        kind: Any = field.message_type
        if kind.GetOptions().map_entry:
            value_field: Any = kind.fields_by_name["value"]
            for key in list(value):
                if field.name == "details" and key in kept:
                    continue
                if value_field.message_type.full_name == _PAYLOAD:
                    value[key].CopyFrom(await _one(transform, value[key]))
                else:
                    await transform_payloads(value[key], transform)
        elif field.is_repeated:
            if kind.full_name == _PAYLOAD:
                replaced = await transform(list(value))
                del value[:]
                value.extend(replaced)
            else:
                for item in value:
                    await transform_payloads(item, transform)
        elif kind.full_name == _PAYLOAD:
            value.CopyFrom(await _one(transform, value))
        elif kind.full_name == _PAYLOADS:
            replaced = await transform(list(value.payloads))
            del value.payloads[:]
            value.payloads.extend(replaced)
        elif kind.full_name == _ANY:
            await _transform_any(value, transform)
        else:
            await transform_payloads(value, transform)
    return found


async def _transform_any(packed: Any, transform: Transform) -> None:
    from google.protobuf import descriptor_pool, message_factory  # only here: 5 ms to load

    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(packed.TypeName())
    except KeyError:
        return  # a type this process does not know cannot hold our payloads
    inner = message_factory.GetMessageClass(descriptor)()
    if not packed.Unpack(inner):
        return
    if await transform_payloads(inner, transform):
        prefix = packed.type_url[: -len(packed.TypeName())].rstrip("/")
        packed.Pack(inner, type_url_prefix=prefix)


async def encode_message(message: Message, codec: PayloadCodec) -> None:
    """Encode every payload in ``message`` (in place) with ``codec``."""
    await transform_payloads(message, codec.encode)


async def decode_message(message: Message, codec: PayloadCodec) -> None:
    """Decode every payload in ``message`` (in place) with ``codec``."""
    await transform_payloads(message, codec.decode)


async def encoded_copy(message: MessageT, codec: PayloadCodec) -> MessageT:
    """A copy of ``message`` with its payloads encoded (the message stays as it was)."""
    copy = type(message)()
    copy.CopyFrom(message)
    await encode_message(copy, codec)
    return copy


async def decoded_copy(message: MessageT, codec: PayloadCodec) -> MessageT:
    """A copy of ``message`` with its payloads decoded (the message stays as it was)."""
    copy = type(message)()
    copy.CopyFrom(message)
    await decode_message(copy, codec)
    return copy


class CodecService:
    """A ``WorkflowServiceStub`` whose calls encode the request's payloads and decode the
    response's with a codec: what a worker talks through when its client has one.

    A polled task is handed over as the server sent it: the worker decodes it with
    :func:`decode_task`, so a payload the codec cannot decode fails that task (as in the
    official SDKs) instead of the poll loop.
    """

    def __init__(self, service: Any, codec: PayloadCodec) -> None:
        self._service = service
        self.codec = codec

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._service, name)
        polls_task = name in ("PollWorkflowTaskQueue", "PollActivityTaskQueue")

        async def call(request: Message, **kwargs: Any) -> Any:
            if polls_task:
                return await method(request, **kwargs)
            return await coded_call(method, request, self.codec, **kwargs)

        return call


async def decode_task(service: Any, task: Message) -> None:
    """Decode a polled task's payloads in place if ``service`` is a :class:`CodecService`."""
    if isinstance(service, CodecService):
        await decode_message(task, service.codec)


async def coded_call(
    method: Callable[..., Awaitable[Any]], request: Message, codec: PayloadCodec | None, **kwargs: Any
) -> Any:
    """``method(request, **kwargs)`` with the request's payloads encoded and the response's
    decoded (the caller's request is left as it was)."""
    if codec is None:
        return await method(request, **kwargs)
    if may_hold_payloads(request.DESCRIPTOR):
        request = await encoded_copy(request, codec)
    response = await method(request, **kwargs)
    if isinstance(response, Message):
        await decode_message(response, codec)
    return response
