"""Workflow updates sent by Tempo's client to an official worker, on both servers."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sdk import Client
from sdk.client import WithStartWorkflowOperation, WorkflowHandle, WorkflowIdConflictPolicy, WorkflowUpdateStage
from sdk.exceptions import (
    ApplicationError,
    WorkflowAlreadyStartedError,
    WorkflowNotFoundError,
    WorkflowUpdateFailedError,
)


async def _tally(client: Client, task_queue: str) -> WorkflowHandle:
    return await client.start_workflow("Tally", id=f"tally-{uuid.uuid4()}", task_queue=task_queue)


async def test_execute_update_returns_the_handlers_answer(client: Client, task_queue: str) -> None:
    handle = await _tally(client, task_queue)
    assert await handle.execute_update("add", 2) == 2
    assert await handle.execute_update("add", 3) == 5
    await handle.signal("finish")
    assert await handle.result() == 5


async def test_the_same_update_id_runs_once(client: Client, task_queue: str) -> None:
    handle = await _tally(client, task_queue)
    assert await handle.execute_update("add", 4, id="only-once") == 4
    assert await handle.execute_update("add", 4, id="only-once") == 4, "the first answer, not a second run"
    assert await handle.execute_update("add", 1) == 5


async def test_a_refused_or_failed_update_raises_with_its_cause(client: Client, task_queue: str) -> None:
    handle = await _tally(client, task_queue)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("add", -1)
    assert isinstance(refused.value.cause, ApplicationError)
    assert "negative amounts are refused" in str(refused.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update("fail", "no luck")
    assert isinstance(failed.value.cause, ApplicationError) and failed.value.cause.type == "TallyError"
    assert await handle.execute_update("add", 1) == 1, "neither changed the total"


async def test_start_update_returns_once_accepted_and_result_waits(client: Client, task_queue: str) -> None:
    handle = await _tally(client, task_queue)
    update = await handle.start_update("add_when_released", 7, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    waiting = asyncio.ensure_future(update.result())
    await asyncio.sleep(0.3)
    assert not waiting.done(), "the handler waits for the release signal"
    await handle.signal("release")
    assert await asyncio.wait_for(waiting, 10) == 7
    assert update.workflow_run_id == (await handle.describe()).run_id


async def test_an_update_to_a_closed_or_missing_workflow_says_so(client: Client, task_queue: str) -> None:
    handle = await _tally(client, task_queue)
    await handle.signal("finish")
    await handle.result()
    with pytest.raises(WorkflowNotFoundError):
        await handle.execute_update("add", 1)
    with pytest.raises(WorkflowNotFoundError):
        await client.get_workflow_handle(f"no-such-{uuid.uuid4()}").execute_update("add", 1)


async def test_update_with_start_starts_the_workflow_or_uses_the_running_one(client: Client, task_queue: str) -> None:
    workflow_id = f"tally-{uuid.uuid4()}"

    def start_operation(policy: WorkflowIdConflictPolicy) -> WithStartWorkflowOperation:
        return WithStartWorkflowOperation("Tally", id=workflow_id, task_queue=task_queue, id_conflict_policy=policy)

    first = start_operation(WorkflowIdConflictPolicy.USE_EXISTING)
    assert await client.execute_update_with_start_workflow("add", 3, start_workflow_operation=first) == 3
    started = await first.workflow_handle()
    with pytest.raises(ValueError, match="for one update-with-start call only"):
        await client.execute_update_with_start_workflow("add", 1, start_workflow_operation=first)

    again = start_operation(WorkflowIdConflictPolicy.USE_EXISTING)
    update = await client.start_update_with_start_workflow(
        "add", args=[2], start_workflow_operation=again, wait_for_stage=WorkflowUpdateStage.ACCEPTED, id="second"
    )
    assert await update.result() == 5
    assert (await again.workflow_handle()).result_run_id == started.result_run_id, "the running workflow got it"
    assert await started.get_update_handle("second").result() == 5, "found again by its id"

    refused = start_operation(WorkflowIdConflictPolicy.FAIL)
    with pytest.raises(WorkflowAlreadyStartedError):
        await client.execute_update_with_start_workflow("add", 1, start_workflow_operation=refused)
    with pytest.raises(WorkflowAlreadyStartedError):
        await refused.workflow_handle()

    await started.signal("finish")
    assert await started.result() == 5


def test_update_with_start_needs_a_conflict_policy() -> None:
    with pytest.raises(ValueError, match="update-with-start needs an id_conflict_policy"):
        WithStartWorkflowOperation("Tally", id="t", task_queue="q", id_conflict_policy=None)  # type: ignore[arg-type]
