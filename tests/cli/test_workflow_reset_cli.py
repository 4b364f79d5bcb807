"""`tempo workflow reset` end to end, on both servers: the reset point from `--type` or
`--event-id`, signals given to the new run again or not (`--reapply-exclude`), the real CLI's
words (`Resetting workflow … to event ID …`, `{"runId": …}` with `-o json`), one-line errors.

An official worker runs `reset_app.Collector` (reserve an item, collect `add` signals until
`close`) on its own thread and event loop, since the CLI runs its own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowHandle
from typer.testing import CliRunner

from tests.cli.cli_results import new_id, one_line_error, real_cli
from tests.cli.threaded_peer import ThreadedPeer
from tests.devserver import reset_app, scenarios
from tests.devserver.reset_app import Collector

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(180)]


class Peer(ThreadedPeer):
    """An official client and a worker for the reset workflows, on their own thread and loop."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.task_queue = new_id("tq-reset-cli")
        self.client: Client = self.run(scenarios.client_for(address))
        self.serve(reset_app.worker(self.client, self.task_queue))

    def start_collector(self) -> WorkflowHandle[Any, Any]:
        return self.run(self.client.start_workflow(Collector.run, id=new_id("reset-cli"), task_queue=self.task_queue))

    def events(self, workflow_id: str, run_id: str = "", at_least: int = 0, having: int = 0) -> list[Any]:
        """The run's events once it has `at_least` of them (and an event of type `having`)."""

        async def settled() -> list[Any]:
            handle = self.client.get_workflow_handle(workflow_id, run_id=run_id or None)

            async def ready() -> list[Any] | None:
                events = [event async for event in handle.fetch_history_events()]
                enough = len(events) >= at_least and (not having or any(e.event_type == having for e in events))
                return events if enough else None

            return await scenarios.wait_until(ready, timeout=30, what=f"{at_least} events in {workflow_id}")

        return self.run(settled(), timeout=40)

    def current_run(self, workflow_id: str) -> str:
        async def describe() -> str:
            return (await self.client.get_workflow_handle(workflow_id).describe()).run_id

        return self.run(describe())


@pytest.fixture
def peer(server_address: str) -> Iterator[Peer]:
    peer = Peer(server_address)
    try:
        yield peer
    finally:
        peer.close()


def tempo_reset(address: str, *args: str) -> Any:
    from tempo_cli.main import app

    argv = ["workflow", "reset", *args, "--address", address]
    return CliRunner().invoke(app, argv, env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None})


def types(events: list[Any]) -> list[str]:
    return [EventType.Name(event.event_type).removeprefix("EVENT_TYPE_") for event in events]


def test_reset_to_the_first_workflow_task_gives_the_signals_again(peer: Peer, server_address: str) -> None:
    handle = peer.start_collector()
    base = peer.events(handle.id, having=EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, at_least=10)
    peer.run(handle.signal(Collector.add, "a"))
    peer.events(handle.id, at_least=len(base) + 4)  # the signal and its workflow task

    result = tempo_reset(server_address, "-w", handle.id, "--type", "FirstWorkflowTask", "--reason", "fixed")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"Resetting workflow {handle.id} to event ID 4"
    new_run = peer.current_run(handle.id)
    assert result.stderr.strip() == f"New run: {new_run}"
    assert new_run != handle.result_run_id

    events = peer.events(handle.id, new_run, having=EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    assert types(events)[:5] == [
        "WORKFLOW_EXECUTION_STARTED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_FAILED",
        "WORKFLOW_EXECUTION_SIGNALED",
    ]
    failed = events[3].workflow_task_failed_event_attributes
    assert failed.cause == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
    assert failed.base_run_id == handle.result_run_id and failed.new_run_id == new_run
    assert failed.failure.message.endswith(": fixed")  # "<user>: <reason>", as the real CLI sends it
    old = peer.events(handle.id, handle.result_run_id or "")
    assert types(old)[-1] == "WORKFLOW_EXECUTION_TERMINATED"

    peer.run(peer.client.get_workflow_handle(handle.id).signal(Collector.close))
    assert peer.run(peer.client.get_workflow_handle(handle.id).result()) == ["reserved x", "a"]


def test_reset_by_event_id_without_the_signals_and_json_output(peer: Peer, server_address: str) -> None:
    handle = peer.start_collector()
    base = peer.events(handle.id, having=EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, at_least=10)
    peer.run(handle.signal(Collector.add, "a"))
    peer.events(handle.id, at_least=len(base) + 4)

    args = ("-w", handle.id, "--event-id", "4", "--reason", "again", "--reapply-exclude", "Signal", "-o", "json")
    result = tempo_reset(server_address, *args)
    assert result.exit_code == 0, result.stderr
    new_run = peer.current_run(handle.id)
    assert result.stdout.strip() == f'{{\n  "runId": "{new_run}"\n}}'

    events = peer.events(handle.id, new_run, having=EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    assert "WORKFLOW_EXECUTION_SIGNALED" not in types(events)
    peer.run(peer.client.get_workflow_handle(handle.id).signal(Collector.close))
    assert peer.run(peer.client.get_workflow_handle(handle.id).result()) == ["reserved x"]


def test_reset_to_the_last_workflow_task_of_a_completed_run(peer: Peer, server_address: str) -> None:
    handle = peer.start_collector()
    peer.events(handle.id, having=EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, at_least=10)
    peer.run(handle.signal(Collector.close))
    assert peer.run(handle.result()) == ["reserved x"]
    old = peer.events(handle.id, handle.result_run_id or "")
    last_completed = max(e.event_id for e in old if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)

    result = tempo_reset(server_address, "-w", handle.id, "--type", "LastWorkflowTask", "--reason", "once more")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"Resetting workflow {handle.id} to event ID {last_completed}"
    # The close signal came after the last completed task's start: given again, the new run completes.
    assert peer.run(peer.client.get_workflow_handle(handle.id).result()) == ["reserved x"]
    assert peer.current_run(handle.id) != handle.result_run_id


def test_reset_refusals_are_one_line(peer: Peer, server_address: str) -> None:
    handle = peer.start_collector()
    peer.events(handle.id, having=EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, at_least=10)

    assert "--event-id" in one_line_error(tempo_reset(server_address, "-w", handle.id, "--reason", "r"))
    not_a_task_end = one_line_error(tempo_reset(server_address, "-w", handle.id, "--event-id", "5", "--reason", "r"))
    assert not_a_task_end.endswith("this event must be at the boundary")
    no_chain = one_line_error(
        tempo_reset(server_address, "-w", "nope-" + handle.id, "-t", "LastWorkflowTask", "--reason", "r")
    )
    assert "not found" in no_chain
    no_previous = one_line_error(
        tempo_reset(server_address, "-w", handle.id, "--type", "LastContinuedAsNew", "--reason", "r")
    )
    assert "did not continue from another" in no_previous
    missing_reason = tempo_reset(server_address, "-w", handle.id, "--event-id", "4")
    assert missing_reason.exit_code == 2 and "--reason" in missing_reason.stderr


def _options_updated(events: list[Any]) -> list[Any]:
    return [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED]


def test_reset_with_workflow_update_options_sets_the_new_runs_override(peer: Peer, server_address: str) -> None:
    """The override is recorded in the new run right after the reset (and the signals given
    again), as the real server records it, and describe shows it; the real CLI does the same
    on Tempo."""
    handle = peer.start_collector()
    peer.events(handle.id, having=EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, at_least=10)
    result = tempo_reset(
        server_address,
        *("with-workflow-update-options", "-w", handle.id, "-t", "LastWorkflowTask", "--reason", "upgrade"),
        *("--versioning-override-behavior", "auto_upgrade", "-o", "json"),
    )
    assert result.exit_code == 0, result.stderr
    new_run = json.loads(result.stdout)["runId"]
    events = peer.events(handle.id, new_run, having=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED)
    (updated,) = _options_updated(events)
    assert updated.workflow_execution_options_updated_event_attributes.versioning_override.auto_upgrade
    failed = next(e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    assert updated.event_id > failed.event_id
    after = [types([e])[0] for e in events if e.event_id > updated.event_id][:1]
    assert after == ["WORKFLOW_TASK_SCHEDULED"]
    described = peer.run(peer.client.get_workflow_handle(handle.id).describe())
    assert described.raw_description.workflow_execution_info.versioning_info.versioning_override.auto_upgrade

    # Pinned to a version no worker polls: refused by the server, no new run.
    pinned = tempo_reset(
        server_address,
        *("with-workflow-update-options", "-w", handle.id, "-t", "LastWorkflowTask", "--reason", "pin"),
        *("--versioning-override-behavior", "pinned", "--versioning-override-deployment-name", "shop"),
        *("--versioning-override-build-id", "v9"),
    )
    assert pinned.exit_code == 1
    assert pinned.stderr.strip().endswith("Pinned version 'shop:v9' is not present in task queue "
                                          f"'{peer.task_queue}' of type 'Workflow'")  # fmt: skip
    assert peer.current_run(handle.id) == new_run
    missing = tempo_reset(
        server_address,
        *("with-workflow-update-options", "-w", handle.id, "-t", "LastWorkflowTask", "--reason", "pin"),
        *("--versioning-override-behavior", "pinned"),
    )
    assert one_line_error(missing) == "deployment name and build id are required with 'pinned' behavior"

    # The real CLI's request gives the same events on Tempo as on the real server.
    real = real_cli(
        server_address,
        *("workflow", "reset", "with-workflow-update-options", "-w", handle.id, "-t", "LastWorkflowTask"),
        *("--reason", "again", "--versioning-override-behavior", "auto_upgrade", "-o", "json"),
    )
    newest = json.loads(real.stdout)["runId"]
    assert (
        len(
            _options_updated(
                peer.events(handle.id, newest, having=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED)
            )
        )
        >= 1
    )


def test_batch_reset_with_workflow_update_options(peer: Peer, server_address: str) -> None:
    handle = peer.start_collector()
    peer.events(handle.id, having=EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, at_least=10)
    result = tempo_reset(
        server_address,
        *("with-workflow-update-options", "-q", f"WorkflowId = '{handle.id}'", "-t", "FirstWorkflowTask"),
        *("--reason", "batch upgrade", "--versioning-override-behavior", "auto_upgrade", "--yes"),
    )
    assert result.exit_code == 0, result.stderr

    def reset_done() -> str | None:
        run = peer.current_run(handle.id)
        return run if run != handle.result_run_id else None

    new_run = peer.run(scenarios.wait_until(lambda: asyncio.to_thread(reset_done), timeout=30, what="the batch reset"))
    events = peer.events(handle.id, new_run, having=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED)
    assert _options_updated(events)[
        0
    ].workflow_execution_options_updated_event_attributes.versioning_override.auto_upgrade
