"""Turn a workflow's event history into activations: pure, no I/O.

Temporal's SDKs delegate this to a native core; ours does it here. A history is
a sequence of workflow tasks. Each *completed* workflow task ends with
``WorkflowTaskStarted`` followed by ``WorkflowTaskCompleted``; the events that
arrived since the previous task (signals, activity results, fired timers, ...)
are the jobs of that task's activation, and the command events written after
``WorkflowTaskCompleted`` are what the workflow code decided, which a replay
must reproduce exactly. A ``WorkflowTaskStarted`` that is the last event is the
task being worked on now. Failed or timed-out workflow tasks leave no trace: their
jobs are delivered again with the next task.

Activities and timers are identified by the sequence number the workflow
instance gives them, sent as ``activity_id`` and ``timer_id``; this module maps
the server's event IDs back to those numbers.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history

from sdk.worker._history_children import (
    COMMAND_EVENTS,
    OtherWorkflowSteps,
    ResolveChild,
    ResolveChildStart,
    ResolveExternal,
    child_command_detail,
    child_event_detail,
    match_child_command,
)
from sdk.worker._history_updates import (
    UPDATE_COMMAND_EVENTS,
    DoUpdate,
    UpdateSteps,
    match_update_command,
    update_command_detail,
    update_event_detail,
)
from sdk.worker._local_activities import ResolveLocalActivity, is_local_activity_marker
from sdk.worker._patches import (
    command_detail,
    event_detail,
    match_marker_or_upsert,
    mismatch_hint,
    skippable_deprecated_patch,
)

EventType = event_type_pb2.EventType
CommandType = command_type_pb2.CommandType

COMMAND_EVENT_TYPES = frozenset(
    {
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
        EventType.EVENT_TYPE_TIMER_STARTED,
        EventType.EVENT_TYPE_TIMER_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        EventType.EVENT_TYPE_MARKER_RECORDED,
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
        EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED,
        EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED,
        *UPDATE_COMMAND_EVENTS,
    }
)
"""Events written only because the workflow sent a command."""


class HistoryError(ValueError):
    """The history is malformed or uses something this SDK does not support."""


# --- jobs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartWorkflow:
    """Create the workflow object and run its run method."""

    workflow_type: str
    args: Sequence[common.Payload]
    attributes: history.WorkflowExecutionStartedEventAttributes
    start_time: datetime


@dataclass(frozen=True)
class SignalWorkflow:
    """Deliver a signal to its handler."""

    name: str
    args: Sequence[common.Payload]
    headers: Mapping[str, common.Payload] = field(default_factory=dict)


@dataclass(frozen=True)
class ResolveActivity:
    """An activity finished: ``result`` on success, else ``failure`` (an ActivityFailure)."""

    seq: int
    result: Sequence[common.Payload] | None = None
    failure: failure_pb.Failure | None = None


@dataclass(frozen=True)
class FireTimer:
    """A timer fired."""

    seq: int


@dataclass(frozen=True)
class CancelWorkflow:
    """Someone asked for the workflow to be cancelled."""

    reason: str


Job = (
    StartWorkflow
    | SignalWorkflow
    | ResolveActivity
    | FireTimer
    | CancelWorkflow
    | ResolveChildStart
    | ResolveChild
    | ResolveExternal
    | DoUpdate
    | ResolveLocalActivity
)


@dataclass
class Activation:
    """One workflow task's worth of work for the workflow instance.

    Attributes:
        jobs: What happened since the previous workflow task, in history order.
        time: Workflow time during this task (``WorkflowTaskStarted`` time).
        started_event_id: Event ID of this task's ``WorkflowTaskStarted``.
        is_replaying: True when the task already completed in history.
        expected_commands: For a replayed task, the command events it produced
            originally, which the workflow must reproduce; None for a new task.
        scheduled_activities: Activity sequence number -> ``ActivityTaskScheduled``
            event ID, for cancelling activities.
        history_size_bytes: History size the server reported when the task started.
        continue_as_new_suggested: Whether the server suggested continuing as new then.
        core_flags: The official SDK core's internal flags the history recorded up to and
            including this task's completion (they decide what a replay must produce).
    """

    jobs: list[Job]
    time: datetime
    started_event_id: int
    is_replaying: bool
    expected_commands: list[history.HistoryEvent] | None
    scheduled_activities: Mapping[int, int] = field(default_factory=dict)
    history_size_bytes: int = 0
    continue_as_new_suggested: bool = False
    core_flags: frozenset[int] = frozenset()
    activation_index: int = 0
    """Which activation of its workflow task this is (local activity outcomes come in later ones)."""


@dataclass(frozen=True)
class _Scheduled:
    seq: int
    activity_type: str
    activity_id: str


def _time(event: history.HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def _seq(kind: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise HistoryError(f"{kind} ID {value!r} was not assigned by a Tempo workflow (expected a number)") from None


class HistoryTranslator:
    """Turns one workflow run's history into activations, incrementally.

    Feed the events in order, possibly in several calls (a cached run receives
    only the new events of each task); state about scheduled activities and not
    yet delivered jobs carries over between calls.
    """

    def __init__(self) -> None:
        self._pending: list[Job] = []
        self._scheduled: dict[int, _Scheduled] = {}
        self._scheduled_by_seq: dict[int, int] = {}
        self._collecting: list[history.HistoryEvent] | None = None
        self._steps = OtherWorkflowSteps()
        self._updates = UpdateSteps()
        self._core_flags: set[int] = set()
        self.last_event_id = 0
        """ID of the last event fed."""
        self.last_started_event_id = 0
        """ID of the ``WorkflowTaskStarted`` of the last activation produced."""

    def feed(self, events: Sequence[history.HistoryEvent]) -> list[Activation]:
        """Consume the next events and return the activations they complete.

        Args:
            events: Events following the ones fed before, in order.

        Returns:
            One activation per workflow task started in ``events``, the last
            one live (not replaying) if the history ends with its ``WorkflowTaskStarted``.

        Raises:
            HistoryError: Events out of order, or something unsupported.
        """
        activations: list[Activation] = []
        for index, event in enumerate(events):
            if self.last_event_id and event.event_id != self.last_event_id + 1:
                raise HistoryError(f"history event {event.event_id} follows event {self.last_event_id}")
            self.last_event_id = event.event_id
            activation = self._event(event, events, index)
            if activation is not None:
                activations.append(activation)
        return activations

    def _event(
        self, event: history.HistoryEvent, events: Sequence[history.HistoryEvent], index: int
    ) -> Activation | None:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            activation = self._task_started(event, _task_outcome(events, index))
            if activation is not None and activation.is_replaying:
                # Updates reach a live task as messages; history has them after the task.
                activation.jobs.extend(self._updates.accepted_by_task(events, index))
            return activation
        if kind in COMMAND_EVENT_TYPES:
            if self._collecting is not None:
                self._collecting.append(event)
            self._command_event(event)
            return None
        job = self._job(event)
        if job is not None:
            self._pending.append(job)
        return None

    def _task_started(self, event: history.HistoryEvent, outcome: history.HistoryEvent | None) -> Activation | None:
        if outcome is not None and outcome.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            # The task failed, timed out, or the run was terminated while it ran: it
            # left no commands, and its jobs go to the next attempt (if any).
            return None
        replaying = outcome is not None
        expected: list[history.HistoryEvent] | None = [] if replaying else None
        if outcome is not None:
            self._core_flags.update(outcome.workflow_task_completed_event_attributes.sdk_metadata.core_used_flags)
        started = event.workflow_task_started_event_attributes
        activation = Activation(
            jobs=self._pending,
            time=_time(event),
            started_event_id=event.event_id,
            is_replaying=replaying,
            expected_commands=expected,
            scheduled_activities=types.MappingProxyType(self._scheduled_by_seq),
            history_size_bytes=started.history_size_bytes,
            continue_as_new_suggested=started.suggest_continue_as_new,
            core_flags=frozenset(self._core_flags),
        )
        self._pending = []
        self._collecting = expected
        self.last_started_event_id = event.event_id
        return activation

    def _command_event(self, event: history.HistoryEvent) -> None:
        self._steps.initiated(event)
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            seq = _seq("activity", attrs.activity_id)
            self._scheduled[event.event_id] = _Scheduled(seq, attrs.activity_type.name, attrs.activity_id)
            self._scheduled_by_seq[seq] = event.event_id

    def _activity_failure(
        self,
        scheduled_event_id: int,
        started_event_id: int,
        identity: str,
        cause: failure_pb.Failure,
        retry_state: int,
    ) -> tuple[int, failure_pb.Failure]:
        scheduled = self._scheduled.get(scheduled_event_id)
        if scheduled is None:
            raise HistoryError(f"activity result for unknown scheduled event {scheduled_event_id}")
        failure = failure_pb.Failure(
            message="Activity task failed",
            cause=cause,
            activity_failure_info=failure_pb.ActivityFailureInfo(
                scheduled_event_id=scheduled_event_id,
                started_event_id=started_event_id,
                identity=identity,
                activity_type=common.ActivityType(name=scheduled.activity_type),
                activity_id=scheduled.activity_id,
                retry_state=retry_state,  # type: ignore[arg-type]
            ),
        )
        return scheduled.seq, failure

    def _job(self, event: history.HistoryEvent) -> Job | None:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attrs = event.workflow_execution_started_event_attributes
            return StartWorkflow(attrs.workflow_type.name, list(attrs.input.payloads), attrs, _time(event))
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            sig = event.workflow_execution_signaled_event_attributes
            return SignalWorkflow(sig.signal_name, list(sig.input.payloads), dict(sig.header.fields))
        if kind == EventType.EVENT_TYPE_TIMER_FIRED:
            return FireTimer(_seq("timer", event.timer_fired_event_attributes.timer_id))
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            return CancelWorkflow(event.workflow_execution_cancel_requested_event_attributes.cause)
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes
            scheduled = self._scheduled.get(done.scheduled_event_id)
            if scheduled is None:
                raise HistoryError(f"activity result for unknown scheduled event {done.scheduled_event_id}")
            return ResolveActivity(scheduled.seq, result=list(done.result.payloads))
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            failed = event.activity_task_failed_event_attributes
            seq, failure = self._activity_failure(
                failed.scheduled_event_id,
                failed.started_event_id,
                failed.identity,
                failed.failure,
                failed.retry_state,
            )
            return ResolveActivity(seq, failure=failure)
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            timed_out = event.activity_task_timed_out_event_attributes
            seq, failure = self._activity_failure(
                timed_out.scheduled_event_id,
                timed_out.started_event_id,
                "",
                timed_out.failure,
                timed_out.retry_state,
            )
            return ResolveActivity(seq, failure=failure)
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
            canceled = event.activity_task_canceled_event_attributes
            cause = failure_pb.Failure(
                message="Cancelled",  # as the official SDK shows it
                canceled_failure_info=failure_pb.CanceledFailureInfo(details=canceled.details),
            )
            seq, failure = self._activity_failure(
                canceled.scheduled_event_id,
                canceled.started_event_id,
                canceled.identity,
                cause,
                0,
            )
            return ResolveActivity(seq, failure=failure)
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED:
            return self._updates.admitted(event)
        # Workflow-task bookkeeping, ActivityTaskStarted, terminations, timeouts and
        # the like need no action from workflow code.
        return self._steps.job(event)


_TASK_ENDS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    }
)


def _task_outcome(events: Sequence[history.HistoryEvent], started: int) -> history.HistoryEvent | None:
    """The event that ended the workflow task started at ``events[started]``; None if it runs still.

    Servers buffer events that arrive while a task runs, but looking past them
    costs nothing and keeps a server that writes them at once from confusing us.
    """
    for event in events[started + 1 :]:
        if event.event_type in _TASK_ENDS:
            return event
    return None


def describe_event(event: history.HistoryEvent) -> str:
    """A short description of a command event for nondeterminism messages."""
    name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    detail = ""
    if event.HasField("activity_task_scheduled_event_attributes"):
        attrs = event.activity_task_scheduled_event_attributes
        detail = f" activity_type={attrs.activity_type.name!r} activity_id={attrs.activity_id!r}"
    elif event.HasField("timer_started_event_attributes"):
        detail = f" timer_id={event.timer_started_event_attributes.timer_id!r}"
    elif event.HasField("timer_canceled_event_attributes"):
        detail = f" timer_id={event.timer_canceled_event_attributes.timer_id!r}"
    elif event.HasField("activity_task_cancel_requested_event_attributes"):
        sched = event.activity_task_cancel_requested_event_attributes.scheduled_event_id
        detail = f" scheduled_event_id={sched}"
    else:
        detail = event_detail(event) or child_event_detail(event) or update_event_detail(event)
    return f"{name} (event {event.event_id}{detail})"


_COMMAND_EVENT = {
    CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: (EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED),
    CommandType.COMMAND_TYPE_START_TIMER: EventType.EVENT_TYPE_TIMER_STARTED,
    CommandType.COMMAND_TYPE_CANCEL_TIMER: EventType.EVENT_TYPE_TIMER_CANCELED,
    CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: (EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
    CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: (EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED),
    CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: (EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED),
    CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: (
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    ),
    CommandType.COMMAND_TYPE_RECORD_MARKER: EventType.EVENT_TYPE_MARKER_RECORDED,
    CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    **COMMAND_EVENTS,
}


def describe_command(command: command_pb.Command) -> str:
    """A short description of a command for nondeterminism messages."""
    name = CommandType.Name(command.command_type).removeprefix("COMMAND_TYPE_")
    detail = ""
    if command.HasField("schedule_activity_task_command_attributes"):
        attrs = command.schedule_activity_task_command_attributes
        detail = f" activity_type={attrs.activity_type.name!r} activity_id={attrs.activity_id!r}"
    elif command.HasField("start_timer_command_attributes"):
        detail = f" timer_id={command.start_timer_command_attributes.timer_id!r}"
    elif command.HasField("cancel_timer_command_attributes"):
        detail = f" timer_id={command.cancel_timer_command_attributes.timer_id!r}"
    elif command.HasField("request_cancel_activity_task_command_attributes"):
        sched = command.request_cancel_activity_task_command_attributes.scheduled_event_id
        detail = f" scheduled_event_id={sched}"
    elif command.HasField("protocol_message_command_attributes"):
        detail = update_command_detail(command)
    else:
        detail = command_detail(command) or child_command_detail(command)
    return f"{name}{' (' + detail.strip() + ')' if detail else ''}"


def _matches(command: command_pb.Command, event: history.HistoryEvent) -> bool:
    if command.command_type == CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE:
        return match_update_command(command, event)
    if _COMMAND_EVENT.get(command.command_type) != event.event_type:
        return False
    if command.HasField("schedule_activity_task_command_attributes"):
        cmd = command.schedule_activity_task_command_attributes
        ev = event.activity_task_scheduled_event_attributes
        return (cmd.activity_id, cmd.activity_type.name) == (ev.activity_id, ev.activity_type.name)
    if command.HasField("start_timer_command_attributes"):
        return command.start_timer_command_attributes.timer_id == event.timer_started_event_attributes.timer_id
    if command.HasField("cancel_timer_command_attributes"):
        return command.cancel_timer_command_attributes.timer_id == event.timer_canceled_event_attributes.timer_id
    if command.HasField("request_cancel_activity_task_command_attributes"):
        return (
            command.request_cancel_activity_task_command_attributes.scheduled_event_id
            == event.activity_task_cancel_requested_event_attributes.scheduled_event_id
        )
    matched = match_marker_or_upsert(command, event)
    if matched is None:
        matched = match_child_command(command, event)
    return True if matched is None else matched


def check_commands(
    commands: Sequence[command_pb.Command],
    events: Sequence[history.HistoryEvent],
    started_event_id: int,
) -> None:
    """Check that a replayed workflow task produced the commands its history records.

    Args:
        commands: What the workflow code produced now.
        events: The command events the task produced originally.
        started_event_id: The task's ``WorkflowTaskStarted`` event ID, for the message.

    Raises:
        NondeterminismError: The first difference, naming the command and the event.
    """
    # Imported here: sdk.workflow imports nothing from the worker, keep it that way.
    from sdk.workflow import NondeterminismError

    where = f"in the workflow task started at event {started_event_id}"
    # Local activity markers are matched by sequence number, not position (as in the core):
    # the workflow instance checks them.
    events = [e for e in events if not is_local_activity_marker(e)]
    command_index = event_index = 0
    while command_index < len(commands) or event_index < len(events):
        command = commands[command_index] if command_index < len(commands) else None
        event = events[event_index] if event_index < len(events) else None
        if event is not None and (command is None or not _matches(command, event)):
            # A deprecated patch the code no longer asks for leaves its marker behind.
            skip = skippable_deprecated_patch(events, event_index)
            if skip:
                event_index += skip
                continue
        command_index += 1
        event_index += 1
        if command is not None and event is not None:
            if not _matches(command, event):
                raise NondeterminismError(
                    f"nondeterminism {where}: the workflow produced command "
                    f"{describe_command(command)} but history has {describe_event(event)}{mismatch_hint(event)}"
                )
        elif command is not None:
            raise NondeterminismError(
                f"nondeterminism {where}: the workflow produced command "
                f"{describe_command(command)} which history does not have"
            )
        elif event is not None:
            raise NondeterminismError(
                f"nondeterminism {where}: history has {describe_event(event)} "
                f"but the workflow produced no matching command{mismatch_hint(event)}"
            )
