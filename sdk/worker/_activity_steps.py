"""A workflow instance's activities: ScheduleActivityTask commands, their results and
their cancellation.

An activity is numbered (``seq``, sent as its ``activity_id``) when it is scheduled;
the history translator maps the server's events back to that number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue

from sdk._client_types import to_duration
from sdk._workflow_options import ActivityCancellationType, ActivityOptions
from sdk.exceptions import ActivityError, CancelledError, RetryState
from sdk.worker import _history as h

if TYPE_CHECKING:
    from sdk.worker._workflow_instance import WorkflowInstance

CommandType = command_type_pb2.CommandType


class ActivityFuture(asyncio.Future[Any]):
    """The result of an activity; cancelling it does what its cancellation type says."""

    def __init__(
        self,
        seq: int,
        activity_type: str,
        cancellation_type: ActivityCancellationType,
        steps: Activities,
    ) -> None:
        super().__init__(loop=steps.instance)
        self.seq = seq
        self.activity_type = activity_type
        self.cancellation_type = cancellation_type
        self.cancel_requested = False
        self._steps = steps

    def cancel(self, msg: Any = None) -> bool:
        if self.done():
            return False
        if self._steps.instance._disposing:
            return super().cancel(msg)
        self._steps.cancel(self)
        return True


class Activities:
    """The activities of one workflow instance."""

    def __init__(self, instance: WorkflowInstance) -> None:
        self.instance = instance
        self.scheduled: Mapping[int, int] = {}
        """Activity number -> its ActivityTaskScheduled event ID, from the activation."""
        self._waiting: dict[int, tuple[ActivityFuture, Any]] = {}

    def start(
        self,
        activity: str,
        args: Sequence[Any],
        options: ActivityOptions,
        result_type: Any,
        headers: Mapping[str, common.Payload] | None = None,
    ) -> ActivityFuture:
        instance = self.instance
        instance._no_commands_in_queries("start activities")
        payloads = []
        for index, arg in enumerate(args):
            try:
                payloads.append(instance._converter.to_payload(arg))
            except Exception as err:
                raise TypeError(f"argument {index} of activity {activity!r}: {err}") from err
        seq = instance._seq("activity")
        attrs = command_pb.ScheduleActivityTaskCommandAttributes(
            activity_id=str(seq),
            activity_type=common.ActivityType(name=activity),
            task_queue=taskqueue.TaskQueue(name=options.task_queue or instance._task_queue),
            input=common.Payloads(payloads=payloads),
            schedule_to_close_timeout=to_duration(options.schedule_to_close_timeout),
            schedule_to_start_timeout=to_duration(options.schedule_to_start_timeout),
            start_to_close_timeout=to_duration(options.start_to_close_timeout),
            heartbeat_timeout=to_duration(options.heartbeat_timeout),
            retry_policy=options.retry_policy.to_proto() if options.retry_policy is not None else None,
            header=common.Header(fields=dict(headers)) if headers else None,
        )
        instance._commands.append(
            command_pb.Command(
                command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
                schedule_activity_task_command_attributes=attrs,
            )
        )
        future = ActivityFuture(seq, activity, options.cancellation_type, self)
        self._waiting[seq] = (future, result_type)
        return future

    def apply_resolve(self, job: h.ResolveActivity) -> None:
        entry = self._waiting.pop(job.seq, None)
        if entry is None:
            return  # the workflow stopped waiting (TRY_CANCEL, ABANDON)
        future, hint = entry
        if future.done():
            return
        converter = self.instance._converter
        if job.failure is not None:
            future.set_exception(converter.from_failure(job.failure))
            return
        try:
            values = converter.from_payloads(job.result or [], [hint])
        except Exception as err:
            future.set_exception(err)
            return
        future.set_result(values[0] if values else None)

    def cancel(self, future: ActivityFuture) -> None:
        """Cancel an activity as its cancellation type says (the official SDK's semantics).

        Not yet sent: the command is dropped. TRY_CANCEL asks the server and stops
        waiting; WAIT_CANCELLATION_COMPLETED asks and waits for the activity's outcome;
        ABANDON only stops waiting. Stopping raises ActivityError caused by CancelledError.
        """
        if future.cancel_requested:
            return
        future.cancel_requested = True
        seq, kind = future.seq, future.cancellation_type
        instance = self.instance
        unsent = instance._drop_unsent(CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, str(seq))
        scheduled_event_id = self.scheduled.get(seq, 0)
        if not unsent and kind != ActivityCancellationType.ABANDON:
            if not scheduled_event_id:
                raise RuntimeError(f"activity {seq} is neither scheduled nor pending")
            instance._commands.append(
                command_pb.Command(
                    command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
                    request_cancel_activity_task_command_attributes=(
                        command_pb.RequestCancelActivityTaskCommandAttributes(scheduled_event_id=scheduled_event_id)
                    ),
                )
            )
            if kind == ActivityCancellationType.WAIT_CANCELLATION_COMPLETED:
                return
        self._waiting.pop(seq, None)
        error = ActivityError(
            "Activity cancelled",
            activity_type=future.activity_type,
            activity_id=str(seq),
            scheduled_event_id=scheduled_event_id,
            retry_state=RetryState.CANCEL_REQUESTED,
        )
        error.__cause__ = CancelledError("Cancelled")
        future.set_exception(error)
