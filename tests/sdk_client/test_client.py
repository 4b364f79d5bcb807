"""Tempo's client against official `temporalio` workers on a real server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from temporalio.api.enums.v1 import EventType

from sdk import (
    ActivityError,
    ApplicationError,
    CancelledError,
    Client,
    RetryPolicy,
    ServerUnreachableError,
    TerminatedError,
    TimeoutFailureError,
    WorkflowAlreadyStartedError,
    WorkflowContinuedAsNewError,
    WorkflowFailureError,
    WorkflowIdConflictPolicy,
    WorkflowNotFoundError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowStatus,
)
from sdk import workflow as tempo_workflow
from tests.sdk_client.workflows import Item, Order
from tests.servers import free_port

T = TypeVar("T")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def eventually(probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Poll ``probe`` until ``accept`` says yes (visibility lags a moment on real servers)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if accept(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_unreachable_server_gives_one_clear_error() -> None:
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(ServerUnreachableError) as info:
        await Client.connect(address)
    assert str(info.value) == (f"cannot reach a server at {address} — is `tempo server start-dev` running?")


async def test_bad_address_is_rejected_before_dialling() -> None:
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        await Client.connect("localhost")


async def test_start_and_result(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("Greeting", "Ada", id=new_id("greet"), task_queue=task_queue)
    assert await handle.result() == "Hello, Ada!"
    assert (await handle.describe()).run_id == handle.result_run_id  # the run it started


async def test_execute_with_dataclasses_both_ways(client: Client, task_queue: str) -> None:
    order = Order("o-1", [Item("tea", 2), Item("cake", 1)])
    result = await client.execute_workflow(
        "OrderTotal", args=[order], id=new_id("order"), task_queue=task_queue, result_type=Order
    )
    assert result == Order("o-1", [Item("tea", 2), Item("cake", 1)], note="3 items")


async def test_arguments_either_positional_or_as_a_list(client: Client) -> None:
    with pytest.raises(TypeError, match="not both"):
        await client.start_workflow("Greeting", "a", args=["b"], id=new_id("both"), task_queue="unused")


async def test_duplicate_start_names_the_running_run(client: Client, task_queue: str) -> None:
    wf_id = new_id("dup")
    first = await client.start_workflow("Waiter", id=wf_id, task_queue=task_queue)
    with pytest.raises(WorkflowAlreadyStartedError) as info:
        await client.start_workflow("Waiter", id=wf_id, task_queue=task_queue)
    assert info.value.run_id == first.result_run_id
    assert info.value.workflow_id == wf_id
    # USE_EXISTING turns the conflict into a handle on the same run.
    again = await client.start_workflow(
        "Waiter",
        id=wf_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIdConflictPolicy.USE_EXISTING,
    )
    assert again.result_run_id == first.result_run_id
    await first.terminate("cleanup")


async def test_same_request_id_is_idempotent(client: Client, task_queue: str) -> None:
    wf_id, request_id = new_id("idem"), str(uuid.uuid4())
    a = await client.start_workflow("Waiter", id=wf_id, task_queue=task_queue, request_id=request_id)
    b = await client.start_workflow("Waiter", id=wf_id, task_queue=task_queue, request_id=request_id)
    assert a.result_run_id == b.result_run_id
    await a.terminate()


@tempo_workflow.defn(name="Waiter")
class WaiterApi:
    """Tempo's view of the official worker's Waiter: only the names matter to the client."""

    @tempo_workflow.run
    async def run(self) -> list[str]:
        raise NotImplementedError  # runs on the official worker, never here

    @tempo_workflow.signal
    def add(self, item: str) -> None: ...

    @tempo_workflow.signal(name="finish")
    def done(self) -> None: ...

    @tempo_workflow.query
    def count(self) -> int:
        return 0


async def test_decorated_methods_name_workflows_signals_and_queries(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(WaiterApi.run, id=new_id("api"), task_queue=task_queue)
    await handle.signal(WaiterApi.add, "kiwi")
    assert await handle.query(WaiterApi.count) == 1
    await handle.signal(WaiterApi.done)  # named "finish" by its decorator
    assert await handle.result() == ["kiwi"]
    assert (await handle.describe()).workflow_type == "Waiter"


async def test_signals_and_queries(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("Waiter", id=new_id("waiter"), task_queue=task_queue)
    await handle.signal("add", "apple")
    await handle.signal("add", "pear")
    assert await handle.query("count") == 2
    assert await handle.query("items_with_prefix", "fresh ") == ["fresh apple", "fresh pear"]
    await handle.signal("finish")
    assert await handle.result(result_type=list[str]) == ["apple", "pear"]
    # A closed workflow is still queryable (the worker replays it)...
    assert await handle.query("count") == 2
    # ...unless the caller asks to reject queries to closed workflows.
    with pytest.raises(WorkflowQueryRejectedError, match="COMPLETED"):
        await handle.query("count", reject_not_open=True)


async def test_failing_and_unknown_queries(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("Waiter", id=new_id("q"), task_queue=task_queue)
    with pytest.raises(WorkflowQueryFailedError, match="this query is broken"):
        await handle.query("broken")
    with pytest.raises(WorkflowQueryFailedError) as info:
        await handle.query("no_such_query")
    # The SDK's answer names the queries that do exist.
    assert "count" in str(info.value)
    await handle.terminate()


async def test_signal_with_start_starts_then_signals(client: Client, task_queue: str) -> None:
    wf_id = new_id("sws")
    first = await client.signal_with_start("Waiter", signal="add", signal_args=["one"], id=wf_id, task_queue=task_queue)
    second = await client.signal_with_start(
        "Waiter", signal="add", signal_args=["two"], id=wf_id, task_queue=task_queue
    )
    assert first.result_run_id == second.result_run_id
    await second.signal("finish")
    assert await second.result() == ["one", "two"]


async def test_failed_workflow_raises_with_application_cause(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("Failing", "out of stock", id=new_id("fail"), task_queue=task_queue)
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    assert str(cause) == "out of stock"
    assert cause.type == "OrderRejected"
    assert cause.non_retryable
    assert list(cause.details) == [{"code": 7}]


async def test_activity_failure_chain(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("CallsFlaky", id=new_id("act"), task_queue=task_queue)
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    activity_error = info.value.cause
    assert isinstance(activity_error, ActivityError)
    assert activity_error.activity_type == "flaky"
    assert isinstance(activity_error.cause, ApplicationError)
    assert activity_error.cause.type == "FlakyError"
    assert str(activity_error.cause) == "activity broke"


async def test_result_follows_continue_as_new(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("Countdown", 2, id=new_id("can"), task_queue=task_queue)
    result = await handle.result()
    last_run = (await client.get_workflow_handle(handle.id).describe()).run_id
    assert last_run != handle.result_run_id
    assert result == f"liftoff after {last_run}"
    # Without following, the first run's outcome is "continued as new".
    with pytest.raises(WorkflowContinuedAsNewError):
        await handle.result(follow_runs=False)
    first = client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    assert (await first.describe()).status == WorkflowStatus.CONTINUED_AS_NEW


async def test_terminate(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("Waiter", id=new_id("term"), task_queue=task_queue)
    await handle.terminate("no longer needed")
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, TerminatedError)
    assert str(info.value.cause) == "no longer needed"
    assert (await handle.describe()).status == WorkflowStatus.TERMINATED


async def test_cancel(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow("Sleeper", id=new_id("cancel"), task_queue=task_queue)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowStatus.CANCELED


async def test_run_timeout_surfaces_as_timeout_failure(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(
        "Sleeper", id=new_id("slow"), task_queue=task_queue, run_timeout=timedelta(seconds=1)
    )
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, TimeoutFailureError)
    assert (await handle.describe()).status == WorkflowStatus.TIMED_OUT


async def test_describe(client: Client, task_queue: str) -> None:
    wf_id = new_id("desc")
    handle = await client.start_workflow(
        "Waiter",
        id=wf_id,
        task_queue=task_queue,
        memo={"owner": "ops", "n": 3},
        execution_timeout=timedelta(minutes=5),
        retry_policy=RetryPolicy(maximum_attempts=3, non_retryable_error_types=["Fatal"]),
    )
    desc = await handle.describe()
    assert (desc.workflow_id, desc.run_id) == (wf_id, handle.result_run_id)
    assert desc.workflow_type == "Waiter"
    assert desc.task_queue == task_queue
    assert desc.status == WorkflowStatus.RUNNING
    assert desc.status.display == "Running"
    assert desc.memo == {"owner": "ops", "n": 3}
    assert desc.start_time is not None and desc.close_time is None
    config = desc.raw_description.execution_config
    assert config.workflow_execution_timeout.ToTimedelta() == timedelta(minutes=5)
    started = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
    assert started.retry_policy.maximum_attempts == 3
    assert list(started.retry_policy.non_retryable_error_types) == ["Fatal"]
    await handle.signal("finish")
    await handle.result()
    closed = await handle.describe()
    assert closed.status == WorkflowStatus.COMPLETED and closed.close_time is not None


async def test_not_found(client: Client) -> None:
    handle = client.get_workflow_handle(new_id("missing"))
    with pytest.raises(WorkflowNotFoundError):
        await handle.describe()
    with pytest.raises(WorkflowNotFoundError):
        await handle.signal("add", "x")
    with pytest.raises(WorkflowNotFoundError):
        await handle.result()


async def test_fetch_history_pages_through_long_histories(client: Client) -> None:
    # No worker: the history is just the start, the first task and the signals.
    handle = await client.start_workflow("Waiter", id=new_id("long"), task_queue=new_id("idle"))
    for i in range(300):
        await handle.signal("add", f"item-{i}")
    history = await handle.fetch_history()
    ids = [e.event_id for e in history.events]
    assert ids == list(range(1, len(ids) + 1))
    signals = [
        e.workflow_execution_signaled_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    assert len(signals) == 300
    assert client.data_converter.from_payload(signals[-1].input.payloads[0]) == "item-299"
    # Small pages give the same events.
    paged = [e.event_id async for e in handle.fetch_history_events(page_size=50)]
    assert paged == ids
    await handle.terminate()


async def test_list_and_count_with_query(client: Client, task_queue: str) -> None:
    wf_type = "Waiter"
    handles = [await client.start_workflow(wf_type, id=new_id("list"), task_queue=task_queue) for _ in range(3)]
    await handles[0].terminate()
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"

    async def listed() -> set[str]:
        return {w.workflow_id async for w in client.list_workflows(query)}

    running = {h.id for h in handles[1:]}
    assert await eventually(listed, lambda ids: ids == running) == running
    assert await eventually(lambda: client.count_workflows(query), lambda n: n == 2) == 2
    everything = [w async for w in client.list_workflows(f"TaskQueue = '{task_queue}'", page_size=1)]
    assert {w.workflow_id for w in everything} == {h.id for h in handles}
    assert {w.status for w in everything} == {WorkflowStatus.RUNNING, WorkflowStatus.TERMINATED}
    assert all(w.workflow_type == wf_type and w.task_queue == task_queue for w in everything)
    limited = [w async for w in client.list_workflows(f"TaskQueue = '{task_queue}'", limit=2)]
    assert len(limited) == 2
    for h in handles[1:]:
        await h.terminate()


async def test_a_delayed_start_waits_before_its_first_task(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(
        "Greeting", "Ada", id=new_id("delayed"), task_queue=task_queue, start_delay=timedelta(seconds=1)
    )
    assert await handle.result() == "Hello, Ada!"
    started = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
    assert started.first_workflow_task_backoff.ToTimedelta() == timedelta(seconds=1)


async def test_a_cron_workflow_runs_on_its_schedule(client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(
        "Greeting", "Ada", id=new_id("cron"), task_queue=task_queue, cron_schedule="@every 2s"
    )
    try:
        started = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
        assert started.cron_schedule == "@every 2s"
        assert timedelta(0) < started.first_workflow_task_backoff.ToTimedelta() <= timedelta(seconds=2)

        async def closed_runs() -> list[str]:
            return [w.status.name async for w in client.list_workflows(f"WorkflowId = '{handle.id}'")]

        # Each run completes and the next one is already waiting for its time.
        statuses = await eventually(closed_runs, lambda s: "COMPLETED" in s and "RUNNING" in s, timeout=20)
        assert "COMPLETED" in statuses and "RUNNING" in statuses
    finally:
        await handle.terminate("test done")
