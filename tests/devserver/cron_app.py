"""A cron workflow for tests/devserver/test_cron.py (importable: the official SDK's sandbox re-imports it)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError


@workflow.defn
class CronTick:
    """Counts its runs through the last completion result; the second run fails once."""

    @workflow.run
    async def run(self) -> int:
        previous = workflow.get_last_completion_result(int) or 0
        count = previous + 1
        if count == 2 and workflow.get_last_failure() is None:
            raise ApplicationError("the second run fails once", non_retryable=True)
        return count
