"""A workflow written with the official ``temporalio`` SDK, to drive it with our client."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def shout(text: str) -> str:
    return text.upper()


@workflow.defn
class Greeter:
    def __init__(self) -> None:
        self.names: list[str] = []

    @workflow.run
    async def run(self, greeting: str) -> str:
        await workflow.wait_condition(lambda: len(self.names) >= 2)
        return await workflow.execute_activity(
            shout,
            f"{greeting}, {' and '.join(self.names)}",
            start_to_close_timeout=timedelta(seconds=5),
        )

    @workflow.signal
    def add(self, name: str) -> None:
        self.names.append(name)

    @workflow.query
    def count(self) -> int:
        return len(self.names)
