"""A workflow instance's local activities, recorded as the official SDKs' core records them.

A local activity sends no command when it starts: the worker runs it (``_local_activity_runner``)
and hands the outcome back as a :class:`ResolveLocalActivity` job, and only then does the
instance send a RecordMarker command named ``core_local_activity``. Its ``data`` detail is the
core's ``LocalActivityMarkerData`` as JSON (field order as the core writes it), its ``result``
detail the result payload; a failure goes in the marker's ``failure`` field. So histories
replay across SDKs.

On replay the marker supplies the outcome and the activity does not run. As in the core,
markers are matched by sequence number, not by position among the commands: a replayed
workflow task's markers resolve the local activities the code starts (or had started) once
the code has nothing else to do, which is when a live run would have received the result. A
marker for a local activity the code does not start, or of another type or ID, is a
nondeterminism error. A local activity started while replaying whose marker never comes is
run once the run is live again (its first run was cut short).

A failed attempt whose retry is due later than ``local_retry_threshold`` ends with a marker
carrying the backoff; the workflow then sleeps on a timer and starts the activity again with
a new sequence number, the next attempt number and the original schedule time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2
from temporalio.api.enums.v1 import workflow_pb2 as workflow_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history

from sdk._workflow_local_activities import LocalActivityOptions
from sdk._workflow_options import ActivityCancellationType

if TYPE_CHECKING:
    from sdk.worker._workflow_instance import WorkflowInstance

CommandType = command_type_pb2.CommandType
EventType = event_type_pb2.EventType

LOCAL_ACTIVITY_MARKER_NAME = "core_local_activity"
DATA_KEY = "data"
RESULT_KEY = "result"

Outcome = Literal["completed", "failed", "timed_out", "cancelled"]


@dataclass(frozen=True)
class MarkerData:
    """The core's ``LocalActivityMarkerData``: what a marker says about the attempt."""

    seq: int
    attempt: int
    activity_id: str
    activity_type: str
    complete_time: datetime | None
    backoff: timedelta | None
    original_schedule_time: datetime | None
    activation_index: int = 0


def _timestamp_json(value: datetime | None) -> dict[str, int] | None:
    if value is None:
        return None
    micros = round(value.timestamp() * 1_000_000)
    return {"seconds": micros // 1_000_000, "nanos": (micros % 1_000_000) * 1000}


def _duration_json(value: timedelta | None) -> dict[str, int] | None:
    if value is None:
        return None
    micros = round(value.total_seconds() * 1_000_000)
    return {"seconds": micros // 1_000_000, "nanos": (micros % 1_000_000) * 1000}


def _seconds_of(value: Any) -> float | None:
    if not isinstance(value, dict):
        return None
    return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9


def encode_marker_data(data: MarkerData) -> common.Payload:
    """The ``data`` payload: JSON with the core's field order, so the bytes are the same."""
    document = {
        "seq": data.seq,
        "attempt": data.attempt,
        "activity_id": data.activity_id,
        "activity_type": data.activity_type,
        "complete_time": _timestamp_json(data.complete_time),
        "backoff": _duration_json(data.backoff),
        "original_schedule_time": _timestamp_json(data.original_schedule_time),
        "activation_index": data.activation_index,
    }
    return common.Payload(
        metadata={"encoding": b"json/plain"}, data=json.dumps(document, separators=(",", ":")).encode()
    )


def decode_marker_data(payload: common.Payload) -> MarkerData | None:
    """The marker data of a ``data`` payload; None if it is not the core's JSON."""
    try:
        document = json.loads(payload.data)
        complete = _seconds_of(document.get("complete_time"))
        backoff = _seconds_of(document.get("backoff"))
        scheduled = _seconds_of(document.get("original_schedule_time"))
        return MarkerData(
            seq=int(document["seq"]),
            attempt=int(document.get("attempt", 1)),
            activity_id=str(document.get("activity_id", "")),
            activity_type=str(document.get("activity_type", "")),
            complete_time=datetime.fromtimestamp(complete, UTC) if complete is not None else None,
            backoff=timedelta(seconds=backoff) if backoff is not None else None,
            original_schedule_time=datetime.fromtimestamp(scheduled, UTC) if scheduled is not None else None,
            activation_index=int(document.get("activation_index", 0)),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def marker_command(
    data: MarkerData, result: common.Payload | None, failure: failure_pb.Failure | None
) -> command_pb.Command:
    """The RecordMarker command of a local activity's outcome."""
    details = {DATA_KEY: common.Payloads(payloads=[encode_marker_data(data)])}
    if result is not None:
        details[RESULT_KEY] = common.Payloads(payloads=[result])
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_RECORD_MARKER,
        record_marker_command_attributes=command_pb.RecordMarkerCommandAttributes(
            marker_name=LOCAL_ACTIVITY_MARKER_NAME, details=details, failure=failure
        ),
    )


def is_local_activity_marker(event: history.HistoryEvent) -> bool:
    """Whether ``event`` is a local activity's marker."""
    return (
        event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER_NAME
    )


def is_local_activity_marker_command(command: command_pb.Command) -> bool:
    """Whether ``command`` records a local activity's marker."""
    return (
        command.command_type == CommandType.COMMAND_TYPE_RECORD_MARKER
        and command.record_marker_command_attributes.marker_name == LOCAL_ACTIVITY_MARKER_NAME
    )


@dataclass(frozen=True)
class LocalActivityRequest:
    """One attempt series the worker must run: what the activity is and how to run it."""

    seq: int
    activity_type: str
    activity_id: str
    args: Sequence[common.Payload]
    options: LocalActivityOptions
    attempt: int
    original_schedule_time: datetime
    workflow_time: datetime
    """The workflow's time when the activity was started; the marker's completion time is
    this plus how long the activity ran, as in the core."""
    workflow_id: str
    run_id: str
    workflow_type: str
    namespace: str
    task_queue: str
    headers: Mapping[str, common.Payload] = field(default_factory=dict)
    """Set by the workflow's outbound interceptors; given to the activity's inbound ones."""


@dataclass(frozen=True)
class ResolveLocalActivity:
    """A local activity ended (or must back off): the job that tells the workflow.

    ``backoff`` set means the attempt failed and the next one is due after a workflow
    timer of that length. ``from_marker`` is set for outcomes read from history.
    """

    seq: int
    outcome: Outcome
    attempt: int
    result: common.Payload | None = None
    failure: failure_pb.Failure | None = None
    backoff: timedelta | None = None
    runtime: timedelta = timedelta(0)
    complete_time: datetime | None = None
    from_marker: bool = False
    without_waiting: bool = False
    """Cancelled by the workflow without waiting for the attempt: the core's marker then has
    no completion time, and attempt 0 for a first attempt (the attempt it was asked for)."""


def resolution_of_marker(event: history.HistoryEvent) -> tuple[MarkerData, ResolveLocalActivity] | None:
    """The marker data and the outcome a local activity marker records; None if malformed."""
    attrs = event.marker_recorded_event_attributes
    data_payloads = attrs.details.get(DATA_KEY)
    if data_payloads is None or not data_payloads.payloads:
        return None
    data = decode_marker_data(data_payloads.payloads[0])
    if data is None:
        return None
    result_payloads = attrs.details.get(RESULT_KEY)
    result = result_payloads.payloads[0] if result_payloads is not None and result_payloads.payloads else None
    failure = attrs.failure if attrs.HasField("failure") else None
    outcome: Outcome = "completed"
    if failure is not None:
        cancelled = failure.HasField("canceled_failure_info") or failure.cause.HasField("canceled_failure_info")
        outcome = "cancelled" if cancelled else "timed_out" if failure.HasField("timeout_failure_info") else "failed"
    job = ResolveLocalActivity(
        seq=data.seq,
        outcome=outcome,
        attempt=data.attempt,
        result=result,
        failure=failure,
        backoff=data.backoff,
        complete_time=data.complete_time,
        from_marker=True,
    )
    return data, job


def cancelled_failure() -> failure_pb.Failure:
    """The failure of a local activity cancelled by its workflow."""
    return failure_pb.Failure(message="Activity cancelled", canceled_failure_info=failure_pb.CanceledFailureInfo())


class LocalActivityFuture(asyncio.Future[Any]):
    """The result of a local activity; cancelling it does what its cancellation type says."""

    def __init__(
        self, seq: int, activity_type: str, cancellation_type: ActivityCancellationType, steps: LocalActivities
    ):
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


_HELD = "held"  # started while replaying: waits for its marker
_QUEUED = "queued"  # waits for the worker to take it
_RUNNING = "running"  # the worker runs it
_CANCELLED = "cancelled"  # cancelled without waiting: the workflow is told when it next blocks


@dataclass
class _Pending:
    future: LocalActivityFuture
    hint: Any
    request: LocalActivityRequest
    state: str
    resolution: ResolveLocalActivity | None = field(default=None)


class LocalActivities:
    """The local activities of one workflow instance."""

    def __init__(self, instance: WorkflowInstance) -> None:
        self.instance = instance
        self._pending: dict[int, _Pending] = {}
        self._markers: dict[int, tuple[MarkerData, ResolveLocalActivity]] = {}
        self._deferred: list[tuple[int, ResolveLocalActivity]] = []
        """Outcomes from replayed markers, with the activation (of its task) each came in."""
        self._cancels: list[int] = []
        self._replaying = False
        self._activation_index = 0
        self._mismatch: str | None = None
        """A marker that does not fit the local activity the code started; raised once the
        activation is over (not into workflow code, which could catch it)."""

    # --- what the instance calls ---------------------------------------------------------

    def begin(self, replaying: bool, expected: Sequence[history.HistoryEvent] | None, activation_index: int) -> None:
        """Take in a workflow task's markers (replay) or run what a cut-short run started."""
        self._replaying = replaying
        self._activation_index = activation_index
        for event in expected or ():
            if not is_local_activity_marker(event):
                continue
            marker = resolution_of_marker(event)
            if marker is None:
                raise _nondeterminism(
                    f"history has a local activity marker that cannot be read (event {event.event_id})"
                )
            pending = self._pending.get(marker[0].seq)
            if pending is not None and pending.state == _HELD:
                self._take_marker(pending, marker)
            else:
                self._markers[marker[0].seq] = marker
        if not replaying:
            for pending in self._pending.values():
                if pending.state == _HELD:
                    pending.state = _QUEUED

    def start(
        self,
        activity: str,
        args: Sequence[Any],
        options: LocalActivityOptions,
        hint: Any,
        headers: Mapping[str, common.Payload] | None = None,
    ) -> LocalActivityFuture:
        instance = self.instance
        instance._no_commands_in_queries("start local activities")
        payloads = []
        for index, arg in enumerate(args):
            try:
                payloads.append(instance._converter.to_payload(arg))
            except Exception as err:
                raise TypeError(f"argument {index} of local activity {activity!r}: {err}") from err
        info = instance.workflow_info()
        seq = instance._seq("activity")
        request = LocalActivityRequest(
            seq=seq,
            activity_type=activity,
            activity_id=options.activity_id or str(seq),
            args=payloads,
            options=options,
            attempt=1,
            original_schedule_time=datetime.now(UTC),
            workflow_time=instance.workflow_now(),
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            workflow_type=info.workflow_type,
            namespace=info.namespace,
            task_queue=info.task_queue,
            headers=dict(headers or {}),
        )
        future = LocalActivityFuture(seq, activity, options.cancellation_type, self)
        self._schedule(_Pending(future, hint, request, _QUEUED))
        return future

    def apply(self, job: ResolveLocalActivity) -> None:
        """An outcome from the worker (live) or from a marker (replay)."""
        pending = self._pending.get(job.seq)
        if pending is None or (pending.state == _CANCELLED and not job.from_marker):
            return  # cancelled without waiting (TRY_CANCEL, ABANDON): its marker is written
        del self._pending[job.seq]
        self._record(pending, job)
        self._resolve(pending, job)

    def _record(self, pending: _Pending, job: ResolveLocalActivity) -> None:
        request = pending.request
        complete_time = None if job.without_waiting else job.complete_time or request.workflow_time + job.runtime
        if complete_time is not None and complete_time.timestamp() > self.instance._time:
            # As the core does: the workflow's clock moves to when the activity ended.
            self.instance._time = complete_time.timestamp()
        if not job.from_marker:
            data = MarkerData(
                seq=job.seq,
                attempt=(job.attempt if job.attempt > 1 else 0) if job.without_waiting else job.attempt,
                activity_id=request.activity_id,
                activity_type=request.activity_type,
                complete_time=complete_time,
                backoff=job.backoff,
                original_schedule_time=request.original_schedule_time,
                activation_index=self._activation_index + (1 if job.without_waiting else 0),
            )
            self.instance._add_command(marker_command(data, job.result, job.failure))

    def flush_deferred(self) -> bool:
        """Resolve what replayed markers answered, once the code has nothing else to do;
        True if there was anything."""
        if not self._deferred:
            return False
        # Those a live run received in one activation, together: the earliest such first.
        first = min(index for index, _ in self._deferred)
        due = [job for index, job in self._deferred if index == first]
        self._deferred = [(index, job) for index, job in self._deferred if index != first]
        for job in due:
            self.apply(job)
        return True

    def check_markers_used(self, started_event_id: int) -> None:
        """After a replayed task: every marker it recorded must belong to a local activity
        the code started."""
        if self._mismatch is not None:
            message, self._mismatch = self._mismatch, None
            raise _nondeterminism(f"nondeterminism in the workflow task started at event {started_event_id}: {message}")
        if not self._markers:
            return
        data, _ = self._markers[min(self._markers)]
        self._markers.clear()
        raise _nondeterminism(
            f"nondeterminism in the workflow task started at event {started_event_id}: history has a "
            f"local activity marker (seq {data.seq}, activity type {data.activity_type!r}) but the "
            "workflow did not start that local activity"
        )

    # --- what the worker calls -----------------------------------------------------------

    def take_requests(self) -> list[LocalActivityRequest]:
        """Local activities to run now; the worker reports each with a ResolveLocalActivity."""
        taken = []
        for pending in self._pending.values():
            if pending.state == _QUEUED:
                pending.state = _RUNNING
                taken.append(pending.request)
        return taken

    def take_cancels(self) -> list[int]:
        """Running local activities the workflow cancelled."""
        cancels, self._cancels = self._cancels, []
        return cancels

    def waiting_for_worker(self) -> bool:
        """Whether an outcome from the worker is still expected."""
        return any(p.state in (_QUEUED, _RUNNING) for p in self._pending.values())

    # --- cancellation --------------------------------------------------------------------

    def cancel(self, future: LocalActivityFuture) -> None:
        """Cancel as the core does: a cancel marker is recorded and the workflow stops waiting,
        except that a running attempt under WAIT_CANCELLATION_COMPLETED is waited for (its
        outcome is recorded); while replaying, the marker in history says how it ended."""
        if future.cancel_requested:
            return
        future.cancel_requested = True
        pending = self._pending.get(future.seq)
        if pending is None:
            return
        if pending.state == _HELD:
            return
        if pending.state == _RUNNING:
            self._cancels.append(future.seq)
            if future.cancellation_type == ActivityCancellationType.WAIT_CANCELLATION_COMPLETED:
                return
        job = ResolveLocalActivity(
            seq=future.seq,
            outcome="cancelled",
            attempt=pending.request.attempt,
            failure=cancelled_failure(),
            without_waiting=True,
        )
        # The marker now, the workflow told in its next activation: as the core does it, and
        # as a replay, which has only the marker, does it.
        pending.state = _CANCELLED
        self._record(pending, job)
        self._deferred.append((self._activation_index + 1, replace(job, from_marker=True)))

    # --- inside ------------------------------------------------------------------------

    def _schedule(self, pending: _Pending) -> None:
        seq = pending.request.seq
        self._pending[seq] = pending
        if not self._replaying:
            return
        pending.state = _HELD
        marker = self._markers.get(seq)
        if marker is not None:
            del self._markers[seq]
            self._take_marker(pending, marker)

    def _take_marker(self, pending: _Pending, marker: tuple[MarkerData, ResolveLocalActivity]) -> None:
        data, job = marker
        request = pending.request
        if (data.activity_type, data.activity_id) != (request.activity_type, request.activity_id):
            self._mismatch = self._mismatch or (
                f"history has a local activity marker for seq {data.seq} of activity type "
                f"{data.activity_type!r} (ID {data.activity_id!r}) but the workflow started "
                f"{request.activity_type!r} (ID {request.activity_id!r})"
            )
            return
        self._deferred.append((data.activation_index, job))

    def _resolve(self, pending: _Pending, job: ResolveLocalActivity) -> None:
        future = pending.future
        if future.done():
            return
        converter = self.instance._converter
        if job.backoff is not None and job.outcome in ("failed", "timed_out"):
            self.instance.call_later(job.backoff.total_seconds(), self._start_again, pending, job.attempt + 1)
            return
        if job.outcome == "completed":
            try:
                values = converter.from_payloads([job.result] if job.result is not None else [], [pending.hint])
            except Exception as err:
                future.set_exception(err)
                return
            future.set_result(values[0] if values else None)
            return
        failure = job.failure or failure_pb.Failure(message="local activity failed")
        if job.outcome in ("timed_out", "cancelled"):
            failure = self._wrapped(pending.request, failure, job.outcome)
        future.set_exception(converter.from_failure(failure))

    def _wrapped(
        self, request: LocalActivityRequest, cause: failure_pb.Failure, outcome: Outcome
    ) -> failure_pb.Failure:
        """As the core hands timeouts and cancellations to the workflow: inside an activity failure."""
        return failure_pb.Failure(
            message="Local Activity timed out" if outcome == "timed_out" else "Local Activity cancelled",
            cause=cause,
            activity_failure_info=failure_pb.ActivityFailureInfo(
                activity_type=common.ActivityType(name=request.activity_type),
                activity_id=request.activity_id,
                retry_state=workflow_enums.RetryState.RETRY_STATE_CANCEL_REQUESTED,
            ),
        )

    def _start_again(self, pending: _Pending, attempt: int) -> None:
        """After a backoff timer: the next attempt, under a new sequence number."""
        if pending.future.done():
            return
        seq = self.instance._seq("activity")
        old = pending.request
        request = replace(
            old,
            seq=seq,
            activity_id=old.options.activity_id or str(seq),
            attempt=attempt,
            workflow_time=self.instance.workflow_now(),
        )
        pending.future.seq = seq
        self._schedule(_Pending(pending.future, pending.hint, request, _QUEUED))


def _nondeterminism(message: str) -> Exception:
    from sdk.workflow import NondeterminismError

    return NondeterminismError(message)
