"""The lean path of the `tempo workflow` commands people type most: list, count, describe,
show, start, signal, query, result, terminate and cancel (of one workflow), as `tempo` runs
them when their answer goes to a pipe or a file, and five reads (list, count, describe, show,
query) on a terminal too.

Why: the fast path (`_fast_commands`) runs a command without Typer, but through the SDK's
client, whose modules (dataclasses, interceptors, converter, profiles) take about 40 ms to
load where the whole `temporal workflow list` takes 30. Here a command makes its calls itself
over the blocking transport (`sdk._h2_channel`), with the generated messages (made from the
descriptor cache, `_proto_cache`), and prints with the renderers the app prints with
(`_render_text`, `_plain_table`): the same requests, and the same bytes out.

When: text output, a plain connection (no TLS, API key, codec, profile or environments file,
no TEMPORAL_* variable) and the options below; list, count, describe and show answer JSON
too (`_lean_json`). On a terminal a read's tables are drawn as Rich draws them
(`_terminal_table`), narrowed to its width as Rich narrows them; a write or a result there,
and anything else, is the fast path's. Those checks, the session and the ways out
are `_lean_session`'s, shared with the other groups' reads (`_lean_reads`).

A failure gives way before anything is printed: a read that fails (a refused query, a
server that is down, a paused run's result) or an answer this path does not decode itself (a
payload of a codec's or a protobuf encoding, a cell Rich must measure) hands the command line
to the fast path, which runs it through the SDK's client and answers as the app does. A call
the server refused for good (an unknown workflow or namespace, a malformed --query, a
workflow already started or closed) ends the command with the app's error, worded here
(`_lean_errors`, each command's :func:`wording`). A write (start, signal, terminate, cancel)
whose call fails otherwise is not made again with a new request id: the very request goes to
the SDK's connection, which retries it if the failure is transient, and words the error as
the app does.

`workflow describe --raw` (the server's answer as protobuf JSON) is `_lean_json`'s.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tempo_cli import _render_text as render
from tempo_cli._go_format import TIME_FORMATS
from tempo_cli._lean_session import Answer, GiveWay, RanOut, Refused, Screen, Session, answer, plain_connection

if TYPE_CHECKING:
    from google.protobuf.message import Message
    from temporalio.api.common.v1 import Payload, Payloads
    from temporalio.api.history.v1 import HistoryEvent
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo

    from tempo_cli._lean_errors import Wording

_LONG_POLL_TIMEOUT = 75.0  # as the SDK's client
_METADATA_TIMEOUT = 1.0  # tempo_cli._metadata.fetch_handlers
_METADATA_QUERY = "__temporal_workflow_metadata"
_REJECT_CONDITIONS = {None: 1, "not_open": 2, "not_completed_cleanly": 3}  # QueryRejectCondition

# Each command's options taken here (besides --address and --namespace).
_OPTIONS = {
    "list": {"query", "limit", "time_format"},
    "count": {"query"},
    "describe": {"workflow_id", "run_id"},
    "show": {"workflow_id", "run_id"},
    "start": {"workflow_type", "task_queue", "workflow_id", "inputs"},
    "signal": {"name", "workflow_id", "run_id", "inputs"},
    "query": {"name", "workflow_id", "run_id", "inputs", "reject_condition"},
    "result": {"workflow_id", "run_id"},
    "terminate": {"workflow_id", "run_id", "reason"},
    "cancel": {"workflow_id", "run_id", "reason"},
}
# The reads a terminal may show: the others print on stderr (Rich colours its messages there
# and `result`'s error) or print once a write is made, when nothing can give way any more.
_TERMINAL_READS = frozenset({"list", "count", "describe", "show", "query"})


def run(argv: list[str]) -> bool:
    """Run `tempo workflow ...` (``argv``: the words after `workflow`) if it is this path's;
    False when the fast path must (then nothing was printed)."""
    from tempo_cli._fast_commands import _COMMAND_OPTIONS, _REQUIRED, plain_words

    describe = {**_COMMAND_OPTIONS["describe"], "--raw": ("raw", "flag")}  # the app's (Typer's) option
    words = plain_words(argv, {**_COMMAND_OPTIONS, "describe": describe}, _REQUIRED)
    if words is None:
        return False
    command, values = words
    if command not in _OPTIONS or values.get("time_format", "relative") not in TIME_FORMATS:
        return False  # a --time-format not one of its choices: the app's message lists them
    if values.get("raw") or values.get("output", "text") != "text":
        from tempo_cli import _lean_json  # the reads' JSON: the fast path's for the others

        return _lean_json.run(command, values)
    screen = _screen(command, values)
    if screen is None:
        return False
    return answer(lambda session: _COMMANDS[command](session, values), values, screen, wording=wording(command, values))


def wording(command: str, values: dict[str, Any]) -> Wording:
    """How the app words a call of ``command`` the server refused (`_commands`): a list
    filter it refuses is the user's mistake (`_refused_query`), a query of a run no worker
    ran has no code to ask (`_query`); else the SDK's error as `_errors.describe_error` words it."""
    from tempo_cli import _lean_errors

    if command in ("list", "count"):
        return _lean_errors.refused_query(values.get("query", ""))
    if command == "query":
        return _lean_errors.query_words(values["workflow_id"])
    return _lean_errors.app_words


def _screen(command: str, values: dict[str, Any]) -> Screen | None:
    """Where this command line's answer goes, if, in this environment, it is the lean path's.
    A write prints once it is made, when nothing can give way any more: on a terminal, where
    Rich may need to fit or colour what it prints, writes (and `result`) are the fast path's."""
    options = set(values) - {"address", "namespace", "output", "color"}
    if not options <= _OPTIONS[command] or values.get("reject_condition") not in _REJECT_CONDITIONS:
        return None
    return plain_connection(values, terminal=command in _TERMINAL_READS)


# ---------------------------------------------------------------- values


def _value(payload: Payload) -> Any:
    """A payload's value as the SDK's default converter decodes it without a type; gives way
    for the encodings it decodes otherwise (protobuf messages, a codec's)."""
    encoding = payload.metadata.get("encoding", b"")
    if encoding == b"binary/null":
        return None
    if encoding == b"binary/plain":
        return payload.data
    if encoding == b"json/plain":
        try:
            return json.loads(payload.data)
        except ValueError:
            raise GiveWay from None
    raise GiveWay


def _decoded(payloads: Sequence[Payload]) -> list[Any]:
    """A :data:`tempo_cli._render_text.Decode`: payloads as plain JSON values."""
    return [render.json_value(_value(payload)) for payload in payloads]


def _payloads(inputs: list[str]) -> Payloads | None:
    """``--input`` values as the SDK's converter encodes them (tempo_cli._inputs.parse_inputs,
    then the default converter); None without inputs."""
    from temporalio.api.common.v1 import Payload, Payloads

    payloads = []
    for text in inputs:
        try:
            value = json.loads(text)
        except ValueError:
            raise GiveWay from None  # the app's message names the input
        if value is None:
            payloads.append(Payload(metadata={"encoding": b"binary/null"}))
        else:
            data = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
            payloads.append(Payload(metadata={"encoding": b"json/plain"}, data=data))
    return Payloads(payloads=payloads) if payloads else None


def _execution(values: dict[str, Any]) -> Any:
    from temporalio.api.common.v1 import WorkflowExecution

    return WorkflowExecution(workflow_id=values["workflow_id"], run_id=values.get("run_id") or "")


def _identity() -> str:
    import socket

    return f"{os.getpid()}@{socket.gethostname()}"  # the SDK's client's default


# ---------------------------------------------------------------- commands


def _list(session: Session, values: dict[str, Any]) -> Answer:
    import datetime

    runs = listed_runs(session, values)
    table = render.workflow_list_table(runs, values.get("time_format", "relative"), datetime.datetime.now(datetime.UTC))
    answer = Answer(session.screen)
    answer.lines(table)
    if not table.rows:
        answer.info("No workflows match.")
    return answer


def listed_runs(
    session: Session, values: dict[str, Any], runs: list[WorkflowExecutionInfo] | None = None
) -> list[WorkflowExecutionInfo]:
    """The runs `workflow list` lists (``--query``, up to ``--limit``), in the pages of 100 the
    SDK's client asks for, added to ``runs`` as they come (a page that fails leaves those of
    the pages before)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        ListWorkflowExecutionsRequest,
        ListWorkflowExecutionsResponse,
    )

    limit_text = values.get("limit")
    if limit_text is not None and (not limit_text.isdigit() or int(limit_text) < 1):
        raise GiveWay  # the app's message
    limit = int(limit_text) if limit_text is not None else None
    runs = [] if runs is None else runs
    token = b""
    while limit is None or len(runs) < limit:
        request = ListWorkflowExecutionsRequest(
            namespace=session.namespace, page_size=100, next_page_token=token, query=values.get("query", "")
        )
        response = session.read("ListWorkflowExecutions", request, ListWorkflowExecutionsResponse)
        runs.extend(response.executions[: None if limit is None else limit - len(runs)])
        token = response.next_page_token
        if not token:
            break
    return runs


def _count(session: Session, values: dict[str, Any]) -> Answer:
    """`workflow count` (as tempo_cli._commands.count) of a query without GROUP BY: the total."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        CountWorkflowExecutionsRequest,
        CountWorkflowExecutionsResponse,
    )

    request = CountWorkflowExecutionsRequest(namespace=session.namespace, query=values.get("query", ""))
    response = session.read("CountWorkflowExecutions", request, CountWorkflowExecutionsResponse)
    if response.groups:
        raise GiveWay  # each group's values, printed as `temporal` prints payloads: the app's
    answer = Answer(session.screen)
    answer.line(f"Total: {response.count}")
    return answer


def _describe(session: Session, values: dict[str, Any]) -> Answer:
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        DescribeWorkflowExecutionRequest,
        DescribeWorkflowExecutionResponse,
    )

    request = DescribeWorkflowExecutionRequest(namespace=session.namespace, execution=_execution(values))
    response = session.read("DescribeWorkflowExecution", request, DescribeWorkflowExecutionResponse)
    info = response.workflow_execution_info
    memo = {key: _value(payload) for key, payload in info.memo.fields.items()}
    summary, details = render.user_metadata_texts(response.execution_config.user_metadata, _decoded)
    rows = render.describe_rows(response, session.namespace, memo, summary, details)
    if info.HasField("close_time"):
        rows += render.outcome_rows(*_outcome(_close_event(session, values["workflow_id"], info.execution.run_id)))
    answer = Answer(session.screen)
    answer.lines(render.key_value_table(rows))
    return answer


def _close_event(session: Session, workflow_id: str, run_id: str, follow_runs: bool = False) -> HistoryEvent:
    """The run's close event, or with ``follow_runs`` the close event of the last run it hands
    over to (continue-as-new, retries, cron): the SDK's ``wait_for_close_event``."""
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.enums.v1 import HistoryEventFilterType
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        GetWorkflowExecutionHistoryRequest,
        GetWorkflowExecutionHistoryResponse,
    )

    token = b""
    while True:
        request = GetWorkflowExecutionHistoryRequest(
            namespace=session.namespace,
            execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            next_page_token=token,
            wait_new_event=True,
            history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
            skip_archival=True,
        )
        try:
            response = session.read(
                "GetWorkflowExecutionHistory", request, GetWorkflowExecutionHistoryResponse, _LONG_POLL_TIMEOUT
            )
        except RanOut:
            continue  # a server holding long polls longer than the deadline: ask again, as the SDK does
        if not response.history.events:
            token = response.next_page_token  # the long poll ran out before the run closed
            continue
        event: HistoryEvent = response.history.events[-1]
        next_run = render.next_run_id(event)
        if not (follow_runs and next_run):
            return event
        run_id, token = next_run, b""


def _outcome(event: HistoryEvent) -> tuple[bool, Any, str | None, str]:
    """A close event's outcome as the app reads it (tempo_cli._commands._outcome): whether the
    run completed, its result, the result's encoding when no converter reads it (this path
    gives way for those), and why it closed."""
    from temporalio.api.enums.v1 import EventType

    completed = event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    payloads = event.workflow_execution_completed_event_attributes.result.payloads
    values = _decoded(payloads) if completed else []
    encoding = render.undecoded_encoding(payloads[0]) if payloads else None
    return completed, values[0] if values else None, encoding, render.close_reason(event)


def _result(session: Session, values: dict[str, Any]) -> Answer:
    """`workflow result` (as tempo_cli._commands.result): the last run's close event, waited
    for, and its outcome; exit 1 unless it completed."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        DescribeWorkflowExecutionRequest,
        DescribeWorkflowExecutionResponse,
    )

    from tempo_cli._outcome_text import not_completed, result_rows

    workflow_id, run_id = values["workflow_id"], values.get("run_id") or ""
    if not run_id:
        # As the SDK's client pins an unpinned handle's current run before it waits.
        request = DescribeWorkflowExecutionRequest(namespace=session.namespace, execution=_execution(values))
        response = session.read("DescribeWorkflowExecution", request, DescribeWorkflowExecutionResponse)
        run_id = response.workflow_execution_info.execution.run_id
    event = _close_event(session, workflow_id, run_id, follow_runs=True)
    status = render.CLOSED_AS.get(event.event_type)
    if status is None:
        raise GiveWay  # a paused run's last event: the app asks why, and says it
    completed, result, encoding, reason = _outcome(event)
    answer = Answer(session.screen)
    answer.out.append("\nResults:\n")
    answer.lines(render.key_value_table(result_rows(status, completed, result, encoding, reason)))
    if not completed:
        answer.err.append(f"error: {not_completed(workflow_id, status, reason)}")  # as `CliContext.abort`
        answer.code = 1
    return answer


def _show(session: Session, values: dict[str, Any]) -> Answer:
    answer = Answer(session.screen)
    printer = render.EventPrinter(answer.lines, _decoded)
    batch: list[HistoryEvent] = []
    try:
        for event in history_events(session, values):
            batch.append(event)
            if len(batch) == 500:  # as the app prints: in batches, the header before the first
                printer.print(batch)
                batch = []
    except Refused as refused:
        refused.printed = answer.out  # the batches the app printed before the page it was refused
        raise
    if batch:
        printer.print(batch)
    return answer


def history_events(session: Session, values: dict[str, Any]) -> Iterator[HistoryEvent]:
    """The run's events, page by page, as `workflow show` (the SDK's ``fetch_history_events``)
    asks for them."""
    from temporalio.api.enums.v1 import HistoryEventFilterType
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        GetWorkflowExecutionHistoryRequest,
        GetWorkflowExecutionHistoryResponse,
    )

    token = b""
    while True:
        request = GetWorkflowExecutionHistoryRequest(
            namespace=session.namespace,
            execution=_execution(values),
            next_page_token=token,
            history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
            skip_archival=True,
        )
        response = session.read("GetWorkflowExecutionHistory", request, GetWorkflowExecutionHistoryResponse)
        yield from response.history.events
        token = response.next_page_token
        if not token:
            return


def _start(session: Session, values: dict[str, Any]) -> Answer:
    from temporalio.api.common.v1 import WorkflowType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        StartWorkflowExecutionRequest,
        StartWorkflowExecutionResponse,
    )

    from sdk._request_id import request_id

    if not values["task_queue"]:
        raise GiveWay  # the app's message
    workflow_id = values.get("workflow_id") or request_id()
    request = StartWorkflowExecutionRequest(
        namespace=session.namespace,
        workflow_id=workflow_id,
        workflow_type=WorkflowType(name=values["workflow_type"]),
        task_queue=TaskQueue(name=values["task_queue"]),
        identity=_identity(),
        request_id=request_id(),
        input=_payloads(values.get("inputs", [])),
    )
    # What it prints once the run is started, with a stand-in of a run id's length: anything
    # this path cannot print (a name Rich must measure) must give way before the start is made.
    Answer(session.screen).lines(render.key_value_table(_started_rows(session, values, workflow_id, "0" * 36)))
    response = session.send("StartWorkflowExecution", request, StartWorkflowExecutionResponse, workflow_id)
    answer = Answer(session.screen)
    answer.out.append("Running execution:\n")
    answer.lines(render.key_value_table(_started_rows(session, values, workflow_id, response.run_id)))
    return answer


def _started_rows(session: Session, values: dict[str, Any], workflow_id: str, run_id: str) -> list[tuple[str, str]]:
    return [
        ("  WorkflowId", workflow_id),
        ("  RunId", run_id),
        ("  Type", values["workflow_type"]),
        ("  Namespace", session.namespace),
        ("  TaskQueue", values["task_queue"]),
    ]


def _signal(session: Session, values: dict[str, Any]) -> Answer:
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        SignalWorkflowExecutionRequest,
        SignalWorkflowExecutionResponse,
    )

    from sdk._request_id import request_id

    name, workflow_id = values["name"], values["workflow_id"]
    inputs = _payloads(values.get("inputs", []))
    signals = _signal_names(session, values)
    request = SignalWorkflowExecutionRequest(
        namespace=session.namespace,
        workflow_execution=_execution(values),
        signal_name=name,
        input=inputs,
        identity=_identity(),
        request_id=request_id(),
    )
    session.send("SignalWorkflowExecution", request, SignalWorkflowExecutionResponse, workflow_id)
    answer = Answer(session.screen)
    if signals is not None and "" not in signals and name not in signals:
        known = ", ".join(sorted(n for n in signals if n)) or "none"
        answer.err.append(
            f"warning: workflow {workflow_id} has no signal {name!r} (its signals: {known}); sent it anyway"
        )
    answer.err.append(f"Sent signal {name!r} to workflow {workflow_id}.")
    return answer


def _worker_polls(session: Session, values: dict[str, Any]) -> bool:
    """Whether a worker polls the run's task queue for workflow tasks (tempo_cli._metadata
    asks the same): without one, the metadata query would wait out its whole timeout."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        DescribeTaskQueueRequest,
        DescribeTaskQueueResponse,
        DescribeWorkflowExecutionRequest,
        DescribeWorkflowExecutionResponse,
    )

    try:
        described = session.read(
            "DescribeWorkflowExecution",
            DescribeWorkflowExecutionRequest(namespace=session.namespace, execution=_execution(values)),
            DescribeWorkflowExecutionResponse,
        )
        queue = session.read(
            "DescribeTaskQueue",
            DescribeTaskQueueRequest(
                namespace=session.namespace,
                task_queue=TaskQueue(name=described.workflow_execution_info.task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            ),
            DescribeTaskQueueResponse,
        )
    except GiveWay:
        return True  # it cannot say: ask (the signal's own call words any error)
    return bool(queue.pollers)


def _signal_names(session: Session, values: dict[str, Any]) -> list[str] | None:
    """The signals the workflow declares ("" for a dynamic one), from the SDKs' metadata
    query (tempo_cli._metadata.fetch_handlers); None when it cannot say."""
    from temporalio.api.enums.v1 import QueryRejectCondition
    from temporalio.api.query.v1 import WorkflowQuery
    from temporalio.api.sdk.v1 import WorkflowMetadata
    from temporalio.api.workflowservice.v1.request_response_pb2 import QueryWorkflowRequest, QueryWorkflowResponse

    if not _worker_polls(session, values):
        return None
    request = QueryWorkflowRequest(
        namespace=session.namespace,
        execution=_execution(values),
        query=WorkflowQuery(query_type=_METADATA_QUERY),
        query_reject_condition=QueryRejectCondition.QUERY_REJECT_CONDITION_NONE,
    )
    try:
        response = session.read("QueryWorkflow", request, QueryWorkflowResponse, _METADATA_TIMEOUT)
    except GiveWay:
        return None  # no worker, an old SDK: the app goes ahead without the names too
    if response.HasField("query_rejected") or not response.query_result.payloads:
        return None
    payload = response.query_result.payloads[0]
    encoding = payload.metadata.get("encoding", b"")
    if encoding in (b"binary/null", b"binary/plain", b"json/plain"):
        return None  # not a WorkflowMetadata
    if payload.metadata.get("messageType") != b"temporal.api.sdk.v1.WorkflowMetadata":
        raise GiveWay
    if encoding == b"binary/protobuf":
        try:
            definition = WorkflowMetadata.FromString(payload.data).definition
        except Exception:  # protobuf's DecodeError: the app's to report
            raise GiveWay from None
        return [signal.name for signal in definition.signal_definitions]
    if encoding != b"json/protobuf":
        raise GiveWay
    return _json_signal_names(payload.data)


def _json_signal_names(data: bytes) -> list[str]:
    """The signal names of a WorkflowMetadata in protobuf's JSON; gives way for anything
    json_format would read differently or refuse."""
    try:
        document = json.loads(data)
    except ValueError:
        raise GiveWay from None
    definition = _field(document, "definition", "definition", dict, {})
    names = []
    for signal in _field(definition, "signalDefinitions", "signal_definitions", list, []):
        names.append(_field(signal, "name", "name", str, ""))
    return names


def _field(document: Any, json_name: str, name: str, kind: type, default: Any) -> Any:
    if not isinstance(document, dict) or (json_name != name and json_name in document and name in document):
        raise GiveWay
    value = document.get(json_name, document.get(name, default))
    if not isinstance(value, kind):
        raise GiveWay
    return value


def _query(session: Session, values: dict[str, Any]) -> Answer:
    from temporalio.api.query.v1 import WorkflowQuery
    from temporalio.api.workflowservice.v1.request_response_pb2 import QueryWorkflowRequest, QueryWorkflowResponse

    request = QueryWorkflowRequest(
        namespace=session.namespace,
        execution=_execution(values),
        query=WorkflowQuery(query_type=values["name"], query_args=_payloads(values.get("inputs", []))),
        query_reject_condition=_REJECT_CONDITIONS[values.get("reject_condition")],  # type: ignore[arg-type]
    )
    response = session.read("QueryWorkflow", request, QueryWorkflowResponse)
    if response.HasField("query_rejected"):
        raise GiveWay
    payloads = response.query_result.payloads
    value = render.json_value(_value(payloads[0])) if payloads else None
    answer = Answer(session.screen)
    answer.text(json.dumps(value, indent=2, ensure_ascii=False, default=str))
    return answer


def _terminate(session: Session, values: dict[str, Any]) -> Answer:
    """`workflow terminate` of one workflow (as tempo_cli._commands.terminate): the SDK's request."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import TerminateWorkflowExecutionRequest

    from tempo_cli._outcome_text import TERMINATE_REASON, terminated

    request = TerminateWorkflowExecutionRequest(
        namespace=session.namespace,
        workflow_execution=_execution(values),
        reason=values.get("reason", TERMINATE_REASON),
        identity=_identity(),
    )
    return _stop(session, values, "TerminateWorkflowExecution", request, terminated(values["workflow_id"]))


def _cancel(session: Session, values: dict[str, Any]) -> Answer:
    """`workflow cancel` of one workflow (as tempo_cli._commands.cancel): the SDK's request."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import RequestCancelWorkflowExecutionRequest

    from sdk._request_id import request_id
    from tempo_cli._outcome_text import cancel_requested

    request = RequestCancelWorkflowExecutionRequest(
        namespace=session.namespace,
        workflow_execution=_execution(values),
        identity=_identity(),
        request_id=request_id(),
        reason=values.get("reason", ""),
    )
    return _stop(session, values, "RequestCancelWorkflowExecution", request, cancel_requested(values["workflow_id"]))


def _stop(session: Session, values: dict[str, Any], method: str, request: Message, message: str) -> Answer:
    """Make a termination's or a cancellation's ``request`` (its answer says nothing) and say
    ``message`` on stderr, as the app's `CliContext.info` does once it is made."""
    from temporalio.api.workflowservice.v1 import request_response_pb2

    session.send(method, request, getattr(request_response_pb2, f"{method}Response"), values["workflow_id"])
    answer = Answer(session.screen)
    answer.err.append(message)
    return answer


_COMMANDS: dict[str, Callable[[Session, dict[str, Any]], Answer]] = {
    "list": _list,
    "count": _count,
    "describe": _describe,
    "show": _show,
    "start": _start,
    "signal": _signal,
    "query": _query,
    "result": _result,
    "terminate": _terminate,
    "cancel": _cancel,
}
