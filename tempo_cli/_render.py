"""Rows and JSON documents built from client data, and how text mode shows them.

Data is produced first (rows, dicts) and rendered last, so text and JSON modes
show the same facts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.sdk.v1 import UserMetadata

from sdk.client import WorkflowStatus
from sdk.converter import DataConverter
from tempo_cli import _render_text
from tempo_cli._plain_table import Rows

# What prints protobuf JSON (tempo_cli._render_json, which the lean path uses too), here too
# for the commands that import it from here.
from tempo_cli._render_json import history_json, payload_shorthand, proto_json

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
