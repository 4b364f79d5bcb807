"""Eager activity execution: an activity scheduled on the worker's own task queue is started
by the server in the same call that completes the workflow task, and runs here at once.

As the official SDK's core does: for each ScheduleActivityTask command on this worker's task
queue, for an activity type this worker runs, a free activity slot is reserved and the
command asks for ``request_eager_execution`` (at most ``max_per_task`` per workflow task).
The server answers RespondWorkflowTaskCompleted with the activity tasks it started; each runs
in a reserved slot, and slots it did not use are given back. The server may start none (it
does not have to), and the activity then goes through the task queue as usual.
"""

from __future__ import annotations

from collections.abc import Sequence

import temporalio.api.workflowservice.v1.request_response_pb2 as rr
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.enums.v1 import command_type_pb2

from sdk.worker._activity_worker import ActivityWorker

_SCHEDULE = command_type_pb2.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK


class EagerActivities:
    """Reserves activity slots for one workflow task's eager requests, then hands over."""

    def __init__(self, activities: ActivityWorker, task_queue: str, max_per_task: int) -> None:
        self._activities = activities
        self._task_queue = task_queue
        self._max_per_task = max_per_task

    async def request(self, commands: Sequence[command_pb.Command]) -> int:
        """Mark the commands that may run here eagerly; returns the slots reserved for them."""
        reserved = 0
        for command in commands:
            if reserved >= self._max_per_task:
                break
            if command.command_type != _SCHEDULE:
                continue
            attrs = command.schedule_activity_task_command_attributes
            if attrs.task_queue.name != self._task_queue or not self._activities.runs(attrs.activity_type.name):
                continue
            if not await self._activities.reserve_slot():
                break
            attrs.request_eager_execution = True
            reserved += 1
        return reserved

    def hand_over(self, tasks: Sequence[rr.PollActivityTaskQueueResponse], reserved: int) -> None:
        """Run the activity tasks the server started for us; release the slots left over."""
        started = list(tasks)[:reserved]
        for task in started:
            self._activities.run_reserved(task)
        for _ in range(reserved - len(started)):
            self._activities.release_slot()
