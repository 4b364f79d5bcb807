"""Workflows that finish together (importable: the official SDK's sandbox re-imports it)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow


@workflow.defn
class Sleeper:
    @workflow.run
    async def run(self, due: float) -> str:
        await workflow.sleep(timedelta(seconds=max(0.0, due - workflow.now().timestamp())))
        return "done"
