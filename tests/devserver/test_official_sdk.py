"""The official `temporalio` SDK (client and worker) against our server and the real one.

Every test runs twice through the `server_address` fixture. Scenario drivers live in
`tests/devserver/scenarios/`; their outcomes are shared with test_differential.py.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.protobuf import duration_pb2
from temporalio.api.command.v1 import Command, ScheduleActivityTaskCommandAttributes
from temporalio.api.common.v1 import ActivityType, WorkflowType
from temporalio.api.enums.v1 import CommandType, EventType, PendingActivityState, TaskQueueKind
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import WorkflowAlreadyStartedError

from tests.devserver import scenarios
from tests.devserver.scenarios import (
    ApprovalWorkflow,
    CollectSignalsWorkflow,
    ListProbeWorkflow,
    SignalCounterWorkflow,
    StuckActivityWorkflow,
    WaitForeverWorkflow,
    unique,
    wait_until,
    worker,
)

ET = EventType


@pytest.fixture
async def client(server_address: str) -> Client:
    return await scenarios.client_for(server_address)


def types(history: list[Any]) -> list[str]:
    return [scenarios.name(e.event_type) for e in history]


# ---- scenario-based ---------------------------------------------------------------------


async def test_order_workflow_retries_signal_query_and_timeout(server_address: str) -> None:
    out = await scenarios.outcome("order", server_address)
    assert out.result == {
        "status_while_waiting": "awaiting approval",
        "order": "order-1",
        "reserved": "reserved order-1",
        "charged": "charged 42 on attempt 3",
        "approved_by": "alice",
        "shipped_in_time": False,
    }
    history = out.histories[0]
    started = [
        e.activity_task_started_event_attributes for e in history if e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert [a.attempt for a in started] == [1, 3]
    assert started[1].last_failure.message == "card declined (attempt 2)"
    assert ET.EVENT_TYPE_ACTIVITY_TASK_FAILED not in [e.event_type for e in history]
    kinds = types(history)
    assert kinds.count("WORKFLOW_EXECUTION_SIGNALED") == 1
    assert kinds.count("TIMER_STARTED") == 2  # approval wait (cancelled) + shipment wait (fires)
    assert "TIMER_CANCELED" in kinds and "TIMER_FIRED" in kinds
    assert kinds[-1] == "WORKFLOW_EXECUTION_COMPLETED"


async def test_worker_restart_replays_and_query_after_close(server_address: str) -> None:
    out = await scenarios.outcome("worker_restart", server_address)
    assert out.result == {"result": ["reserved lamp", "bob"], "query_after_close": ["bob"]}
    assert types(out.histories[0])[-1] == "WORKFLOW_EXECUTION_COMPLETED"


async def test_timer_fires(server_address: str) -> None:
    out = await scenarios.outcome("timer", server_address)
    assert out.result == "woke up"
    kinds = types(out.histories[0])
    assert kinds.index("TIMER_STARTED") < kinds.index("TIMER_FIRED")


async def test_terminate(server_address: str) -> None:
    out = await scenarios.outcome("terminate", server_address)
    assert out.result == "TerminatedError"
    last = out.histories[0][-1]
    assert last.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
    assert last.workflow_execution_terminated_event_attributes.reason == "enough"


async def test_cancel(server_address: str) -> None:
    out = await scenarios.outcome("cancel", server_address)
    assert out.result == "CancelledError"
    kinds = types(out.histories[0])
    assert "WORKFLOW_EXECUTION_CANCEL_REQUESTED" in kinds
    assert kinds[-1] == "WORKFLOW_EXECUTION_CANCELED"


async def test_continue_as_new_result_follows_chain(server_address: str) -> None:
    out = await scenarios.outcome("continue_as_new", server_address)
    assert len(out.histories) == 3
    last_run = out.histories[-1]
    first_started = out.histories[0][0].workflow_execution_started_event_attributes
    assert types(out.histories[0])[-1] == "WORKFLOW_EXECUTION_CONTINUED_AS_NEW"
    assert types(last_run)[-1] == "WORKFLOW_EXECUTION_COMPLETED"
    # The result was produced by the last run, which result() reached by following the chain.
    second = out.histories[1][0].workflow_execution_started_event_attributes
    assert second.continued_execution_run_id == first_started.original_execution_run_id  # continues the first run
    assert second.first_execution_run_id == first_started.original_execution_run_id
    third_run_id = out.histories[1][-1].workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    assert out.result == f"done after run {third_run_id}"


async def test_heartbeat_timeout_then_retry(server_address: str) -> None:
    out = await scenarios.outcome("heartbeat_timeout", server_address)
    assert out.result.startswith("ok on attempt 2")
    started = [
        e.activity_task_started_event_attributes
        for e in out.histories[0]
        if e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert [a.attempt for a in started] == [2]
    assert scenarios.failure_gist(started[0].last_failure) == "timeout:4"  # TIMEOUT_TYPE_HEARTBEAT


async def test_workflow_task_failure_then_success(server_address: str) -> None:
    out = await scenarios.outcome("workflow_task_failure", server_address)
    assert out.result == "fixed"
    history = out.histories[0]
    failed = [e for e in history if e.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    assert len(failed) == 1
    assert failed[0].workflow_task_failed_event_attributes.failure.message == "workflow bug: not fixed yet"
    assert types(history)[-2:] == ["WORKFLOW_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED"]


async def test_heartbeat_details_reach_the_retry(server_address: str) -> None:
    out = await scenarios.outcome("heartbeat_timeout", server_address)
    assert out.result == "ok on attempt 2 after ['progress-1']"


async def test_non_retryable_activity_failure_fails_workflow(server_address: str) -> None:
    out = await scenarios.outcome("workflow_failure", server_address)
    assert out.result == "ApplicationError: OrderFailed: order failed: Declined: card stolen"
    summary = out.summary()[0]
    assert ("ACTIVITY_TASK_FAILED", "card stolen", 2) in summary  # RETRY_STATE_NON_RETRYABLE_FAILURE
    assert summary[-1][0] == "WORKFLOW_EXECUTION_FAILED"


async def test_activity_start_to_close_timeout(server_address: str) -> None:
    out = await scenarios.outcome("activity_timeout", server_address)
    assert out.result == "gave up: TimeoutError"
    # TIMEOUT_TYPE_START_TO_CLOSE, RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
    assert ("ACTIVITY_TASK_TIMED_OUT", "timeout:1", 4) in out.summary()[0]


async def test_activity_cancellation(server_address: str) -> None:
    out = await scenarios.outcome("cancel_activity", server_address)
    assert out.result == "activity CancelledError"
    kinds = types(out.histories[0])
    assert kinds.index("ACTIVITY_TASK_CANCEL_REQUESTED") < kinds.index("ACTIVITY_TASK_CANCELED")


async def test_local_activity_marker(server_address: str) -> None:
    out = await scenarios.outcome("local_activity", server_address)
    assert out.result == "reserved pen"
    assert ("MARKER_RECORDED", "core_local_activity") in out.summary()[0]


async def test_workflow_retry_policy(server_address: str) -> None:
    out = await scenarios.outcome("workflow_retry", server_address)
    assert out.result == "succeeded on attempt 2"
    assert len(out.histories) == 2
    assert out.histories[1][0].workflow_execution_started_event_attributes.attempt == 2


async def test_run_timeout(server_address: str) -> None:
    out = await scenarios.outcome("run_timeout", server_address)
    assert out.result.startswith("TimeoutError")
    assert types(out.histories[0])[-1] == "WORKFLOW_EXECUTION_TIMED_OUT"


async def test_signal_during_closing_task_is_not_lost(server_address: str) -> None:
    """The completion races a signal: the server rejects it (UnhandledCommand) and retries."""
    out = await scenarios.outcome("signal_during_closing_task", server_address)
    assert out.result == ["carol"]
    failed = [e for e in out.histories[0] if e.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    assert [f.workflow_task_failed_event_attributes.failure.message for f in failed] == ["UnhandledCommand"]


async def test_signal_during_task_is_buffered(server_address: str) -> None:
    out = await scenarios.outcome("signal_during_task", server_address)
    assert out.result == ["carol"]
    kinds = types(out.histories[0])
    # Buffered: written after the task's completion and its commands, never in between.
    assert kinds[3:6] == ["WORKFLOW_TASK_COMPLETED", "TIMER_STARTED", "WORKFLOW_EXECUTION_SIGNALED"]


async def test_activity_schedule_timeouts(server_address: str) -> None:
    out = await scenarios.outcome("activity_timeouts", server_address)
    assert out.result == ["TimeoutError:2", "ApplicationError:RuntimeError"]
    summary = out.summary()[0]
    assert ("ACTIVITY_TASK_TIMED_OUT", "timeout:2", 3) in summary  # SCHEDULE_TO_START, RETRY_STATE_TIMEOUT
    assert ("ACTIVITY_TASK_FAILED", "keeps failing", 3) in summary  # no time left to retry: RETRY_STATE_TIMEOUT


async def test_heartbeat_timeout_retries_exhausted(server_address: str) -> None:
    out = await scenarios.outcome("heartbeat_give_up", server_address)
    assert out.result == "TimeoutError 4 ['progress-1']"  # TIMEOUT_TYPE_HEARTBEAT, last heartbeat details
    assert ("ACTIVITY_TASK_TIMED_OUT", "timeout:4", 4) in out.summary()[0]  # MAXIMUM_ATTEMPTS_REACHED


async def test_local_activity_retries(server_address: str) -> None:
    out = await scenarios.outcome("local_retry", server_address)
    assert out.result == "charged 7 on attempt 3"
    assert ("MARKER_RECORDED", "core_local_activity") in out.summary()[0]


async def test_start_delay(server_address: str) -> None:
    out = await scenarios.outcome("start_delay", server_address)
    assert out.result == "woke up"
    started = out.histories[0][0].workflow_execution_started_event_attributes
    assert started.first_workflow_task_backoff.ToTimedelta() == timedelta(seconds=1)
    scheduled = out.histories[0][1]
    assert (scheduled.event_time.ToDatetime() - out.histories[0][0].event_time.ToDatetime()) >= timedelta(seconds=0.9)


# ---- visibility -------------------------------------------------------------------------


async def test_list_and_count_filters(client: Client) -> None:
    t0 = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    task_queue = unique("tq-list")
    ids = [unique(f"list{i}") for i in range(3)]
    handles = []
    for workflow_id in ids:
        handles.append(await client.start_workflow(ListProbeWorkflow.run, "", id=workflow_id, task_queue=task_queue))
        await asyncio.sleep(0.01)  # distinct start times
    base = f"WorkflowType = 'ListProbeWorkflow' AND StartTime > '{t0}' AND TaskQueue = '{task_queue}'"

    async def listed(query: str) -> list[str]:
        return [w.id async for w in client.list_workflows(query) if w.id in ids]

    # Visibility may lag on the real server: poll.
    assert await wait_until(lambda: _eq(listed(base), list(reversed(ids))), what="list newest first")
    assert (await client.count_workflows(base)).count == 3

    # Page through with page_size=2 over the raw API.
    pages: list[list[str]] = []
    token = b""
    while True:
        response = await client.workflow_service.list_workflow_executions(
            wsv1.ListWorkflowExecutionsRequest(namespace="default", query=base, page_size=2, next_page_token=token)
        )
        pages.append([e.execution.workflow_id for e in response.executions])
        token = response.next_page_token
        if not token:
            break
    assert len(pages[0]) == 2
    assert [i for page in pages for i in page] == list(reversed(ids))

    # Finish one: status filters change.
    async with worker(client, task_queue):
        await handles[0].signal(ListProbeWorkflow.finish)
        assert await handles[0].result() == "finished"
    running = f"{base} AND ExecutionStatus = 'Running'"
    assert await wait_until(lambda: _eq(listed(running), [ids[2], ids[1]]), what="running filter")
    assert (await client.count_workflows(running)).count == 2
    assert (await client.count_workflows(f"{base} AND ExecutionStatus = 'Completed'")).count == 1
    by_id = f"WorkflowId = '{ids[1]}' AND ExecutionStatus = 'Running'"
    assert [w.id async for w in client.list_workflows(by_id)] == [ids[1]]
    [only] = [w async for w in client.list_workflows(f"WorkflowId = '{ids[0]}'")]
    assert only.status == WorkflowExecutionStatus.COMPLETED
    for handle in handles[1:]:
        await handle.terminate()


async def _eq(coro: Any, expected: Any) -> bool:
    return bool(await coro == expected)


# ---- starting -----------------------------------------------------------------------------


async def test_start_same_id_twice(client: Client) -> None:
    task_queue = unique("tq-dup")
    workflow_id = unique("dup")
    first = await client.start_workflow(WaitForeverWorkflow.run, "", id=workflow_id, task_queue=task_queue)
    with pytest.raises(WorkflowAlreadyStartedError) as info:
        await client.start_workflow(WaitForeverWorkflow.run, "", id=workflow_id, task_queue=task_queue)
    assert info.value.run_id == first.result_run_id

    # Same request id: the same run, no error.
    request = wsv1.StartWorkflowExecutionRequest(
        namespace="default",
        workflow_id=unique("dup-req"),
        workflow_type=WorkflowType(name="WaitForeverWorkflow"),
        task_queue=TaskQueue(name=task_queue),
        request_id=str(uuid.uuid4()),
    )
    a = await client.workflow_service.start_workflow_execution(request)
    b = await client.workflow_service.start_workflow_execution(request)
    assert a.run_id and a.run_id == b.run_id
    await first.terminate()
    await client.get_workflow_handle(request.workflow_id).terminate()


async def test_signal_with_start(client: Client) -> None:
    task_queue = unique("tq-sws")
    workflow_id = unique("sws")
    h1 = await client.start_workflow(
        CollectSignalsWorkflow.run, id=workflow_id, task_queue=task_queue, start_signal="add", start_signal_args=["a"]
    )
    h2 = await client.start_workflow(
        CollectSignalsWorkflow.run, id=workflow_id, task_queue=task_queue, start_signal="add", start_signal_args=["b"]
    )
    assert h1.result_run_id == h2.result_run_id  # the running workflow was signalled, not restarted
    async with worker(client, task_queue):
        await h1.signal(CollectSignalsWorkflow.close)
        assert await h1.result() == ["a", "b"]
    history = await scenarios.events(h1)
    signals = [
        e.workflow_execution_signaled_event_attributes.signal_name
        for e in history
        if e.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    assert signals == ["add", "add", "close"]
    assert history[1].event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED  # first signal right after start


# ---- describe and history -------------------------------------------------------------------


async def test_describe_pending_activity_attempt_and_last_failure(client: Client) -> None:
    task_queue = unique("tq-stuck")
    async with worker(client, task_queue):
        handle = await client.start_workflow(StuckActivityWorkflow.run, id=unique("stuck"), task_queue=task_queue)

        async def pending() -> Any:
            description = await handle.describe()
            acts = description.raw_description.pending_activities
            return acts[0] if acts and acts[0].attempt >= 2 else None

        activity = await wait_until(pending, what="pending activity at attempt 2")
    assert activity.activity_type.name == "always_fails"
    assert activity.attempt == 2
    assert activity.last_failure.message == "card declined"
    assert activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
    assert activity.HasField("next_attempt_schedule_time")
    await handle.terminate()


async def test_history_paging_600_signals(client: Client) -> None:
    task_queue = unique("tq-paging")
    handle = await client.start_workflow(SignalCounterWorkflow.run, 600, id=unique("paging"), task_queue=task_queue)
    sem = asyncio.Semaphore(32)

    async def tick() -> None:
        async with sem:
            await handle.signal(SignalCounterWorkflow.tick)

    await asyncio.gather(*(tick() for _ in range(600)))
    # Raw paging: several pages with opaque tokens, 602 dense events in all.
    pages = []
    token = b""
    while True:
        response = await client.workflow_service.get_workflow_execution_history(
            wsv1.GetWorkflowExecutionHistoryRequest(
                namespace="default", execution={"workflow_id": handle.id}, next_page_token=token
            )
        )
        pages.append(list(response.history.events))
        token = response.next_page_token
        if not token:
            break
    all_events = [e for page in pages for e in page]
    assert len(pages) >= 3
    assert [e.event_id for e in all_events] == list(range(1, 603))
    assert types(all_events).count("WORKFLOW_EXECUTION_SIGNALED") == 600
    # The worker's first task has 603 events: it must page through them too.
    async with worker(client, task_queue):
        assert await handle.result() == 600
        history = await scenarios.events(handle)
        assert len(history) == 605 and scenarios.event_ids_are_dense(history)
    # A fresh worker answers a query on the closed run: its query task pages through 605 events.
    async with worker(client, task_queue):
        assert await handle.query(SignalCounterWorkflow.count) == 600


async def test_eager_activity_dispatch(client: Client) -> None:
    """RespondWorkflowTaskCompleted hands back the activity task it asked for eagerly."""
    svc = client.workflow_service
    task_queue = unique("tq-eager")
    workflow_id = unique("eager")
    await svc.start_workflow_execution(
        wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=workflow_id,
            workflow_type=WorkflowType(name="RawWorkflow"),
            task_queue=TaskQueue(name=task_queue),
            request_id=str(uuid.uuid4()),
        )
    )
    task = await svc.poll_workflow_task_queue(
        wsv1.PollWorkflowTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=task_queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
            identity="eager-test",
        ),
        timeout=timedelta(seconds=10),
    )
    assert task.task_token
    command = Command(
        command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task_command_attributes=ScheduleActivityTaskCommandAttributes(
            activity_id="1",
            activity_type=ActivityType(name="eager_activity"),
            task_queue=TaskQueue(name=task_queue),
            start_to_close_timeout=duration_pb2.Duration(seconds=10),
            request_eager_execution=True,
        ),
    )
    completed = await svc.respond_workflow_task_completed(
        wsv1.RespondWorkflowTaskCompletedRequest(
            namespace="default", task_token=task.task_token, commands=[command], identity="eager-test"
        )
    )
    assert len(completed.activity_tasks) == 1
    eager = completed.activity_tasks[0]
    assert eager.task_token and eager.activity_type.name == "eager_activity" and eager.attempt == 1
    await svc.respond_activity_task_completed(
        wsv1.RespondActivityTaskCompletedRequest(namespace="default", task_token=eager.task_token, identity="eager")
    )
    handle = client.get_workflow_handle(workflow_id)
    kinds = await wait_until(lambda: _types_if(handle, "WORKFLOW_TASK_SCHEDULED", count=2), what="activity completion")
    assert kinds[4:8] == [
        "ACTIVITY_TASK_SCHEDULED",
        "ACTIVITY_TASK_STARTED",
        "ACTIVITY_TASK_COMPLETED",
        "WORKFLOW_TASK_SCHEDULED",
    ]
    await handle.terminate()


async def _types_if(handle: Any, kind: str, count: int) -> list[str] | None:
    kinds = types(await scenarios.events(handle))
    return kinds if kinds.count(kind) >= count else None


async def test_query_while_waiting_and_signal(client: Client) -> None:
    """A query answered by a worker while the workflow waits; then a signal completes it."""
    task_queue = unique("tq-query")
    async with worker(client, task_queue):
        handle = await client.start_workflow(ApprovalWorkflow.run, "desk", id=unique("q"), task_queue=task_queue)
        await scenarios.wait_for_event(handle, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
        assert await handle.query(ApprovalWorkflow.approvals_so_far) == []
        await handle.signal(ApprovalWorkflow.approve, "dora")
        assert await handle.result() == ["reserved desk", "dora"]


async def test_activity_retries_exhausted(server_address: str) -> None:
    out = await scenarios.outcome("exhaust_retries", server_address)
    assert out.result == "gave up after 4"  # RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
    assert ("ACTIVITY_TASK_FAILED", "still declined", 4) in out.summary()[0]


async def test_query_during_running_task(server_address: str) -> None:
    out = await scenarios.outcome("query_during_task", server_address)
    assert out.result == {"query": [], "result": ["dave"]}


async def test_sticky_worker_shutdown_moves_task_to_normal_queue(server_address: str) -> None:
    out = await scenarios.outcome("sticky_worker_shutdown", server_address)
    assert out.result == {"result": ["reserved vase", "erin"], "fast": True}
    assert "WORKFLOW_TASK_TIMED_OUT" not in types(out.histories[0])


async def test_describe_completed_workflow(server_address: str) -> None:
    out = await scenarios.outcome("order", server_address)
    client = await scenarios.client_for(server_address)
    description = await client.get_workflow_handle(out.workflow_id).describe()
    assert description.status == WorkflowExecutionStatus.COMPLETED
    assert description.workflow_type == "OrderWorkflow"
    assert description.history_length == len(out.histories[0])
    assert description.close_time is not None and description.close_time >= description.start_time
    assert description.task_queue.startswith("tq-order")
    raw = description.raw_description
    assert not raw.pending_activities
    assert raw.workflow_execution_info.execution.run_id == description.run_id


# ---- queries: failures ----------------------------------------------------------------------


async def test_query_failures(client: Client) -> None:
    from temporalio.client import WorkflowQueryFailedError, WorkflowQueryRejectedError
    from temporalio.common import QueryRejectCondition

    task_queue = unique("tq-qfail")
    async with worker(client, task_queue):
        handle = await client.start_workflow(ApprovalWorkflow.run, "mug", id=unique("qfail"), task_queue=task_queue)
        await scenarios.wait_for_event(handle, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
        with pytest.raises(WorkflowQueryFailedError, match="no_such_query"):
            await handle.query("no_such_query")
        with pytest.raises(WorkflowQueryFailedError, match="query handler exploded"):
            await handle.query(ApprovalWorkflow.explode)
        # Open: NOT_OPEN does not reject.
        assert (
            await handle.query(ApprovalWorkflow.approvals_so_far, reject_condition=QueryRejectCondition.NOT_OPEN) == []
        )
        await handle.signal(ApprovalWorkflow.approve, "fred")
        await handle.result()
        with pytest.raises(WorkflowQueryRejectedError) as info:
            await handle.query(ApprovalWorkflow.approvals_so_far, reject_condition=QueryRejectCondition.NOT_OPEN)
        assert info.value.status == WorkflowExecutionStatus.COMPLETED
        # The workflow still answers ordinary queries after close.
        assert await handle.query(ApprovalWorkflow.approvals_so_far) == ["fred"]


async def test_query_closed_before_first_task(client: Client) -> None:
    from temporalio.service import RPCError, RPCStatusCode

    handle = await client.start_workflow(
        ApprovalWorkflow.run, "cup", id=unique("notready"), task_queue=unique("tq-noworker")
    )
    await handle.terminate()
    with pytest.raises(RPCError) as info:
        await handle.query(ApprovalWorkflow.approvals_so_far, rpc_timeout=timedelta(seconds=5))
    assert info.value.status == RPCStatusCode.FAILED_PRECONDITION


# ---- id reuse and conflict policies -----------------------------------------------------------


async def test_id_reuse_and_conflict_policies(client: Client) -> None:
    from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

    task_queue = unique("tq-reuse")
    workflow_id = unique("reuse")
    async with worker(client, task_queue):
        first = await client.start_workflow(WaitForeverWorkflow.run, "", id=workflow_id, task_queue=task_queue)
        # Running: USE_EXISTING hands back the running run.
        same = await client.start_workflow(
            WaitForeverWorkflow.run,
            "",
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        assert same.result_run_id == first.result_run_id
        # Running: TERMINATE_EXISTING replaces it.
        second = await client.start_workflow(
            WaitForeverWorkflow.run,
            "",
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        )
        assert second.result_run_id != first.result_run_id
        first_run = client.get_workflow_handle(workflow_id, run_id=first.result_run_id)
        assert (await first_run.describe()).status == WorkflowExecutionStatus.TERMINATED
        await second.signal(WaitForeverWorkflow.finish)
        assert await second.result() == "finished"
        # Closed (completed): REJECT_DUPLICATE and ALLOW_DUPLICATE_FAILED_ONLY refuse, ALLOW_DUPLICATE starts.
        for policy in (WorkflowIDReusePolicy.REJECT_DUPLICATE, WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY):
            with pytest.raises(WorkflowAlreadyStartedError):
                await client.start_workflow(
                    WaitForeverWorkflow.run, "", id=workflow_id, task_queue=task_queue, id_reuse_policy=policy
                )
        third = await client.start_workflow(
            WaitForeverWorkflow.run,
            "",
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        assert third.result_run_id not in (first.result_run_id, second.result_run_id)
        await third.terminate()
        # Closed (terminated): ALLOW_DUPLICATE_FAILED_ONLY now allows it.
        fourth = await client.start_workflow(
            WaitForeverWorkflow.run,
            "",
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        )
        await fourth.terminate()


async def test_signal_with_start_after_close_starts_new_run(client: Client) -> None:
    task_queue = unique("tq-sws2")
    workflow_id = unique("sws2")
    async with worker(client, task_queue):
        h1 = await client.start_workflow(
            CollectSignalsWorkflow.run, id=workflow_id, task_queue=task_queue, start_signal="close"
        )
        assert await h1.result() == []
        h2 = await client.start_workflow(
            CollectSignalsWorkflow.run,
            id=workflow_id,
            task_queue=task_queue,
            start_signal="add",
            start_signal_args=["z"],
        )
        assert h2.result_run_id != h1.result_run_id
        await h2.signal(CollectSignalsWorkflow.close)
        assert await h2.result() == ["z"]


# ---- load ----------------------------------------------------------------------------------


async def test_many_workflows_concurrently(client: Client) -> None:
    task_queue = unique("tq-many")
    n = 25
    async with worker(client, task_queue):
        handles = await asyncio.gather(
            *(
                client.start_workflow(ApprovalWorkflow.run, f"item{i}", id=unique(f"many{i}"), task_queue=task_queue)
                for i in range(n)
            )
        )
        await asyncio.gather(*(scenarios.wait_for_event(h, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) for h in handles))
        await asyncio.gather(*(h.signal(ApprovalWorkflow.approve, f"who{i}") for i, h in enumerate(handles)))
        results = await asyncio.gather(*(h.result() for h in handles))
    assert results == [[f"reserved item{i}", f"who{i}"] for i in range(n)]


# ---- search attributes, updates, child workflows ---------------------------------------------


async def test_search_attributes_upsert_and_filter(client: Client) -> None:
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
    from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
    from temporalio.service import RPCError, RPCStatusCode

    from tests.devserver.scenarios import SearchAttributesWorkflow

    key = SearchAttributeKey.for_keyword("TempoTier")
    try:  # the real server needs it registered; ours accepts any (BUG-T10)
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace="default",
                search_attributes={"TempoTier": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
            )
        )
    except RPCError as err:
        if err.status not in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.ALREADY_EXISTS):
            raise
    task_queue = unique("tq-sa")
    async with worker(client, task_queue):
        handle = await client.start_workflow(
            SearchAttributesWorkflow.run,
            id=unique("sa"),
            task_queue=task_queue,
            search_attributes=TypedSearchAttributes([SearchAttributePair(key, "gold")]),
        )

        async def found(value: str) -> bool:
            query = f"TempoTier = '{value}' AND WorkflowId = '{handle.id}'"
            return [w.id async for w in client.list_workflows(query)] == [handle.id]

        assert await wait_until(lambda: found("platinum"), what="upserted search attribute")
        assert not await found("gold")
        description = await handle.describe()
        assert description.typed_search_attributes.get(key) == "platinum"
        await handle.signal(SearchAttributesWorkflow.finish)
        assert await handle.result() == "ok"


async def test_workflow_update(client: Client) -> None:
    from temporalio.client import WorkflowUpdateFailedError

    from tests.devserver.scenarios import CounterWorkflow

    task_queue = unique("tq-update")
    async with worker(client, task_queue):
        handle = await client.start_workflow(CounterWorkflow.run, id=unique("update"), task_queue=task_queue)
        assert await handle.execute_update(CounterWorkflow.add, 5) == 5
        assert await handle.execute_update(CounterWorkflow.add, 2) == 7
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(CounterWorkflow.add, -1)
        await handle.signal(CounterWorkflow.finish)
        assert await handle.result() == 7
    kinds = types(await scenarios.events(handle))
    assert kinds.count("WORKFLOW_EXECUTION_UPDATE_ACCEPTED") == 2
    assert kinds.count("WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 2


async def test_child_workflow(client: Client) -> None:
    from tests.devserver.scenarios import ParentWorkflow

    task_queue = unique("tq-child")
    async with worker(client, task_queue):
        handle = await client.start_workflow(ParentWorkflow.run, id=unique("parent"), task_queue=task_queue)

        async def finished_or_stuck() -> str | None:
            kinds = types(await scenarios.events(handle))
            if "WORKFLOW_EXECUTION_COMPLETED" in kinds:
                return "completed"
            return "workflow task failed" if "WORKFLOW_TASK_FAILED" in kinds else None

        assert await wait_until(finished_or_stuck, timeout=15, what="parent done") == "completed"
        assert await handle.result() == "child said woke up"
    kinds = types(await scenarios.events(handle))
    assert "START_CHILD_WORKFLOW_EXECUTION_INITIATED" in kinds
    assert "CHILD_WORKFLOW_EXECUTION_COMPLETED" in kinds
    # The child knows its parent (and root), and the parent's describe no longer lists it.
    child = client.get_workflow_handle(handle.id + "-child")
    started = (await scenarios.events(child))[0].workflow_execution_started_event_attributes
    assert started.parent_workflow_execution.workflow_id == handle.id
    assert started.root_workflow_execution.workflow_id == handle.id
    assert started.parent_initiated_event_id == kinds.index("START_CHILD_WORKFLOW_EXECUTION_INITIATED") + 1
    description = await child.describe()
    assert description.parent_id == handle.id
    assert not (await handle.describe()).raw_description.pending_children


# ---- more client features ------------------------------------------------------------------


async def test_memo_and_upsert_memo(client: Client) -> None:
    from tests.devserver.scenarios import MemoWorkflow

    task_queue = unique("tq-memo")
    async with worker(client, task_queue):
        handle = await client.start_workflow(
            MemoWorkflow.run, id=unique("memo"), task_queue=task_queue, memo={"owner": "hana", "stage": "new"}
        )

        async def memo_upserted() -> dict[str, Any] | None:
            memo = await (await handle.describe()).memo()
            return memo if memo.get("stage") == "upserted" else None

        memo = await wait_until(memo_upserted, what="memo upserted")
        assert memo == {"owner": "hana", "stage": "upserted"}
        await handle.signal(MemoWorkflow.finish)
        await handle.result()


async def test_describe_pending_activity_heartbeat_details(client: Client) -> None:
    from tests.devserver.scenarios import HeartbeatDetailsWorkflow

    task_queue = unique("tq-hbdetails")
    async with worker(client, task_queue):
        handle = await client.start_workflow(HeartbeatDetailsWorkflow.run, id=unique("hbd"), task_queue=task_queue)

        async def heartbeat_seen() -> Any:
            acts = (await handle.describe()).raw_description.pending_activities
            return acts[0] if acts and acts[0].heartbeat_details.payloads else None

        activity = await wait_until(heartbeat_seen, what="heartbeat details in describe")
        assert activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        assert activity.heartbeat_details.payloads[0].data == b'"step-3"'
        assert activity.HasField("last_heartbeat_time") and activity.HasField("last_started_time")
        assert activity.attempt == 1
        await handle.terminate()


async def test_signal_without_run_id_goes_to_latest_run(client: Client) -> None:
    """A handle without a run id signals the latest run of the workflow id."""
    task_queue = unique("tq-can-signal")
    handle = await client.start_workflow(SignalCounterWorkflow.run, 1, id=unique("can-sig"), task_queue=task_queue)
    first_run = handle.result_run_id
    await handle.terminate()
    second = await client.start_workflow(SignalCounterWorkflow.run, 1, id=handle.id, task_queue=task_queue)
    latest = client.get_workflow_handle(handle.id)
    await latest.signal(SignalCounterWorkflow.tick)
    async with worker(client, task_queue):
        assert await second.result() == 1
    assert second.result_run_id != first_run


async def test_history_long_poll_streams_until_close(client: Client) -> None:
    """fetch_history_events(wait_new_event=True) streams the events as they happen."""
    from tests.devserver.scenarios import TimerWorkflow

    task_queue = unique("tq-stream")
    async with worker(client, task_queue):
        handle = await client.start_workflow(TimerWorkflow.run, 1.0, id=unique("stream"), task_queue=task_queue)
        streamed = [e async for e in handle.fetch_history_events(wait_new_event=True)]
    full = await scenarios.events(handle)
    assert [e.event_id for e in streamed] == [e.event_id for e in full]
    assert streamed[-1].event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED


async def test_history_reverse(client: Client, server_address: str) -> None:
    out = await scenarios.outcome("timer", server_address)
    response = await client.workflow_service.get_workflow_execution_history_reverse(
        wsv1.GetWorkflowExecutionHistoryReverseRequest(namespace="default", execution={"workflow_id": out.workflow_id})
    )
    assert [e.event_id for e in response.history.events] == [e.event_id for e in reversed(out.histories[0])]


async def test_async_activity_completion_by_id_and_token(client: Client) -> None:
    """An activity completed from outside the worker: once by id, once failed by task token."""
    from temporalio.exceptions import ApplicationError

    from tests.devserver.scenarios import AsyncCompletionWorkflow

    task_queue = unique("tq-async")
    async with worker(client, task_queue):
        handle = await client.start_workflow(AsyncCompletionWorkflow.run, id=unique("async"), task_queue=task_queue)

        async def pending_started(activity_id: str) -> Any:
            # Started on the server and running in the worker: the server marks the activity
            # started when it hands the task out, a moment before the activity keeps its token.
            if (handle.id, activity_id) not in scenarios.ASYNC_TOKENS:
                return None
            acts = (await handle.describe()).raw_description.pending_activities
            ok = acts and acts[0].activity_id == activity_id
            return acts[0] if ok and acts[0].state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED else None

        await wait_until(lambda: pending_started("1"), what="activity 1 started")
        by_id = client.get_async_activity_handle(workflow_id=handle.id, run_id=None, activity_id="1")
        await by_id.heartbeat("half way")
        await by_id.complete("done by id")
        await wait_until(lambda: pending_started("2"), what="activity 2 started")
        token = scenarios.ASYNC_TOKENS.pop((handle.id, "2"))
        by_token = client.get_async_activity_handle(task_token=token)
        await by_token.heartbeat("almost")
        await by_token.fail(ApplicationError("rejected by hand", non_retryable=True))
        assert await handle.result() == ["done by id", "failed: rejected by hand"]
        # Completing again: the activity is gone.
        from temporalio.service import RPCError, RPCStatusCode

        with pytest.raises(RPCError) as info:
            await by_id.complete("twice")
        assert info.value.status == RPCStatusCode.NOT_FOUND
        with pytest.raises(RPCError) as info:
            await by_token.complete("twice")
        assert info.value.status == RPCStatusCode.NOT_FOUND


async def test_delete_workflow(client: Client) -> None:
    from temporalio.service import RPCError, RPCStatusCode

    handle = await client.start_workflow(
        WaitForeverWorkflow.run, "", id=unique("delete"), task_queue=unique("tq-delete")
    )
    await client.workflow_service.delete_workflow_execution(
        wsv1.DeleteWorkflowExecutionRequest(namespace="default", workflow_execution={"workflow_id": handle.id})
    )

    async def gone() -> bool:
        try:
            await handle.describe()
        except RPCError as err:
            return err.status == RPCStatusCode.NOT_FOUND
        return False

    assert await wait_until(gone, what="workflow deleted")

    async def unlisted() -> bool:
        return [w.id async for w in client.list_workflows(f"WorkflowId = '{handle.id}'")] == []

    assert await wait_until(unlisted, what="workflow gone from visibility")


async def test_duplicate_signal_and_cancel_requests_are_idempotent(client: Client) -> None:
    """A retried signal (same request id) is recorded once; a second cancel request adds nothing."""
    svc = client.workflow_service
    handle = await client.start_workflow(
        WaitForeverWorkflow.run, "", id=unique("dedupe"), task_queue=unique("tq-dedupe")
    )
    execution = {"workflow_id": handle.id}
    signal = wsv1.SignalWorkflowExecutionRequest(
        namespace="default",
        workflow_execution=execution,
        signal_name="finish",
        identity="test",
        request_id=str(uuid.uuid4()),
    )
    await svc.signal_workflow_execution(signal)
    await svc.signal_workflow_execution(signal)
    for _ in range(2):
        await svc.request_cancel_workflow_execution(
            wsv1.RequestCancelWorkflowExecutionRequest(
                namespace="default", workflow_execution=execution, identity="test", request_id=str(uuid.uuid4())
            )
        )
    kinds = types(await scenarios.events(handle))
    assert kinds.count("WORKFLOW_EXECUTION_SIGNALED") == 1
    assert kinds.count("WORKFLOW_EXECUTION_CANCEL_REQUESTED") == 1
    await handle.terminate()


async def test_workflow_task_failure_fixed_by_the_test(client: Client) -> None:
    """The workflow task keeps failing until the test flips a module-level flag. Failed
    retries (attempt >= 2) are not reported by the SDK, so a 1 s workflow task timeout
    brings the next attempt; only the first failure is written to history."""
    from tests.devserver.scenarios import FIXED, BrokenUntilFixedWorkflow, flaky_worker

    task_queue = unique("tq-broken")
    workflow_id = unique("broken")
    try:
        async with flaky_worker(client, task_queue):
            handle = await client.start_workflow(
                BrokenUntilFixedWorkflow.run, id=workflow_id, task_queue=task_queue, task_timeout=timedelta(seconds=1)
            )
            await wait_until(
                lambda: _types_if(handle, "WORKFLOW_TASK_FAILED", count=1), what="first workflow task failure"
            )
            FIXED[workflow_id] = True
            assert await handle.result() == "fixed by the test"
    finally:
        FIXED.pop(workflow_id, None)
    history = await scenarios.events(handle)
    kinds = types(history)
    assert kinds.count("WORKFLOW_TASK_FAILED") == 1
    failed = next(e for e in history if e.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    assert failed.workflow_task_failed_event_attributes.failure.message == "workflow bug: waiting for the fix"
    assert kinds[-2:] == ["WORKFLOW_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED"]
    assert scenarios.event_ids_are_dense(history)
