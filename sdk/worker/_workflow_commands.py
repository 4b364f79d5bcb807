"""The commands that close a workflow run, built in one place.

A run closes by completing, failing (its run method, or a signal or update handler, raised a
failure), being cancelled, or continuing as new; the server must see the close command last.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.failure.v1 import message_pb2 as failure_pb

from sdk.exceptions import ActivityError, CancelledError, ChildWorkflowError

CommandType = command_type_pb2.CommandType

CLOSE_COMMANDS = frozenset(
    {
        CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
        CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
    }
)


def complete_workflow(result: Sequence[common.Payload]) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        complete_workflow_execution_command_attributes=command_pb.CompleteWorkflowExecutionCommandAttributes(
            result=common.Payloads(payloads=result)
        ),
    )


def fail_workflow(failure: failure_pb.Failure) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        fail_workflow_execution_command_attributes=command_pb.FailWorkflowExecutionCommandAttributes(failure=failure),
    )


def cancel_workflow() -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
        cancel_workflow_execution_command_attributes=command_pb.CancelWorkflowExecutionCommandAttributes(),
    )


def continue_as_new(attrs: command_pb.ContinueAsNewWorkflowExecutionCommandAttributes) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continue_as_new_workflow_execution_command_attributes=attrs,
    )


def close_last(commands: list[command_pb.Command]) -> tuple[list[command_pb.Command], bool]:
    """The commands with the first close command moved last (later ones dropped), and whether
    there was one."""
    closing = [c for c in commands if c.command_type in CLOSE_COMMANDS]
    return [c for c in commands if c.command_type not in CLOSE_COMMANDS] + closing[:1], bool(closing)


def is_cancellation(exc: BaseException) -> bool:
    """Whether ``exc`` says something was cancelled, as the official SDK decides it."""
    if isinstance(exc, asyncio.CancelledError | CancelledError):
        return True
    return isinstance(exc, ActivityError | ChildWorkflowError) and isinstance(exc.cause, CancelledError)
