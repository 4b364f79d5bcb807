"""A schedule: its state and the rules that move it, as the real server's scheduler runs them.

The real server runs each schedule as an internal workflow (`temporal-sys-scheduler:<id>`);
Tempo keeps a `ScheduleState` per schedule and changes it with the pure rules here. The
driver (`devserver.schedule_ops`) reads the clock, calls a rule, saves the state, and only
then starts, cancels or terminates the workflows the rule asked for.

One wake of a schedule (`wake`): the time since it last looked is searched for action times
(those older than the catch-up window are missed; a paused schedule or one out of actions
skips the range); backfills add up to 10 starts; the buffer is then resolved against the
overlap policy (`resolve_buffer`): starts to make now, the rest kept, skipped or dropped, and
whether running workflows must be cancelled or terminated first. Started workflows are named
`<workflow id>-<nominal time, RFC 3339>`. Pure: times are passed in.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import schedule_pb2 as schedule_enums
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.enums.v1.task_queue_pb2 import TaskQueueKind
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb

from devserver.core.ids import random_uuid
from devserver.core.protos import clamp_epoch, duration, seconds_of, timestamp, with_value_names
from devserver.core.schedule_spec import CompiledSpec, canonicalize, clean, seconds_of_time

Overlap = with_value_names(schedule_enums.ScheduleOverlapPolicy)
Status = with_value_names(wf_enums.WorkflowExecutionStatus)

DEFAULT_CATCHUP_WINDOW = 365 * 24 * 3600.0
MIN_CATCHUP_WINDOW = 10.0
MAX_BUFFER = 1000
BACKFILLS_PER_WAKE = 10
RECENT_ACTIONS = 10
FUTURE_ACTIONS = 10
LIST_RECENT_ACTIONS = 5
LIST_FUTURE_ACTIONS = 5
LIST_SPEC_ITEMS = 10
INITIAL_CONFLICT_TOKEN = 1
# A schedule with nothing left to do is removed this long after its last event (as on the real server).
RETENTION = 7 * 24 * 3600.0


@dataclass
class BufferedStart:
    nominal: float
    actual: float
    overlap: int
    manual: bool
    # Set when the start is about to be made: a start repeated after a crash is the same start.
    request_id: str = ""


@dataclass
class Backfill:
    start: float
    end: float
    overlap: int


@dataclass
class StartOrder:
    """A workflow start the driver must make (after saving the state that records it)."""

    start: BufferedStart
    workflow_id: str
    non_overlapping: bool


@dataclass
class BufferDecision:
    starts: list[StartOrder] = field(default_factory=list)
    cancel_running: bool = False
    terminate_running: bool = False


@dataclass
class ScheduleState:
    namespace: str
    schedule_id: str
    schedule: schedule_pb.Schedule
    info: schedule_pb.ScheduleInfo
    memo: common.Memo
    search_attributes: common.SearchAttributes
    conflict_token: int = INITIAL_CONFLICT_TOKEN
    last_processed: float = 0.0
    buffer: list[BufferedStart] = field(default_factory=list)
    backfills: list[Backfill] = field(default_factory=list)
    # What the last run it watched ended with, handed to the next run it starts.
    last_completion_result: common.Payloads | None = None
    continued_failure: failure_pb.Failure | None = None
    _compiled: CompiledSpec | None = field(default=None, repr=False, compare=False)

    @property
    def compiled(self) -> CompiledSpec:
        if self._compiled is None:
            self._compiled = CompiledSpec(self.schedule.spec)
        return self._compiled

    @property
    def seed(self) -> str:
        return f"{self.namespace}-{self.schedule_id}"

    @property
    def paused(self) -> bool:
        return self.schedule.state.paused

    def catchup_window(self) -> float:
        policies = self.schedule.policies
        if not policies.HasField("catchup_window"):
            return DEFAULT_CATCHUP_WINDOW
        return max(seconds_of(policies.catchup_window), MIN_CATCHUP_WINDOW)

    def resolve(self, overlap: int) -> int:
        overlap = overlap or self.schedule.policies.overlap_policy
        return overlap or Overlap.SCHEDULE_OVERLAP_POLICY_SKIP

    def can_take_action(self, manual: bool, decrement: bool = False) -> bool:
        if manual:
            return True
        state = self.schedule.state
        if state.paused:
            return False
        if not state.limited_actions:
            return True
        if state.remaining_actions > 0:
            if decrement:
                state.remaining_actions -= 1
                self.conflict_token += 1
            return True
        return False


# ---- creating and changing --------------------------------------------------------------------


def with_defaults(schedule: schedule_pb.Schedule) -> schedule_pb.Schedule:
    """The schedule as the real server keeps it: canonical spec, resolved policies (a copy)."""
    out = schedule_pb.Schedule()
    out.CopyFrom(schedule)
    out.spec.CopyFrom(canonicalize(schedule.spec))
    policies = out.policies
    policies.overlap_policy = policies.overlap_policy or Overlap.SCHEDULE_OVERLAP_POLICY_SKIP
    window = DEFAULT_CATCHUP_WINDOW
    if schedule.policies.HasField("catchup_window"):
        window = max(seconds_of(schedule.policies.catchup_window), MIN_CATCHUP_WINDOW)
    policies.catchup_window.CopyFrom(duration(window))
    out.state.SetInParent()
    out.action.SetInParent()
    if out.action.HasField("start_workflow") and not out.action.start_workflow.task_queue.kind:
        out.action.start_workflow.task_queue.kind = TaskQueueKind.TASK_QUEUE_KIND_NORMAL
    return out


def create(
    namespace: str,
    schedule_id: str,
    schedule: schedule_pb.Schedule,
    memo: common.Memo,
    search_attributes: common.SearchAttributes,
    now: float,
) -> ScheduleState:
    info = schedule_pb.ScheduleInfo()
    info.create_time.CopyFrom(timestamp(now))
    return ScheduleState(
        namespace=namespace,
        schedule_id=schedule_id,
        schedule=with_defaults(schedule),
        info=info,
        memo=memo,
        search_attributes=search_attributes,
        last_processed=now,
    )


def update(
    state: ScheduleState,
    schedule: schedule_pb.Schedule,  # already canonical
    search_attributes: common.SearchAttributes | None,
    conflict_token: int,
    now: float,
) -> bool:
    """UpdateSchedule: replaces spec, action, policies and state; False on a conflicting token."""
    if conflict_token and conflict_token != state.conflict_token:
        return False  # the real server drops it silently
    # As the real dev server (Server 1.32): an update's policies get the defaults a create's
    # do, the one-year catch-up window among them.
    state.schedule = with_defaults(schedule)
    state._compiled = None
    if search_attributes is not None:
        state.search_attributes = search_attributes
    state.info.update_time.CopyFrom(timestamp(now))
    state.conflict_token += 1
    return True


def patch(state: ScheduleState, request: schedule_pb.SchedulePatch, now: float) -> None:
    """PatchSchedule: trigger now, backfills, pause or unpause with a note."""
    if request.HasField("trigger_immediately"):
        trigger = request.trigger_immediately
        at = seconds_of_time(trigger.scheduled_time) if trigger.HasField("scheduled_time") else now
        add_start(state, at, at, trigger.overlap_policy, manual=True)
    for backfill in request.backfill_request:
        if len(state.backfills) >= MAX_BUFFER:
            state.info.buffer_dropped += 1
            continue
        # The start time is inclusive (as the real server's, from version 4 of its scheduler).
        state.backfills.append(
            Backfill(
                seconds_of_time(backfill.start_time) - 0.001,
                seconds_of_time(backfill.end_time),
                backfill.overlap_policy,
            )
        )
    if request.pause:
        state.schedule.state.paused = True
        state.schedule.state.notes = request.pause
        state.conflict_token += 1
    if request.unpause:
        state.schedule.state.paused = False
        state.schedule.state.notes = request.unpause
        state.conflict_token += 1


def add_start(state: ScheduleState, nominal: float, actual: float, overlap: int, manual: bool) -> None:
    if len(state.buffer) >= MAX_BUFFER:
        state.info.buffer_dropped += 1
        return
    state.buffer.append(BufferedStart(nominal, actual, overlap, manual))


# ---- one wake ---------------------------------------------------------------------------------


def process_time_range(
    state: ScheduleState, start: float, end: float, overlap: int, manual: bool, limit: int | None = None
) -> float | None:
    """Adds the action times in (start, end]; returns the next action time after them, if any."""
    if not manual and not state.can_take_action(False):
        nxt = state.compiled.next_time(end, state.seed)
        return None if nxt is None else nxt.next
    update_time = seconds_of_time(state.info.update_time) if state.info.HasField("update_time") else 0.0
    window = state.catchup_window()
    taken = 0
    nxt = state.compiled.next_time(start, state.seed)
    while nxt is not None and nxt.next <= end:
        if not manual and update_time > nxt.next:
            pass  # before the last update: that spec no longer applies
        elif not manual and end - nxt.next > window:
            state.info.missed_catchup_window += 1
        else:
            add_start(state, nxt.nominal, nxt.next, overlap, manual)
            taken += 1
            if limit is not None and taken >= limit:
                after = nxt.next
                nxt = state.compiled.next_time(after, state.seed)
                break
        nxt = state.compiled.next_time(nxt.next, state.seed)
    return None if nxt is None else nxt.next


def process_backfills(state: ScheduleState) -> None:
    budget = BACKFILLS_PER_WAKE
    while state.backfills and budget > 0 and len(state.buffer) < MAX_BUFFER // 2:
        backfill = state.backfills[0]
        before = len(state.buffer) + state.info.buffer_dropped
        nxt = process_time_range(state, backfill.start, backfill.end, backfill.overlap, True, budget)
        budget -= len(state.buffer) + state.info.buffer_dropped - before
        if nxt is None or nxt > backfill.end:
            state.backfills.pop(0)
        else:
            backfill.start = nxt - 0.001  # the next time itself is still to do


def advance(state: ScheduleState, now: float) -> float | None:
    """The scheduled part of a wake: action times up to now; returns the next action time."""
    start = min(state.last_processed, now)
    nxt = process_time_range(state, start, now, Overlap.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED, False)
    state.last_processed = now
    process_backfills(state)
    return nxt


def resolve_buffer(state: ScheduleState, running: bool) -> BufferDecision:
    """The overlap policy applied to the buffer: what to start now, and what must end first."""
    decision = BufferDecision()
    if not state.schedule.action.HasField("start_workflow") or not state.buffer:
        state.buffer = []
        return decision
    keep: list[BufferedStart] = []
    overlapping: list[BufferedStart] = []
    non_overlapping: BufferedStart | None = None
    for start in state.buffer:
        policy = state.resolve(start.overlap)
        if policy == Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL:
            overlapping.append(start)
            continue
        if not running and non_overlapping is None:
            non_overlapping = start
            continue
        if policy == Overlap.SCHEDULE_OVERLAP_POLICY_SKIP:
            state.info.overlap_skipped += 1
        elif policy == Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
            if keep:
                state.info.overlap_skipped += 1
            else:
                keep.append(start)
        elif policy == Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
            keep.append(start)
        elif policy in (Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER, Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER):
            if running:
                if policy == Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
                    decision.cancel_running = True
                else:
                    decision.terminate_running = True
                keep.append(start)
            else:
                non_overlapping = start
    if decision.cancel_running or decision.terminate_running:
        overlapping = []
    state.buffer = keep
    chosen = [(s, False) for s in overlapping]
    if non_overlapping is not None:
        chosen.append((non_overlapping, True))
    for start, alone in chosen:
        if not state.can_take_action(start.manual, decrement=True):
            continue
        start.request_id = random_uuid()
        decision.starts.append(StartOrder(start, started_workflow_id(state, start), alone))
    return decision


def started_workflow_id(state: ScheduleState, start: BufferedStart) -> str:
    base = state.schedule.action.start_workflow.workflow_id
    moment = datetime.fromtimestamp(int(clamp_epoch(start.nominal) // 1), UTC)
    return f"{base}-{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def record_action(state: ScheduleState, order: StartOrder, run_id: str, started_at: float) -> None:
    result = schedule_pb.ScheduleActionResult(
        schedule_time=timestamp(order.start.actual),
        actual_time=timestamp(started_at),
        start_workflow_result=common.WorkflowExecution(workflow_id=order.workflow_id, run_id=run_id),
        start_workflow_status=Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
    )
    state.info.action_count += 1
    state.info.recent_actions.append(result)
    while len(state.info.recent_actions) > RECENT_ACTIONS:
        del state.info.recent_actions[0]
    if order.non_overlapping:
        state.info.running_workflows.append(result.start_workflow_result)


def workflow_closed(
    state: ScheduleState,
    workflow_id: str,
    status: int,
    result: common.Payloads | None = None,
    failure: failure_pb.Failure | None = None,
) -> None:
    """A workflow the schedule started has closed: no longer running; pause on failure if asked."""
    failure_message = failure.message if failure is not None else ""
    if result is not None:
        state.last_completion_result, state.continued_failure = result, None
    elif failure is not None:
        state.continued_failure = failure
    kept = [ex for ex in state.info.running_workflows if ex.workflow_id != workflow_id]
    del state.info.running_workflows[:]
    state.info.running_workflows.extend(kept)
    for action in state.info.recent_actions:
        if action.start_workflow_result.workflow_id == workflow_id:
            action.start_workflow_status = status  # type: ignore[assignment]
    failed = status in (Status.WORKFLOW_EXECUTION_STATUS_FAILED, Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT)
    if state.schedule.policies.pause_on_failure and failed and not state.paused:
        state.schedule.state.paused = True
        if status == Status.WORKFLOW_EXECUTION_STATUS_FAILED:
            state.schedule.state.notes = f"paused due to workflow failure: {workflow_id}: {failure_message}"
        else:
            state.schedule.state.notes = f"paused due to workflow timeout: {workflow_id}"
        state.conflict_token += 1


def retention_expiry(state: ScheduleState, next_time: float | None) -> float | None:
    """When a schedule that will never act again is removed; None while it may still act."""
    if state.paused or state.buffer or state.backfills:
        return None
    if next_time is not None and state.can_take_action(False):
        return None
    last = seconds_of_time(state.info.create_time)
    if state.info.HasField("update_time"):
        last = max(last, seconds_of_time(state.info.update_time))
    if state.info.recent_actions:
        last = max(last, seconds_of_time(state.info.recent_actions[-1].actual_time))
    return last + RETENTION


# ---- reading ----------------------------------------------------------------------------------


def future_action_times(state: ScheduleState, count: int) -> list[float]:
    if state.schedule.state.limited_actions:
        count = min(count, state.schedule.state.remaining_actions)
    update_time = seconds_of_time(state.info.update_time) if state.info.HasField("update_time") else 0.0
    out: list[float] = []
    cursor = state.last_processed
    while len(out) < count:
        nxt = state.compiled.next_time(cursor, state.seed)
        if nxt is None:
            break
        cursor = nxt.next
        if update_time > nxt.next:
            continue
        out.append(nxt.next)
    return out


def described_info(state: ScheduleState) -> schedule_pb.ScheduleInfo:
    info = schedule_pb.ScheduleInfo()
    info.CopyFrom(state.info)
    info.future_action_times.extend(timestamp(t) for t in future_action_times(state, FUTURE_ACTIONS))
    info.buffer_size = len(state.buffer)
    return info


def described_schedule(state: ScheduleState) -> schedule_pb.Schedule:
    out = schedule_pb.Schedule()
    out.CopyFrom(state.schedule)
    out.spec.CopyFrom(clean(state.schedule.spec))
    return out


def list_info(state: ScheduleState) -> schedule_pb.ScheduleListInfo:
    spec = clean(state.schedule.spec)
    spec.timezone_data = b""
    for items in (spec.structured_calendar, spec.exclude_structured_calendar, spec.interval):
        del items[LIST_SPEC_ITEMS:]
    info = schedule_pb.ScheduleListInfo(
        spec=spec,
        notes=state.schedule.state.notes,
        paused=state.paused,
        recent_actions=list(state.info.recent_actions)[-LIST_RECENT_ACTIONS:],
        future_action_times=[timestamp(t) for t in future_action_times(state, LIST_FUTURE_ACTIONS)],
    )
    if state.schedule.action.start_workflow.HasField("workflow_type"):
        info.workflow_type.CopyFrom(state.schedule.action.start_workflow.workflow_type)
    return info


def conflict_token_bytes(token: int) -> bytes:
    return token.to_bytes(8, "big")


def conflict_token_of(raw: bytes) -> int:
    return int.from_bytes(raw[:8], "big") if len(raw) >= 8 else 0


# ---- saving -----------------------------------------------------------------------------------


def _b64(message: Any) -> str:
    return base64.b64encode(message.SerializeToString()).decode()


def dump(state: ScheduleState) -> dict[str, Any]:
    """The state as JSON-able data (what the stores keep)."""
    return {
        "namespace": state.namespace,
        "schedule_id": state.schedule_id,
        "schedule": _b64(state.schedule),
        "info": _b64(state.info),
        "memo": _b64(state.memo),
        "search_attributes": _b64(state.search_attributes),
        "conflict_token": state.conflict_token,
        "last_processed": state.last_processed,
        "buffer": [vars(b) for b in state.buffer],
        "backfills": [vars(b) for b in state.backfills],
        "last_completion_result": _b64(state.last_completion_result) if state.last_completion_result else None,
        "continued_failure": _b64(state.continued_failure) if state.continued_failure else None,
    }


def load(data: dict[str, Any]) -> ScheduleState:
    def parse(message: Any, key: str) -> Any:
        message.ParseFromString(base64.b64decode(data[key]))
        return message

    return ScheduleState(
        namespace=data["namespace"],
        schedule_id=data["schedule_id"],
        schedule=parse(schedule_pb.Schedule(), "schedule"),
        info=parse(schedule_pb.ScheduleInfo(), "info"),
        memo=parse(common.Memo(), "memo"),
        search_attributes=parse(common.SearchAttributes(), "search_attributes"),
        conflict_token=data["conflict_token"],
        last_processed=data["last_processed"],
        buffer=[BufferedStart(**b) for b in data["buffer"]],
        backfills=[Backfill(**b) for b in data["backfills"]],
        last_completion_result=parse(common.Payloads(), "last_completion_result")
        if data.get("last_completion_result")
        else None,
        continued_failure=parse(failure_pb.Failure(), "continued_failure") if data.get("continued_failure") else None,
    )
