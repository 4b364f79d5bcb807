"""Closed runs at rest (devserver/run_table.py): with --db-filename a restarted server keeps
only their visibility records in memory and reads the rest from the file when asked; in
memory they are kept as compressed bytes once they leave the recent ones. Either way a user
sees exactly what they saw while they were objects."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client
from temporalio.worker import Worker

from devserver import run_table
from devserver.app import ServerConfig, open_engine
from devserver.core import snapshot
from devserver.core.changes import RunKey
from devserver.sqlite_store import SqliteStore
from tests.devserver.durable_app import Courier, Dispatcher, Napper
from tests.devserver.file_servers import file_server
from tests.inprocess import devserver_in_process
from tests.servers import free_port


async def _seen(client: Client, queue: str, ids: list[str]) -> dict[str, object]:
    """What a user reads of the workflows: the list, each description and each history."""
    listed = await client.workflow_service.list_workflow_executions(
        wsv1.ListWorkflowExecutionsRequest(namespace="default", query=f"TaskQueue = '{queue}'")
    )
    seen: dict[str, object] = {"list": list(listed.executions)}
    for workflow_id in ids:
        handle = client.get_workflow_handle(workflow_id)
        description = await handle.describe()
        seen[f"describe {workflow_id}"] = description.raw_description
        seen[f"history {workflow_id}"] = (await handle.fetch_history()).to_json()
    return seen


async def test_closed_runs_read_from_the_file_look_as_before_the_restart(tmp_path: Path) -> None:
    db, port = tmp_path / "tempo.db", free_port()
    queue = f"rest-{uuid.uuid4().hex[:8]}"
    nappers = [f"{queue}-nap-{i}" for i in range(3)]
    parent = f"{queue}-dispatch"
    ids = [*nappers, parent, f"{parent}-courier"]
    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        async with Worker(client, task_queue=queue, workflows=[Napper, Dispatcher, Courier]):
            for workflow_id in nappers:
                await client.execute_workflow(Napper.run, 0.0, id=workflow_id, task_queue=queue)
            await client.execute_workflow(Dispatcher.run, 7, id=parent, task_queue=queue)
        before = await _seen(client, queue, ids)
    finally:
        server.stop()

    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        assert await _seen(client, queue, ids) == before
        old = client.get_workflow_handle(nappers[0])
        assert await old.result() == "rested"
        async with Worker(client, task_queue=queue, workflows=[Napper, Dispatcher, Courier]):
            # A worker answers a query on a closed run by replaying its history from the file.
            assert await old.query(Napper.nap_length) == 0.0
            # The id of a closed workflow may be started again: its closed run is read to decide.
            again = await client.start_workflow(Napper.run, 0.0, id=nappers[0], task_queue=queue)
            assert again.result_run_id != before_run_id(before, nappers[0])
            assert await again.result() == "rested"
            # Reset reads the closed base run's history from the file.
            reset = await client.workflow_service.reset_workflow_execution(
                wsv1.ResetWorkflowExecutionRequest(
                    namespace="default",
                    workflow_execution=WorkflowExecution(workflow_id=nappers[1]),
                    workflow_task_finish_event_id=3,
                    request_id=str(uuid.uuid4()),
                    reason="again",
                )
            )
            assert await client.get_workflow_handle(nappers[1], run_id=reset.run_id).result() == "rested"
        await client.workflow_service.delete_workflow_execution(
            wsv1.DeleteWorkflowExecutionRequest(
                namespace="default", workflow_execution=WorkflowExecution(workflow_id=nappers[2])
            )
        )
        listed = await client.workflow_service.list_workflow_executions(
            wsv1.ListWorkflowExecutionsRequest(namespace="default", query=f"WorkflowId = '{nappers[2]}'")
        )
        assert list(listed.executions) == []
    finally:
        server.stop()

    # In the file, read as a server reads it at start: no closed run's state is loaded.
    store = SqliteStore(str(db))
    engine = await open_engine(ServerConfig(db_filename=str(db)), store)
    try:
        assert engine.runs.live() == []
        # nappers[0] and [1] have two runs each now; nappers[2] is deleted.
        assert len(engine.runs) == len(ids) - 1 + 2
        closed = engine.runs.get(RunKey("default", parent, before_run_id(before, parent)))
        assert closed is not None and closed.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
        events = store.read(closed.key, 1, closed.next_event_id - 1)
        assert events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
        assert engine.runs.get(RunKey("default", nappers[2], "00000000-0000-0000-0000-000000000000")) is None
    finally:
        await engine.shutdown()
        await store.close()


def before_run_id(seen: dict[str, object], workflow_id: str) -> str:
    description = seen[f"describe {workflow_id}"]
    return description.workflow_execution_info.execution.run_id  # type: ignore[attr-defined]


async def test_in_memory_closed_runs_leave_memory_and_read_back_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keep 2 recent closed runs as objects instead of 512: the others are bytes at once.
    monkeypatch.setattr(run_table, "RECENT_AT_REST", 2)
    queue = f"rest-mem-{uuid.uuid4().hex[:8]}"
    nappers = [f"{queue}-nap-{i}" for i in range(5)]
    async with devserver_in_process() as server:
        client = await Client.connect(f"127.0.0.1:{server.port}")
        async with Worker(client, task_queue=queue, workflows=[Napper]):
            await client.execute_workflow(Napper.run, 0.0, id=nappers[0], task_queue=queue)
            first = await _seen(client, queue, nappers[:1])  # while it is an object
            key = RunKey("default", nappers[0], before_run_id(first, nappers[0]))
            as_object = server.engine.runs.in_memory(key)
            assert as_object is not None
            state_before = snapshot.dump(as_object)
            for workflow_id in nappers[1:]:
                await client.execute_workflow(Napper.run, 0.0, id=workflow_id, task_queue=queue)
            assert server.engine.runs.in_memory(key) is None, "the first run left memory"
            # The store packs it without what its history and info hold already; read back, the
            # run's state is whole again.
            read_back = server.engine.store.load_run(key)
            assert read_back is not None and snapshot.dump(read_back) == state_before
            assert not any(state.key.workflow_id in nappers for state in server.engine.runs.live())
            # Listed from its kept execution info, described and fetched from its kept bytes.
            now = await _seen(client, queue, nappers[:1])
            listed = now.pop("list")
            assert [info.execution.workflow_id for info in listed] == nappers[::-1]  # type: ignore[attr-defined]
            assert listed[-1] == first.pop("list")[0]  # type: ignore[index]
            assert now == first
            assert await client.get_workflow_handle(nappers[0]).query(Napper.nap_length) == 0.0
