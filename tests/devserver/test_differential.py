"""Differential tests: the same scenario on the real dev server and on ours.

Each scenario runs on both servers at once (official SDK client + worker, a fresh
task queue each); the sequence of history event types and the key attributes
(activity type, attempt, last failure, timer id, signal name, failure message)
must be identical. Scenarios are built so the order of events is deterministic:
signals are sent only once the workflow is known to wait, and timers do not race.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.devserver import scenarios
from tests.devserver.scenarios import Outcome

# The first test also pays for the module's prefetch of every scenario on both servers.
pytestmark = [pytest.mark.real_server, pytest.mark.timeout(600)]


def _normalize(result: Any) -> Any:
    """Results that embed run ids cannot match across servers."""
    if isinstance(result, str) and result.startswith("done after run "):
        return "done after run <run id>"
    return result


def _diff(ours: list[list[tuple[Any, ...]]], real: list[list[tuple[Any, ...]]]) -> str:
    lines = []
    for run, (a, b) in enumerate(zip(ours, real, strict=False)):
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else "-"
            y = b[i] if i < len(b) else "-"
            mark = "  " if x == y else "!!"
            lines.append(f"{mark} run{run} #{i + 1}: tempo={x} real={y}")
    return "\n".join(lines)


# How many scenarios run at once (each on both servers) when the module warms the cache.
PREFETCH_CONCURRENCY = 2
# Scenarios whose outcome depends on timing (heartbeats every few hundred ms, a signal that
# must land inside a 1 s workflow task, a run timeout): never overlapped with others.
TIMING_SENSITIVE = {
    "heartbeat_timeout",
    "heartbeat_give_up",
    "cancel_activity",
    "signal_during_task",
    "signal_during_closing_task",
    "query_during_task",
    "run_timeout",
    "order",
    # Worker 1's ShutdownWorker must land before the signal: slow under load.
    "sticky_worker_shutdown",
}


@pytest.fixture(scope="module", autouse=True)
async def _prefetch_outcomes(tempo_address: str, real_address: str) -> None:
    """Run the timing-insensitive scenarios on both servers up front, a few at a time: most of
    their time is spent waiting on timers and backoffs, so overlapping them keeps the suite
    fast. A scenario that fails here is simply run again (and reported) by its own test."""
    gate = asyncio.Semaphore(PREFETCH_CONCURRENCY)

    async def one(name: str) -> None:
        async with gate:
            await asyncio.gather(
                scenarios.outcome(name, tempo_address), scenarios.outcome(name, real_address), return_exceptions=True
            )

    await asyncio.gather(*(one(name) for name in scenarios.SCENARIOS if name not in TIMING_SENSITIVE))


@pytest.mark.parametrize("scenario", list(scenarios.SCENARIOS))
async def test_same_history_as_real_server(scenario: str, tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(
        scenarios.outcome(scenario, tempo_address), scenarios.outcome(scenario, real_address)
    )
    assert isinstance(ours, Outcome) and isinstance(real, Outcome)
    assert len(ours.histories) == len(real.histories)
    ours_summary, real_summary = ours.summary(), real.summary()
    assert ours_summary == real_summary, "history differs from the real server:\n" + _diff(ours_summary, real_summary)
    assert _normalize(ours.result) == _normalize(real.result)
    for history in ours.histories:
        assert scenarios.event_ids_are_dense(history)


# ---- raw-gRPC differential scenarios ---------------------------------------------------------


async def _sticky_without_poller(address: str) -> tuple[list[tuple[Any, ...]], int]:
    """A worker sets a sticky queue and never polls it (it crashed): the next task must
    reach the normal queue. Returns the history summary and the first event id of the
    task seen on the normal queue."""
    import uuid

    import grpc
    from google.protobuf import duration_pb2
    from temporalio.api.command.v1 import Command, CompleteWorkflowExecutionCommandAttributes
    from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
    from temporalio.api.enums.v1 import CommandType, TaskQueueKind
    from temporalio.api.taskqueue.v1 import StickyExecutionAttributes, TaskQueue
    from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
    from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

    await scenarios.client_for(address)  # server ready
    ns = "default"
    task_queue = scenarios.unique("tq-sticky")
    workflow_id = scenarios.unique("sticky-raw")
    normal = TaskQueue(name=task_queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        await stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace=ns,
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="Raw"),
                task_queue=TaskQueue(name=task_queue),
                request_id=str(uuid.uuid4()),
            )
        )
        first = await stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace=ns, task_queue=normal, identity="raw"), timeout=10
        )
        sticky = StickyExecutionAttributes(
            worker_task_queue=TaskQueue(
                name=task_queue + "-sticky", kind=TaskQueueKind.TASK_QUEUE_KIND_STICKY, normal_name=task_queue
            ),
            schedule_to_start_timeout=duration_pb2.Duration(seconds=1),
        )
        await stub.RespondWorkflowTaskCompleted(
            wsv1.RespondWorkflowTaskCompletedRequest(
                namespace=ns, task_token=first.task_token, identity="raw", sticky_attributes=sticky
            )
        )
        await stub.SignalWorkflowExecution(
            wsv1.SignalWorkflowExecutionRequest(
                namespace=ns,
                workflow_execution=WorkflowExecution(workflow_id=workflow_id),
                signal_name="poke",
                identity="raw",
                request_id=str(uuid.uuid4()),
            )
        )
        second = await stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace=ns, task_queue=normal, identity="raw"), timeout=20
        )
        complete = Command(
            command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            complete_workflow_execution_command_attributes=CompleteWorkflowExecutionCommandAttributes(),
        )
        await stub.RespondWorkflowTaskCompleted(
            wsv1.RespondWorkflowTaskCompletedRequest(
                namespace=ns, task_token=second.task_token, identity="raw", commands=[complete]
            )
        )
        history = await stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(namespace=ns, execution=WorkflowExecution(workflow_id=workflow_id))
        )
    return scenarios.summarize(history.history.events), second.history.events[0].event_id


async def test_sticky_queue_without_poller(tempo_address: str, real_address: str) -> None:
    (ours, ours_first), (real, real_first) = await asyncio.gather(
        _sticky_without_poller(tempo_address), _sticky_without_poller(real_address)
    )
    assert ours_first == real_first == 1  # the normal queue gets the full history
    assert ours == real, _diff([ours], [real])


async def _workflow_task_timeout(address: str) -> tuple[list[tuple[Any, ...]], int, int]:
    """A worker takes a workflow task and never answers: after the task timeout the
    server retries it (attempt 2, full history) on the normal queue."""
    import uuid

    import grpc
    from google.protobuf import duration_pb2
    from temporalio.api.command.v1 import Command, CompleteWorkflowExecutionCommandAttributes
    from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
    from temporalio.api.enums.v1 import CommandType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
    from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

    await scenarios.client_for(address)
    ns = "default"
    task_queue = scenarios.unique("tq-wft-timeout")
    workflow_id = scenarios.unique("wft-timeout")
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        await stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace=ns,
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="Raw"),
                task_queue=TaskQueue(name=task_queue),
                request_id=str(uuid.uuid4()),
                workflow_task_timeout=duration_pb2.Duration(seconds=1),
            )
        )
        poll = wsv1.PollWorkflowTaskQueueRequest(namespace=ns, task_queue=TaskQueue(name=task_queue), identity="raw")
        abandoned = await stub.PollWorkflowTaskQueue(poll, timeout=10)
        retried = await stub.PollWorkflowTaskQueue(poll, timeout=20)
        complete = Command(
            command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            complete_workflow_execution_command_attributes=CompleteWorkflowExecutionCommandAttributes(),
        )
        # The abandoned task's token is stale now.
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.RespondWorkflowTaskCompleted(
                wsv1.RespondWorkflowTaskCompletedRequest(
                    namespace=ns, task_token=abandoned.task_token, identity="raw", commands=[complete]
                )
            )
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        await stub.RespondWorkflowTaskCompleted(
            wsv1.RespondWorkflowTaskCompletedRequest(
                namespace=ns, task_token=retried.task_token, identity="raw", commands=[complete]
            )
        )
        history = await stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(namespace=ns, execution=WorkflowExecution(workflow_id=workflow_id))
        )
    return scenarios.summarize(history.history.events), retried.attempt, retried.history.events[0].event_id


async def test_workflow_task_timeout(tempo_address: str, real_address: str) -> None:
    (ours, ours_attempt, ours_first), (real, real_attempt, real_first) = await asyncio.gather(
        _workflow_task_timeout(tempo_address), _workflow_task_timeout(real_address)
    )
    assert (ours_attempt, ours_first) == (real_attempt, real_first) == (2, 1)
    assert ours == real, _diff([ours], [real])
    assert ("WORKFLOW_TASK_TIMED_OUT", 1) in real  # START_TO_CLOSE


LIST_QUERIES = [
    "ExecutionStatus = 'Running'",
    "ExecutionStatus IN ('Completed', 'Terminated')",
    "ExecutionStatus != 'Running'",
    "(WorkflowType = 'ListProbeWorkflow' OR WorkflowType = 'WaitForeverWorkflow') AND ExecutionStatus = 'Running'",
    "CloseTime IS NULL",
    "CloseTime IS NOT NULL",
    "WorkflowType != 'ListProbeWorkflow'",
    "TaskQueue = '{tq}'",
    "HistoryLength > 3",
    "WorkflowId = '{p}-c' OR WorkflowId = '{p}-d'",
    "WorkflowId IN ('{p}-a', '{p}-b')",
    "ExecutionStatus = 'Completed' ORDER BY StartTime ASC",  # unsupported by both: INVALID_ARGUMENT
]


async def _list_queries(address: str) -> dict[str, Any]:
    from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
    from temporalio.service import RPCError

    from tests.devserver.scenarios import ListProbeWorkflow, WaitForeverWorkflow

    client = await scenarios.client_for(address)
    prefix = scenarios.unique("lq")
    task_queue = scenarios.unique("tq-lq")
    async with scenarios.worker(client, task_queue):
        handles = {}
        for name, wf in [
            ("a", ListProbeWorkflow),
            ("b", ListProbeWorkflow),
            ("c", WaitForeverWorkflow),
            ("d", WaitForeverWorkflow),
        ]:
            handles[name] = await client.start_workflow(wf.run, "", id=f"{prefix}-{name}", task_queue=task_queue)
            await asyncio.sleep(0.01)  # distinct start times
        await handles["b"].signal(ListProbeWorkflow.finish)
        await handles["b"].result()
        await handles["d"].terminate()
    scope = f"WorkflowId STARTS_WITH '{prefix}'"

    async def settled() -> bool:  # visibility may lag on the real server
        count = await client.count_workflows(f"{scope} AND CloseTime IS NOT NULL")
        return count.count == 2

    await scenarios.wait_until(settled, what="visibility caught up")
    out: dict[str, Any] = {}
    for query in LIST_QUERIES:
        full = f"{scope} AND " + query.format(p=prefix, tq=task_queue)
        try:
            response = await client.workflow_service.list_workflow_executions(
                wsv1.ListWorkflowExecutionsRequest(namespace="default", query=full)
            )
            out[query] = [e.execution.workflow_id.rsplit("-", 1)[1] for e in response.executions]
        except RPCError as err:
            out[query] = f"error {err.status}"
    counted = await client.workflow_service.count_workflow_executions(
        wsv1.CountWorkflowExecutionsRequest(namespace="default", query=f"{scope} GROUP BY ExecutionStatus")
    )
    out["GROUP BY ExecutionStatus"] = (
        counted.count,
        sorted((g.count, g.group_values[0].data) for g in counted.groups),
    )
    for name in ("a", "c"):
        await handles[name].terminate()
    return out


async def test_list_filters_match_real_server(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_list_queries(tempo_address), _list_queries(real_address))
    differences = {q: (ours[q], real[q]) for q in ours if ours[q] != real[q]}
    assert not differences, differences
    assert real["ExecutionStatus = 'Running'"] == ["c", "a"]  # newest first
