"""A workflow whose first workflow task fails once, for recording a history with a failed task."""

from __future__ import annotations

from datetime import timedelta

from sdk import workflow

FAIL_NEXT_TASK = {"on": False}


@workflow.defn
class Flaky:
    def __init__(self) -> None:
        self.names: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.sleep(timedelta(milliseconds=10))
        if FAIL_NEXT_TASK["on"]:
            FAIL_NEXT_TASK["on"] = False
            raise RuntimeError("a bug, fixed by the next attempt")
        await workflow.wait_condition(lambda: len(self.names) >= 2)
        return self.names

    @workflow.signal
    def add(self, name: str) -> None:
        self.names.append(name)
