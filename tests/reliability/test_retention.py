"""Closed runs past their namespace's retention are removed (history, state, visibility), as
the real server removes them; with --db-filename the file stops growing under steady load."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from tests.reliability.harness import logged
from tests.reliability.storm_app import Sleeper
from tests.servers import tempo_server

RETENTION = timedelta(seconds=2)


async def register_short_lived(client: Client, name: str) -> None:
    request = RegisterNamespaceRequest(namespace=name)
    request.workflow_execution_retention_period.FromTimedelta(RETENTION)
    await client.workflow_service.register_namespace(request)


async def run_batch(client: Client, queue: str, count: int) -> list[str]:
    ids = [f"{queue}-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    await asyncio.gather(*(client.start_workflow(Sleeper.run, 0.0, id=i, task_queue=queue) for i in ids))
    await asyncio.gather(*(client.get_workflow_handle(i).result() for i in ids))
    return ids


async def wait_until_gone(client: Client, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (await client.count_workflows()).count and time.monotonic() < deadline:
        await asyncio.sleep(0.2)


async def test_closed_runs_past_retention_are_removed_and_the_file_stops_growing(tmp_path: Path) -> None:
    db = tmp_path / "tempo.db"
    server = logged(tempo_server("--db-filename", str(db)), tmp_path / "server.log").start()
    sizes = []
    try:
        default = await Client.connect(server.address)
        await register_short_lived(default, "short")
        client = await Client.connect(server.address, namespace="short")
        queue = f"retention-{uuid.uuid4().hex[:6]}"
        async with Worker(client, task_queue=queue, workflows=[Sleeper]):
            kept = await default.start_workflow(Sleeper.run, 0.0, id=f"{queue}-kept", task_queue=queue)
            first = await run_batch(client, queue, 20)
            await wait_until_gone(client)
            assert (await client.count_workflows()).count == 0
            try:
                await client.get_workflow_handle(first[0]).describe()
                raise AssertionError("a run past its retention is still there")
            except RPCError as error:
                assert "not found" in str(error)
            for _ in range(4):
                await run_batch(client, queue, 60)
                await wait_until_gone(client)
                sizes.append(db.stat().st_size)
        # The namespace with the default retention (24 h) keeps its run.
        assert (await default.get_workflow_handle(kept.id).describe()).id == kept.id
    finally:
        server.stop()
    assert "Traceback" not in server.log()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        stored = conn.execute("SELECT count(*) FROM executions WHERE namespace = 'short'").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM history WHERE namespace = 'short'").fetchone()[0]
    assert (stored, events) == (0, 0)
    # Freed pages are reused: after the first rounds the file no longer grows.
    assert sizes[-1] <= sizes[1] * 1.1, sizes


async def test_a_closed_runs_deadlines_are_cancelled_not_kept_until_they_come_due() -> None:
    """A day of runs with long timeouts must not pile up armed deadlines in the server."""
    from devserver.core.changes import RunKey
    from tests.inprocess import devserver_in_process

    async with devserver_in_process() as server:
        client = await Client.connect(f"127.0.0.1:{server.port}")
        queue = f"deadlines-{uuid.uuid4().hex[:6]}"
        async with Worker(client, task_queue=queue, workflows=[Sleeper]):
            handle = await client.start_workflow(
                Sleeper.run,
                time.time() + 3600,  # a timer an hour away
                id=queue,
                task_queue=queue,
                execution_timeout=timedelta(days=365),
            )
            run = RunKey("default", queue, handle.result_run_id or "")
            engine = server.engine
            deadline = time.monotonic() + 20
            while engine.armed_timers(run) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert engine.armed_timers(run) >= 2  # the execution timeout and the user timer
            await handle.terminate("done with it")
            assert engine.armed_timers(run) == 0
