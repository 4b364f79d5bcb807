"""The seed scenario end to end, with our SDK only: client, worker, activities, replay."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sdk.client import Client
from sdk.worker import Worker
from tests.sdk.conftest import eventually
from tests.sdk.order_app import (
    CHARGE_CALLS,
    Order,
    OrderStatus,
    charge_customer,
    get_product,
    send_receipt,
)

ACTIVITIES: list[Callable[..., Any]] = [get_product, charge_customer, send_receipt]


async def _status(handle: object) -> OrderStatus:
    return await handle.query(Order.get_status, result_type=OrderStatus)  # type: ignore[attr-defined, no-any-return]


async def test_order_runs_to_completion_and_answers_queries_by_replay(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    workflow_id = f"order-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=task_queue, workflows=[Order], activities=ACTIVITIES, activity_executor=activity_executor
    ):
        handle = await client.start_workflow(Order.run, 3, id=workflow_id, task_queue=task_queue)

        async def charged() -> bool:
            return (await _status(handle)).state == "Charged"

        await eventually(charged)
        status = await _status(handle)
        # The payment activity failed twice and the server retried it.
        assert status.charged
        assert status.log == ["charged 300 for product-3 on attempt 3"]
        assert CHARGE_CALLS[workflow_id] == 3

        await handle.signal(Order.picked_up)
        await handle.signal(Order.delivered, "bob")
        assert await handle.result() == "product-3 delivered"

    # No worker holds the run now: a fresh one rebuilds the state from history.
    async with Worker(client, task_queue=task_queue, workflows=[Order], max_cached_workflows=0):
        status = await _status(handle)
    assert status.state == "Delivered"
    assert status.log == [
        "charged 300 for product-3 on attempt 3",
        "picked up",
        "delivered by bob",
        "receipt: charged 300 for product-3 on attempt 3",
    ]


async def test_a_new_worker_finishes_an_order_whose_worker_was_killed(
    client: Client, server_address: str, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    workflow_id = f"order-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sdk.order_app", server_address, task_queue],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],  # the repository root, where `tests` is a package
    )
    try:
        assert process.stdout is not None
        await asyncio.to_thread(process.stdout.readline)  # "ready"
        handle = await client.start_workflow(Order.run, 7, id=workflow_id, task_queue=task_queue)

        async def charged() -> bool:
            return (await _status(handle)).state == "Charged"

        await eventually(charged)
    finally:
        process.kill()  # SIGKILL: no graceful shutdown, the sticky cache dies with it
        process.wait()

    await handle.signal(Order.picked_up)
    await handle.signal(Order.delivered, "carol")
    # Cache size 0: every task of the new worker replays the whole history.
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Order],
        activities=ACTIVITIES,
        activity_executor=activity_executor,
        max_cached_workflows=0,
    ):
        result = await asyncio.wait_for(handle.result(), timeout=30)
        status = await _status(handle)
    assert result == "product-7 delivered"
    # The payment that succeeded before the crash was not made again.
    assert CHARGE_CALLS.get(workflow_id, 0) == 0
    assert status.log == [
        "charged 700 for product-7 on attempt 3",
        "picked up",
        "delivered by carol",
        "receipt: charged 700 for product-7 on attempt 3",
    ]
