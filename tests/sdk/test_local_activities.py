"""Local activities: what they record (the official core's markers, compared with what the
official SDK records, on both servers), how each SDK replays the other's histories, retries
and timeouts, backoff on timers, and a local activity outlasting the workflow task timeout."""

from __future__ import annotations

import pytest
import temporalio.client
import temporalio.worker
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk import workflow
from sdk.client import Client
from sdk.worker import Replayer
from tests.sdk import local_activity_app, official_local_activity_app
from tests.sdk.local_activity_runs import event_types, markers, run_official, run_ours

EXPECTED = {
    "outcomes": [
        "hello ada",
        "ApplicationError: out of stock <- None",
        "ActivityError: Local Activity timed out <- Activity timed out",
    ],
    "backoff": ["succeeded on attempt 3"],
    "long": ["slept 9.0"],
    "cancel": ["cancelled"],
}


async def _official_replay(history: object, workflow_id: str) -> None:
    official = temporalio.worker.Replayer(
        workflows=[official_local_activity_app.Errands], workflow_runner=UnsandboxedWorkflowRunner()
    )
    # Raises if the official SDK finds our history nondeterministic for the same code.
    await official.replay_workflow(
        temporalio.client.WorkflowHistory(workflow_id=workflow_id, events=history.events)  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize(
    ("mode", "cached"),
    [
        ("outcomes", True),
        ("backoff", True),
        ("long", True),
        ("cancel", True),
        ("outcomes", False),
        ("backoff", False),
    ],
    ids=["outcomes", "backoff", "long", "cancel", "outcomes-replaying-every-task", "backoff-replaying-every-task"],
)
async def test_local_activities_record_what_the_official_sdk_records_and_each_replays_the_other(
    client: Client, server_address: str, task_queue: str, mode: str, cached: bool
) -> None:
    ours, our_history, our_id = await run_ours(client, task_queue, mode, cached=cached)
    theirs, their_history, _ = await run_official(server_address, task_queue + "-official", mode)

    assert ours == theirs == EXPECTED[mode]
    assert event_types(our_history) == event_types(their_history)
    assert markers(our_history) == markers(their_history)

    attempts_before = dict(local_activity_app.ATTEMPTS)
    assert (await Replayer(workflows=[local_activity_app.Errands]).replay_workflow(their_history)).completed
    assert (await Replayer(workflows=[local_activity_app.Errands]).replay_workflow(our_history)).completed
    # The markers supplied the outcomes: nothing ran again.
    assert dict(local_activity_app.ATTEMPTS) == attempts_before
    await _official_replay(our_history, our_id)


async def test_a_long_local_activity_keeps_its_workflow_task_alive(client: Client, task_queue: str) -> None:
    result, history, _ = await run_ours(client, task_queue, "long")

    assert result == ["slept 9.0"]
    types = event_types(history)
    # The first task was completed before its 8 s timeout to ask for another; none timed out.
    assert "WORKFLOW_TASK_TIMED_OUT" not in types
    assert types.count("WORKFLOW_TASK_COMPLETED") == 2
    assert types[-2:] == ["MARKER_RECORDED", "WORKFLOW_EXECUTION_COMPLETED"]


@workflow.defn(name="Errands")
class ErrandsWithoutTheGreeting:
    """``Errands`` changed: the first local activity is gone."""

    @workflow.run
    async def run(self, mode: str, key: str) -> list[str]:
        return []


async def test_code_that_no_longer_runs_a_recorded_local_activity_is_nondeterministic(
    client: Client, task_queue: str
) -> None:
    _, history, _ = await run_ours(client, task_queue, "outcomes")

    with pytest.raises(workflow.NondeterminismError, match=r"local activity marker.*'greet'"):
        await Replayer(workflows=[ErrandsWithoutTheGreeting]).replay_workflow(history)
