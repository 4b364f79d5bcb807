"""A reset with `--db-filename` is as durable as any other change: the server is killed right
after it answers, and on restart the new run carries on (its activity is handed out again,
its timer fires) while both runs still say what the reset did."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client

from tests.devserver import reset_app, scenarios
from tests.devserver.reset_app import Waiter
from tests.devserver.reset_history import finish_ids, history, settled
from tests.servers import free_port, tempo_server


async def test_a_reset_run_survives_a_kill(tmp_path: Path) -> None:
    server = tempo_server("--db-filename", str(tmp_path / "tempo.db"), port=free_port()).start()
    try:
        client = await Client.connect(server.address)
        task_queue = f"tq-{uuid.uuid4().hex[:8]}"
        async with reset_app.worker(client, task_queue):
            handle = await client.start_workflow(Waiter.run, 3.0, id=f"durable-{task_queue}", task_queue=task_queue)
            wid, base = handle.id, handle.result_run_id or ""
            await scenarios.wait_until(lambda: asyncio.sleep(0, (wid, base) in reset_app.TOKENS), what="the activity")
            await handle.signal(Waiter.poke)
            base_events = await settled(client, wid, min_events=10)
        # No worker while the server goes down: nothing of the new run is handed out before the crash.
        cut_at = finish_ids(base_events)[-1]
        response = await client.workflow_service.reset_workflow_execution(
            wsv1.ResetWorkflowExecutionRequest(
                namespace="default",
                workflow_execution=WorkflowExecution(workflow_id=wid),
                workflow_task_finish_event_id=cut_at,
                reason="before the crash",
                request_id=str(uuid.uuid4()),
            )
        )
        new = response.run_id
        server.kill()
        server.start()
        client = await Client.connect(server.address)
        async with reset_app.worker(client, task_queue):
            # The activity pending at the cut is handed out again, after the restart.
            await scenarios.wait_until(
                lambda: asyncio.sleep(0, (wid, new) in reset_app.TOKENS), timeout=30, what="the activity again"
            )
            await client.get_async_activity_handle(task_token=reset_app.TOKENS[(wid, new)]).complete("survived")
            assert await asyncio.wait_for(client.get_workflow_handle(wid).result(), 30) == "survived"
            new_events = await history(client, wid, new)
        assert [e.SerializeToString() for e in new_events[: cut_at - 1]] == [
            e.SerializeToString() for e in base_events[: cut_at - 1]
        ]
        reset_failed = new_events[cut_at - 1].workflow_task_failed_event_attributes
        assert (reset_failed.base_run_id, reset_failed.new_run_id) == (base, new)
        types = [e.event_type for e in new_events]
        assert EventType.EVENT_TYPE_TIMER_FIRED in types and EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in types
        terminated = (await history(client, wid, base))[-1].workflow_execution_terminated_event_attributes
        assert (terminated.reason, terminated.identity) == ("before the crash", "history-resetter")
        described = await client.workflow_service.describe_workflow_execution(
            wsv1.DescribeWorkflowExecutionRequest(
                namespace="default", execution=WorkflowExecution(workflow_id=wid, run_id=base)
            )
        )
        assert described.workflow_extended_info.reset_run_id == new
        current = await client.get_workflow_handle(wid).describe()
        assert current.run_id == new, "the reset run is still the current one"
    finally:
        server.stop()
