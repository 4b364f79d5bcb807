"""`tempo activity pause|unpause|reset|complete|fail` end to end, on both servers (issue 8,
item 8): an official worker runs the workflows on its own thread, our CLI acts on their
activities as a user types it, and what the workflow and describe show must follow. `fail` and
`complete` are checked against the real `temporal activity` commands too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from google.protobuf import json_format
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.cli.cli_results import new_id, one_line_error, real_cli
from tests.cli.conftest import Tempo
from tests.cli.threaded_peer import ThreadedPeer
from tests.devserver import compat_app, scenarios


class Peer(ThreadedPeer):
    """An official client and worker on their own thread and event loop (the CLI runs its own)."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address
        self.task_queue = new_id("tq-activity-cli")
        # Its own client (not scenarios.client_for's, which belongs to the tests' event loop).
        self.client: Client = self.run(Client.connect(address))
        self.serve(self.run(self._make_worker()))

    async def _make_worker(self) -> Worker:
        return Worker(
            self.client,
            task_queue=self.task_queue,
            workflows=[*compat_app.WORKFLOWS, scenarios.AsyncCompletionWorkflow],
            activities=[compat_app.heartbeat_until_told, scenarios.completed_elsewhere],
            max_heartbeat_throttle_interval=timedelta(milliseconds=300),
            default_heartbeat_throttle_interval=timedelta(milliseconds=300),
            workflow_runner=UnsandboxedWorkflowRunner(),  # the sandbox's checks cost CPU, not wire behaviour
        )

    def pending(self, workflow_id: str, activity_id: str) -> Any:
        async def find() -> Any:
            described = await self.client.get_workflow_handle(workflow_id).describe()
            return next((a for a in described.raw_description.pending_activities if a.activity_id == activity_id), None)

        return self.run(find())

    def wait_for(self, check: Any, what: str) -> Any:
        async def poll() -> Any:
            return await asyncio.to_thread(check)

        return self.run(scenarios.wait_until(poll, timeout=30, what=what), timeout=40)


@pytest.fixture
def peer(server_address: str) -> Iterator[Peer]:
    peer = Peer(server_address)
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def tempo_activity(server_address: str) -> Tempo:
    """Run `tempo activity ARGS... --address <server under test>`."""
    from typer.testing import CliRunner

    from tempo_cli.main import app

    runner = CliRunner()

    def run(*args: str) -> Any:
        argv = ["activity", *args, "--address", server_address]
        return runner.invoke(app, argv, env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None})

    return run


def test_pause_unpause_and_reset(peer: Peer, tempo_activity: Tempo) -> None:
    workflow_id, activity_id = new_id("cli-pause"), new_id("act")
    compat_app.PAUSE_MODES[activity_id] = "raise"
    handle = peer.run(
        peer.client.start_workflow(
            compat_app.PausableWorkflow.run, args=[activity_id, 1], id=workflow_id, task_queue=peer.task_queue
        )
    )

    def state() -> str:
        info = peer.pending(workflow_id, activity_id)
        return "" if info is None else str(info.state)

    peer.wait_for(lambda: state() == "2" and compat_app.ATTEMPTS.get(activity_id), "the activity running")  # STARTED
    paused = tempo_activity("pause", "-w", workflow_id, "-a", activity_id, "--reason", "card service down")
    assert paused.exit_code == 0, paused.stderr
    assert f"Paused activity {activity_id} of workflow {workflow_id}." in paused.stderr
    info = peer.pending(workflow_id, activity_id)
    assert info.paused and info.pause_info.manual.reason == "card service down"
    # The pause cancels the running attempt; its failure leaves attempt 2 waiting (PAUSED = 4).
    peer.wait_for(lambda: state() == "4", "the attempt to fail and the next to wait")
    again = tempo_activity("pause", "-w", workflow_id, "-a", activity_id, "--reason", "again")
    assert one_line_error(again) == f"activity {activity_id!r} of workflow {workflow_id!r} is already paused"

    doc = json.loads(tempo_activity("reset", "-w", workflow_id, "-a", activity_id, "-o", "json").stdout)
    assert doc == {"workflowId": workflow_id, "activityId": activity_id, "reset": True}
    assert peer.run(handle.result()) == "attempt 1 finished"  # reset unpaused it; attempts count from 1
    assert [attempt for attempt, _ in compat_app.ATTEMPTS.pop(activity_id)] == [1, 1]

    closed = tempo_activity("unpause", "-w", workflow_id, "-a", activity_id)
    assert one_line_error(closed) == f"workflow {workflow_id!r} is already closed"


def test_unknown_workflow_and_activity(peer: Peer, tempo_activity: Tempo) -> None:
    missing = tempo_activity("pause", "-w", "no-such-workflow", "-a", "1")
    assert one_line_error(missing) == "workflow 'no-such-workflow' not found in namespace 'default'"
    workflow_id = new_id("cli-unknown")
    peer.run(peer.client.start_workflow(compat_app.QuickWorkflow.run, id=workflow_id, task_queue=new_id("nobody")))
    error = one_line_error(tempo_activity("unpause", "-w", workflow_id, "-a", "nope"))
    assert error.startswith(f"activity 'nope' is not pending in workflow {workflow_id!r}")
    bad = tempo_activity("complete", "-w", workflow_id, "-a", "1", "--result", "{oops")
    assert one_line_error(bad).startswith("--result is not valid JSON")
    peer.run(peer.client.get_workflow_handle(workflow_id).terminate())


def _async_activity_workflow(peer: Peer) -> tuple[str, Any]:
    workflow_id = new_id("cli-async")
    handle = peer.run(
        peer.client.start_workflow(scenarios.AsyncCompletionWorkflow.run, id=workflow_id, task_queue=peer.task_queue)
    )
    peer.wait_for(lambda: (workflow_id, "1") in scenarios.ASYNC_TOKENS, "the activity to start")
    return workflow_id, handle


def test_complete_and_fail_like_the_real_cli(peer: Peer, tempo_activity: Tempo, server_address: str) -> None:
    """Ours and the real `temporal activity complete/fail` record the same outcome."""
    outcomes = []
    for use_real in (False, True):
        workflow_id, handle = _async_activity_workflow(peer)
        if use_real:
            real_cli(server_address, "activity", "fail", "-w", workflow_id, "-a", "1",
                     "--reason", "card declined", "--detail", '{"code": 51}')  # fmt: skip
        else:
            failed = tempo_activity("fail", "-w", workflow_id, "-a", "1", "--reason", "card declined",
                                    "--detail", '{"code": 51}')  # fmt: skip
            assert failed.exit_code == 0, failed.stderr
        # The workflow goes on with a second activity (id 2), which the CLI completes.
        peer.wait_for(lambda workflow_id=workflow_id: (workflow_id, "2") in scenarios.ASYNC_TOKENS, "activity 2")
        if use_real:
            real_cli(server_address, "activity", "complete", "-w", workflow_id, "-a", "2", "--result", '"paid"')
        else:
            done = tempo_activity("complete", "-w", workflow_id, "-a", "2", "--result", '"paid"')
            assert done.exit_code == 0, done.stderr
        result = peer.run(handle.result())
        events = peer.run(scenarios.events(handle))
        failures = [
            json_format.MessageToDict(e.activity_task_failed_event_attributes.failure)
            for e in events
            if e.activity_task_failed_event_attributes.HasField("failure")
        ]
        completions = [
            e.activity_task_completed_event_attributes.result.payloads[0].data
            for e in events
            if e.activity_task_completed_event_attributes.HasField("result")
        ]
        outcomes.append((result, failures, completions))
        for activity_id in ("1", "2"):
            scenarios.ASYNC_TOKENS.pop((workflow_id, activity_id), None)
    ours, real = outcomes
    assert ours == real
    assert ours[0] == ["failed: card declined", "paid"]
    assert ours[1][0]["message"] == "card declined"
    assert ours[2] == [b'"paid"']


def test_real_cli_pauses_and_unpauses(peer: Peer, server_address: str) -> None:
    """The real `temporal activity pause/update-options/unpause` (the *ActivityExecution calls)."""
    workflow_id, activity_id = new_id("real-cli-pause"), new_id("act")
    compat_app.PAUSE_MODES[activity_id] = "raise"
    handle = peer.run(
        peer.client.start_workflow(
            compat_app.PausableWorkflow.run, args=[activity_id, 1], id=workflow_id, task_queue=peer.task_queue
        )
    )

    def state() -> str:
        info = peer.pending(workflow_id, activity_id)
        return "" if info is None else str(info.state)

    peer.wait_for(lambda: state() == "2" and compat_app.ATTEMPTS.get(activity_id), "the activity running")
    real_cli(server_address, "activity", "pause", "-w", workflow_id, "-a", activity_id, "--reason", "cli")
    peer.wait_for(lambda: state() == "4", "the activity paused and waiting")
    real_cli(server_address, "activity", "update-options", "-w", workflow_id, "-a", activity_id,
             "--heartbeat-timeout", "9s")  # fmt: skip
    assert peer.pending(workflow_id, activity_id).activity_options.heartbeat_timeout.seconds == 9
    real_cli(server_address, "activity", "unpause", "-w", workflow_id, "-a", activity_id)
    assert peer.run(handle.result()) == "attempt 2 finished"
    compat_app.ATTEMPTS.pop(activity_id, None)
