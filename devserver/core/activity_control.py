"""Operator control of a running workflow's activities: pause, unpause, reset, change options.

None of these writes a history event (as on the real server); they change the activity's
pending state (and, when an activity is paused or unpaused, the run's `TemporalPauseInfo`
search attribute: `pause.refresh_pause_info`), and a worker running an attempt learns of a
pause or a reset from its next heartbeat's answer (`activities.heartbeat_answer`). Rules, as
the real server has them:

- A paused activity starts no new attempt. An attempt already running runs on; if it fails
  (a worker fails it after the pause cancelled it) or times out, the next attempt is counted
  and waits, whatever the retry policy's maximum attempts.
- Unpausing (or resetting) an activity that waits for an attempt dispatches it at once, and
  forgets the last failure; `reset` also starts counting attempts from 1 again.
- New options apply to the attempt running now (its timeouts) and to later ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from temporalio.api.activity.v1 import message_pb2 as activity_pb
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import activities, retry
from devserver.core import pause as workflow_pause
from devserver.core.activities import ActivityInfo, TimeoutType
from devserver.core.changes import Changes, TimerKey
from devserver.core.lifecycles import (
    ACTIVITY,
    ACTIVITY_RESET,
    ActivityEvent,
    ActivityState,
    ResetRequest,
    ResetRequestEvent,
)
from devserver.core.mutable_state import MutableState
from devserver.core.protos import seconds_of
from devserver.errors import FailedPrecondition, InvalidArgument, NotFound, WorkflowClosed

ACTIVITY_NOT_FOUND = "Can't find pending activity with such ID. Invalid activityID or activity already completed"

# ActivityOptions fields UpdateActivityOptions may set (mask paths, snake_case).
_DURATIONS = ("schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "heartbeat_timeout")
_RETRY_FIELDS = ("initial_interval", "backoff_coefficient", "maximum_interval", "maximum_attempts")


def _selected_ids(state: MutableState, activity_id: str, activity_type: str, match_all: bool) -> list[str]:
    """The activity ids a request names: one id, every pending one of a type, or all. A closed
    run is refused before any activity is looked for, whichever way they are named, as on the
    real server."""
    if not state.running:
        raise WorkflowClosed()
    if activity_id:
        return [activity_id]
    pending = list(state.activities.values())
    if activity_type:
        ids = [info.activity_id for info in pending if info.attributes.activity_type.name == activity_type]
    elif match_all:
        ids = [info.activity_id for info in pending]
    else:
        ids = []
    if not ids:
        raise NotFound(ACTIVITY_NOT_FOUND)
    return ids


def _pending(state: MutableState, activity_id: str) -> ActivityInfo:
    if not state.running:
        raise WorkflowClosed()
    scheduled_id = state.activity_ids.get(activity_id)
    info = activities.activity(state, scheduled_id) if scheduled_id is not None else None
    if info is None:
        raise NotFound(ACTIVITY_NOT_FOUND)
    return info


def _touch(state: MutableState, ch: Changes) -> None:
    state.state_transitions += 1
    if state not in ch.touched:
        ch.touched.append(state)


def _forget_pause(info: ActivityInfo) -> None:
    info.pause_time = 0.0
    info.pause_identity = info.pause_reason = info.pause_request_id = ""


def _dispatch_again(
    state: MutableState, ch: Changes, info: ActivityInfo, at: float, event: ActivityEvent, stay_paused: bool = False
) -> None:
    """An activity waiting for an attempt gets it at `at` (now or later), unless it stays paused;
    its last failure is forgotten and a finished reset is done with (the real server's retry-task
    regeneration). `event` is what the operator asked for."""
    info.last_failure = None
    activities.reset_done(info)
    if stay_paused:
        ACTIVITY.next(info, event, ActivityState.PAUSED)
        return
    if at <= ch.now:
        ACTIVITY.next(info, event, ActivityState.SCHEDULED)
        activities.dispatch(state, ch, info)
        return
    ACTIVITY.next(info, event, ActivityState.BACKING_OFF)
    info.next_attempt_time = at
    ch.add_timer(at, TimerKey.activity_retry(state.key, info.scheduled_event_id, info.attempt))


def _rearm_attempt_timers(state: MutableState, ch: Changes, info: ActivityInfo) -> None:
    """The running attempt's timeouts, under its current attempt number and options."""
    for timeout_type in (TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE, TimeoutType.TIMEOUT_TYPE_HEARTBEAT):
        deadline = activities.timeout_deadline_of(info, timeout_type)
        if deadline is not None:
            ch.add_timer(
                deadline, TimerKey.activity_timeout(state.key, info.scheduled_event_id, info.attempt, timeout_type)
            )
    deadline = activities.timeout_deadline_of(info, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE)
    if deadline is not None:
        ch.add_timer(
            deadline,
            TimerKey.activity_timeout(
                state.key, info.scheduled_event_id, 0, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
            ),
        )


# ---- the four operations -------------------------------------------------------------------------


def pause(
    state: MutableState,
    ch: Changes,
    activity_id: str,
    activity_type: str,
    identity: str,
    reason: str,
    request_id: str,
) -> None:
    for target in _selected_ids(state, activity_id, activity_type, False):
        info = _pending(state, target)
        if info.paused:
            if info.pause_request_id == request_id:
                continue  # the same request again
            raise FailedPrecondition("activity is already paused")
        ACTIVITY.next(info, ActivityEvent.PAUSE)
        info.pause_time = ch.now
        info.pause_identity, info.pause_reason, info.pause_request_id = identity, reason, request_id
        workflow_pause.refresh_pause_info(state)
    _touch(state, ch)


def unpause(
    state: MutableState,
    ch: Changes,
    activity_id: str,
    activity_type: str,
    unpause_all: bool,
    reset_attempts: bool,
    reset_heartbeat: bool,
    delay: float = 0.0,
) -> None:
    """`delay`: how long the next attempt waits (the request's jitter, drawn by the caller)."""
    if not state.running:
        raise WorkflowClosed()
    for target in _selected_ids(state, activity_id, activity_type, unpause_all):
        info = _pending(state, target)
        if not info.paused:
            continue
        _forget_pause(info)
        if reset_attempts:
            info.attempt = 1
        if reset_heartbeat:
            info.heartbeat_details = None
            info.last_heartbeat_time = 0.0
        if info.started:
            ACTIVITY.next(info, ActivityEvent.UNPAUSE)
        else:
            _dispatch_again(state, ch, info, ch.now + delay, ActivityEvent.UNPAUSE)
        workflow_pause.refresh_pause_info(state)
    _touch(state, ch)


def reset(
    state: MutableState,
    ch: Changes,
    activity_id: str,
    activity_type: str,
    match_all: bool,
    reset_heartbeat: bool,
    keep_paused: bool,
    original: Callable[[int], history.ActivityTaskScheduledEventAttributes] | None = None,
    delay: float = 0.0,
) -> None:
    """Attempts count from 1 again; a waiting activity starts now. `original` gives an activity's
    scheduled attributes when its original options are to be restored."""
    for target in _selected_ids(state, activity_id, activity_type, match_all):
        info = _pending(state, target)
        old_attempt = info.attempt
        info.attempt = 1
        drop = reset_heartbeat or info.reset_request is ResetRequest.REQUESTED_DROP_HEARTBEATS
        ACTIVITY_RESET.next(
            info, ResetRequestEvent.REQUEST, ResetRequest.REQUESTED_DROP_HEARTBEATS if drop else ResetRequest.REQUESTED
        )
        if original is not None:
            _restore(info, original(info.scheduled_event_id))
        stays_paused = info.paused and keep_paused
        unpaused = info.paused and not keep_paused
        if unpaused:
            _forget_pause(info)
        if info.started:
            running = ActivityState.PAUSE_REQUESTED if stays_paused else ActivityState.STARTED
            ACTIVITY.next(info, ActivityEvent.RESET, running)
            if old_attempt != info.attempt or original is not None:
                _rearm_attempt_timers(state, ch, info)
        elif stays_paused:
            ACTIVITY.next(info, ActivityEvent.RESET, ActivityState.PAUSED)
        else:
            _dispatch_again(state, ch, info, ch.now + delay, ActivityEvent.RESET)
        if unpaused:
            workflow_pause.refresh_pause_info(state)
    _touch(state, ch)


def update_options(
    state: MutableState,
    ch: Changes,
    activity_id: str,
    activity_type: str,
    match_all: bool,
    options: activity_pb.ActivityOptions | None,
    paths: Sequence[str] | None,
    original: Callable[[int], history.ActivityTaskScheduledEventAttributes] | None = None,
) -> activity_pb.ActivityOptions:
    """Merge `options` (the fields the mask `paths` name) into the activities' options, or restore their
    original ones; timeouts are filled and checked as for a new ScheduleActivityTask.
    Returns the (last) activity's new options."""
    if not state.running:
        raise WorkflowClosed()
    if original is None and options is None:
        raise InvalidArgument("ActivityOptions are not provided")
    ids = _selected_ids(state, activity_id, activity_type, match_all)
    if original is None and paths is None:
        raise InvalidArgument("UpdateMask is not provided")
    fields = {_snake(path) for path in paths or []}
    result = activity_pb.ActivityOptions()
    for target in ids:
        info = _pending(state, target)
        if original is not None:
            _restore(info, original(info.scheduled_event_id))
        else:
            assert options is not None
            merged = history.ActivityTaskScheduledEventAttributes()
            merged.CopyFrom(info.attributes)
            _merge(merged, options, fields)
            if any(f == "retry_policy" or f.startswith("retry_policy.") for f in fields):
                message = retry.validate(merged.retry_policy)
                if message:
                    raise InvalidArgument(message)
            _normalise(state, merged)
            info.attributes = merged
        if info.started:
            ACTIVITY.next(info, ActivityEvent.UPDATE_OPTIONS)
            _rearm_attempt_timers(state, ch, info)
        else:
            at = _next_attempt_time(info, ch.now)
            _dispatch_again(state, ch, info, at, ActivityEvent.UPDATE_OPTIONS, stay_paused=info.paused)
        result = activities.options_of(info)
    _touch(state, ch)
    return result


# ---- helpers ---------------------------------------------------------------------------------------


def _snake(path: str) -> str:
    """A field mask path in snake_case (the real server takes camelCase too)."""
    return ".".join("".join("_" + c.lower() if c.isupper() else c for c in part) for part in path.split("."))


def _merge(
    attrs: history.ActivityTaskScheduledEventAttributes, options: activity_pb.ActivityOptions, fields: set[str]
) -> None:
    if "task_queue" in fields or "task_queue.name" in fields:
        attrs.task_queue.name = options.task_queue.name
    for name in _DURATIONS:
        if name in fields:
            getattr(attrs, name).CopyFrom(getattr(options, name))
    for name in _RETRY_FIELDS:
        if "retry_policy" in fields or f"retry_policy.{name}" in fields:
            value = getattr(options.retry_policy, name)
            if isinstance(value, int | float):
                setattr(attrs.retry_policy, name, value)
            else:
                getattr(attrs.retry_policy, name).CopyFrom(value)
    if "priority" in fields:
        attrs.priority.CopyFrom(options.priority)
    filled = retry.with_defaults(attrs.retry_policy)
    attrs.retry_policy.CopyFrom(filled)


def _normalise(state: MutableState, attrs: history.ActivityTaskScheduledEventAttributes) -> None:
    if seconds_of(attrs.start_to_close_timeout) <= 0 and seconds_of(attrs.schedule_to_close_timeout) <= 0:
        raise InvalidArgument(
            "A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand."
        )
    command = command_pb.ScheduleActivityTaskCommandAttributes(
        schedule_to_close_timeout=attrs.schedule_to_close_timeout,
        schedule_to_start_timeout=attrs.schedule_to_start_timeout,
        start_to_close_timeout=attrs.start_to_close_timeout,
        heartbeat_timeout=attrs.heartbeat_timeout,
    )
    activities.normalise_timeouts(attrs, command, state)


def _restore(info: ActivityInfo, scheduled: history.ActivityTaskScheduledEventAttributes) -> None:
    attrs = info.attributes
    attrs.task_queue.name = scheduled.task_queue.name
    for name in _DURATIONS:
        getattr(attrs, name).CopyFrom(getattr(scheduled, name))
    for name in _RETRY_FIELDS:
        value = getattr(scheduled.retry_policy, name)
        if isinstance(value, int | float):
            setattr(attrs.retry_policy, name, value)
        else:
            getattr(attrs.retry_policy, name).CopyFrom(value)


def _next_attempt_time(info: ActivityInfo, now: float) -> float:
    """When a waiting attempt is due under the (new) retry policy (the real server's rule)."""
    if info.attempt <= 1 or not info.last_attempt_complete_time:
        return now
    policy = info.attributes.retry_policy
    initial = seconds_of(policy.initial_interval) or retry.DEFAULT_INITIAL_INTERVAL
    interval = initial * (policy.backoff_coefficient or retry.DEFAULT_BACKOFF) ** min(info.attempt - 1, 1000)
    maximum = seconds_of(policy.maximum_interval)
    if maximum and interval > maximum:
        interval = maximum
    return max(now, info.last_attempt_complete_time + interval)


__all__ = ["ACTIVITY_NOT_FOUND", "pause", "reset", "unpause", "update_options"]
