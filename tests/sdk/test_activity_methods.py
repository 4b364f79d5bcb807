"""Activities as methods of an object that holds their dependencies (the sample's fake services)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sdk import activity, workflow
from sdk.client import Client
from sdk.worker import Worker


@dataclass
class Till:
    """Activities bound to per-worker state: the currency and what was charged."""

    currency: str
    charged: list[int]

    @activity.defn(name="chargeCard")
    async def charge(self, cents: int) -> str:
        self.charged.append(cents)
        return f"{cents / 100:.2f} {self.currency}"

    @activity.defn
    def receipt(self, amount: str) -> str:
        return f"receipt for {amount} ({activity.info().activity_type})"


@workflow.defn
class Checkout:
    @workflow.run
    async def run(self, cents: int) -> list[str]:
        amount = await workflow.execute_activity(Till.charge, cents, start_to_close_timeout=timedelta(seconds=10))
        receipt = await workflow.execute_activity(Till.receipt, amount, start_to_close_timeout=timedelta(seconds=10))
        return [amount, receipt]


async def test_bound_methods_run_as_activities_with_their_object(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    till = Till("EUR", [])
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Checkout],
        activities=[till.charge, till.receipt],
        activity_executor=activity_executor,
    ):
        result = await client.execute_workflow(
            Checkout.run, 1250, id=f"checkout-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
    assert result == ["12.50 EUR", "receipt for 12.50 EUR (receipt)"]
    assert till.charged == [1250]


async def test_the_activity_name_of_a_method_is_on_the_wire(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    till = Till("USD", [])
    workflow_id = f"checkout-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Checkout],
        activities=[till.charge, till.receipt],
        activity_executor=activity_executor,
    ):
        await client.execute_workflow(Checkout.run, 300, id=workflow_id, task_queue=task_queue)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    names = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert names == ["chargeCard", "receipt"]
