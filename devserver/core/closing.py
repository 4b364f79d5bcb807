"""How a run ends: terminated, timed out, or closed by a command; and the run that carries it on.

Closing drops whatever was pending in the run (its workflow task, timers, activities,
undelivered signals and cancels), hands children left running to the parent close
policy, tells callers of unfinished updates, and sends waiting queries to a worker as
query-only tasks. A retry policy, a cron schedule or continue-as-new starts the next run
in the same change (`Changes.new_runs`).
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import failed_cause_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import cron, queries, retry, runs, time_skipping, updates
from devserver.core import limits as core_limits
from devserver.core.changes import Changes, RunKey
from devserver.core.ids import new_run_id
from devserver.core.lifecycles import ChildState
from devserver.core.mutable_state import EventType, MutableState
from devserver.core.protos import duration, with_value_names
from devserver.errors import NotFound, WorkflowClosed

Status = with_value_names(wf_enums.WorkflowExecutionStatus)
_Shareable = TypeVar("_Shareable", common.Memo, common.SearchAttributes)

_SHARED: dict[tuple[str, bytes], Any] = {}
_MOST_SHARED = 1024
"""Distinct values kept for sharing; past that, a closed run keeps its own message."""


def _shared(message: _Shareable) -> _Shareable:
    """An equal message that closed runs share (``message`` itself if it is the first such)."""
    key = (message.DESCRIPTOR.full_name, message.SerializeToString(deterministic=True))
    shared = _SHARED.get(key)
    if shared is None:
        if len(_SHARED) >= _MOST_SHARED:
            return message
        shared = _SHARED[key] = message
    return cast(_Shareable, shared)


def share_fixed_messages(state: MutableState) -> None:
    """Nothing changes a closed run's memo and search attributes any more: closed runs with
    equal ones share one message (each costs half a kilobyte of memory or more). At close,
    and for the closed runs a server loads from its database."""
    state.memo = _shared(state.memo)
    state.search_attributes = _shared(state.search_attributes)


TimeoutType = with_value_names(wf_enums.TimeoutType)
WorkflowTaskFailedCause = with_value_names(failed_cause_pb2.WorkflowTaskFailedCause)


def terminate(
    state: MutableState,
    ch: Changes,
    reason: str,
    details: common.Payloads | None,
    identity: str,
    first_execution_run_id: str = "",
) -> None:
    if not state.running:
        raise WorkflowClosed()
    check_first_execution_run_id(state, first_execution_run_id)
    task = state.workflow_task
    if task is not None and task.started and not task.unwritten:
        # The worker's answer can no longer be taken: the real server records why.
        state.append_event(
            ch,
            EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            history.WorkflowTaskFailedEventAttributes(
                scheduled_event_id=task.scheduled_event_id,
                started_event_id=task.started_event_id,
                cause=WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
                identity=core_limits.HISTORY_SERVICE_IDENTITY,
            ),
        )
    state.flush_buffered(ch)
    state.workflow_task = None
    attrs = history.WorkflowExecutionTerminatedEventAttributes(reason=reason, details=details, identity=identity)
    event_id = state.append_event(ch, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, attrs)
    close(state, ch, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED, event_id)


def check_first_execution_run_id(state: MutableState, first_execution_run_id: str) -> None:
    """A request for the chain started by `first_execution_run_id` must not act on another chain."""
    if first_execution_run_id and first_execution_run_id != state.first_execution_run_id:
        raise NotFound("workflow execution not found")


def close(state: MutableState, ch: Changes, status: int, close_event_id: int) -> None:
    """Mark the run closed; whatever was pending in it is dropped."""
    state.status = status
    state.close_time = ch.now
    state.close_event_id = close_event_id
    state.workflow_task = None
    state.sticky_queue = ""
    state.timers.clear()
    state.activities.clear()
    state.activity_ids.clear()
    state.external_signals.clear()
    state.external_cancels.clear()
    # Children left running get the parent close policy (the engine applies it).
    for initiated_event_id, child in state.children.items():
        abandon = child.initiated.parent_close_policy == wf_enums.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON
        if child.state is ChildState.STARTED and not abandon:
            state.closing_children[initiated_event_id] = child
    # `children` is kept: describe lists them as pending on a closed parent, as the real server does.
    state.child_started_event_ids.clear()
    # Updates it never finished can no longer complete: their callers are told.
    updates.run_closed(state, ch)
    share_fixed_messages(state)
    ch.closed = True
    if state not in ch.touched:
        ch.touched.append(state)
    # Queries that waited for a workflow task now go to a worker as query tasks
    # against the full, final history.
    waiting = dict(state.buffered_queries)
    state.buffered_queries.clear()
    for query_id, query in waiting.items():
        queries.dispatch_legacy(state, ch, query_id, query)


def time_out_run(state: MutableState, ch: Changes, *, execution_expired: bool = False) -> None:
    """The run (or the whole execution) ran out of time; a retry policy may start another run."""
    if not state.running:
        return
    state.flush_buffered(ch)
    failure = failure_pb.Failure(message="workflow timed out")
    failure.timeout_failure_info.timeout_type = TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
    delay: float | None = None
    retry_state: int = wf_enums.RetryState.RETRY_STATE_TIMEOUT
    cron_delay: float | None = None
    if execution_expired:
        if not state.started_attributes.HasField("retry_policy"):
            retry_state = wf_enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET
    else:
        delay, retry_state = retry_backoff(state, failure, ch.now)
        if delay is None:
            cron_delay = cron_backoff(state, ch.now)
    next_run = new_run_id() if delay is not None or cron_delay is not None else ""
    attrs = history.WorkflowExecutionTimedOutEventAttributes(
        retry_state=retry_state,  # type: ignore[arg-type]
        new_execution_run_id=next_run,
    )
    event_id = state.append_event(ch, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, attrs)
    close(state, ch, Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, event_id)
    if delay is not None:
        start_retry(state, ch, next_run, failure, delay)
    elif cron_delay is not None:
        start_cron(state, ch, next_run, cron_delay, failure=failure)


def cron_backoff(state: MutableState, now: float) -> float | None:
    """Seconds until a cron workflow's next run (counted from this run's scheduled time, as the
    real server counts), or None if it has no cron schedule."""
    schedule = state.started_attributes.cron_schedule
    if not schedule:
        return None
    return cron.backoff_seconds(schedule, state.start_time + state.first_wft_backoff, now)


def retry_backoff(state: MutableState, failure: failure_pb.Failure, now: float) -> tuple[float | None, int]:
    """Delay before retrying the workflow after `failure`, or None and why not."""
    attrs = state.started_attributes
    if not attrs.HasField("retry_policy"):
        return None, wf_enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET
    policy = retry.with_defaults(attrs.retry_policy)
    return retry.next_backoff(policy, attrs.attempt or 1, failure, now, state.execution_deadline)


def successor_attributes(
    state: MutableState, run_id: str, initiator: int, backoff: float
) -> history.WorkflowExecutionStartedEventAttributes:
    """The next run's started attributes: this run's, linked to it in the chain."""
    started = history.WorkflowExecutionStartedEventAttributes()
    started.CopyFrom(state.started_attributes)
    for name in ("continued_failure", "last_completion_result"):
        started.ClearField(name)  # type: ignore[arg-type]
    started.continued_execution_run_id = state.key.run_id
    started.original_execution_run_id = run_id
    started.initiator = initiator  # type: ignore[assignment]
    started.attempt = 1
    started.first_workflow_task_backoff.CopyFrom(duration(backoff))
    started.prev_auto_reset_points.CopyFrom(state.auto_reset_points)
    time_skipping.carry_on(state, started)
    return started


def start_successor(
    state: MutableState, ch: Changes, run_id: str, started: history.WorkflowExecutionStartedEventAttributes
) -> None:
    """Start the run that carries this workflow on (continue-as-new or retry)."""
    state.continued_to_run_id = run_id
    new_ch = Changes(ch.now)
    successor = runs.start(
        new_ch,
        RunKey(state.key.namespace, state.key.workflow_id, run_id),
        started,
        execution_deadline=state.execution_deadline,
    )
    ch.new_runs.append((successor, new_ch))


def start_retry(state: MutableState, ch: Changes, run_id: str, failure: failure_pb.Failure, delay: float) -> None:
    started = successor_attributes(
        state, run_id, wf_enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY, delay
    )
    started.attempt = (state.started_attributes.attempt or 1) + 1
    started.continued_failure.CopyFrom(failure)
    start_successor(state, ch, run_id, started)


def start_cron(
    state: MutableState,
    ch: Changes,
    run_id: str,
    delay: float,
    *,
    result: common.Payloads | None = None,
    failure: failure_pb.Failure | None = None,
) -> None:
    """A cron workflow's next run. It gets this run's result, or, after a failure, the failure
    and the last result a run of the chain completed with."""
    started = successor_attributes(
        state, run_id, wf_enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE, delay
    )
    if failure is not None:
        started.continued_failure.CopyFrom(failure)
        if state.started_attributes.HasField("last_completion_result"):
            started.last_completion_result.CopyFrom(state.started_attributes.last_completion_result)
    elif result is not None:
        started.last_completion_result.CopyFrom(result)
    start_successor(state, ch, run_id, started)
