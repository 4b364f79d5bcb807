"""``update_app.Counter`` written with the official SDK, under the same type name."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError


@workflow.defn(name="Counter")
class Counter:
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
    def check_add(self, amount: int) -> None:
        if amount < 0:
            raise ValueError("negative amounts are refused")

    @workflow.update
    async def add_when_released(self, amount: int) -> int:
        await workflow.wait_condition(lambda: self.released)
        self.total += amount
        return self.total

    @workflow.update
    def fail(self, text: str) -> int:
        raise ApplicationError(text, type="CounterError")

    @workflow.update(name="finish")
    def finish_counting(self) -> int:
        self.done = True
        return self.total

    @workflow.signal
    def release(self) -> None:
        self.released = True

    @workflow.query
    def current(self) -> int:
        return self.total
