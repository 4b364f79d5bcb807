"""Workflows for the workflow-update tests (importable: the official SDK's sandbox re-imports it)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from temporalio.client import Client
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@workflow.defn
class UpdateWorkflow:
    """A counter driven by updates and signals.

    - `add` (no validator) adds to the counter and returns the new value;
    - `add_checked` does the same but its validator rejects negative amounts;
    - `add_after_release` is accepted at once, then waits for the `release` signal;
    - `fail_after_accept` is accepted, then fails with an ApplicationError;
    - `note` (update) and `push` (signal) both append to `log`, to check ordering;
    - queries `value`, `calls` (how often an update handler ran) and `log`;
    - signal `finish` ends the run, returning the counter.
    """

    def __init__(self) -> None:
        self.value = 0
        self.handler_calls = 0
        self.released = False
        self.done = False
        self.entries: list[str] = []

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.value

    @workflow.update
    def add(self, amount: int) -> int:
        self.handler_calls += 1
        self.value += amount
        return self.value

    @workflow.update
    def add_checked(self, amount: int) -> int:
        self.handler_calls += 1
        self.value += amount
        return self.value

    @add_checked.validator
    def check_add(self, amount: int) -> None:
        if amount < 0:
            raise ValueError("negative amounts are not allowed")

    @workflow.update
    async def add_after_release(self, amount: int) -> int:
        self.handler_calls += 1
        await workflow.wait_condition(lambda: self.released)
        self.value += amount
        return self.value

    @workflow.update
    def fail_after_accept(self, text: str) -> int:
        self.handler_calls += 1
        raise ApplicationError(text, "detail", type="HandlerFailed")

    @workflow.update
    def note(self, entry: str) -> list[str]:
        self.entries.append(f"update:{entry}")
        return list(self.entries)

    @workflow.signal
    def push(self, entry: str) -> None:
        self.entries.append(f"signal:{entry}")

    @workflow.signal
    def release(self) -> None:
        self.released = True

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def current(self) -> int:
        return self.value

    @workflow.query
    def calls(self) -> int:
        return self.handler_calls

    @workflow.query
    def log(self) -> list[str]:
        return list(self.entries)


@workflow.defn
class QuickWorkflow:
    """Finishes at once: for updates sent to a closed workflow."""

    @workflow.run
    async def run(self) -> str:
        return "done"


@workflow.defn
class AbandonsUpdateWorkflow:
    """Ends on the `finish` signal even while an update is still running.

    - `hold` (update) is accepted, then waits for `release`; the run abandons it if it ends first;
    - `echo` (update) returns its argument at once.
    """

    def __init__(self) -> None:
        self.done = False
        self.released = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.done)
        return "finished"

    @workflow.update(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def hold(self, text: str) -> str:
        await workflow.wait_condition(lambda: self.released)
        return text

    @workflow.update
    def echo(self, text: str) -> str:
        return text

    @workflow.signal
    def release(self) -> None:
        self.released = True

    @workflow.signal
    def finish(self) -> None:
        self.done = True


def update_worker(client: Client, task_queue: str) -> Worker:
    """A worker for the workflows here."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[UpdateWorkflow, QuickWorkflow],
        graceful_shutdown_timeout=timedelta(seconds=0),
        workflow_runner=UnsandboxedWorkflowRunner(),  # the sandbox's checks cost CPU, not wire behaviour
    )
