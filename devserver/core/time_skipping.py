"""Per-workflow time skipping (`TimeSkippingConfig`).

A run with time skipping enabled has its own virtual clock: the wall clock plus the time it
has skipped (`TimeSkippingState.skipped`). Whenever nothing is in flight for it (no workflow
task, no activity attempt scheduled or running, no child, no signal or cancel to another
workflow on its way), its clock jumps to its next deadline (a timer, a retry backoff, a
timeout) or to the target of its fast-forward, whichever is first, and its history records a
WorkflowExecutionTimeSkippingTransitioned event. A fast-forward (`FastForwardConfig`) ends
time skipping when its target is reached; a client waits for that with
PollWorkflowExecutionTimeSkipping. Other workflows keep real time.

The door stamps every change of a run with the run's virtual time (`offset`), ends every
change with `skip` (as the real server closes a transaction) and arms the run's deadlines
that much earlier in wall time.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import time_skipping_pb2
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core.changes import Changes
from devserver.core.lifecycles import ActivityState
from devserver.core.mutable_state import EventType, MutableState, new_event
from devserver.core.protos import seconds_of, timestamp, with_value_names
from devserver.errors import InvalidArgument, Unimplemented

PollResult = with_value_names(time_skipping_pb2.FastForwardPollingResult)
DEFAULT_MAX_SESSION_SKIP_COUNT = 200
NOT_ENABLED = "The Time-Skipping feature is not enabled for namespace."
ID_MISMATCH = "the requested fast_forward_id does not match the execution's current fast-forward"
RUN_ENDED = "the execution ended before the fast-forward completed"
DISABLED = "time skipping was disabled before the fast-forward completed"
_IN_FLIGHT_ACTIVITY = {ActivityState.SCHEDULED, ActivityState.STARTED, ActivityState.PAUSE_REQUESTED}


@dataclass
class TimeSkippingState:
    """A run's time skipping: its effective config, the time it skipped and its fast-forward."""

    config: common.TimeSkippingConfig
    skipped: float = 0.0  # seconds the run's clock is ahead of the wall clock
    session_skips: int = 0  # skips since the config was last set (bounded by max_session_skip_count)
    fast_forward_target: float | None = None  # virtual time at which the fast-forward completes
    fast_forward_completed: bool = False

    @property
    def fast_forward_pending(self) -> bool:
        return self.fast_forward_target is not None and not self.fast_forward_completed


def offset(state: MutableState | None) -> float:
    """How far the run's virtual clock is ahead of the wall clock (0 without time skipping)."""
    if state is None or state.time_skipping is None:
        return 0.0
    return state.time_skipping.skipped


def check_config(config: common.TimeSkippingConfig, feature_enabled: bool) -> None:
    """A config a client sends (at start or in UpdateWorkflowExecutionOptions), as the real server checks it."""
    if not feature_enabled:
        raise Unimplemented(NOT_ENABLED)
    if config.HasField("fast_forward_config"):
        if not config.enabled:
            raise InvalidArgument("time_skipping_config: cannot set fast_forward when enabled is false")
        if not config.fast_forward_config.id:
            raise InvalidArgument("Time skipping config invalid: fast_forward_id must be set")
        if seconds_of(config.fast_forward_config.duration) <= 0:
            raise InvalidArgument("Time skipping config invalid: fast_forward duration must be positive")


def effective(config: common.TimeSkippingConfig, default_max_skips: int) -> common.TimeSkippingConfig:
    """The config as the server keeps it: the session skip bound filled in."""
    result = common.TimeSkippingConfig()
    result.CopyFrom(config)
    if not result.max_session_skip_count:
        result.max_session_skip_count = default_max_skips
    return result


def begin(state: MutableState, now: float) -> None:
    """A new run started with a config (recorded, effective, in its started event); the next
    run of a chain (continue-as-new, retry, cron) goes on from where the last one was."""
    started = state.started_attributes
    if not started.HasField("time_skipping_config") and not started.HasField("time_skipping_state_propagation"):
        return
    # A child whose parent skips without passing the flag on has the parent's time, no config.
    skipping = TimeSkippingState(config=started.time_skipping_config)
    state.time_skipping = skipping
    if not started.HasField("time_skipping_state_propagation"):
        _set_fast_forward(skipping, now)
        return
    carried = started.time_skipping_state_propagation
    skipping.skipped = seconds_of(carried.initial_skipped_duration)
    skipping.session_skips = carried.initial_skip_count
    if carried.HasField("fast_forward_target_time"):
        skipping.fast_forward_target = carried.fast_forward_target_time.ToNanoseconds() / 1e9
    elif skipping.config.HasField("fast_forward_config"):
        # The fast-forward completed in an earlier run.
        skipping.fast_forward_target = now
        skipping.fast_forward_completed = True


def for_child(state: MutableState, initiated: history.StartChildWorkflowExecutionInitiatedEventAttributes) -> None:
    """What a child inherits: the parent's time always, its enabled config unless the parent
    disabled propagation (a parent's fast-forward is its own)."""
    skipping = state.time_skipping
    if skipping is None:
        return
    if skipping.config.enabled and not skipping.config.disable_propagation:
        initiated.time_skipping_config.CopyFrom(skipping.config)
        initiated.time_skipping_config.ClearField("fast_forward_config")
    initiated.time_skipping_state_propagation.initial_skipped_duration.FromNanoseconds(round(skipping.skipped * 1e9))


def carry_on(state: MutableState, successor: history.WorkflowExecutionStartedEventAttributes) -> None:
    """The next run's config and what it inherits: the time skipped, the session's skips and a
    pending fast-forward's target (TimeSkippingStatePropagation)."""
    successor.ClearField("time_skipping_config")
    successor.ClearField("time_skipping_state_propagation")
    skipping = state.time_skipping
    if skipping is None:
        return
    successor.time_skipping_config.CopyFrom(skipping.config)
    carried = successor.time_skipping_state_propagation
    carried.initial_skipped_duration.FromNanoseconds(round(skipping.skipped * 1e9))
    carried.initial_skip_count = skipping.session_skips
    if skipping.fast_forward_pending and skipping.fast_forward_target is not None:
        carried.fast_forward_target_time.CopyFrom(timestamp(skipping.fast_forward_target))


def _set_fast_forward(skipping: TimeSkippingState, now: float) -> None:
    skipping.session_skips = 0
    skipping.fast_forward_completed = False
    if skipping.config.HasField("fast_forward_config"):
        skipping.fast_forward_target = now + seconds_of(skipping.config.fast_forward_config.duration)
    else:
        skipping.fast_forward_target = None


def set_config(state: MutableState, now: float, config: common.TimeSkippingConfig) -> None:
    """A client's new config (UpdateWorkflowExecutionOptions): a new session, and its fast-forward."""
    if state.time_skipping is None:
        state.time_skipping = TimeSkippingState(config=config)
    else:
        state.time_skipping.config = config
    _set_fast_forward(state.time_skipping, now)


# ---- skipping -------------------------------------------------------------------------------


def idle(state: MutableState) -> bool:
    """Nothing is in flight for the run: only time can move it on."""
    return (
        state.workflow_task is None
        and not state.buffered_events
        and not state.children
        and not state.external_signals
        and not state.external_cancels
        and not any(activity.state in _IN_FLIGHT_ACTIVITY for activity in state.activities.values())
    )


def next_deadline(state: MutableState) -> float | None:
    """The first time the run waits for: a timer, a retry backoff, a delayed first workflow task.

    Its run and execution timeouts are not among them: skipping never ends a run early.
    """
    times = [timer.deadline for timer in state.timers.values()]
    times += [
        activity.next_attempt_time
        for activity in state.activities.values()
        if activity.state is ActivityState.BACKING_OFF and activity.next_attempt_time
    ]
    if state.workflow_task_retry_attempt:
        times.append(state.workflow_task_retry_at)
    if not state.any_workflow_task_started and state.workflow_task is None and state.first_wft_backoff > 0:
        times.append(state.start_time + state.first_wft_backoff)
    return min(times, default=None)


def skip_target(state: MutableState, now: float) -> float | None:
    """The virtual time the run's clock jumps to now (`now` is its virtual time), or None."""
    skipping = state.time_skipping
    if skipping is None or not skipping.config.enabled or not state.running or not idle(state):
        return None
    candidates = [t for t in (next_deadline(state), skipping.fast_forward_target) if t is not None]
    if skipping.fast_forward_completed:
        candidates = [t for t in candidates if t != skipping.fast_forward_target]
    if not candidates:
        return None
    target = min(candidates)
    if target <= now and not (skipping.fast_forward_pending and target == skipping.fast_forward_target):
        return None
    return target


def skip(state: MutableState, ch: Changes, wall_now: float) -> bool:
    """Jump the run's clock to its next deadline or its fast-forward's target; True if it did."""
    target = skip_target(state, ch.now)
    skipping = state.time_skipping
    if target is None or skipping is None:
        return False
    attrs = history.WorkflowExecutionTimeSkippingTransitionedEventAttributes(
        target_time=timestamp(target), wall_clock_time=timestamp(wall_now)
    )
    skipping.skipped += max(0.0, target - ch.now)
    skipping.session_skips += 1
    ff_target = skipping.fast_forward_target
    if skipping.fast_forward_pending and ff_target is not None and target >= ff_target:
        skipping.fast_forward_completed = True
        skipping.config.enabled = False
        attrs.disabled_after_fast_forward = True
        # The real server's options-updated event of the same change shares the config it
        # disables here, so it records enabled: false too.
        for written in ch.events:
            if written.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
                written.workflow_execution_options_updated_event_attributes.time_skipping_config.enabled = False
    elif skipping.session_skips >= skipping.config.max_session_skip_count:
        skipping.config.enabled = False
    event = new_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIME_SKIPPING_TRANSITIONED, ch.now, attrs)
    event.worker_may_ignore = True
    state.write_events(ch, [event])
    return True


# ---- what clients read ------------------------------------------------------------------------


def info(state: MutableState, wall_now: float) -> common.TimeSkippingInfo | None:
    """DescribeWorkflowExecution's time_skipping_info: None if the run never had a config.

    As the real dev server (1.9.1) answers it: the run's virtual time and its effective config.
    """
    skipping = state.time_skipping
    if skipping is None:
        return None
    now = state.close_time if state.close_time is not None else wall_now + skipping.skipped
    info = common.TimeSkippingInfo(current_time=timestamp(now))
    if skipping.config.ByteSize():
        info.effective_config.CopyFrom(skipping.config)
    return info


def fast_forward_info(state: MutableState) -> common.TimeSkippingFastForwardInfo | None:
    skipping = state.time_skipping
    if skipping is None or skipping.fast_forward_target is None:
        return None
    ff = skipping.config.fast_forward_config
    return common.TimeSkippingFastForwardInfo(
        fast_forward_duration=ff.duration,
        fast_forward_id=ff.id,
        target_time=timestamp(skipping.fast_forward_target),
        has_completed=skipping.fast_forward_completed,
    )


def poll_outcome(state: MutableState, fast_forward_id: str) -> tuple[int, str] | None:
    """PollWorkflowExecutionTimeSkipping's answer for the run now, or None to keep waiting."""
    skipping = state.time_skipping
    if (
        skipping is None
        or skipping.fast_forward_target is None
        or skipping.config.fast_forward_config.id != fast_forward_id
    ):
        return PollResult.FAST_FORWARD_POLLING_RESULT_FAST_FORWARD_FAILED, ID_MISMATCH
    if skipping.fast_forward_completed:
        return PollResult.FAST_FORWARD_POLLING_RESULT_FAST_FORWARD_COMPLETED, ""
    if not state.running:
        return PollResult.FAST_FORWARD_POLLING_RESULT_FAST_FORWARD_FAILED, RUN_ENDED
    if not skipping.config.enabled:
        return PollResult.FAST_FORWARD_POLLING_RESULT_FAST_FORWARD_FAILED, DISABLED
    return None
