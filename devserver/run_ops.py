"""Client operations on a run: StartWorkflowExecution, SignalWorkflowExecution,
SignalWithStartWorkflowExecution, TerminateWorkflowExecution, RequestCancelWorkflowExecution,
ResetWorkflowExecution, DeleteWorkflowExecution and QueryWorkflow.

Each finds the run (or the chain of runs of a workflow id) and changes it through the engine's
door (`Engine.change`, or `Engine.create_run` for a new run). Child workflows (transfers),
schedules, update-with-start, batch jobs and retention start and stop runs through these too.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import query_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.query.v1 import message_pb2 as query_pb

from devserver import validation
from devserver.core import closing, cron, eager_start, execution_options, queries, retry, runs, signals, time_skipping
from devserver.core.changes import Changes, RunKey
from devserver.core.ids import new_run_id, random_uuid
from devserver.core.mutable_state import MutableState, task_queue_message
from devserver.core.protos import duration, seconds_of, timestamp, with_value_names
from devserver.errors import (
    DeadlineExceeded,
    InvalidArgument,
    QueryFailed,
    WorkflowAlreadyStarted,
)

if TYPE_CHECKING:
    # The engine carries out child starts (devserver.transfers) through these operations, so
    # this module cannot import it at load time.
    from devserver.engine import Engine

Status = with_value_names(wf_enums.WorkflowExecutionStatus)
ConflictPolicy = with_value_names(wf_enums.WorkflowIdConflictPolicy)


class RunOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- starting workflows ---------------------------------------------------------

    async def start_workflow(
        self,
        request: wsv1.StartWorkflowExecutionRequest,
        signal: history.WorkflowExecutionSignaledEventAttributes | None = None,
        parent: history.WorkflowExecutionStartedEventAttributes | None = None,
        *,
        eager: bool = False,
    ) -> tuple[MutableState, bool]:
        """Start a run (or find the one this request already started); (run, started).

        `parent` holds the parent fields of a child workflow's started event. With `eager`, a
        new run's first workflow task is started for the caller (core.eager_start).
        """
        namespace = self.engine.namespaces.get(request.namespace)
        validation.validate_start(request, self.engine.config.limits)
        if request.HasField("time_skipping_config"):
            time_skipping.check_config(request.time_skipping_config, self.engine.config.time_skipping_enabled)
        namespace.check_search_attributes(request.search_attributes)
        chain = self.engine.chains.get((request.namespace, request.workflow_id))
        if chain is not None:
            retried = chain.started_by(request.request_id)
            if retried is not None:
                return retried, True
            existing = chain.current
            if existing.running:
                policy = validation.conflict_policy_for_running(request)
                if policy == ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING:
                    return existing, False
                if policy == ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING:
                    # Recorded as the real server records it (the reason names the old reuse policy).
                    new_run = new_run_id()
                    note = common.Payload(
                        metadata={"encoding": b"json/plain"},
                        data=json.dumps(f"terminated by new runID: {new_run}").encode(),
                    )
                    details = common.Payloads(payloads=[note])
                    await self.engine.change(
                        existing,
                        lambda run, ch: closing.terminate(
                            run, ch, "TerminateIfRunning WorkflowIdReusePolicy", details, "history-service"
                        ),
                    )
                    return await self._start_run(request, signal, parent, run_id=new_run, eager=eager), True
                else:
                    raise WorkflowAlreadyStarted(
                        f"Workflow execution is already running. WorkflowId: {request.workflow_id}, "
                        f"RunId: {existing.key.run_id}.",
                        existing.start_request_id,
                        existing.key.run_id,
                        existing.first_execution_run_id,
                    )
            else:
                validation.check_reuse_policy(request, existing)
        return await self._start_run(request, signal, parent, eager=eager), True

    async def _start_run(
        self,
        request: wsv1.StartWorkflowExecutionRequest,
        signal: history.WorkflowExecutionSignaledEventAttributes | None,
        parent: history.WorkflowExecutionStartedEventAttributes | None = None,
        run_id: str = "",
        eager: bool = False,
    ) -> MutableState:
        now = self.engine.clock.now()
        run_id = run_id or new_run_id()
        execution_timeout = seconds_of(request.workflow_execution_timeout)
        run_timeout = seconds_of(request.workflow_run_timeout)
        if execution_timeout and (not run_timeout or run_timeout > execution_timeout):
            run_timeout = execution_timeout
        task_timeout = seconds_of(request.workflow_task_timeout) or 10.0
        attrs = history.WorkflowExecutionStartedEventAttributes(
            workflow_type=request.workflow_type,
            task_queue=task_queue_message(request.task_queue.name),
            input=request.input if request.HasField("input") else None,
            workflow_task_timeout=duration(min(task_timeout, 120.0)),
            original_execution_run_id=run_id,
            identity=request.identity,
            first_execution_run_id=run_id,
            attempt=1,
            first_workflow_task_backoff=request.workflow_start_delay
            if seconds_of(request.workflow_start_delay)
            else duration(0),
            workflow_id=request.workflow_id,
            priority=request.priority if request.HasField("priority") else None,
        )
        if execution_timeout:
            attrs.workflow_execution_timeout.CopyFrom(duration(execution_timeout))
        if run_timeout:
            attrs.workflow_run_timeout.CopyFrom(duration(run_timeout))
        if request.HasField("retry_policy"):
            # Recorded with the defaults filled in, as the real server records it.
            attrs.retry_policy.CopyFrom(retry.with_defaults(request.retry_policy))
        if request.cron_schedule:
            # As the real server: the first run waits for the schedule's first time.
            attrs.cron_schedule = request.cron_schedule
            attrs.initiator = wf_enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE
            first = cron.backoff_seconds(request.cron_schedule, now, now) or 0.0
            attrs.first_workflow_task_backoff.CopyFrom(duration(max(first, 0.0)))
        if request.memo.fields:
            attrs.memo.CopyFrom(request.memo)
        if request.search_attributes.indexed_fields:
            attrs.search_attributes.CopyFrom(request.search_attributes)
        if request.header.fields:
            attrs.header.CopyFrom(request.header)
        # A schedule's start carries what the schedule's previous run ended with.
        if request.HasField("last_completion_result"):
            attrs.last_completion_result.CopyFrom(request.last_completion_result)
        if request.HasField("continued_failure"):
            attrs.continued_failure.CopyFrom(request.continued_failure)
        if request.HasField("time_skipping_config"):
            attrs.time_skipping_config.CopyFrom(
                time_skipping.effective(request.time_skipping_config, self.engine.config.max_skips_per_session)
            )
        if parent is not None:
            attrs.MergeFrom(parent)

        def make(ch: Changes) -> MutableState:
            # The execution timeout counts from the started event's time, as on the real server
            # (a time-skipping clock jumps exactly to the deadline, so a deadline taken from an
            # earlier reading of the clock would close the run before start + timeout).
            execution_deadline = ch.now + execution_timeout if execution_timeout else None
            if execution_deadline is not None:
                attrs.workflow_execution_expiration_time.CopyFrom(timestamp(execution_deadline))
            state = runs.start(
                ch,
                RunKey(request.namespace, request.workflow_id, run_id),
                attrs,
                execution_deadline=execution_deadline,
                request_id=request.request_id,
                signal=signal,
                user_metadata=request.user_metadata if request.HasField("user_metadata") else None,
            )
            if eager:
                eager_start.start_first_task(state, ch, request.identity, request.request_id, self.engine.config.limits)
            return state

        return await self.engine.create_run(make)

    # ---- client operations on a run ---------------------------------------------------

    async def signal(self, request: wsv1.SignalWorkflowExecutionRequest) -> None:
        if not request.signal_name:
            raise InvalidArgument("SignalName is not set on request.")
        validation.check_blob_size(request.input, request.header, limits=self.engine.config.limits)
        state = self.engine.run_for_execution(request.namespace, request.workflow_execution)
        await self.engine.change(
            state,
            lambda run, ch: signals.signal(
                run, ch, request.signal_name, request.input, request.identity, request.request_id, request.header
            ),
        )

    async def signal_with_start(self, request: wsv1.SignalWithStartWorkflowExecutionRequest) -> MutableState:
        if not request.signal_name:
            raise InvalidArgument("SignalName is not set on request.")
        validation.check_versioning_override(request)
        validation.check_blob_size(
            request.signal_input, request.input, request.memo, request.header, limits=self.engine.config.limits
        )
        chain = self.engine.chains.get((request.namespace, request.workflow_id))
        if chain is not None and chain.current.running:
            state = chain.current
            await self.engine.change(
                state,
                lambda run, ch: signals.signal(
                    run,
                    ch,
                    request.signal_name,
                    request.signal_input,
                    request.identity,
                    request.request_id,
                    request.header,
                ),
            )
            return state
        start = wsv1.StartWorkflowExecutionRequest(
            namespace=request.namespace,
            workflow_id=request.workflow_id,
            workflow_type=request.workflow_type,
            task_queue=request.task_queue,
            input=request.input if request.HasField("input") else None,
            workflow_execution_timeout=request.workflow_execution_timeout,
            workflow_run_timeout=request.workflow_run_timeout,
            workflow_task_timeout=request.workflow_task_timeout,
            identity=request.identity,
            request_id=request.request_id,
            workflow_id_reuse_policy=request.workflow_id_reuse_policy,
            workflow_id_conflict_policy=request.workflow_id_conflict_policy,
            retry_policy=request.retry_policy if request.HasField("retry_policy") else None,
            memo=request.memo,
            search_attributes=request.search_attributes,
            header=request.header,
            workflow_start_delay=request.workflow_start_delay,
            priority=request.priority if request.HasField("priority") else None,
            user_metadata=request.user_metadata if request.HasField("user_metadata") else None,
            time_skipping_config=request.time_skipping_config if request.HasField("time_skipping_config") else None,
        )
        signal = history.WorkflowExecutionSignaledEventAttributes(
            signal_name=request.signal_name,
            input=request.signal_input if request.HasField("signal_input") else None,
            identity=request.identity,
            header=request.header if request.header.fields else None,
            request_id=request.request_id,
        )
        state, _ = await self.start_workflow(start, signal)
        return state

    def _run_in_chain(
        self, namespace: str, execution: common.WorkflowExecution, first_execution_run_id: str
    ) -> MutableState:
        """The run a terminate or cancel acts on: with a first execution run id, the current
        run (the core checks it belongs to that chain), as on the real server."""
        if first_execution_run_id:
            return self.engine.run(namespace, execution.workflow_id)
        return self.engine.run_for_execution(namespace, execution)

    async def terminate(self, request: wsv1.TerminateWorkflowExecutionRequest) -> None:
        state = self._run_in_chain(request.namespace, request.workflow_execution, request.first_execution_run_id)
        details = request.details if request.HasField("details") else None
        # The real server tells a user's terminate from the system's by these defaults.
        reason = request.reason or "terminated by user via frontend"
        identity = request.identity or "frontend-service"
        await self.engine.change(
            state, lambda run, ch: closing.terminate(run, ch, reason, details, identity, request.first_execution_run_id)
        )

    async def request_cancel(self, request: wsv1.RequestCancelWorkflowExecutionRequest) -> None:
        state = self._run_in_chain(request.namespace, request.workflow_execution, request.first_execution_run_id)
        await self.engine.change(
            state,
            lambda run, ch: signals.request_cancel(
                run, ch, request.reason, request.identity, first_execution_run_id=request.first_execution_run_id
            ),
        )

    async def reset(self, request: wsv1.ResetWorkflowExecutionRequest) -> str:
        """ResetWorkflowExecution (core.reset): the id of the run it started (or of the current
        run, for a repeated request)."""
        # Loaded with the first reset: with the history replay it brings (core.rebuild), half a
        # millisecond of every start, for a call most sessions never make.
        from devserver.core import reset as core_reset

        core_reset.check_request(request)
        execution = request.workflow_execution
        base = self.engine.run(request.namespace, execution.workflow_id, execution.run_id)
        chain = self.engine.chains[(request.namespace, execution.workflow_id)]
        read = core_reset.ResetBase(
            base, self.engine.store.read(base.key, 1, base.next_event_id - 1), last_run_id=base.key.run_id
        )
        # Signals and updates of the runs it continued as are reapplied too.
        run = base
        while run.status == Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW and run.continued_to_run_id in chain.runs:
            run = chain.runs[run.continued_to_run_id]
            read.continued.append(self.engine.store.read(run.key, 1, run.next_event_id - 1))
            read.last_run_id = run.key.run_id
        for operation in request.post_reset_operations:
            update = operation.update_workflow_options
            if "versioning_override" in update.update_mask.paths:
                execution_options.check_pinned(update.workflow_execution_options.versioning_override, base.task_queue)
            if "time_skipping_config" in update.update_mask.paths:
                time_skipping.check_config(
                    update.workflow_execution_options.time_skipping_config, self.engine.config.time_skipping_enabled
                )
        run_id = new_run_id()
        max_skips = self.engine.config.max_skips_per_session
        return await self.engine.change(
            chain.current, lambda current, ch: core_reset.reset(current, ch, read, request, run_id, max_skips)
        )

    async def delete(self, request: wsv1.DeleteWorkflowExecutionRequest) -> None:
        state = self.engine.run_for_execution(request.namespace, request.workflow_execution)
        if state.running:
            await self.engine.change(
                state, lambda run, ch: closing.terminate(run, ch, "Delete workflow execution", None, "")
            )
        await self.engine.forget_run(state)

    async def query(self, request: wsv1.QueryWorkflowRequest, timeout: float | None) -> wsv1.QueryWorkflowResponse:
        if not request.query.query_type:
            raise InvalidArgument("QueryType is not set on request.")
        state = self.engine.run_for_execution(request.namespace, request.execution)
        condition = request.query_reject_condition
        if condition == query_pb2.QUERY_REJECT_CONDITION_NOT_OPEN and not state.running:
            return wsv1.QueryWorkflowResponse(query_rejected=query_pb.QueryRejected(status=state.status))  # type: ignore[arg-type]
        if condition == query_pb2.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY and state.status not in (
            Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
            Status.WORKFLOW_EXECUTION_STATUS_COMPLETED,
        ):
            return wsv1.QueryWorkflowResponse(query_rejected=query_pb.QueryRejected(status=state.status))  # type: ignore[arg-type]
        if state.running and state.paused:  # the real server answers no query while paused (core.pause)
            return wsv1.QueryWorkflowResponse(query_rejected=query_pb.QueryRejected(status=state.visible_status))  # type: ignore[arg-type]
        query_id = random_uuid()
        waiter = self.engine.wait_for_query_answer(query_id)
        # The caller's own deadline (the wait is as long as it): it sees DEADLINE_EXCEEDED
        # either way, whichever of gRPC and this answer comes first. The waiter is the
        # engine's for this query alone, so the deadline ends it (cheaper than wait_for).
        expiry = None if timeout is None else self.engine.loop.call_later(timeout, _time_out, waiter)
        try:
            await self.engine.pass_query(state, lambda run, ch: queries.query(run, ch, query_id, request.query))
            answer = await waiter
        except TimeoutError:
            raise DeadlineExceeded("query timed out before a worker answered") from None
        finally:
            if expiry is not None:
                expiry.cancel()
            self.engine.forget_query_waiter(query_id)
            # Not a change of the run (queries are not history and nothing waits on them once
            # their caller is gone), so not through the door: no commit per query.
            queries.forget(state, query_id)
            self.engine.query_gone(state)
        if answer.error is not None:
            raise QueryFailed(answer.error)
        response = wsv1.QueryWorkflowResponse()
        if answer.result is not None:
            response.query_result.CopyFrom(answer.result)  # type: ignore[arg-type]
        return response


def _time_out(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
