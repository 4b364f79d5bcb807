"""Update-with-start on a workflow id whose run closed while an update was still running.

The first update-with-start is accepted; the run then ends with that update unfinished (the
official SDK's `HandlerUnfinishedPolicy.ABANDON`). A caller polling that update is told
"AcceptedUpdateCompletedWorkflow", but the run never recorded the update as completed, so a
second update-with-start with the same workflow id and update id must not attach to it: the
start's reuse policy decides. With ALLOW_DUPLICATE a new run starts and runs the update; with
REJECT_DUPLICATE the call fails as a duplicate start. (Before, Tempo answered the first run's
failure outcome; the official SDK's own
`test_update_with_start_does_not_attach_to_non_completed_update_in_closed_workflow` caught it.)
Each sequence runs on both servers, with the official SDK; answers and histories must be equal.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.devserver import scenarios
from tests.devserver.update_app import AbandonsUpdateWorkflow

pytestmark = pytest.mark.real_server


async def _sequence(address: str, conflict: WorkflowIDConflictPolicy, reuse: WorkflowIDReusePolicy) -> list[Any]:
    client: Client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-uws-closed")
    workflow_id = scenarios.unique("uws-closed")
    update_id = scenarios.unique("update")

    def operation() -> WithStartWorkflowOperation[Any, Any]:
        return WithStartWorkflowOperation(
            AbandonsUpdateWorkflow.run,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=conflict,
            id_reuse_policy=reuse,
        )

    out: list[Any] = []
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[AbandonsUpdateWorkflow],
        graceful_shutdown_timeout=timedelta(seconds=0),
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    async with worker:
        first = operation()
        held = await client.start_update_with_start_workflow(
            AbandonsUpdateWorkflow.hold,
            "first",
            id=update_id,
            start_workflow_operation=first,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        first_run = await first.workflow_handle()
        await first_run.signal(AbandonsUpdateWorkflow.finish)
        out.append(("first run", await first_run.result()))
        try:
            await held.result()
            out.append(("unfinished update", "completed"))
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            out.append(("unfinished update", type(cause).__name__, getattr(cause, "type", None)))

        second = operation()
        try:
            value = await client.execute_update_with_start_workflow(
                AbandonsUpdateWorkflow.echo, "second", id=update_id, start_workflow_operation=second
            )
            second_run = await second.workflow_handle()
            new_run = second_run.first_execution_run_id != first_run.first_execution_run_id
            out.append(("same update id again", value, "new run" if new_run else "same run"))
            await second_run.signal(AbandonsUpdateWorkflow.finish)
            out.append(("second run", await second_run.result()))
            history = await scenarios.events(client.get_workflow_handle(workflow_id, run_id=second_run.result_run_id))
            out.append(("second run's history", scenarios.summarize(history)))
        except Exception as err:
            out.append(("same update id again", type(err).__name__))
            with contextlib.suppress(Exception):
                await second.workflow_handle()  # fails the same way; retrieved so nothing is left unawaited
        history = await scenarios.events(client.get_workflow_handle(workflow_id, run_id=first_run.result_run_id))
        out.append(("first run's history", scenarios.summarize(history)))
    return out


@pytest.mark.parametrize("conflict", [WorkflowIDConflictPolicy.USE_EXISTING, WorkflowIDConflictPolicy.FAIL])
async def test_allow_duplicate_starts_a_new_run_for_the_update(
    tempo_address: str, real_address: str, conflict: WorkflowIDConflictPolicy
) -> None:
    reuse = WorkflowIDReusePolicy.ALLOW_DUPLICATE
    ours, real = await asyncio.gather(
        _sequence(tempo_address, conflict, reuse), _sequence(real_address, conflict, reuse)
    )
    assert ours == real
    answers = {row[0]: row[1:] for row in ours}
    assert answers["unfinished update"] == ("ApplicationError", "AcceptedUpdateCompletedWorkflow")
    assert answers["same update id again"] == ("second", "new run")
    assert answers["second run"] == ("finished",)


@pytest.mark.parametrize("conflict", [WorkflowIDConflictPolicy.USE_EXISTING, WorkflowIDConflictPolicy.FAIL])
async def test_reject_duplicate_refuses_the_start(
    tempo_address: str, real_address: str, conflict: WorkflowIDConflictPolicy
) -> None:
    reuse = WorkflowIDReusePolicy.REJECT_DUPLICATE
    ours, real = await asyncio.gather(
        _sequence(tempo_address, conflict, reuse), _sequence(real_address, conflict, reuse)
    )
    assert ours == real
    answers = {row[0]: row[1:] for row in ours}
    assert answers["same update id again"] == ("WorkflowAlreadyStartedError",)
