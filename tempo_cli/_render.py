"""Rows and JSON documents built from client data, and how text mode shows them.

Data is produced first (rows, dicts) and rendered last, so text and JSON modes
show the same facts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.sdk.v1 import UserMetadata

from sdk.client import WorkflowStatus
from sdk.converter import DataConverter
from tempo_cli import _render_text
from tempo_cli._plain_table import Rows

# What shows text alone (tempo_cli._render_text), here too for the commands that import it from here.
from tempo_cli._render_text import (
    compact,
    event_time,
    event_type_name,
    failure_chain,
    format_time,
    json_value,
    key_value_table,
    next_run_id,
    proto_dict,
    status_text,
    undecoded_encoding,
)

__all__ = [
    "CLOSE_STATUS",
    "STATUS_STYLES",
    "EventPrinter",
    "compact",
    "decode_payloads",
    "event_details",
    "event_time",
    "event_type_name",
    "failure_chain",
    "format_time",
    "history_json",
    "json_value",
    "key_value_table",
    "next_run_id",
    "payload_shorthand",
    "proto_dict",
    "proto_json",
    "readable_payloads",
    "status_text",
    "undecoded_encoding",
    "user_metadata_texts",
]

STATUS_STYLES = {WorkflowStatus(number): style for number, style in _render_text.STATUS_STYLES.items()}

CLOSE_STATUS = {event_type: WorkflowStatus(number) for event_type, number in _render_text.CLOSED_AS.items()}


def proto_json(message: Message) -> Any:
    """Protobuf JSON with payloads in the `temporal` CLI's shorthand (see :func:`payload_shorthand`).

    What `temporal workflow describe/list/count/result -o json` print: a memo field,
    a result or a group value reads as its JSON value instead of base64.
    """
    from google.protobuf import json_format  # 5 ms to load: only when a command prints JSON

    return _with_shorthand(message, json_format.MessageToDict(message))


def payload_shorthand(payload: Payload) -> tuple[bool, Any]:
    """``(True, value)`` if the `temporal` CLI prints this payload as a plain value.

    As Temporal's Go API does: ``json/plain`` (with no other metadata) becomes its
    JSON value; ``json/protobuf`` with only ``messageType`` its JSON object plus
    ``_protoMessageType``; ``binary/null`` stays ``{"metadata": {"encoding": ...}}``.
    Anything else is left as the raw payload.
    """
    metadata = payload.metadata
    encoding = metadata.get("encoding", b"")
    try:
        if encoding == b"binary/null":
            return True, proto_dict(payload)
        if encoding == b"json/plain" and len(metadata) == 1:
            return True, json.loads(payload.data)
        if encoding == b"json/protobuf" and len(metadata) == 2 and metadata.get("messageType"):
            value = json.loads(payload.data)
            if isinstance(value, dict):
                value["_protoMessageType"] = metadata["messageType"].decode()
                return True, value
    except (ValueError, UnicodeDecodeError):
        pass
    return False, None


def _with_shorthand(message: Message, doc: Any) -> Any:
    if isinstance(message, Payload):
        handled, value = payload_shorthand(message)
        return value if handled else doc
    if isinstance(message, Payloads):
        values = [payload_shorthand(p) for p in message.payloads]
        return [v for _, v in values] if all(ok for ok, _ in values) else doc
    if not isinstance(doc, dict) or message.DESCRIPTOR.full_name.startswith("google.protobuf."):
        return doc  # well-known types (times, durations, Any) have their own JSON
    for field, value in message.ListFields():
        key = field.json_name
        if field.message_type is None or key not in doc:
            continue
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is not None:
                doc[key] = {k: _with_shorthand(value[k], doc[key][str(k)]) for k in value}
        elif field.is_repeated:
            doc[key] = [_with_shorthand(item, sub) for item, sub in zip(value, doc[key], strict=True)]
        else:
            doc[key] = _with_shorthand(value, doc[key])
    return doc


def history_json(message: Message) -> str:
    """``json_format.MessageToJson`` with two-space indent, like `temporal workflow show -o json`."""
    from google.protobuf import json_format  # 5 ms to load: only when a command prints JSON

    return json_format.MessageToJson(message, indent=2)


def decode_payloads(payloads: Payloads | Sequence[Payload], converter: DataConverter) -> list[Any]:
    """Each payload decoded to plain JSON; undecodable ones as their proto JSON."""
    items = payloads.payloads if isinstance(payloads, Payloads) else payloads
    values = []
    for payload in items:
        try:
            values.append(json_value(converter.from_payload(payload)))
        except ValueError:
            values.append(proto_dict(payload))
    return values


def _decoder(converter: DataConverter) -> Callable[[Sequence[Payload]], list[Any]]:
    return lambda payloads: decode_payloads(payloads, converter)


def readable_payloads(payloads: Payloads, converter: DataConverter) -> list[Any]:
    """:func:`decode_payloads` for a table cell: a payload of a codec's encoding shows as
    ``<ENCODING payload, N bytes>``, not as base64 (``--codec-endpoint`` decodes it)."""
    return _render_text.readable_payloads(payloads, _decoder(converter))


def user_metadata_texts(metadata: UserMetadata, converter: DataConverter) -> tuple[str | None, str | None]:
    """A summary and details (static ones of a workflow, or an event's) as text, None if absent."""
    return _render_text.user_metadata_texts(metadata, _decoder(converter))


def event_details(event: HistoryEvent, converter: DataConverter) -> str:
    """The few attributes of an event a person looks for, as ``key=value`` pairs."""
    return _render_text.event_details(event, _decoder(converter))


class EventPrinter(_render_text.EventPrinter):
    """Prints history events as aligned rows, one at a time (so `--follow` can stream)."""

    def __init__(self, print_table: Callable[[Rows], None], converter: DataConverter) -> None:
        """Print with ``print_table``; decode payloads with ``converter``."""
        super().__init__(print_table, _decoder(converter))
