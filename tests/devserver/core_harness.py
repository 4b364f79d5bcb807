"""A workflow run driven directly through the event-sourcing core (no network, no asyncio, a
hand-moved clock), and the commands and failures the core tests feed it.
"""

from __future__ import annotations

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.core import activities, commands, runs, timers, workflow_tasks
from devserver.core.changes import ActivityTaskRef, Changes, RunKey, TimerKey, WorkflowTaskRef
from devserver.core.protos import duration

E = event_type_pb2.EventType
C = command_type_pb2.CommandType
T0 = 1_800_000_000.0


class Run:
    """A run plus its written history; every step goes through `Changes` like the engine."""

    def __init__(self) -> None:
        self.now = T0
        self.history: list[history.HistoryEvent] = []
        self.tasks: list[object] = []
        self.timers: list[tuple[float, TimerKey]] = []
        started = history.WorkflowExecutionStartedEventAttributes(
            workflow_type=common.WorkflowType(name="Order"),
            task_queue=taskqueue.TaskQueue(name="orders"),
            workflow_task_timeout=duration(10),
            first_execution_run_id="run-1",
            original_execution_run_id="run-1",
            attempt=1,
        )
        ch = Changes(self.now)
        self.state = runs.start(ch, RunKey("default", "order-1", "run-1"), started)
        self._take(ch)

    def _take(self, ch: Changes) -> Changes:
        self.history.extend(ch.events)
        self.tasks.extend(ch.tasks)
        self.timers.extend(ch.timers)
        return ch

    def step(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        ch = Changes(self.now)
        result = fn(self.state, ch, *args, **kwargs)
        self._take(ch)
        return result

    def types(self) -> list[str]:
        return [E.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in self.history]

    def start_task(self) -> int:
        ref = [t for t in self.tasks if isinstance(t, WorkflowTaskRef)][-1]
        start = self.step(workflow_tasks.start, ref.seq, "worker-1", "req")
        assert start is not None
        return ref.seq

    def complete_task(self, seq: int, *cmds: command_pb.Command) -> commands.Completion:
        request = wsv1.RespondWorkflowTaskCompletedRequest(commands=list(cmds), identity="worker-1")
        return self.step(commands.complete_workflow_task, seq, request)

    def fire(self, key: TimerKey) -> None:
        self.step(timers.fire, key)

    def due_timers(self, kind: str) -> list[tuple[float, TimerKey]]:
        return [(d, k) for d, k in self.timers if k.kind == kind]


def schedule_activity(activity_id: str = "1", **retry_fields: object) -> command_pb.Command:
    attrs = command_pb.ScheduleActivityTaskCommandAttributes(
        activity_id=activity_id,
        activity_type=common.ActivityType(name="charge"),
        task_queue=taskqueue.TaskQueue(name="payments"),
        start_to_close_timeout=duration(5),
    )
    if retry_fields:
        attrs.retry_policy.CopyFrom(common.RetryPolicy(**retry_fields))  # type: ignore[arg-type]
    return command_pb.Command(
        command_type=C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, schedule_activity_task_command_attributes=attrs
    )


def complete_workflow() -> command_pb.Command:
    return command_pb.Command(
        command_type=C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        complete_workflow_execution_command_attributes=command_pb.CompleteWorkflowExecutionCommandAttributes(),
    )


def start_timer(timer_id: str, seconds: float) -> command_pb.Command:
    return command_pb.Command(
        command_type=C.COMMAND_TYPE_START_TIMER,
        start_timer_command_attributes=command_pb.StartTimerCommandAttributes(
            timer_id=timer_id, start_to_fire_timeout=duration(seconds)
        ),
    )


def app_failure(message: str, error_type: str = "CardDeclined", non_retryable: bool = False) -> failure_pb.Failure:
    failure = failure_pb.Failure(message=message)
    failure.application_failure_info.type = error_type
    failure.application_failure_info.non_retryable = non_retryable
    return failure


def start_activity_attempt(run: Run) -> activities.ActivityInfo:
    ref = [t for t in run.tasks if isinstance(t, ActivityTaskRef)][-1]
    response = run.step(activities.start, ref.scheduled_event_id, ref.attempt, "worker-1", "req")
    assert response is not None
    info = activities.activity(run.state, ref.scheduled_event_id)
    assert info is not None
    return info
