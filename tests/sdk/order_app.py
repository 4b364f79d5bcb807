"""The seed scenario's workflow and activities, importable by tests and by a worker subprocess.

Run as ``python -m tests.sdk.order_app ADDRESS TASK_QUEUE`` to serve them from a
separate process that a test can kill.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sdk import activity, workflow
from sdk.client import Client
from sdk.exceptions import ApplicationError
from sdk.worker import Worker
from sdk.workflow import RetryPolicy


@dataclass
class Product:
    id: int
    name: str
    price_cents: int


@dataclass
class OrderStatus:
    state: str
    charged: bool
    log: list[str]


CHARGE_CALLS: dict[str, int] = {}
"""Calls of charge_customer in this process, per workflow ID."""


@activity.defn
async def get_product(product_id: int) -> Product:
    return Product(product_id, f"product-{product_id}", 100 * product_id)


@activity.defn
async def charge_customer(product: Product) -> str:
    info = activity.info()
    CHARGE_CALLS[info.workflow_id] = CHARGE_CALLS.get(info.workflow_id, 0) + 1
    # The server counts attempts, so this works across worker processes too.
    if info.attempt < 3:
        raise ApplicationError(f"card declined (attempt {info.attempt})", type="Declined")
    return f"charged {product.price_cents} for {product.name} on attempt {info.attempt}"


@activity.defn
def send_receipt(text: str) -> str:
    # A plain function: runs in the worker's thread pool.
    return f"receipt: {text}"


FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=50), maximum_attempts=5)


@workflow.defn
class Order:
    def __init__(self) -> None:
        self.state = "new"
        self.charged = False
        self.log: list[str] = []

    @workflow.run
    async def run(self, product_id: int) -> str:
        product = await workflow.execute_activity(get_product, product_id, start_to_close_timeout=timedelta(seconds=5))
        charge = await workflow.execute_activity(
            charge_customer,
            product,
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=FAST_RETRY,
        )
        self.charged = True
        self.log.append(charge)
        self.state = "Charged"
        try:
            await workflow.wait_condition(lambda: self.state == "Picked up", timeout=timedelta(minutes=1))
        except TimeoutError:
            self.state = "Abandoned"
            return "abandoned"
        await workflow.wait_condition(lambda: self.state == "Delivered")
        receipt = await workflow.execute_activity(send_receipt, charge, start_to_close_timeout=timedelta(seconds=5))
        self.log.append(receipt)
        return f"{product.name} delivered"

    @workflow.signal
    def picked_up(self) -> None:
        if self.state == "Charged":
            self.state = "Picked up"
            self.log.append("picked up")

    @workflow.signal
    async def delivered(self, who: str) -> None:
        await workflow.sleep(0.05)
        self.state = "Delivered"
        self.log.append(f"delivered by {who}")

    @workflow.query
    def get_status(self) -> OrderStatus:
        return OrderStatus(self.state, self.charged, list(self.log))


async def _serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[Order],
        activities=[get_product, charge_customer, send_receipt],
        activity_executor=ThreadPoolExecutor(4),
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=1),
    )
    print("ready", flush=True)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1], sys.argv[2]))
