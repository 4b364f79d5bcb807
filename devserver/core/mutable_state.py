"""One workflow run's mutable state, and the one way events get into its history.

`MutableState` holds what a run is and everything pending in it; the rules that
change it live in one module per entity (`runs`, `workflow_tasks`, `activities`,
`timers`, `children`, `updates`, `signals`, `queries`, `closing`, `commands`).
Every rule is a synchronous function of `(state, ch: Changes, ...)`: it changes the
state and records what the engine must do after the commit in `ch`. Events enter
history only through `append_event` / `write_events`, which number them, link the
events that refer to each other and count the history's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2, failed_cause_pb2, task_queue_pb2
from temporalio.api.enums.v1 import update_pb2 as update_enums
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb
from temporalio.api.query.v1 import message_pb2 as query_pb
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.update.v1 import message_pb2 as update_pb
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core import limits as core_limits
from devserver.core.changes import (
    Changes,
    RunKey,
)
from devserver.core.ids import next_task_id
from devserver.core.lifecycles import (
    ChildState,
    TimerState,
    Transition,
    UpdateState,
    WorkflowPauseState,
    WorkflowTaskState,
)
from devserver.core.protos import set_timestamp, with_value_names

if TYPE_CHECKING:
    from devserver.core.activities import ActivityInfo
    from devserver.core.time_skipping import TimeSkippingState

EventType = with_value_names(event_type_pb2.EventType)
Status = with_value_names(wf_enums.WorkflowExecutionStatus)
# A plain int: the property below is read tens of times per workflow task, and the enum
# wrapper's attribute lookup costs a Python call each time.
_RUNNING: int = Status.WORKFLOW_EXECUTION_STATUS_RUNNING
TimeoutType = with_value_names(wf_enums.TimeoutType)
WorkflowTaskFailedCause = with_value_names(failed_cause_pb2.WorkflowTaskFailedCause)

DEFAULT_WORKFLOW_TASK_TIMEOUT = 10.0
# An event whose started_event_id is this refers to the event written just before it
# (an activity's Started event, written in the same group as its outcome).
LINK_PREVIOUS = -1


def attributes_field(event_type: int) -> str:
    """Name of the HistoryEvent oneof field for an event type."""
    field = _ATTRIBUTES_FIELDS.get(event_type)
    if field is None:
        name = EventType.Name(event_type)  # type: ignore[arg-type]
        field = name.removeprefix("EVENT_TYPE_").lower() + "_event_attributes"
    return field


# Every event made names its attributes field: worked out once per type.
_ATTRIBUTES_FIELDS: dict[int, str] = {
    int(number): name.removeprefix("EVENT_TYPE_").lower() + "_event_attributes"
    for name, number in EventType.items()
    if number != EventType.EVENT_TYPE_UNSPECIFIED
}


def new_event(event_type: int, now: float, attributes: object) -> history.HistoryEvent:
    # The attributes given to the constructor: copied in C, not through a Python-made field.
    event = history.HistoryEvent(event_type=event_type, **{attributes_field(event_type): attributes})  # type: ignore[arg-type]
    set_timestamp(event.event_time, now)
    return event


def task_queue_message(name: str, sticky: bool = False, normal_name: str = "") -> taskqueue.TaskQueue:
    if sticky:
        return taskqueue.TaskQueue(name=name, kind=task_queue_pb2.TASK_QUEUE_KIND_STICKY, normal_name=normal_name)
    return taskqueue.TaskQueue(name=name, kind=task_queue_pb2.TASK_QUEUE_KIND_NORMAL)


@dataclass
class WorkflowTask:
    """The run's one outstanding workflow task (lifecycles.WORKFLOW_TASK: scheduled, or
    started by a worker). `seq` names this task among the run's tasks: a worker's token
    and the task-queue copies carry it, so a late answer or a stale copy is told apart."""

    seq: int
    attempt: int
    queue: str
    sticky: bool
    scheduled_time: float
    timeout: float
    scheduled_event_id: int = 0  # 0 until known for a transient attempt
    state: WorkflowTaskState = WorkflowTaskState.SCHEDULED
    transitions_taken: list[Transition] = field(default_factory=list, compare=False, repr=False)
    started_event_id: int = 0
    started_time: float = 0.0
    identity: str = ""
    request_id: str = ""
    build_id: str = ""  # of the worker that started it
    # What its started event says about the history (fixed when started: a transient
    # attempt's events are rebuilt from these).
    history_size_bytes: int = 0
    suggest_continue_as_new_reasons: list[int] = field(default_factory=list)
    # Consistent queries handed to the worker with this task (query id -> query).
    queries: dict[str, query_pb.WorkflowQuery] = field(default_factory=dict)

    # A task created only to deliver an update: its events are written only if the
    # worker's answer changes history (a rejected update leaves no trace).
    speculative: bool = False
    base_event_id: int = 0  # next_event_id when a speculative task was scheduled

    @property
    def started(self) -> bool:
        return self.state is WorkflowTaskState.STARTED

    @property
    def transient(self) -> bool:
        return self.attempt > 1

    @property
    def unwritten(self) -> bool:
        """Its scheduled and started events are not in history (yet)."""
        return self.attempt > 1 or self.speculative


@dataclass
class WorkflowTaskStart:
    """What the engine needs to build a PollWorkflowTaskQueueResponse."""

    seq: int
    attempt: int
    sticky: bool
    previous_started_event_id: int
    started_event_id: int
    scheduled_time: float
    started_time: float
    # Events sent after the stored ones: a transient attempt's scheduled/started pair.
    transient_events: list[history.HistoryEvent]
    queries: dict[str, query_pb.WorkflowQuery]
    # Update requests delivered with the task.
    messages: list[protocol_pb.Message] = field(default_factory=list)


@dataclass
class TimerInfo:
    """A workflow's timer, from TimerStarted until it fires or is canceled (lifecycles.TIMER)."""

    timer_id: str
    started_event_id: int
    deadline: float
    state: TimerState = TimerState.STARTED
    transitions_taken: list[Transition] = field(default_factory=list, compare=False, repr=False)


@dataclass
class ChildInfo:
    """A child workflow the run initiated and that has not closed (as far as the parent knows;
    lifecycles.CHILD)."""

    initiated_event_id: int
    initiated: history.StartChildWorkflowExecutionInitiatedEventAttributes
    run_id: str = ""  # the child's first run, once started
    state: ChildState = ChildState.INITIATED
    transitions_taken: list[Transition] = field(default_factory=list, compare=False, repr=False)

    @property
    def workflow_id(self) -> str:
        return self.initiated.workflow_id


UpdateStage = with_value_names(update_enums.UpdateWorkflowExecutionLifecycleStage)
UPDATE_ADMITTED = UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
UPDATE_ACCEPTED = UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
UPDATE_COMPLETED = UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED


@dataclass
class UpdateInfo:
    """A workflow update the run was asked for (core.updates has the rules, lifecycles.UPDATE
    the states)."""

    update_id: str
    request: update_pb.Request
    state: UpdateState = UpdateState.ADMITTED
    transitions_taken: list[Transition] = field(default_factory=list, compare=False, repr=False)
    delivered_seq: int = 0  # the workflow task it last went out with
    accepted_event_id: int = 0
    # Its WorkflowExecutionUpdateAdmitted event (an update a reset carried over): it is
    # durable, and workers sequence it after that event.
    admitted_event_id: int = 0
    outcome: update_pb.Outcome | None = None

    @property
    def stage(self) -> int:
        """The lifecycle stage callers are told (UpdateWorkflowExecutionLifecycleStage)."""
        return _UPDATE_STAGES[self.state]

    @property
    def aborted(self) -> bool:
        """Dropped unaccepted when its run closed: its callers get NOT_FOUND."""
        return self.state is UpdateState.ABORTED


_UPDATE_STAGES = {
    UpdateState.ADMITTED: UPDATE_ADMITTED,
    UpdateState.ACCEPTED: UPDATE_ACCEPTED,
    UpdateState.COMPLETED: UPDATE_COMPLETED,
    UpdateState.REJECTED: UPDATE_COMPLETED,
    UpdateState.ABORTED: UPDATE_ADMITTED,
    UpdateState.UNFINISHED: UPDATE_COMPLETED,
}


@dataclass
class WorkflowPause:
    """Whether an operator paused the run (lifecycles.WORKFLOW_PAUSE; core.pause has the rules),
    and who paused it, why and when (DescribeWorkflowExecution's pause info). A run that
    closed while paused keeps them, as on the real server."""

    state: WorkflowPauseState = WorkflowPauseState.UNPAUSED
    transitions_taken: list[Transition] = field(default_factory=list, compare=False, repr=False)
    identity: str = ""
    reason: str = ""
    paused_time: float = 0.0


_CHILD_CLOSED_EVENTS = {
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
}

_CHILD_EVENTS = {EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, *_CHILD_CLOSED_EVENTS}
# The event types whose attributes name a started event (which may be written in the same
# batch, just before: LINK_PREVIOUS); worked out once, not asked of every event written.
_LINKS_STARTED_EVENT = {
    event_type
    for event_type, field in _ATTRIBUTES_FIELDS.items()
    if "started_event_id"
    in getattr(history.HistoryEvent.DESCRIPTOR.fields_by_name[field].message_type, "fields_by_name", ())
}


@dataclass(slots=True)
class MutableState:
    """A workflow run: its identity, configuration and everything pending in it."""

    key: RunKey
    workflow_type: str
    task_queue: str
    started_attributes: history.WorkflowExecutionStartedEventAttributes
    start_time: float
    first_execution_run_id: str
    task_timeout: float = DEFAULT_WORKFLOW_TASK_TIMEOUT
    run_deadline: float | None = None
    execution_deadline: float | None = None
    status: int = Status.WORKFLOW_EXECUTION_STATUS_RUNNING
    close_time: float | None = None
    close_event_id: int = 0
    next_event_id: int = 1
    history_size_bytes: int = 0
    last_completed_started_event_id: int = 0
    any_workflow_task_started: bool = False
    workflow_task: WorkflowTask | None = None
    workflow_task_seq: int = 0
    buffered_events: list[history.HistoryEvent] = field(default_factory=list)
    sticky_queue: str = ""
    sticky_schedule_to_start: float = 0.0
    timers: dict[str, TimerInfo] = field(default_factory=dict)
    activities: dict[int, ActivityInfo] = field(default_factory=dict)  # by scheduled event id
    activity_ids: dict[str, int] = field(default_factory=dict)
    cancel_requested: bool = False
    signal_request_ids: set[str] = field(default_factory=set)
    memo: common.Memo = field(default_factory=common.Memo)
    search_attributes: common.SearchAttributes = field(default_factory=common.SearchAttributes)
    # Queries waiting for the running workflow task to finish (id -> query).
    buffered_queries: dict[str, query_pb.WorkflowQuery] = field(default_factory=dict)
    # Query-only tasks handed to the task queue and not yet answered.
    legacy_queries: dict[str, query_pb.WorkflowQuery] = field(default_factory=dict)
    # The run that carries this one on (continue-as-new, or a retry), once this one closed.
    continued_to_run_id: str = ""
    state_transitions: int = 0
    first_wft_backoff: float = 0.0
    # The first workflow task waits out a start delay or retry/cron backoff: nothing schedules
    # it earlier (a signal is recorded and waits too), as on the real server.
    awaiting_first_workflow_task: bool = False
    start_request_id: str = ""
    # A failing workflow task waiting out its retry backoff: when, and which attempt is next.
    workflow_task_retry_at: float = 0.0
    workflow_task_retry_attempt: int = 0
    # Cross-run work (core.children): children by initiated event id, external signals
    # and cancels not yet delivered, children a closed parent must still terminate or cancel.
    children: dict[int, ChildInfo] = field(default_factory=dict)
    child_started_event_ids: dict[int, int] = field(default_factory=dict)
    external_signals: dict[int, history.SignalExternalWorkflowExecutionInitiatedEventAttributes] = field(
        default_factory=dict
    )
    external_cancels: dict[int, history.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes] = field(
        default_factory=dict
    )
    closing_children: dict[int, ChildInfo] = field(default_factory=dict)
    # A child run: whether its close has been reported to the parent.
    parent_notified: bool = False
    # Updates by id: admitted (waiting for a worker), accepted, or completed (kept for
    # duplicate requests and polls).
    updates: dict[str, UpdateInfo] = field(default_factory=dict)
    # Reset (core.reset): the run a reset of this one started, and when this run was
    # started by a reset.
    reset_run_id: str = ""
    last_reset_time: float = 0.0
    auto_reset_points: workflow_pb.ResetPoints = field(default_factory=workflow_pb.ResetPoints)
    # From this event id on, history shows where each change's batch of events begins:
    # its first task id follows a gap (0: no event written since; older servers did not).
    batch_marks_from: int = 0
    pause: WorkflowPause = field(default_factory=WorkflowPause)
    # Options a client set with UpdateWorkflowExecutionOptions (core.time_skipping), and the
    # run's own virtual clock when it skips time.
    versioning_override: workflow_pb.VersioningOverride | None = None
    time_skipping: TimeSkippingState | None = None

    # ---- basic event plumbing -------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.status == _RUNNING

    @property
    def paused(self) -> bool:
        return self.pause.state is WorkflowPauseState.PAUSED

    @property
    def visible_status(self) -> int:
        """The status callers see: a paused run is still running, but shows as PAUSED."""
        if self.running and self.paused:
            return Status.WORKFLOW_EXECUTION_STATUS_PAUSED
        return self.status

    @property
    def workflow_task_started(self) -> bool:
        return self.workflow_task is not None and self.workflow_task.started

    def append_event(self, ch: Changes, event_type: int, attributes: object) -> int:
        """Write one event to history now; returns its id."""
        event = new_event(event_type, ch.now, attributes)
        self.write_events(ch, [event])
        return event.event_id

    def write_events(self, ch: Changes, events: list[history.HistoryEvent]) -> None:
        previous_id = 0
        if not self.batch_marks_from:
            self.batch_marks_from = self.next_event_id
        written = ch.events
        for event in events:
            event_type = event.event_type
            if not written or written[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                # A new batch, as the real server stores history (a workflow task's started
                # event always ends one): a reset may only cut history between batches
                # (core.reset), so a gap in the task ids marks where one begins.
                next_task_id()
            event_id = self.next_event_id
            event.event_id = event_id
            event.task_id = next_task_id()
            if event_type in _LINKS_STARTED_EVENT:
                self._link_started_event(event, previous_id)
            if event_type in _CHILD_EVENTS:
                self._link_child_events(event)
            self.next_event_id = event_id + 1
            self.history_size_bytes += core_limits.encoded_size(event)
            previous_id = event_id
            written.append(event)
        self.state_transitions += 1
        if self not in ch.touched:
            ch.touched.append(self)

    @staticmethod
    def _link_started_event(event: history.HistoryEvent, previous_id: int) -> None:
        which = event.WhichOneof("attributes")
        if which is None:
            return
        attrs = getattr(event, which)
        if attrs.started_event_id == LINK_PREVIOUS:
            attrs.started_event_id = previous_id

    def _link_child_events(self, event: history.HistoryEvent) -> None:
        """A child's close event names the id its Started event got (known only once written)."""
        if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            attrs = event.child_workflow_execution_started_event_attributes
            self.child_started_event_ids[attrs.initiated_event_id] = event.event_id
        elif event.event_type in _CHILD_CLOSED_EVENTS:
            closed = getattr(event, event.WhichOneof("attributes") or "")
            closed.started_event_id = self.child_started_event_ids.pop(closed.initiated_event_id, 0)

    def flush_buffered(self, ch: Changes) -> bool:
        """Write the buffered events; True if there were any."""
        if not self.buffered_events:
            return False
        events, self.buffered_events = self.buffered_events, []
        self.write_events(ch, events)
        return True
