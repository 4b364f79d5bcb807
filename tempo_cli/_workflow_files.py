"""`tempo workflow metadata`, `fix-history-json`, and `describe --reset-points|--raw`: what each
does once its options are parsed, with output as `temporal` prints it.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from temporalio.api.history.v1 import History
from temporalio.api.sdk.v1 import WorkflowMetadata

from sdk.client import Client
from tempo_cli._commands import _query
from tempo_cli._context import CliContext, Output, RejectCondition
from tempo_cli._metadata import METADATA_QUERY
from tempo_cli._render import format_time, history_json, key_value_table, proto_dict, proto_json

# ---------------------------------------------------------------- metadata


def metadata(cli: CliContext, workflow_id: str, run_id: str | None, reject: RejectCondition | None) -> None:
    """`tempo workflow metadata`: the answer to the SDKs' built-in `__temporal_workflow_metadata` query."""

    async def work(client: Client) -> Any:
        return await _query(client, workflow_id, run_id, METADATA_QUERY, [], reject)

    answer = cli.run_blocking(work)
    if not isinstance(answer, WorkflowMetadata):
        cli.abort(f"the worker of workflow {workflow_id} answered the metadata query with no metadata")
    if cli.json_mode:
        doc = {"_protoMessageType": WorkflowMetadata.DESCRIPTOR.full_name, **proto_dict(answer)}
        cli.write_json({"queryResult": [doc]})
        return
    definition = answer.definition
    lines = ["Metadata:"]
    for title, handlers in (
        ("Query Definitions", definition.query_definitions),
        ("Signal Definitions", definition.signal_definitions),
        ("Update Definitions", definition.update_definitions),
    ):
        if handlers:
            width = max(len(handler.name) for handler in handlers)
            lines.append(f"  {title}:")
            lines.extend(
                f"    {handler.name.ljust(width)}  {handler.description}".rstrip() if handler.name else "    (dynamic)"
                for handler in handlers
            )
    if answer.current_details:
        lines += ["Current Details:", answer.current_details]
    cli.write_raw("\n".join(lines))


# ---------------------------------------------------------------- describe --reset-points / --raw


def _go_time(text: str) -> str:
    """An RFC 3339 time as Go prints it (`temporal` marshals these with encoding/json): the
    fraction of a second without trailing zeros, none at all when it is zero."""
    if "." not in text:
        return text
    whole, _, rest = text.partition(".")
    fraction, zone = rest[:-1].rstrip("0"), rest[-1]
    return f"{whole}.{fraction}{zone}" if fraction else f"{whole}{zone}"


def reset_points(cli: CliContext, workflow_id: str, run_id: str | None) -> None:
    """`tempo workflow describe --reset-points`: where the run can be reset to."""

    async def work(client: Client) -> Any:
        described = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
        return described.raw_description.workflow_execution_info.auto_reset_points.points

    points = cli.run_blocking(work)
    docs = [
        {
            "BinaryChecksum": point.binary_checksum,
            "CreateTime": _go_time(point.create_time.ToJsonString()) if point.HasField("create_time") else None,
            "RunId": point.run_id,
            "EventId": point.first_workflow_task_completed_id,
        }
        for point in points
    ]
    if cli.json_mode:
        cli.write_json(docs)
        return
    cli.out.print(f"Auto Reset Points: {len(docs)}")
    for point, doc in zip(points, docs, strict=True):
        when = format_time(point.create_time.ToDatetime(tzinfo=datetime.UTC)) if point.HasField("create_time") else ""
        rows = [("  BinaryChecksum", doc["BinaryChecksum"]), ("  CreateTime", when)]
        rows += [("  RunId", doc["RunId"]), ("  EventId", doc["EventId"])]
        cli.print_table(key_value_table(rows))


def describe_raw(cli: CliContext, workflow_id: str, run_id: str | None) -> None:
    """`tempo workflow describe --raw`: the DescribeWorkflowExecution answer as protobuf JSON, as is."""

    async def work(client: Client) -> Any:
        return (await client.get_workflow_handle(workflow_id, run_id=run_id).describe()).raw_description

    raw = cli.run_blocking(work)
    if cli.settings.output is Output.jsonl:
        cli.write_json(proto_json(raw))
    else:
        cli.write_raw(json_format.MessageToJson(raw))


# ---------------------------------------------------------------- fix-history-json


def fix_history_json(cli: CliContext, source: Path, target: Path | None) -> None:
    """`tempo workflow fix-history-json`: old enum spellings to full names, then protobuf JSON."""
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except OSError as err:
        cli.abort(f"cannot read --source {source}: {err.strerror or err}")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        cli.abort(f"--source {source} is not valid JSON: {err}")
    if not isinstance(doc, dict):
        cli.abort(f"--source {source} does not hold a history (a JSON object with events)")
    history = History()
    try:
        json_format.ParseDict(_fix_message(doc, History.DESCRIPTOR), history)
    except json_format.ParseError as err:
        cli.abort(f"--source {source} is not a history: {err}")
    text = history_json(history)
    if target is None:
        cli.write_raw(text)
        return
    try:
        target.write_text(text + "\n", encoding="utf-8")
    except OSError as err:
        cli.abort(f"cannot write --target {target}: {err.strerror or err}")


_WELL_KNOWN = ("google.protobuf.",)


def _fix_message(doc: dict[str, Any], descriptor: Descriptor) -> dict[str, Any]:
    """A copy of ``doc`` whose enum values are full names; values no spelling matches are left out."""
    if descriptor.full_name.startswith(_WELL_KNOWN):
        return doc
    fields = {**descriptor.fields_by_name, **{f.json_name: f for f in descriptor.fields}}
    fixed: dict[str, Any] = {}
    for key, value in doc.items():
        field = fields.get(key)
        if field is None:
            fixed[key] = value  # ParseDict names the unknown field
            continue
        if _is_map(field):
            value_field = _message(field).fields_by_name["value"]
            fixed[key] = {k: _fix_value(v, value_field) for k, v in value.items()} if isinstance(value, dict) else value
        elif field.is_repeated and isinstance(value, list):
            fixed[key] = [item for item in (_fix_value(v, field) for v in value) if item is not _DROP]
        else:
            item = _fix_value(value, field)
            if item is not _DROP:
                fixed[key] = item
    return fixed


_DROP = object()


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and _message(field).GetOptions().map_entry


def _message(field: FieldDescriptor) -> Descriptor:
    assert field.message_type is not None  # a message field has a message type
    return field.message_type


def _fix_value(value: Any, field: FieldDescriptor) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE and isinstance(value, dict):
        return _fix_message(value, _message(field))
    if field.type == FieldDescriptor.TYPE_ENUM and field.enum_type is not None and isinstance(value, str):
        return _enum_name(value, field.enum_type)
    return value


def _enum_name(value: str, enum: EnumDescriptor) -> Any:
    """``EVENT_TYPE_TIMER_FIRED`` from itself, ``TimerFired`` or ``timer_fired``; else dropped."""
    if value in enum.values_by_name:
        return value
    prefix = _enum_prefix(enum)
    snake = "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(value)) if "_" not in value else value
    candidate = prefix + snake.upper()
    return candidate if candidate in enum.values_by_name else _DROP


def _enum_prefix(enum: EnumDescriptor) -> str:
    """The shared prefix of an enum's value names (``EVENT_TYPE_`` for EventType)."""
    unspecified = next((v.name for v in enum.values if v.name.endswith("_UNSPECIFIED")), "")
    return unspecified.removesuffix("UNSPECIFIED")
