"""Workflow updates in a workflow task and in history.

A live workflow task carries each new update as a protocol message holding an
``update.v1.Request``; the worker answers with messages (Acceptance, Rejection,
Response), each of the first and last paired with a ``PROTOCOL_MESSAGE`` command that
fixes where its event goes among the task's other commands. A rejection writes
nothing. History records an accepted update as ``WorkflowExecutionUpdateAccepted``
(with the request) after the task that accepted it, and its answer as
``WorkflowExecutionUpdateCompleted``; on replay the accepted event hands the update to
that task's activation again, without its validator (as the official SDK's core does).
An update reapplied by a reset arrives as ``WorkflowExecutionUpdateAdmitted`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf import any_pb2
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb
from temporalio.api.update.v1 import message_pb2 as update_pb

EventType = event_type_pb2.EventType
CommandType = command_type_pb2.CommandType

UPDATE_COMMAND_EVENTS = frozenset(
    {EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED}
)
"""Events written for a ``PROTOCOL_MESSAGE`` command."""

_ACCEPT = "accept"
_COMPLETE = "complete"
_REJECT = "reject"


@dataclass(frozen=True)
class DoUpdate:
    """Run an update's validator (live tasks only) and handler.

    Attributes:
        update_id: The update's ID (also the protocol instance ID of its messages).
        name: The update's name.
        args: Its arguments.
        request: The request, echoed in the acceptance.
        message_id: ID of the message (or event) that brought the request.
        sequencing_event_id: The event the request is sequenced after.
    """

    update_id: str
    name: str
    args: Sequence[common.Payload]
    request: update_pb.Request
    message_id: str
    sequencing_event_id: int


def _job(request: update_pb.Request, message_id: str, sequencing_event_id: int) -> DoUpdate:
    return DoUpdate(
        request.meta.update_id,
        request.input.name,
        list(request.input.args.payloads),
        request,
        message_id,
        sequencing_event_id,
    )


def jobs_from_messages(messages: Sequence[protocol_pb.Message]) -> list[DoUpdate]:
    """The update requests among a polled task's messages, in order."""
    jobs = []
    for message in messages:
        request = update_pb.Request()
        if message.body.Unpack(request):
            jobs.append(_job(request, message.id, message.event_id))
    return jobs


class UpdateSteps:
    """Finds the updates a history gives to each workflow task, each once."""

    def __init__(self) -> None:
        self._delivered: set[str] = set()

    def admitted(self, event: history.HistoryEvent) -> DoUpdate | None:
        """The update an ``UpdateAdmitted`` event brings (a job of the next task)."""
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED:
            return None
        request = event.workflow_execution_update_admitted_event_attributes.request
        return self._once(_job(request, f"{request.meta.update_id}/request", event.event_id))

    def accepted_by_task(self, events: Sequence[history.HistoryEvent], started: int) -> list[DoUpdate]:
        """The updates the completed task started at ``events[started]`` accepted, from the
        accepted events its commands wrote (the requests they carry)."""
        jobs = []
        for event in events[started + 1 :]:
            if event.event_type in (
                EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            ):
                break
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                continue
            attrs = event.workflow_execution_update_accepted_event_attributes
            if not attrs.HasField("accepted_request"):
                continue  # admitted by an event, delivered from there
            job = self._once(
                _job(
                    attrs.accepted_request,
                    attrs.accepted_request_message_id,
                    attrs.accepted_request_sequencing_event_id,
                )
            )
            if job is not None:
                jobs.append(job)
        return jobs

    def _once(self, job: DoUpdate) -> DoUpdate | None:
        if job.update_id in self._delivered:
            return None
        self._delivered.add(job.update_id)
        return job


# --- the worker's answers ----------------------------------------------------------------


def _message(job: DoUpdate, kind: str, body_message: object) -> protocol_pb.Message:
    # Named after the request's message ("<update id>/request/accept"), as the official SDK names them.
    body = any_pb2.Any()
    body.Pack(body_message)  # type: ignore[arg-type]
    return protocol_pb.Message(id=f"{job.message_id}/{kind}", protocol_instance_id=job.update_id, body=body)


def _command(message: protocol_pb.Message) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
        protocol_message_command_attributes=command_pb.ProtocolMessageCommandAttributes(message_id=message.id),
    )


def acceptance(job: DoUpdate) -> tuple[protocol_pb.Message, command_pb.Command]:
    message = _message(
        job,
        _ACCEPT,
        update_pb.Acceptance(
            accepted_request_message_id=job.message_id,
            accepted_request_sequencing_event_id=job.sequencing_event_id,
            accepted_request=job.request,
        ),
    )
    return message, _command(message)


def rejection(job: DoUpdate, failure: object) -> protocol_pb.Message:
    return _message(
        job,
        _REJECT,
        update_pb.Rejection(
            rejected_request_message_id=job.message_id,
            rejected_request_sequencing_event_id=job.sequencing_event_id,
            rejected_request=job.request,
            failure=failure,  # type: ignore[arg-type]
        ),
    )


def response(job: DoUpdate, outcome: update_pb.Outcome) -> tuple[protocol_pb.Message, command_pb.Command]:
    message = _message(job, _COMPLETE, update_pb.Response(meta=job.request.meta, outcome=outcome))
    return message, _command(message)


# --- replay checks -----------------------------------------------------------------------


def _split(command: command_pb.Command) -> tuple[str, str]:
    """The request's message ID (it starts with the update ID) and the kind of answer."""
    request_message_id, _, kind = command.protocol_message_command_attributes.message_id.rpartition("/")
    return request_message_id, kind


def match_update_command(command: command_pb.Command, event: history.HistoryEvent) -> bool:
    """Whether a ``PROTOCOL_MESSAGE`` command is the one that wrote ``event``."""
    request_message_id, kind = _split(command)
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        update_id = event.workflow_execution_update_accepted_event_attributes.protocol_instance_id
        wanted = _ACCEPT
    elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
        update_id = event.workflow_execution_update_completed_event_attributes.meta.update_id
        wanted = _COMPLETE
    else:
        return False
    return kind == wanted and (request_message_id == update_id or request_message_id.startswith(f"{update_id}/"))


def update_command_detail(command: command_pb.Command) -> str:
    request_message_id, kind = _split(command)
    return f" {kind} request={request_message_id!r}"


def update_event_detail(event: history.HistoryEvent) -> str:
    if event.HasField("workflow_execution_update_accepted_event_attributes"):
        return f" update_id={event.workflow_execution_update_accepted_event_attributes.protocol_instance_id!r}"
    if event.HasField("workflow_execution_update_completed_event_attributes"):
        return f" update_id={event.workflow_execution_update_completed_event_attributes.meta.update_id!r}"
    return ""
