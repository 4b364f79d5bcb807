"""Workflows for the persistence tests (importable: the official SDK's sandbox re-imports it)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy


@activity.defn
async def prepare(order_id: int) -> str:
    return f"prepared {order_id}"


@activity.defn
async def deliver(order_id: int) -> str:
    return f"delivered {order_id}"


@workflow.defn
class DurableOrder:
    """Activity, timer, signal, activity: each step must survive a server crash."""

    def __init__(self) -> None:
        self.picked_up = False

    @workflow.run
    async def run(self, order_id: int, nap_seconds: float) -> str:
        options = {
            "start_to_close_timeout": timedelta(seconds=10),
            "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=200)),
        }
        first = await workflow.execute_activity(prepare, order_id, **options)  # type: ignore[arg-type]
        await workflow.sleep(nap_seconds)
        await workflow.wait_condition(lambda: self.picked_up)
        second = await workflow.execute_activity(deliver, order_id, **options)  # type: ignore[arg-type]
        return f"{first}, {second}"

    @workflow.signal
    def pick_up(self) -> None:
        self.picked_up = True


@workflow.defn
class Napper:
    def __init__(self) -> None:
        self.seconds = 0.0

    @workflow.run
    async def run(self, seconds: float) -> str:
        self.seconds = seconds
        await workflow.sleep(seconds)
        return "rested"

    @workflow.query
    def nap_length(self) -> float:
        return self.seconds


@workflow.defn
class Courier:
    """A child that waits to be released."""

    def __init__(self) -> None:
        self.released = False

    @workflow.run
    async def run(self, order_id: int) -> str:
        await workflow.wait_condition(lambda: self.released)
        return f"courier {order_id} arrived"

    @workflow.signal
    def release(self) -> None:
        self.released = True


@workflow.defn
class Dispatcher:
    """A parent that runs a child and also signals it from the workflow."""

    @workflow.run
    async def run(self, order_id: int) -> str:
        child_id = f"{workflow.info().workflow_id}-courier"
        child = await workflow.start_child_workflow(Courier.run, order_id, id=child_id)
        await workflow.sleep(1.0)  # the server is killed around here
        await workflow.get_external_workflow_handle(child_id).signal(Courier.release)
        return await child
