"""The workflows of bench.sdk_app written with the official ``temporalio`` SDK.

Side-effect free: the official SDK's sandbox re-imports this module. The
end-to-end workflow is bench.seed_app.BenchOrder, re-exported here.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

from bench.seed_app import BenchOrder, charge

__all__ = ["Batches", "BenchOrder", "Churn", "charge", "step"]

STEP_TIMEOUT = timedelta(seconds=30)


@activity.defn
async def step(i: int) -> int:
    return i


@workflow.defn
class Churn:
    """See bench.sdk_app.Churn: same type name, same commands."""

    def __init__(self) -> None:
        self.received = 0

    @workflow.run
    async def run(self, rounds: int, signals: int) -> int:
        total = 0
        for i in range(rounds):
            total += await workflow.execute_activity(step, i, start_to_close_timeout=STEP_TIMEOUT)
            await asyncio.sleep(0.001)
        await workflow.wait_condition(lambda: self.received >= signals)
        return total + self.received

    @workflow.signal
    def poke(self, n: int) -> None:
        self.received += n


@workflow.defn
class Batches:
    """See bench.sdk_app.Batches: same type name, same commands."""

    @workflow.run
    async def run(self, batches: int, width: int) -> int:
        done = 0
        for b in range(batches):
            results = await asyncio.gather(
                *(
                    workflow.execute_activity(step, b * width + i, start_to_close_timeout=STEP_TIMEOUT)
                    for i in range(width)
                )
            )
            done += len(results)
        return done

    @workflow.query
    def ready(self) -> bool:
        return True
