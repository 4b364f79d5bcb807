"""Workflows and workers for the CLI defects found by trying `tempo` by hand (issue 17, item 5).

An official `temporalio` worker runs a workflow whose activity no worker polls (so it stays
scheduled, never started) and a parent of a child workflow; a worker of our own SDK runs a
workflow whose closed runs have no stack. Each peer lives on a thread with its own event loop,
since the CLI under test runs its own on the test's thread.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from temporalio import workflow as official_workflow
from temporalio.client import Client as OfficialClient
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker import Worker as OfficialWorker

from sdk import Client, workflow
from sdk.worker import Worker
from tests.cli.threaded_peer import ThreadedPeer
from tests.sdk_client.workflows import Waiter


@official_workflow.defn(name="ByHandUnpolledActivity")
class UnpolledActivityWorkflow:
    """Schedules one activity on a task queue no worker polls: it stays scheduled, not started."""

    @official_workflow.run
    async def run(self, activity_id: str) -> Any:
        return await official_workflow.execute_activity(
            "nobody_runs_this",
            task_queue=f"{official_workflow.info().task_queue}-unpolled",
            activity_id=activity_id,
            start_to_close_timeout=timedelta(minutes=5),
        )


@official_workflow.defn(name="ByHandParent")
class ParentOfWaiter:
    """Starts a `Waiter` child with the given ID and waits for it."""

    @official_workflow.run
    async def run(self, child_id: str) -> Any:
        return await official_workflow.execute_child_workflow("Waiter", id=child_id)


@workflow.defn(name="ByHandGreeting")
class OurGreeting:
    """Run by our SDK's worker: once closed, none of its code is left waiting."""

    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"


class OfficialPeer(ThreadedPeer):
    """An official client and worker for Waiter, UnpolledActivityWorkflow and ParentOfWaiter."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.task_queue = f"tq-by-hand-{uuid.uuid4().hex[:8]}"
        self.client: OfficialClient = self.run(OfficialClient.connect(address))
        self.serve(
            OfficialWorker(
                self.client,
                task_queue=self.task_queue,
                workflows=[Waiter, UnpolledActivityWorkflow, ParentOfWaiter],
                workflow_runner=UnsandboxedWorkflowRunner(),
            )
        )

    def wait_for(self, check: Any, what: str, timeout: float = 30) -> Any:
        """Poll ``check()`` (run on the peer's loop, an ``async`` function) until it returns something true."""

        async def poll() -> Any:
            deadline = asyncio.get_running_loop().time() + timeout
            while asyncio.get_running_loop().time() < deadline:
                value = await check()
                if value:
                    return value
                await asyncio.sleep(0.1)
            raise AssertionError(f"timed out waiting for {what}")

        return self.run(poll(), timeout=timeout + 10)


class OurSdkPeer(ThreadedPeer):
    """Our SDK's client and worker for OurGreeting."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.task_queue = f"tq-by-hand-ours-{uuid.uuid4().hex[:8]}"
        self.client: Client = self.run(Client.connect(address))
        self.worker = Worker(self.client, task_queue=self.task_queue, workflows=[OurGreeting])
        asyncio.run_coroutine_threadsafe(self.worker.run(), self._loop)

    def close(self) -> None:
        self.run(self.worker.shutdown())
        self.run(self.client.close())
        super().close()


def one_line_usage_error(result: Any) -> str:
    """The error a malformed command line printed: one line on stderr, exit code 2, nothing on stdout."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert result.stdout == ""
    return str(lines[0].removeprefix("error: "))
