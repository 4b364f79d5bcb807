"""Batch jobs: the rules of StartBatchOperation and what Describe/ListBatchOperations report.

A batch job applies one client operation (terminate, cancel, signal, delete, reset, update
options; or unpause, reset or update the options of the pending activities of one type, or of
all of them) to every workflow a visibility query matches, or to a list of executions. The real server runs each job
as a system workflow; here a job is an entity of its own (`BatchJob`), run by
`devserver.batch_ops`. These rules are pure: validation with the real server's messages, the
job's state and counts, and the response messages built from them.

Job lifecycle: RUNNING -> COMPLETED (every target tried) | FAILED (stopped, or its query could
not be run). A target whose operation answers NOT_FOUND (gone, or already closed) counts as a
success, as on the real server; any other error counts as a failure.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.batch.v1 import message_pb2 as batch_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import batch_operation_pb2 as batch_enums
from temporalio.api.enums.v1 import common_pb2 as common_enums
from temporalio.api.enums.v1 import reset_pb2 as reset_enums

from devserver.core.protos import timestamp, with_value_names
from devserver.errors import InvalidArgument

Type = with_value_names(batch_enums.BatchOperationType)
State = with_value_names(batch_enums.BatchOperationState)

# Operations on workflows we run, by the request's oneof field name.
OPERATION_TYPES: dict[str, int] = {
    "termination_operation": Type.BATCH_OPERATION_TYPE_TERMINATE_WORKFLOW,
    "cancellation_operation": Type.BATCH_OPERATION_TYPE_CANCEL_WORKFLOW,
    "signal_operation": Type.BATCH_OPERATION_TYPE_SIGNAL_WORKFLOW,
    "deletion_operation": Type.BATCH_OPERATION_TYPE_DELETE_WORKFLOW,
    "reset_operation": Type.BATCH_OPERATION_TYPE_RESET_WORKFLOW,
    "update_workflow_options_operation": Type.BATCH_OPERATION_TYPE_UPDATE_WORKFLOW_EXECUTION_OPTIONS,
    "unpause_activities_operation": Type.BATCH_OPERATION_TYPE_UNPAUSE_ACTIVITY,
    "reset_activities_operation": Type.BATCH_OPERATION_TYPE_RESET_ACTIVITY,
    "update_activity_options_operation": Type.BATCH_OPERATION_TYPE_UPDATE_ACTIVITY_OPTIONS,
}
# Operations on the pending activities of each workflow the job reaches.
ACTIVITY_OPERATIONS = frozenset(
    {"unpause_activities_operation", "reset_activities_operation", "update_activity_options_operation"}
)
# The real server's worker.batcherRPS default: a job's operations per second.
OPERATIONS_PER_SECOND = 50.0
# The real server's frontend.MaxConcurrentBatchOperationPerNamespace default.
MAX_RUNNING_JOBS_PER_NAMESPACE = 1
# Operations on runs that are still open: the job's query is narrowed to them.
_OPEN_ONLY = {
    Type.BATCH_OPERATION_TYPE_TERMINATE_WORKFLOW,
    Type.BATCH_OPERATION_TYPE_CANCEL_WORKFLOW,
    Type.BATCH_OPERATION_TYPE_SIGNAL_WORKFLOW,
    Type.BATCH_OPERATION_TYPE_UNPAUSE_ACTIVITY,
    Type.BATCH_OPERATION_TYPE_RESET_ACTIVITY,
    Type.BATCH_OPERATION_TYPE_UPDATE_ACTIVITY_OPTIONS,
}
_EITHER_TYPE_OR_ALL = "Either activity type must be set, or match all should be set to true"
_MISSING_PARAMETERS = (
    "must provide required parameters: BatchType,Reason,Namespace, AND one of (Query OR Executions OR TargetExecutions)"
)


def check_start(request: wsv1.StartBatchOperationRequest) -> str:
    """Refuse a request the real server refuses, with its message; the operation's field name."""
    operation = request.WhichOneof("operation")
    selectors = sum(bool(s) for s in (request.visibility_query, request.executions, request.target_executions))
    if operation is None or not request.reason or not request.namespace or selectors == 0:
        raise InvalidArgument(_MISSING_PARAMETERS)
    if not request.job_id:
        raise InvalidArgument("JobId is not set on request.")
    if selectors > 1:
        raise InvalidArgument("visibility query, executions, and target executions are mutually exclusive")
    for index, execution in enumerate(request.target_executions):
        if execution.type != common_enums.EXECUTION_TYPE_WORKFLOW:
            kind = common_enums.ExecutionType.Name(execution.type).removeprefix("EXECUTION_TYPE_")
            wrapper = "StartBatchOperationRequest_" + _camel(operation or "")
            raise InvalidArgument(
                f"target_executions[{index}] has type {_camel(kind)}, "
                f"but operation *workflowservice.{wrapper} requires Workflow"
            )
    if operation == "signal_operation" and not request.signal_operation.signal:
        raise InvalidArgument("must provide signal name")
    if operation == "reset_operation":
        reset = request.reset_operation
        if reset.HasField("options"):
            if reset.options.WhichOneof("target") is None:
                raise InvalidArgument("batch reset missing target")
        elif reset.reset_type not in (
            reset_enums.RESET_TYPE_FIRST_WORKFLOW_TASK,
            reset_enums.RESET_TYPE_LAST_WORKFLOW_TASK,
        ):
            name = (
                reset_enums.ResetType.Name(reset.reset_type)
                if reset.reset_type in reset_enums.ResetType.values()
                else str(reset.reset_type)
            )
            raise InvalidArgument(f"unknown batch reset type {_camel(name.removeprefix('RESET_TYPE_'))}")
    if operation in ACTIVITY_OPERATIONS:
        _check_activity_operation(request, operation)
    if operation not in OPERATION_TYPES:
        raise InvalidArgument(f"The operation type {operation} is not supported by the tempo dev server")
    return operation


def _check_activity_operation(request: wsv1.StartBatchOperationRequest, operation: str) -> None:
    """The real server's checks of the activity filter (a type, or match_all) and the options."""
    message = getattr(request, operation)
    which = message.WhichOneof("activity")
    if operation == "unpause_activities_operation" and which is None:
        raise InvalidArgument("activity filter must be set")
    if operation == "reset_activities_operation" and which is None:
        raise InvalidArgument("must provide ActivityType or MatchAll")
    if operation == "update_activity_options_operation":
        if message.HasField("activity_options") and message.restore_original:
            raise InvalidArgument("cannot set both activity options and restore original")
        if not message.HasField("activity_options") and not message.restore_original:
            raise InvalidArgument("Either activity type must be set, or restore original should be set to true")
    if (which == "type" and not message.type) or (which == "match_all" and not message.match_all):
        raise InvalidArgument(_EITHER_TYPE_OR_ALL)


def listing_query(request: wsv1.StartBatchOperationRequest) -> str:
    """The query a job lists its targets with. Unpausing one activity type reaches, of the runs
    the request's query matches, those where an activity of that type is paused (the real
    frontend adds a TemporalPauseInfo condition); Describe still shows the request's query."""
    query = request.visibility_query
    if query and request.WhichOneof("operation") == "unpause_activities_operation":
        unpause = request.unpause_activities_operation
        if unpause.WhichOneof("activity") == "type":
            value = f"property:activityType={unpause.type}".replace("\\", "\\\\").replace("'", "\\'")
            return f"({query}) AND (TemporalPauseInfo = '{value}')"
    return query


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def operation_identity(request: wsv1.StartBatchOperationRequest, operation: str) -> str:
    """The identity the job was started with (DescribeBatchOperation's `identity`)."""
    return str(getattr(getattr(request, operation), "identity", ""))


def narrowed_query(query: str, operation_type: int) -> str:
    """The query a job lists: terminate, cancel and signal only reach open runs."""
    if query and operation_type in _OPEN_ONLY:
        return f"({query}) AND (ExecutionStatus='Running' OR ExecutionStatus='Paused')"
    return query


def request_id(job_id: str, *parts: str) -> str:
    """A request id that is the same each time the job touches the same target (name-based
    UUID of the job id and the parts, as the real batcher derives its ids)."""
    return str(uuid.uuid5(uuid.UUID(int=0), ":".join((job_id, *parts))))


@dataclass
class BatchJob:
    """One batch operation: what it does, to what, and how far it got."""

    namespace: str
    job_id: str
    request: wsv1.StartBatchOperationRequest
    operation: str  # the request's oneof field name
    start_time: float
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: int = State.BATCH_OPERATION_STATE_RUNNING
    close_time: float | None = None
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    # The targets tried so far, (workflow id, run id) as listed: a job resumed after a restart
    # skips them.
    tried: set[tuple[str, str]] = field(default_factory=set)

    @property
    def operation_type(self) -> int:
        return OPERATION_TYPES[self.operation]

    @property
    def running(self) -> bool:
        return self.state == State.BATCH_OPERATION_STATE_RUNNING

    def record(self, target: common.WorkflowExecution, ok: bool) -> None:
        """One target tried: NOT_FOUND and success count as done, anything else as a failure."""
        self.tried.add((target.workflow_id, target.run_id))
        if ok:
            self.succeeded += 1
        else:
            self.failed += 1

    def finish(self, now: float) -> None:
        self.state = State.BATCH_OPERATION_STATE_COMPLETED
        self.close_time = now

    def fail(self, now: float) -> None:
        """Stopped, or its query could not be run: FAILED, as the real server reports a job
        whose workflow was terminated or failed."""
        self.state = State.BATCH_OPERATION_STATE_FAILED
        self.close_time = now

    def executions(self) -> list[common.Execution]:
        """The explicit targets, in DescribeBatchOperation's shape."""
        if self.request.target_executions:
            return list(self.request.target_executions)
        return [
            common.Execution(
                type=common_enums.EXECUTION_TYPE_WORKFLOW, business_id=execution.workflow_id, run_id=execution.run_id
            )
            for execution in self.request.executions
        ]

    def targets(self) -> list[common.WorkflowExecution]:
        """The explicit targets as workflow executions (empty for a job by query)."""
        if self.request.target_executions:
            return [
                common.WorkflowExecution(workflow_id=e.business_id, run_id=e.run_id)
                for e in self.request.target_executions
            ]
        return list(self.request.executions)


def dump(job: BatchJob) -> dict[str, Any]:
    """A job as JSON-able data, for the store (`--db-filename`)."""
    return {
        "namespace": job.namespace,
        "job_id": job.job_id,
        "request": base64.b64encode(job.request.SerializeToString()).decode(),
        "operation": job.operation,
        "start_time": job.start_time,
        "run_id": job.run_id,
        "state": job.state,
        "close_time": job.close_time,
        "total": job.total,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "tried": sorted(job.tried),
    }


def load(data: dict[str, Any]) -> BatchJob:
    """A job `dump` wrote."""
    request = wsv1.StartBatchOperationRequest.FromString(base64.b64decode(data["request"]))
    return BatchJob(
        data["namespace"],
        data["job_id"],
        request,
        data["operation"],
        data["start_time"],
        run_id=data["run_id"],
        state=data["state"],
        close_time=data["close_time"],
        total=data["total"],
        succeeded=data["succeeded"],
        failed=data["failed"],
        tried={(workflow_id, run_id) for workflow_id, run_id in data["tried"]},
    )


def describe(job: BatchJob) -> wsv1.DescribeBatchOperationResponse:
    response = wsv1.DescribeBatchOperationResponse(
        operation_type=job.operation_type,  # type: ignore[arg-type]
        job_id=job.job_id,
        state=job.state,  # type: ignore[arg-type]
        start_time=timestamp(job.start_time),
        identity=operation_identity(job.request, job.operation),
        reason=job.request.reason,
        query=job.request.visibility_query,
        executions=job.executions(),
        total_operation_count=job.succeeded + job.failed
        if job.state != State.BATCH_OPERATION_STATE_RUNNING
        else job.total,
        complete_operation_count=job.succeeded,
        failure_operation_count=job.failed,
    )
    if job.close_time is not None:
        response.close_time.CopyFrom(timestamp(job.close_time))
    if job.state == State.BATCH_OPERATION_STATE_FAILED:
        # The real server reports counts only for a job that completed or is running.
        response.ClearField("total_operation_count")
        response.ClearField("complete_operation_count")
        response.ClearField("failure_operation_count")
    return response


def info(job: BatchJob) -> batch_pb.BatchOperationInfo:
    operation = batch_pb.BatchOperationInfo(
        job_id=job.job_id,
        state=job.state,  # type: ignore[arg-type]
        start_time=timestamp(job.start_time),
        operation_type=job.operation_type,  # type: ignore[arg-type]
    )
    if job.close_time is not None:
        operation.close_time.CopyFrom(timestamp(job.close_time))
    return operation
