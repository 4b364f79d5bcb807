"""Workflows run by an official `temporalio` worker, driven through Tempo's client.

The official SDK is the reference peer here: whatever our client sends, a real
worker must understand, and whatever it answers, our client must decode.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client as TemporalClient
from temporalio.exceptions import ApplicationError as TemporalApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@dataclass
class Item:
    name: str
    quantity: int


@dataclass
class Order:
    id: str
    items: list[Item]
    note: str | None = None


@workflow.defn(name="Greeting")
class Greeting:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"


@workflow.defn(name="OrderTotal")
class OrderTotal:
    @workflow.run
    async def run(self, order: Order) -> Order:
        # Echo the order with a note, so the test sees a dataclass both ways.
        total = sum(i.quantity for i in order.items)
        return Order(order.id, order.items, note=f"{total} items")


@workflow.defn(name="Waiter")
class Waiter:
    """Collects signals until `finish`; answers queries about what it has."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        return self.items

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def count(self) -> int:
        return len(self.items)

    @workflow.query
    def items_with_prefix(self, prefix: str) -> list[str]:
        return [prefix + item for item in self.items]

    @workflow.query
    def broken(self) -> int:
        raise ValueError("this query is broken")


@workflow.defn(name="Failing")
class Failing:
    @workflow.run
    async def run(self, reason: str) -> None:
        raise TemporalApplicationError(reason, {"code": 7}, type="OrderRejected", non_retryable=True)


@workflow.defn(name="Countdown")
class Countdown:
    @workflow.run
    async def run(self, n: int) -> str:
        if n > 0:
            workflow.continue_as_new(n - 1)
        return f"liftoff after {workflow.info().run_id}"


@activity.defn(name="flaky")
async def flaky(message: str) -> str:
    raise TemporalApplicationError(message, type="FlakyError", non_retryable=True)


@workflow.defn(name="CallsFlaky")
class CallsFlaky:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(flaky, "activity broke", start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="Sleeper")
class Sleeper:
    """Waits for cancellation (or a long timer); reports how it ended."""

    @workflow.run
    async def run(self) -> str:
        await asyncio.sleep(3600)
        return "woke up"


@workflow.defn(name="Tally")
class Tally:
    """A total changed by updates: `add` (its validator refuses negatives), `add_when_released`
    (waits for the `release` signal), `fail` (raises); `finish` ends the run."""

    def __init__(self) -> None:
        self.total = 0
        self.released = False
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.total

    @workflow.update
    def add(self, amount: int) -> int:
        self.total += amount
        return self.total

    @add.validator
    def _check_add(self, amount: int) -> None:
        if amount < 0:
            raise ValueError("negative amounts are refused")

    @workflow.update
    async def add_when_released(self, amount: int) -> int:
        await workflow.wait_condition(lambda: self.released)
        self.total += amount
        return self.total

    @workflow.update
    def fail(self, text: str) -> int:
        raise TemporalApplicationError(text, type="TallyError")

    @workflow.signal
    def release(self) -> None:
        self.released = True

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn(name="FamilyLeaf")
class FamilyLeaf:
    """Waits until signalled `finish`."""

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.done)
        return "leaf done"

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn(name="FamilyChild")
class FamilyChild:
    """Returns at once (`wait` false), or starts a FamilyLeaf and waits for it."""

    @workflow.run
    async def run(self, wait: bool) -> str:
        if not wait:
            return "child done"
        return await workflow.execute_child_workflow(FamilyLeaf.run, id=f"{workflow.info().workflow_id}-leaf")


@workflow.defn(name="FamilyRoot")
class FamilyRoot:
    """Two children: one returns at once, the other waits on a leaf of its own."""

    @workflow.run
    async def run(self) -> str:
        me = workflow.info().workflow_id
        done = await workflow.execute_child_workflow(FamilyChild.run, False, id=f"{me}-quick")
        waited = await workflow.execute_child_workflow(FamilyChild.run, True, id=f"{me}-waits")
        return f"{done}, {waited}"


ALL_WORKFLOWS = [
    Greeting,
    OrderTotal,
    Waiter,
    Failing,
    Countdown,
    CallsFlaky,
    Sleeper,
    Tally,
    FamilyRoot,
    FamilyChild,
    FamilyLeaf,
]


@contextlib.asynccontextmanager
async def official_worker(address: str, task_queue: str = "") -> AsyncIterator[str]:
    """Run an official worker for ALL_WORKFLOWS on ``task_queue`` (a fresh one when empty);
    yield the queue."""
    client = await TemporalClient.connect(address)
    task_queue = task_queue or f"tq-{uuid.uuid4()}"
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=ALL_WORKFLOWS,
        activities=[flaky],
        workflow_runner=UnsandboxedWorkflowRunner(),
        max_cached_workflows=100,
    )
    async with worker:
        yield task_queue
