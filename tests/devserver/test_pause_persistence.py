"""A paused workflow stays paused across a restart with `--db-filename` (issue 18)."""

from __future__ import annotations

from pathlib import Path

from temporalio.api.enums.v1 import WorkflowExecutionStatus

from tests.devserver.pause_driver import PAUSE_FLAGS, driver, schedule_activity
from tests.servers import free_port, tempo_server

PAUSED = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_PAUSED


async def test_a_paused_run_is_still_paused_after_a_kill_and_its_activity_still_waits(tmp_path: Path) -> None:
    server = tempo_server("--db-filename", str(tmp_path / "tempo.db"), *PAUSE_FLAGS, port=free_port()).start()
    try:
        async with driver(server.address, "pause-restart") as d:
            await d.start()
            task = await d.poll_workflow_task()
            await d.complete_task(task.task_token, schedule_activity("a1", d.task_queue))
            await d.pause("over the restart")
            before = await d.describe()
            server.kill()
            server.start()
            after = await d.describe()
            assert after == before
            assert after["status"] == PAUSED and after["pause info"] == ("operator", "over the restart", True)
            held = await d.poll_activity_task(timeout=3)
            assert held.activity_id == "", "the restart hands out no attempt while paused"
            await d.signal("after-restart")
            assert (await d.describe())["pending workflow task"] is None
            await d.unpause("done")
            assert (await d.poll_activity_task()).activity_id == "a1"
            assert (await d.poll_workflow_task()).task_token
        assert ("UnpauseWorkflowExecution", "OK") in d.answers
    finally:
        server.stop()
