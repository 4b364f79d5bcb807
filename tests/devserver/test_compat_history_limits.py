"""History size and count (issue 8, item 6), compared with the real dev server.

Both servers run with the same lowered limits (`--dynamic-config-value`, item 7), so a
few activities or signals reach them. Compared: the continue-as-new suggestion and
history size in WorkflowTaskStarted (what `workflow.info()` reports), where the run is
terminated and how (reason, identity, the failed workflow task), and what the client,
worker or activity whose change crossed the limit is told.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import EventType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import TerminatedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from tests.devserver import compat, scenarios
from tests.devserver.compat_workflows import (
    ContinueWhenSuggestedWorkflow,
    GrowingHistoryWorkflow,
    SignalSizesWorkflow,
    step,
)

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

COUNT_ERROR = 16
COUNT_SUGGEST = 10
SIZE_SUGGEST = 4000
SIZE_ERROR = 8000
BLOB = "x" * 1000


@pytest.fixture(scope="module")
async def count_limits() -> AsyncIterator[tuple[str, str]]:
    async with compat.server_pair(
        "--dynamic-config-value",
        f"limit.historyCount.error={COUNT_ERROR}",
        "--dynamic-config-value",
        f"limit.historyCount.suggestContinueAsNew={COUNT_SUGGEST}",
        "--dynamic-config-value",
        "limit.historyCount.warn=12",
    ) as pair:
        yield pair


@pytest.fixture(scope="module")
async def size_limits() -> AsyncIterator[tuple[str, str]]:
    async with compat.server_pair(
        "--dynamic-config-value",
        f"limit.historySize.error={SIZE_ERROR}",
        "--dynamic-config-value",
        f"limit.historySize.suggestContinueAsNew={SIZE_SUGGEST}",
    ) as pair:
        yield pair


def _worker(client: Any, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[GrowingHistoryWorkflow, ContinueWhenSuggestedWorkflow, SignalSizesWorkflow],
        activities=[step],
    )


async def _outcome(handle: Any) -> Any:
    try:
        return await asyncio.wait_for(handle.result(), 60)
    except WorkflowFailureError as failure:
        cause = failure.cause
        if isinstance(cause, TerminatedError):
            return f"terminated: {cause.message}"
        return f"failed: {cause}"


async def _continue_when_suggested(address: str) -> dict[str, Any]:
    """The workflow continues as new when the server suggests it; the new run stops when told again."""
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-can")
    async with _worker(client, task_queue):
        handle = await client.start_workflow(
            ContinueWhenSuggestedWorkflow.run, 0, id=scenarios.unique("can"), task_queue=task_queue
        )
        result = await _outcome(handle)
        first = await scenarios.events(client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id))
        second = await scenarios.events(handle)
    return {"result": result, "runs": [compat.summary(first), compat.summary(second)]}


async def test_continue_as_new_suggested_by_event_count(count_limits: tuple[str, str]) -> None:
    ours, real = await asyncio.gather(*(_continue_when_suggested(address) for address in count_limits))
    for run, (a, b) in enumerate(zip(ours["runs"], real["runs"], strict=True)):
        assert a == b, f"run {run}:\n" + compat.diff(a, b)
    assert ours["result"] == real["result"] == "generation 1 stopped after 2 steps"
    suggested = [row for row in real["runs"][0] if row[0] == "WORKFLOW_TASK_STARTED"]
    assert [row[1:] for row in suggested] == [(False, []), (False, []), (True, [2])]  # TOO_MANY_HISTORY_EVENTS


async def _grow_past_limit(address: str, pad: int) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-grow")
    async with _worker(client, task_queue):
        handle = await client.start_workflow(
            GrowingHistoryWorkflow.run, args=[10, pad], id=scenarios.unique("grow"), task_queue=task_queue
        )
        result = await _outcome(handle)
    return {"result": result, "history": compat.summary(await scenarios.events(handle))}


@pytest.mark.parametrize(
    ("pad", "crossing"),
    [(0, "workflow task completion"), (2, "workflow task start"), (3, "activity completion")],
)
async def test_run_terminated_past_event_count_limit(count_limits: tuple[str, str], pad: int, crossing: str) -> None:
    """Which change crosses the limit depends on the event ids (shifted by `pad` memo upserts):
    a workflow task completion (the worker is refused, the task fails), a workflow task start
    (the poll gets nothing) or an activity completion."""
    ours, real = await asyncio.gather(*(_grow_past_limit(address, pad) for address in count_limits))
    assert ours["history"] == real["history"], compat.diff(ours["history"], real["history"])
    assert ours["result"] == real["result"] == "terminated: Workflow history count exceeds limit."
    last = real["history"][-1]
    assert last == ("WORKFLOW_EXECUTION_TERMINATED", "Workflow history count exceeds limit.", "history-service")
    before_last = real["history"][-2][0]
    expected = {
        "workflow task completion": "WORKFLOW_TASK_FAILED",  # the started task is failed first
        "workflow task start": "WORKFLOW_TASK_SCHEDULED",
        "activity completion": "ACTIVITY_TASK_SCHEDULED",  # its start and completion are dropped
    }[crossing]
    assert before_last == expected


async def _signal_until_refused(address: str) -> dict[str, Any]:
    """Signals a run nobody works on until the server refuses one."""
    await scenarios.client_for(address)
    workflow_id = scenarios.unique("signals")
    execution = WorkflowExecution(workflow_id=workflow_id)
    answers = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        await stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace="default",
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="Raw"),
                task_queue=TaskQueue(name=scenarios.unique("tq-nobody")),
                request_id=str(uuid.uuid4()),
            )
        )
        for i in range(COUNT_ERROR + 3):
            try:
                await stub.SignalWorkflowExecution(
                    wsv1.SignalWorkflowExecutionRequest(
                        namespace="default",
                        workflow_execution=execution,
                        signal_name=f"s{i}",
                        request_id=str(uuid.uuid4()),
                    )
                )
                answers.append("OK")
            except grpc.aio.AioRpcError as error:
                answers.append(f"{error.code().name} {error.details()}")
        history = await stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(namespace="default", execution=execution)
        )
    return {"answers": answers, "history": compat.summary(history.history.events)}


async def test_signal_past_event_count_limit(count_limits: tuple[str, str]) -> None:
    """A signal is numbered only when stored, so it may take the history one past the limit;
    the next change is refused and terminates the run."""
    ours, real = await asyncio.gather(*(_signal_until_refused(address) for address in count_limits))
    assert ours == real, compat.diff(ours["history"], real["history"])
    refused = real["answers"].index("INVALID_ARGUMENT Workflow history count exceeds limit.")
    assert refused == COUNT_ERROR - 1  # events 3..17 are signals 0..14; then 17 > 16
    assert real["answers"][refused + 1] == "NOT_FOUND workflow execution already completed"


async def _grow_by_signals(address: str) -> dict[str, Any]:
    """1 KB signals, one at a time, each handled by the worker before the next."""
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-sizes")
    answers = []
    async with _worker(client, task_queue):
        handle = await client.start_workflow(
            SignalSizesWorkflow.run, id=scenarios.unique("sizes"), task_queue=task_queue
        )
        await scenarios.wait_for_event(handle, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        for i in range(12):
            try:
                await handle.signal(SignalSizesWorkflow.blob, BLOB)
                answers.append("OK")
            except RPCError as error:
                answers.append(f"{error.status.name} {error.message}")
                break

            async def handled(count: int = i + 2) -> bool:
                history = await scenarios.events(handle)
                completed = sum(1 for e in history if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
                closed = history[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
                return completed >= count or closed

            await scenarios.wait_until(handled, what=f"signal {i} handled")
        result = await _outcome(handle)
    history = await scenarios.events(handle)
    return {
        "answers": answers,
        "result": result,
        "history": compat.summary(history),
        "sizes": compat.history_sizes(history),
    }


async def test_history_size_suggestion_and_limit(size_limits: tuple[str, str]) -> None:
    ours, real = await asyncio.gather(*(_grow_by_signals(address) for address in size_limits))
    assert ours["history"] == real["history"], compat.diff(ours["history"], real["history"])
    assert ours["answers"] == real["answers"]
    assert ours["result"] == real["result"] == "terminated: Workflow history size exceeds limit."
    assert compat.sizes_close(ours["sizes"], real["sizes"]), (ours["sizes"], real["sizes"])
    suggested = [row[1:] for row in real["history"] if row[0] == "WORKFLOW_TASK_STARTED"]
    assert (False, []) in suggested and (True, [1]) in suggested  # HISTORY_SIZE_TOO_LARGE
