"""The pure rules of batch jobs (devserver/core/batch.py), without a server."""

from __future__ import annotations

import json

from temporalio.api.batch.v1 import message_pb2 as batch_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import BatchOperationState, BatchOperationType
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.core import batch


def _request(**fields: object) -> wsv1.StartBatchOperationRequest:
    base: dict[str, object] = {
        "namespace": "default",
        "job_id": "job",
        "reason": "why",
        "visibility_query": "WorkflowType='A'",
        "termination_operation": batch_pb.BatchOperationTermination(identity="me"),
    }
    base.update(fields)
    return wsv1.StartBatchOperationRequest(**base)  # type: ignore[arg-type]


def test_a_good_request_names_its_operation() -> None:
    assert batch.check_start(_request()) == "termination_operation"


def test_terminate_cancel_and_signal_reach_open_runs_only() -> None:
    terminate = BatchOperationType.BATCH_OPERATION_TYPE_TERMINATE_WORKFLOW
    delete = BatchOperationType.BATCH_OPERATION_TYPE_DELETE_WORKFLOW
    assert batch.narrowed_query("A=1", terminate) == "(A=1) AND (ExecutionStatus='Running' OR ExecutionStatus='Paused')"
    assert batch.narrowed_query("A=1", delete) == "A=1"


def test_request_ids_are_the_same_for_the_same_target() -> None:
    assert batch.request_id("job", "signal", "w", "r") == batch.request_id("job", "signal", "w", "r")
    assert batch.request_id("job", "signal", "w", "r") != batch.request_id("job", "signal", "w2", "r")


def test_counts_while_running_when_done_and_when_stopped() -> None:
    request = _request(visibility_query="", executions=[common.WorkflowExecution(workflow_id="w")])
    job = batch.BatchJob("default", "job", request, "termination_operation", start_time=100.0)
    job.total = 3
    job.record(common.WorkflowExecution(workflow_id="w"), True)
    running = batch.describe(job)
    assert (running.total_operation_count, running.complete_operation_count) == (3, 1)
    assert not running.HasField("close_time")
    assert [e.business_id for e in running.executions] == ["w"]
    job.record(common.WorkflowExecution(workflow_id="w2", run_id="r"), False)
    job.finish(101.0)
    done = batch.describe(job)
    assert done.state == BatchOperationState.BATCH_OPERATION_STATE_COMPLETED
    assert (done.total_operation_count, done.complete_operation_count, done.failure_operation_count) == (2, 1, 1)
    stopped = batch.BatchJob("default", "other", request, "termination_operation", start_time=100.0)
    stopped.fail(100.5)
    assert batch.describe(stopped).state == BatchOperationState.BATCH_OPERATION_STATE_FAILED
    assert batch.info(stopped).close_time.ToMilliseconds() == 100_500


def test_a_job_read_back_from_its_dump_is_the_same_job() -> None:
    """What the store keeps (`--db-filename`) gives back the job: request, counts, state and
    the targets already tried, so a job resumed after a restart skips them."""
    request = _request(visibility_query="WorkflowType='T'", termination_operation=batch_pb.BatchOperationTermination())
    job = batch.BatchJob("default", "job", request, "termination_operation", start_time=100.0)
    job.total = 2
    job.record(common.WorkflowExecution(workflow_id="w", run_id="r"), True)
    job.record(common.WorkflowExecution(workflow_id="w2", run_id="r2"), False)
    job.finish(101.0)
    again = batch.load(json.loads(json.dumps(batch.dump(job))))
    assert again == job
    assert batch.describe(again) == batch.describe(job)
    assert again.tried == {("w", "r"), ("w2", "r2")}
