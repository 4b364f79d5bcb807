"""The checks a workflow task's commands and messages pass before any of them is applied.

A command the server refuses fails the workflow task with the cause and wording the
real server uses (`BadCommand`).
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, failed_cause_pb2, workflow_pb2
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb

from devserver.core import cron, retry, updates
from devserver.core import limits as core_limits
from devserver.core.mutable_state import MutableState
from devserver.core.protos import duration_error, seconds_of, with_value_names
from devserver.errors import InvalidArgument, ServiceError

CommandType = with_value_names(command_type_pb2.CommandType)
Cause = with_value_names(failed_cause_pb2.WorkflowTaskFailedCause)

MAX_ID_LENGTH = 1000  # limit.maxIDLength

CLOSE_COMMANDS = {
    CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
    CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
    CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
}

_UNSUPPORTED = {
    CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION: (
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES
    ),
    CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION: (
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_NEXUS_OPERATION_ATTRIBUTES
    ),
}


class BadCommand(Exception):
    """A command the server refuses: the workflow task fails with `cause`.

    The message starts with the cause's name, as the real server words it
    ("BadStartTimerAttributes: ...").
    """

    def __init__(self, cause: int, message: str, *, terminates: bool = False) -> None:
        message = f"{_cause_name(cause)}: {message}"
        super().__init__(message)
        self.cause = cause
        self.message = message
        # The real server also terminates the run (e.g. a payload over the blob size limit).
        self.terminates = terminates


def _cause_name(cause: int) -> str:
    """WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES -> BadStartTimerAttributes."""
    name = Cause.Name(cause).removeprefix("WORKFLOW_TASK_FAILED_CAUSE_")  # type: ignore[arg-type]
    return "".join(part.capitalize() for part in name.split("_"))


def check_commands(
    state: MutableState,
    commands: list[command_pb.Command],
    check_search_attributes: Callable[[common.SearchAttributes], None] | None,
    namespace_id: Callable[[str], str],
    limits: core_limits.Limits,
) -> None:
    timer_ids = set(state.timers)
    activity_ids = set(state.activity_ids)
    # Pending work per kind, counting what earlier commands of this task add (the real
    # server's limit.numPending*.error).
    pending = {
        CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: len(state.activities),
        CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: len(state.children),
        CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: len(state.external_signals),
        CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: len(state.external_cancels),
    }
    for index, command in enumerate(commands):
        kind = command.command_type
        if kind in pending:
            _check_pending_limit(kind, pending[kind], limits)
            pending[kind] += 1
        oversized = core_limits.oversized_payload(command, limits)
        if oversized is not None:
            raise BadCommand(*oversized, terminates=True)
        if kind in _UNSUPPORTED:
            raise BadCommand(
                _UNSUPPORTED[kind],
                f"{CommandType.Name(kind)} is not supported by the tempo dev server yet",
            )
        if kind in CLOSE_COMMANDS and index != len(commands) - 1:
            raise BadCommand(
                Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
                f"{CommandType.Name(kind)} must be the last command of a workflow task",
            )
        if kind == CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
            attrs = command.schedule_activity_task_command_attributes
            _check_activity(attrs, activity_ids)
            activity_ids.add(attrs.activity_id)
        elif kind == CommandType.COMMAND_TYPE_START_TIMER:
            timer = command.start_timer_command_attributes
            _check_timer(timer)
            if timer.timer_id in timer_ids:
                raise BadCommand(
                    Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID,
                    f"invalid history builder state for action: add-timer-started-event, "
                    f"timer ID {timer.timer_id} is already in use",
                )
            timer_ids.add(timer.timer_id)
        elif kind == CommandType.COMMAND_TYPE_CANCEL_TIMER:
            timer_id = command.cancel_timer_command_attributes.timer_id
            _check_cancel_timer(timer_id)
            if timer_id not in timer_ids:
                raise BadCommand(
                    Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
                    f"invalid history builder state for action: add-timer-canceled-event, "
                    f"timer ID {timer_id} not found",
                )
            timer_ids.discard(timer_id)
        elif kind == CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES and check_search_attributes:
            try:
                check_search_attributes(command.upsert_workflow_search_attributes_command_attributes.search_attributes)
            except ServiceError as error:
                raise BadCommand(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, error.message) from None
        elif kind == CommandType.COMMAND_TYPE_RECORD_MARKER:
            _check_marker(command.record_marker_command_attributes.marker_name)
        elif kind == CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
            _check_child(command.start_child_workflow_execution_command_attributes, namespace_id, state.key.namespace)
            _check_inherited_build(
                command.start_child_workflow_execution_command_attributes,
                state,
                Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
                "StartChildWorkflowExecution",
            )
            if check_search_attributes:
                try:
                    check_search_attributes(command.start_child_workflow_execution_command_attributes.search_attributes)
                except ServiceError as error:
                    raise BadCommand(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, error.message) from None
        elif kind == CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
            signal = command.signal_external_workflow_execution_command_attributes
            _check_signal(signal, namespace_id)
        elif kind == CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
            cancel = command.request_cancel_external_workflow_execution_command_attributes
            _check_cancel_external(cancel, namespace_id)
        elif kind == CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
            attrs_can = command.continue_as_new_workflow_execution_command_attributes
            if attrs_can.workflow_type.name == "" and not state.workflow_type:
                raise BadCommand(
                    Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
                    "WorkflowType is not set on command.",
                )
            _check_inherited_build(
                attrs_can, state, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, "ContinueAsNew"
            )
        elif kind not in (
            CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
            CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
            CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
            CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
            *CLOSE_COMMANDS,
        ):
            # Not a bad command but a bad request, as on the real server: the answer is
            # INVALID_ARGUMENT and the workflow task is not failed (it times out).
            raise InvalidArgument(f"unknown command type: {'Unspecified' if kind == 0 else kind}")


def check_messages(
    state: MutableState, commands: list[command_pb.Command], messages: list[protocol_pb.Message]
) -> None:
    referenced = {
        c.protocol_message_command_attributes.message_id
        for c in commands
        if c.command_type == CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE
    }
    try:
        updates.check_messages(state, messages, referenced)
    except updates.BadMessage as bad:
        raise BadCommand(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, str(bad)) from None


def _check_inherited_build(
    attrs: command_pb.StartChildWorkflowExecutionCommandAttributes
    | command_pb.ContinueAsNewWorkflowExecutionCommandAttributes,
    state: MutableState,
    cause: int,
    command_name: str,
) -> None:
    """The real server refuses a run inheriting its parent's build (worker versioning 0.2's
    "compatible version") on another task queue while the parent has no assigned build,
    which on Tempo, with no assignment rules, it never has."""
    if attrs.inherit_build_id and attrs.task_queue.name and attrs.task_queue.name != state.task_queue:
        raise BadCommand(cause, f"{command_name} with UseCompatibleVersion cannot run on different task queue.")


def _check_child(
    attrs: command_pb.StartChildWorkflowExecutionCommandAttributes,
    namespace_id: Callable[[str], str],
    own_namespace: str,
) -> None:
    bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES
    # The real server names the parent's namespace when the command names none.
    namespace = attrs.namespace or own_namespace
    if not attrs.workflow_id:
        raise BadCommand(
            bad,
            "Required field WorkflowId is not set on StartChildWorkflowExecutionCommand. "
            f"WorkflowType={attrs.workflow_type.name} Namespace={namespace}",
        )
    if not attrs.workflow_type.name:
        raise BadCommand(
            bad,
            "Required field WorkflowType is not set on StartChildWorkflowExecutionCommand. "
            f"WorkflowId={attrs.workflow_id} Namespace={namespace}",
        )
    if attrs.cron_schedule:
        try:
            cron.parse(attrs.cron_schedule)
        except cron.CronError:
            raise BadCommand(bad, "invalid CronSchedule.") from None
    # Length limits, worded as the real server words them.
    child_id, child_type, child_namespace = attrs.workflow_id, attrs.workflow_type.name, namespace
    if len(child_id) > MAX_ID_LENGTH:
        raise BadCommand(
            bad,
            f"WorkflowId on StartChildWorkflowExecutionCommand exceeds length limit. WorkflowId={child_id} "
            f"Length={len(child_id)} Limit={MAX_ID_LENGTH} WorkflowType={child_type} Namespace={child_namespace}",
        )
    if len(child_type) > MAX_ID_LENGTH:
        raise BadCommand(
            bad,
            f"WorkflowType on StartChildWorkflowExecutionCommand exceeds length limit. WorkflowId={child_id} "
            f"WorkflowType={child_type} Length={len(child_type)} Limit={MAX_ID_LENGTH} Namespace={child_namespace}",
        )
    for name in ("workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout"):
        if seconds_of(getattr(attrs, name)) < 0:
            raise BadCommand(bad, f"Invalid {name} on StartChildWorkflowExecutionCommand: negative.")
    message = retry.validate(attrs.retry_policy)
    if message:
        raise BadCommand(bad, message)
    behavior = attrs.versioning_override.behavior
    if attrs.HasField("versioning_override") and behavior not in workflow_pb2.VersioningBehavior.values():
        raise BadCommand(bad, f"override behavior {behavior} not recognized")
    _resolve_namespace(attrs.namespace, namespace_id, bad)


def _check_signal(
    attrs: command_pb.SignalExternalWorkflowExecutionCommandAttributes, namespace_id: Callable[[str], str]
) -> None:
    """The real server's checks, in its order (the target namespace is looked up first)."""
    bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES
    _resolve_namespace(attrs.namespace, namespace_id, bad)
    namespace, workflow_id, run_id = attrs.namespace, attrs.execution.workflow_id, attrs.execution.run_id
    command = "SignalExternalWorkflowExecutionCommand"
    if not workflow_id:
        raise BadCommand(
            bad,
            f"WorkflowId is not set on {command}. Namespace={namespace} RunId={run_id} SignalName={attrs.signal_name}",
        )
    if not attrs.signal_name:
        raise BadCommand(
            bad, f"SignalName is not set on {command}. WorkflowId={workflow_id} Namespace={namespace} RunId={run_id}"
        )


def _check_cancel_external(
    attrs: command_pb.RequestCancelExternalWorkflowExecutionCommandAttributes, namespace_id: Callable[[str], str]
) -> None:
    """The real server's checks, in its order (the target namespace is looked up first)."""
    bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES
    _resolve_namespace(attrs.namespace, namespace_id, bad)
    if not attrs.workflow_id:
        raise BadCommand(
            bad,
            "WorkflowId is not set on RequestCancelExternalWorkflowExecutionCommand. "
            f"Namespace={attrs.namespace} RunId={attrs.run_id}",
        )


def _check_cancel_timer(timer_id: str) -> None:
    bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES
    if not timer_id:
        raise BadCommand(bad, "TimerId is not set on CancelTimerCommand.")
    if len(timer_id) > MAX_ID_LENGTH:
        raise BadCommand(
            bad,
            f"TimerId on CancelTimerCommand exceeds length limit. TimerId={timer_id} "
            f"Length={len(timer_id)} Limit={MAX_ID_LENGTH}",
        )


def _check_marker(marker_name: str) -> None:
    bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES
    if not marker_name:
        raise BadCommand(bad, "MarkerName is not set on RecordMarkerCommand.")
    if len(marker_name) > MAX_ID_LENGTH:
        raise BadCommand(
            bad,
            f"MarkerName on RecordMarkerCommand exceeds length limit. MarkerName={marker_name} "
            f"Length={len(marker_name)} Limit={MAX_ID_LENGTH}",
        )


def _resolve_namespace(namespace: str, namespace_id: Callable[[str], str], bad: int) -> None:
    if not namespace:
        return
    try:
        namespace_id(namespace)
    except ServiceError as error:
        raise BadCommand(bad, error.message) from None


def _check_timer(attrs: command_pb.StartTimerCommandAttributes) -> None:
    """The real server's checks: an id, and a duration that is not negative (zero, sub-millisecond
    and missing ones fire at once; longer than 100 years is capped when recorded)."""
    bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES
    timer_id = attrs.timer_id
    if not timer_id:
        raise BadCommand(bad, "TimerId is not set on StartTimerCommand.")
    if len(timer_id) > MAX_ID_LENGTH:
        raise BadCommand(
            bad,
            f"TimerId on StartTimerCommand exceeds length limit. TimerId={timer_id} "
            f"Length={len(timer_id)} Limit={MAX_ID_LENGTH}",
        )
    error = duration_error(attrs.start_to_fire_timeout)
    if error is not None:
        raise BadCommand(bad, f"An invalid StartToFireTimeout is set on StartTimerCommand: {error}. TimerId={timer_id}")


_PENDING_LIMITS: dict[int, tuple[str, int, str]] = {
    CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: (
        "pending_activities_error",
        Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED,
        "pending activities",
    ),
    CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: (
        "pending_children_error",
        Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED,
        "pending child workflow executions",
    ),
    CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: (
        "pending_signals_error",
        Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED,
        "pending signals to external workflows",
    ),
    CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: (
        "pending_cancels_error",
        Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED,
        "pending requests to cancel external workflows",
    ),
}


def _check_pending_limit(kind: int, pending: int, limits: core_limits.Limits) -> None:
    field_name, cause, what = _PENDING_LIMITS[kind]
    limit = getattr(limits, field_name)
    if pending >= limit:
        raise BadCommand(cause, f"the number of {what}, {pending}, has reached the per-workflow limit of {limit}")


def _check_activity(attrs: command_pb.ScheduleActivityTaskCommandAttributes, pending_ids: set[str]) -> None:
    """The real server's checks, in its order: the task queue first (no default: the workflow's
    own queue is not filled in), then id and type, the retry policy, lengths, timeouts."""
    bad = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES
    message = _task_queue_error(attrs)
    if message:
        raise BadCommand(bad, message)
    activity_id, activity_type = attrs.activity_id, attrs.activity_type.name
    if not activity_id:
        raise BadCommand(bad, "activityId is not set")
    if not activity_type:
        raise BadCommand(bad, "activityType is not set")
    message = retry.validate(attrs.retry_policy)
    if message:
        raise BadCommand(bad, message)
    if len(activity_id) > MAX_ID_LENGTH:
        raise BadCommand(bad, f"activityId exceeds length limit. Length={len(activity_id)} Limit={MAX_ID_LENGTH}")
    if len(activity_type) > MAX_ID_LENGTH:
        raise BadCommand(bad, f"activityType exceeds length limit. Length={len(activity_type)} Limit={MAX_ID_LENGTH}")
    for field_name, label in (
        ("schedule_to_close_timeout", "ScheduleToCloseTimeout"),
        ("schedule_to_start_timeout", "ScheduleToStartTimeout"),
        ("start_to_close_timeout", "StartToCloseTimeout"),
        ("heartbeat_timeout", "HeartbeatTimeout"),
    ):
        error = duration_error(getattr(attrs, field_name))
        if error is not None:
            raise BadCommand(bad, f"invalid {label}: {error}")
    if seconds_of(attrs.start_to_close_timeout) <= 0 and seconds_of(attrs.schedule_to_close_timeout) <= 0:
        raise BadCommand(
            bad,
            "a valid StartToCloseTimeout or ScheduleToCloseTimeout must be set on the activity. "
            f"ActivityId={activity_id} ActivityType={activity_type}",
        )
    if activity_id in pending_ids:
        raise BadCommand(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
            f"Activity with id {activity_id} already exists.",
        )


_RESERVED_TASK_QUEUE_PREFIX = "/_sys/"


def _task_queue_error(attrs: command_pb.ScheduleActivityTaskCommandAttributes) -> str | None:
    """Why the real server refuses an activity's task queue: missing, unnamed, too long, reserved."""
    if not attrs.HasField("task_queue"):
        return "taskQueue is not set"
    return task_queue_name_problem(attrs.task_queue.name)


def task_queue_name_problem(name: str) -> str | None:
    """Why the real server refuses a task queue name: empty, too long, reserved."""
    if not name:
        return "missing task queue name"
    if len(name) > MAX_ID_LENGTH:
        return "taskQueue length exceeds limit"
    if name.startswith(_RESERVED_TASK_QUEUE_PREFIX):
        return f"task queue name cannot start with reserved prefix {_RESERVED_TASK_QUEUE_PREFIX}"
    return None
