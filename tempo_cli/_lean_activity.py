"""The lean path of `tempo activity pause|unpause|reset|complete|fail|update-options` of one
activity, and what it shares with the app's commands (`_activity_commands`,
`_activity_options`): their requests, their messages and the words of their errors.

Why: these ran through the Typer app, which loads Typer, `_cli`, the connection's settings and
the SDK's client to make one call: `tempo activity pause` took about 3.4 times the wall time of
`temporal activity pause`. Here the call is made over the blocking transport
(`_lean_session`) with the very request the app makes (built by the same functions below),
and the app's answer is printed: "Paused activity A of workflow W." on stderr, the JSON
document (-o json, -o jsonl) on stdout, `update-options`' table of the options as they are now.

When: text output over a plain connection (`_lean_session.plain_connection`: to a pipe or a
file, or to a terminal where Rich prints the one-line message as it is; `update-options`'
table there is drawn as Rich draws it, or, if Rich must fit it, by Rich), or JSON, and only the
options below, each with a value this path reads as the app does. Anything else gives way
before anything is sent or printed, and the app answers: the batch form (--query, --reason of
unpause or reset, --rps, --yes), --headers, a value the app refuses with its own message (a
--result that is not JSON, a --jitter or a timeout that is not a duration), colours forced, a
message Rich would wrap, any connection setting beyond --address and --namespace, a server
that does not answer GetSystemInfo.

A failed write is not made again, as the app makes none again (it calls the service stub
directly, without the SDK's retries): the app's one-line error is printed, worded by
:func:`refusal` (the app's `_activity_commands._explain` words it so too), and when the server
says the activity runs no attempt, why, from a describe of the workflow, as the app asks it.
On a terminal the error goes through Rich, in bold red, as the app prints it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from tempo_cli._lean_session import RPC_TIMEOUT, WORKFLOW_SERVICE, Answer, GiveWay, Screen, Session, answer

if TYPE_CHECKING:
    import datetime

    from google.protobuf.duration_pb2 import Duration
    from google.protobuf.message import Message
    from temporalio.api.activity.v1 import ActivityOptions
    from temporalio.api.common.v1 import Payload, WorkflowExecution
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        PauseActivityRequest,
        ResetActivityRequest,
        RespondActivityTaskCompletedByIdRequest,
        RespondActivityTaskFailedByIdRequest,
        UnpauseActivityRequest,
        UpdateActivityOptionsRequest,
    )

    from sdk._h2_channel import CallFailed
    from tempo_cli._plain_table import Rows

# ---------------------------------------------------------------- shared with the app


def as_typed(text: str) -> Payload:
    """A JSON value as a payload, its text kept as typed (as the `temporal` CLI sends it)."""
    from temporalio.api.common.v1 import Payload

    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def _execution(workflow_id: str, run_id: str | None) -> WorkflowExecution:
    from temporalio.api.common.v1 import WorkflowExecution

    return WorkflowExecution(workflow_id=workflow_id, run_id=run_id or "")


def pause_request(
    namespace: str, identity: str, workflow_id: str, run_id: str | None, activity_id: str, reason: str, request_id: str
) -> PauseActivityRequest:
    """`tempo activity pause`'s request. A new request id each time, as `temporal activity
    pause` sends: pausing a paused activity again is refused, not silently repeated."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import PauseActivityRequest

    return PauseActivityRequest(
        namespace=namespace,
        execution=_execution(workflow_id, run_id),
        id=activity_id,
        identity=identity,
        reason=reason,
        request_id=request_id,
    )


def unpause_request(
    namespace: str,
    identity: str,
    workflow_id: str,
    run_id: str | None,
    activity_id: str,
    reset_attempts: bool,
    reset_heartbeats: bool,
    jitter: Duration | None,
) -> UnpauseActivityRequest:
    """`tempo activity unpause`'s request of one activity (``jitter`` as `temporal` sends it)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import UnpauseActivityRequest

    return UnpauseActivityRequest(
        namespace=namespace,
        execution=_execution(workflow_id, run_id),
        id=activity_id,
        identity=identity,
        reset_attempts=reset_attempts,
        reset_heartbeat=reset_heartbeats,
        jitter=jitter,
    )


def reset_request(
    namespace: str,
    identity: str,
    workflow_id: str,
    run_id: str | None,
    activity_id: str,
    keep_paused: bool,
    clear_heartbeat_details: bool,
    restore_original_options: bool,
    jitter: Duration | None,
) -> ResetActivityRequest:
    """`tempo activity reset`'s request of one activity."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import ResetActivityRequest

    return ResetActivityRequest(
        namespace=namespace,
        execution=_execution(workflow_id, run_id),
        id=activity_id,
        identity=identity,
        keep_paused=keep_paused,
        reset_heartbeat=clear_heartbeat_details,
        restore_original_options=restore_original_options,
        jitter=jitter,
    )


def complete_request(
    namespace: str, identity: str, workflow_id: str, run_id: str | None, activity_id: str, result: str
) -> RespondActivityTaskCompletedByIdRequest:
    """`tempo activity complete`'s request: the result as typed (``result``: valid JSON)."""
    from temporalio.api.common.v1 import Payloads
    from temporalio.api.workflowservice.v1.request_response_pb2 import RespondActivityTaskCompletedByIdRequest

    return RespondActivityTaskCompletedByIdRequest(
        namespace=namespace,
        workflow_id=workflow_id,
        run_id=run_id or "",
        activity_id=activity_id,
        result=Payloads(payloads=[as_typed(result)]),
        identity=identity,
    )


def fail_request(
    namespace: str,
    identity: str,
    workflow_id: str,
    run_id: str | None,
    activity_id: str,
    reason: str,
    detail: str | None,
) -> RespondActivityTaskFailedByIdRequest:
    """`tempo activity fail`'s request (``detail``: valid JSON, or None). As `temporal
    activity fail` records it: from the CLI, not retried."""
    from temporalio.api.failure.v1 import Failure
    from temporalio.api.workflowservice.v1.request_response_pb2 import RespondActivityTaskFailedByIdRequest

    failure = Failure(message=reason, source="CLI")
    failure.application_failure_info.non_retryable = True
    if detail is not None:
        failure.application_failure_info.details.payloads.append(as_typed(detail))
    return RespondActivityTaskFailedByIdRequest(
        namespace=namespace,
        workflow_id=workflow_id,
        run_id=run_id or "",
        activity_id=activity_id,
        failure=failure,
        identity=identity,
    )


TIMEOUTS = {
    "schedule_to_close_timeout": "--schedule-to-close-timeout",
    "schedule_to_start_timeout": "--schedule-to-start-timeout",
    "start_to_close_timeout": "--start-to-close-timeout",
    "heartbeat_timeout": "--heartbeat-timeout",
}
"""`update-options`' timeouts: ActivityOptions' fields and their flags, in the mask's order."""
INTERVALS = {
    "initial_interval": ("retry_initial_interval", "--retry-initial-interval"),
    "maximum_interval": ("retry_maximum_interval", "--retry-maximum-interval"),
}
"""`update-options`' retry intervals: RetryPolicy's fields, their option names and flags."""


def options_and_mask(
    durations: dict[str, datetime.timedelta | None],
    backoff_coefficient: float | None,
    maximum_attempts: int | None,
    task_queue: str | None,
    restore_original_options: bool,
) -> tuple[ActivityOptions, list[str]]:
    """The ActivityOptions `update-options` sends and the mask naming the fields given
    (``durations`` by option name: the timeouts' fields and the intervals' option names, as
    parsed); a ValueError says what the app refuses."""
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.activity.v1 import ActivityOptions

    def duration(value: datetime.timedelta) -> Duration:
        made = Duration()
        made.FromTimedelta(value)
        return made

    options = ActivityOptions()
    paths: list[str] = []
    for field in TIMEOUTS:
        given = durations.get(field)
        if given is not None:
            getattr(options, field).CopyFrom(duration(given))
            paths.append(field)
    for field, (name, _) in INTERVALS.items():
        given = durations.get(name)
        if given is not None:
            getattr(options.retry_policy, field).CopyFrom(duration(given))
            paths.append(f"retry_policy.{field}")
    if backoff_coefficient is not None:
        if backoff_coefficient < 1:
            raise ValueError("--retry-backoff-coefficient must be 1 or larger")
        options.retry_policy.backoff_coefficient = backoff_coefficient
        paths.append("retry_policy.backoff_coefficient")
    if maximum_attempts is not None:
        if maximum_attempts < 0:
            raise ValueError("--retry-maximum-attempts must be 0 (unlimited) or more")
        options.retry_policy.maximum_attempts = maximum_attempts
        paths.append("retry_policy.maximum_attempts")
    if task_queue is not None:
        if not task_queue:
            raise ValueError("--task-queue must not be empty")
        options.task_queue.name = task_queue
        paths.append("task_queue.name")
    if restore_original_options and paths:
        raise ValueError("--restore-original-options cannot be combined with options to change")
    if not restore_original_options and not paths:
        raise ValueError("give at least one option to change, or --restore-original-options")
    return options, paths


def update_options_request(
    namespace: str,
    identity: str,
    workflow_id: str,
    run_id: str | None,
    activity_id: str,
    options: ActivityOptions,
    paths: list[str],
    restore_original_options: bool,
) -> UpdateActivityOptionsRequest:
    """`tempo activity update-options`' request: only the fields the mask names."""
    from google.protobuf.field_mask_pb2 import FieldMask
    from temporalio.api.workflowservice.v1.request_response_pb2 import UpdateActivityOptionsRequest

    request = UpdateActivityOptionsRequest(
        namespace=namespace,
        execution=_execution(workflow_id, run_id),
        id=activity_id,
        identity=identity,
        restore_original=restore_original_options,
    )
    if paths:
        request.activity_options.CopyFrom(options)
        request.update_mask.CopyFrom(FieldMask(paths=paths))
    return request


def options_table(options: ActivityOptions) -> Rows:
    """`update-options`' table: the activity's options as the server answers them."""
    from tempo_cli._render_text import key_value_table

    retry = options.retry_policy
    return key_value_table(
        [
            ("TaskQueue", options.task_queue.name),
            ("ScheduleToCloseTimeout", _seconds(options.schedule_to_close_timeout)),
            ("ScheduleToStartTimeout", _seconds(options.schedule_to_start_timeout)),
            ("StartToCloseTimeout", _seconds(options.start_to_close_timeout)),
            ("HeartbeatTimeout", _seconds(options.heartbeat_timeout)),
            ("RetryInitialInterval", _seconds(retry.initial_interval)),
            ("RetryBackoffCoefficient", retry.backoff_coefficient or None),
            ("RetryMaximumInterval", _seconds(retry.maximum_interval)),
            ("RetryMaximumAttempts", retry.maximum_attempts),
        ]
    )


def _seconds(duration: Duration) -> str:
    return f"{duration.ToTimedelta().total_seconds():g}s"


def done_message(done: str, workflow_id: str, activity_id: str) -> str:
    """What the app says on stderr once a write is made ("Paused", "Reset", ...)."""
    return f"{done} activity {activity_id} of workflow {workflow_id}."


def updated_message(workflow_id: str, activity_id: str) -> str:
    """What the app says on stderr once `update-options` is made, before the table."""
    return f"Updated the options of activity {activity_id} of workflow {workflow_id}."


def refusal(code: str, message: str, namespace: str, workflow_id: str, activity_id: str) -> str:
    """The server's refusal (a status code's name other than UNAVAILABLE, and its message) as
    the app's one-line error about this workflow and activity."""
    if code == "NOT_FOUND":
        if "workflow not found" in message or "workflow execution not found" in message:
            from tempo_cli._lean_errors import not_found_words

            return not_found_words(message, workflow_id, namespace)
        if "already completed" in message and "workflow" in message:
            return f"workflow {workflow_id!r} is already closed"
        if "namespace" in message.lower():
            return f"namespace {namespace!r} not found"
        if "activity" in message.lower():
            return f"activity {activity_id!r} is not pending in workflow {workflow_id!r} ({message})"
    if code == "FAILED_PRECONDITION" and "already paused" in message:
        return f"activity {activity_id!r} of workflow {workflow_id!r} is already paused"
    return f"server refused the request ({code}): {message}"


NO_RUNNING_ATTEMPT = "invalid activityID or activity already timed out or invoking workflow is completed"
"""What the server answers (NOT_FOUND) when an activity it knows is not running an attempt
that the request could act on: e.g. a scheduled activity no worker has started, or a paused
one. `describe` still lists it as pending, so the plain words would mislead."""

# PendingActivityState's values (temporalio.api.enums.v1) and how the app words them.
_STATE_WORDS = {
    1: "scheduled but not started (no worker has picked it up)",  # SCHEDULED
    4: "paused, with no attempt running",  # PAUSED
    5: "being paused",  # PAUSE_REQUESTED
    3: "being canceled",  # CANCEL_REQUESTED
}


def not_running(pending_activities: Any, workflow_id: str, activity_id: str, verb: str) -> str | None:
    """Why an activity the server knows cannot be ``verb`` now (its state, from the workflow's
    ``pending_activities`` as describe shows them); None when it is not among them."""
    pending = next((a for a in pending_activities if a.activity_id == activity_id), None)
    if pending is None:
        return None
    state = _STATE_WORDS.get(int(pending.state), "not running an attempt")
    return f"activity {activity_id!r} of workflow {workflow_id!r} is {state}, so it cannot be {verb} yet"


# ---------------------------------------------------------------- the lean path

_ONE = {
    "--workflow-id": ("workflow_id", "str"),
    "-w": ("workflow_id", "str"),
    "--activity-id": ("activity_id", "str"),
    "-a": ("activity_id", "str"),
    "--run-id": ("run_id", "str"),
    "-r": ("run_id", "str"),
}
_IDENTITY = {"--identity": ("identity", "str")}
_JITTER = {"--jitter": ("jitter", "str")}
_RESTORE = {"--restore-original-options": ("restore_original_options", "flag")}
# Each command's options, as `tempo_cli.activity` declares them (`_fast_commands.plain_words`'
# form), less the batch form's and --headers.
_OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "pause": {**_ONE, "--reason": ("reason", "str"), **_IDENTITY},
    "unpause": {
        **_ONE,
        **_JITTER,
        "--reset-attempts": ("reset_attempts", "flag"),
        "--reset-heartbeats": ("reset_heartbeats", "flag"),
        **_IDENTITY,
    },
    "reset": {
        **_ONE,
        **_JITTER,
        "--keep-paused": ("keep_paused", "flag"),
        "--clear-heartbeat-details": ("clear_heartbeat_details", "flag"),
        **_RESTORE,
        **_IDENTITY,
    },
    "complete": {**_ONE, "--result": ("result", "str"), **_IDENTITY},
    "fail": {**_ONE, "--reason": ("reason", "str"), "--detail": ("detail", "str"), **_IDENTITY},
    "update-options": {
        **_ONE,
        "--task-queue": ("task_queue", "str"),
        **{flag: (field, "str") for field, flag in TIMEOUTS.items()},
        **{flag: (name, "str") for name, flag in INTERVALS.values()},
        "--retry-backoff-coefficient": ("retry_backoff_coefficient", "str"),
        "--retry-maximum-attempts": ("retry_maximum_attempts", "str"),
        **_RESTORE,
    },
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    **{command: ("workflow_id", "activity_id") for command in _OPTIONS},
    "complete": ("workflow_id", "activity_id", "result"),
}
# What each write (but update-options) is called in the app's message ("Paused activity ...").
_DONE = {"pause": "Paused", "unpause": "Unpaused", "reset": "Reset", "complete": "Completed", "fail": "Failed"}


class _Failed(Exception):
    """A write the server refused: the app's one-line error (the command ends with it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Call:
    """One command line's write: its request (made once the namespace is known), the answer
    it prints, and how the app asks about a failure."""

    def __init__(self, command: str, values: dict[str, Any], output: str) -> None:
        self.command = command
        self.values = values
        self.output = output
        """"text", "json" or "jsonl"."""
        self.workflow_id: str = values["workflow_id"]
        self.activity_id: str = values["activity_id"]
        self.run_id: str | None = values.get("run_id")
        self.jitter: Duration | None = None
        self.options: Any = None  # update-options' ActivityOptions and mask
        self.paths: list[str] = []

    def checked(self) -> bool:
        """Whether this path reads every option's value as the app does, and the app takes
        them all (else its message is the app's to print): checked before connecting."""
        values = self.values
        try:
            if "jitter" in values:
                self.jitter = _jitter(values["jitter"])
            for name in ("result", "detail"):
                if name in values:
                    json.loads(values[name])
            if self.command == "update-options":
                self.options, self.paths = options_and_mask(
                    {name: _duration(values.get(name)) for name in _DURATION_NAMES},
                    _number(values.get("retry_backoff_coefficient"), float),
                    _number(values.get("retry_maximum_attempts"), int),
                    values.get("task_queue"),
                    values.get("restore_original_options", False),
                )
        except Exception:  # GiveWay, the app's refusal (ValueError), a value Python cannot take
            return False
        return True

    def request(self, namespace: str) -> Message:
        from sdk._request_id import request_id

        values, ids = self.values, (self.workflow_id, self.run_id, self.activity_id)
        identity = values.get("identity") or _identity()
        if self.command == "pause":
            return pause_request(namespace, identity, *ids, values.get("reason", ""), request_id())
        if self.command == "unpause":
            resets = values.get("reset_attempts", False), values.get("reset_heartbeats", False)
            return unpause_request(namespace, identity, *ids, *resets, self.jitter)
        if self.command == "reset":
            flags = (
                values.get("keep_paused", False),
                values.get("clear_heartbeat_details", False),
                values.get("restore_original_options", False),
            )
            return reset_request(namespace, identity, *ids, *flags, self.jitter)
        if self.command == "complete":
            return complete_request(namespace, identity, *ids, values["result"])
        if self.command == "fail":
            return fail_request(namespace, identity, *ids, values.get("reason", ""), values.get("detail"))
        restore = values.get("restore_original_options", False)
        return update_options_request(namespace, _identity(), *ids, self.options, self.paths, restore)

    def document(self) -> dict[str, Any]:
        """The JSON the app prints once a write (other than update-options) is made."""
        done = {
            "pause": {"paused": True},
            "unpause": {"paused": False},
            "reset": {"reset": True},
            "complete": {"result": json.loads(self.values.get("result", "null"))},
            "fail": {"failure": self.values.get("reason", "")},
        }[self.command]
        return {"workflowId": self.workflow_id, "activityId": self.activity_id, **done}

    def message(self) -> str:
        """What the app says on stderr once the write is made."""
        if self.command == "update-options":
            return updated_message(self.workflow_id, self.activity_id)
        return done_message(_DONE[self.command], self.workflow_id, self.activity_id)

    def refused(self, session: Session, failed: CallFailed) -> str:
        """The app's error for the failed write (`_activity_commands._run` and `_explain`)."""
        from tempo_wire.status import StatusCode

        code = next((c.name for c in StatusCode if c.value[0] == failed.status), "UNKNOWN")
        message = failed.details() or ""
        if code == "UNAVAILABLE":
            from sdk.exceptions import ServerUnreachableError

            return str(ServerUnreachableError(session.address))
        if code == "NOT_FOUND" and message == NO_RUNNING_ATTEMPT and self.command in _DONE:
            # The app describes the run the request named for complete and fail; the latest
            # run for the others (their `_run` is given no run id).
            run_id = self.run_id if self.command in ("complete", "fail") else None
            why = self._not_running(session, run_id)
            if why is not None:
                return why
        return refusal(code, message, session.namespace, self.workflow_id, self.activity_id)

    def _not_running(self, session: Session, run_id: str | None) -> str | None:
        from temporalio.api.workflowservice.v1.request_response_pb2 import (
            DescribeWorkflowExecutionRequest,
            DescribeWorkflowExecutionResponse,
        )

        request = DescribeWorkflowExecutionRequest(
            namespace=session.namespace, execution=_execution(self.workflow_id, run_id)
        )
        try:
            described = session.read("DescribeWorkflowExecution", request, DescribeWorkflowExecutionResponse)
        except GiveWay:
            return None  # as the app, when its describe fails: the server's words
        verb = _DONE[self.command].lower()
        return not_running(described.pending_activities, self.workflow_id, self.activity_id, verb)


_DURATION_NAMES = (*TIMEOUTS, *(name for name, _ in INTERVALS.values()))


def run(argv: list[str]) -> bool:
    """Run `tempo activity pause|unpause|reset|complete|fail|update-options ...` (``argv``: the
    words after `activity`) if it is this path's; False when the app must (then nothing was
    sent or printed)."""
    from tempo_cli._fast_commands import plain_words
    from tempo_cli._lean_session import json_connection, plain_connection

    words = plain_words(argv, _OPTIONS, _REQUIRED)
    if words is None:
        return False
    command, values = words
    output = values.get("output", "text")
    if output == "text":
        screen = plain_connection(values, terminal=True)
    else:
        json_output = json_connection(values)
        screen, output = (None, output) if json_output is None else (Screen(), json_output)
    if screen is None:
        return False
    call = _Call(command, values, output)
    if not call.checked():
        return False
    try:
        return answer(lambda session: _write(session, call), values, screen, _ActivitySession)
    except _Failed as failed:
        _abort(values, failed.message)


class _ActivitySession(Session):
    """The lean session, whose write is made once, as the app makes it (it calls the service
    stub itself, without the SDK connection's retries); a failure is this path's to word, so
    the write goes over the session's own connection (`Session._open`, `Session._unary`)
    rather than through `Session.send`, which hands a failed write to the SDK's connection."""

    def write(self, method: str, request: Message, response_type: type[Any]) -> Any:
        """The answer of the write; a failed call raises ``CallFailed`` (after GetSystemInfo,
        which gives way if it fails: then nothing was sent)."""
        self._open()
        self.sent = True
        return response_type.FromString(self._unary(WORKFLOW_SERVICE, method, request, RPC_TIMEOUT))


_METHODS = {
    "pause": "PauseActivity",
    "unpause": "UnpauseActivity",
    "reset": "ResetActivity",
    "complete": "RespondActivityTaskCompletedById",
    "fail": "RespondActivityTaskFailedById",
    "update-options": "UpdateActivityOptions",
}


def _write(session: Session, call: _Call) -> Answer:
    """Make the call's write and say what the app says; raises :class:`_Failed` with the app's
    error when the server refuses it."""
    from temporalio.api.workflowservice.v1 import request_response_pb2

    from sdk._h2_channel import CallFailed

    assert isinstance(session, _ActivitySession)
    answered = Answer(session.screen)
    text = call.output == "text"
    if text:
        answered.info(call.message())  # before the write: a message Rich would wrap gives way
    method = _METHODS[call.command]
    request = call.request(session.namespace)
    try:
        response = session.write(method, request, getattr(request_response_pb2, f"{method}Response"))
    except CallFailed as failed:
        raise _Failed(call.refused(session, failed)) from None
    if call.command != "update-options":
        if not text:
            answered.line(_dumps(call.document(), call.output))
        return answered
    if not text:
        from tempo_cli._render_json import proto_json

        answered.line(_dumps({"activityOptions": proto_json(response.activity_options)}, call.output))
        return answered
    # The app says the message before it prints the table: on a terminal, or with both
    # streams in one file, the message comes first.
    sys.stderr.write("".join(line + "\n" for line in answered.err))
    sys.stderr.flush()
    answered.err.clear()
    table = options_table(response.activity_options)
    try:
        answered.lines(table)
    except GiveWay:  # Rich fits the table to the terminal: the write is made, so Rich prints it
        from tempo_cli._cli import CliContext, Color, GlobalOptions

        CliContext(GlobalOptions(color=Color(call.values.get("color", "auto")))).print_table(table)
    return answered


def _dumps(value: Any, output: str) -> str:
    """A JSON document as `CliContext.write_json` writes it: one line for jsonl, else indented."""
    if output == "jsonl":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(value, indent=2, ensure_ascii=False)


def _abort(values: dict[str, Any], message: str) -> NoReturn:
    """``error: message`` on stderr and exit 1, as `CliContext.abort` prints it: as is to a
    pipe or a file; through Rich (bold red) on a terminal or with colours forced."""
    color = values.get("color", "auto")
    if color != "always" and os.environ.get("TTY_COMPATIBLE") != "1" and not os.environ.get("FORCE_COLOR"):
        try:
            plain = not sys.stderr.isatty()
        except ValueError:  # closed: the app hands it to Rich
            plain = False
        if plain:
            sys.stderr.write(f"error: {message}\n")
            sys.stderr.flush()
            raise SystemExit(1)
    from tempo_cli._cli import CliContext, Color, GlobalOptions

    CliContext(GlobalOptions(color=Color(color))).abort(message)


def _identity() -> str:
    import socket

    return f"{os.getpid()}@{socket.gethostname()}"  # the SDK's client's default (`client.identity`)


# ---------------------------------------------------------------- values as the app reads them

_ZERO_JITTER = r"(0+(\.0*)?(ns|us|ms|s|m|h)?)+"  # tempo_cli._activity_batch's: `temporal`'s default


def _duration(text: str | None) -> datetime.timedelta | None:
    """A duration option's value as `parse_duration` reads it; gives way for one it refuses."""
    import datetime

    from tempo_cli._durations import duration_seconds

    if text is None:
        return None
    seconds = duration_seconds(text)
    if seconds is None or not seconds > 0:
        raise GiveWay
    return datetime.timedelta(seconds=seconds)


def _jitter(text: str) -> Duration | None:
    """--jitter as `_activity_batch.jitter_of` reads it: None for a zero (`temporal`'s default)."""
    import re

    from google.protobuf.duration_pb2 import Duration

    if re.fullmatch(_ZERO_JITTER, text.strip()):
        return None
    delay = _duration(text)
    assert delay is not None
    duration = Duration()
    duration.FromTimedelta(delay)
    return duration


def _number(text: str | None, kind: type[float] | type[int]) -> Any:
    """A number option's plain value (digits, for a float with a fraction); gives way for any
    other form, whose reading is Click's."""
    if text is None:
        return None
    digits = text.split(".", 1) if kind is float else [text]
    if not all(part.isascii() and part.isdigit() for part in digits):
        raise GiveWay
    return kind(text)
