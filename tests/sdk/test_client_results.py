"""What a client gets back: results decoded into the run method's return type, a history it can
save as JSON and replay (in our Replayer and the official SDK's), statuses that print as names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import temporalio.client

from sdk import workflow
from sdk.client import Client, WorkflowExecutionStatus, WorkflowHistory, WorkflowStatus
from sdk.worker import NondeterminismError, Replayer, Worker


@dataclass
class Receipt:
    order: int
    items: list[str]
    total: float


@workflow.defn
class Checkout:
    @workflow.run
    async def run(self, order: int) -> Receipt:
        await workflow.sleep(0.01)
        return Receipt(order, ["tea", "scone"], 4.5)


@workflow.defn(name="Checkout")
class CheckoutWithoutTheNap:
    """Checkout changed: it no longer sleeps first."""

    @workflow.run
    async def run(self, order: int) -> Receipt:
        return Receipt(order, [], 0)


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_results_come_back_as_the_run_methods_return_type(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Checkout]):
        executed = await client.execute_workflow(Checkout.run, 7, id=_id("checkout"), task_queue=task_queue)
        assert executed == Receipt(7, ["tea", "scone"], 4.5)  # a Receipt, not a dict

        handle = await client.start_workflow(Checkout.run, 8, id=_id("checkout"), task_queue=task_queue)
        assert await handle.result() == Receipt(8, ["tea", "scone"], 4.5)

        by_name = await client.execute_workflow(
            "Checkout", 9, id=_id("checkout"), task_queue=task_queue, result_type=Receipt
        )
        assert by_name == Receipt(9, ["tea", "scone"], 4.5)

    # A handle made later knows the type from the run method, or from result_type.
    assert await client.get_workflow_handle_for(Checkout.run, handle.id).result() == Receipt(8, ["tea", "scone"], 4.5)
    assert await client.get_workflow_handle(handle.id, result_type=Receipt).result() == Receipt(
        8, ["tea", "scone"], 4.5
    )
    # With no type anywhere the result is plain JSON, as in the official SDK.
    assert await client.get_workflow_handle(handle.id).result() == {"order": 8, "items": ["tea", "scone"], "total": 4.5}
    assert await handle.result(result_type=dict) == {"order": 8, "items": ["tea", "scone"], "total": 4.5}


async def test_a_status_prints_as_its_name(client: Client, task_queue: str, capsys: pytest.CaptureFixture[str]) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Checkout]):
        handle = await client.start_workflow(Checkout.run, 1, id=_id("status"), task_queue=task_queue)
        await handle.result()
    status = (await handle.describe()).status
    print(status)
    assert capsys.readouterr().out == "WorkflowExecutionStatus.COMPLETED\n"
    assert f"status: {status}" == "status: WorkflowExecutionStatus.COMPLETED"
    # Still the proto's number underneath; the old name is the same class.
    assert status == WorkflowExecutionStatus.COMPLETED == 2
    assert WorkflowStatus is WorkflowExecutionStatus


async def test_a_fetched_history_saved_as_json_replays_here_and_in_the_official_sdk(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Checkout]):
        handle = await client.start_workflow(Checkout.run, 3, id=_id("export"), task_queue=task_queue)
        await handle.result()
    history = await handle.fetch_history()
    assert history.workflow_id == handle.id
    assert history.run_id == handle.result_run_id

    saved = tmp_path / "checkout.json"
    saved.write_text(history.to_json())
    loaded = WorkflowHistory.from_json(handle.id, saved.read_text())
    assert list(loaded.events) == list(history.events)
    replayed = await Replayer(workflows=[Checkout]).replay_workflow(loaded)
    assert replayed.completed and replayed.workflow_type == "Checkout"
    # The same file is what the official SDK reads and writes.
    theirs = temporalio.client.WorkflowHistory.from_json(handle.id, saved.read_text())
    assert list(theirs.events) == list(history.events)
    assert list(WorkflowHistory.from_json(handle.id, theirs.to_json()).events) == list(history.events)
    # And a Replayer takes the file's path as well.
    assert (await Replayer(workflows=[Checkout]).replay_workflow(saved)).completed


async def test_a_replay_failure_can_be_returned_instead_of_raised(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Checkout]):
        handles = [
            await client.start_workflow(Checkout.run, n, id=_id("failures"), task_queue=task_queue) for n in (1, 2)
        ]
        for handle in handles:
            await handle.result()
    histories = [await handle.fetch_history() for handle in handles]

    changed = Replayer(workflows=[CheckoutWithoutTheNap])
    result = await changed.replay_workflow(histories[0], raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, NondeterminismError)
    assert "history has TIMER_STARTED (event 5 timer_id='1')" in str(result.replay_failure)
    assert not result.completed and result.run_id == histories[0].run_id

    # As the official SDK's replay_workflows: the failures by run ID.
    results = await changed.replay_workflows(histories, raise_on_replay_failure=False)
    assert sorted(results.replay_failures) == sorted(h.run_id for h in histories)
    assert not (await Replayer(workflows=[Checkout]).replay_workflows(histories)).replay_failures
    with pytest.raises(NondeterminismError):
        await changed.replay_workflows(histories)
