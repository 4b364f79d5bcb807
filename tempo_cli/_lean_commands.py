"""The lean path of the `tempo workflow` commands people type most: list, describe, show,
start, signal and query, as `tempo` runs them when their answer goes to a pipe or a file.

Why: the fast path (`_fast_commands`) runs a command without Typer, but through the SDK's
client, whose modules (dataclasses, interceptors, converter, profiles) take about 40 ms to
load where the whole `temporal workflow list` takes 30. Here a command makes its calls itself
over the blocking transport (`sdk._h2_channel`), with the generated messages (made from the
descriptor cache, `_proto_cache`), and prints with the renderers the app prints with
(`_render_text`, `_plain_table`): the same requests, and the same bytes out.

When: text output that is not a terminal's (Rich draws the tables there), a plain connection
(no TLS, API key, codec, profile or environments file, no TEMPORAL_* variable) and the
options below. Anything else is the fast path's.

A failure gives way before anything is printed: a read that fails (an unknown workflow, a
refused query, a server that is down) or an answer this path does not decode itself (a
payload of a codec's or a protobuf encoding, a cell Rich must measure) hands the command
line to the fast path, which runs it through the SDK's client and answers as the app does.
A start or signal whose call fails is not made again with a new request id: the very request
goes to the SDK's connection, which retries it if the failure is transient, and words the
error as the app does.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tempo_cli import _render_text as render
from tempo_cli._plain_table import Column, Rows, plain_lines

if TYPE_CHECKING:
    from google.protobuf.message import Message
    from temporalio.api.common.v1 import Payload, Payloads
    from temporalio.api.history.v1 import HistoryEvent

    from sdk._h2_channel import H2Channel

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"
_SERVICE = "/temporal.api.workflowservice.v1.WorkflowService/"
# As the SDK's client: its calls' deadline, its first call's, and a long poll's.
_RPC_TIMEOUT = 10.0
_CONNECT_TIMEOUT = 5.0
_LONG_POLL_TIMEOUT = 75.0
_METADATA_TIMEOUT = 1.0  # tempo_cli._metadata.fetch_handlers
_METADATA_QUERY = "__temporal_workflow_metadata"
_DEADLINE_EXCEEDED = 4
_UNIMPLEMENTED = 12
_REJECT_CONDITIONS = {None: 1, "not_open": 2, "not_completed_cleanly": 3}  # QueryRejectCondition

# Each command's options taken here (besides --address and --namespace).
_OPTIONS = {
    "list": {"query", "limit"},
    "describe": {"workflow_id", "run_id"},
    "show": {"workflow_id", "run_id"},
    "start": {"workflow_type", "task_queue", "workflow_id", "inputs"},
    "signal": {"name", "workflow_id", "run_id", "inputs"},
    "query": {"name", "workflow_id", "run_id", "inputs", "reject_condition"},
}


class GiveWay(Exception):
    """Not this path's to answer: the fast path runs the command (nothing was printed)."""


class _RanOut(GiveWay):
    """A read that met its deadline (a query no worker answers): asked again through the
    fast path, it would wait as long again, so this path words the app's error itself."""

    def __init__(self, failed: Exception) -> None:
        super().__init__()
        self.failed = failed


class Answer:
    """What a command prints: stdout's text, stderr's lines, and its exit code."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.err: list[str] = []

    def lines(self, table: Rows) -> None:
        lines = plain_lines(table)
        if lines is None:
            raise GiveWay  # a cell Rich measures itself
        if lines:
            self.out.append("\n".join(lines) + "\n")


def run(argv: list[str]) -> bool:
    """Run `tempo workflow ...` (``argv``: the words after `workflow`) if it is this path's;
    False when the fast path must (then nothing was printed)."""
    from tempo_cli._fast_commands import plain_words

    words = plain_words(argv)
    if words is None:
        return False
    command, values = words
    if command not in _OPTIONS or not _plain(command, values):
        return False
    session = _Session(values.get("address") or DEFAULT_ADDRESS, values.get("namespace") or DEFAULT_NAMESPACE)
    try:
        answer = _COMMANDS[command](session, values)
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")  # as the app ends on Ctrl-C (tempo_cli._cli)
        raise SystemExit(130) from None
    except _RanOut as ran_out:
        _end_as_the_app(ran_out.failed, session, values.get("workflow_id", ""))
    except Exception:
        if session.sent:
            raise  # a start or signal made: never again through the fast path
        return False  # GiveWay, or anything unforeseen: the fast path answers as the app does
    finally:
        session.close()
    _write(answer)
    return True


def _plain(command: str, values: dict[str, Any]) -> bool:
    """Whether this command line, in this environment, is the lean path's."""
    options = set(values) - {"address", "namespace", "output", "color"}
    if not options <= _OPTIONS[command] or values.get("output", "text") != "text":
        return False
    if values.get("color", "auto") not in ("auto", "never") or values.get("reject_condition") not in _REJECT_CONDITIONS:
        return False
    environ = os.environ
    if environ.get("FORCE_COLOR") or environ.get("TTY_COMPATIBLE") == "1":
        return False  # Rich draws as for a terminal
    if any(name.startswith("TEMPORAL_") for name in environ):
        return False  # connection settings, a profile or an environments file to read
    try:
        if sys.stdout.isatty() or sys.stderr.isatty():
            return False  # Rich draws for a terminal
    except ValueError:  # a closed stream
        return False
    return not any(os.path.exists(path) for path in _settings_files())


def _settings_files() -> list[str]:
    """The files a connection's settings may come from when nothing names one: `temporal
    env`'s environments (tempo_cli._env_file) and the profiles (sdk.envconfig)."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        config = os.environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
    elif sys.platform == "darwin":
        config = os.path.join(home, "Library", "Application Support")
    else:
        config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    environments = os.path.join(home, ".config", "temporalio", "temporal.yaml")
    return [environments, os.path.join(config, "temporalio", "temporal.toml")]


class _Session:
    """One connection, opened by the first call with GetSystemInfo (as the SDK's client)."""

    def __init__(self, address: str, namespace: str) -> None:
        self.address = address
        self.namespace = namespace
        self.sent = False
        """A call that changes something reached the server."""
        self._channel: H2Channel | None = None

    def read(self, method: str, request: Message, response_type: type[Any], timeout: float = _RPC_TIMEOUT) -> Any:
        """The answer of a call that changes nothing; gives way if it fails (:class:`_RanOut`
        when it met its deadline)."""
        from sdk._h2_channel import CallFailed

        try:
            return response_type.FromString(self._unary(method, request, timeout))
        except CallFailed as failed:
            if failed.status == _DEADLINE_EXCEEDED:
                raise _RanOut(failed) from None
            raise GiveWay from None
        except Exception:  # an address it cannot use, an odd answer
            raise GiveWay from None

    def send(self, method: str, request: Message, response_type: type[Any], workflow_id: str) -> Any:
        """The answer of a call that changes something; if it fails, the SDK's connection
        makes the same request again (retrying a transient failure) or ends the command with
        the app's error."""
        from sdk._h2_channel import CallFailed

        self._open()
        try:
            data = self._unary(method, request, _RPC_TIMEOUT)
        except CallFailed:
            data = None
        self.sent = True
        if data is None:
            return self._send_again(method, request, workflow_id)
        return response_type.FromString(data)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()

    def _open(self) -> None:
        """Connect, and ask GetSystemInfo as the SDK's client does first; gives way if that fails."""
        if self._channel is not None:
            return
        from temporalio.api.workflowservice.v1.request_response_pb2 import GetSystemInfoRequest

        from sdk._h2_channel import CallFailed, H2Channel

        self._channel = H2Channel(self.address)
        try:
            self._channel.unary(
                _SERVICE + "GetSystemInfo", GetSystemInfoRequest().SerializeToString(), [], _CONNECT_TIMEOUT
            )
        except CallFailed as failed:
            if failed.status != _UNIMPLEMENTED:  # older or minimal servers: the call is optional
                raise GiveWay from None
        except Exception:  # an address it cannot use: the app's to word
            raise GiveWay from None

    def _unary(self, method: str, request: Message, timeout: float) -> bytes:
        self._open()
        assert self._channel is not None
        return self._channel.unary(_SERVICE + method, request.SerializeToString(), [], timeout)

    def _send_again(self, method: str, request: Message, workflow_id: str) -> Any:
        from tempo_cli._cli import CliContext, GlobalOptions

        cli = CliContext(GlobalOptions(address=self.address, namespace=self.namespace), blocking_calls=True)

        async def call(client: Any) -> Any:
            connection = client._conn
            return await connection.call(getattr(connection.service, method), request, workflow_id=workflow_id)

        return cli.run(call)


def _end_as_the_app(failed: Exception, session: _Session, workflow_id: str) -> None:
    """Print the app's one-line error for a failed call and exit 1, as `CliContext.run` does."""
    from sdk._client_rpc import map_error
    from tempo_cli._errors import describe_error

    message = describe_error(map_error(failed, session.address, workflow_id), session.namespace)
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(1)


def _write(answer: Answer) -> None:
    """Print the answer as the app would: stdout first (a reader that left early is no
    error), then the messages on stderr."""
    try:
        if answer.out:
            sys.stdout.write("".join(answer.out))
            sys.stdout.flush()
    except BrokenPipeError:
        # As tempo_cli._cli does: stdout at /dev/null, so the final flush does not fail too.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None
    if answer.err:
        sys.stderr.write("".join(line + "\n" for line in answer.err))
        sys.stderr.flush()


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


def _list(session: _Session, values: dict[str, Any]) -> Answer:
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        ListWorkflowExecutionsRequest,
        ListWorkflowExecutionsResponse,
    )

    limit_text = values.get("limit")
    if limit_text is not None and (not limit_text.isdigit() or int(limit_text) < 1):
        raise GiveWay  # the app's message
    limit = int(limit_text) if limit_text is not None else None
    table = Rows([Column(name) for name in ("Status", "WorkflowId", "RunId", "Type", "StartTime", "CloseTime")])
    token = b""
    while limit is None or len(table.rows) < limit:
        request = ListWorkflowExecutionsRequest(
            namespace=session.namespace, page_size=100, next_page_token=token, query=values.get("query", "")
        )
        response = session.read("ListWorkflowExecutions", request, ListWorkflowExecutionsResponse)
        for info in response.executions[: None if limit is None else limit - len(table.rows)]:
            table.add_row(
                render.status_text(info.status),
                info.execution.workflow_id,
                info.execution.run_id,
                info.type.name,
                render.proto_time(info, "start_time"),
                render.proto_time(info, "close_time"),
            )
        token = response.next_page_token
        if not token:
            break
    answer = Answer()
    answer.lines(table)
    if not table.rows:
        answer.err.append("No workflows match.")
    return answer


def _describe(session: _Session, values: dict[str, Any]) -> Answer:
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
        rows += _outcome_rows(_close_event(session, values["workflow_id"], info.execution.run_id))
    answer = Answer()
    answer.lines(render.key_value_table(rows))
    return answer


def _close_event(session: _Session, workflow_id: str, run_id: str) -> HistoryEvent:
    """The run's close event (the SDK's ``wait_for_close_event(follow_runs=False)``)."""
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
        except _RanOut:
            continue  # a server holding long polls longer than the deadline: ask again, as the SDK does
        if response.history.events:
            event: HistoryEvent = response.history.events[-1]
            return event
        token = response.next_page_token  # the long poll ran out before the run closed


def _outcome_rows(event: HistoryEvent) -> list[tuple[str, Any]]:
    """The rows `describe` adds for a closed run (as tempo_cli._commands.describe)."""
    from temporalio.api.enums.v1 import EventType

    completed = event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    payloads = event.workflow_execution_completed_event_attributes.result.payloads
    values = _decoded(payloads) if completed else []
    encoding = render.undecoded_encoding(payloads[0]) if payloads else None
    return render.outcome_rows(completed, values[0] if values else None, encoding, render.close_reason(event))


def _show(session: _Session, values: dict[str, Any]) -> Answer:
    from temporalio.api.enums.v1 import HistoryEventFilterType
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        GetWorkflowExecutionHistoryRequest,
        GetWorkflowExecutionHistoryResponse,
    )

    answer = Answer()
    printer = render.EventPrinter(answer.lines, _decoded)
    batch: list[HistoryEvent] = []
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
        for event in response.history.events:
            batch.append(event)
            if len(batch) == 500:  # as the app prints: in batches, the header before the first
                printer.print(batch)
                batch = []
        token = response.next_page_token
        if not token:
            break
    if batch:
        printer.print(batch)
    return answer


def _start(session: _Session, values: dict[str, Any]) -> Answer:
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
    response = session.send("StartWorkflowExecution", request, StartWorkflowExecutionResponse, workflow_id)
    answer = Answer()
    answer.out.append("Running execution:\n")
    started = [
        ("  WorkflowId", workflow_id),
        ("  RunId", response.run_id),
        ("  Type", values["workflow_type"]),
        ("  Namespace", session.namespace),
        ("  TaskQueue", values["task_queue"]),
    ]
    answer.lines(render.key_value_table(started))
    return answer


def _signal(session: _Session, values: dict[str, Any]) -> Answer:
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
    answer = Answer()
    if signals is not None and "" not in signals and name not in signals:
        known = ", ".join(sorted(n for n in signals if n)) or "none"
        answer.err.append(
            f"warning: workflow {workflow_id} has no signal {name!r} (its signals: {known}); sent it anyway"
        )
    answer.err.append(f"Sent signal {name!r} to workflow {workflow_id}.")
    return answer


def _signal_names(session: _Session, values: dict[str, Any]) -> list[str] | None:
    """The signals the workflow declares ("" for a dynamic one), from the SDKs' metadata
    query (tempo_cli._metadata.fetch_handlers); None when it cannot say."""
    from temporalio.api.enums.v1 import QueryRejectCondition
    from temporalio.api.query.v1 import WorkflowQuery
    from temporalio.api.sdk.v1 import WorkflowMetadata
    from temporalio.api.workflowservice.v1.request_response_pb2 import QueryWorkflowRequest, QueryWorkflowResponse

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


def _query(session: _Session, values: dict[str, Any]) -> Answer:
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
    answer = Answer()
    answer.out.append(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
    return answer


_COMMANDS: dict[str, Callable[[_Session, dict[str, Any]], Answer]] = {
    "list": _list,
    "describe": _describe,
    "show": _show,
    "start": _start,
    "signal": _signal,
    "query": _query,
}
