"""A database written by an older tempo (run snapshots in format 1, before lifecycle states)
loads, and its workflows carry on (the snapshot upgrade in `devserver.core.snapshot`)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from devserver.core import snapshot
from tests.devserver.durable_app import Courier, Dispatcher, DurableOrder, deliver, prepare
from tests.devserver.file_servers import file_server, wait_for_event
from tests.servers import free_port

_STAGES = {"ADMITTED": 1, "ACCEPTED": 2, "COMPLETED": 3, "REJECTED": 3, "ABORTED": 1}


def as_format_1(value: Any) -> Any:
    """A format-3 snapshot as the format-1 code wrote it: flags instead of lifecycle states."""
    if isinstance(value, list):
        return [as_format_1(v) for v in value]
    if not isinstance(value, dict):
        return value
    fields = {k: as_format_1(v) for k, v in value.items()}
    kind = fields.get("$dc")
    state = (
        fields.pop("state", None)
        if kind in {"WorkflowTask", "ActivityInfo", "ChildInfo", "TimerInfo", "UpdateInfo"}
        else None
    )
    if kind == "MutableState":
        fields.pop("pause", None)  # added later (a workflow's pause): older files do not have it
    if kind in {"WorkflowTask", "ActivityInfo"}:
        fields["started"] = state is not None and state["v"] in {"STARTED", "PAUSE_REQUESTED"}
    if kind == "ActivityInfo":
        fields["paused"] = state is not None and state["v"] in {"PAUSED", "PAUSE_REQUESTED"}
        fields["cancel_requested"] = fields.pop("cancel_request", {}).get("v") == "REQUESTED"
        reset = fields.pop("reset_request", {}).get("v", "NOT_REQUESTED")
        fields["reset_requested"] = reset != "NOT_REQUESTED"
        fields["reset_heartbeats"] = reset == "REQUESTED_DROP_HEARTBEATS"
    elif kind == "UpdateInfo" and state is not None:
        fields["stage"] = _STAGES[state["v"]]
        fields["aborted"] = state["v"] == "ABORTED"
    return fields


def rewrite_as_format_1(db: Path) -> int:
    """Rewrite every run's snapshot in the file as format 1; how many runs there were."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT namespace, workflow_id, run_id, state FROM executions").fetchall()
        for namespace, workflow_id, run_id, data in rows:
            document = json.loads(data)
            assert document["v"] == snapshot.FORMAT_VERSION
            old = json.dumps({"v": 1, "state": as_format_1(document["state"])}, separators=(",", ":"))
            assert '"$enum"' not in old
            conn.execute(
                "UPDATE executions SET state = ? WHERE namespace = ? AND workflow_id = ? AND run_id = ?",
                (old.encode(), namespace, workflow_id, run_id),
            )
    return len(rows)


async def test_a_database_with_format_1_snapshots_loads_and_its_workflows_carry_on(tmp_path: Path) -> None:
    db, port = tmp_path / "old-format.db", free_port()
    queue = f"tq-{uuid.uuid4().hex[:8]}"
    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        async with Worker(
            client,
            task_queue=queue,
            workflows=[DurableOrder, Dispatcher, Courier],
            activities=[prepare, deliver],
        ):
            order = await client.start_workflow(DurableOrder.run, args=[7, 0.5], id=f"order-{queue}", task_queue=queue)
            dispatcher = await client.start_workflow(Dispatcher.run, 8, id=f"dispatch-{queue}", task_queue=queue)
            await wait_for_event(order, EventType.EVENT_TYPE_TIMER_STARTED)
            await wait_for_event(dispatcher, EventType.EVENT_TYPE_TIMER_STARTED)  # its child is started
    finally:
        server.stop()
    assert rewrite_as_format_1(db) == 3  # the order, the dispatcher and its child

    server.start()
    try:
        client = await Client.connect(server.address)
        async with Worker(
            client,
            task_queue=queue,
            workflows=[DurableOrder, Dispatcher, Courier],
            activities=[prepare, deliver],
        ):
            order = client.get_workflow_handle(f"order-{queue}")
            await wait_for_event(order, EventType.EVENT_TYPE_TIMER_FIRED)
            await order.signal(DurableOrder.pick_up)
            assert await order.result() == "prepared 7, delivered 7"
            dispatcher = client.get_workflow_handle(f"dispatch-{queue}")
            assert await dispatcher.result() == "courier 8 arrived"
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:
        versions = {json.loads(row[0])["v"] for row in conn.execute("SELECT state FROM executions")}
    assert versions == {snapshot.FORMAT_VERSION}, "runs changed since are written in the current format"
