"""A workflow task's completion: check the worker's commands, then turn them into events.

The checks (core.command_checks) run over the whole list first, so a bad command fails
the task without writing half of its commands (the real server discards them too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, failed_cause_pb2, query_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import (
    activities,
    build_ids,
    children,
    closing,
    command_checks,
    queries,
    reset_points,
    retry,
    time_skipping,
    updates,
    workflow_tasks,
)
from devserver.core import limits as core_limits
from devserver.core.changes import Changes, QueryAnswer, TimerKey
from devserver.core.ids import new_run_id, random_uuid
from devserver.core.lifecycles import TIMER, TimerEvent, WorkflowTaskEvent
from devserver.core.mutable_state import (
    EventType,
    MutableState,
    TimerInfo,
    WorkflowTask,
    WorkflowTaskStart,
    task_queue_message,
)
from devserver.core.protos import capped, duration, seconds_of, with_value_names

CommandType = with_value_names(command_type_pb2.CommandType)
Cause = with_value_names(failed_cause_pb2.WorkflowTaskFailedCause)
Status = with_value_names(wf_enums.WorkflowExecutionStatus)

MAX_EAGER_ACTIVITIES = 3
DEFAULT_CHILD_TASK_TIMEOUT = 10.0


@dataclass
class Completion:
    """What RespondWorkflowTaskCompleted answers, once the changes are committed."""

    # Set when the task was failed instead (bad command, UnhandledCommand).
    error: command_checks.BadCommand | None = None
    unhandled_command: bool = False
    activity_tasks: list[wsv1.PollActivityTaskQueueResponse] = field(default_factory=list)
    # Set when a speculative task was discarded: the last started event id the worker
    # should now consider current (RespondWorkflowTaskCompletedResponse.reset_history_event_id).
    reset_history_event_id: int = 0
    # The next workflow task, started for the worker in the same change when it asked for it
    # (return_new_workflow_task), as the real server does; its copy in the task queue is stale.
    next_task: WorkflowTaskStart | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None and not self.unhandled_command


def complete_workflow_task(
    state: MutableState,
    ch: Changes,
    seq: int,
    request: wsv1.RespondWorkflowTaskCompletedRequest,
    check_search_attributes: Callable[[common.SearchAttributes], None] | None = None,
    namespace_id: Callable[[str], str] | None = None,
    limits: core_limits.Limits = core_limits.DEFAULT_LIMITS,
) -> Completion:
    """Apply a worker's commands (RespondWorkflowTaskCompleted), and start the next task for it
    if it asked for one.

    `check_search_attributes` raises for unregistered ones; `namespace_id` gives a
    namespace's id (commands that name another workflow record it) or raises.
    """
    last_seq = state.workflow_task_seq
    completion = _apply_completion(state, ch, seq, request, check_search_attributes, namespace_id, limits)
    task = state.workflow_task
    if completion.accepted and request.return_new_workflow_task and task is not None and task.seq > last_seq:
        completion.next_task = workflow_tasks.start(state, ch, task.seq, request.identity, random_uuid(), limits=limits)
    return completion


def _apply_completion(
    state: MutableState,
    ch: Changes,
    seq: int,
    request: wsv1.RespondWorkflowTaskCompletedRequest,
    check_search_attributes: Callable[[common.SearchAttributes], None] | None,
    namespace_id: Callable[[str], str] | None,
    limits: core_limits.Limits,
) -> Completion:
    task = workflow_tasks.started_task(state, ch, seq, WorkflowTaskEvent.COMPLETE)
    commands = list(request.commands)
    messages = list(request.messages)
    resolve = namespace_id or (lambda name: "")
    try:
        command_checks.check_commands(state, commands, check_search_attributes, resolve, limits)
        command_checks.check_messages(state, commands, messages)
    except command_checks.BadCommand as bad:
        if task.attempt > 1 and bad.cause != Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND:
            # Like the real server: a task that keeps failing is not failed again; it is left to
            # time out, so a broken worker retries at the pace of the task timeout.
            return Completion(error=bad)
        workflow_tasks.fail(state, ch, seq, bad.cause, _server_failure(bad.message), request.identity)
        if bad.terminates:
            closing.terminate(state, ch, bad.message, None, core_limits.HISTORY_SERVICE_IDENTITY)
        return Completion(error=bad)
    closes_run = any(c.command_type in command_checks.CLOSE_COMMANDS for c in commands)
    if closes_run and state.buffered_events:
        # New events arrived while the worker decided to close: it must see them first.
        # (Updates that arrived meanwhile do not hold the close: they are aborted.)
        workflow_tasks.fail(
            state,
            ch,
            seq,
            Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
            _server_failure("UnhandledCommand"),
            request.identity,
            next_attempt_transient=False,
        )
        return Completion(unhandled_command=True)

    if updates.can_discard(state, task, commands, messages, request):
        # Only rejections: the speculative task leaves no events behind.
        workflow_tasks.completed(state, task)
        for message in messages:
            updates.apply_message(state, ch, message)
        updates.reject_unprocessed(state, ch, task)
        completion = _after_commands(state, ch, task, request, needs_workflow_task=False, eager=[])
        completion.reset_history_event_id = state.last_completed_started_event_id
        return completion

    workflow_tasks.persist_transient(state, ch, task)
    completed_attrs = history.WorkflowTaskCompletedEventAttributes(
        scheduled_event_id=task.scheduled_event_id,
        started_event_id=task.started_event_id,
        identity=request.identity,
        sdk_metadata=request.sdk_metadata if request.HasField("sdk_metadata") else None,
        metering_metadata=request.metering_metadata if request.HasField("metering_metadata") else None,
    )
    stamp, deployment = request.worker_version_stamp, request.deployment_options
    build_id = stamp.build_id or deployment.build_id or request.binary_checksum
    if build_id:
        completed_attrs.worker_version.build_id = build_id
    completed_id = state.append_event(ch, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, completed_attrs)
    version = common.WorkerVersionStamp(build_id=build_id, use_versioning=stamp.use_versioning) if build_id else None
    build_ids.record(state.search_attributes, version)
    reset_points.record(state, completed_id, build_id, ch.now)
    workflow_tasks.completed(state, task)
    state.last_completed_started_event_id = task.started_event_id

    applier = _Applier(state, ch, completed_id, request, resolve)
    for command in commands:
        applier.apply(command)
    # Messages no command placed (rejections) come after the commands.
    for message in messages:
        if message.id not in applier.placed_messages:
            updates.apply_message(state, ch, message)
    updates.reject_unprocessed(state, ch, task)
    return _after_commands(state, ch, task, request, applier.needs_workflow_task, applier.eager)


def _after_commands(
    state: MutableState,
    ch: Changes,
    task: WorkflowTask,
    request: wsv1.RespondWorkflowTaskCompletedRequest,
    needs_workflow_task: bool,
    eager: list[wsv1.PollActivityTaskQueueResponse],
) -> Completion:
    """Queries, stickiness and the next workflow task, once the commands are applied."""
    _answer_queries(ch, task.queries, request)
    unanswered = {qid: q for qid, q in task.queries.items() if qid not in request.query_results}
    if not state.running:
        for query_id, query in unanswered.items():
            queries.dispatch_legacy(state, ch, query_id, query)
        return Completion(activity_tasks=eager)

    if request.HasField("sticky_attributes") and request.sticky_attributes.worker_task_queue.name:
        state.sticky_queue = request.sticky_attributes.worker_task_queue.name
        state.sticky_schedule_to_start = seconds_of(request.sticky_attributes.schedule_to_start_timeout)
    else:
        state.sticky_queue = ""
    state.buffered_queries.update(unanswered)
    had_new_events = state.flush_buffered(ch)
    new_updates = updates.needs_new_task(state, task)
    if had_new_events or needs_workflow_task or new_updates or request.force_create_new_workflow_task:
        workflow_tasks.schedule(state, ch)
    else:
        waiting = dict(state.buffered_queries)
        state.buffered_queries.clear()
        for query_id, query in waiting.items():
            queries.dispatch_legacy(state, ch, query_id, query)
    return Completion(activity_tasks=eager)


def _answer_queries(
    ch: Changes, delivered: Mapping[str, object], request: wsv1.RespondWorkflowTaskCompletedRequest
) -> None:

    for query_id, result in request.query_results.items():
        if query_id not in delivered:
            continue
        if result.result_type == query_pb2.QUERY_RESULT_TYPE_ANSWERED:
            ch.query_answers[query_id] = QueryAnswer(result=result.answer)
        else:
            ch.query_answers[query_id] = QueryAnswer(error=result.error_message or "query failed")


def _server_failure(message: str) -> failure_pb.Failure:
    # No source: the real server leaves it empty on the workflow task failures it writes.
    failure = failure_pb.Failure(message=message)
    failure.server_failure_info.SetInParent()
    return failure


# The method of `_Applier` that applies each command type (looked up once, not per command).
_HANDLERS: dict[int, str] = {
    CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: "schedule_activity",
    CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: "cancel_activity",
    CommandType.COMMAND_TYPE_START_TIMER: "start_timer",
    CommandType.COMMAND_TYPE_CANCEL_TIMER: "cancel_timer",
    CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: "complete",
    CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: "fail",
    CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: "cancel",
    CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: "continue_as_new",
    CommandType.COMMAND_TYPE_RECORD_MARKER: "record_marker",
    CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "upsert_search_attributes",
    CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: "modify_properties",
    CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: "start_child",
    CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: "signal_external",
    CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: "cancel_external",
    CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE: "protocol_message",
}


class _Applier:
    """Applies validated commands one by one, in order."""

    def __init__(
        self,
        state: MutableState,
        ch: Changes,
        completed_id: int,
        request: wsv1.RespondWorkflowTaskCompletedRequest,
        namespace_id: Callable[[str], str],
    ) -> None:
        self.namespace_id = namespace_id
        self.state = state
        self.ch = ch
        self.completed_id = completed_id
        self.request = request
        self.needs_workflow_task = False
        self.eager: list[wsv1.PollActivityTaskQueueResponse] = []
        self.messages = {m.id: m for m in request.messages}
        self.placed_messages: set[str] = set()

    def apply(self, command: command_pb.Command) -> None:
        kind = command.command_type
        handler = getattr(self, _HANDLERS[kind])
        first_new_event = len(self.ch.events)
        handler(command)
        carries_metadata = command.HasField("user_metadata") and kind != CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE
        if carries_metadata and len(self.ch.events) > first_new_event:
            # The command's summary and details go on the event it made, as on the real server.
            event = self.ch.events[first_new_event]
            size = event.ByteSize()
            event.user_metadata.CopyFrom(command.user_metadata)
            self.state.history_size_bytes += event.ByteSize() - size

    def _append(self, event_type: int, attributes: object) -> int:
        return self.state.append_event(self.ch, event_type, attributes)

    # -- activities --

    def schedule_activity(self, command: command_pb.Command) -> None:
        cmd = command.schedule_activity_task_command_attributes
        state = self.state
        attrs = history.ActivityTaskScheduledEventAttributes(
            activity_id=cmd.activity_id,
            activity_type=cmd.activity_type,
            task_queue=task_queue_message(cmd.task_queue.name or state.task_queue),
            # Header and priority are left out when the command has none, as on the real server.
            header=cmd.header if cmd.HasField("header") else None,
            input=cmd.input if cmd.input.payloads else None,  # left out when empty, as on the real server
            workflow_task_completed_event_id=self.completed_id,
            retry_policy=retry.with_defaults(cmd.retry_policy if cmd.HasField("retry_policy") else None),
            use_workflow_build_id=cmd.use_workflow_build_id,
            priority=cmd.priority if cmd.HasField("priority") else None,
        )
        activities.normalise_timeouts(attrs, cmd, state)
        info = activities.schedule(state, self.ch, attrs)
        eager_ok = (
            cmd.request_eager_execution and len(self.eager) < MAX_EAGER_ACTIVITIES and info.queue == state.task_queue
        )
        if eager_ok:
            response = activities.start(
                state, self.ch, info.scheduled_event_id, info.attempt, self.request.identity, random_uuid()
            )
            if response is not None:
                self.eager.append(response)
                return
        activities.dispatch(state, self.ch, info)

    def cancel_activity(self, command: command_pb.Command) -> None:
        scheduled_id = command.request_cancel_activity_task_command_attributes.scheduled_event_id
        info = activities.activity(self.state, scheduled_id)
        if info is None:
            return  # already closed; its outcome is in (or on its way into) history
        requested_id = self._append(
            EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
            history.ActivityTaskCancelRequestedEventAttributes(
                scheduled_event_id=scheduled_id, workflow_task_completed_event_id=self.completed_id
            ),
        )
        if info.started:
            activities.request_cancel(info, requested_id)
            return
        # Never started: it is canceled right away and the workflow learns it next task.
        activities.cancel_unstarted(self.state, info)
        self._append(
            EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
            history.ActivityTaskCanceledEventAttributes(
                latest_cancel_requested_event_id=requested_id,
                scheduled_event_id=scheduled_id,
                identity=self.request.identity,
            ),
        )
        self.needs_workflow_task = True

    # -- timers --

    def start_timer(self, command: command_pb.Command) -> None:
        cmd = command.start_timer_command_attributes
        attrs = history.TimerStartedEventAttributes(
            timer_id=cmd.timer_id, workflow_task_completed_event_id=self.completed_id
        )
        if cmd.HasField("start_to_fire_timeout"):  # a timer without one fires at once, like a zero one
            attrs.start_to_fire_timeout.CopyFrom(capped(cmd.start_to_fire_timeout))
        event_id = self._append(EventType.EVENT_TYPE_TIMER_STARTED, attrs)
        deadline = self.ch.now + seconds_of(attrs.start_to_fire_timeout)
        self.state.timers[cmd.timer_id] = TimerInfo(cmd.timer_id, event_id, deadline)
        self.ch.add_timer(deadline, TimerKey.user_timer(self.state.key, cmd.timer_id, event_id))

    def cancel_timer(self, command: command_pb.Command) -> None:
        timer_id = command.cancel_timer_command_attributes.timer_id
        timer = self.state.timers.pop(timer_id)
        TIMER.next(timer, TimerEvent.CANCEL)
        self._append(
            EventType.EVENT_TYPE_TIMER_CANCELED,
            history.TimerCanceledEventAttributes(
                timer_id=timer_id,
                started_event_id=timer.started_event_id,
                workflow_task_completed_event_id=self.completed_id,
                identity=self.request.identity,
            ),
        )

    # -- closing the run --

    def complete(self, command: command_pb.Command) -> None:
        cmd = command.complete_workflow_execution_command_attributes
        cron_delay = closing.cron_backoff(self.state, self.ch.now)
        next_run = new_run_id() if cron_delay is not None else ""
        event_id = self._append(
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
            history.WorkflowExecutionCompletedEventAttributes(
                result=cmd.result,
                workflow_task_completed_event_id=self.completed_id,
                new_execution_run_id=next_run,
            ),
        )
        closing.close(self.state, self.ch, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, event_id)
        if cron_delay is not None:
            result = cmd.result if cmd.HasField("result") else None
            closing.start_cron(self.state, self.ch, next_run, cron_delay, result=result)

    def fail(self, command: command_pb.Command) -> None:
        cmd = command.fail_workflow_execution_command_attributes
        delay, retry_state = closing.retry_backoff(self.state, cmd.failure, self.ch.now)
        cron_delay = closing.cron_backoff(self.state, self.ch.now) if delay is None else None
        next_run = new_run_id() if delay is not None or cron_delay is not None else ""
        event_id = self._append(
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
            history.WorkflowExecutionFailedEventAttributes(
                failure=cmd.failure,
                retry_state=retry_state,  # type: ignore[arg-type]
                workflow_task_completed_event_id=self.completed_id,
                new_execution_run_id=next_run,
            ),
        )
        closing.close(self.state, self.ch, Status.WORKFLOW_EXECUTION_STATUS_FAILED, event_id)
        if delay is not None:
            closing.start_retry(self.state, self.ch, next_run, cmd.failure, delay)
        elif cron_delay is not None:
            closing.start_cron(self.state, self.ch, next_run, cron_delay, failure=cmd.failure)

    def cancel(self, command: command_pb.Command) -> None:
        cmd = command.cancel_workflow_execution_command_attributes
        event_id = self._append(
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
            history.WorkflowExecutionCanceledEventAttributes(
                workflow_task_completed_event_id=self.completed_id,
                details=cmd.details if cmd.details.payloads else None,
            ),
        )
        closing.close(self.state, self.ch, Status.WORKFLOW_EXECUTION_STATUS_CANCELED, event_id)

    def continue_as_new(self, command: command_pb.Command) -> None:
        cmd = command.continue_as_new_workflow_execution_command_attributes
        state = self.state
        previous = state.started_attributes
        new_run = new_run_id()
        workflow_type = cmd.workflow_type if cmd.workflow_type.name else previous.workflow_type
        queue = cmd.task_queue.name or state.task_queue
        run_timeout = (
            cmd.workflow_run_timeout if seconds_of(cmd.workflow_run_timeout) else previous.workflow_run_timeout
        )
        task_timeout = (
            cmd.workflow_task_timeout if seconds_of(cmd.workflow_task_timeout) else previous.workflow_task_timeout
        )
        event_id = self._append(
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
            history.WorkflowExecutionContinuedAsNewEventAttributes(
                new_execution_run_id=new_run,
                workflow_type=workflow_type,
                task_queue=task_queue_message(queue),
                input=cmd.input,
                workflow_run_timeout=run_timeout,
                workflow_task_timeout=task_timeout,
                workflow_task_completed_event_id=self.completed_id,
                backoff_start_interval=_positive(cmd.backoff_start_interval),
                initiator=cmd.initiator,
                failure=cmd.failure if cmd.HasField("failure") else None,
                last_completion_result=cmd.last_completion_result if cmd.HasField("last_completion_result") else None,
                header=cmd.header if cmd.header.fields else None,
                memo=cmd.memo if cmd.HasField("memo") else None,
                search_attributes=cmd.search_attributes if cmd.HasField("search_attributes") else None,
                inherit_build_id=cmd.inherit_build_id,
            ),
        )
        closing.close(state, self.ch, Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, event_id)
        started = closing.successor_attributes(
            state,
            new_run,
            cmd.initiator or wf_enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
            seconds_of(cmd.backoff_start_interval),
        )
        started.workflow_type.CopyFrom(workflow_type)
        started.task_queue.CopyFrom(task_queue_message(queue))
        started.input.CopyFrom(cmd.input)
        started.workflow_run_timeout.CopyFrom(run_timeout)
        started.workflow_task_timeout.CopyFrom(task_timeout)
        if cmd.header.fields:
            started.header.CopyFrom(cmd.header)
        else:
            started.ClearField("header")
        for name in ("memo", "search_attributes", "retry_policy"):
            if cmd.HasField(name):  # type: ignore[arg-type]
                getattr(started, name).CopyFrom(getattr(cmd, name))
        if cmd.HasField("failure"):
            started.continued_failure.CopyFrom(cmd.failure)
        if cmd.HasField("last_completion_result"):
            started.last_completion_result.CopyFrom(cmd.last_completion_result)
        closing.start_successor(state, self.ch, new_run, started)

    # -- other workflows --

    def _namespace(self, name: str) -> tuple[str, str]:
        namespace = name or self.state.key.namespace
        return namespace, self.namespace_id(namespace)

    def start_child(self, command: command_pb.Command) -> None:
        cmd = command.start_child_workflow_execution_command_attributes
        namespace, namespace_id = self._namespace(cmd.namespace)
        task_timeout = seconds_of(cmd.workflow_task_timeout) or DEFAULT_CHILD_TASK_TIMEOUT
        attrs = history.StartChildWorkflowExecutionInitiatedEventAttributes(
            namespace=namespace,
            namespace_id=namespace_id,
            workflow_id=cmd.workflow_id,
            workflow_type=cmd.workflow_type,
            task_queue=task_queue_message(cmd.task_queue.name or self.state.task_queue),
            input=cmd.input if cmd.HasField("input") else None,
            workflow_execution_timeout=_positive(cmd.workflow_execution_timeout),
            workflow_run_timeout=cmd.workflow_run_timeout,  # recorded even when zero, like the real server
            workflow_task_timeout=duration(task_timeout),
            parent_close_policy=cmd.parent_close_policy or wf_enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
            control=cmd.control,
            workflow_task_completed_event_id=self.completed_id,
            workflow_id_reuse_policy=cmd.workflow_id_reuse_policy,
            retry_policy=retry.with_defaults(cmd.retry_policy) if cmd.HasField("retry_policy") else None,
            header=cmd.header,
            memo=cmd.memo if cmd.memo.fields else None,
            search_attributes=cmd.search_attributes if cmd.search_attributes.indexed_fields else None,
            inherit_build_id=cmd.inherit_build_id,
            priority=cmd.priority if cmd.HasField("priority") else None,
        )
        time_skipping.for_child(self.state, attrs)
        children.initiate_child(self.state, self.ch, attrs)

    def signal_external(self, command: command_pb.Command) -> None:
        cmd = command.signal_external_workflow_execution_command_attributes
        namespace, namespace_id = self._namespace(cmd.namespace)
        attrs = history.SignalExternalWorkflowExecutionInitiatedEventAttributes(
            workflow_task_completed_event_id=self.completed_id,
            namespace=namespace,
            namespace_id=namespace_id,
            workflow_execution=cmd.execution,
            signal_name=cmd.signal_name,
            input=cmd.input if cmd.HasField("input") else None,
            control=cmd.control,
            child_workflow_only=cmd.child_workflow_only,
            header=cmd.header if cmd.header.fields else None,
        )
        children.initiate_signal(self.state, self.ch, attrs)

    def cancel_external(self, command: command_pb.Command) -> None:
        cmd = command.request_cancel_external_workflow_execution_command_attributes
        namespace, namespace_id = self._namespace(cmd.namespace)
        attrs = history.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes(
            workflow_task_completed_event_id=self.completed_id,
            namespace=namespace,
            namespace_id=namespace_id,
            workflow_execution=common.WorkflowExecution(workflow_id=cmd.workflow_id, run_id=cmd.run_id),
            control=cmd.control,
            child_workflow_only=cmd.child_workflow_only,
            reason=cmd.reason,
        )
        children.initiate_cancel(self.state, self.ch, attrs)

    # -- updates --

    def protocol_message(self, command: command_pb.Command) -> None:
        message_id = command.protocol_message_command_attributes.message_id
        self.placed_messages.add(message_id)
        updates.apply_message(self.state, self.ch, self.messages[message_id])

    # -- the rest --

    def record_marker(self, command: command_pb.Command) -> None:
        cmd = command.record_marker_command_attributes
        attrs = history.MarkerRecordedEventAttributes(
            marker_name=cmd.marker_name,
            workflow_task_completed_event_id=self.completed_id,
            header=cmd.header if cmd.HasField("header") else None,
            failure=cmd.failure if cmd.HasField("failure") else None,
        )
        for key, value in cmd.details.items():
            attrs.details[key].CopyFrom(value)
        self._append(EventType.EVENT_TYPE_MARKER_RECORDED, attrs)

    def upsert_search_attributes(self, command: command_pb.Command) -> None:
        upserted = command.upsert_workflow_search_attributes_command_attributes.search_attributes
        self._append(
            EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
            history.UpsertWorkflowSearchAttributesEventAttributes(
                workflow_task_completed_event_id=self.completed_id, search_attributes=upserted
            ),
        )
        _merge_payload_map(self.state.search_attributes.indexed_fields, upserted.indexed_fields)

    def modify_properties(self, command: command_pb.Command) -> None:
        memo = command.modify_workflow_properties_command_attributes.upserted_memo
        self._append(
            EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
            history.WorkflowPropertiesModifiedEventAttributes(
                workflow_task_completed_event_id=self.completed_id, upserted_memo=memo
            ),
        )
        _merge_payload_map(self.state.memo.fields, memo.fields)


def _positive(value: Any) -> Any:
    """A duration field as the server records it: left out when zero."""
    return value if seconds_of(value) > 0 else None


def _merge_payload_map(target: object, upserted: object) -> None:
    """Upsert semantics: a key set to an empty or null payload is removed."""
    for key, payload in upserted.items():  # type: ignore[attr-defined]
        if payload.data in (b"", b"null"):
            target.pop(key, None)  # type: ignore[attr-defined]
        else:
            target[key].CopyFrom(payload)  # type: ignore[index]


__all__ = ["Completion", "complete_workflow_task"]
