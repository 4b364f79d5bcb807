"""Protobuf JSON as the `temporal` CLI prints it: payloads in its shorthand, histories as
protobuf's own JSON.

Apart from `_render` (which imports the SDK's client and converter for the payloads it
decodes) so that the lean path (`_lean_json`) prints a read's JSON with the very functions
the app prints it with, without loading the SDK's client.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, Payloads

from tempo_cli._render_text import proto_dict


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
