"""The lean path of `tempo workflow list|count|describe|show -o json` (and ``-o jsonl``):
the JSON scripts read, printed as the app prints it.

Why: the text of these reads already runs lean (`_lean_commands`), in about 35 ms where
`temporal` takes 26, but their JSON went through the SDK's client (the fast path,
`_fast_commands`) in about 73 ms; scripts ask for JSON the most.

How: the same calls as the text (`_lean_commands.listed_runs`, `history_events`, the run's
close event), then the app's own JSON (`_render_json`: protobuf's ``json_format`` with payloads
in the `temporal` CLI's shorthand, which needs no converter) dumped as `CliContext.write_json`
dumps it. The app writes JSON as is, never through Rich, so a terminal answers as a pipe does.

`workflow describe --raw` too (`_workflow_files.describe_raw`): the server's answer as
protobuf JSON, ``MessageToJson``'s text (or, for ``-o jsonl``, the app's JSON on one line),
as is, whatever the output asked for.

What gives way (before anything is printed): all that `_lean_session` leaves to the fast path
(a connection's settings beyond the command line, a failed call the app does not end with
its error at once), `show --follow`, and a closed run's result that the SDK's default
converter does not decode to plain JSON (a protobuf's, a codec's payload): only `describe`
decodes a payload; the other documents carry payloads as the app does, in the shorthand or as
protobuf JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tempo_cli._lean_session import Answer, GiveWay, Refused, Screen, Session, answer, json_connection

# Each command's options taken here (besides the global ones).
_OPTIONS = {
    "list": frozenset({"query", "limit", "time_format"}),  # JSON has the server's times
    "count": frozenset({"query"}),
    "describe": frozenset({"workflow_id", "run_id"}),
    "show": frozenset({"workflow_id", "run_id"}),
}
_GLOBAL_OPTIONS = frozenset({"address", "namespace", "output", "color"})
_RAW_OPTIONS = frozenset({"workflow_id", "run_id", "raw"})
# The payload encodings the SDK's default converter decodes without a type and without
# failing other than with a ValueError (which `WorkflowDescription` keeps the payload for).
_PLAIN_ENCODINGS = (b"json/plain", b"binary/null", b"binary/plain")


def run(command: str, values: dict[str, Any]) -> bool:
    """Answer `tempo workflow COMMAND` with ``values`` (its options, as
    `_fast_commands.plain_words` reads them; ``output`` other than text, or ``--raw``) if it
    is this path's; False when the fast path must (then nothing was printed)."""
    from tempo_cli._lean_commands import wording

    if values.get("raw"):
        return command == "describe" and _run_raw(values)
    taken = _OPTIONS.get(command)
    if taken is None or not set(values) - _GLOBAL_OPTIONS <= taken:
        return False
    output = json_connection(values)
    if output is None:
        return False
    lines = output == "jsonl"
    work = _COMMANDS[command]
    return answer(lambda session: work(session, values, lines), values, Screen(), wording=wording(command, values))


def _run_raw(values: dict[str, Any]) -> bool:
    """`workflow describe --raw`, in any output (the app writes JSON whatever it is asked)."""
    from tempo_cli._lean_errors import app_words

    if not set(values) - _GLOBAL_OPTIONS <= _RAW_OPTIONS:
        return False
    output = json_connection(values, ("text", "json", "jsonl"))
    if output is None:
        return False
    lines = output == "jsonl"
    return answer(lambda session: _raw(session, values, lines), values, Screen(), wording=app_words)


def _dumps(value: Any, lines: bool) -> str:
    """A JSON document as `CliContext.write_json` writes it: one line for jsonl, else indented."""
    if lines:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(value, indent=2, ensure_ascii=False)


def _list(session: Session, values: dict[str, Any], lines: bool) -> Answer:
    """As `_commands.list_`: each run's protobuf JSON, a line each (jsonl) or in one array."""
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo

    from tempo_cli._lean_commands import listed_runs
    from tempo_cli._render_json import proto_json

    listed: list[WorkflowExecutionInfo] = []
    try:
        listed_runs(session, values, listed)
    except Refused as refused:
        if lines:  # the app writes each run as it comes: those of the pages before were written
            refused.printed = [_dumps(proto_json(info), lines) + "\n" for info in listed]
        raise
    runs = [proto_json(info) for info in listed]
    answer = Answer(session.screen)
    if lines:
        for run in runs:
            answer.line(_dumps(run, lines))
    else:
        answer.line(_dumps(runs, lines))
    return answer


def _count(session: Session, values: dict[str, Any], lines: bool) -> Answer:
    """As `_commands.count`: the response's protobuf JSON, group values without their type."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        CountWorkflowExecutionsRequest,
        CountWorkflowExecutionsResponse,
    )

    from tempo_cli._render_json import proto_json

    request = CountWorkflowExecutionsRequest(namespace=session.namespace, query=values.get("query", ""))
    response = session.read("CountWorkflowExecutions", request, CountWorkflowExecutionsResponse)
    for group in response.groups:
        for payload in group.group_values:
            # As the app: a search attribute's value carries its type ("Keyword"); without it
            # the value prints as plain JSON (`"Running"`), as `temporal` prints it.
            if "type" in payload.metadata:
                del payload.metadata["type"]
    answer = Answer(session.screen)
    answer.line(_dumps(proto_json(response), lines))
    return answer


def _describe(session: Session, values: dict[str, Any], lines: bool) -> Answer:
    """As `_commands.describe`: the response's protobuf JSON and, once the run closed, its
    close event, and its result (decoded) or its failure."""
    from temporalio.api.enums.v1 import EventType
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        DescribeWorkflowExecutionRequest,
        DescribeWorkflowExecutionResponse,
    )

    from tempo_cli._lean_commands import _close_event, _execution, _outcome
    from tempo_cli._render_json import proto_json

    request = DescribeWorkflowExecutionRequest(namespace=session.namespace, execution=_execution(values))
    response = session.read("DescribeWorkflowExecution", request, DescribeWorkflowExecutionResponse)
    info = response.workflow_execution_info
    doc = proto_json(response)
    if info.HasField("close_time"):
        event = _close_event(session, values["workflow_id"], info.execution.run_id)
        doc["closeEvent"] = proto_json(event)
        completed, result, _, _ = _outcome(event)  # gives way for a result it cannot decode
        if completed:
            doc["result"] = result
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            doc["failure"] = proto_json(event.workflow_execution_failed_event_attributes.failure)
    answer = Answer(session.screen)
    answer.line(_dumps(doc, lines))
    return answer


def _show(session: Session, values: dict[str, Any], lines: bool) -> Answer:
    """As `_commands.show`: each event's protobuf JSON on a line (jsonl), or the history as
    protobuf's own indented JSON, as `temporal workflow show -o json` writes it."""
    from temporalio.api.history.v1 import History

    from tempo_cli._lean_commands import history_events
    from tempo_cli._render_json import history_json
    from tempo_cli._render_text import proto_dict

    answer = Answer(session.screen)
    if lines:
        try:
            for event in history_events(session, values):
                answer.line(_dumps(proto_dict(event), lines))
        except Refused as refused:
            refused.printed = answer.out  # the app writes each event as it comes
            raise
        return answer
    history = History()
    history.events.extend(history_events(session, values))
    answer.line(history_json(history))
    return answer


def _raw(session: Session, values: dict[str, Any], lines: bool) -> Answer:
    """As `_workflow_files.describe_raw`: the DescribeWorkflowExecution answer as protobuf's
    own JSON (``MessageToJson``), or for jsonl the app's JSON of it on one line."""
    from google.protobuf import json_format
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        DescribeWorkflowExecutionRequest,
        DescribeWorkflowExecutionResponse,
    )

    from tempo_cli._lean_commands import _execution
    from tempo_cli._render_json import proto_json

    request = DescribeWorkflowExecutionRequest(namespace=session.namespace, execution=_execution(values))
    response = session.read("DescribeWorkflowExecution", request, DescribeWorkflowExecutionResponse)
    info = response.workflow_execution_info
    # The app's client decodes the memo and search attributes first (`WorkflowDescription`).
    for payload in (*info.memo.fields.values(), *info.search_attributes.indexed_fields.values()):
        if payload.metadata.get("encoding", b"") not in _PLAIN_ENCODINGS:
            raise GiveWay  # a converter of the app's might fail otherwise
    answer = Answer(session.screen)
    answer.line(_dumps(proto_json(response), lines) if lines else json_format.MessageToJson(response))
    return answer


_COMMANDS: dict[str, Callable[[Session, dict[str, Any], bool], Answer]] = {
    "list": _list,
    "count": _count,
    "describe": _describe,
    "show": _show,
}
