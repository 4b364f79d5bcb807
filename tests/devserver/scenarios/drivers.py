"""Scenario drivers and their registry (SCENARIOS).

Every driver takes a connected `Client` and a fresh task queue, runs one scenario to its
end with its own `Worker`, and returns the workflow's histories, so the same driver can run
against our server and against the real one and the histories can be compared (see
`history.summarize`). `outcome` runs each scenario once per server and session.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from temporalio.client import Client, WorkflowHandle

from tests.devserver.scenarios.child_workflows import (
    ChildrenParentWorkflow,
    ExternalSignallerWorkflow,
    PatientChildWorkflow,
    PokeTargetWorkflow,
    SlowToCancelChildWorkflow,
)
from tests.devserver.scenarios.history import Outcome, events, wait_for_event, wait_until
from tests.devserver.scenarios.workers import flaky_worker, unique, worker
from tests.devserver.scenarios.workflows import (
    FLAKY,
    SLOW_FIRST_TASK,
    ActivityTimeoutsWorkflow,
    ActivityTimeoutWorkflow,
    ApprovalWorkflow,
    CancelActivityWorkflow,
    CancelUnstartedActivityWorkflow,
    CleanupOnCancelWorkflow,
    CountdownWorkflow,
    ExhaustRetriesWorkflow,
    FailingOrderWorkflow,
    FlakyWorkflow,
    HeartbeatGiveUpWorkflow,
    HeartbeatWorkflow,
    LocalActivityWorkflow,
    LocalRetryWorkflow,
    OrderWorkflow,
    RetriedWorkflow,
    SlowFirstTaskWorkflow,
    SlowTaskThenTimerWorkflow,
    TimerWorkflow,
    WaitForeverWorkflow,
)

# ---- scenario drivers ---------------------------------------------------------------------

ET = EventType


async def run_order(client: Client, task_queue: str) -> Outcome:
    """Activity retries (attempt 3), a query and a signal while the workflow waits,
    a wait_condition timeout, and the result."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(OrderWorkflow.run, "order-1", id=unique("order"), task_queue=task_queue)
        await wait_for_event(handle, ET.EVENT_TYPE_TIMER_STARTED)
        status = await handle.query(OrderWorkflow.get_status)
        await handle.signal(OrderWorkflow.approve, "alice")
        result = await handle.result()
        return Outcome({"status_while_waiting": status, **result}, [await events(handle)], handle.id)


async def run_timer(client: Client, task_queue: str) -> Outcome:
    async with worker(client, task_queue):
        handle = await client.start_workflow(TimerWorkflow.run, 1.0, id=unique("timer"), task_queue=task_queue)
        result = await handle.result()
        return Outcome(result, [await events(handle)], handle.id)


async def _start_waiting(client: Client, task_queue: str, prefix: str) -> WorkflowHandle[Any, Any]:
    handle = await client.start_workflow(WaitForeverWorkflow.run, "", id=unique(prefix), task_queue=task_queue)
    await wait_for_event(handle, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    return handle


async def run_cancel(client: Client, task_queue: str) -> Outcome:
    from temporalio.client import WorkflowFailureError

    async with worker(client, task_queue):
        handle = await _start_waiting(client, task_queue, "cancel")
        await handle.cancel()
        try:
            result: Any = await handle.result()
        except WorkflowFailureError as err:
            result = type(err.cause).__name__
        return Outcome(result, [await events(handle)], handle.id)


async def run_terminate(client: Client, task_queue: str) -> Outcome:
    from temporalio.client import WorkflowFailureError

    async with worker(client, task_queue):
        handle = await _start_waiting(client, task_queue, "terminate")
        await handle.terminate(reason="enough")
        try:
            result: Any = await handle.result()
        except WorkflowFailureError as err:
            result = type(err.cause).__name__
        return Outcome(result, [await events(handle)], handle.id)


async def run_continue_as_new(client: Client, task_queue: str) -> Outcome:
    async with worker(client, task_queue):
        handle = await client.start_workflow(CountdownWorkflow.run, 2, id=unique("can"), task_queue=task_queue)
        result = await handle.result()
        histories = []
        run_id: str | None = handle.first_execution_run_id
        while run_id:
            history = await events(client.get_workflow_handle(handle.id, run_id=run_id))
            histories.append(history)
            last = history[-1]
            run_id = None
            if last.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        # The result names the last run of the chain.
        return Outcome(result, histories, handle.id)


async def run_heartbeat_timeout(client: Client, task_queue: str) -> Outcome:
    async with worker(client, task_queue):
        handle = await client.start_workflow(HeartbeatWorkflow.run, id=unique("hb"), task_queue=task_queue)
        result = await handle.result()
        return Outcome(result, [await events(handle)], handle.id)


async def run_flaky(client: Client, task_queue: str) -> Outcome:
    """A workflow task that raises once, then succeeds on its retry."""
    workflow_id = unique("flaky")
    FLAKY[workflow_id] = True
    try:
        async with flaky_worker(client, task_queue):
            handle = await client.start_workflow(FlakyWorkflow.run, id=workflow_id, task_queue=task_queue)
            result = await handle.result()
            return Outcome(result, [await events(handle)], handle.id)
    finally:
        FLAKY.pop(workflow_id, None)


async def run_worker_restart(client: Client, task_queue: str) -> Outcome:
    """Worker 1 (no cache) runs the workflow up to a wait; worker 2 (no cache) replays it
    from history, gets the signal and finishes; a fresh worker answers a query after close."""
    async with worker(client, task_queue, max_cached_workflows=0):
        handle = await client.start_workflow(ApprovalWorkflow.run, "lamp", id=unique("restart"), task_queue=task_queue)
        await wait_for_event(handle, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    await handle.signal(ApprovalWorkflow.approve, "bob")
    async with worker(client, task_queue, max_cached_workflows=0):
        result = await handle.result()
    async with worker(client, task_queue):
        after_close = await handle.query(ApprovalWorkflow.approvals_so_far)
    return Outcome({"result": result, "query_after_close": after_close}, [await events(handle)], handle.id)


async def _result_or_error(handle: WorkflowHandle[Any, Any]) -> Any:
    from temporalio.client import WorkflowFailureError

    try:
        return await handle.result()
    except WorkflowFailureError as err:
        return f"{type(err.cause).__name__}: {err.cause}"


async def _run_chain(client: Client, handle: WorkflowHandle[Any, Any]) -> list[list[HistoryEvent]]:
    """Histories of every run from the first one, following continue-as-new and retries."""
    histories = []
    run_id: str | None = handle.first_execution_run_id or handle.result_run_id
    while run_id:
        history = await events(client.get_workflow_handle(handle.id, run_id=run_id))
        histories.append(history)
        last = history[-1]
        run_id = None
        if last.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        elif last.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            run_id = last.workflow_execution_failed_event_attributes.new_execution_run_id or None
        elif last.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
            run_id = last.workflow_execution_timed_out_event_attributes.new_execution_run_id or None
    return histories


async def pollers_ready(client: Client, task_queue: str) -> None:
    """Wait until a worker polls `task_queue` (so timeouts that start with the workflow
    do not race against a slow worker start on a loaded machine)."""
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    async def polled() -> bool:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(namespace=client.namespace, task_queue=TaskQueue(name=task_queue))
        )
        return len(response.pollers) > 0

    await wait_until(polled, what=f"a poller on {task_queue}")


async def _simple(client: Client, task_queue: str, wf: Any, prefix: str, *args: Any, **kwargs: Any) -> Outcome:
    async with worker(client, task_queue):
        await pollers_ready(client, task_queue)
        handle = await client.start_workflow(wf, *args, id=unique(prefix), task_queue=task_queue, **kwargs)
        result = await _result_or_error(handle)
        return Outcome(result, await _run_chain(client, handle), handle.id)


async def run_workflow_failure(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, FailingOrderWorkflow.run, "failing")


async def run_activity_timeout(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, ActivityTimeoutWorkflow.run, "act-timeout")


async def run_cancel_activity(client: Client, task_queue: str) -> Outcome:
    """Cancel a running (started, heartbeating) activity."""
    from temporalio.api.enums.v1 import PendingActivityState

    async with worker(client, task_queue):
        handle = await client.start_workflow(CancelActivityWorkflow.run, id=unique("cancel-act"), task_queue=task_queue)

        async def activity_started() -> bool:
            acts = (await handle.describe()).raw_description.pending_activities
            return bool(acts) and acts[0].state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED

        await wait_until(activity_started, what="activity started")
        await wait_for_event(handle, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        await handle.signal(CancelActivityWorkflow.cancel_it)
        result = await _result_or_error(handle)
        return Outcome(result, [await events(handle)], handle.id)


async def run_local_activity(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, LocalActivityWorkflow.run, "local-act")


async def run_workflow_retry(client: Client, task_queue: str) -> Outcome:
    return await _simple(
        client,
        task_queue,
        RetriedWorkflow.run,
        "wf-retry",
        retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=2),
    )


async def run_run_timeout(client: Client, task_queue: str) -> Outcome:
    # Long enough for the first workflow task to complete first, even on a loaded machine.
    return await _simple(
        client, task_queue, WaitForeverWorkflow.run, "run-timeout", "", run_timeout=timedelta(seconds=3)
    )


async def _slow_task_with_signal(client: Client, task_queue: str, wf: Any, prefix: str) -> Outcome:
    workflow_id = unique(prefix)
    SLOW_FIRST_TASK[workflow_id] = 1.0
    try:
        async with flaky_worker(client, task_queue):
            handle = await client.start_workflow(wf, id=workflow_id, task_queue=task_queue)
            await wait_until(
                lambda: _has(handle, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED), interval=0.02, what="first task started"
            )
            await handle.signal("hello", "carol")
            result = await _result_or_error(handle)
            return Outcome(result, [await events(handle)], handle.id)
    finally:
        SLOW_FIRST_TASK.pop(workflow_id, None)


async def _has(handle: WorkflowHandle[Any, Any], event_type: int) -> bool:
    return any(e.event_type == event_type for e in await events(handle))


async def run_exhaust_retries(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, ExhaustRetriesWorkflow.run, "exhaust")


async def run_cancel_unstarted_activity(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, CancelUnstartedActivityWorkflow.run, "cancel-unstarted")


async def run_cleanup_on_cancel(client: Client, task_queue: str) -> Outcome:
    async with worker(client, task_queue):
        handle = await client.start_workflow(CleanupOnCancelWorkflow.run, id=unique("cleanup"), task_queue=task_queue)
        await wait_for_event(handle, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await handle.cancel()
        result = await _result_or_error(handle)
        return Outcome(result, [await events(handle)], handle.id)


async def run_activity_timeouts(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, ActivityTimeoutsWorkflow.run, "act-timeouts")


async def run_start_delay(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, TimerWorkflow.run, "delayed", 0.1, start_delay=timedelta(seconds=1))


async def run_heartbeat_give_up(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, HeartbeatGiveUpWorkflow.run, "hb-give-up")


async def run_local_retry(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, LocalRetryWorkflow.run, "local-retry")


async def run_query_during_task(client: Client, task_queue: str) -> Outcome:
    """A query that arrives while a workflow task is running is answered after that task
    (consistent query), with the state the task produced."""
    workflow_id = unique("query-during")
    SLOW_FIRST_TASK[workflow_id] = 1.0
    try:
        async with flaky_worker(client, task_queue):
            handle = await client.start_workflow(SlowTaskThenTimerWorkflow.run, id=workflow_id, task_queue=task_queue)
            await wait_until(
                lambda: _has(handle, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED), interval=0.02, what="first task started"
            )
            seen = await handle.query("seen")
            await handle.signal("hello", "dave")
            result = await _result_or_error(handle)
            return Outcome({"query": seen, "result": result}, [await events(handle)], handle.id)
    finally:
        SLOW_FIRST_TASK.pop(workflow_id, None)


async def run_sticky_worker_shutdown(client: Client, task_queue: str) -> Outcome:
    """Worker 1 (sticky cache) runs the workflow to a wait and shuts down (ShutdownWorker
    drops its sticky queue); the next task must go to the normal queue, to worker 2, at
    once: no sticky schedule-to-start timeout in history."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(ApprovalWorkflow.run, "vase", id=unique("sticky"), task_queue=task_queue)
        await wait_for_event(handle, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    async with worker(client, task_queue):
        await handle.signal(ApprovalWorkflow.approve, "erin")
        started = time.monotonic()
        result = await handle.result()
        elapsed = time.monotonic() - started
    return Outcome({"result": result, "fast": elapsed < 5}, [await events(handle)], handle.id)


async def run_signal_during_closing_task(client: Client, task_queue: str) -> Outcome:
    return await _slow_task_with_signal(client, task_queue, SlowFirstTaskWorkflow.run, "unhandled")


async def run_signal_during_task(client: Client, task_queue: str) -> Outcome:
    return await _slow_task_with_signal(client, task_queue, SlowTaskThenTimerWorkflow.run, "buffered")


# ---- child workflows, external signals and cancellations: drivers -------------------------


async def _child_chain(client: Client, parent: list[HistoryEvent]) -> list[list[HistoryEvent]]:
    """Every run of the child the parent started (found through ChildWorkflowExecutionStarted)."""
    for e in parent:
        if e.event_type == ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            child = e.child_workflow_execution_started_event_attributes.workflow_execution
            return await _run_chain(client, client.get_workflow_handle(child.workflow_id, run_id=child.run_id))
    return []


async def _parent_and_child(client: Client, task_queue: str, mode: str, prefix: str) -> Outcome:
    """The parent starts a child that waits for `go`; once both are idle the test sends it,
    the child ends and so does the parent. Histories: the parent, then every run of the child."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(ChildrenParentWorkflow.run, mode, id=unique(prefix), task_queue=task_queue)
        child = client.get_workflow_handle(handle.id + "-child")
        await wait_for_event(handle, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
        await wait_for_event(child, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await child.signal("go")
        result = await _result_or_error(handle)
        parent = await events(handle)
        return Outcome(result, [parent, *await _child_chain(client, parent)], handle.id)


async def run_child_complete(client: Client, task_queue: str) -> Outcome:
    return await _parent_and_child(client, task_queue, "complete", "child-ok")


async def run_child_failure(client: Client, task_queue: str) -> Outcome:
    return await _parent_and_child(client, task_queue, "fail", "child-fail")


async def run_child_continue_as_new(client: Client, task_queue: str) -> Outcome:
    return await _parent_and_child(client, task_queue, "continue_as_new", "child-can")


async def _parent_close(client: Client, task_queue: str, policy: str) -> Outcome:
    """The parent starts a child, both go idle, then the parent completes (told by a signal):
    the parent close policy decides what happens to the still-running child."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(
            ChildrenParentWorkflow.run, policy, id=unique(f"close-{policy.lower()}"), task_queue=task_queue
        )
        child = client.get_workflow_handle(handle.id + "-child")
        await wait_for_event(handle, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
        await wait_for_event(child, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await handle.signal(ChildrenParentWorkflow.proceed)
        parent_result = await _result_or_error(handle)
        if policy == "ABANDON":
            # Still running after its parent closed: it finishes when told to.
            await wait_until(lambda: _status_is(handle, "COMPLETED"), what="parent closed")
            await child.signal(PatientChildWorkflow.finish)
        child_result = await _result_or_error(child)
        return Outcome(
            {"parent": parent_result, "child": child_result}, [await events(handle), await events(child)], handle.id
        )


async def _status_is(handle: WorkflowHandle[Any, Any], status: str) -> bool:
    description = await handle.describe()
    return description.status is not None and description.status.name == status


async def run_parent_close_terminate(client: Client, task_queue: str) -> Outcome:
    return await _parent_close(client, task_queue, "TERMINATE")


async def run_parent_close_abandon(client: Client, task_queue: str) -> Outcome:
    return await _parent_close(client, task_queue, "ABANDON")


async def run_parent_close_request_cancel(client: Client, task_queue: str) -> Outcome:
    return await _parent_close(client, task_queue, "REQUEST_CANCEL")


async def run_cancel_child(client: Client, task_queue: str) -> Outcome:
    """The parent cancels its running child through the child handle; the child takes its
    time (until the test signals it) and ends cancelled: ChildWorkflowExecutionCanceled."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(
            ChildrenParentWorkflow.run, "cancel", id=unique("cancel-child"), task_queue=task_queue
        )
        child = client.get_workflow_handle(handle.id + "-child")
        await wait_for_event(handle, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
        await wait_for_event(child, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await handle.signal(ChildrenParentWorkflow.proceed)
        await wait_for_event(handle, ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
        await wait_for_event(child, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
        await child.signal(SlowToCancelChildWorkflow.finish)
        result = await _result_or_error(handle)
        return Outcome(result, [await events(handle), await events(child)], handle.id)


async def run_child_already_running(client: Client, task_queue: str) -> Outcome:
    """The parent starts a child under the id of a running workflow: StartChildWorkflowExecutionFailed."""
    async with worker(client, task_queue):
        other = await client.start_workflow(PatientChildWorkflow.run, id=unique("busy"), task_queue=task_queue)
        await wait_for_event(other, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        handle = await client.start_workflow(
            ChildrenParentWorkflow.run,
            args=["already_running", other.id],
            id=unique("dup-child"),
            task_queue=task_queue,
        )
        result = await _result_or_error(handle)
        await other.signal(PatientChildWorkflow.finish)
        other_result = await _result_or_error(other)
        return Outcome(
            {"parent": result, "other": other_result}, [await events(handle), await events(other)], handle.id
        )


async def _external(client: Client, task_queue: str, action: str, target_exists: bool) -> Outcome:
    """ExternalSignallerWorkflow signals or cancels a waiting PokeTargetWorkflow (or an id
    nobody uses); histories: the signaller, then the target."""
    async with worker(client, task_queue):
        target_id = unique("target")
        target = None
        if target_exists:
            target = await client.start_workflow(PokeTargetWorkflow.run, id=target_id, task_queue=task_queue)
            await wait_for_event(target, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        handle = await client.start_workflow(
            ExternalSignallerWorkflow.run, args=[action, target_id], id=unique(f"ext-{action}"), task_queue=task_queue
        )
        result = await _result_or_error(handle)
        if isinstance(result, str):
            result = result.replace(target_id, "<target id>")
        histories = [await events(handle)]
        target_result = None
        if target is not None:
            target_result = await _result_or_error(target)
            histories.append(await events(target))
        return Outcome({"result": result, "target": target_result}, histories, handle.id)


async def run_signal_external(client: Client, task_queue: str) -> Outcome:
    return await _external(client, task_queue, "signal", True)


async def run_signal_external_missing(client: Client, task_queue: str) -> Outcome:
    return await _external(client, task_queue, "signal", False)


async def run_cancel_external(client: Client, task_queue: str) -> Outcome:
    return await _external(client, task_queue, "cancel", True)


SCENARIOS: dict[str, Callable[[Client, str], Awaitable[Outcome]]] = {
    "order": run_order,
    "timer": run_timer,
    "cancel": run_cancel,
    "terminate": run_terminate,
    "continue_as_new": run_continue_as_new,
    "heartbeat_timeout": run_heartbeat_timeout,
    "workflow_task_failure": run_flaky,
    "worker_restart": run_worker_restart,
    "workflow_failure": run_workflow_failure,
    "activity_timeout": run_activity_timeout,
    "cancel_activity": run_cancel_activity,
    "local_activity": run_local_activity,
    "workflow_retry": run_workflow_retry,
    "run_timeout": run_run_timeout,
    "signal_during_closing_task": run_signal_during_closing_task,
    "signal_during_task": run_signal_during_task,
    "exhaust_retries": run_exhaust_retries,
    "query_during_task": run_query_during_task,
    "sticky_worker_shutdown": run_sticky_worker_shutdown,
    "cancel_unstarted_activity": run_cancel_unstarted_activity,
    "cleanup_on_cancel": run_cleanup_on_cancel,
    "activity_timeouts": run_activity_timeouts,
    "start_delay": run_start_delay,
    "heartbeat_give_up": run_heartbeat_give_up,
    "local_retry": run_local_retry,
    "child_complete": run_child_complete,
    "child_failure": run_child_failure,
    "parent_close_terminate": run_parent_close_terminate,
    "parent_close_abandon": run_parent_close_abandon,
    "parent_close_request_cancel": run_parent_close_request_cancel,
    "cancel_child": run_cancel_child,
    "child_already_running": run_child_already_running,
    "signal_external": run_signal_external,
    "signal_external_missing": run_signal_external_missing,
    "cancel_external": run_cancel_external,
    "child_continue_as_new": run_child_continue_as_new,
}


# ---- per-session caches: each scenario runs once per server -------------------------------

_clients: dict[str, Client] = {}
_outcomes: dict[tuple[str, str], Outcome] = {}


async def client_for(address: str, ready_timeout: float = 30.0) -> Client:
    """A connected client, once per address. A just-started real server may answer
    'Frontend is not healthy yet' for a moment: retry until it is ready."""
    if address not in _clients:
        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                _clients[address] = await Client.connect(address)
                break
            except RuntimeError as err:
                if "not healthy" not in str(err) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
    return _clients[address]


async def outcome(scenario: str, address: str, timeout: float = 60.0) -> Outcome:
    """Run a scenario against the server at `address`, once per session (the official-SDK
    tests and the differential tests share the result)."""
    key = (scenario, address)
    if key not in _outcomes:
        client = await client_for(address)
        _outcomes[key] = await asyncio.wait_for(SCENARIOS[scenario](client, unique(f"tq-{scenario}")), timeout)
    return _outcomes[key]
