"""Workflow updates handled by our SDK's workers: validators, answers, what history records
(the same as the official SDK's worker records), replay, and the handlers' bookkeeping."""

from __future__ import annotations

import uuid

import pytest
import temporalio.client
import temporalio.worker
from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.history.v1 import History
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk import workflow
from sdk.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowIdConflictPolicy,
    WorkflowUpdateStage,
)
from sdk.exceptions import ApplicationError, WorkflowUpdateFailedError
from sdk.worker import Replayer
from sdk.workflow import NondeterminismError
from tests.sdk import official_update_app, update_app
from tests.sdk.conftest import eventually
from tests.sdk.update_runs import UPDATE_EVENTS, event_types, our_worker, run_official, run_ours

EventType = event_type_pb2.EventType

EXPECTED = [
    "add 2 -> 2",
    "add -1 refused: negative amounts are refused",
    "events written by the refusal: 0",
    "fail raised: no luck",
    "add_when_released 5 -> 7",
    "finish -> 7",
    "result 7",
]


def _update_outcomes(history: History) -> list[str]:
    """The accepted updates' names and how each completed, in history order."""
    names: dict[int, str] = {}
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            accepted = event.workflow_execution_update_accepted_event_attributes
            names[event.event_id] = accepted.accepted_request.input.name
            found.append(f"accepted {accepted.accepted_request.input.name}")
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            completed = event.workflow_execution_update_completed_event_attributes
            outcome = completed.outcome.failure.message if completed.outcome.HasField("failure") else "success"
            found.append(f"completed {names[completed.accepted_event_id]}: {outcome}")
    return found


@pytest.mark.parametrize("max_cached_workflows", [1000, 0])
async def test_updates_are_validated_answered_and_replayed(
    client: Client, task_queue: str, max_cached_workflows: int
) -> None:
    # Without a cache the worker replays the history, accepted updates included, at every task.
    seen, history = await run_ours(client, task_queue, max_cached_workflows=max_cached_workflows)
    assert seen == EXPECTED
    assert _update_outcomes(history) == [
        "accepted add",
        "completed add: success",
        "accepted fail",
        "completed fail: no luck",
        "accepted add_when_released",
        "completed add_when_released: success",
        "accepted finish",
        "completed finish: success",
    ]
    assert not any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in history.events)
    result = await Replayer(workflows=[update_app.Counter]).replay_workflow(history)
    assert result.completed
    # The official SDK replays what our worker recorded, with the same code.
    await temporalio.worker.Replayer(
        workflows=[official_update_app.Counter], workflow_runner=UnsandboxedWorkflowRunner()
    ).replay_workflow(temporalio.client.WorkflowHistory(workflow_id="counter", events=list(history.events)))


async def test_our_worker_records_what_the_official_worker_records(server_address: str, task_queue: str) -> None:
    # The official client drives both workers, so what it sees can be compared as is.
    ours, our_history, _ = await run_official(server_address, task_queue, worker="ours")
    theirs, their_history, _ = await run_official(server_address, f"{task_queue}-official", worker="official")
    assert ours == theirs
    assert "events written by the refusal: 0" in ours
    assert event_types(our_history) == event_types(their_history)
    assert _update_outcomes(our_history) == _update_outcomes(their_history)
    assert (await Replayer(workflows=[update_app.Counter]).replay_workflow(their_history)).completed


async def test_a_refused_update_leaves_no_trace_in_history(client: Client, task_queue: str) -> None:
    async with our_worker(client, task_queue):
        handle = await client.start_workflow(
            update_app.Counter.run, id=f"counter-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        for amount in (-1, -2):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(update_app.Counter.add, amount)
            assert isinstance(refused.value.cause, ApplicationError)
            assert refused.value.cause.type == "ValueError"
        assert await handle.execute_update(update_app.Counter.add, 4) == 4
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("add", -3)
        with pytest.raises(WorkflowUpdateFailedError) as unknown:
            await handle.execute_update("no_such_update")
        assert "has no update handler 'no_such_update'" in str(unknown.value.cause)
        assert await handle.query("current") == 4
        metadata = await handle.query("__temporal_workflow_metadata")
        history = await handle.fetch_history()
        await handle.terminate("test over")
    # What user interfaces offer to send (the TUI and `temporal workflow metadata` read it).
    assert [u.name for u in metadata.definition.update_definitions] == ["add", "add_when_released", "fail", "finish"]
    update_events = [e.event_type for e in history.events if e.event_type in UPDATE_EVENTS]
    assert update_events == [
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    ], "only the update that was accepted"


@workflow.defn(name="Counter")
class CounterWithoutAdd:
    """Counter as it would be if ``add`` had been removed: incompatible with its histories."""

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return 0


async def test_a_history_whose_update_the_code_no_longer_handles_is_nondeterministic(
    client: Client, task_queue: str
) -> None:
    async with our_worker(client, task_queue):
        handle = await client.start_workflow(
            update_app.Counter.run, id=f"counter-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        await handle.execute_update("add", 1)
        history = await handle.fetch_history()
        await handle.terminate("test over")
    with pytest.raises(NondeterminismError) as caught:
        await Replayer(workflows=[CounterWithoutAdd]).replay_workflow(history)
    assert "WORKFLOW_EXECUTION_UPDATE_ACCEPTED" in str(caught.value)
    assert "but the workflow produced no matching command" in str(caught.value)


async def test_a_workflow_can_wait_for_its_handlers_to_finish(client: Client, task_queue: str) -> None:
    async with our_worker(client, task_queue):
        handle = await client.start_workflow(
            update_app.Patient.run, id=f"patient-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        update = await handle.start_update(update_app.Patient.work, "a", wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        await handle.signal(update_app.Patient.finish)
        await handle.signal(update_app.Patient.release_after_a_while)
        assert await handle.result() == ["a", "busy at finish: True"]
        assert await update.result() == "a done as work"
        history = await handle.fetch_history()
    assert (await Replayer(workflows=[update_app.Patient]).replay_workflow(history)).completed


async def test_finishing_with_handlers_running_warns_unless_their_policy_says_abandon(
    client: Client, task_queue: str
) -> None:
    async with our_worker(client, task_queue):
        handle = await client.start_workflow(
            update_app.Hasty.run, id=f"hasty-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        loud = await handle.start_update("slow", id="loud", wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        quiet = await handle.start_update("slow_quietly", id="quiet", wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        unfinished = (workflow.UnfinishedUpdateHandlersWarning, workflow.UnfinishedSignalHandlersWarning)
        with pytest.warns(unfinished) as warned:
            await handle.signal("slow_signal")
            await handle.signal("finish")
            assert await handle.result() == "finished"
    messages = [str(w.message) for w in warned if issubclass(w.category, workflow.UnfinishedUpdateHandlersWarning)]
    assert len(messages) == 1
    assert '{"name": "slow", "id": "loud"}' in messages[0]
    assert "quiet" not in messages[0]
    signals = [str(w.message) for w in warned if issubclass(w.category, workflow.UnfinishedSignalHandlersWarning)]
    assert len(signals) == 1 and '{"name": "slow_signal", "count": 1}' in signals[0]
    for update in (loud, quiet):
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await update.result()
        assert "completed before the Update completed" in str(caught.value.cause)


async def test_dynamic_handlers_take_what_has_no_handler_of_its_own(client: Client, task_queue: str) -> None:
    async with our_worker(client, task_queue):
        handle = await client.start_workflow(
            update_app.CatchAll.run, id=f"catch-all-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        await handle.signal("ping", 1, {"b": 2})
        assert await handle.execute_update("bump", "x") == "update bump handled"
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("forbidden_move")
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "Forbidden"
        assert await handle.query("how_many", 5) == "query how_many[5] after 2 seen"
        await handle.signal("finish")
        assert await handle.result() == ["signal ping[1, {'b': 2}]", "update bump['x']"]
        history = await handle.fetch_history()
    assert (await Replayer(workflows=[update_app.CatchAll]).replay_workflow(history)).completed


async def test_update_with_start_gives_the_update_to_the_first_workflow_task(client: Client, task_queue: str) -> None:
    operation = WithStartWorkflowOperation(
        update_app.Counter.run,
        id=f"counter-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIdConflictPolicy.FAIL,
    )
    async with our_worker(client, task_queue):
        answer = await client.execute_update_with_start_workflow(
            update_app.Counter.add, 3, start_workflow_operation=operation
        )
        assert answer == 3
        handle = await operation.workflow_handle()
        assert await handle.execute_update(update_app.Counter.finish_counting) == 3
        assert await handle.result() == 3
        history = await handle.fetch_history()
    # The start and the update came together: the first workflow task accepted and answered it.
    assert event_types(history)[:6] == [
        "WORKFLOW_EXECUTION_STARTED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
    ]
    assert (await Replayer(workflows=[update_app.Counter]).replay_workflow(history)).completed


async def test_updates_a_reset_gives_again_are_handled_by_the_new_run(client: Client, task_queue: str) -> None:
    async with our_worker(client, task_queue):
        handle = await client.start_workflow(
            update_app.Counter.run, id=f"counter-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        await eventually(lambda: _history_has(handle, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED))
        assert await handle.execute_update(update_app.Counter.add, 2) == 2
        assert await handle.execute_update(update_app.Counter.add, 5) == 7
        first_task_end = next(
            e.event_id
            for e in (await handle.fetch_history()).events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        )
        new_run = await handle.reset(first_task_end, reason="try again")
        again = client.get_workflow_handle(handle.id, run_id=new_run)
        # The new run gets both updates as WorkflowExecutionUpdateAdmitted events and handles them.
        await eventually(lambda: _query_is(again, 7))
        assert await again.execute_update("finish") == 7
        assert await again.result() == 7
        history = await again.fetch_history()
    kinds = [e.event_type for e in history.events]
    assert kinds.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED) == 2
    assert (await Replayer(workflows=[update_app.Counter]).replay_workflow(history)).completed


async def _history_has(handle: WorkflowHandle, event_type: int) -> bool:
    return any(e.event_type == event_type for e in (await handle.fetch_history()).events)


async def _query_is(handle: WorkflowHandle, total: int) -> bool:
    return bool(await handle.query("current") == total)
