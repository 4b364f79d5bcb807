"""The food-delivery sample's order workflow, with its real (minute-long) waits, tested on a
time-skipping server through sdk.testing: what the sample's README promises a user can do."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from sample_food_delivery.activities import DeliveryServices, FailureSettings
from sample_food_delivery.products import PRODUCTS
from sample_food_delivery.worker import create_worker
from sample_food_delivery.workflows import DELIVERED_SIGNAL, PICKED_UP_SIGNAL, Order
from sdk.testing import WorkflowEnvironment

BURRATA = next(product.id for product in PRODUCTS if product.name == "Burrata")


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping() as environment:
        yield environment


async def test_an_order_nobody_picks_up_is_refunded_after_a_minute_of_virtual_time(env: WorkflowEnvironment) -> None:
    services = DeliveryServices(failures=FailureSettings(rate=0.0))
    queue = f"orders-{uuid.uuid4().hex[:8]}"
    async with create_worker(env.client, task_queue=queue, services=services):
        started = await env.get_current_time()
        wall = time.monotonic()
        handle = await env.client.start_workflow(Order.run, BURRATA, id=queue, task_queue=queue)
        status = await handle.result()
        assert time.monotonic() - wall < 20, "the pickup minute is skipped, not waited"
        assert (await env.get_current_time() - started).total_seconds() >= 60
    assert status["state"] == "Refunded"
    assert services.notifications[-1] == "No driver picked up your order in time. You have been refunded."


async def test_a_delivered_order_asks_for_a_rating_a_minute_later(env: WorkflowEnvironment) -> None:
    services = DeliveryServices(failures=FailureSettings(rate=0.0))
    queue = f"orders-{uuid.uuid4().hex[:8]}"
    async with create_worker(env.client, task_queue=queue, services=services):
        handle = await env.client.start_workflow(Order.run, BURRATA, id=queue, task_queue=queue)
        with env.auto_time_skipping_disabled():
            # A driver picks up a paid order only (the charge is an activity).
            while (await handle.query("getStatus"))["state"] != "Paid":
                await asyncio.sleep(0.05)
            await handle.signal(PICKED_UP_SIGNAL)
            await handle.signal(DELIVERED_SIGNAL)
        status = await handle.result()
    assert status["state"] == "Delivered"
    assert services.notifications[-1].startswith("How was the") and services.notifications[-1].endswith(
        "Rate your meal."
    )
