"""`--db-filename`: state survives restarts and `kill -9`, driven by the official SDK."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RetryConfig, RPCError
from temporalio.worker import Worker

from tests.devserver.durable_app import Courier, Dispatcher, DurableOrder, Napper, deliver, prepare
from tests.devserver.file_servers import file_server, wait_for_event
from tests.servers import free_port, tempo_server

WFT_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


def workflow_events(events: list) -> list[str]:  # type: ignore[type-arg]
    """Event types without workflow-task bookkeeping, which a crash may legitimately add."""
    return [EventType.Name(e.event_type) for e in events if e.event_type not in WFT_EVENTS]


async def test_completed_history_survives_a_restart(tmp_path: Path) -> None:
    db, port = tmp_path / "tempo.db", free_port()
    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        queue = f"tq-{uuid.uuid4().hex[:8]}"
        async with Worker(client, task_queue=queue, workflows=[Napper]):
            result = await client.execute_workflow(Napper.run, 0.1, id=f"nap-{queue}", task_queue=queue)
        assert result == "rested"
        before = await client.get_workflow_handle(f"nap-{queue}").fetch_history()
        server.stop()
        server.start()
        client = await Client.connect(server.address)
        after = await client.get_workflow_handle(f"nap-{queue}").fetch_history()
        assert [e.SerializeToString() for e in after.events] == [e.SerializeToString() for e in before.events]
        description = await client.get_workflow_handle(f"nap-{queue}").describe()
        assert description.status is not None and description.status.name == "COMPLETED"
        listed = [w.id async for w in client.list_workflows(f"WorkflowId = 'nap-{queue}'")]
        assert listed == [f"nap-{queue}"], "visibility survives the restart"
    finally:
        server.stop()


async def test_timer_due_while_the_server_is_down_fires_after_restart(tmp_path: Path) -> None:
    db, port = tmp_path / "tempo.db", free_port()
    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        queue = f"tq-{uuid.uuid4().hex[:8]}"
        async with Worker(client, task_queue=queue, workflows=[Napper]):
            handle = await client.start_workflow(Napper.run, 1.0, id=f"nap-{queue}", task_queue=queue)
            await wait_for_event(handle, EventType.EVENT_TYPE_TIMER_STARTED)
            server.kill()
            await asyncio.sleep(1.5)  # the timer comes due while nobody is serving
            server.start()
            assert await asyncio.wait_for(handle.result(), 30) == "rested"
            types = workflow_events(list((await handle.fetch_history()).events))
        assert types == [
            "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
            "EVENT_TYPE_TIMER_STARTED",
            "EVENT_TYPE_TIMER_FIRED",
            "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED",
        ]
    finally:
        server.stop()


async def test_a_child_workflow_and_a_workflow_signal_survive_a_kill(tmp_path: Path) -> None:
    db, port = tmp_path / "tempo.db", free_port()
    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        queue = f"tq-{uuid.uuid4().hex[:8]}"
        async with Worker(client, task_queue=queue, workflows=[Dispatcher, Courier]):
            handle = await client.start_workflow(Dispatcher.run, 7, id=f"dispatch-{queue}", task_queue=queue)
            await wait_for_event(handle, EventType.EVENT_TYPE_TIMER_STARTED)
            server.kill()
            server.start()
            assert await asyncio.wait_for(handle.result(), 30) == "courier 7 arrived"
            parent = workflow_events(list((await handle.fetch_history()).events))
            child = workflow_events(
                list((await client.get_workflow_handle(f"dispatch-{queue}-courier").fetch_history()).events)
            )
        assert parent == [
            "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
            "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED",
            "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED",
            "EVENT_TYPE_TIMER_STARTED",
            "EVENT_TYPE_TIMER_FIRED",
            "EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
            "EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED",
            "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED",
            "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED",
        ]
        assert child == [
            "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
            "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED",
            "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED",
        ]
    finally:
        server.stop()


async def _start_acknowledged(client: Client, order_id: int, queue: str) -> str:
    """Start (with the pick-up signal) until the server acknowledges it; returns the workflow id."""
    workflow_id = f"order-{order_id}-{queue}"
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        try:
            await client.start_workflow(
                DurableOrder.run,
                args=[order_id, 0.3],
                id=workflow_id,
                task_queue=queue,
                start_signal="pick_up",
                task_timeout=timedelta(seconds=2),
                rpc_timeout=timedelta(seconds=2),
            )
            return workflow_id
        except WorkflowAlreadyStartedError:
            return workflow_id  # an earlier try was committed; its answer was lost in the crash
        except RPCError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_kill_9_at_random_points_loses_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("TEMPO_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    db, port = tmp_path / "tempo.db", free_port()
    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        queue = f"tq-{uuid.uuid4().hex[:8]}"
        async with Worker(client, task_queue=queue, workflows=[DurableOrder], activities=[prepare, deliver]):
            control = await client.get_workflow_handle(await _start_acknowledged(client, 0, queue)).result()
            assert control == "prepared 0, delivered 0"
            expected = workflow_events(
                list((await client.get_workflow_handle(f"order-0-{queue}").fetch_history()).events)
            )

            starts = asyncio.gather(*(_start_acknowledged(client, i, queue) for i in range(1, 13)))
            for _ in range(3):
                await asyncio.sleep(rng.uniform(0.05, 0.6))
                server.kill()
                await asyncio.sleep(rng.uniform(0.1, 0.5))
                server.start()
            workflow_ids = await asyncio.wait_for(starts, 60)
            results = await asyncio.wait_for(
                asyncio.gather(*(client.get_workflow_handle(w).result() for w in workflow_ids)), 90
            )
        assert results == [f"prepared {i}, delivered {i}" for i in range(1, 13)], f"seed {seed}"
        for workflow_id in workflow_ids:
            events = list((await client.get_workflow_handle(workflow_id).fetch_history()).events)
            assert [e.event_id for e in events] == list(range(1, len(events) + 1)), f"seed {seed}"
            completed = Counter(
                e.activity_task_completed_event_attributes.scheduled_event_id
                for e in events
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            )
            assert all(n == 1 for n in completed.values()), f"an activity result was recorded twice (seed {seed})"
            assert workflow_events(events) == expected, f"{workflow_id} differs from an uninterrupted run (seed {seed})"
    finally:
        server.stop()


def _start_dev(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tempo_cli.main", "server", "start-dev", "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_second_server_on_the_same_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "tempo.db"
    first = file_server(db, free_port()).start()
    try:
        second = _start_dev("--db-filename", str(db))
        assert second.returncode == 1
        assert "in use by another tempo server" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.stop()


def test_a_file_that_is_not_sqlite_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_bytes(b"these are my notes, not a database\n" * 200)
    before = db.read_bytes()
    result = _start_dev("--db-filename", str(db))
    assert result.returncode == 1
    assert "not a database" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = db.read_bytes()
    result = _start_dev("--db-filename", str(db))
    assert result.returncode == 1
    assert "newer than this server" in result.stderr
    assert db.read_bytes() == before


def test_an_unwritable_directory_is_a_one_line_error(tmp_path: Path) -> None:
    result = _start_dev("--db-filename", str(tmp_path / "missing" / "tempo.db"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1


def test_bad_sqlite_pragma_is_a_one_line_error(tmp_path: Path) -> None:
    result = _start_dev("--db-filename", str(tmp_path / "t.db"), "--sqlite-pragma", "journal_mode")
    assert result.returncode == 1
    assert "KEY=VALUE" in result.stderr


@pytest.mark.parametrize("pragma", ["synchronous=NORMAL", "cache_size=-2000"])
def test_sqlite_pragmas_are_accepted(tmp_path: Path, pragma: str) -> None:
    server = tempo_server("--db-filename", str(tmp_path / "t.db"), "--sqlite-pragma", pragma).start()
    server.stop()
    assert server.proc is not None and server.proc.returncode == 0


async def test_a_full_database_stops_the_server_with_one_line_and_keeps_what_was_acknowledged(tmp_path: Path) -> None:
    # max_page_count makes SQLite report "database or disk is full", the same error a full disk gives.
    db = tmp_path / "tempo.db"
    server = tempo_server("--db-filename", str(db), "--sqlite-pragma", "max_page_count=40").start()
    acknowledged: list[str] = []
    try:
        # Once the server has stopped, the default retries would knock on its door for 10 s.
        client = await Client.connect(server.address, retry_config=RetryConfig(max_retries=2))
        with pytest.raises(RPCError):
            for i in range(2000):
                handle = await client.start_workflow(
                    "Napper", 1000.0, id=f"fill-{i}", task_queue="nowhere", rpc_timeout=timedelta(seconds=5)
                )
                acknowledged.append(handle.id)
        assert server.proc is not None
        assert server.proc.wait(timeout=15) == 1
        stderr = server.log()
        errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
        assert errors and "full" in errors[0], stderr
        assert "Traceback" not in stderr
    finally:
        server.stop()
    assert acknowledged, "some starts fit before the file filled up"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in conn.execute("SELECT workflow_id FROM executions")}
    assert set(acknowledged) <= stored, "every acknowledged start is in the file"


async def test_an_older_schema_is_migrated_forward_and_keeps_its_data(tmp_path: Path) -> None:
    from devserver.sqlite_store import MIGRATIONS, SCHEMA_VERSION

    db = tmp_path / "old.db"
    port = free_port()
    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        queue = f"tq-{uuid.uuid4().hex[:8]}"
        async with Worker(client, task_queue=queue, workflows=[Napper]):
            await client.execute_workflow(Napper.run, 0.1, id=f"old-{queue}", task_queue=queue)
    finally:
        server.stop()
    # Rewind the file to schema version 1, as an older tempo wrote it.
    with sqlite3.connect(db) as conn:
        _rewind_to_schema_5(conn)
        conn.execute("CREATE TABLE namespaces_v1 AS SELECT name, info, config FROM namespaces")
        conn.execute("DROP TABLE namespaces")
        conn.execute("ALTER TABLE namespaces_v1 RENAME TO namespaces")
        conn.execute("DROP TABLE schedules")
        conn.execute("DROP TABLE batch_jobs")
        conn.execute("ALTER TABLE executions DROP COLUMN closed_info")
        conn.execute("ALTER TABLE executions DROP COLUMN start_request_id")
        conn.execute("DROP TABLE counters")
        conn.execute("PRAGMA user_version = 1")
        old_task_ids = [HistoryEvent.FromString(row[0]).task_id for row in conn.execute("SELECT event FROM history")]
    assert "search_attributes" in MIGRATIONS[1] and "schedules" in MIGRATIONS[2] and "batch_jobs" in MIGRATIONS[3]
    assert "closed_info" in MIGRATIONS[4] and "rest_status" in MIGRATIONS[5]
    assert SCHEMA_VERSION == 6
    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        assert await client.get_workflow_handle(f"old-{queue}").result() == "rested"
        async with Worker(client, task_queue=queue, workflows=[Napper]):
            await client.execute_workflow(Napper.run, 0.1, id=f"new-{queue}", task_queue=queue)
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        columns = [row[1] for row in conn.execute("PRAGMA table_info(namespaces)")]
        assert "search_attributes" in columns
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"schedules", "batch_jobs", "counters"} <= tables
        # The old closed run was put to rest (its execution info kept for start-up), and the new
        # run's events have task ids above every old one.
        at_rest = conn.execute("SELECT workflow_id FROM executions WHERE rest_status IS NOT NULL").fetchall()
        assert {row[0] for row in at_rest} == {f"old-{queue}", f"new-{queue}"}
        new_task_ids = [
            HistoryEvent.FromString(row[0]).task_id
            for row in conn.execute("SELECT event FROM history WHERE workflow_id = ?", (f"new-{queue}",))
        ]
        assert min(new_task_ids) > max(old_task_ids)


def _rewind_to_schema_5(conn: sqlite3.Connection) -> None:
    """The file as tempo wrote it before schema 6 (runs at rest kept their execution info only)."""
    conn.execute("DROP INDEX executions_running")
    for column in ("type", "queue", "status", "start", "execution", "close", "length", "attributes"):
        conn.execute(f"ALTER TABLE executions DROP COLUMN rest_{column}")
    conn.execute("PRAGMA user_version = 5")


async def test_runs_put_to_rest_by_an_older_tempo_are_listed_as_before(tmp_path: Path) -> None:
    # Schema 6 keeps a run's record fields beside its info; a file of schema 5 has the info only.
    db = tmp_path / "five.db"
    port = free_port()
    server = file_server(db, port).start()
    queue = f"tq-{uuid.uuid4().hex[:8]}"
    try:
        client = await Client.connect(server.address)
        async with Worker(client, task_queue=queue, workflows=[Napper]):
            for i in range(3):
                await client.execute_workflow(Napper.run, 0.01, id=f"five-{i}-{queue}", task_queue=queue)
        listed_before = [w.raw_info for w in [w async for w in client.list_workflows(f"TaskQueue = '{queue}'")]]
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:
        _rewind_to_schema_5(conn)
    for _ in range(2):  # migrated on the first start; its runs at rest read from their info
        server = file_server(db, port).start()
        try:
            client = await Client.connect(server.address)
            listed = [w.raw_info for w in [w async for w in client.list_workflows(f"TaskQueue = '{queue}'")]]
            assert listed == listed_before
            count = await client.count_workflows(f"TaskQueue = '{queue}' AND ExecutionStatus = 'Completed'")
            assert count.count == 3
        finally:
            server.stop()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (6,)
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "executions_running" in indexes
