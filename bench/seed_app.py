"""The seed scenario for benchmarks: an order with a payment activity, a signal and a query."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def charge(order_id: int) -> str:
    return f"charged {order_id}"


@workflow.defn
class BenchOrder:
    def __init__(self) -> None:
        self.picked_up = False

    @workflow.run
    async def run(self, order_id: int) -> str:
        receipt = await workflow.execute_activity(charge, order_id, start_to_close_timeout=timedelta(seconds=10))
        await workflow.wait_condition(lambda: self.picked_up)
        return receipt

    @workflow.signal
    def pick_up(self) -> None:
        self.picked_up = True

    @workflow.query
    def status(self) -> str:
        return "picked up" if self.picked_up else "waiting"
