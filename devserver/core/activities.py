"""Activity lifecycle inside a run: schedule, start, heartbeat, retry, time out, close.

Attempts are retried inside the server without touching history; only the last
attempt's outcome is written, as `ActivityTaskStarted` (with `attempt` and the
previous failure) followed by Completed/Failed/TimedOut/Canceled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.activity.v1 import message_pb2 as activity_pb
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core import retry, workflow_tasks
from devserver.core.changes import ActivityTaskRef, Changes, TimerKey
from devserver.core.lifecycles import (
    ACTIVITY,
    ACTIVITY_CANCEL,
    ACTIVITY_RESET,
    ActivityEvent,
    ActivityState,
    CancelRequest,
    CancelRequestEvent,
    ResetRequest,
    ResetRequestEvent,
    Transition,
)
from devserver.core.mutable_state import LINK_PREVIOUS, EventType, MutableState, new_event
from devserver.core.protos import duration, seconds_of, set_timestamp, timestamp, with_value_names
from devserver.core.tokens import TaskToken
from devserver.errors import InvalidArgument, NotFound, TaskNotFound, WorkflowClosed

TimeoutType = with_value_names(wf_enums.TimeoutType)
RetryState = with_value_names(wf_enums.RetryState)
PendingActivityState = with_value_names(wf_enums.PendingActivityState)
Event = ActivityEvent

_TIMEOUT_NAMES = {
    TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE: "StartToClose",
    TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START: "ScheduleToStart",
    TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: "ScheduleToClose",
    TimeoutType.TIMEOUT_TYPE_HEARTBEAT: "Heartbeat",
}


# The real server fires no timer sooner than about a second after setting it (its timer
# queue reads that far ahead), so an activity timeout shorter than that takes effect after
# about a second there. Workers count on it: the official SDKs' own backstop cancels an
# activity 5 s after its timeout, and their tests expect that within 5 s of the timeout.
MIN_TIMEOUT_DELAY = 1.0


def timeout_deadline(since: float, seconds: float) -> float:
    """When a timeout of `seconds`, counted from `since`, takes effect."""
    return since + max(seconds, MIN_TIMEOUT_DELAY)


@dataclass
class ActivityInfo:
    """A pending activity: its scheduled attributes, where its current attempt is
    (lifecycles.ACTIVITY), and what the workflow and the operator asked of the attempt that
    runs (lifecycles.ACTIVITY_CANCEL and ACTIVITY_RESET)."""

    scheduled_event_id: int
    attributes: history.ActivityTaskScheduledEventAttributes
    scheduled_time: float
    attempt: int = 1
    attempt_scheduled_time: float = 0.0
    state: ActivityState = ActivityState.SCHEDULED
    started_time: float = 0.0
    identity: str = ""
    request_id: str = ""
    last_heartbeat_time: float = 0.0
    heartbeat_details: common.Payloads | None = None
    last_failure: failure_pb.Failure | None = None
    last_worker_identity: str = ""
    last_attempt_complete_time: float = 0.0
    cancel_request: CancelRequest = CancelRequest.NOT_REQUESTED
    cancel_requested_event_id: int = 0
    # When the next attempt goes out, while backing off.
    next_attempt_time: float = 0.0
    # Who paused it and why (PauseActivity, core.activity_control), while it is PAUSED or
    # PAUSE_REQUESTED.
    pause_time: float = 0.0
    pause_identity: str = ""
    pause_reason: str = ""
    pause_request_id: str = ""
    reset_request: ResetRequest = ResetRequest.NOT_REQUESTED
    transitions_taken: list[Transition] = field(default_factory=list, compare=False, repr=False)

    @property
    def started(self) -> bool:
        """A worker runs the current attempt."""
        return self.state in (ActivityState.STARTED, ActivityState.PAUSE_REQUESTED)

    @property
    def paused(self) -> bool:
        """Paused by an operator: no new attempt goes out until it is unpaused."""
        return self.state in (ActivityState.PAUSED, ActivityState.PAUSE_REQUESTED)

    @property
    def cancel_requested(self) -> bool:
        return self.cancel_request is CancelRequest.REQUESTED

    @property
    def reset_requested(self) -> bool:
        return self.reset_request is not ResetRequest.NOT_REQUESTED

    @property
    def activity_id(self) -> str:
        return self.attributes.activity_id

    @property
    def queue(self) -> str:
        return self.attributes.task_queue.name

    def timeout(self, which: str) -> float:
        return seconds_of(getattr(self.attributes, which))

    @property
    def expiration(self) -> float | None:
        s2c = self.timeout("schedule_to_close_timeout")
        return self.scheduled_time + s2c if s2c else None


def activity(state: MutableState, scheduled_event_id: int) -> ActivityInfo | None:
    return state.activities.get(scheduled_event_id)


def schedule(
    state: MutableState,
    ch: Changes,
    attributes: history.ActivityTaskScheduledEventAttributes,
) -> ActivityInfo:
    """Write ActivityTaskScheduled and hand the first attempt to its task queue."""
    event_id = state.append_event(ch, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, attributes)
    info = ActivityInfo(
        scheduled_event_id=event_id,
        attributes=attributes,
        scheduled_time=ch.now,
        attempt_scheduled_time=ch.now,
    )
    state.activities[event_id] = info
    state.activity_ids[attributes.activity_id] = event_id
    s2c = info.timeout("schedule_to_close_timeout")
    if s2c:
        ch.add_timer(
            timeout_deadline(ch.now, s2c),
            _timeout_key(state, info, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, any_attempt=True),
        )
    return info


def dispatch(state: MutableState, ch: Changes, info: ActivityInfo) -> None:
    """Put the current attempt in its task queue and arm its schedule-to-start timer."""
    info.next_attempt_time = 0.0
    info.attempt_scheduled_time = ch.now
    ch.tasks.append(ActivityTaskRef(state.key, info.queue, info.scheduled_event_id, info.attempt))
    s2s = info.timeout("schedule_to_start_timeout")
    if s2s:
        ch.add_timer(
            timeout_deadline(ch.now, s2s), _timeout_key(state, info, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START)
        )


def _timeout_key(state: MutableState, info: ActivityInfo, timeout_type: int, any_attempt: bool = False) -> TimerKey:
    return TimerKey.activity_timeout(
        state.key, info.scheduled_event_id, 0 if any_attempt else info.attempt, timeout_type
    )


def start(
    state: MutableState,
    ch: Changes,
    scheduled_event_id: int,
    attempt: int,
    identity: str,
    request_id: str,
    queue: str = "",
) -> wsv1.PollActivityTaskQueueResponse | None:
    """A worker takes the attempt (from `queue`, if given); None if the task is a stale copy."""
    info = activity(state, scheduled_event_id)
    if info is None or info.attempt != attempt or not state.running:
        ACTIVITY.ignore(ch, scheduled_event_id, Event.START)  # the attempt is gone
        return None
    if queue and queue != info.queue:
        ACTIVITY.ignore(ch, scheduled_event_id, Event.START)  # queued before its options moved it
        return None
    if state.paused:
        ACTIVITY.ignore(ch, scheduled_event_id, Event.START)  # held until the unpause sends it again (core.pause)
        return None
    if not move(ch, info, Event.START):
        return None
    info.started_time = ch.now
    info.identity = identity
    info.request_id = request_id
    info.last_worker_identity = identity
    info.last_heartbeat_time = 0.0
    state.state_transitions += 1
    start_to_close = info.timeout("start_to_close_timeout")
    if start_to_close:
        ch.add_timer(
            timeout_deadline(ch.now, start_to_close),
            _timeout_key(state, info, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE),
        )
    heartbeat = info.timeout("heartbeat_timeout")
    if heartbeat:
        ch.add_timer(timeout_deadline(ch.now, heartbeat), _timeout_key(state, info, TimeoutType.TIMEOUT_TYPE_HEARTBEAT))
    if state not in ch.touched:
        ch.touched.append(state)
    attrs = info.attributes
    token = TaskToken(
        "activity",
        state.key.namespace,
        state.key.workflow_id,
        state.key.run_id,
        scheduled_event_id,
        attempt,
        attrs.activity_id,
    )
    response = wsv1.PollActivityTaskQueueResponse(
        task_token=token.encode(),
        workflow_namespace=state.key.namespace,
        activity_type=attrs.activity_type,
        activity_id=attrs.activity_id,
        header=attrs.header,
        input=attrs.input,
        attempt=attempt,
        schedule_to_close_timeout=attrs.schedule_to_close_timeout,
        start_to_close_timeout=attrs.start_to_close_timeout,
        heartbeat_timeout=attrs.heartbeat_timeout,
        retry_policy=attrs.retry_policy,
        priority=attrs.priority,
    )
    set_timestamp(response.scheduled_time, info.scheduled_time)
    set_timestamp(response.current_attempt_scheduled_time, info.attempt_scheduled_time)
    set_timestamp(response.started_time, ch.now)
    response.workflow_type.name = state.workflow_type
    response.workflow_execution.workflow_id = state.key.workflow_id
    response.workflow_execution.run_id = state.key.run_id
    if info.heartbeat_details is not None:
        response.heartbeat_details.CopyFrom(info.heartbeat_details)
    return response


# The real server's answer to a worker whose attempt is gone (timed out, retried, canceled).
ACTIVITY_TASK_NOT_FOUND = "invalid activityID or activity already timed out or invoking workflow is completed"


def started_activity(state: MutableState, ch: Changes, token: TaskToken) -> ActivityInfo:
    """The started attempt a worker's token names; NOT_FOUND for a late answer (the attempt is
    gone: timed out, retried, canceled), as on the real server."""
    if not state.running:
        raise WorkflowClosed()
    info = activity(state, token.ref)
    if info is None or info.attempt != token.attempt or not info.started:
        ch.ignore_stale(ACTIVITY.entity, token.ref, "ANSWER")
        raise TaskNotFound(ACTIVITY_TASK_NOT_FOUND)
    return info


def pending_by_id(state: MutableState, activity_id: str, *, started: bool = True) -> ActivityInfo:
    """The pending activity an id names, or NOT_FOUND; with `started`, only a started attempt."""
    if not state.running:
        raise WorkflowClosed()
    scheduled_id = state.activity_ids.get(activity_id)
    info = activity(state, scheduled_id) if scheduled_id is not None else None
    if info is None:
        raise NotFound(
            f"cannot find pending activity with ActivityID {activity_id}, "
            "check workflow execution history for more details"
        )
    if started and not info.started:
        raise TaskNotFound(ACTIVITY_TASK_NOT_FOUND)
    return info


def start_by_id(ch: Changes, info: ActivityInfo, identity: str) -> None:
    """Completing an unstarted activity by id: its attempt counts as started now, by the caller."""
    if not info.started:
        ACTIVITY.next(info, Event.START_BY_ID)
        info.started_time = ch.now
        info.identity = identity
        info.request_id = ""


def move(ch: Changes, info: ActivityInfo, event: ActivityEvent, to: ActivityState | None = None) -> bool:
    """Move the activity to its next state; False if `event` is stale (then nothing changes)."""
    return ACTIVITY.move(ch, info, event, to) is not None


def request_cancel(info: ActivityInfo, requested_event_id: int) -> None:
    """The workflow asked to cancel the attempt that runs: its worker is told on a heartbeat."""
    ACTIVITY_CANCEL.next(info, CancelRequestEvent.REQUEST)
    info.cancel_requested_event_id = requested_event_id


def cancel_unstarted(state: MutableState, info: ActivityInfo) -> None:
    """The workflow canceled an activity no worker runs: it ends now (the caller writes why)."""
    ACTIVITY.next(info, Event.CANCEL)
    del state.activities[info.scheduled_event_id]
    state.activity_ids.pop(info.activity_id, None)


def _started_event(info: ActivityInfo, ch: Changes, version: common.WorkerVersionStamp | None) -> history.HistoryEvent:
    attrs = history.ActivityTaskStartedEventAttributes(
        scheduled_event_id=info.scheduled_event_id,
        identity=info.identity,
        request_id=info.request_id,
        attempt=info.attempt,
        last_failure=info.last_failure,
        worker_version=version,
    )
    return new_event(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, info.started_time or ch.now, attrs)


def _close(
    state: MutableState,
    ch: Changes,
    info: ActivityInfo,
    event: ActivityEvent,
    closed: ActivityState,
    outcome: history.HistoryEvent,
    version: common.WorkerVersionStamp | None = None,
) -> None:
    """Write the attempt's Started event (if it started) and its outcome; forget it.

    The Started event is written only now (a worker's attempt is no part of history until it
    ends), and carries the version stamp the worker sent with its answer (`version`), as on the
    real server: a completion or failure by token has one, an answer by id, a cancellation or a
    timeout none."""
    was_started = info.started
    ACTIVITY.next(info, event, closed)
    del state.activities[info.scheduled_event_id]
    state.activity_ids.pop(info.activity_id, None)
    events = [_started_event(info, ch, version), outcome] if was_started else [outcome]
    workflow_tasks.add_external(state, ch, events)


def complete(
    state: MutableState,
    ch: Changes,
    info: ActivityInfo,
    result: common.Payloads | None,
    identity: str,
    version: common.WorkerVersionStamp | None = None,
) -> None:
    attrs = history.ActivityTaskCompletedEventAttributes(
        result=result,
        scheduled_event_id=info.scheduled_event_id,
        started_event_id=LINK_PREVIOUS,
        identity=identity,
    )
    outcome = new_event(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, ch.now, attrs)
    _close(state, ch, info, Event.COMPLETE, ActivityState.COMPLETED, outcome, version)


def _next_attempt(info: ActivityInfo, failure: failure_pb.Failure, now: float) -> tuple[float | None, int]:
    """Delay before the next attempt, or None and why not. An activity the workflow asked to
    cancel is not retried (RETRY_STATE_CANCEL_REQUESTED), as on the real server."""
    if info.cancel_requested:
        return None, RetryState.RETRY_STATE_CANCEL_REQUESTED
    return retry.next_backoff(info.attributes.retry_policy, info.attempt, failure, now, info.expiration)


def fail(
    state: MutableState,
    ch: Changes,
    info: ActivityInfo,
    failure: failure_pb.Failure,
    identity: str,
    last_heartbeat_details: common.Payloads | None = None,
    version: common.WorkerVersionStamp | None = None,
) -> None:
    """An attempt failed: retry after the backoff, or record the failure."""
    if last_heartbeat_details is not None and last_heartbeat_details.payloads:
        info.heartbeat_details = last_heartbeat_details
    delay, retry_state = _next_attempt(info, failure, ch.now)
    if _retry_while_paused(state, ch, info, Event.FAIL, failure, retry_state):
        return
    if delay is not None:
        _retry_later(state, ch, info, Event.FAIL, failure, delay)
        return
    attrs = history.ActivityTaskFailedEventAttributes(
        failure=failure,
        scheduled_event_id=info.scheduled_event_id,
        started_event_id=LINK_PREVIOUS,
        identity=identity,
        retry_state=retry_state,  # type: ignore[arg-type]
    )
    outcome = new_event(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, ch.now, attrs)
    _close(state, ch, info, Event.FAIL, ActivityState.FAILED, outcome, version)


def _retry_later(
    state: MutableState,
    ch: Changes,
    info: ActivityInfo,
    event: ActivityEvent,
    failure: failure_pb.Failure,
    delay: float,
) -> None:
    ACTIVITY.next(info, event, ActivityState.BACKING_OFF)
    info.last_failure = failure
    info.last_attempt_complete_time = ch.now
    info.attempt += 1
    info.started_time = 0.0
    info.identity = ""
    info.request_id = ""
    info.next_attempt_time = ch.now + delay
    reset_done(info)
    state.state_transitions += 1
    if state not in ch.touched:
        ch.touched.append(state)
    ch.add_timer(
        info.next_attempt_time,
        TimerKey.activity_retry(state.key, info.scheduled_event_id, info.attempt),
    )


def reset_done(info: ActivityInfo) -> None:
    """A new attempt is due: a reset asked for is done with, and drops the heartbeat details if
    asked to."""
    if info.reset_request is ResetRequest.NOT_REQUESTED:
        return
    if info.reset_request is ResetRequest.REQUESTED_DROP_HEARTBEATS:
        info.heartbeat_details = None
        info.last_heartbeat_time = 0.0
    ACTIVITY_RESET.next(info, ResetRequestEvent.DONE)


# Retry states that end an activity even while it is paused.
_FINAL_RETRY_STATES = {RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE, RetryState.RETRY_STATE_CANCEL_REQUESTED}


def _retry_while_paused(
    state: MutableState,
    ch: Changes,
    info: ActivityInfo,
    event: ActivityEvent,
    failure: failure_pb.Failure,
    retry_state: int,
) -> bool:
    """A paused activity's attempt failed or timed out: the next attempt waits for the unpause,
    whatever the maximum attempts (as on the real server); False if the failure ends the
    activity anyway."""
    if info.state is not ActivityState.PAUSE_REQUESTED or retry_state in _FINAL_RETRY_STATES:
        return False
    if failure.timeout_failure_info.timeout_type in (
        TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
        TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
    ):
        return False
    ACTIVITY.next(info, event, ActivityState.PAUSED)
    info.last_failure = failure
    info.last_attempt_complete_time = ch.now
    info.attempt += 1
    info.started_time = 0.0
    info.identity = ""
    info.request_id = ""
    info.next_attempt_time = 0.0
    state.state_transitions += 1
    if state not in ch.touched:
        ch.touched.append(state)
    return True


def retry_due(state: MutableState, ch: Changes, scheduled_event_id: int, attempt: int) -> None:
    """The backoff before `attempt` is over: dispatch it."""
    info = activity(state, scheduled_event_id)
    if info is None or info.attempt != attempt or not state.running:
        ACTIVITY.ignore(ch, scheduled_event_id, Event.RETRY_DUE)
        return
    if ACTIVITY.stale(ch, info, Event.RETRY_DUE):
        return
    if ch.now + 1e-3 < info.next_attempt_time:
        # The retry was rescheduled (options changed, or a jittered unpause).
        ACTIVITY.ignore(ch, scheduled_event_id, Event.RETRY_DUE)
        return
    ACTIVITY.next(info, Event.RETRY_DUE)
    dispatch(state, ch, info)


def cancel_acknowledged(
    state: MutableState, ch: Changes, info: ActivityInfo, details: common.Payloads | None, identity: str
) -> None:
    """The worker stopped the activity after a cancellation request; without one (a worker
    that stopped it for a pause or a reset, say) the attempt runs on, as on the real server."""
    if not info.cancel_requested:
        raise InvalidArgument("unable to mark activity as canceled without activity being request canceled first")
    attrs = history.ActivityTaskCanceledEventAttributes(
        details=details,
        latest_cancel_requested_event_id=info.cancel_requested_event_id,
        scheduled_event_id=info.scheduled_event_id,
        started_event_id=LINK_PREVIOUS,
        identity=identity,
    )
    outcome = new_event(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, ch.now, attrs)
    _close(state, ch, info, Event.CANCEL, ActivityState.CANCELED, outcome)


def heartbeat(
    state: MutableState, ch: Changes, info: ActivityInfo, details: common.Payloads | None
) -> wsv1.RecordActivityTaskHeartbeatResponse:
    """Record a heartbeat; returns what the worker is told (`heartbeat_answer`)."""
    info.last_heartbeat_time = ch.now
    if details is not None and details.payloads:
        info.heartbeat_details = details
    heartbeat_timeout = info.timeout("heartbeat_timeout")
    if heartbeat_timeout:
        ch.add_timer(
            timeout_deadline(ch.now, heartbeat_timeout), _timeout_key(state, info, TimeoutType.TIMEOUT_TYPE_HEARTBEAT)
        )
    if state not in ch.touched:
        ch.touched.append(state)
    return heartbeat_answer(info)


def heartbeat_answer(info: ActivityInfo) -> wsv1.RecordActivityTaskHeartbeatResponse:
    """What a heartbeat tells the worker: cancel requested, paused, or reset."""
    return wsv1.RecordActivityTaskHeartbeatResponse(
        cancel_requested=info.cancel_requested, activity_paused=info.paused, activity_reset=info.reset_requested
    )


def timeout_deadline_of(info: ActivityInfo, timeout_type: int) -> float | None:
    """When the current attempt's timeout of this type takes effect, with today's options."""
    if timeout_type == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
        seconds, since = info.timeout("schedule_to_close_timeout"), info.scheduled_time
    elif timeout_type == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START:
        seconds, since = info.timeout("schedule_to_start_timeout"), info.attempt_scheduled_time
    elif timeout_type == TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE:
        seconds, since = info.timeout("start_to_close_timeout"), info.started_time
    else:
        seconds, since = info.timeout("heartbeat_timeout"), info.last_heartbeat_time or info.started_time
    return timeout_deadline(since, seconds) if seconds else None


def timeout_failure(timeout_type: int, details: common.Payloads | None = None) -> failure_pb.Failure:
    name = _TIMEOUT_NAMES[timeout_type]  # type: ignore[index]
    failure = failure_pb.Failure(message=f"activity {name} timeout", source="Server")
    failure.timeout_failure_info.timeout_type = timeout_type  # type: ignore[assignment]
    if details is not None and details.payloads:
        failure.timeout_failure_info.last_heartbeat_details.CopyFrom(details)
    return failure


def timed_out(state: MutableState, ch: Changes, key: TimerKey) -> None:
    """A timeout timer fired: retry the attempt, or write ActivityTaskTimedOut."""
    ref = key.scheduled_event_id
    timeout_type = key.timeout_type
    event = _TIMEOUT_EVENTS[timeout_type]  # type: ignore[index]
    info = activity(state, ref)
    if info is None or not state.running or (key.attempt and key.attempt != info.attempt):
        ACTIVITY.ignore(ch, ref, event)  # the activity (or that attempt) is gone
        return
    if ACTIVITY.stale(ch, info, event):
        return  # schedule-to-start only counts before the start, the others only after it
    deadline = timeout_deadline_of(info, timeout_type)
    if deadline is None or ch.now + 1e-3 < deadline:
        ACTIVITY.ignore(ch, ref, event)  # a newer heartbeat or changed options moved the deadline
        return
    failure = timeout_failure(timeout_type, info.heartbeat_details)
    retry_state: int = RetryState.RETRY_STATE_TIMEOUT
    if event is Event.ATTEMPT_TIMEOUT:
        delay, retry_state = _next_attempt(info, failure, ch.now)
        if _retry_while_paused(state, ch, info, event, failure, retry_state):
            return
        if delay is not None:
            _retry_later(state, ch, info, event, failure, delay)
            return
    if info.last_failure is not None and timeout_type == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
        failure.cause.CopyFrom(info.last_failure)
    attrs = history.ActivityTaskTimedOutEventAttributes(
        failure=failure,
        scheduled_event_id=info.scheduled_event_id,
        started_event_id=LINK_PREVIOUS if info.started else 0,
        retry_state=retry_state,  # type: ignore[arg-type]
    )
    outcome = new_event(EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, ch.now, attrs)
    _close(state, ch, info, event, ActivityState.TIMED_OUT, outcome)


_TIMEOUT_EVENTS = {
    TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE: ActivityEvent.ATTEMPT_TIMEOUT,
    TimeoutType.TIMEOUT_TYPE_HEARTBEAT: ActivityEvent.ATTEMPT_TIMEOUT,
    TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START: ActivityEvent.SCHEDULE_TO_START_TIMEOUT,
    TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: ActivityEvent.SCHEDULE_TO_CLOSE_TIMEOUT,
}


def pending_info(info: ActivityInfo) -> workflow_pb.PendingActivityInfo:
    """The PendingActivityInfo DescribeWorkflowExecution reports."""

    if info.cancel_requested:
        status = PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
    elif info.started:
        status = PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        if info.paused:  # paused on the server, still running on its worker
            status = PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED
    elif info.paused:
        status = PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED
    else:
        status = PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
    pending = workflow_pb.PendingActivityInfo(
        activity_id=info.activity_id,
        activity_type=info.attributes.activity_type,
        state=status,
        attempt=info.attempt,
        maximum_attempts=info.attributes.retry_policy.maximum_attempts,
        scheduled_time=timestamp(info.attempt_scheduled_time),
        last_worker_identity=info.last_worker_identity,
        last_failure=info.last_failure,
        heartbeat_details=info.heartbeat_details,
        priority=info.attributes.priority,
    )
    if info.started:
        pending.last_started_time.CopyFrom(timestamp(info.started_time))
    if info.last_heartbeat_time:
        pending.last_heartbeat_time.CopyFrom(timestamp(info.last_heartbeat_time))
    if info.expiration is not None:
        pending.expiration_time.CopyFrom(timestamp(info.expiration))
    if info.last_attempt_complete_time:
        pending.last_attempt_complete_time.CopyFrom(timestamp(info.last_attempt_complete_time))
    if info.next_attempt_time and not info.paused:
        pending.next_attempt_schedule_time.CopyFrom(timestamp(info.next_attempt_time))
        pending.current_retry_interval.CopyFrom(duration(info.next_attempt_time - info.last_attempt_complete_time))
    if info.paused:
        pending.paused = True
        pending.pause_info.pause_time.CopyFrom(timestamp(info.pause_time))
        pending.pause_info.manual.identity = info.pause_identity
        pending.pause_info.manual.reason = info.pause_reason
    pending.activity_options.CopyFrom(options_of(info))
    pending.activity_options.task_queue.ClearField("kind")  # describe names the queue twice, without a kind
    pending.activity_options.task_queue.normal_name = info.queue
    return pending


def options_of(info: ActivityInfo) -> activity_pb.ActivityOptions:
    """The activity's options as UpdateActivityOptions answers them."""
    attrs = info.attributes
    policy = attrs.retry_policy
    return activity_pb.ActivityOptions(
        task_queue=attrs.task_queue,
        schedule_to_close_timeout=attrs.schedule_to_close_timeout,
        schedule_to_start_timeout=attrs.schedule_to_start_timeout,
        start_to_close_timeout=attrs.start_to_close_timeout,
        heartbeat_timeout=attrs.heartbeat_timeout,
        retry_policy=common.RetryPolicy(
            initial_interval=policy.initial_interval,
            backoff_coefficient=policy.backoff_coefficient,
            maximum_interval=policy.maximum_interval,
            maximum_attempts=policy.maximum_attempts,
        ),
        priority=attrs.priority,
    )


def normalise_timeouts(
    attrs: history.ActivityTaskScheduledEventAttributes,
    cmd: command_pb.ScheduleActivityTaskCommandAttributes,
    state: MutableState,
) -> None:
    """Fill and cap activity timeouts the way Temporal records them."""
    s2c = seconds_of(cmd.schedule_to_close_timeout)
    s2s = seconds_of(cmd.schedule_to_start_timeout)
    s2cl = seconds_of(cmd.start_to_close_timeout)
    heartbeat = seconds_of(cmd.heartbeat_timeout)
    run_timeout = seconds_of(state.started_attributes.workflow_run_timeout)
    if run_timeout and (s2c == 0 or s2c > run_timeout):
        s2c = run_timeout
    if s2c:
        if s2s == 0 or s2s > s2c:
            s2s = s2c
        if s2cl == 0 or s2cl > s2c:
            s2cl = s2c
    if heartbeat > s2cl:
        heartbeat = s2cl
    attrs.schedule_to_close_timeout.CopyFrom(duration(s2c))
    attrs.schedule_to_start_timeout.CopyFrom(duration(s2s))
    attrs.start_to_close_timeout.CopyFrom(duration(s2cl))
    attrs.heartbeat_timeout.CopyFrom(duration(heartbeat))
