"""The official SDK's counterparts of ``activities_app``, under the same names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RawValue, RetryPolicy

TOKENS: dict[str, bytes] = {}


@activity.defn
async def completes_later(text: str) -> str:
    TOKENS[activity.info().workflow_id] = activity.info().task_token
    activity.raise_complete_async()


@activity.defn
async def eager_step(text: str) -> str:
    return f"eager {text}"


@workflow.defn
class RunsActivity:
    @workflow.run
    async def run(self, name: str, args: list[Any], attempts: int) -> Any:
        return await workflow.execute_activity(
            name,
            args=args,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50), maximum_attempts=attempts),
        )


@workflow.defn(failure_exception_types=[LookupError])
class FailsOnLookup:
    @workflow.run
    async def run(self) -> None:
        raise KeyError("order 7 is not in the book")


@workflow.defn(dynamic=True)
class AnyWorkflow:
    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> str:
        values = [workflow.payload_converter().from_payload(a.payload, int) for a in args]
        return f"{workflow.info().workflow_type} summed {sum(values)}"


@workflow.defn
class TimesOut:
    @workflow.run
    async def run(self) -> None:
        raise TimeoutError("the courier did not answer")


@workflow.defn(failure_exception_types=[LookupError])
class Shelf:
    def __init__(self) -> None:
        self.closed = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.closed)
        return "closed"

    @workflow.update
    def look_up(self, item: str) -> str:
        return {"tea": "shelf 2"}[item]

    @workflow.signal
    def close(self) -> None:
        self.closed = True


@workflow.defn(name="Drift")
class DriftV1:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(3)
        return "v1"


@workflow.defn(name="Drift")
class DriftV2:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(eager_step, "v2", start_to_close_timeout=timedelta(seconds=5))
