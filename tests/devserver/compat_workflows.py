"""Workflows for the wire-compatibility tests (issue 8), written as official-SDK users write them.

The official SDK's sandbox re-imports this module: no side effects at import time.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

PATCH_WORKFLOW = "PatchedWorkflow"


@activity.defn
async def step(i: int) -> int:
    return i


# ---- patching: four versions of one workflow, as a user evolves it -------------------------


@workflow.defn(name=PATCH_WORKFLOW)
class PatchV1:
    """Before the change."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.01)
        return "old"


@workflow.defn(name=PATCH_WORKFLOW)
class PatchV2:
    """The change guarded by `patched`: old runs keep the old path when replayed."""

    @workflow.run
    async def run(self) -> str:
        if workflow.patched("my-change-1"):
            await workflow.sleep(0.02)
            return "new"
        await workflow.sleep(0.01)
        return "old"


@workflow.defn(name=PATCH_WORKFLOW)
class PatchV3:
    """Every old run is gone: the patch is deprecated, only the new path is left."""

    @workflow.run
    async def run(self) -> str:
        workflow.deprecate_patch("my-change-1")
        await workflow.sleep(0.02)
        return "new"


@workflow.defn(name=PATCH_WORKFLOW)
class PatchV4:
    """The deprecated patch removed."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.02)
        return "new"


@workflow.defn
class TwoPatchesWorkflow:
    """Two patches in one task: TemporalChangeVersion lists both."""

    @workflow.run
    async def run(self) -> list[bool]:
        first = workflow.patched("change-a")
        second = workflow.patched("change-b")
        await workflow.sleep(0.01)
        return [first, second]


# ---- timers ------------------------------------------------------------------------------


@workflow.defn
class TinyTimersWorkflow:
    """Zero, sub-millisecond and millisecond sleeps, and a wait_condition with a zero timeout."""

    @workflow.run
    async def run(self) -> list[str]:
        seen = []
        await workflow.sleep(0)
        seen.append("slept 0")
        await workflow.sleep(0.0004)
        seen.append("slept 0.4ms")
        await workflow.sleep(timedelta(milliseconds=1))
        seen.append("slept 1ms")
        await asyncio.sleep(0)  # no timer at all: just yields
        seen.append("yielded")
        try:
            await workflow.wait_condition(lambda: False, timeout=0)
        except TimeoutError:
            seen.append("condition timed out")
        return seen


# ---- eager start -------------------------------------------------------------------------


@workflow.defn
class EagerHelloWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.execute_activity(step, 1, start_to_close_timeout=timedelta(seconds=10))
        return f"hello {name}"


# ---- history size and count ---------------------------------------------------------------


@workflow.defn
class GrowingHistoryWorkflow:
    """Runs `steps` activities (after `pad` memo upserts in its first task, to shift the event
    ids), noting before each what the SDK says about the history."""

    @workflow.run
    async def run(self, steps: int, pad: int = 0) -> list[tuple[int, bool]]:
        for i in range(pad):
            workflow.upsert_memo({f"pad{i}": i})
        seen = []
        for i in range(steps):
            info = workflow.info()
            seen.append((info.get_current_history_length(), info.is_continue_as_new_suggested()))
            await workflow.execute_activity(step, i, start_to_close_timeout=timedelta(seconds=10))
        return seen


@workflow.defn
class ContinueWhenSuggestedWorkflow:
    """Does work until the server suggests continue-as-new, then continues as new (once)."""

    @workflow.run
    async def run(self, generation: int) -> str:
        for i in range(50):
            if workflow.info().is_continue_as_new_suggested():
                if generation == 0:
                    workflow.continue_as_new(1)
                return f"generation {generation} stopped after {i} steps"
            await workflow.execute_activity(step, i, start_to_close_timeout=timedelta(seconds=10))
        return f"generation {generation} never told"


@workflow.defn
class SignalSizesWorkflow:
    """Takes `blob` signals until told to finish."""

    def __init__(self) -> None:
        self.received = 0
        self.finish = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.finish)
        return self.received

    @workflow.signal
    def blob(self, data: str) -> None:
        self.received += 1

    @workflow.signal
    def done(self) -> None:
        self.finish = True


# ---- workflow pause: a workflow waiting for a signal, paused meanwhile ----------------------


@workflow.defn
class SignalledAfterPauseWorkflow:
    def __init__(self) -> None:
        self.name = ""

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: bool(self.name))
        return f"hello {self.name}"

    @workflow.signal
    async def go(self, name: str) -> None:
        self.name = name


# ---- an activity nobody runs, answered by id (test_compat_activity_by_id.py) -------------------


@workflow.defn
class AwaitsAnActivityNobodyRuns:
    """Waits for an activity on a task queue no worker polls; someone answers it by id (as
    `temporal activity complete` does). Returns its result, or what its failure says."""

    @workflow.run
    async def run(self, task_queue: str) -> str:
        try:
            result = await workflow.execute_activity(
                "unpolled",
                task_queue=task_queue,
                activity_id="by-hand",
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            return f"{type(err.cause).__name__}: {err.cause}"
        return str(result)
