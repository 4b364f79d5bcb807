"""Durable execution, shown with the sample: a worker killed mid-order loses nothing,
and the original sample's trap (both signals in one workflow task) is avoided."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History

from sample_food_delivery.activities import DeliveryServices, FailureSettings
from sample_food_delivery.workflows import (
    DELIVERED_SIGNAL,
    GET_STATUS_QUERY,
    ORDER_WORKFLOW,
    PICKED_UP_SIGNAL,
    Order,
    OrderState,
    OrderTimeouts,
)
from sdk import Worker, workflow
from tests.sample.support import SampleProcess, connected, unique_task_queue, wait_for_state
from tests.sdk.conftest import eventually

BURRATA = 2


def activity_types(history: History) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


def charge_completed(history: History) -> bool:
    scheduled = {
        e.event_id
        for e in history.events
        if e.activity_task_scheduled_event_attributes.activity_type.name == "chargeCustomer"
    }
    return any(
        e.activity_task_completed_event_attributes.scheduled_event_id in scheduled
        for e in history.events
        if e.HasField("activity_task_completed_event_attributes")
    )


@pytest.mark.timeout(300)
async def test_a_worker_killed_after_the_charge_loses_nothing(server_address: str, tmp_path: Path) -> None:
    client = await connected(server_address)
    task_queue = unique_task_queue()
    fast = ("--failure-rate", "0", "--rating-delay", "1")
    first = SampleProcess(server_address, task_queue, tmp_path / "worker-1.log", ("worker",), fast).start()
    handle = await client.start_workflow(
        ORDER_WORKFLOW,
        BURRATA,
        OrderTimeouts(pickup=300, delivery=300, rating_reminder=1),
        id=f"order-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
    )

    async def charged() -> bool:
        return charge_completed(await handle.fetch_history())

    await eventually(charged, timeout=60)
    first.kill()
    assert "charged $20.00 for Burrata" in first.output()

    second = SampleProcess(server_address, task_queue, tmp_path / "worker-2.log", ("worker",), fast).start()
    await wait_for_state(handle, "Paid")
    await handle.signal(PICKED_UP_SIGNAL)
    await wait_for_state(handle, "Picked up")
    await handle.signal(DELIVERED_SIGNAL)
    result = await handle.result()
    assert second.stop() == 0
    assert result["state"] == "Delivered" and result["productId"] == BURRATA and result["deliveredAt"]
    # The customer was charged once: the new worker replayed the charge, it did not redo it.
    history = await handle.fetch_history()
    assert activity_types(history).count("chargeCustomer") == 1
    assert "charged" not in second.output()

    # A worker process that has never seen the order answers the query by replaying it.
    fresh = SampleProcess(server_address, task_queue, tmp_path / "worker-3.log", ("worker",), fast).start()
    try:
        assert await handle.query(GET_STATUS_QUERY) == result
    finally:
        assert fresh.stop() == 0
    await client.close()


@workflow.defn(name="naive-order")
class NaiveOrder(Order):
    """The original sample's pickup wait: exactly "Picked up"."""

    @workflow.run
    async def run(self, product_id: int, timeouts: OrderTimeouts | None = None) -> dict[str, Any]:
        return await super().run(product_id, timeouts)

    def _picked_up(self) -> bool:
        return self.state == OrderState.PICKED_UP


# The naive wait is refunded once its pickup timer fires; the sample's wait gets a
# long timer so that only the signals can end it.
@pytest.mark.parametrize(("workflow_class", "pickup", "ends"), [(Order, 300, "Delivered"), (NaiveOrder, 3, "Refunded")])
async def test_pickup_and_delivery_in_one_workflow_task(
    server_address: str, workflow_class: type, pickup: float, ends: str
) -> None:
    """Both signals arrive while no worker runs: the sample delivers; the naive wait refunds."""
    client = await connected(server_address)
    task_queue = unique_task_queue()
    services = DeliveryServices(failures=FailureSettings(rate=0))

    def worker() -> Worker:
        return Worker(client, task_queue=task_queue, workflows=[workflow_class], activities=services.activities())

    async with worker():
        handle = await client.start_workflow(
            workflow_class.run,  # type: ignore[attr-defined]
            BURRATA,
            OrderTimeouts(pickup=pickup, delivery=60, rating_reminder=0),
            id=f"order-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )
        await wait_for_state(handle, "Paid")
    await handle.signal(PICKED_UP_SIGNAL)
    await handle.signal(DELIVERED_SIGNAL)
    async with worker():
        result = await handle.result()
    history = await handle.fetch_history()
    types = [e.event_type for e in history.events]
    first, second = (i for i, t in enumerate(types) if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED not in types[first:second]
    assert result["state"] == ends
    assert ("refundOrder" in activity_types(history)) == (ends == "Refunded")
    await client.close()


async def test_signals_that_arrive_with_the_pickup_timeout_still_count(server_address: str) -> None:
    """The worker was down past the pickup deadline, and the driver delivered meanwhile:
    the timer and both signals reach the workflow in one task, and the order is delivered."""
    client = await connected(server_address)
    task_queue = unique_task_queue()
    services = DeliveryServices(failures=FailureSettings(rate=0))

    def worker() -> Worker:
        return Worker(client, task_queue=task_queue, workflows=[Order], activities=services.activities())

    async with worker():
        handle = await client.start_workflow(
            Order.run,
            BURRATA,
            OrderTimeouts(pickup=1, delivery=60, rating_reminder=0),
            id=f"order-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )
        await wait_for_state(handle, "Paid")

    async def timer_fired() -> bool:
        history = await handle.fetch_history()
        return any(e.event_type == EventType.EVENT_TYPE_TIMER_FIRED for e in history.events)

    await eventually(timer_fired, timeout=30)
    await handle.signal(PICKED_UP_SIGNAL)
    await handle.signal(DELIVERED_SIGNAL)
    async with worker():
        result = await handle.result()
    assert result["state"] == "Delivered"
    assert "refundOrder" not in activity_types(await handle.fetch_history())
    await client.close()
