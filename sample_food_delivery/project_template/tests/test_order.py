"""The order workflow against a real server, with the worker in this process.

Each test runs one order from start to end: delivered, refunded when nobody picks
it up, delivered when both signals arrive in one workflow task, retried when the
payment service is unreachable, failed when the card is declined.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from sample_food_delivery.activities import DeliveryServices, FailureSettings
from sample_food_delivery.settings import Settings
from sample_food_delivery.worker import connect, create_worker
from sample_food_delivery.workflows import (
    DELIVER_UPDATE,
    DELIVERED_SIGNAL,
    GET_STATUS_QUERY,
    ORDER_WORKFLOW,
    PICK_UP_UPDATE,
    PICKED_UP_SIGNAL,
    OrderTimeouts,
)
from sdk import Client, WorkflowHandle
from sdk.client import WorkflowHistory
from sdk.exceptions import ApplicationError, WorkflowFailureError, WorkflowQueryFailedError, WorkflowUpdateFailedError

BURRATA, SWORDFISH = 2, 1
QUICK = OrderTimeouts(pickup=60, delivery=60, rating_reminder=0.5)
RELIABLE = FailureSettings(rate=0)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


async def connected(address: str) -> Client:
    # A server that was just started may need a moment before it serves requests.
    return await connect(Settings(address=address), wait=30)


async def start_order(client: Client, task_queue: str, product_id: int, timeouts: OrderTimeouts) -> WorkflowHandle:
    return await client.start_workflow(
        ORDER_WORKFLOW, product_id, timeouts, id=f"order-test-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )


async def wait_for_state(handle: WorkflowHandle, state: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = None
    while loop.time() < deadline:
        try:
            seen = (await handle.query(GET_STATUS_QUERY))["state"]
        except WorkflowQueryFailedError:
            seen = None  # no workflow task has completed yet
        if seen == state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {handle.id} never reached {state!r} (last seen {seen!r})")


def event_name(event: HistoryEvent) -> str:
    return EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")


def activity_types(history: WorkflowHistory) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


def test_an_order_is_delivered_and_its_status_survives_the_worker(temporal_address: str, task_queue: str) -> None:
    async def scenario() -> None:
        client = await connected(temporal_address)
        services = DeliveryServices(failures=RELIABLE)
        async with create_worker(client, task_queue=task_queue, services=services):
            handle = await start_order(client, task_queue, BURRATA, QUICK)
            await wait_for_state(handle, "Paid")
            await handle.signal(PICKED_UP_SIGNAL)
            await wait_for_state(handle, "Picked up")
            await handle.signal(DELIVERED_SIGNAL)
            result = await handle.result()
        assert result["state"] == "Delivered"
        assert result["productId"] == BURRATA
        assert datetime.fromisoformat(result["deliveredAt"]).tzinfo is not None
        assert len(services.notifications) == 3
        assert "on its way" in services.notifications[0] and "Rate your meal" in services.notifications[2]
        # A worker that never saw this order replays its history to answer.
        async with create_worker(client, task_queue=task_queue, max_cached_workflows=0):
            assert await handle.query(GET_STATUS_QUERY) == result
        await client.close()

    run(scenario())


def test_a_driver_app_gets_an_answer_from_the_updates(temporal_address: str, task_queue: str) -> None:
    async def scenario() -> None:
        client = await connected(temporal_address)
        async with create_worker(client, task_queue=task_queue, services=DeliveryServices(failures=RELIABLE)):
            handle = await start_order(client, task_queue, BURRATA, QUICK)
            await wait_for_state(handle, "Paid")
            # Delivering before the pickup is refused at once, and leaves no trace in the history.
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(DELIVER_UPDATE)
            assert isinstance(refused.value.cause, ApplicationError)
            assert refused.value.cause.message == "The order cannot be delivered: it is paid."
            assert (await handle.execute_update(PICK_UP_UPDATE))["state"] == "Picked up"
            delivered = await handle.execute_update(DELIVER_UPDATE)
            assert delivered["state"] == "Delivered" and delivered["deliveredAt"]
            assert (await handle.result())["state"] == "Delivered"
        events = [event_name(e) for e in (await handle.fetch_history()).events]
        assert events.count("WORKFLOW_EXECUTION_UPDATE_ACCEPTED") == 2
        assert events.count("WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 2
        await client.close()

    run(scenario())


def test_an_order_nobody_picks_up_is_refunded(temporal_address: str, task_queue: str) -> None:
    async def scenario() -> None:
        client = await connected(temporal_address)
        services = DeliveryServices(failures=RELIABLE)
        async with create_worker(client, task_queue=task_queue, services=services):
            handle = await start_order(client, task_queue, BURRATA, OrderTimeouts(pickup=1))
            result = await handle.result()
        history = await handle.fetch_history()
        assert result == {"state": "Refunded", "deliveredAt": None, "productId": BURRATA}
        assert "TIMER_FIRED" in [event_name(e) for e in history.events]
        assert activity_types(history) == ["chargeCustomer", "refundOrder", "sendPushNotification"]
        assert "refunded" in services.notifications[-1]
        await client.close()

    run(scenario())


def test_pickup_and_delivery_in_one_workflow_task_is_delivered(temporal_address: str, task_queue: str) -> None:
    """The trap of the original sample: both signals handled before the pickup wait looks."""

    async def scenario() -> None:
        client = await connected(temporal_address)
        async with create_worker(client, task_queue=task_queue, services=DeliveryServices(failures=RELIABLE)):
            handle = await start_order(client, task_queue, BURRATA, QUICK)
            await wait_for_state(handle, "Paid")
        # No worker runs now: both signals wait for the same next workflow task.
        await handle.signal(PICKED_UP_SIGNAL)
        await handle.signal(DELIVERED_SIGNAL)
        async with create_worker(client, task_queue=task_queue, services=DeliveryServices(failures=RELIABLE)):
            result = await handle.result()
        names = [event_name(e) for e in (await handle.fetch_history()).events]
        first, second = (i for i, name in enumerate(names) if name == "WORKFLOW_EXECUTION_SIGNALED")
        assert "WORKFLOW_TASK_STARTED" not in names[first:second], "the signals were not in one workflow task"
        assert result["state"] == "Delivered"
        assert "refundOrder" not in activity_types(await handle.fetch_history())
        await client.close()

    run(scenario())


def test_an_unreachable_payment_service_is_retried(temporal_address: str, task_queue: str) -> None:
    async def scenario() -> None:
        client = await connected(temporal_address)
        flaky = DeliveryServices(failures=FailureSettings(rate=0, first_attempts=1))
        async with create_worker(client, task_queue=task_queue, services=flaky):
            handle = await start_order(client, task_queue, BURRATA, QUICK)
            await wait_for_state(handle, "Paid")
        history = await handle.fetch_history()
        scheduled = next(
            e
            for e in history.events
            if e.activity_task_scheduled_event_attributes.activity_type.name == "chargeCustomer"
        )
        started = next(
            e.activity_task_started_event_attributes
            for e in history.events
            if e.HasField("activity_task_started_event_attributes")
            and e.activity_task_started_event_attributes.scheduled_event_id == scheduled.event_id
        )
        assert started.attempt == 2
        assert "cannot reach the payment service (attempt 1)" in started.last_failure.message
        await handle.terminate("test done")
        await client.close()

    run(scenario())


def test_a_declined_card_fails_the_order(temporal_address: str, task_queue: str) -> None:
    async def scenario() -> None:
        client = await connected(temporal_address)
        services = DeliveryServices(failures=RELIABLE)
        async with create_worker(client, task_queue=task_queue, services=services):
            handle = await start_order(client, task_queue, SWORDFISH, QUICK)
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
            assert (await handle.query(GET_STATUS_QUERY))["state"] == "Failed"
        assert isinstance(failed.value.cause, ApplicationError)
        assert "Card declined" in failed.value.cause.message
        history = await handle.fetch_history()
        # Not retried: a declined card stays declined.
        assert activity_types(history) == ["chargeCustomer", "sendPushNotification"]
        assert "ACTIVITY_TASK_FAILED" in [event_name(e) for e in history.events]
        await client.close()

    run(scenario())
