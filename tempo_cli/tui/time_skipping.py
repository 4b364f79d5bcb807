"""Time skipping in the TUI: the server's virtual clock, and the next deadline of a run.

A server with the TestService (`tempo server start-dev --time-skipping`, `tempo-test-server`)
runs on a virtual clock that can be ahead of the wall clock; the header shows it then. On
the Workflow screen a key moves that clock on to the run's next timer or timeout, found in
its history (timers, activity timeouts, run and execution timeouts) and its description
(started activities, retries, heartbeats). Other servers answer UNIMPLEMENTED: then the key
says it is unavailable and the header shows nothing more.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import empty_pb2
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.testservice.v1 import request_response_pb2 as tsv1
from temporalio.api.testservice.v1.service_pb2_grpc import TestServiceStub
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse

from sdk.client import WorkflowHandle
from tempo_cli.tui.formatting import duration

SHOWN_SKEW = 2.0
"""The header shows the server's time once it is this many seconds away from the wall clock."""
SKIP_WALL_LIMIT = 15.0
"""The longest a skip may take in wall time: the server skips only when nothing else is left
to do, so a workflow task no worker takes holds it back."""
UNAVAILABLE = (
    "Time skipping is unavailable: this server has no TestService "
    "(start one with `tempo server start-dev --time-skipping` or `tempo-test-server`)"
)


@dataclass(frozen=True)
class Deadline:
    """When something of a run comes due (epoch seconds), and what it is."""

    at: float
    what: str


class SkipError(Exception):
    """A skip that could not be made; the message says why, in one line."""


class ServerClock:
    """The TestService of one server, over a channel of its own."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._channel: grpc.aio.Channel | None = None
        self.available: bool | None = None
        """None until asked; False when the server has no TestService."""

    def _stub(self) -> TestServiceStub:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(self.address)
        return TestServiceStub(self._channel)

    async def now(self) -> float | None:
        """The server's current time, or None when it has no TestService."""
        try:
            response = await self._stub().GetCurrentTime(empty_pb2.Empty(), timeout=5)
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.UNIMPLEMENTED:
                self.available = False
                return None
            raise
        self.available = True
        return float(response.time.ToNanoseconds() / 1e9)

    async def skip_to(self, deadline: float) -> float:
        """Move the server's clock on to `deadline`; return how far it moved (seconds).

        Raises:
            SkipError: No TestService, or the server could not skip (work outstanding).
        """
        before = await self.now()
        if before is None:
            raise SkipError(UNAVAILABLE)
        request = tsv1.SleepRequest()
        request.duration.FromTimedelta(datetime.timedelta(seconds=max(deadline - before, 0.0)))
        try:
            await self._stub().UnlockTimeSkippingWithSleep(request, timeout=SKIP_WALL_LIMIT)
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise SkipError(
                    f"could not skip within {SKIP_WALL_LIMIT:.0f}s: the server is waiting on work "
                    "(a workflow or activity task no worker has taken?)"
                ) from None
            if err.code() != grpc.StatusCode.UNKNOWN:
                raise
            # Already unlocked (a test environment waits on a result): time moves on its own.
            await self._stub().SleepUntil(_sleep_until(deadline), timeout=SKIP_WALL_LIMIT)
        after = await self.now()
        return (after or deadline) - before

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None


def _sleep_until(deadline: float) -> tsv1.SleepUntilRequest:
    request = tsv1.SleepUntilRequest()
    request.timestamp.FromNanoseconds(int(deadline * 1e9))
    return request


def skew_text(server_now: float | None, wall_now: float, tz: datetime.tzinfo | None) -> str:
    """What the header adds for a server clock away from the wall clock ("" when it is not)."""
    if server_now is None or abs(server_now - wall_now) < SHOWN_SKEW:
        return ""
    when = datetime.datetime.fromtimestamp(server_now, tz=datetime.UTC).astimezone(tz)
    ahead = server_now - wall_now
    sign = "+" if ahead >= 0 else "-"
    return f"server time {when:%Y-%m-%d %H:%M:%S} ({sign}{duration(abs(ahead))})"


def skipped_text(moved: float, deadline: Deadline) -> str:
    return f"skipped {duration(moved)} to {deadline.what}"


def next_deadline(
    events: Sequence[HistoryEvent], description: DescribeWorkflowExecutionResponse | None, now: float
) -> Deadline | None:
    """The first deadline of an open run after `now`: a timer, an activity's timeout or retry,
    or the run's own timeouts. None when nothing of the run waits for time."""
    found = [d for d in _deadlines(events, description) if d.at > now]
    return min(found, key=lambda d: d.at) if found else None


def _seconds(event: HistoryEvent) -> float:
    return float(event.event_time.ToNanoseconds() / 1e9)


def _deadlines(events: Sequence[HistoryEvent], description: DescribeWorkflowExecutionResponse | None) -> list[Deadline]:
    found: list[Deadline] = []
    timers: dict[int, Deadline] = {}
    activities: dict[int, HistoryEvent] = {}
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attrs = event.workflow_execution_started_event_attributes
            if attrs.HasField("workflow_run_timeout") and attrs.workflow_run_timeout.ToTimedelta():
                run_end = _seconds(event) + attrs.workflow_run_timeout.ToTimedelta().total_seconds()
                found.append(Deadline(run_end, "the run timeout"))
            if attrs.HasField("workflow_execution_expiration_time"):
                found.append(
                    Deadline(attrs.workflow_execution_expiration_time.ToNanoseconds() / 1e9, "the execution timeout")
                )
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
            attrs_t = event.timer_started_event_attributes
            fire_at = _seconds(event) + attrs_t.start_to_fire_timeout.ToTimedelta().total_seconds()
            timers[event.event_id] = Deadline(fire_at, f"timer {attrs_t.timer_id}")
        elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
            timers.pop(event.timer_fired_event_attributes.started_event_id, None)
        elif kind == EventType.EVENT_TYPE_TIMER_CANCELED:
            timers.pop(event.timer_canceled_event_attributes.started_event_id, None)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activities[event.event_id] = event
        else:
            closed = _closed_activity(event)
            if closed is not None:
                activities.pop(closed, None)
    found.extend(timers.values())
    pending = {p.activity_id: p for p in description.pending_activities} if description is not None else {}
    for scheduled in activities.values():
        found.extend(_activity_deadlines(scheduled, pending))
    return found


def _closed_activity(event: HistoryEvent) -> int | None:
    """The scheduled event id of the activity this event closes, if it closes one."""
    for field in (
        "activity_task_completed_event_attributes",
        "activity_task_failed_event_attributes",
        "activity_task_timed_out_event_attributes",
        "activity_task_canceled_event_attributes",
    ):
        if event.HasField(field):
            return int(getattr(event, field).scheduled_event_id)
    return None


def _activity_deadlines(scheduled: HistoryEvent, pending: dict[str, PendingActivityInfo]) -> list[Deadline]:
    attrs = scheduled.activity_task_scheduled_event_attributes
    name = f"{attrs.activity_type.name} ({attrs.activity_id})"
    s2c = attrs.schedule_to_close_timeout.ToTimedelta().total_seconds()
    s2s = attrs.schedule_to_start_timeout.ToTimedelta().total_seconds()
    s2c_end = _seconds(scheduled) + s2c if s2c else None
    found: list[Deadline] = []
    info = pending.get(attrs.activity_id)
    if info is None:
        if s2c_end is not None:
            found.append(Deadline(s2c_end, f"ScheduleToClose of {name}"))
        return found
    if info.HasField("expiration_time") and info.expiration_time.ToNanoseconds():
        found.append(Deadline(info.expiration_time.ToNanoseconds() / 1e9, f"ScheduleToClose of {name}"))
    elif s2c_end is not None:
        found.append(Deadline(s2c_end, f"ScheduleToClose of {name}"))
    if info.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED and info.HasField("last_started_time"):
        started = info.last_started_time.ToNanoseconds() / 1e9
        s2c_attempt = attrs.start_to_close_timeout.ToTimedelta().total_seconds()
        if s2c_attempt:
            found.append(Deadline(started + s2c_attempt, f"StartToClose of {name}"))
        heartbeat = attrs.heartbeat_timeout.ToTimedelta().total_seconds()
        if heartbeat:
            beat = info.last_heartbeat_time.ToNanoseconds() / 1e9 if info.HasField("last_heartbeat_time") else 0.0
            found.append(Deadline(max(beat, started) + heartbeat, f"Heartbeat timeout of {name}"))
    elif info.HasField("next_attempt_schedule_time") and info.next_attempt_schedule_time.ToNanoseconds():
        found.append(Deadline(info.next_attempt_schedule_time.ToNanoseconds() / 1e9, f"retry of {name}"))
    elif info.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED and s2s:
        since = info.scheduled_time.ToNanoseconds() / 1e9 if info.HasField("scheduled_time") else _seconds(scheduled)
        found.append(Deadline(since + s2s, f"ScheduleToStart of {name}"))
    return found


async def skip_to_next_deadline(
    clock: ServerClock, events: Sequence[HistoryEvent], handle: WorkflowHandle, is_open: bool
) -> str:
    """Move the server's clock on to the run's next deadline; say what was skipped to.

    Raises:
        SkipError: No TestService, a closed run, nothing waiting for time, or a skip the
            server could not make.
    """
    server_now = await clock.now()
    if server_now is None:
        raise SkipError(UNAVAILABLE)
    if not is_open:
        raise SkipError("The run is closed: it has no timer or timeout to skip to")
    description = await handle.describe()
    deadline = next_deadline(events, description.raw_description, server_now)
    if deadline is None:
        raise SkipError("Nothing of this run waits for time (no timer, timeout or retry pending)")
    moved = await clock.skip_to(deadline.at)
    return skipped_text(moved, deadline)
