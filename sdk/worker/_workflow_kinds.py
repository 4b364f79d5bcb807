"""What a workflow's definition says about its run arguments and its failures: dynamic
workflows get their arguments undecoded, and ``failure_exception_types`` (of the class and of
the worker) fail the workflow (or the update) instead of its workflow task."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.failure.v1 import message_pb2 as failure_pb

from sdk._workflow_definitions import _Definition
from sdk._workflow_handlers import RawValue
from sdk.converter import DataConverter


def run_arguments(
    definition: _Definition, converter: DataConverter, payloads: Sequence[common.Payload], hints: Any
) -> list[Any]:
    """The arguments of the ``run`` method: decoded, or for a dynamic workflow one
    ``Sequence[RawValue]`` it decodes itself."""
    if definition.dynamic:
        return [[RawValue(p) for p in payloads]]
    return converter.from_payloads(list(payloads), hints)


def fails_workflow(definition: _Definition, exc: BaseException) -> bool:
    """Whether ``exc`` raised by workflow code (other than a ``FailureError``) fails the
    workflow, or an update, rather than the workflow task: a ``TimeoutError`` (as
    ``asyncio.wait_for`` raises) does, as in the official SDK, and so do the failure types."""
    return isinstance(exc, (TimeoutError, *definition.failure_exception_types))


def with_worker_failure_types(definition: _Definition, types: Sequence[type[BaseException]]) -> _Definition:
    """The definition as one worker runs it: its own failure types and the worker's."""
    if not types:
        return definition
    return dataclasses.replace(definition, failure_exception_types=(*definition.failure_exception_types, *tuple(types)))


def nondeterminism_failure(err: BaseException) -> command_pb.Command:
    """The command that fails a workflow whose replay went astray, when its failure exception
    types include ``NondeterminismError`` (or a base of it): the official SDK's core records
    the message alone, in an application failure without a type."""
    return command_pb.Command(
        command_type=command_type_pb2.CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        fail_workflow_execution_command_attributes=command_pb.FailWorkflowExecutionCommandAttributes(
            failure=failure_pb.Failure(message=str(err), application_failure_info=failure_pb.ApplicationFailureInfo())
        ),
    )
