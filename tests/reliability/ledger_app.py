"""The kill loop's workflow, written with the official SDK (side-effect free: its sandbox
re-imports this module)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

TIMEOUT = timedelta(seconds=5)
RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=1))


@activity.defn
async def prepare_order(order: int) -> str:
    return f"prepared {order}"


@activity.defn
async def deliver_order(order: int) -> str:
    return f"delivered {order}"


@workflow.defn
class LedgerOrder:
    """An activity, a timer, `signals` signals, an activity: every step must survive SIGKILL."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    @workflow.run
    async def run(self, order: int, nap: float, signals: int) -> str:
        first = await workflow.execute_activity(
            prepare_order, order, start_to_close_timeout=TIMEOUT, retry_policy=RETRY
        )
        await workflow.sleep(nap)
        await workflow.wait_condition(lambda: len(self.tokens) >= signals)
        second = await workflow.execute_activity(
            deliver_order, order, start_to_close_timeout=TIMEOUT, retry_policy=RETRY
        )
        return f"{first}, {second}, {len(self.tokens)} signals"

    @workflow.signal
    def add(self, token: str) -> None:
        self.tokens.append(token)

    @workflow.query
    def signals_seen(self) -> int:
        return len(self.tokens)
