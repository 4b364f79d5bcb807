"""The order workflow with its real waits (a minute for a driver, a minute before the rating
reminder), tested in seconds on a time-skipping server.

``sdk.testing.WorkflowEnvironment.start_time_skipping()`` starts Tempo's in-memory test server
on a free port (nothing to download, no ``TEMPORAL_ADDRESS`` needed) and stops it at the end.
While a test waits on ``handle.result()`` the server skips straight to the next timer, so the
order's minute-long waits pass in virtual time; ``env.auto_time_skipping_disabled()`` keeps
time running at wall speed while the test plays the driver.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from temporalio.api.enums.v1 import EventType

from sample_food_delivery.activities import DeliveryServices, FailureSettings
from sample_food_delivery.worker import create_worker
from sample_food_delivery.workflows import DELIVERED_SIGNAL, GET_STATUS_QUERY, ORDER_WORKFLOW, PICKED_UP_SIGNAL
from sdk import WorkflowHandle
from sdk.exceptions import WorkflowQueryFailedError
from sdk.testing import WorkflowEnvironment

BURRATA = 2
RELIABLE = FailureSettings(rate=0)


def test_an_order_nobody_picks_up_is_refunded_after_a_minute_of_virtual_time() -> None:
    async def scenario() -> None:
        async with await WorkflowEnvironment.start_time_skipping() as env:
            services = DeliveryServices(failures=RELIABLE)
            task_queue = f"orders-{uuid.uuid4().hex[:8]}"
            async with create_worker(env.client, task_queue=task_queue, services=services):
                started = await env.get_current_time()
                wall = time.monotonic()
                # The order's own timeouts: it waits a whole minute for a driver.
                handle = await env.client.start_workflow(ORDER_WORKFLOW, BURRATA, id=task_queue, task_queue=task_queue)
                result = await handle.result()
                assert time.monotonic() - wall < 20, "the minute is skipped, not waited"
            assert await env.get_current_time() - started >= timedelta(minutes=1)
            assert result["state"] == "Refunded"
            assert services.notifications[-1] == "No driver picked up your order in time. You have been refunded."
            # The history carries the server's (virtual) times: the timer fired a minute in.
            events = (await handle.fetch_history()).events
            fired = next(e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED)
            waited = fired.event_time.ToDatetime() - events[0].event_time.ToDatetime()
            assert timedelta(minutes=1) <= waited < timedelta(minutes=2)

    asyncio.run(scenario())


def test_a_delivered_order_asks_for_a_rating_a_minute_later() -> None:
    async def scenario() -> None:
        async with await WorkflowEnvironment.start_time_skipping() as env:
            services = DeliveryServices(failures=RELIABLE)
            task_queue = f"orders-{uuid.uuid4().hex[:8]}"
            async with create_worker(env.client, task_queue=task_queue, services=services):
                handle = await env.client.start_workflow(ORDER_WORKFLOW, BURRATA, id=task_queue, task_queue=task_queue)
                # Time runs at wall speed while the test plays the driver, so the pickup minute
                # does not pass before the signals arrive.
                with env.auto_time_skipping_disabled():
                    while await order_state(handle) != "Paid":  # a driver picks up a paid order only
                        await asyncio.sleep(0.05)
                    await handle.signal(PICKED_UP_SIGNAL)
                    await handle.signal(DELIVERED_SIGNAL)
                delivered = await env.get_current_time()
                wall = time.monotonic()
                result = await handle.result()  # the minute before the rating reminder is skipped
                assert time.monotonic() - wall < 20
            assert await env.get_current_time() - delivered >= timedelta(minutes=1)
            assert result["state"] == "Delivered"
            assert services.notifications[-1].endswith("Rate your meal.")

    asyncio.run(scenario())


async def order_state(handle: WorkflowHandle) -> str | None:
    """The order's state, or None before its first workflow task has run."""
    try:
        status = await handle.query(GET_STATUS_QUERY)
    except WorkflowQueryFailedError:
        return None
    return str(status["state"])
