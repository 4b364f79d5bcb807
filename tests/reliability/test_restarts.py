"""Restarts on the same database file: a signal retried after a crash is delivered once, and a
graceful stop with 100 workflows in flight loses none of them. Both servers, official SDK."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.worker import Worker

from tests.reliability.harness import LoggedServer, connect, logged
from tests.reliability.ledger_app import LedgerOrder, deliver_order, prepare_order
from tests.servers import real_server, tempo_server

SERVERS = ["tempo", pytest.param("real", marks=pytest.mark.real_server)]


def on_file(kind: str, directory: Path) -> LoggedServer:
    make = tempo_server if kind == "tempo" else real_server
    return logged(make("--db-filename", str(directory / f"{kind}.db")), directory / "server.log")


@pytest.mark.parametrize("kind", SERVERS)
async def test_a_signal_retried_after_a_crash_is_delivered_once(kind: str, tmp_path: Path) -> None:
    server = on_file(kind, tmp_path).start(timeout=60)
    try:
        client = await connect(server.address)
        workflow_id = f"once-{uuid.uuid4().hex[:6]}"
        await client.start_workflow(LedgerOrder.run, args=[1, 0.0, 1], id=workflow_id, task_queue="nobody-polls")
        request = SignalWorkflowExecutionRequest(
            namespace="default",
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            signal_name="add",
            input=Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=json.dumps("t").encode())]),
            request_id=str(uuid.uuid4()),
        )
        await client.workflow_service.signal_workflow_execution(request)
        # The answer is "lost": the server dies, the client sends the same request again.
        server.kill()
        server.start(timeout=60)
        client = await connect(server.address)
        await client.workflow_service.signal_workflow_execution(request, retry=True)
        events = [e async for e in client.get_workflow_handle(workflow_id).fetch_history_events()]
    finally:
        server.stop()
    signaled = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]
    assert len(signaled) == 1


@pytest.mark.parametrize("kind", SERVERS)
async def test_sigterm_with_100_workflows_in_flight_then_restart_completes_them_all(kind: str, tmp_path: Path) -> None:
    server = on_file(kind, tmp_path).start(timeout=60)
    queue = f"sigterm-{uuid.uuid4().hex[:6]}"
    workflow_ids = [f"{queue}-{i}" for i in range(100)]
    try:
        client = await connect(server.address)
        async with Worker(client, task_queue=queue, workflows=[LedgerOrder], activities=[prepare_order, deliver_order]):
            for i, workflow_id in enumerate(workflow_ids):
                await client.start_workflow(
                    LedgerOrder.run,
                    args=[i, 1.0 + (i % 10) / 5, 0],
                    id=workflow_id,
                    task_queue=queue,
                    task_timeout=timedelta(seconds=2),
                )
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            began = time.monotonic()
            code = await asyncio.to_thread(server.proc.wait, 30)
            stopped_in = time.monotonic() - began
            assert code == 0, server.log()[-2000:]
            running = await _count_running_in_file(kind, tmp_path)
            server.start(timeout=60)
            client = await connect(server.address)
            results = await asyncio.wait_for(
                asyncio.gather(*(client.get_workflow_handle(w).result() for w in workflow_ids)), 120
            )
    finally:
        server.stop()
    assert results == [f"prepared {i}, delivered {i}, 0 signals" for i in range(100)]
    assert running is None or running > 0, "the stop came while workflows were in flight"
    assert "Traceback" not in server.log()
    print(f"{kind}: stopped in {stopped_in:.2f}s with {running} runs open")


async def _count_running_in_file(kind: str, directory: Path) -> int | None:
    """Runs still open in Tempo's file after the stop (None for the real server's schema)."""
    if kind != "tempo":
        return None
    from devserver.sqlite_store import SqliteStore

    store = SqliteStore(str(directory / "tempo.db"))
    loaded = await store.load()
    await store.close()
    return sum(1 for state in loaded.states if state.running)
