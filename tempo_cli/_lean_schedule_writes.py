"""The lean path of the `tempo schedule` writes: `trigger`, `toggle --pause|--unpause` and
`delete`, as `tempo` runs them when their answer goes to a pipe, a file or a terminal.

Why: these went through the Typer app (`tempo_cli.schedule`, `_schedule_commands`), which
loads Typer, `_cli`, the connection's settings and the SDK's client to make one call: about
2.7-2.9 times the wall time of `temporal schedule trigger`. Here the call is made over the
blocking transport (`_lean_session`), with the very request the app makes
(`_schedule_commands.patch_schedule` and `delete_schedule`: the same fields, a request id made
as ``str(uuid.uuid4())``, the SDK client's default identity), and the app's message goes to
stderr (`CliContext.info`): "Trigger request sent", "Schedule deleted", nothing for a toggle.

When: text output over a plain connection (`_lean_session.plain_connection`: to a pipe or a
file, or to a terminal where Rich prints the app's one-line message as it is), and only the
options below. Anything else gives way before anything is sent or printed, and the app
answers: JSON output, colours forced, a terminal too narrow for the message, an overlap policy
the app refuses, a toggle without exactly one of --pause and --unpause, an empty schedule id,
a server that does not answer GetSystemInfo.

A write the server refused for good (an unknown schedule or namespace: `_lean_errors.CERTAIN`)
ends with the app's error, worded as `_schedule_commands._call` words it ("schedule not
found"): the app makes one attempt, so making it again could only say the same. Any other
failure (a server gone mid-call) is not made again with a new request id: the very request
goes to the SDK's connection through the app's own call (`_schedule_commands._call`), which
words the error as the app does.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tempo_cli._lean_session import Answer, GiveWay, Session, answer, plain_connection

if TYPE_CHECKING:
    from google.protobuf.message import Message

_SCHEDULE_ID = {"--schedule-id": ("schedule_id", "str"), "-s": ("schedule_id", "str")}
# Each command's options, as `tempo_cli.schedule` declares them (`_fast_commands.plain_words`' form).
_OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "trigger": {**_SCHEDULE_ID, "--overlap-policy": ("overlap_policy", "str")},
    "toggle": {
        **_SCHEDULE_ID,
        "--pause": ("pause", "flag"),
        "--unpause": ("unpause", "flag"),
        "--reason": ("reason", "str"),
    },
    "delete": _SCHEDULE_ID,
}
_REQUIRED: dict[str, tuple[str, ...]] = {command: ("schedule_id",) for command in _OPTIONS}

# `--overlap-policy` names (`_schedule_commands.OVERLAP_POLICIES`) and their enum values'
# names in ScheduleOverlapPolicy: the app's table loads the app's module (Typer's context).
_POLICIES = {
    "Skip": "SCHEDULE_OVERLAP_POLICY_SKIP",
    "BufferOne": "SCHEDULE_OVERLAP_POLICY_BUFFER_ONE",
    "BufferAll": "SCHEDULE_OVERLAP_POLICY_BUFFER_ALL",
    "CancelOther": "SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER",
    "TerminateOther": "SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER",
    "AllowAll": "SCHEDULE_OVERLAP_POLICY_ALLOW_ALL",
}
_NO_REASON = "(no reason provided)"  # `tempo schedule toggle --reason`'s default (tempo_cli.schedule)


def run(argv: list[str]) -> bool:
    """Run `tempo schedule trigger|toggle|delete ...` (``argv``: the words after `schedule`)
    if it is this path's; False when another path must (then nothing was sent or printed)."""
    from tempo_cli._fast_commands import plain_words

    words = plain_words(argv, _OPTIONS, _REQUIRED)
    if words is None:
        return False
    command, values = words
    if not values["schedule_id"]:
        return False  # the server refuses it: the app words its error
    # On a terminal too: a write's answer is one message with no style, which Rich prints as
    # it is when it fits the width; each command checks that before its call is made.
    screen = plain_connection(values, terminal=True)
    if screen is None:
        return False
    from tempo_cli._lean_errors import schedule_words

    work = _COMMANDS[command]
    return answer(lambda session: work(session, values), values, screen, _ScheduleSession, schedule_words)


class _ScheduleSession(Session):
    """The lean session, whose failed write goes again as the app makes it."""

    def _send_again(self, method: str, request: Message, workflow_id: str) -> Any:
        """The very ``request`` through the SDK's connection, by the app's own call
        (`_schedule_commands._call`): its one attempt, and its error's words (NOT_FOUND is
        "schedule not found", not a workflow's), as `CliContext.run` ends with them."""
        from tempo_cli._cli import CliContext, GlobalOptions
        from tempo_cli._schedule_commands import _call

        cli = CliContext(GlobalOptions(address=self.address, namespace=self.namespace), blocking_calls=True)
        return cli.run(lambda client: _call(client, getattr(client.service, method), request))


def _identity() -> str:
    import socket

    return f"{os.getpid()}@{socket.gethostname()}"  # the SDK's client's default (`client.identity`)


def _said(session: Session, message: str) -> Answer:
    """The answer that says ``message`` on stderr once the write is made (`CliContext.info`);
    made before the write, so that one Rich would wrap on a terminal gives way while it can."""
    answered = Answer(session.screen)
    answered.info(message)
    return answered


def _patch(session: Session, values: dict[str, Any], patch: Message) -> None:
    """PatchSchedule as `_schedule_commands.patch_schedule` asks it."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import PatchScheduleRequest, PatchScheduleResponse

    from sdk._request_id import request_id

    request = PatchScheduleRequest(
        namespace=session.namespace,
        schedule_id=values["schedule_id"],
        patch=patch,  # type: ignore[arg-type]
        identity=_identity(),
        request_id=request_id(),
    )
    session.send("PatchSchedule", request, PatchScheduleResponse, "")


def _trigger(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo schedule trigger` (`_schedule_commands.trigger`): one action now."""
    from temporalio.api.enums.v1 import ScheduleOverlapPolicy
    from temporalio.api.schedule.v1 import SchedulePatch, TriggerImmediatelyRequest

    name = values.get("overlap_policy")
    if name is not None and name not in _POLICIES:
        raise GiveWay  # the app's message lists the policies
    policy = 0 if name is None else ScheduleOverlapPolicy.Value(_POLICIES[name])
    patch = SchedulePatch(trigger_immediately=TriggerImmediatelyRequest(overlap_policy=policy))  # type: ignore[arg-type]
    answered = _said(session, "Trigger request sent")
    _patch(session, values, patch)
    return answered


def _toggle(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo schedule toggle --pause|--unpause [--reason]` (`_schedule_commands.toggle`):
    the reason is the schedule's notes; the app prints nothing."""
    from temporalio.api.schedule.v1 import SchedulePatch

    pause, unpause = values.get("pause", False), values.get("unpause", False)
    if pause == unpause:
        raise GiveWay  # the app's error: give exactly one of them
    reason = values.get("reason", _NO_REASON)
    _patch(session, values, SchedulePatch(pause=reason) if pause else SchedulePatch(unpause=reason))
    return Answer(session.screen)


def _delete(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo schedule delete` (`_schedule_commands.delete_schedule`: no request id)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import DeleteScheduleRequest, DeleteScheduleResponse

    request = DeleteScheduleRequest(
        namespace=session.namespace, schedule_id=values["schedule_id"], identity=_identity()
    )
    answered = _said(session, "Schedule deleted")
    session.send("DeleteSchedule", request, DeleteScheduleResponse, "")
    return answered


_COMMANDS: dict[str, Callable[[Session, dict[str, Any]], Answer]] = {
    "trigger": _trigger,
    "toggle": _toggle,
    "delete": _delete,
}
