"""Workflows a schedule starts, for tests/devserver/test_schedules.py (importable: the SDK's sandbox re-imports it)."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError


@workflow.defn
class ScheduledWork:
    """Waits `seconds` (0: returns at once), then answers with its workflow id."""

    @workflow.run
    async def run(self, seconds: float) -> str:
        if seconds:
            await asyncio.sleep(seconds)
        return workflow.info().workflow_id


@workflow.defn
class ScheduledFailure:
    """Fails at once, for good (pause-on-failure)."""

    @workflow.run
    async def run(self) -> None:
        raise ApplicationError("kitchen closed", non_retryable=True)
