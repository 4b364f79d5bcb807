"""One workflow run's mutable state: the rules that turn requests into history events.

Everything here is synchronous and side-effect free apart from the state itself
and the `Changes` passed in. Rules that matter for wire compatibility:

- While a workflow task is *started*, new external events (signals, activity
  results, fired timers, cancel requests) are buffered and written after the
  task's completion events, so a worker never sees history change under it.
- Workflow-task attempts after the first are *transient*: their scheduled and
  started events are sent to the worker but only written if the attempt completes.
- `ActivityTaskStarted` is written together with the attempt's outcome and
  carries that attempt number and the previous attempt's failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf import any_pb2
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2, failed_cause_pb2, task_queue_pb2
from temporalio.api.enums.v1 import update_pb2 as update_enums
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb
from temporalio.api.query.v1 import message_pb2 as query_pb
from temporalio.api.sdk.v1 import user_metadata_pb2 as sdk_pb
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.update.v1 import message_pb2 as update_pb

from devserver.core import limits as core_limits
from devserver.core import retry
from devserver.core.changes import (
    Changes,
    QueryAnswer,
    QueryTaskRef,
    RunKey,
    TimerKey,
    WorkflowTaskRef,
)
from devserver.core.ids import new_run_id, next_task_id
from devserver.core.protos import duration, seconds_of, timestamp
from devserver.errors import NotFound, TaskNotFound, WorkflowClosed, WorkflowNotReady

EventType = event_type_pb2.EventType
Status = wf_enums.WorkflowExecutionStatus
TimeoutType = wf_enums.TimeoutType
WorkflowTaskFailedCause = failed_cause_pb2.WorkflowTaskFailedCause

DEFAULT_WORKFLOW_TASK_TIMEOUT = 10.0
MAX_WORKFLOW_TASK_TIMEOUT = 120.0
# An event whose started_event_id is this refers to the event written just before it
# (an activity's Started event, written in the same group as its outcome).
LINK_PREVIOUS = -1


def attributes_field(event_type: int) -> str:
    """Name of the HistoryEvent oneof field for an event type."""
    name = EventType.Name(event_type)  # type: ignore[arg-type]
    return name.removeprefix("EVENT_TYPE_").lower() + "_event_attributes"


def new_event(event_type: int, now: float, attributes: object) -> history.HistoryEvent:
    event = history.HistoryEvent(event_type=event_type, event_time=timestamp(now))  # type: ignore[arg-type]
    getattr(event, attributes_field(event_type)).CopyFrom(attributes)
    return event


def task_queue_message(name: str, sticky: bool = False, normal_name: str = "") -> taskqueue.TaskQueue:
    if sticky:
        return taskqueue.TaskQueue(name=name, kind=task_queue_pb2.TASK_QUEUE_KIND_STICKY, normal_name=normal_name)
    return taskqueue.TaskQueue(name=name, kind=task_queue_pb2.TASK_QUEUE_KIND_NORMAL)


@dataclass
class WorkflowTask:
    """The run's one outstanding workflow task (scheduled, or started by a worker)."""

    seq: int
    attempt: int
    queue: str
    sticky: bool
    scheduled_time: float
    timeout: float
    scheduled_event_id: int = 0  # 0 until known for a transient attempt
    started: bool = False
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
    timer_id: str
    started_event_id: int
    deadline: float


@dataclass
class ChildInfo:
    """A child workflow the run initiated and that has not closed (as far as the parent knows)."""

    initiated_event_id: int
    initiated: history.StartChildWorkflowExecutionInitiatedEventAttributes
    run_id: str = ""  # the child's first run, once started

    @property
    def workflow_id(self) -> str:
        return self.initiated.workflow_id


UpdateStage = update_enums.UpdateWorkflowExecutionLifecycleStage
UPDATE_ADMITTED = UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
UPDATE_ACCEPTED = UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
UPDATE_COMPLETED = UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED


@dataclass
class UpdateInfo:
    """A workflow update the run was asked for (core.updates has the rules)."""

    update_id: str
    request: update_pb.Request
    stage: int = UPDATE_ADMITTED
    delivered_seq: int = 0  # the workflow task it last went out with
    accepted_event_id: int = 0
    outcome: update_pb.Outcome | None = None
    # Dropped unaccepted when its run closed: its callers get NOT_FOUND.
    aborted: bool = False


_CHILD_CLOSED_EVENTS = {
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
}


@dataclass
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
    activities: dict[int, object] = field(default_factory=dict)  # scheduled id -> ActivityInfo
    activity_ids: dict[str, int] = field(default_factory=dict)
    cancel_requested: bool = False
    signal_request_ids: set[str] = field(default_factory=set)
    memo: common.Memo = field(default_factory=common.Memo)
    search_attributes: common.SearchAttributes = field(default_factory=common.SearchAttributes)
    # Queries waiting for the running workflow task to finish (id -> query).
    buffered_queries: dict[str, query_pb.WorkflowQuery] = field(default_factory=dict)
    # Query-only tasks handed to the task queue and not yet answered.
    legacy_queries: dict[str, query_pb.WorkflowQuery] = field(default_factory=dict)
    # The run this one continued as (set on the new run by continue-as-new).
    continued_to_run_id: str = ""
    state_transitions: int = 0
    first_wft_backoff: float = 0.0
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

    # ---- construction -------------------------------------------------------------

    @staticmethod
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
        state = MutableState(
            key=key,
            workflow_type=attributes.workflow_type.name,
            task_queue=attributes.task_queue.name,
            started_attributes=attributes,
            start_time=ch.now,
            first_execution_run_id=attributes.first_execution_run_id or key.run_id,
            task_timeout=task_timeout or DEFAULT_WORKFLOW_TASK_TIMEOUT,
            run_deadline=ch.now + run_timeout if run_timeout else None,
            execution_deadline=execution_deadline,
        )
        state.memo.CopyFrom(attributes.memo)
        state.search_attributes.CopyFrom(attributes.search_attributes)
        state.first_wft_backoff = seconds_of(attributes.first_workflow_task_backoff)
        state.start_request_id = request_id
        started = new_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, ch.now, attributes)
        if user_metadata is not None:
            started.user_metadata.CopyFrom(user_metadata)
        state._write(ch, [started])
        if signal is not None:
            state._append(ch, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signal)
            if signal.request_id:
                state.signal_request_ids.add(signal.request_id)
        if state.run_deadline is not None:
            ch.add_timer(state.run_deadline, TimerKey(key, "run_timeout"))
        if execution_deadline is not None:
            ch.add_timer(execution_deadline, TimerKey(key, "execution_timeout"))
        if state.first_wft_backoff > 0:
            ch.add_timer(ch.now + state.first_wft_backoff, TimerKey(key, "first_workflow_task"))
        else:
            state.schedule_workflow_task(ch)
        ch.touched.append(state)
        return state

    # ---- basic event plumbing -------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.status == Status.WORKFLOW_EXECUTION_STATUS_RUNNING

    @property
    def workflow_task_started(self) -> bool:
        return self.workflow_task is not None and self.workflow_task.started

    def _append(self, ch: Changes, event_type: int, attributes: object) -> int:
        """Write one event to history now; returns its id."""
        event = new_event(event_type, ch.now, attributes)
        self._write(ch, [event])
        return event.event_id

    def _write(self, ch: Changes, events: list[history.HistoryEvent]) -> None:
        previous_id = 0
        for event in events:
            event.event_id = self.next_event_id
            event.task_id = next_task_id()
            self._link_started_event(event, previous_id)
            self._link_child_events(event)
            self.next_event_id += 1
            self.history_size_bytes += core_limits.encoded_size(event)
            previous_id = event.event_id
            ch.events.append(event)
        self.state_transitions += 1
        if self not in ch.touched:
            ch.touched.append(self)

    @staticmethod
    def _link_started_event(event: history.HistoryEvent, previous_id: int) -> None:
        which = event.WhichOneof("attributes")
        if which is None:
            return
        attrs = getattr(event, which)
        if getattr(attrs, "started_event_id", None) == LINK_PREVIOUS:
            attrs.started_event_id = previous_id

    def _link_child_events(self, event: history.HistoryEvent) -> None:
        """A child's close event names the id its Started event got (known only once written)."""
        if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            attrs = event.child_workflow_execution_started_event_attributes
            self.child_started_event_ids[attrs.initiated_event_id] = event.event_id
        elif event.event_type in _CHILD_CLOSED_EVENTS:
            closed = getattr(event, event.WhichOneof("attributes") or "")
            closed.started_event_id = self.child_started_event_ids.pop(closed.initiated_event_id, 0)

    def add_external(self, ch: Changes, events: list[history.HistoryEvent]) -> None:
        """Events from outside the workflow's own commands; they need a workflow task.

        Buffered while a workflow task is started, written at once otherwise.
        """
        if not self.running:
            raise WorkflowClosed()
        if self.workflow_task_started:
            self.buffered_events.extend(events)
            return
        self._write(ch, events)
        if self.workflow_task is None:
            self.schedule_workflow_task(ch)

    def flush_buffered(self, ch: Changes) -> bool:
        """Write the buffered events; True if there were any."""
        if not self.buffered_events:
            return False
        events, self.buffered_events = self.buffered_events, []
        self._write(ch, events)
        return True

    # ---- workflow tasks -----------------------------------------------------------

    def schedule_workflow_task(self, ch: Changes, attempt: int = 1, *, speculative: bool = False) -> None:
        """Schedule the next workflow task (on the sticky queue when there is one)."""
        if not self.running or self.workflow_task is not None:
            return
        # Anything new for the workflow ends a failing task's backoff early.
        self.workflow_task_retry_at = 0.0
        self.workflow_task_retry_attempt = 0
        self.workflow_task_seq += 1
        sticky = bool(self.sticky_queue)
        queue = self.sticky_queue if sticky else self.task_queue
        task = WorkflowTask(
            seq=self.workflow_task_seq,
            attempt=attempt,
            queue=queue,
            sticky=sticky,
            scheduled_time=ch.now,
            timeout=self.task_timeout,
            speculative=speculative,
            base_event_id=self.next_event_id,
        )
        self.workflow_task = task
        if not task.unwritten:
            task.scheduled_event_id = self._append(
                ch,
                EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                self._scheduled_attributes(task),
            )
        if self.buffered_queries:
            task.queries.update(self.buffered_queries)
            self.buffered_queries.clear()
        ch.tasks.append(WorkflowTaskRef(self.key, queue, sticky, task.seq))
        if sticky and self.sticky_schedule_to_start > 0:
            ch.add_timer(
                ch.now + self.sticky_schedule_to_start,
                TimerKey(self.key, "sticky_timeout", str(task.seq)),
            )

    def _scheduled_attributes(self, task: WorkflowTask) -> history.WorkflowTaskScheduledEventAttributes:
        return history.WorkflowTaskScheduledEventAttributes(
            task_queue=task_queue_message(task.queue, task.sticky, self.task_queue),
            start_to_close_timeout=duration(task.timeout),
            attempt=task.attempt,
        )

    def start_workflow_task(
        self,
        ch: Changes,
        seq: int,
        identity: str,
        request_id: str,
        build_id: str = "",
        limits: core_limits.Limits = core_limits.DEFAULT_LIMITS,
    ) -> WorkflowTaskStart | None:
        """A worker polled the task with sequence `seq`; None if it is stale."""
        task = self.workflow_task
        if task is None or task.seq != seq or task.started or not self.running:
            ch.ignore_stale("workflow task", seq, "start")
            return None
        task.started = True
        task.started_time = ch.now
        task.identity = identity
        task.request_id = request_id
        task.build_id = build_id
        # Like the real server: the size of what was stored before this change.
        task.history_size_bytes = self.history_size_bytes - sum(core_limits.encoded_size(e) for e in ch.events)
        started_event_id = self.next_event_id + 1 if task.unwritten else self.next_event_id
        task.suggest_continue_as_new_reasons = core_limits.suggest_continue_as_new_reasons(
            task.history_size_bytes, started_event_id, limits
        )
        transient: list[history.HistoryEvent] = []
        if task.unwritten:
            # Sent to the worker, written only if this attempt completes.
            task.scheduled_event_id = self.next_event_id
            task.started_event_id = self.next_event_id + 1
            transient = self._transient_pair(task)
        else:
            started_attrs = self._started_attributes(task)
            task.started_event_id = self._append(ch, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, started_attrs)
        self.any_workflow_task_started = True
        ch.add_timer(
            ch.now + task.timeout,
            TimerKey(
                self.key, "workflow_task_timeout", str(task.seq), timeout_type=TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
            ),
        )
        return WorkflowTaskStart(
            seq=task.seq,
            attempt=task.attempt,
            sticky=task.sticky,
            previous_started_event_id=self.last_completed_started_event_id,
            started_event_id=task.started_event_id,
            scheduled_time=task.scheduled_time,
            started_time=ch.now,
            transient_events=transient,
            queries=dict(task.queries),
            messages=self._update_messages(task),
        )

    def _update_messages(self, task: WorkflowTask) -> list[protocol_pb.Message]:
        """Every admitted update goes to the worker with the task, sequenced after the
        task's scheduled event (as the real server does)."""
        messages = []
        for update in self.updates.values():
            if update.stage != UPDATE_ADMITTED:
                continue
            update.delivered_seq = task.seq
            body = any_pb2.Any()
            body.Pack(update.request)
            messages.append(
                protocol_pb.Message(
                    id=f"{update.update_id}/request",
                    protocol_instance_id=update.update_id,
                    event_id=task.scheduled_event_id,
                    body=body,
                )
            )
        return messages

    def transient_events(self) -> list[history.HistoryEvent]:
        """The started transient attempt's events, for history pages fetched mid-task."""
        task = self.workflow_task
        if task is None or not task.started or not task.unwritten:
            return []
        return self._transient_pair(task)

    def _transient_pair(self, task: WorkflowTask) -> list[history.HistoryEvent]:
        """A transient attempt's scheduled and started events, with the ids they will get."""
        scheduled = new_event(
            EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, task.scheduled_time, self._scheduled_attributes(task)
        )
        started = new_event(
            EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, task.started_time, self._started_attributes(task)
        )
        scheduled.event_id, started.event_id = task.scheduled_event_id, task.started_event_id
        return [scheduled, started]

    def _started_attributes(self, task: WorkflowTask) -> history.WorkflowTaskStartedEventAttributes:
        attrs = history.WorkflowTaskStartedEventAttributes(
            scheduled_event_id=task.scheduled_event_id,
            identity=task.identity,
            request_id=task.request_id,
            history_size_bytes=task.history_size_bytes,
            suggest_continue_as_new=bool(task.suggest_continue_as_new_reasons),
            suggest_continue_as_new_reasons=task.suggest_continue_as_new_reasons,  # type: ignore[arg-type]
        )
        if task.build_id:
            attrs.worker_version.build_id = task.build_id
        return attrs

    def current_task(self, seq: int) -> WorkflowTask:
        """The started workflow task a token names, or NOT_FOUND."""
        task = self.workflow_task
        if task is None or task.seq != seq or not task.started or not self.running:
            raise TaskNotFound("Workflow task not found.")
        return task

    def persist_transient(self, ch: Changes, task: WorkflowTask) -> None:
        """A transient or speculative attempt completes: its scheduled and started events become history."""
        if not task.unwritten:
            return
        # Nothing is written while a task is started, so the ids promised to the worker hold.
        assert self.next_event_id == task.scheduled_event_id
        self._write(ch, self._transient_pair(task))

    def fail_workflow_task(
        self,
        ch: Changes,
        seq: int,
        cause: int,
        failure: failure_pb.Failure | None,
        identity: str,
        *,
        next_attempt_transient: bool = True,
    ) -> None:
        """The worker could not complete the task: record it and retry."""
        task = self.current_task(seq)
        self._end_workflow_task_attempt(
            ch,
            task,
            EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            history.WorkflowTaskFailedEventAttributes(
                scheduled_event_id=task.scheduled_event_id,
                started_event_id=task.started_event_id,
                cause=cause,  # type: ignore[arg-type]
                failure=failure,
                identity=identity,
            ),
            next_attempt_transient=next_attempt_transient,
        )

    def _end_workflow_task_attempt(
        self,
        ch: Changes,
        task: WorkflowTask,
        event_type: int,
        attributes: object,
        *,
        next_attempt_transient: bool,
    ) -> None:
        """Shared by failure and timeout: write the event (first attempt only), retry."""
        if not task.transient or not next_attempt_transient:
            self.persist_transient(ch, task)
            self._append(ch, event_type, attributes)
        # A failed task may have been the sticky worker's last words: go back to the
        # normal queue with full history, as the real server does.
        self.sticky_queue = ""
        self.workflow_task = None
        self.flush_buffered(ch)
        if task.queries:
            self.buffered_queries.update(task.queries)
        attempt = task.attempt + 1 if next_attempt_transient else 1
        delay = workflow_task_retry_delay(attempt)
        if delay and not self.buffered_queries:
            # A task that keeps failing is retried less and less often instead of in a hot loop.
            self.workflow_task_retry_at = ch.now + delay
            self.workflow_task_retry_attempt = attempt
            ch.add_timer(self.workflow_task_retry_at, TimerKey(self.key, "workflow_task_retry", attempt=attempt))
        else:
            self.schedule_workflow_task(ch, attempt=attempt)

    def retry_workflow_task(self, ch: Changes, attempt: int) -> None:
        """A failing workflow task's backoff is over: hand out its next attempt."""
        if self.workflow_task_retry_attempt != attempt or self.workflow_task is not None:
            return
        self.workflow_task_retry_at = 0.0
        self.workflow_task_retry_attempt = 0
        self.schedule_workflow_task(ch, attempt=attempt)

    def reset_sticky(self) -> None:
        """The sticky worker is gone (ResetStickyTaskQueue / ShutdownWorker)."""
        self.sticky_queue = ""

    def move_task_off_sticky(self, ch: Changes) -> None:
        """Re-dispatch a scheduled sticky task to the normal queue."""
        task = self.workflow_task
        self.sticky_queue = ""
        if task is None or task.started or not task.sticky:
            return
        task.sticky = False
        task.queue = self.task_queue
        self.workflow_task_seq += 1
        task.seq = self.workflow_task_seq
        ch.tasks.append(WorkflowTaskRef(self.key, task.queue, False, task.seq))

    # ---- signals, cancellation, termination ------------------------------------------

    def signal(
        self,
        ch: Changes,
        name: str,
        payloads: common.Payloads | None,
        identity: str,
        request_id: str,
        header: common.Header | None = None,
        external: common.WorkflowExecution | None = None,
    ) -> None:
        """`external` is the workflow that sent it, for a signal from SignalExternalWorkflowExecution."""
        if request_id and request_id in self.signal_request_ids:
            return  # a retried request: already recorded once (even if the run has closed since)
        if not self.running:
            raise WorkflowClosed()
        if request_id:
            self.signal_request_ids.add(request_id)
        # Like the real server, empty input and header are left out of the event.
        attrs = history.WorkflowExecutionSignaledEventAttributes(
            signal_name=name,
            input=payloads if payloads is not None and payloads.payloads else None,
            identity=identity,
            header=header if header is not None and header.fields else None,
            request_id=request_id,
            external_workflow_execution=external,
        )
        self.add_external(ch, [new_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, ch.now, attrs)])

    def request_cancel(
        self,
        ch: Changes,
        reason: str,
        identity: str,
        external: common.WorkflowExecution | None = None,
        external_initiated_event_id: int = 0,
        first_execution_run_id: str = "",
    ) -> None:
        """`external` and its initiated event id name the workflow that asked, if one did.

        Asking a closed run to cancel succeeds and changes nothing, as on the real server.
        """
        if not self.running:
            return
        self.check_first_execution_run_id(first_execution_run_id)
        if self.cancel_requested:
            return
        self.cancel_requested = True
        attrs = history.WorkflowExecutionCancelRequestedEventAttributes(
            cause=reason,
            identity=identity,
            external_initiated_event_id=external_initiated_event_id,
            external_workflow_execution=external,
        )
        self.add_external(ch, [new_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, ch.now, attrs)])

    def terminate(
        self,
        ch: Changes,
        reason: str,
        details: common.Payloads | None,
        identity: str,
        first_execution_run_id: str = "",
    ) -> None:
        if not self.running:
            raise WorkflowClosed()
        self.check_first_execution_run_id(first_execution_run_id)
        task = self.workflow_task
        if task is not None and task.started and not task.unwritten:
            # The worker's answer can no longer be taken: the real server records why.
            self._append(
                ch,
                EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
                history.WorkflowTaskFailedEventAttributes(
                    scheduled_event_id=task.scheduled_event_id,
                    started_event_id=task.started_event_id,
                    cause=WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
                    identity=core_limits.HISTORY_SERVICE_IDENTITY,
                ),
            )
        self.flush_buffered(ch)
        self.workflow_task = None
        attrs = history.WorkflowExecutionTerminatedEventAttributes(reason=reason, details=details, identity=identity)
        event_id = self._append(ch, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, attrs)
        self.close(ch, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED, event_id)

    def check_first_execution_run_id(self, first_execution_run_id: str) -> None:
        """A request for the chain started by `first_execution_run_id` must not act on another chain."""
        if first_execution_run_id and first_execution_run_id != self.first_execution_run_id:
            raise NotFound("workflow execution not found")

    def close(self, ch: Changes, status: int, close_event_id: int) -> None:
        """Mark the run closed; whatever was pending in it is dropped."""
        self.status = status
        self.close_time = ch.now
        self.close_event_id = close_event_id
        self.workflow_task = None
        self.sticky_queue = ""
        self.timers.clear()
        self.activities.clear()
        self.activity_ids.clear()
        self.external_signals.clear()
        self.external_cancels.clear()
        # Children left running get the parent close policy (the engine applies it).
        for initiated_event_id, child in self.children.items():
            abandon = child.initiated.parent_close_policy == wf_enums.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON
            if child.run_id and not abandon:
                self.closing_children[initiated_event_id] = child
        # `children` is kept: describe lists them as pending on a closed parent, as the real server does.
        self.child_started_event_ids.clear()
        # Updates it never finished can no longer complete: their callers are told, as the
        # real server tells them (an accepted one gets a failure outcome, kept for polls).
        for update_id, update in list(self.updates.items()):
            if update.stage == UPDATE_ACCEPTED:
                update.outcome = update_pb.Outcome(failure=_accepted_update_failure())
                update.stage = UPDATE_COMPLETED
                ch.updates.append(update_id)
            elif update.stage == UPDATE_ADMITTED:
                update.aborted = True
                del self.updates[update_id]
                ch.rejected_updates[update_id] = update
                ch.updates.append(update_id)
        ch.closed = True
        if self not in ch.touched:
            ch.touched.append(self)
        # Queries that waited for a workflow task now go to a worker as query tasks
        # against the full, final history.
        waiting = dict(self.buffered_queries)
        self.buffered_queries.clear()
        for query_id, query in waiting.items():
            self._dispatch_legacy_query(ch, query_id, query)

    # ---- timers of the run itself -------------------------------------------------

    def time_out_run(self, ch: Changes, *, execution_expired: bool = False) -> None:
        """The run (or the whole execution) ran out of time; a retry policy may start another run."""
        if not self.running:
            return
        self.flush_buffered(ch)
        failure = failure_pb.Failure(message="workflow timed out")
        failure.timeout_failure_info.timeout_type = TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
        delay: float | None = None
        retry_state: int = wf_enums.RetryState.RETRY_STATE_TIMEOUT
        if execution_expired:
            if not self.started_attributes.HasField("retry_policy"):
                retry_state = wf_enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET
        else:
            delay, retry_state = self.retry_backoff(failure, ch.now)
        next_run = new_run_id() if delay is not None else ""
        attrs = history.WorkflowExecutionTimedOutEventAttributes(
            retry_state=retry_state,  # type: ignore[arg-type]
            new_execution_run_id=next_run,
        )
        event_id = self._append(ch, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, attrs)
        self.close(ch, Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, event_id)
        if delay is not None:
            self.start_retry(ch, next_run, failure, delay)

    # ---- runs that carry the workflow on ----------------------------------------------

    def retry_backoff(self, failure: failure_pb.Failure, now: float) -> tuple[float | None, int]:
        """Delay before retrying the workflow after `failure`, or None and why not."""
        attrs = self.started_attributes
        if not attrs.HasField("retry_policy"):
            return None, wf_enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET
        policy = retry.with_defaults(attrs.retry_policy)
        return retry.next_backoff(policy, attrs.attempt or 1, failure, now, self.execution_deadline)

    def successor_attributes(
        self, run_id: str, initiator: int, backoff: float
    ) -> history.WorkflowExecutionStartedEventAttributes:
        """The next run's started attributes: this run's, linked to it in the chain."""
        started = history.WorkflowExecutionStartedEventAttributes()
        started.CopyFrom(self.started_attributes)
        for name in ("continued_failure", "last_completion_result"):
            started.ClearField(name)  # type: ignore[arg-type]
        started.continued_execution_run_id = self.key.run_id
        started.original_execution_run_id = run_id
        started.initiator = initiator  # type: ignore[assignment]
        started.attempt = 1
        started.first_workflow_task_backoff.CopyFrom(duration(backoff))
        return started

    def start_successor(
        self, ch: Changes, run_id: str, started: history.WorkflowExecutionStartedEventAttributes
    ) -> None:
        """Start the run that carries this workflow on (continue-as-new or retry)."""
        self.continued_to_run_id = run_id
        new_ch = Changes(ch.now)
        successor = MutableState.start(
            new_ch,
            RunKey(self.key.namespace, self.key.workflow_id, run_id),
            started,
            execution_deadline=self.execution_deadline,
        )
        ch.new_runs.append((successor, new_ch))

    def start_retry(self, ch: Changes, run_id: str, failure: failure_pb.Failure, delay: float) -> None:
        started = self.successor_attributes(
            run_id, wf_enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY, delay
        )
        started.attempt = (self.started_attributes.attempt or 1) + 1
        started.continued_failure.CopyFrom(failure)
        self.start_successor(ch, run_id, started)

    def workflow_task_timed_out(self, ch: Changes, seq: int) -> None:
        task = self.workflow_task
        if task is None or task.seq != seq or not task.started or not self.running:
            return
        self._end_workflow_task_attempt(
            ch,
            task,
            EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
            history.WorkflowTaskTimedOutEventAttributes(
                scheduled_event_id=task.scheduled_event_id,
                started_event_id=task.started_event_id,
                timeout_type=TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
            ),
            next_attempt_transient=True,
        )

    def sticky_timed_out(self, ch: Changes, seq: int) -> None:
        """Nobody took the task from the sticky queue in time: use the normal queue."""
        task = self.workflow_task
        if task is None or task.seq != seq or task.started or not task.sticky:
            return
        if task.unwritten:
            self.move_task_off_sticky(ch)
            return
        self._append(
            ch,
            EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
            history.WorkflowTaskTimedOutEventAttributes(
                scheduled_event_id=task.scheduled_event_id,
                timeout_type=TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
            ),
        )
        self.sticky_queue = ""
        self.workflow_task = None
        if task.queries:
            self.buffered_queries.update(task.queries)
        self.schedule_workflow_task(ch)

    def fire_user_timer(self, ch: Changes, timer_id: str, started_event_id: int) -> None:
        timer = self.timers.get(timer_id)
        if timer is None or timer.started_event_id != started_event_id or not self.running:
            return
        del self.timers[timer_id]
        attrs = history.TimerFiredEventAttributes(timer_id=timer_id, started_event_id=started_event_id)
        self.add_external(ch, [new_event(EventType.EVENT_TYPE_TIMER_FIRED, ch.now, attrs)])

    # ---- queries ------------------------------------------------------------------

    def query(self, ch: Changes, query_id: str, query: query_pb.WorkflowQuery) -> None:
        """Route a query: into the next workflow task if one is coming, else a query task."""
        if not self.running and not self.any_workflow_task_started:
            raise WorkflowNotReady()
        task = self.workflow_task
        if self.running and task is not None and not task.started:
            task.queries[query_id] = query
        elif self.running and task is not None:
            self.buffered_queries[query_id] = query
        else:
            self._dispatch_legacy_query(ch, query_id, query)

    def _dispatch_legacy_query(self, ch: Changes, query_id: str, query: query_pb.WorkflowQuery) -> None:
        sticky = bool(self.sticky_queue) and self.running
        queue = self.sticky_queue if sticky else self.task_queue
        self.legacy_queries[query_id] = query
        ch.tasks.append(QueryTaskRef(self.key, queue, sticky, query_id))

    def legacy_query(self, query_id: str) -> query_pb.WorkflowQuery | None:
        """The query a query-only task asks, while it waits for its answer."""
        return self.legacy_queries.get(query_id)

    def has_legacy_query(self, query_id: str) -> bool:
        return query_id in self.legacy_queries

    def answer_legacy_query(self, ch: Changes, query_id: str, answer: QueryAnswer) -> None:
        if self.legacy_queries.pop(query_id, None) is None:
            ch.ignore_stale("query", query_id, "answer")
            raise TaskNotFound("query task not found or already answered")
        ch.query_answers[query_id] = answer

    def forget_query(self, query_id: str) -> None:
        """The caller gave up waiting."""
        self.legacy_queries.pop(query_id, None)
        self.buffered_queries.pop(query_id, None)
        if self.workflow_task is not None:
            self.workflow_task.queries.pop(query_id, None)

    # ---- describe helpers -----------------------------------------------------------

    def pending_workflow_task_state(self) -> int:
        task = self.workflow_task
        if task is None:
            return 0
        if task.started:
            return wf_enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
        return wf_enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED


# Attempts up to this one are retried at once, like the real server; later ones back off.
IMMEDIATE_WORKFLOW_TASK_ATTEMPTS = 5
MAX_WORKFLOW_TASK_RETRY_DELAY = 60.0


def _accepted_update_failure() -> failure_pb.Failure:
    failure = failure_pb.Failure(
        message="Workflow Update failed because the Workflow completed before the Update completed.",
        source="Server",
    )
    failure.application_failure_info.type = "AcceptedUpdateCompletedWorkflow"
    failure.application_failure_info.non_retryable = True
    return failure


def workflow_task_retry_delay(attempt: int) -> float:
    """Seconds to wait before handing out workflow task `attempt` (0: at once)."""
    if attempt <= IMMEDIATE_WORKFLOW_TASK_ATTEMPTS:
        return 0.0
    return float(min(2 ** (attempt - IMMEDIATE_WORKFLOW_TASK_ATTEMPTS - 1), MAX_WORKFLOW_TASK_RETRY_DELAY))
