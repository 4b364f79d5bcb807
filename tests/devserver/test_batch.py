"""Batch operations (StartBatchOperation and friends) against both servers, with the official
SDK's raw service client: the same requests, the same validation errors, progress counts,
states and the histories of the workflows a job touched."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from temporalio.api.batch.v1 import message_pb2 as batch_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import BatchOperationState, BatchOperationType, ExecutionType, ResetType
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from tests.devserver.batch_helpers import (
    finished_job,
    history_after_start,
    identities,
    idle_workflows,
    job_summary,
    listed_closed,
    start_job,
    wait_for_items,
    wait_visible,
)
from tests.sdk_client.workflows import official_worker

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

Scenario = Callable[[Client], Awaitable[Any]]


async def both(tempo_address: str, real_address: str, scenario: Scenario) -> tuple[Any, Any]:
    ours = await scenario(await Client.connect(tempo_address))
    real = await scenario(await Client.connect(real_address))
    return ours, real


def _start(**fields: Any) -> wsv1.StartBatchOperationRequest:
    fields.setdefault("namespace", "default")
    return wsv1.StartBatchOperationRequest(**fields)


TERMINATE = batch_pb.BatchOperationTermination()
SIGNAL = batch_pb.BatchOperationSignal()
RESET = batch_pb.BatchOperationReset()
BAD_STARTS = [
    (_start(job_id="j", reason="r"), "must provide required parameters"),
    (_start(job_id="j", visibility_query="WorkflowType='x'", termination_operation=TERMINATE), "must provide required"),
    (_start(reason="r", visibility_query="WorkflowType='x'", termination_operation=TERMINATE), "JobId is not set"),
    (
        _start(
            job_id="j",
            reason="r",
            visibility_query="WorkflowType='x'",
            executions=[common.WorkflowExecution(workflow_id="a")],
            termination_operation=TERMINATE,
        ),
        "visibility query, executions, and target executions are mutually exclusive",
    ),
    (
        _start(
            job_id="j",
            reason="r",
            visibility_query="WorkflowType='x'",
            signal_operation=batch_pb.BatchOperationSignal(),
        ),
        "must provide signal name",
    ),
    (
        _start(
            job_id="j", reason="r", visibility_query="WorkflowType='x'", reset_operation=batch_pb.BatchOperationReset()
        ),
        "unknown batch reset type Unspecified",
    ),
    (
        _start(job_id="j", reason="r", visibility_query="WorkflowType=", termination_operation=TERMINATE),
        "invalid visibility query: ",
    ),
    (
        _start(
            job_id="j",
            reason="r",
            target_executions=[common.Execution(type=ExecutionType.EXECUTION_TYPE_ACTIVITY, business_id="a")],
            termination_operation=TERMINATE,
        ),
        "target_executions[0] has type Activity, but operation "
        "*workflowservice.StartBatchOperationRequest_TerminationOperation requires Workflow",
    ),
    (
        _start(job_id="j" * 1001, reason="r", visibility_query="WorkflowType='x'", termination_operation=TERMINATE),
        "WorkflowId exceeds length limit.",
    ),
]


@pytest.mark.parametrize("request_, message", BAD_STARTS, ids=lambda v: str(v)[:30] if isinstance(v, str) else None)
async def test_bad_start_refused_as_the_real_server_refuses_it(
    server_address: str, request_: wsv1.StartBatchOperationRequest, message: str
) -> None:
    client = await Client.connect(server_address)
    with pytest.raises(RPCError) as raised:
        await client.workflow_service.start_batch_operation(request_)
    assert raised.value.status == RPCStatusCode.INVALID_ARGUMENT
    assert raised.value.message.startswith(message)


async def test_unknown_jobs_and_namespaces(server_address: str) -> None:
    service = (await Client.connect(server_address)).workflow_service
    with pytest.raises(RPCError) as raised:
        await service.describe_batch_operation(wsv1.DescribeBatchOperationRequest(namespace="default", job_id="nope"))
    assert (raised.value.status, raised.value.message) == (RPCStatusCode.NOT_FOUND, "workflow not found for ID: nope")
    with pytest.raises(RPCError) as raised:
        await service.describe_batch_operation(wsv1.DescribeBatchOperationRequest(namespace="default"))
    assert (raised.value.status, raised.value.message) == (
        RPCStatusCode.INVALID_ARGUMENT,
        "JobId is not set on request.",
    )
    with pytest.raises(RPCError) as raised:
        await service.stop_batch_operation(wsv1.StopBatchOperationRequest(namespace="default", job_id="nope"))
    assert raised.value.message == "Reason is not set on request."
    with pytest.raises(RPCError) as raised:
        await service.list_batch_operations(wsv1.ListBatchOperationsRequest())
    assert (raised.value.status, raised.value.message) == (RPCStatusCode.INVALID_ARGUMENT, "Namespace is empty.")
    with pytest.raises(RPCError) as raised:
        await service.start_batch_operation(
            _start(
                namespace="missing-ns",
                job_id="j",
                reason="r",
                visibility_query="WorkflowType='x'",
                termination_operation=TERMINATE,
            )
        )
    assert (raised.value.status, raised.value.message) == (
        RPCStatusCode.NOT_FOUND,
        "Namespace missing-ns is not found.",
    )


async def test_terminate_by_query(tempo_address: str, real_address: str) -> None:
    kind = f"BatchMe{uuid.uuid4().hex[:6]}"

    async def scenario(client: Client) -> tuple[Any, ...]:
        ids = await idle_workflows(client, kind, 3)
        bystander = (await idle_workflows(client, f"Other{kind}", 1))[0]
        query = f"WorkflowType='{kind}'"
        await wait_visible(client, query, 3)
        job_id = str(uuid.uuid4())
        termination = batch_pb.BatchOperationTermination(identity="batch-tester")
        await start_job(
            client,
            _start(job_id=job_id, reason="batch test", visibility_query=query, termination_operation=termination),
        )
        job = await finished_job(client, job_id)
        # Listed once visibility has the job's end (the real server counts it as running
        # until then, and would refuse the next start as one job too many).
        info = await listed_closed(client, job_id)
        # A job id is never reused.
        with pytest.raises(RPCError) as raised:
            await client.workflow_service.start_batch_operation(
                _start(job_id=job_id, reason="again", visibility_query=query, termination_operation=termination)
            )
        assert raised.value.status == RPCStatusCode.ALREADY_EXISTS
        assert raised.value.message.startswith(f"Workflow execution already finished. WorkflowId: {job_id}, RunId: ")
        # Stopping a finished job is NOT_FOUND.
        with pytest.raises(RPCError) as raised:
            await client.workflow_service.stop_batch_operation(
                wsv1.StopBatchOperationRequest(namespace="default", job_id=job_id, reason="stop")
            )
        assert (raised.value.status, raised.value.message) == (
            RPCStatusCode.NOT_FOUND,
            "workflow execution already completed",
        )
        histories = [await history_after_start(client, workflow_id) for workflow_id in ids]
        who = await identities(client, ids[0])
        untouched = await history_after_start(client, bystander)
        assert job.query == query and info.HasField("close_time")
        return job_summary(job), info.state, info.operation_type, histories, untouched, who

    ours, real = await both(tempo_address, real_address, scenario)
    assert ours[:5] == real[:5]
    summary, state, kind = ours[:3]
    assert summary["totalOperationCount"] == summary["completeOperationCount"] == "3"
    assert summary["identity"] == "batch-tester" and summary["reason"] == "batch test"
    assert state == BatchOperationState.BATCH_OPERATION_STATE_COMPLETED
    assert kind == BatchOperationType.BATCH_OPERATION_TYPE_TERMINATE_WORKFLOW
    assert ours[3][0][-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED"
    # The batch worker's own identity, "<pid>@<host>@", on both.
    assert ours[5][0].endswith("@") and real[5][0].endswith("@")


async def test_signal_a_list_of_executions_counts_gone_and_closed_ones_as_done(
    tempo_address: str, real_address: str
) -> None:
    kind = f"Sig{uuid.uuid4().hex[:6]}"

    async def scenario(client: Client) -> tuple[Any, ...]:
        running, closed = await idle_workflows(client, kind, 2)
        await client.get_workflow_handle(closed).terminate("closed first")
        job_id = str(uuid.uuid4())
        targets = [common.WorkflowExecution(workflow_id=w) for w in (running, closed, "no-such-workflow")]
        signal = batch_pb.BatchOperationSignal(signal="go", identity="signaller")
        await start_job(client, _start(job_id=job_id, reason="sig", executions=targets, signal_operation=signal))
        job = await finished_job(client, job_id)
        return (
            job_summary(job),
            await history_after_start(client, running),
            await identities(client, running),
            await history_after_start(client, closed),
        )

    ours, real = await both(tempo_address, real_address, scenario)
    assert ours == real
    assert ours[0]["totalOperationCount"] == ours[0]["completeOperationCount"] == "3"
    assert ours[0]["operationType"] == "BATCH_OPERATION_TYPE_SIGNAL_WORKFLOW"
    assert ours[1][-1]["workflowExecutionSignaledEventAttributes"]["signalName"] == "go"
    assert ours[2] == ["signaller"]


async def test_cancel_and_delete_by_query(tempo_address: str, real_address: str) -> None:
    kind = f"Cancel{uuid.uuid4().hex[:6]}"

    async def scenario(client: Client) -> tuple[Any, ...]:
        ids = await idle_workflows(client, kind, 2)
        query = f"WorkflowType='{kind}'"
        await wait_visible(client, query, 2)
        cancel_job, delete_job = str(uuid.uuid4()), str(uuid.uuid4())
        await start_job(
            client,
            _start(
                job_id=cancel_job,
                reason="cancel them",
                visibility_query=query,
                cancellation_operation=batch_pb.BatchOperationCancellation(identity="canceller"),
            ),
        )
        cancelled = await finished_job(client, cancel_job)
        histories = [await history_after_start(client, workflow_id) for workflow_id in ids]
        await start_job(
            client,
            _start(
                job_id=delete_job,
                reason="delete them",
                visibility_query=query,
                deletion_operation=batch_pb.BatchOperationDeletion(identity="deleter"),
            ),
        )
        deleted = await finished_job(client, delete_job)
        await wait_visible(client, query, 0)
        gone = []
        for workflow_id in ids:
            with pytest.raises(RPCError) as raised:
                await client.get_workflow_handle(workflow_id).describe()
            gone.append(raised.value.status)
        return job_summary(cancelled), histories, job_summary(deleted), gone

    ours, real = await both(tempo_address, real_address, scenario)
    assert ours == real
    assert ours[0]["completeOperationCount"] == ours[2]["completeOperationCount"] == "2"
    assert ours[1][0][-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED"
    assert ours[3] == [RPCStatusCode.NOT_FOUND] * 2


async def test_reset_failures_are_counted(tempo_address: str, real_address: str) -> None:
    """A run whose first workflow task never completed cannot be reset there: a failure."""

    kind = f"Reset{uuid.uuid4().hex[:6]}"

    async def scenario(client: Client) -> tuple[Any, ...]:
        ids = await idle_workflows(client, kind, 2)
        query = f"WorkflowType='{kind}'"
        await wait_visible(client, query, 2)
        job_id = str(uuid.uuid4())
        reset = batch_pb.BatchOperationReset(identity="resetter", reset_type=ResetType.RESET_TYPE_FIRST_WORKFLOW_TASK)
        await start_job(
            client, _start(job_id=job_id, reason="reset them", visibility_query=query, reset_operation=reset)
        )
        job = await finished_job(client, job_id)
        return job_summary(job), [await history_after_start(client, workflow_id) for workflow_id in ids]

    ours, real = await both(tempo_address, real_address, scenario)
    assert ours == real
    assert ours[0]["totalOperationCount"] == ours[0]["failureOperationCount"] == "2"


async def test_stop_a_running_job_and_one_job_at_a_time(tempo_address: str, real_address: str) -> None:
    kind = f"Stop{uuid.uuid4().hex[:6]}"
    # Enough targets that the job (50 a second on both servers) is still running when stopped.
    count = 60

    async def scenario(client: Client) -> tuple[Any, ...]:
        ids = await idle_workflows(client, kind, count)
        query = f"WorkflowType='{kind}'"
        await wait_visible(client, query, count)
        job_id = str(uuid.uuid4())
        await client.workflow_service.start_batch_operation(
            _start(job_id=job_id, reason="many", visibility_query=query, termination_operation=TERMINATE)
        )
        # One running job per namespace (the real server counts its running jobs through its
        # visibility store, which lags: a second job started at once may still get through).
        second_id = str(uuid.uuid4())
        try:
            await client.workflow_service.start_batch_operation(
                _start(job_id=second_id, reason="more", visibility_query=query, termination_operation=TERMINATE)
            )
            second: tuple[Any, ...] = ()
        except RPCError as refused:
            second = (refused.status, refused.message)
        await client.workflow_service.stop_batch_operation(
            wsv1.StopBatchOperationRequest(namespace="default", job_id=job_id, reason="enough")
        )
        stopped = await client.workflow_service.describe_batch_operation(
            wsv1.DescribeBatchOperationRequest(namespace="default", job_id=job_id)
        )
        running = [(await client.get_workflow_handle(w).describe()).status for w in ids].count(
            WorkflowExecutionStatus.RUNNING
        )
        if not second:
            await finished_job(client, second_id)  # out of the way of the next tests' jobs
        return job_summary(stopped), stopped.HasField("close_time"), second, running

    ours, real = await both(tempo_address, real_address, scenario)
    assert ours[:2] == real[:2]
    assert ours[0]["state"] == "BATCH_OPERATION_STATE_FAILED" and "totalOperationCount" not in ours[0]
    assert ours[1] is True
    refused = (RPCStatusCode.RESOURCE_EXHAUSTED, "Max concurrent batch operations is reached")
    assert ours[2] == refused and real[2] in (refused, ())
    # Tempo stops at once; the real server's batch worker notices at its next heartbeat.
    assert ours[3] > 0


async def test_reset_by_query_replays_and_reapplies_signals(tempo_address: str, real_address: str) -> None:
    """A batch reset to each run's first workflow task, with an official worker: the new runs
    get the signals again and finish with the same result on both servers."""
    kind_tag = uuid.uuid4().hex[:6]

    async def scenario(client: Client) -> tuple[Any, ...]:
        async with official_worker(client.service_client.config.target_host) as task_queue:
            ids = [f"waiter-{kind_tag}-{i}" for i in range(2)]
            for workflow_id in ids:
                handle = await client.start_workflow("Waiter", id=workflow_id, task_queue=task_queue)
                await wait_for_items(client, workflow_id, 0)  # its first workflow task is done: no race
                await handle.signal("add", "tea")
                await wait_for_items(client, workflow_id, 1)
            query = f"WorkflowId STARTS_WITH 'waiter-{kind_tag}-'"
            await wait_visible(client, query, 2)
            job_id = str(uuid.uuid4())
            reset = batch_pb.BatchOperationReset(
                identity="resetter", reset_type=ResetType.RESET_TYPE_FIRST_WORKFLOW_TASK
            )
            await start_job(
                client, _start(job_id=job_id, reason="again", visibility_query=query, reset_operation=reset)
            )
            job = await finished_job(client, job_id)
            results = []
            for workflow_id in ids:
                handle = client.get_workflow_handle(workflow_id)
                await wait_for_items(client, workflow_id, 1)  # the new run has the signal again
                await handle.signal("finish")
                results.append(await handle.result())
            kinds = [[event["eventType"] for event in await history_after_start(client, w)] for w in ids]
            return job_summary(job), results, kinds

    ours, real = await both(tempo_address, real_address, scenario)
    assert ours == real
    assert ours[0]["completeOperationCount"] == "2" and ours[1] == [["tea"], ["tea"]]
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" in ours[2][0]  # where the new run branched off
