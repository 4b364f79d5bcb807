"""The workflow `bench.bench_cli` points the CLIs at: it waits for signals and answers a query.

Side-effect free: the official SDK's sandbox re-imports this module.
"""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="BenchIdle")
class BenchIdle:
    def __init__(self) -> None:
        self.pokes = 0

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.pokes < 0)
        return self.pokes

    @workflow.signal
    def poke(self, n: int) -> None:
        self.pokes += n

    @workflow.query
    def count(self) -> int:
        return self.pokes
