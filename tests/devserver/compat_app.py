"""Workflows and activities for the wire-compatibility tests of issue 8 (test_compat_*.py,
test_activity_pause.py, test_update_with_start_existing.py).

Importable without side effects: the official SDK's workflow sandbox re-imports it.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow


@workflow.defn
class RollOverWorkflow:
    """Continues as new `n` times, then waits for the `finish` signal."""

    def __init__(self) -> None:
        self.finished = False

    @workflow.run
    async def run(self, n: int) -> str:
        if n > 0:
            workflow.continue_as_new(n - 1)
        await workflow.wait_condition(lambda: self.finished)
        return "finished"

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


@workflow.defn
class QuickWorkflow:
    """Completes at once (after a short timer, so it has more than one workflow task)."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(milliseconds=10))
        return "quick"

    @workflow.query
    def ping(self) -> str:
        return "pong"


WORKFLOWS = [RollOverWorkflow, QuickWorkflow]
