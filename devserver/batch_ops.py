"""Batch operations (Start/Describe/List/StopBatchOperation): jobs that run a client operation
on many workflows.

The real server runs each job as a workflow in the temporal-system namespace; here a job is a
`core.batch.BatchJob` run by a background task of the engine. Each target goes through the
same client operations as a request (`run_ops.RunOps`: terminate, request_cancel, signal,
delete, reset; `activity_ops.ActivityOps`: unpause, reset, update options of the run's pending
activities), so through the door like any other request, at the real server's default rate
(worker.batcherRPS, 50 a second). Like the real server, Tempo does not read the request's `max_operations_per_second`
(the `--rps` of `temporal workflow terminate --query`).

With --db-filename a job is kept in the store (`save_batch_job`) when it starts, when it ends,
and at most a second apart while it runs, with the targets it has tried: after a restart,
finished jobs are described and listed as before, and a running one carries on, skipping the
targets it had tried (the real server's job is a workflow that resumes from its heartbeat). A
target tried again after a crash gets the same request id, so a signal, cancel or reset is not
repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Iterable
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from google.protobuf.field_mask_pb2 import FieldMask
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2 as event_types
from temporalio.api.enums.v1 import failed_cause_pb2 as failed_causes
from temporalio.api.enums.v1 import reset_pb2 as reset_enums
from temporalio.api.errordetails.v1 import message_pb2 as errordetails

from devserver.activity_ops import ActivityOps
from devserver.core import batch
from devserver.core.batch import BatchJob
from devserver.engine import Engine
from devserver.errors import AlreadyExists, InvalidArgument, NotFound, ResourceExhausted, ServiceError, WorkflowNotFound
from devserver.list_filter import parse_query
from devserver.options_ops import OptionsOps
from devserver.run_ops import RunOps
from devserver.validation import MAX_ID_LENGTH
from devserver.visibility_record import InvalidQueryError

log = logging.getLogger("tempo.batch")

# Targets listed per visibility page, as the real batcher pages through its query.
PAGE_SIZE = 1000
# A running job's progress is saved at most this often (seconds); a job resumed after a crash
# tries again the targets of the last moments, with the same request ids.
SAVE_EVERY = 1.0
# The identity the job's operations carry where the real batcher's SDK client uses its own
# (terminate and cancel): the Go SDK's default, "<pid>@<host>@".
WORKER_IDENTITY = f"{os.getpid()}@{socket.gethostname()}@"


class BatchOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.run_ops = RunOps(engine)
        self.options = OptionsOps(engine)
        self.activities = ActivityOps(engine)
        # By (namespace, job id), oldest first.
        self.jobs: dict[tuple[str, str], BatchJob] = {}

    # ---- RPCs ---------------------------------------------------------------------------

    async def start(self, request: wsv1.StartBatchOperationRequest) -> None:
        operation = batch.check_start(request)
        if request.visibility_query:
            try:
                parse_query(request.visibility_query)
            except InvalidQueryError as exc:
                raise InvalidArgument(f"invalid visibility query: {exc}") from None
        if len(request.job_id) > MAX_ID_LENGTH:
            # The real server's job is a workflow whose id is the job id.
            raise InvalidArgument("WorkflowId exceeds length limit.")
        running = sum(1 for (ns, _), job in self.jobs.items() if ns == request.namespace and job.running)
        if running >= batch.MAX_RUNNING_JOBS_PER_NAMESPACE:
            raise ResourceExhausted(
                "Max concurrent batch operations is reached",
                errordetails.ResourceExhaustedFailure(
                    cause=failed_causes.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT,
                    scope=failed_causes.RESOURCE_EXHAUSTED_SCOPE_NAMESPACE,
                ),
            )
        existing = self.jobs.get((request.namespace, request.job_id))
        if existing is not None:
            # Job ids are never reused (the real server starts its job workflow with
            # REJECT_DUPLICATE).
            prefix = (
                "Workflow execution is already running" if existing.running else "Workflow execution already finished"
            )
            raise AlreadyExists(
                f"{prefix}. WorkflowId: {request.job_id}, RunId: {existing.run_id}. "
                "Workflow Id reuse policy: reject duplicate workflow Id."
            )
        job = BatchJob(request.namespace, request.job_id, request, operation, self.engine.clock.now())
        self.jobs[(request.namespace, request.job_id)] = job
        await self._save(job)
        self.engine.spawn(self._run(job))

    def describe(self, request: wsv1.DescribeBatchOperationRequest) -> wsv1.DescribeBatchOperationResponse:
        job = self._job(request.namespace, request.job_id)
        return batch.describe(job)

    def list(self, request: wsv1.ListBatchOperationsRequest) -> wsv1.ListBatchOperationsResponse:
        jobs = [job for (ns, _), job in self.jobs.items() if ns == request.namespace]
        # Newest first, as the real server lists its job workflows (open ones first).
        jobs.sort(key=lambda job: (job.running, job.close_time or 0.0, job.start_time), reverse=True)
        size = request.page_size if request.page_size > 0 else PAGE_SIZE
        start = _page_start(request.next_page_token)
        page = jobs[start : start + size]
        token = str(start + size).encode() if start + size < len(jobs) else b""
        return wsv1.ListBatchOperationsResponse(operation_info=[batch.info(job) for job in page], next_page_token=token)

    async def stop(self, request: wsv1.StopBatchOperationRequest) -> None:
        if not request.job_id:
            raise InvalidArgument("JobId is not set on request.")
        if not request.reason:
            raise InvalidArgument("Reason is not set on request.")
        job = self._job(request.namespace, request.job_id)
        if not job.running:
            raise NotFound("workflow execution already completed")
        job.fail(self.engine.clock.now())
        await self._save(job)

    def forget_namespace(self, namespace: str) -> None:
        """The namespace is being deleted: its jobs stop (the store drops them with it)."""
        for key in [key for key in self.jobs if key[0] == namespace]:
            job = self.jobs.pop(key)
            if job.running:
                job.fail(self.engine.clock.now())

    def _job(self, namespace: str, job_id: str) -> BatchJob:
        if not job_id:
            raise InvalidArgument("JobId is not set on request.")
        job = self.jobs.get((namespace, job_id))
        if job is None:
            raise WorkflowNotFound(job_id)
        return job

    # ---- keeping jobs across restarts ------------------------------------------------------

    async def _save(self, job: BatchJob) -> None:
        await self.engine.store.save_batch_job(job.namespace, job.job_id, json.dumps(batch.dump(job)))

    def restore(self, saved: Iterable[str]) -> None:
        """Jobs a store held at start (oldest first): a running one carries on."""
        for text in saved:
            job = batch.load(json.loads(text))
            self.jobs[(job.namespace, job.job_id)] = job
            if job.running:
                self.engine.spawn(self._run(job))

    # ---- running a job -------------------------------------------------------------------

    async def _run(self, job: BatchJob) -> None:
        rps = batch.OPERATIONS_PER_SECOND
        loop = asyncio.get_running_loop()
        began = saved = loop.time()
        done = 0
        try:
            for execution in self._targets(job):
                if not job.running:
                    return  # stopped (and saved by stop)
                # Even pacing at the job's rate.
                delay = began + done / rps - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                    if not job.running:
                        return
                job.record(execution, await self._apply(job, execution))
                done += 1
                if loop.time() - saved >= SAVE_EVERY:
                    saved = loop.time()
                    await self._save(job)
        except (InvalidQueryError, ServiceError) as exc:
            log.info("batch job %s failed: %s", job.job_id, exc)
            job.fail(self.engine.clock.now())
        if job.running:
            job.finish(self.engine.clock.now())
        if self.jobs.get((job.namespace, job.job_id)) is not job:
            return  # its namespace was deleted meanwhile
        with contextlib.suppress(ServiceError):  # the store is failing: the server is stopping
            await self._save(job)

    def _targets(self, job: BatchJob):  # type: ignore[no-untyped-def]
        """The job's targets, listed a page at a time (a generator, so runs that close or start
        while the job runs are seen as the real batcher's paging sees them)."""
        explicit = job.targets()
        if explicit:
            job.total = len(explicit)
            yield from (e for e in explicit if (e.workflow_id, e.run_id) not in job.tried)
            return
        query = batch.narrowed_query(batch.listing_query(job.request), job.operation_type)
        if job.tried:
            # Resumed after a restart: what was tried, and what is left to try.
            job.total = len(job.tried) + sum(1 for _ in self._listed(job, query))
        else:
            job.total = self.engine.visibility.count(job.namespace, query)
        yield from self._listed(job, query)

    def _listed(self, job: BatchJob, query: str):  # type: ignore[no-untyped-def]
        """The runs the query matches, a page at a time, but for those the job has tried."""
        visibility = self.engine.visibility
        token = b""
        while True:
            records, token = visibility.list(job.namespace, query, PAGE_SIZE, token)
            for record in records:
                if (record.workflow_id, record.run_id) not in job.tried:
                    yield common.WorkflowExecution(workflow_id=record.workflow_id, run_id=record.run_id)
            if not token:
                return

    async def _apply(self, job: BatchJob, execution: common.WorkflowExecution) -> bool:
        """Run the job's operation on one target: True for done (or NOT_FOUND), False for a failure."""
        try:
            await self._operate(job, execution)
        except NotFound:
            return True
        except ServiceError as exc:
            log.info("batch job %s: %s on %s failed: %s", job.job_id, job.operation, execution.workflow_id, exc)
            return False
        except Exception:
            # A server bug on one target must not end the job for the others: logged, a failure.
            log.exception("batch job %s: %s on %s failed", job.job_id, job.operation, execution.workflow_id)
            return False
        return True

    async def _operate(self, job: BatchJob, execution: common.WorkflowExecution) -> None:
        run_ops, request, namespace = self.run_ops, job.request, job.namespace
        if job.operation == "termination_operation":
            await run_ops.terminate(
                wsv1.TerminateWorkflowExecutionRequest(
                    namespace=namespace, workflow_execution=execution, reason=request.reason, identity=WORKER_IDENTITY
                )
            )
        elif job.operation == "cancellation_operation":
            await run_ops.request_cancel(
                wsv1.RequestCancelWorkflowExecutionRequest(
                    namespace=namespace,
                    workflow_execution=execution,
                    identity=WORKER_IDENTITY,
                    request_id=batch.request_id(job.job_id, "cancel", execution.workflow_id, execution.run_id),
                )
            )
        elif job.operation == "signal_operation":
            signal = request.signal_operation
            await run_ops.signal(
                wsv1.SignalWorkflowExecutionRequest(
                    namespace=namespace,
                    workflow_execution=execution,
                    signal_name=signal.signal,
                    input=signal.input if signal.HasField("input") else None,
                    header=signal.header if signal.HasField("header") else None,
                    identity=signal.identity,
                    request_id=batch.request_id(
                        job.job_id, "signal", execution.workflow_id, execution.run_id, signal.signal
                    ),
                )
            )
        elif job.operation == "deletion_operation":
            await run_ops.delete(wsv1.DeleteWorkflowExecutionRequest(namespace=namespace, workflow_execution=execution))
        elif job.operation == "update_workflow_options_operation":
            update = request.update_workflow_options_operation
            await self.options.update_options(
                wsv1.UpdateWorkflowExecutionOptionsRequest(
                    namespace=namespace,
                    workflow_execution=execution,
                    workflow_execution_options=update.workflow_execution_options,
                    update_mask=update.update_mask,
                    identity=update.identity,
                )
            )
        elif job.operation in batch.ACTIVITY_OPERATIONS:
            await self._operate_on_activities(job, execution)
        else:
            await self._reset(job, execution)

    async def _operate_on_activities(self, job: BatchJob, execution: common.WorkflowExecution) -> None:
        """Unpause, reset or update the run's pending activities of the job's type (or all of
        them), as one UnpauseActivity / ResetActivity / UpdateActivityOptions request would."""
        namespace, request = job.namespace, job.request
        if job.operation == "unpause_activities_operation":
            unpause = request.unpause_activities_operation
            await self.activities.unpause(
                wsv1.UnpauseActivityRequest(
                    namespace=namespace,
                    execution=execution,
                    identity=unpause.identity,
                    reset_attempts=unpause.reset_attempts,
                    reset_heartbeat=unpause.reset_heartbeat,
                    jitter=unpause.jitter if unpause.HasField("jitter") else None,
                    **_activity_filter(unpause, "unpause_all"),
                )
            )
        elif job.operation == "reset_activities_operation":
            reset = request.reset_activities_operation
            await self.activities.reset(
                wsv1.ResetActivityRequest(
                    namespace=namespace,
                    execution=execution,
                    identity=reset.identity,
                    reset_heartbeat=reset.reset_heartbeat,
                    keep_paused=reset.keep_paused,
                    jitter=reset.jitter if reset.HasField("jitter") else None,
                    restore_original_options=reset.restore_original_options,
                    **_activity_filter(reset, "match_all"),
                )
            )
        else:
            update = request.update_activity_options_operation
            forwarded = wsv1.UpdateActivityOptionsRequest(
                namespace=namespace,
                execution=execution,
                identity=update.identity,
                restore_original=update.restore_original,
                # Always a mask, if an empty one, as the real batcher sends it.
                update_mask=FieldMask(paths=update.update_mask.paths),
                **_activity_filter(update, "match_all"),
            )
            if update.HasField("activity_options"):
                forwarded.activity_options.CopyFrom(update.activity_options)
            await self.activities.update_options(forwarded)

    async def _reset(self, job: BatchJob, execution: common.WorkflowExecution) -> None:
        reset = job.request.reset_operation
        if reset.HasField("options"):
            options = reset.options
            target = options.WhichOneof("target")
            if target == "workflow_task_id":
                event_id = options.workflow_task_id
            elif target in ("first_workflow_task", "last_workflow_task"):
                event_id = self._workflow_task_event(job.namespace, execution, first=target == "first_workflow_task")
            else:
                raise InvalidArgument(f"provided reset target ({target}) is not supported.")
            reapply = options.reset_reapply_type
            exclude = list(options.reset_reapply_exclude_types)
        else:
            first = reset.reset_type == reset_enums.RESET_TYPE_FIRST_WORKFLOW_TASK
            event_id = self._workflow_task_event(job.namespace, execution, first=first)
            reapply = reset.reset_reapply_type
            exclude = []
        await self.run_ops.reset(
            wsv1.ResetWorkflowExecutionRequest(
                namespace=job.namespace,
                workflow_execution=execution,
                reason=job.request.reason,
                request_id=batch.request_id(job.job_id, "reset", execution.workflow_id, execution.run_id),
                workflow_task_finish_event_id=event_id,
                reset_reapply_type=reapply,
                reset_reapply_exclude_types=exclude,
                post_reset_operations=reset.post_reset_operations,
                identity=reset.identity,
            )
        )

    def _workflow_task_event(self, namespace: str, execution: common.WorkflowExecution, *, first: bool) -> int:
        """The event a reset to the first or last workflow task goes to, found as the real
        batcher finds it: a completed task's event, else the one after a scheduled task."""
        state = self.engine.run_for_execution(namespace, execution)
        events = self.engine.store.read(state.key, 1, state.next_event_id - 1)
        found = 0
        for event in events if first else reversed(events):
            if event.event_type == event_types.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                return int(event.event_id)
            if event.event_type == event_types.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED and (not first or not found):
                found = int(event.event_id) + 1
        if not found:
            raise InvalidArgument("unable to find any scheduled or completed task")
        return found


def _activity_filter(operation: Any, all_field: str) -> dict[str, Any]:
    """The request's activity selector from the job's: one type, or every pending activity."""
    which = operation.WhichOneof("activity")
    if which == "type":
        return {"type": operation.type}
    if which == "match_all":
        return {all_field: True}
    # The real batcher refuses each target of a job without one (a failure, not a stop).
    raise InvalidArgument(f"unknown activity type: {which}")


def _page_start(token: bytes) -> int:
    if not token:
        return 0
    try:
        return max(0, int(token.decode()))
    except ValueError:
        raise InvalidArgument("invalid next page token") from None
