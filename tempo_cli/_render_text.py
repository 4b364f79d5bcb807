"""How text mode shows workflows and their histories: rows, times, statuses, event details.

Only the standard library and the generated messages: what both the commands that go
through the SDK's client (:mod:`tempo_cli._render` binds these to a ``DataConverter``) and
the lean path (:mod:`tempo_cli._lean_commands`, which decodes the standard encodings itself)
print, so the two print the same. Payloads are decoded by the caller's ``decode``: a list of
payloads to their values as plain JSON.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message
from temporalio.api.enums.v1 import EventType

from tempo_cli._go_format import cli_timestamp, iso_time
from tempo_cli._plain_table import Column, Rows, Styled

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload, Payloads
    from temporalio.api.failure.v1 import Failure
    from temporalio.api.history.v1 import HistoryEvent
    from temporalio.api.sdk.v1 import UserMetadata
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo
    from temporalio.api.workflowservice.v1.request_response_pb2 import DescribeWorkflowExecutionResponse

Decode = Callable[["Sequence[Payload]"], list[Any]]
"""Payloads to their values as plain JSON (an undecodable one as its protobuf JSON)."""

STATUS_NAMES = (
    "UNSPECIFIED",
    "RUNNING",
    "COMPLETED",
    "FAILED",
    "CANCELED",
    "TERMINATED",
    "CONTINUED_AS_NEW",
    "TIMED_OUT",
    "PAUSED",
)
"""A workflow's statuses by number (``WorkflowExecutionStatus``), as the SDK's enum names them."""

STATUS_STYLES = {
    1: "bold blue",
    2: "bold green",
    3: "bold red",
    4: "bold yellow",
    5: "bold magenta",
    6: "bold cyan",
    7: "bold dark_orange",
    8: "bold yellow",
}
"""Each status's colour, by number (an SDK ``WorkflowStatus`` finds its own: it is an int)."""

CLOSED_AS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: 2,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: 3,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: 4,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: 5,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: 6,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: 7,
}
"""The status a run's close event gives it, by event type."""

_PREVIEW = 100


def proto_dict(message: Message) -> dict[str, Any]:
    """Protobuf JSON mapping (camelCase, int64 as strings), as the `temporal` CLI prints."""
    from google.protobuf import json_format  # 5 ms to load: only when a command prints JSON

    return json_format.MessageToDict(message)


def json_value(value: Any) -> Any:
    """A decoded payload value as plain JSON (bytes become base64, protos their JSON)."""
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    if isinstance(value, Message):  # a payload the converter kept, or a message it decoded
        return proto_dict(value)
    return value


def status_words(number: int) -> str:
    """A status as people read it (``ContinuedAsNew``); an unknown number is ``Unspecified``."""
    name = STATUS_NAMES[number] if 0 <= number < len(STATUS_NAMES) else STATUS_NAMES[0]
    return "".join(part.capitalize() for part in name.split("_"))


def status_text(number: int) -> Styled:
    """The status as people read it, coloured."""
    return Styled(status_words(number), STATUS_STYLES.get(number, ""))


_CONVERTER_ENCODINGS = frozenset({b"binary/null", b"binary/plain", b"json/plain", b"json/protobuf", b"binary/protobuf"})


def undecoded_encoding(payload: Payload) -> str | None:
    """The encoding of a payload no data converter reads (a codec's: encrypted, compressed),
    or None for the converter's own encodings."""
    encoding = payload.metadata.get("encoding", b"")
    if encoding in _CONVERTER_ENCODINGS:
        return None
    return encoding.decode(errors="replace") or "<no encoding>"


def readable_payloads(payloads: Payloads, decode: Decode) -> list[Any]:
    """The payloads decoded (``decode``) for a table cell: a payload of a codec's encoding shows as
    ``<ENCODING payload, N bytes>``, not as base64 (``--codec-endpoint`` decodes it)."""
    values = []
    for payload, value in zip(payloads.payloads, decode(payloads.payloads), strict=True):
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
    """The event's time as `temporal workflow show` prints it: in whole seconds, UTC
    (:func:`iso_time`), empty if unset."""
    if not event.HasField("event_time"):
        return ""
    return iso_time(event.event_time.ToDatetime(tzinfo=datetime.UTC))


def _metadata_text(payload: Payload, decode: Decode) -> str | None:
    if not payload.ByteSize():
        return None
    values = decode([payload])
    return values[0] if isinstance(values[0], str) else compact(values[0], 10_000)


def user_metadata_texts(metadata: UserMetadata, decode: Decode) -> tuple[str | None, str | None]:
    """A summary and details (static ones of a workflow, or an event's) as text, None if absent."""
    return _metadata_text(metadata.summary, decode), _metadata_text(metadata.details, decode)


def _attrs(event: HistoryEvent) -> Message | None:
    name = event.WhichOneof("attributes")
    return getattr(event, name) if name else None


def event_details(event: HistoryEvent, decode: Decode) -> str:
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
            add(field, compact(readable_payloads(getattr(attrs, field), decode)))
    if has("failure"):
        add("failure", repr(failure_chain(attrs.failure)))  # type: ignore[attr-defined]
    update = getattr(attrs, "accepted_request", None)
    if update is not None and has("accepted_request"):
        add("update", update.input.name)
    if event.HasField("user_metadata"):
        summary, _ = user_metadata_texts(event.user_metadata, decode)
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

    def __init__(self, print_table: Callable[[Rows], None], decode: Decode) -> None:
        """Print with ``print_table``; decode payloads with ``decode``."""
        self.print_table = print_table
        self.decode = decode
        self._header_done = False

    def print(self, events: Iterable[HistoryEvent]) -> None:
        """Print a batch of events (the header only before the first batch)."""
        table = Rows(_EVENT_COLUMNS, show_header=not self._header_done)
        self._header_done = True
        for event in events:
            status = CLOSED_AS.get(event.event_type)
            style = STATUS_STYLES.get(status, "") if status is not None else ""
            table.add_row(
                str(event.event_id),
                event_time(event),
                Styled(event_type_name(event.event_type), style),
                event_details(event, self.decode),
            )
        self.print_table(table)


_EVENT_COLUMNS = (
    Column("ID", width=5, right=True),
    Column("Time", width=20),  # 2026-12-07T00:52:05Z
    Column("Type", width=42),
    Column("Details", fold=True),
)
_KEY_VALUE_COLUMNS = (Column(style="bold"), Column(fold=True))


def workflow_list_table(runs: Iterable[WorkflowExecutionInfo], time_format: str, now: datetime.datetime) -> Rows:
    """`workflow list`'s table: `temporal`'s columns (Status, WorkflowId, Type, StartTime), the
    start time per ``--time-format`` (relative to ``now``).

    A run id and a close time (`-o json` has them) would not fit beside a realistic workflow id
    and type in 80 columns. On a terminal too narrow for the rest, the workflow id and the type
    fold onto more lines, whole, while the status and the time keep their width."""
    table = Rows([Column("Status"), Column("WorkflowId", fold=True), Column("Type", fold=True), Column("StartTime")])
    for info in runs:
        started = ""
        if info.HasField("start_time"):
            started = cli_timestamp(info.start_time, time_format, now)
        table.add_row(status_text(info.status), info.execution.workflow_id, info.type.name, started)
    return table


def proto_time(message: Message, field: str) -> str:
    """A timestamp field of a message as :func:`format_time` shows it; empty when unset."""
    if not message.HasField(field):
        return ""
    return format_time(getattr(message, field).ToDatetime(tzinfo=datetime.UTC))


def describe_rows(
    response: DescribeWorkflowExecutionResponse,
    namespace: str,
    memo: dict[str, Any],
    summary: str | None,
    details: str | None,
) -> list[tuple[str, Any]]:
    """The rows of `tempo workflow describe` for a run (before its outcome, once closed):
    named and ordered as `temporal workflow describe` shows them. ``memo``: the decoded memo."""
    info = response.workflow_execution_info
    pending = ", ".join(
        f"{a.activity_type.name}#{a.activity_id} (attempt {a.attempt})" for a in response.pending_activities
    )
    rows: list[tuple[str, Any]] = [
        ("WorkflowId", info.execution.workflow_id),
        ("RunId", info.execution.run_id),
        ("Type", info.type.name),
        ("Namespace", namespace),
        ("TaskQueue", info.task_queue),
        ("Status", status_text(info.status)),
        ("StartTime", proto_time(info, "start_time")),
        ("ExecutionTime", proto_time(info, "execution_time")),
        ("CloseTime", proto_time(info, "close_time")),
        ("HistoryLength", info.history_length),
        ("HistorySize", info.history_size_bytes),
        ("ParentWorkflowId", info.parent_execution.workflow_id),
        ("ParentRunId", info.parent_execution.run_id),
        ("RootWorkflowId", info.root_execution.workflow_id),
        ("RootRunId", info.root_execution.run_id),
        ("Memo", compact(memo, 10_000) if memo else None),
        ("StaticSummary", summary),
        ("StaticDetails", details),
        ("PendingActivities", pending or None),
        ("PendingChildren", len(response.pending_children) or None),
    ]
    extended = response.workflow_extended_info
    if extended.HasField("pause_info"):  # `tempo workflow pause`
        rows += [("PausedBy", extended.pause_info.identity), ("PauseReason", extended.pause_info.reason or None)]
    return rows


def close_reason(event: HistoryEvent) -> str:
    """Why a run closed, in one line: its failure, its termination's reason, else its status
    (``Completed``); empty for an event that closes no run."""
    status = CLOSED_AS.get(event.event_type)
    reason = ""
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        reason = failure_chain(event.workflow_execution_failed_event_attributes.failure)
    elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        reason = event.workflow_execution_terminated_event_attributes.reason
    return reason or (status_words(status) if status is not None else "")


def outcome_rows(completed: bool, result: Any, result_encoding: str | None, reason: str) -> list[tuple[str, Any]]:
    """The rows `describe` adds for a closed run: its result (and the result's encoding when
    no converter reads it) once completed, else why it closed."""
    if completed:
        return [("Result", compact(result, 10_000)), ("ResultEncoding", result_encoding)]
    return [("Reason", reason)]


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
