"""What each `tempo workflow` command does, once its options are parsed.

Kept apart from `workflow.py` (options and help) so that `--help` and shell
completion never pay for importing the SDK and the protobuf modules.
"""

from __future__ import annotations

import contextlib
import datetime
import getpass
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.api.workflowservice.v1.request_response_pb2 import CountWorkflowExecutionsResponse

from sdk.client import (
    Client,
    QueryRejectCondition,
    WorkflowDescription,
    WorkflowHandle,
    WorkflowStatus,
)
from sdk.exceptions import RPCError, WorkflowQueryFailedError
from tempo_cli._cli import CliContext, Output, RejectCondition, UsageError
from tempo_cli._go_format import TimeFormat
from tempo_cli._inputs import parse_inputs
from tempo_cli._outcome_text import cancel_requested, not_completed, result_rows, terminated
from tempo_cli._render import (
    CLOSE_STATUS,
    EventPrinter,
    compact,
    decode_payloads,
    history_json,
    json_value,
    key_value_table,
    next_run_id,
    payload_shorthand,
    proto_dict,
    proto_json,
    undecoded_encoding,
    user_metadata_texts,
)
from tempo_cli._render_text import (
    close_reason,
    describe_rows,
    outcome_rows,
    workflow_list_table,
)

# What only some commands use is imported by them: `workflow list` and `describe` (the
# fast path, `_fast_commands`) need not load the start options or the workflow metadata.
if TYPE_CHECKING:
    from pathlib import Path

    from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

    from tempo_cli._metadata import Handlers
    from tempo_cli._start_request import StartRequest
    from tempo_cli._versioning_options import OverrideBehavior
    from tempo_cli.workflow import StartOptions
    from tempo_cli.workflow_reset import ReapplyExclude, ResetOptions, ResetType

T = TypeVar("T")


def validated(cli: CliContext, build: Callable[..., T], *args: Any) -> T:
    """Check user input before connecting, so input errors come first and alone."""
    try:
        return build(*args)
    except UsageError as err:
        cli.abort(str(err))


# ---------------------------------------------------------------- start / execute


async def _start(cli: CliContext, client: Client, start: StartRequest) -> tuple[WorkflowHandle, dict[str, Any]]:
    conn = client._conn
    response = await conn.call(
        conn.service.StartWorkflowExecution,
        start.message(client),
        workflow_id=start.options.id,
        codec=client.data_converter.payload_codec,
    )
    handle = client.get_workflow_handle(start.options.id, run_id=response.run_id)
    doc = {
        "workflowId": handle.id,
        "runId": response.run_id,
        "type": start.workflow_type,
        "namespace": cli.settings.namespace,
        "taskQueue": start.options.task_queue,
    }
    return handle, doc


def _print_started(cli: CliContext, doc: dict[str, Any]) -> None:
    cli.print_text("Running execution:")
    labels = ("WorkflowId", "RunId", "Type", "Namespace", "TaskQueue")
    keys = ("workflowId", "runId", "type", "namespace", "taskQueue")
    cli.print_table(key_value_table([(f"  {label}", doc[key]) for label, key in zip(labels, keys, strict=True)]))


def start(cli: CliContext, typed: StartOptions) -> None:
    """`tempo workflow start`."""
    from tempo_cli._start_request import parse_start

    parsed = validated(cli, parse_start, typed)

    async def work(client: Client) -> dict[str, Any]:
        return (await _start(cli, client, parsed))[1]

    doc = cli.run(work)
    if cli.json_mode:
        cli.write_json(doc)
    else:
        _print_started(cli, doc)


def execute(cli: CliContext, typed: StartOptions) -> None:
    """`tempo workflow execute`: start, stream the events, print the outcome."""
    from tempo_cli._start_request import parse_start

    parsed = validated(cli, parse_start, typed)

    async def work(client: Client) -> tuple[_Outcome, dict[str, Any]]:
        handle, doc = await _start(cli, client, parsed)
        if cli.json_mode:
            run_id, event = await handle.wait_for_close_event()
        else:
            _print_started(cli, doc)
            run_id, event = await _stream_runs(cli, client, handle.id, doc["runId"])
        outcome = _outcome(client, run_id, event)
        return outcome, {**doc, **outcome.doc}

    outcome, doc = cli.run(work)
    _finish(cli, doc["workflowId"], outcome, doc)


_NEXT_RUN_WORDS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "Continued as new",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "Cron run finished",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "Failed; retrying",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "Timed out; retrying",
}


async def _stream_runs(cli: CliContext, client: Client, workflow_id: str, run_id: str) -> tuple[str, HistoryEvent]:
    """Print each event of the run as it happens, then of each run it hands over to.

    Follows continue-as-new (and retries and cron, like ``result``), with one line
    saying so, until a run closes for good; returns that run's ID and close event.
    """
    cli.out.print("\nProgress:")
    printer = EventPrinter(cli.print_table, client.data_converter)
    while True:
        last: HistoryEvent | None = None
        async for event in client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history_events(follow=True):
            printer.print([event])
            last = event
        if last is None or last.event_type not in CLOSE_STATUS:
            # The stream ended without a close event (should not happen): ask for it.
            return await client.get_workflow_handle(workflow_id, run_id=run_id).wait_for_close_event(follow_runs=False)
        new_run_id = next_run_id(last)
        if not new_run_id:
            return run_id, last
        words = _NEXT_RUN_WORDS.get(last.event_type, "Carried on")
        cli.out.print(f"{words}: following the new run {new_run_id}")
        run_id = new_run_id


@dataclass(frozen=True)
class _Outcome:
    """How a run closed: JSON-ready facts plus a one-line reason for failures."""

    doc: dict[str, Any]
    status: WorkflowStatus | None
    reason: str
    result_encoding: str | None = None
    """The result's encoding when it could not be decoded (a codec's, without --codec-endpoint)."""


def _outcome(client: Client, run_id: str, event: HistoryEvent) -> _Outcome:
    status = CLOSE_STATUS.get(event.event_type)
    doc: dict[str, Any] = {
        "runId": run_id,
        "status": status.name if status is not None else "UNKNOWN",
        "closeEvent": proto_json(event),
    }
    result_encoding = None
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        attrs = event.workflow_execution_completed_event_attributes
        values = decode_payloads(attrs.result, client.data_converter)
        doc["result"] = values[0] if values else None
        if attrs.result.payloads:
            result_encoding = undecoded_encoding(attrs.result.payloads[0])
    elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        doc["failure"] = proto_json(event.workflow_execution_failed_event_attributes.failure)
    return _Outcome(doc, status, close_reason(event), result_encoding)


def _finish(cli: CliContext, workflow_id: str, outcome: _Outcome, doc: dict[str, Any]) -> None:
    """Print the outcome of a closed workflow; exit 1 unless it completed."""
    if cli.json_mode:
        cli.write_json(doc)
    else:
        rows = result_rows(outcome.status, "result" in doc, doc.get("result"), outcome.result_encoding, outcome.reason)
        cli.out.print("\nResults:")
        cli.print_table(key_value_table(rows))
    if outcome.status is not WorkflowStatus.COMPLETED:
        cli.abort(not_completed(workflow_id, outcome.status, outcome.reason))


def result(cli: CliContext, workflow_id: str, run_id: str | None) -> None:
    """`tempo workflow result`."""

    async def work(client: Client) -> _Outcome:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        closed_run, event = await handle.wait_for_close_event()
        if event.event_type not in CLOSE_STATUS and (await handle.describe()).status is WorkflowStatus.PAUSED:
            # The server stops waiting for a paused run's close and answers its last event.
            raise UsageError(f"workflow {workflow_id} is paused: it has no result until it is unpaused")
        return _outcome(client, closed_run, event)

    outcome = cli.run(work)
    _finish(cli, workflow_id, outcome, {"workflowId": workflow_id, **outcome.doc})


# ---------------------------------------------------------------- signal / query


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def signal(
    cli: CliContext, workflow_id: str, run_id: str | None, name: str, inputs: list[str], files: list[Path]
) -> None:
    """`tempo workflow signal`: sends any name, as `temporal workflow signal` does.

    A name the workflow says it does not have gets a warning (the history keeps the
    signal, and a later version of the code, or a reset, may still handle it).
    """
    from tempo_cli._metadata import fetch_handlers

    args = validated(cli, parse_inputs, inputs, files)

    async def work(client: Client) -> Handlers | None:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        handlers = await fetch_handlers(handle)
        await handle.signal(name, *args)
        return handlers

    handlers = cli.run(work)
    if handlers and not handlers.dynamic_signals and name not in handlers.signals:
        cli.warn(
            f"workflow {workflow_id} has no signal {name!r} (its signals: {_names(handlers.signals)}); sent it anyway"
        )
    cli.info(f"Sent signal {name!r} to workflow {workflow_id}.")


def query(
    cli: CliContext,
    workflow_id: str,
    run_id: str | None,
    name: str,
    inputs: list[str],
    files: list[Path],
    reject: RejectCondition | None = None,
) -> None:
    """`tempo workflow query`: on an unknown name, lists the workflow's queries.

    A query the server rejects (``reject``) is a one-line error naming the status.
    """
    from tempo_cli._metadata import fetch_handlers

    args = validated(cli, parse_inputs, inputs, files)

    async def work(client: Client) -> Any:
        try:
            return await _query(client, workflow_id, run_id, name, args, reject)
        except WorkflowQueryFailedError:
            handlers = await fetch_handlers(client.get_workflow_handle(workflow_id, run_id=run_id))
            if handlers and not handlers.dynamic_queries and name not in handlers.queries:
                raise UsageError(
                    f"workflow {workflow_id} has no query {name!r}; its queries: {_names(handlers.queries)}"
                ) from None
            raise

    value = json_value(cli.run(work))
    if cli.json_mode:
        cli.write_json({"workflowId": workflow_id, "queryType": name, "result": value})
    else:
        cli.print_text(json.dumps(value, indent=2, ensure_ascii=False, default=str))


STACK_TRACE_QUERY = "__stack_trace"

_REJECT = {
    None: QueryRejectCondition.NONE,
    RejectCondition.not_open: QueryRejectCondition.NOT_OPEN,
    RejectCondition.not_completed_cleanly: QueryRejectCondition.NOT_COMPLETED_CLEANLY,
}


# The server's refusal (FAILED_PRECONDITION) to query a run no worker ever ran.
_CLOSED_UNRUN = "closed before WorkflowTaskStarted"


async def _query(
    client: Client, workflow_id: str, run_id: str | None, name: str, args: list[Any], reject: RejectCondition | None
) -> Any:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        return await handle.query(name, *args, reject_condition=_REJECT[reject])
    except RPCError as err:
        if err.status_code.name == "FAILED_PRECONDITION" and _CLOSED_UNRUN in str(err):
            raise UsageError(
                f"workflow {workflow_id} closed before any worker ran it, so there is no code to query"
            ) from None
        raise


async def _raw_count(client: Client, query: str) -> CountWorkflowExecutionsResponse:
    async with _refused_query(query):
        return (await client.count_workflows_grouped(query)).raw


@contextlib.asynccontextmanager
async def _refused_query(query: str) -> AsyncIterator[None]:
    """A list filter the server refuses is the user's mistake: say so, with the server's reason."""
    try:
        yield
    except RPCError as err:
        if err.status_code.name != "INVALID_ARGUMENT":
            raise
        raise UsageError(f"the server refused --query {query!r}: {err}") from None


def stack(cli: CliContext, workflow_id: str, run_id: str | None, reject: RejectCondition | None) -> None:
    """`tempo workflow stack`: the SDKs' built-in ``__stack_trace`` query, printed as is.

    A worker that answers with no stack at all (a closed run has no code waiting) gets a
    one-line error saying why, rather than an empty line.
    """

    async def work(client: Client) -> tuple[Any, WorkflowDescription | None]:
        value = await _query(client, workflow_id, run_id, STACK_TRACE_QUERY, [], reject)
        if value not in ("", None):
            return value, None
        return value, await client.get_workflow_handle(workflow_id, run_id=run_id).describe()

    answer, empty_from = cli.run(work)
    if empty_from is not None:
        if empty_from.status is WorkflowStatus.RUNNING:
            cli.abort(f"the worker of workflow {workflow_id} answered with an empty stack trace")
        cli.abort(
            f"workflow {workflow_id} is closed ({empty_from.status.display}): "
            "none of its code is waiting, so it has no stack trace"
        )
    value = json_value(answer)
    if cli.json_mode:
        cli.write_json({"workflowId": workflow_id, "queryType": STACK_TRACE_QUERY, "result": value})
    elif isinstance(value, str):
        cli.out.file.write(value if value.endswith("\n") else value + "\n")  # no Rich: tracebacks hold [brackets]
        cli.out.file.flush()
    else:
        cli.out.print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


# ---------------------------------------------------------------- describe / show


def describe(cli: CliContext, workflow_id: str, run_id: str | None) -> None:
    """`tempo workflow describe`: the run's info, plus its outcome once closed."""

    async def work(client: Client) -> tuple[WorkflowDescription, _Outcome | None, tuple[str | None, str | None]]:
        desc = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
        outcome = None
        if desc.close_time is not None:
            pinned = client.get_workflow_handle(workflow_id, run_id=desc.run_id)
            closed_run, event = await pinned.wait_for_close_event(follow_runs=False)
            outcome = _outcome(client, closed_run, event)
        metadata = user_metadata_texts(desc.raw_description.execution_config.user_metadata, client.data_converter)
        return desc, outcome, metadata

    desc, outcome, (summary, details) = cli.run(work)
    if cli.json_mode:
        doc = proto_json(desc.raw_description)
        for key in ("closeEvent", "result", "failure"):
            if outcome is not None and key in outcome.doc:
                doc[key] = outcome.doc[key]
        cli.write_json(doc)
        return
    rows = describe_rows(desc.raw_description, cli.settings.namespace, desc.memo, summary, details)
    if outcome is not None:
        rows += outcome_rows(
            "result" in outcome.doc, outcome.doc.get("result"), outcome.result_encoding, outcome.reason
        )
    cli.print_table(key_value_table(rows))


def show(cli: CliContext, workflow_id: str, run_id: str | None, follow: bool) -> None:
    """`tempo workflow show`: the event history as rows, protobuf JSON, or JSON lines."""

    async def work(client: Client) -> None:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        printer = EventPrinter(cli.print_table, client.data_converter)
        history = History()
        batch: list[HistoryEvent] = []
        async for event in handle.fetch_history_events(follow=follow):
            if cli.settings.output is Output.jsonl:
                cli.write_json(proto_dict(event))
            elif cli.settings.output is Output.json:
                history.events.append(event)
            elif follow:
                printer.print([event])  # live: one row as soon as it arrives
            else:
                batch.append(event)
                if len(batch) == 500:  # rows have fixed widths, so batches line up
                    printer.print(batch)
                    batch = []
        if cli.settings.output is Output.json:
            # Exactly MessageToJson(History), the format `temporal workflow show -o json` writes.
            cli.write_raw(history_json(history))
        elif batch:
            printer.print(batch)

    cli.run(work)


# ---------------------------------------------------------------- list / count / stop


def list_(cli: CliContext, query: str, limit: int | None, time_format: str = TimeFormat.relative) -> None:
    """`tempo workflow list`: `temporal`'s columns, start times per ``--time-format``."""

    async def work(client: Client) -> list[Any]:
        runs = []
        async with _refused_query(query):
            async for run in client.list_workflows(query, limit=limit):
                if cli.settings.output is Output.jsonl:
                    cli.write_json(proto_json(run.raw))  # stream: lists can be long
                else:
                    runs.append(run)
        return runs

    runs = cli.run(work)
    if cli.settings.output is Output.json:
        cli.write_json([proto_json(run.raw) for run in runs])
        return
    if cli.json_mode:
        return
    cli.print_table(workflow_list_table((run.raw for run in runs), time_format, datetime.datetime.now(datetime.UTC)))
    if not runs:
        cli.info("No workflows match.")


def count(cli: CliContext, query: str) -> None:
    """`tempo workflow count`: the total and, for ``GROUP BY`` queries, one line per group.

    Prints what `temporal workflow count` prints, in text and in JSON.
    """
    response = cli.run(lambda client: _raw_count(client, query))
    for group in response.groups:
        for payload in group.group_values:
            # Search attribute values carry their type ("Keyword"); like the real CLI, drop
            # it so each value prints as plain JSON (`"Running"`).
            if "type" in payload.metadata:
                del payload.metadata["type"]
    if cli.json_mode:
        cli.write_json(proto_json(response))
        return
    lines = [f"Total: {response.count}"]
    for group in response.groups:
        values = ", ".join(_group_value(p) for p in group.group_values)
        lines.append(f"Group total: {group.count}, values: {values}")
    cli.write_raw("\n".join(lines))


def _group_value(payload: Payload) -> str:
    handled, value = payload_shorthand(payload)
    if not handled:
        return compact(proto_dict(payload), 10_000)
    return value if isinstance(value, str) else compact(value, 10_000)


def terminate(cli: CliContext, workflow_id: str, run_id: str | None, reason: str) -> None:
    """`tempo workflow terminate`."""
    cli.run(lambda client: client.get_workflow_handle(workflow_id, run_id=run_id).terminate(reason))
    cli.info(terminated(workflow_id))


def cancel(cli: CliContext, workflow_id: str, run_id: str | None, reason: str) -> None:
    """`tempo workflow cancel`."""
    cli.run(lambda client: client.get_workflow_handle(workflow_id, run_id=run_id).cancel(reason))
    cli.info(cancel_requested(workflow_id))


def reset_as_asked(
    cli: CliContext, options: ResetOptions, post_operations: list[workflow_pb.PostResetOperation]
) -> None:
    """`tempo workflow reset [with-workflow-update-options]`: one workflow (-w) or a batch (-q)."""
    from tempo_cli import _batch_commands

    if options.reason is None:
        cli.abort("Missing option '--reason'.", code=2)
    reset_type = options.reset_type
    wants_batch = _batch_commands.wants_batch(
        cli, options.workflow_id, options.run_id, options.query, options.rps, options.yes
    )
    if wants_batch:
        _batch_commands.reset_workflows(
            cli, str(options.query), options.rps, options.yes, reset_type and reset_type.value, options.reason,
            post_operations,
        )  # fmt: skip
        return
    reset(
        cli,
        str(options.workflow_id),
        options.run_id,
        options.event_id,
        reset_type,
        options.reason,
        list(options.reapply_exclude or []),
        post_operations,
    )


def versioning_override_operation(
    cli: CliContext, behavior: OverrideBehavior, deployment_name: str, build_id: str
) -> workflow_pb.PostResetOperation:
    """The post-reset operation of `with-workflow-update-options`, checked as `temporal` checks it."""
    from google.protobuf import field_mask_pb2
    from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

    from tempo_cli._options_commands import versioning_override
    from tempo_cli._versioning_options import OverrideBehavior

    targeted = behavior in (OverrideBehavior.pinned, OverrideBehavior.one_time)
    if targeted and not (deployment_name and build_id):
        cli.abort(f"deployment name and build id are required with '{behavior.value}' behavior")
    if behavior is OverrideBehavior.unspecified:
        cli.abort(
            "invalid deployment behavior: unspecified, valid values are: 'pinned', 'auto_upgrade', and 'one_time'"
        )
    if not targeted and (deployment_name or build_id):
        cli.abort(f"cannot set deployment name or build id with {behavior.value} behavior")
    override = versioning_override(cli, behavior, deployment_name, build_id)
    operation = workflow_pb.PostResetOperation()
    update = operation.update_workflow_options
    if override is not None:
        update.workflow_execution_options.versioning_override.CopyFrom(override)
    update.update_mask.CopyFrom(field_mask_pb2.FieldMask(paths=["versioning_override"]))
    return operation


def reset(
    cli: CliContext,
    workflow_id: str,
    run_id: str | None,
    event_id: int | None,
    reset_type: ResetType | None,
    reason: str,
    reapply_exclude: list[ReapplyExclude],
    post_operations: Sequence[workflow_pb.PostResetOperation] = (),
) -> None:
    """`tempo workflow reset`: the reset point from --event-id or --type, then one ResetWorkflowExecution."""
    if reset_type is None and (event_id is None or event_id <= 0):
        cli.abort("give --event-id (a positive event id) or --type")
    excluded = {value.value for value in reapply_exclude}
    if "All" in excluded:
        excluded = {"Signal", "Update"}

    async def work(client: Client) -> tuple[int, str]:
        base_run, finish_id = run_id, event_id or 0
        if reset_type is not None:
            base_run, finish_id = await reset_point(client, workflow_id, run_id, reset_type.value)
        if not cli.json_mode:
            cli.out.print(f"Resetting workflow {workflow_id} to event ID {finish_id}", markup=False, highlight=False)
        handle = client.get_workflow_handle(workflow_id, run_id=base_run)
        if post_operations:
            return finish_id, await _reset_with_operations(client, handle, finish_id, reason, excluded, post_operations)
        new_run = await handle.reset(
            finish_id,
            reason=f"{_user_name()}: {reason}",
            exclude_signals="Signal" in excluded,
            exclude_updates="Update" in excluded,
        )
        return finish_id, new_run

    _, new_run = cli.run_blocking(work)
    if cli.json_mode:
        cli.write_json({"runId": new_run})
    else:
        cli.info(f"New run: {new_run}")


async def _reset_with_operations(
    client: Client,
    handle: WorkflowHandle,
    finish_id: int,
    reason: str,
    excluded: set[str],
    post_operations: Sequence[workflow_pb.PostResetOperation],
) -> str:
    """ResetWorkflowExecution with post-reset operations (the SDK's reset takes none)."""
    import uuid

    import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
    from temporalio.api.enums.v1 import reset_pb2

    from tempo_cli._raw_calls import call

    exclude = {
        "Signal": reset_pb2.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL,
        "Update": reset_pb2.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE,
    }
    request = wsv1.ResetWorkflowExecutionRequest(
        namespace=client.namespace,
        reason=f"{_user_name()}: {reason}",
        workflow_task_finish_event_id=finish_id,
        request_id=str(uuid.uuid4()),
        reset_reapply_exclude_types=[exclude[name] for name in sorted(excluded)],
        post_reset_operations=post_operations,
    )
    request.workflow_execution.workflow_id = handle.id
    request.workflow_execution.run_id = handle.run_id or ""
    response: wsv1.ResetWorkflowExecutionResponse = await call(client, client.service.ResetWorkflowExecution, request)
    return response.run_id


def _user_name() -> str:
    """Who asks, as the real CLI names them in a reset's reason."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (a bare container)
        return "tempo"


async def reset_point(client: Client, workflow_id: str, run_id: str | None, reset_type: str) -> tuple[str | None, int]:
    """(base run, workflow task finish event id) for a `--type`, read from history as the real CLI reads it.

    FirstWorkflowTask and LastWorkflowTask: the first or last WorkflowTaskCompleted of the
    run (without one, the event after its first WorkflowTaskScheduled). LastContinuedAsNew:
    the last WorkflowTaskCompleted of the run this one continued from, which is the base.
    """
    events = [event async for event in client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history_events()]
    if reset_type == "LastContinuedAsNew":
        started = events[0].workflow_execution_started_event_attributes if events else None
        previous = started.continued_execution_run_id if started else ""
        if not previous:
            raise UsageError("--type LastContinuedAsNew: this run did not continue from another")
        events = [
            event async for event in client.get_workflow_handle(workflow_id, run_id=previous).fetch_history_events()
        ]
        completed = [e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
        if not completed:
            raise UsageError(f"the run {previous} this one continued from has no completed workflow task")
        return previous, completed[-1]
    completed = [e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
    if completed:
        return run_id, completed[0] if reset_type == "FirstWorkflowTask" else completed[-1]
    scheduled = [e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]
    if not scheduled:
        raise UsageError("the run has no workflow task to reset to")
    return run_id, scheduled[0] + 1
