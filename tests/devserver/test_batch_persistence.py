"""Batch jobs with `--db-filename`: they survive a restart, and a running one survives a `kill -9`.

The real server keeps its jobs (each is a workflow in its system namespace); so does Tempo. A
finished or stopped job is described and listed after a restart as before it. A job killed
half-way carries on after the restart and tries each target once: a signal job signals every
workflow exactly once, and its counts add up.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.api.batch.v1 import message_pb2 as batch_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import BatchOperationState, EventType
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client

from tests.devserver.batch_helpers import finished_job, idle_workflows, wait_visible
from tests.devserver.scenarios import wait_until
from tests.servers import free_port, tempo_server


def _describe(job_id: str) -> wsv1.DescribeBatchOperationRequest:
    return wsv1.DescribeBatchOperationRequest(namespace="default", job_id=job_id)


async def test_finished_and_stopped_jobs_are_described_and_listed_after_a_restart(tmp_path: Path) -> None:
    db, port = tmp_path / "tempo.db", free_port()
    server = tempo_server("--db-filename", str(db), port=port).start()
    try:
        client = await Client.connect(server.address)
        await idle_workflows(client, "KeptJob", 3)
        await wait_visible(client, "WorkflowType='KeptJob'", 3)
        service = client.workflow_service
        await service.start_batch_operation(
            wsv1.StartBatchOperationRequest(
                namespace="default",
                job_id="terminate-kept",
                reason="cleanup",
                visibility_query="WorkflowType='KeptJob'",
                termination_operation=batch_pb.BatchOperationTermination(),
            )
        )
        done = await finished_job(client, "terminate-kept")
        assert (done.state, done.complete_operation_count) == (BatchOperationState.BATCH_OPERATION_STATE_COMPLETED, 3)
        # A job over targets that do not exist, stopped while it runs (at 50 a second it would
        # take a while).
        missing = [common.WorkflowExecution(workflow_id=f"missing-{i}") for i in range(500)]
        await service.start_batch_operation(
            wsv1.StartBatchOperationRequest(
                namespace="default",
                job_id="stopped-kept",
                reason="never mind",
                executions=missing,
                cancellation_operation=batch_pb.BatchOperationCancellation(),
            )
        )
        await service.stop_batch_operation(
            wsv1.StopBatchOperationRequest(namespace="default", job_id="stopped-kept", reason="enough")
        )
        stopped = await finished_job(client, "stopped-kept")
        assert stopped.state == BatchOperationState.BATCH_OPERATION_STATE_FAILED
        listed = await service.list_batch_operations(wsv1.ListBatchOperationsRequest(namespace="default"))
        assert [job.job_id for job in listed.operation_info] == ["stopped-kept", "terminate-kept"]

        server.stop()
        server.start()

        client = await Client.connect(server.address)
        service = client.workflow_service
        assert await service.describe_batch_operation(_describe("terminate-kept")) == done
        assert await service.describe_batch_operation(_describe("stopped-kept")) == stopped
        assert await service.list_batch_operations(wsv1.ListBatchOperationsRequest(namespace="default")) == listed
    finally:
        server.stop()


async def test_a_job_killed_half_way_carries_on_after_the_restart_and_signals_each_workflow_once(
    tmp_path: Path,
) -> None:
    db, port = tmp_path / "tempo.db", free_port()
    server = tempo_server("--db-filename", str(db), port=port).start()
    count = 150  # three seconds of work at the job's 50 a second
    try:
        client = await Client.connect(server.address)
        ids = await idle_workflows(client, "SignalledOnce", count)
        service = client.workflow_service
        await service.start_batch_operation(
            wsv1.StartBatchOperationRequest(
                namespace="default",
                job_id="signal-resumed",
                reason="wake up",
                executions=[common.WorkflowExecution(workflow_id=i) for i in ids],
                signal_operation=batch_pb.BatchOperationSignal(signal="poke", identity="batch-test"),
            )
        )

        async def half_done() -> bool:
            job = await service.describe_batch_operation(_describe("signal-resumed"))
            return job.complete_operation_count >= count // 2

        await wait_until(half_done, timeout=60.0, what="half of the job")
        server.kill()
        server.start()

        client = await Client.connect(server.address)
        job = await finished_job(client, "signal-resumed")
        assert job.state == BatchOperationState.BATCH_OPERATION_STATE_COMPLETED
        assert (job.total_operation_count, job.complete_operation_count, job.failure_operation_count) == (
            count,
            count,
            0,
        )

        async def signals(workflow_id: str) -> int:
            handle = client.get_workflow_handle(workflow_id)
            events = [e async for e in handle.fetch_history_events()]
            return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in events)

        received = await asyncio.gather(*(signals(i) for i in ids))
        assert dict(zip(ids, received, strict=True)) == dict.fromkeys(ids, 1)
    finally:
        server.stop()
