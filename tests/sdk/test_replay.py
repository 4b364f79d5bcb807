"""Nondeterminism detection: in the Replayer and in a live worker."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import event_type_pb2, failed_cause_pb2

from sdk import workflow
from sdk.client import Client
from sdk.worker import Replayer, Worker
from sdk.workflow import NondeterminismError
from tests.sdk.conftest import eventually
from tests.sdk.order_app import (
    FAST_RETRY,
    Order,
    OrderStatus,
    charge_customer,
    get_product,
    send_receipt,
)

HISTORIES = Path(__file__).parent / "histories"
EventType = event_type_pb2.EventType


@workflow.defn(name="Order")
class OrderChargingFirst(Order):
    """Order with its first two steps swapped: incompatible with running orders."""

    @workflow.run
    async def run(self, product_id: int) -> str:
        await workflow.execute_activity(
            charge_customer,
            None,
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=FAST_RETRY,
        )
        await workflow.execute_activity(get_product, product_id, start_to_close_timeout=timedelta(seconds=5))
        return "never"


async def test_an_unchanged_workflow_replays_cleanly_from_a_recorded_history() -> None:
    result = await Replayer(workflows=[Order]).replay_workflow(HISTORIES / "order.json")
    assert result.workflow_type == "Order"
    assert result.completed
    assert result.workflow_tasks == 7


async def test_the_replayer_takes_the_cli_json_as_text_or_parsed() -> None:
    text = (HISTORIES / "flaky.json").read_text()
    from tests.sdk.flaky_app import Flaky

    replayer = Replayer(workflows=[Flaky])
    assert (await replayer.replay_workflow(text)).completed
    assert (await replayer.replay_workflow(json.loads(text))).completed


async def test_a_changed_workflow_is_caught_as_nondeterministic() -> None:
    replayer = Replayer(workflows=[OrderChargingFirst])
    with pytest.raises(NondeterminismError) as caught:
        await replayer.replay_workflow(HISTORIES / "order.json")
    message = str(caught.value)
    assert "activity_type='charge_customer'" in message
    assert "ACTIVITY_TASK_SCHEDULED (event 5 activity_type='get_product'" in message


async def test_the_replayer_reports_bad_input_clearly() -> None:
    replayer = Replayer(workflows=[Order])
    with pytest.raises(ValueError, match="not valid JSON"):
        await replayer.replay_workflow("{nope")
    with pytest.raises(ValueError, match="'events' list"):
        await replayer.replay_workflow({"history": []})
    from tests.sdk.flaky_app import Flaky

    with pytest.raises(ValueError, match="workflow type 'Flaky', which is not among"):
        await replayer.replay_workflow(HISTORIES / "flaky.json")
    with pytest.raises(TypeError, match=r"decorate it with @workflow\.defn"):
        Replayer(workflows=[str])
    _ = Flaky


async def test_a_history_from_a_live_run_replays_cleanly(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Order],
        activities=[get_product, charge_customer, send_receipt],
        activity_executor=activity_executor,
    ):
        handle = await client.start_workflow(Order.run, 5, id=f"order-{uuid.uuid4().hex[:8]}", task_queue=task_queue)

        async def charged() -> bool:
            status = await handle.query(Order.get_status, result_type=OrderStatus)
            return bool(status.state == "Charged")

        await eventually(charged)
        await handle.signal(Order.picked_up)
        await handle.signal(Order.delivered, "dan")
        await handle.result()
    history = await handle.fetch_history()
    assert (await Replayer(workflows=[Order]).replay_workflow(history)).completed
    with pytest.raises(NondeterminismError):
        await Replayer(workflows=[OrderChargingFirst]).replay_workflow(history)


@workflow.defn(name="Waiter")
class Waiter:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.01)
        await workflow.wait_condition(lambda: self.go)
        return "done"

    @workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflow.query
    def waiting(self) -> bool:
        return not self.go


@workflow.defn(name="Waiter")
class WaiterWithoutSleep(Waiter):
    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.go)
        return "done"


async def test_a_live_worker_fails_the_task_on_nondeterminism_and_the_workflow_survives(
    client: Client, task_queue: str
) -> None:
    # The worker reports a task failure once; later attempts come after the task timeout.
    handle = await client.start_workflow(
        Waiter.run,
        id=f"waiter-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
        task_timeout=timedelta(seconds=1),
    )
    async with Worker(client, task_queue=task_queue, workflows=[Waiter]):

        async def waiting() -> bool:
            return bool(await handle.query(Waiter.waiting))

        await eventually(waiting)

    await handle.signal(Waiter.proceed)
    # The new code is incompatible; cache 0 forces it to replay the recorded timer.
    async with Worker(client, task_queue=task_queue, workflows=[WaiterWithoutSleep], max_cached_workflows=0):

        async def failed_task() -> bool:
            events = (await handle.fetch_history()).events
            return any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in events)

        await eventually(failed_task)
    events = (await handle.fetch_history()).events
    failed = next(e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    attrs = failed.workflow_task_failed_event_attributes
    assert attrs.cause == failed_cause_pb2.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
    assert "history has TIMER_STARTED" in attrs.failure.message
    assert "no matching command" in attrs.failure.message

    # Deploying the compatible code again lets the same workflow finish.
    async with Worker(client, task_queue=task_queue, workflows=[Waiter]):
        assert await handle.result() == "done"


async def test_the_replayer_reads_histories_saved_by_older_clis() -> None:
    # Older CLIs wrote event types as "WorkflowExecutionStarted" instead of the enum name.
    saved = json.loads((HISTORIES / "order.json").read_text())
    for event in saved["events"]:
        words = event["eventType"].removeprefix("EVENT_TYPE_").split("_")
        event["eventType"] = "".join(word.capitalize() for word in words)
    assert saved["events"][0]["eventType"] == "WorkflowExecutionStarted"
    result = await Replayer(workflows=[Order]).replay_workflow(saved)
    assert result.completed and result.workflow_tasks == 7
