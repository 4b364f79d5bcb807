"""Workflows and activities for the reset tests (test_reset.py, test_reset_cli.py,
test_reset_persistence.py).

They run unsandboxed: the "fix the bug and reset" workflows read `FIXED` (set by the test
between the two runs, as a deploy would change the code), and the async activity leaves
its task token in `TOKENS` for the test to complete it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

# Workflow ids whose bug has been fixed ("deployed").
FIXED: set[str] = set()
# (workflow id, run id) -> task token of `complete_later`, for the test to complete it.
TOKENS: dict[tuple[str, str], bytes] = {}


@activity.defn
async def reserve(item: str) -> str:
    return f"reserved {item}"


@activity.defn
async def complete_later() -> str:
    info = activity.info()
    TOKENS[(info.workflow_id, info.workflow_run_id)] = info.task_token
    activity.raise_complete_async()


@workflow.defn
class Collector:
    """Reserves an item, then collects `add` signals and `note` updates until `close`."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.closed = False

    @workflow.run
    async def run(self) -> list[str]:
        reserved = await workflow.execute_activity(reserve, "x", start_to_close_timeout=timedelta(seconds=10))
        await workflow.wait_condition(lambda: self.closed)
        return [reserved, *self.items]

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def close(self) -> None:
        self.closed = True

    @workflow.update
    def note(self, item: str) -> str:
        self.items.append(f"note:{item}")
        return "noted"


@workflow.defn
class BuggyOrder:
    """Reserves an item, then fails, until its bug is fixed."""

    @workflow.run
    async def run(self) -> str:
        reserved = await workflow.execute_activity(reserve, "y", start_to_close_timeout=timedelta(seconds=10))
        if workflow.info().workflow_id not in FIXED:
            raise ApplicationError("bug: total is negative")
        return f"{reserved}, fixed"


@workflow.defn
class StuckOrder:
    """Reserves an item, then its workflow task fails (the workflow is stuck), until fixed."""

    @workflow.run
    async def run(self) -> str:
        reserved = await workflow.execute_activity(reserve, "z", start_to_close_timeout=timedelta(seconds=10))
        if workflow.info().workflow_id not in FIXED:
            raise RuntimeError("bug: cannot compute the total")
        return f"{reserved}, unstuck"


@workflow.defn
class Waiter:
    """Starts an activity (completed by the test) and a timer, and waits for `poke`; then both."""

    def __init__(self) -> None:
        self.poked = False

    @workflow.run
    async def run(self, timer_seconds: float) -> str:
        result = workflow.start_activity(complete_later, start_to_close_timeout=timedelta(seconds=120))
        timer = asyncio.ensure_future(workflow.sleep(timer_seconds))
        await workflow.wait_condition(lambda: self.poked)
        await timer
        return str(await result)

    @workflow.signal
    def poke(self) -> None:
        self.poked = True


@workflow.defn
class WaitingChild:
    def __init__(self) -> None:
        self.finished = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.finished)
        return "child done"

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


@workflow.defn
class Parent:
    """Starts a child, waits for `poke`, then for the child's result."""

    def __init__(self) -> None:
        self.poked = False

    @workflow.run
    async def run(self) -> str:
        child = await workflow.start_child_workflow(WaitingChild.run, id=f"{workflow.info().workflow_id}-child")
        await workflow.wait_condition(lambda: self.poked)
        return f"parent got: {await child}"

    @workflow.signal
    def poke(self) -> None:
        self.poked = True


@workflow.defn
class Relay:
    """Waits for a `tick`, then continues as new `left` times; returns the ticks of its last run."""

    def __init__(self) -> None:
        self.ticks = 0

    @workflow.run
    async def run(self, left: int) -> str:
        await workflow.wait_condition(lambda: self.ticks > 0)
        if left > 0:
            workflow.continue_as_new(left - 1)
        return f"ticks: {self.ticks}"

    @workflow.signal
    def tick(self) -> None:
        self.ticks += 1


WORKFLOWS = [Collector, BuggyOrder, StuckOrder, Waiter, WaitingChild, Parent, Relay]
ACTIVITIES = [reserve, complete_later]


def worker(client: Client, task_queue: str, **kwargs: Any) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        workflow_runner=UnsandboxedWorkflowRunner(),
        graceful_shutdown_timeout=timedelta(seconds=0),
        **kwargs,
    )
