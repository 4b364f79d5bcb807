"""A new run: its started event, its deadlines and its first workflow task."""

from __future__ import annotations

import sys

from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.sdk.v1 import user_metadata_pb2 as sdk_pb

from devserver.core import time_skipping, workflow_tasks
from devserver.core.changes import Changes, RunKey, TimerKey
from devserver.core.mutable_state import DEFAULT_WORKFLOW_TASK_TIMEOUT, EventType, MutableState, new_event
from devserver.core.protos import seconds_of


def start(
    ch: Changes,
    key: RunKey,
    attributes: history.WorkflowExecutionStartedEventAttributes,
    execution_deadline: float | None = None,
    request_id: str = "",
    signal: history.WorkflowExecutionSignaledEventAttributes | None = None,
    user_metadata: sdk_pb.UserMetadata | None = None,
) -> MutableState:
    """A new run: writes WorkflowExecutionStarted and schedules its first workflow task.

    `attributes` is the started event's payload, already validated and normalised
    by the caller (timeouts, first/original run ids, attempt). `user_metadata` (the
    workflow's static summary and details) goes on the started event, as on the real server.
    """
    task_timeout = seconds_of(attributes.workflow_task_timeout)
    run_timeout = seconds_of(attributes.workflow_run_timeout)
    # One string for a namespace, a type or a queue name however many runs carry it (each
    # read of a protobuf field makes a new one): the run's key and visibility record keep them.
    key = RunKey(sys.intern(key.namespace), key.workflow_id, key.run_id)
    state = MutableState(
        key=key,
        workflow_type=sys.intern(attributes.workflow_type.name),
        task_queue=sys.intern(attributes.task_queue.name),
        started_attributes=attributes,
        start_time=ch.now,
        first_execution_run_id=attributes.first_execution_run_id or key.run_id,
        task_timeout=task_timeout or DEFAULT_WORKFLOW_TASK_TIMEOUT,
        run_deadline=ch.now + run_timeout if run_timeout else None,
        execution_deadline=execution_deadline,
    )
    state.memo.CopyFrom(attributes.memo)
    state.auto_reset_points.CopyFrom(attributes.prev_auto_reset_points)
    state.search_attributes.CopyFrom(attributes.search_attributes)
    state.first_wft_backoff = seconds_of(attributes.first_workflow_task_backoff)
    state.start_request_id = request_id
    time_skipping.begin(state, ch.now)
    started = new_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, ch.now, attributes)
    if user_metadata is not None:
        started.user_metadata.CopyFrom(user_metadata)
    state.write_events(ch, [started])
    if signal is not None:
        state.append_event(ch, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signal)
        if signal.request_id:
            state.signal_request_ids.add(signal.request_id)
    if state.run_deadline is not None:
        ch.add_timer(state.run_deadline, TimerKey.run_timeout(key))
    if execution_deadline is not None:
        ch.add_timer(execution_deadline, TimerKey.execution_timeout(key))
    if state.first_wft_backoff > 0:
        state.awaiting_first_workflow_task = True
        ch.add_timer(ch.now + state.first_wft_backoff, TimerKey.first_workflow_task(key))
    else:
        workflow_tasks.schedule(state, ch)
    ch.touched.append(state)
    return state
