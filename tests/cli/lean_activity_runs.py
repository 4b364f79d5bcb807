"""What the tests of `tempo activity`'s lean path (`tempo_cli._lean_activity`) share: an
official worker whose activities wait to be acted on, and a command line's answer by `tempo`
(which must take the lean path) and by the Typer app."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.cli import by_hand_app
from tests.cli.answers import group_programs, run
from tests.cli.cli_results import new_id
from tests.cli.lean_answers import NOT_LEAN
from tests.cli.recorded_calls import recorded_calls
from tests.cli.startup_checks import run_reporting_messages
from tests.cli.threaded_peer import ThreadedPeer
from tests.devserver import compat_app, scenarios

LEAN = "tempo_cli._lean_activity"
Answer = tuple[int, str, str]


class ActivityPeer(ThreadedPeer):
    """An official client and worker on their own thread: `PausableWorkflow` runs an activity
    that heartbeats until paused, reset or unpaused; `AsyncCompletionWorkflow` runs two that
    wait to be completed or failed by id; `ByHandUnpolledActivity` schedules one nobody starts."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.task_queue = new_id("tq-lean-activity")
        self.client: Client = self.run(Client.connect(address))
        worker = Worker(
            self.client,
            task_queue=self.task_queue,
            workflows=[
                compat_app.PausableWorkflow,
                scenarios.AsyncCompletionWorkflow,
                by_hand_app.UnpolledActivityWorkflow,
            ],
            activities=[compat_app.heartbeat_until_told, scenarios.completed_elsewhere],
            max_heartbeat_throttle_interval=timedelta(milliseconds=300),
            default_heartbeat_throttle_interval=timedelta(milliseconds=300),
            workflow_runner=UnsandboxedWorkflowRunner(),
        )
        self.serve(worker)

    def heartbeating(self) -> str:
        """A new run whose activity (its id the run's) heartbeats, its attempt started."""
        workflow_id = new_id("lean-act")
        self.run(
            self.client.start_workflow(
                compat_app.PausableWorkflow.run, args=[workflow_id, 0], id=workflow_id, task_queue=self.task_queue
            )
        )
        self.wait_for(lambda: self.state(workflow_id, workflow_id) == 2, "the activity's attempt to start")
        return workflow_id

    def completed_elsewhere(self) -> str:
        """A new run whose activity "1" waits to be completed or failed by id (then "2" does)."""
        workflow_id = new_id("lean-async")
        self.run(
            self.client.start_workflow(
                scenarios.AsyncCompletionWorkflow.run, id=workflow_id, task_queue=self.task_queue
            )
        )
        self.wait_for(lambda: (workflow_id, "1") in scenarios.ASYNC_TOKENS, "the activity to start")
        return workflow_id

    def unpolled(self) -> str:
        """A new run whose activity (its id the run's) is scheduled on a queue nobody polls."""
        workflow_id = new_id("lean-unpolled")
        self.run(
            self.client.start_workflow(
                "ByHandUnpolledActivity", workflow_id, id=workflow_id, task_queue=self.task_queue
            )
        )
        self.wait_for(lambda: self.state(workflow_id, workflow_id) == 1, "the activity to be scheduled")
        return workflow_id

    def pending(self, workflow_id: str, activity_id: str) -> Any:
        """The activity as describe shows it; None when it is not pending."""

        async def find() -> Any:
            described = await self.client.get_workflow_handle(workflow_id).describe()
            return next((a for a in described.raw_description.pending_activities if a.activity_id == activity_id), None)

        return self.run(find())

    def state(self, workflow_id: str, activity_id: str) -> int:
        """Its PendingActivityState (0 when it is not pending)."""
        info = self.pending(workflow_id, activity_id)
        return 0 if info is None else int(info.state)

    def result(self, workflow_id: str) -> Any:
        return self.run(self.client.get_workflow_handle(workflow_id).result(), timeout=60)

    def wait_for(self, check: Any, what: str) -> Any:
        async def poll() -> Any:
            return await asyncio.to_thread(check)

        return self.run(scenarios.wait_until(poll, timeout=30, what=what), timeout=40)


def lean(args: list[str], environment: dict[str, str]) -> Answer:
    """`tempo activity ARGS` in a fresh interpreter, which must answer on the lean path
    (loading none of NOT_LEAN): its exit code, stdout and stderr."""
    out, messages, code, modules = run_reporting_messages(["activity", *args], environment)
    assert LEAN in modules, args
    loaded = [name for name in modules for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
    assert not loaded, (args, loaded)
    return code, out, "".join(line + "\n" for line in messages)


def apps(args: list[str], environment: dict[str, str]) -> Answer:
    """The Typer app's `tempo activity ARGS`."""
    return run(group_programs("activity")[1], args, environment)


def users(args: list[str], environment: dict[str, str]) -> Answer:
    """`tempo activity ARGS` as users run it (through the entry point)."""
    return run(group_programs("activity")[0], args, environment)


def given_way(args: list[str], environment: dict[str, str]) -> bool:
    """Whether `tempo activity ARGS` gave way to the app (it loaded `tempo_cli._cli` and Typer)."""
    _, _, _, modules = run_reporting_messages(["activity", *args], environment)
    return "tempo_cli._cli" in modules and "typer" in modules


def same_run(answer: Answer, workflow_id: str) -> Answer:
    """The answer with the run's workflow id (in its messages) read as W."""
    code, out, err = answer
    return code, out.replace(workflow_id, "W"), err.replace(workflow_id, "W")


def activity_calls(which: str, argv: list[str], environment: dict[str, str], log: Path) -> list[tuple[str, Any, Any]]:
    """The calls `tempo activity ARGV` (``which``: "tempo" or "app") made: its method, request,
    and headers with the deadline (in whole seconds)."""
    calls = recorded_calls(which, "activity", argv, environment, log)
    # A retried call's deadline: what is left of it.
    return [(call.method, call.request, (call.headers, round(call.timeout))) for call in calls]
