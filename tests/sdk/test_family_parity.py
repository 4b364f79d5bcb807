"""Our SDK and the official one run the same workflows alike: same outcomes, same commands,
and each replays the other's history."""

from __future__ import annotations

import pytest
import temporalio.client
import temporalio.worker
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk import workflow
from sdk.client import Client
from sdk.worker import Replayer
from sdk.workflow import NondeterminismError
from tests.sdk import family_app, official_family_app
from tests.sdk.family_runs import command_events, run_official, run_ours

SCENARIOS = [
    "result",
    "options",
    "failure",
    "already_started",
    "timeout",
    "cancel_wait_cancellation_completed",
    "cancel_wait_cancellation_requested",
    "cancel_try_cancel",
    "external",
    "external_cancel",
    "activity_try_cancel",
    "activity_wait_cancellation_completed",
    "activity_abandon",
]


# The "options" scenario gives search attributes in the dict form, which our SDK takes.
@pytest.mark.filterwarnings("ignore:Dictionary-based search attributes are deprecated:DeprecationWarning")
@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_our_sdk_records_what_the_official_sdk_records_and_each_replays_the_other(
    client: Client, server_address: str, task_queue: str, scenario: str
) -> None:
    ours, our_history, our_id = await run_ours(client, task_queue, scenario)
    theirs, their_history, their_id = await run_official(server_address, task_queue, scenario)

    assert [line.replace(our_id, "<parent>") for line in ours] == [
        line.replace(their_id, "<parent>") for line in theirs
    ]
    assert command_events(our_history, our_id) == command_events(their_history, their_id)

    replayer = Replayer(workflows=[family_app.FamilyParent])
    assert (await replayer.replay_workflow(our_history, workflow_id=our_id)).completed
    assert (await replayer.replay_workflow(their_history, workflow_id=their_id)).completed
    official_replayer = temporalio.worker.Replayer(
        workflows=[official_family_app.FamilyParent], workflow_runner=UnsandboxedWorkflowRunner()
    )
    # Raises if the official SDK finds our history nondeterministic for the same code.
    await official_replayer.replay_workflow(
        temporalio.client.WorkflowHistory(workflow_id=our_id, events=list(our_history.events))
    )


@workflow.defn(name="FamilyParent")
class ParentWithAnotherChild(family_app.FamilyParent):
    """Starts its child under another ID: incompatible with recorded runs."""

    @workflow.run
    async def run(self, scenario: str, target: str) -> list[str]:
        return [await workflow.execute_child_workflow(family_app.FamilyChild.run, "ok", id="someone-else")]


@workflow.defn(name="FamilyParent")
class ParentThatSignalsSomethingElse(family_app.FamilyParent):
    """Sends another signal to the workflow it was given."""

    @workflow.run
    async def run(self, scenario: str, target: str) -> list[str]:
        await workflow.get_external_workflow_handle(target).signal("other_signal", "x")
        return []


@pytest.mark.parametrize("scenario", ["already_started", "cancel_wait_cancellation_completed", "external"])
async def test_a_worker_without_a_cache_replays_children_and_signals_at_every_task(
    client: Client, task_queue: str, scenario: str
) -> None:
    cached, _, cached_id = await run_ours(client, task_queue, scenario)
    uncached, history, uncached_id = await run_ours(client, task_queue, scenario, max_cached_workflows=0)
    assert [line.replace(uncached_id, "<parent>") for line in uncached] == [
        line.replace(cached_id, "<parent>") for line in cached
    ]
    assert not any(e.HasField("workflow_task_failed_event_attributes") for e in history.events)


async def test_changed_child_and_signal_commands_are_caught_as_nondeterministic(
    client: Client, task_queue: str
) -> None:
    _, child_history, _ = await run_ours(client, task_queue, "result")
    with pytest.raises(NondeterminismError) as caught:
        await Replayer(workflows=[ParentWithAnotherChild]).replay_workflow(child_history)
    message = str(caught.value)
    assert "START_CHILD_WORKFLOW_EXECUTION (workflow_type='FamilyChild' workflow_id='someone-else')" in message
    assert "START_CHILD_WORKFLOW_EXECUTION_INITIATED (event 5" in message

    _, signal_history, _ = await run_ours(client, task_queue, "external")
    with pytest.raises(NondeterminismError) as caught:
        await Replayer(workflows=[ParentThatSignalsSomethingElse]).replay_workflow(signal_history)
    assert "signal_name='other_signal'" in str(caught.value)
    assert "signal_name='finish'" in str(caught.value)
