"""Rows and JSON documents built from client data, and how text mode shows them.

Data is produced first (rows, dicts) and rendered last, so text and JSON modes
show the same facts.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.sdk.v1 import UserMetadata

from sdk.client import WorkflowStatus
from sdk.converter import DataConverter
from tempo_cli._plain_table import Column, Rows, Styled

STATUS_STYLES = {
    WorkflowStatus.RUNNING: "bold blue",
    WorkflowStatus.COMPLETED: "bold green",
    WorkflowStatus.FAILED: "bold red",
    WorkflowStatus.CANCELED: "bold yellow",
    WorkflowStatus.TERMINATED: "bold magenta",
    WorkflowStatus.CONTINUED_AS_NEW: "bold cyan",
    WorkflowStatus.TIMED_OUT: "bold dark_orange",
    WorkflowStatus.PAUSED: "bold yellow",
}

CLOSE_STATUS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: WorkflowStatus.COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: WorkflowStatus.FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: WorkflowStatus.CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: WorkflowStatus.TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: WorkflowStatus.CONTINUED_AS_NEW,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: WorkflowStatus.TIMED_OUT,
}

_PREVIEW = 100


def status_text(status: WorkflowStatus) -> Styled:
    """The status as people read it (``ContinuedAsNew``), coloured."""
    return Styled(status.display, STATUS_STYLES.get(status, ""))


def proto_dict(message: Message) -> dict[str, Any]:
    """Protobuf JSON mapping (camelCase, int64 as strings), as the `temporal` CLI prints."""
    return json_format.MessageToDict(message)


def proto_json(message: Message) -> Any:
    """Protobuf JSON with payloads in the `temporal` CLI's shorthand (see :func:`payload_shorthand`).

    What `temporal workflow describe/list/count/result -o json` print: a memo field,
    a result or a group value reads as its JSON value instead of base64.
    """
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
    return json_format.MessageToJson(message, indent=2)


def json_value(value: Any) -> Any:
    """A decoded payload value as plain JSON (bytes become base64, protos their JSON)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Message):
        return proto_dict(value)
    if isinstance(value, Payload):
        return proto_dict(value)
    return value


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


_CONVERTER_ENCODINGS = frozenset({b"binary/null", b"binary/plain", b"json/plain", b"json/protobuf", b"binary/protobuf"})


def undecoded_encoding(payload: Payload) -> str | None:
    """The encoding of a payload no data converter reads (a codec's: encrypted, compressed),
    or None for the converter's own encodings."""
    encoding = payload.metadata.get("encoding", b"")
    if encoding in _CONVERTER_ENCODINGS:
        return None
    return encoding.decode(errors="replace") or "<no encoding>"


def readable_payloads(payloads: Payloads, converter: DataConverter) -> list[Any]:
    """:func:`decode_payloads` for a table cell: a payload of a codec's encoding shows as
    ``<ENCODING payload, N bytes>``, not as base64 (``--codec-endpoint`` decodes it)."""
    values = []
    for payload, value in zip(payloads.payloads, decode_payloads(payloads, converter), strict=True):
        encoding = undecoded_encoding(payload)
        values.append(value if encoding is None else f"<{encoding} payload, {len(payload.data)} bytes>")
    return values


def compact(value: Any, limit: int = _PREVIEW) -> str:
    """One-line JSON of a value, shortened for tables."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_chain(failure: Failure) -> str:
    """``message: cause message: ...``, with the application error type if any."""
    parts = []
    current: Failure | None = failure
    while current is not None:
        part = current.message
        if current.HasField("application_failure_info") and current.application_failure_info.type:
            part += f" ({current.application_failure_info.type})"
        parts.append(part)
        current = current.cause if current.HasField("cause") else None
    return ": ".join(p for p in parts if p)


def event_type_name(event_type: int) -> str:
    """``EVENT_TYPE_WORKFLOW_TASK_STARTED`` → ``WorkflowTaskStarted``."""
    try:
        name = EventType.Name(event_type)  # type: ignore[arg-type]
    except ValueError:
        return f"Unknown({event_type})"
    return "".join(p.capitalize() for p in name.removeprefix("EVENT_TYPE_").split("_"))


def format_time(when: datetime.datetime | None) -> str:
    """UTC ISO time to the millisecond, or empty."""
    if when is None:
        return ""
    return when.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_time(event: HistoryEvent) -> str:
    """The event's time, formatted with :func:`format_time`."""
    if not event.HasField("event_time"):
        return ""
    return format_time(event.event_time.ToDatetime(tzinfo=datetime.UTC))


def _metadata_text(payload: Payload, converter: DataConverter) -> str | None:
    if not payload.ByteSize():
        return None
    values = decode_payloads([payload], converter)
    return values[0] if isinstance(values[0], str) else compact(values[0], 10_000)


def user_metadata_texts(metadata: UserMetadata, converter: DataConverter) -> tuple[str | None, str | None]:
    """A summary and details (static ones of a workflow, or an event's) as text, None if absent."""
    return _metadata_text(metadata.summary, converter), _metadata_text(metadata.details, converter)


def _attrs(event: HistoryEvent) -> Message | None:
    name = event.WhichOneof("attributes")
    return getattr(event, name) if name else None


def event_details(event: HistoryEvent, converter: DataConverter) -> str:
    """The few attributes of an event a person looks for, as ``key=value`` pairs."""
    attrs = _attrs(event)
    if attrs is None:
        return ""
    pairs: list[str] = []

    def add(key: str, value: Any) -> None:
        if value not in (None, "", [], 0):
            pairs.append(f"{key}={value}")

    def has(field: str) -> bool:
        return any(f.name == field for f, _ in attrs.ListFields())

    for field in ("workflow_type", "activity_type"):
        if has(field):
            add(field.split("_")[0] + "Type", getattr(attrs, field).name)
    for field, key in (
        ("signal_name", "name"),
        ("query_type", "query"),
        ("marker_name", "marker"),
        ("activity_id", "activityId"),
        ("timer_id", "timerId"),
        ("workflow_id", "workflowId"),
        ("new_execution_run_id", "newRunId"),
        ("reason", "reason"),
        ("cause", "cause"),
        ("timeout_type", "timeout"),
    ):
        if not has(field):
            continue
        value = getattr(attrs, field)
        if (field == "cause" and isinstance(value, int)) or field == "timeout_type":
            value = _enum_short(attrs, field, value)
        add(key, value)
    if has("task_queue") and event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        add("taskQueue", attrs.task_queue.name)  # type: ignore[attr-defined]
    if has("start_to_fire_timeout"):
        add("duration", _duration(attrs.start_to_fire_timeout))  # type: ignore[attr-defined]
    if has("attempt") and getattr(attrs, "attempt", 1) > 1:
        add("attempt", attrs.attempt)  # type: ignore[attr-defined]
    for field in ("input", "result", "details"):
        if has(field):
            add(field, compact(readable_payloads(getattr(attrs, field), converter)))
    if has("failure"):
        add("failure", repr(failure_chain(attrs.failure)))  # type: ignore[attr-defined]
    update = getattr(attrs, "accepted_request", None)
    if update is not None and has("accepted_request"):
        add("update", update.input.name)
    if event.HasField("user_metadata"):
        summary, _ = user_metadata_texts(event.user_metadata, converter)
        add("summary", json.dumps(summary, ensure_ascii=False) if summary is not None else None)
    return "  ".join(pairs)


def _enum_short(attrs: Message, field: str, value: int) -> str:
    enum_type = attrs.DESCRIPTOR.fields_by_name[field].enum_type
    member = enum_type.values_by_number.get(value) if enum_type is not None else None
    if enum_type is None or member is None:
        return str(value)
    # Every Temporal enum starts with PREFIX_UNSPECIFIED; drop PREFIX_ from the name.
    prefix = enum_type.values[0].name.removesuffix("UNSPECIFIED")
    return member.name.removeprefix(prefix)


def _duration(value: Any) -> str:
    seconds = value.ToTimedelta().total_seconds()
    return f"{seconds:g}s"


class EventPrinter:
    """Prints history events as aligned rows, one at a time (so `--follow` can stream)."""

    def __init__(self, print_table: Callable[[Rows], None], converter: DataConverter) -> None:
        """Print with ``print_table``; decode payloads with ``converter``."""
        self.print_table = print_table
        self.converter = converter
        self._header_done = False

    def print(self, events: Iterable[HistoryEvent]) -> None:
        """Print a batch of events (the header only before the first batch)."""
        table = Rows(_EVENT_COLUMNS, show_header=not self._header_done)
        self._header_done = True
        for event in events:
            status = CLOSE_STATUS.get(event.event_type)
            style = STATUS_STYLES.get(status, "") if status is not None else ""
            table.add_row(
                str(event.event_id),
                event_time(event),
                Styled(event_type_name(event.event_type), style),
                event_details(event, self.converter),
            )
        self.print_table(table)


_EVENT_COLUMNS = (
    Column("ID", width=5, right=True),
    Column("Time", width=24),
    Column("Type", width=42),
    Column("Details", fold=True),
)
_KEY_VALUE_COLUMNS = (Column(style="bold"), Column(fold=True))


def key_value_table(rows: Sequence[tuple[str, Any]]) -> Rows:
    """A two-column table of labels and values; empty values are left out."""
    table = Rows(_KEY_VALUE_COLUMNS, show_header=False)
    for key, value in rows:
        if value is None or value == "":
            continue
        table.add_row(key, value if isinstance(value, Styled) else str(value))
    return table


def next_run_id(close_event: HistoryEvent) -> str:
    """The run a close event hands over to (continue-as-new, retry, cron), or ""."""
    attrs = _attrs(close_event)
    return str(getattr(attrs, "new_execution_run_id", "")) if attrs is not None else ""
