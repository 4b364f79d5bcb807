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
    @workflow.run
    async def run(self, seconds: float) -> str:
        await workflow.sleep(seconds)
        return "rested"
