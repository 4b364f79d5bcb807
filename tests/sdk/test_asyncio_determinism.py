"""Plain asyncio in workflows (gather, wait, wait_for, shield, sleep, tasks started by handlers)
is durable and replays the same, in our SDK and across it and the official one; a replay that
differs names the command history expected and the one the code produced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import temporalio.client
import temporalio.worker
from temporalio.api.history.v1 import History
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk import workflow
from sdk.client import Client
from sdk.worker import NondeterminismError, Replayer
from tests.sdk import asyncio_app, official_asyncio_app
from tests.sdk.asyncio_runs import run_official, run_ours
from tests.sdk.family_runs import command_events

EXPECTED = [
    "gather a b",
    "wait_for timed out",
    "wait done ['fast'] pending 1",
    "shield outer timed out, inner cancelled: False",
    "inner shielded",
    "wait_condition timed out",
    "noted ['poked']",
]


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "replaying-every-task"])
async def test_asyncio_workflows_record_what_the_official_sdk_records_and_each_replays_the_other(
    client: Client, server_address: str, task_queue: str, cached: bool
) -> None:
    ours, our_history, our_id = await run_ours(client, task_queue, cached=cached)
    theirs, their_history, their_id = await run_official(server_address, task_queue + "-official")

    assert ours == theirs == EXPECTED
    # The same timers (started and cancelled), activities and completion, in the same order.
    assert _decisions(our_history, our_id) == _decisions(their_history, their_id)
    kinds = [kind for kind, _ in _decisions(our_history, our_id)]
    assert kinds.count("EVENT_TYPE_TIMER_CANCELED") == 2  # wait_for's inner sleep, asyncio.wait's loser

    assert (await Replayer(workflows=[asyncio_app.AsyncioMix]).replay_workflow(their_history)).completed
    assert (await Replayer(workflows=[asyncio_app.AsyncioMix]).replay_workflow(our_history)).completed
    official = temporalio.worker.Replayer(
        workflows=[official_asyncio_app.AsyncioMix], workflow_runner=UnsandboxedWorkflowRunner()
    )
    # Raises if the official SDK finds our history nondeterministic for the same code.
    await official.replay_workflow(temporalio.client.WorkflowHistory(workflow_id=our_id, events=our_history.events))


def _decisions(history: History, workflow_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The command events, without what depends on how results were batched into workflow
    tasks (the event IDs a cancel refers to) or on the worker."""
    return [
        (kind, {k: v for k, v in attrs.items() if k not in ("startedEventId", "identity")})
        for kind, attrs in command_events(history, workflow_id)
    ]


@workflow.defn(name="AsyncioMix")
class AsyncioMixSleepsFirst:
    """AsyncioMix changed: a timer before the activities."""

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.sleep(timedelta(seconds=1))
        return []


async def test_a_changed_asyncio_workflow_names_the_expected_and_the_produced_command(
    client: Client, task_queue: str
) -> None:
    _, history, _ = await run_ours(client, task_queue)
    with pytest.raises(NondeterminismError) as caught:
        await Replayer(workflows=[AsyncioMixSleepsFirst]).replay_workflow(history)
    message = str(caught.value)
    # What the code produced, and what history has instead, each with what identifies it.
    assert "the workflow produced command START_TIMER (timer_id='1')" in message
    assert "history has ACTIVITY_TASK_SCHEDULED (event 5 activity_type='echo' activity_id='1')" in message
