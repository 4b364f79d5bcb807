"""Lifecycles: the transition tables, stale events (ignored and counted), illegal ones (an error
naming the entity, its state, the event and the transitions it went through), an activity's
requests (pause, cancel, reset) as states, and snapshots written before the states existed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.clock import SystemClock
from devserver.core import activities, activity_control, signals, snapshot, timers, workflow_tasks
from devserver.core.activities import ActivityInfo, PendingActivityState
from devserver.core.changes import Changes, TimerKey, WorkflowTaskRef
from devserver.core.lifecycles import (
    ACTIVITY,
    ACTIVITY_RESET,
    LIFECYCLES,
    TRANSITIONS_KEPT,
    WORKFLOW_TASK,
    ActivityEvent,
    ActivityState,
    CancelRequest,
    ChildState,
    IllegalTransition,
    ResetRequest,
    ResetRequestEvent,
    UpdateState,
    WorkflowTaskEvent,
    WorkflowTaskState,
)
from devserver.core.mutable_state import MutableState, WorkflowTask
from devserver.core.rebuild import RebuildError, rebuild
from devserver.core.recovery import recover
from devserver.core.tokens import TaskToken
from devserver.engine import Engine
from devserver.errors import TaskNotFound
from devserver.namespaces import NamespaceRegistry
from devserver.run_ops import RunOps
from devserver.store import MemoryStore, RunWrite
from devserver.visibility import VisibilityIndex
from tests.devserver.core_harness import (
    C,
    E,
    Run,
    app_failure,
    schedule_activity,
    start_activity_attempt,
    start_timer,
)

V1_SNAPSHOTS = Path(__file__).parent / "data" / "snapshots_v1.json"
V2_SNAPSHOTS = Path(__file__).parent / "data" / "snapshots_v2.json"


def cancel_activity(scheduled_event_id: int) -> command_pb.Command:
    return command_pb.Command(
        command_type=C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
        request_cancel_activity_task_command_attributes=command_pb.RequestCancelActivityTaskCommandAttributes(
            scheduled_event_id=scheduled_event_id
        ),
    )


# ---- the tables ------------------------------------------------------------------------------


def test_every_entity_has_a_table() -> None:
    assert set(LIFECYCLES) == {
        "workflow task",
        "activity",
        "activity cancel request",
        "activity reset request",
        "timer",
        "child workflow",
        "update",
    }
    for lifecycle in LIFECYCLES.values():
        assert lifecycle.rows(), lifecycle.name
        assert not set(lifecycle.transitions) & lifecycle.late, "an event is either allowed or late, not both"


def _task(seq: int = 7) -> WorkflowTask:
    return WorkflowTask(seq=seq, attempt=1, queue="orders", sticky=False, scheduled_time=0.0, timeout=10.0)


def _activity(scheduled_event_id: int = 3) -> ActivityInfo:
    attributes = history.ActivityTaskScheduledEventAttributes(activity_id="charge")
    return ActivityInfo(scheduled_event_id=scheduled_event_id, attributes=attributes, scheduled_time=0.0)


def test_an_illegal_event_names_the_entity_its_state_the_event_and_the_transitions_it_went_through() -> None:
    """As the Java test server's state machines do: the error tells how the entity got where it is."""
    run = Run()
    run.complete_task(run.start_task(), schedule_activity(maximum_attempts=3))
    info = start_activity_attempt(run)
    run.step(activities.fail, info, app_failure("flaky"), "worker-1")
    run.now += 1
    run.fire(run.due_timers("activity_retry")[-1][1])
    with pytest.raises(IllegalTransition) as raised:
        ACTIVITY.next(info, ActivityEvent.COMPLETE)
    assert str(raised.value) == (
        f"activity {info.scheduled_event_id}: COMPLETE is not allowed in state SCHEDULED "
        "(transitions: SCHEDULED -START-> STARTED, STARTED -FAIL-> BACKING_OFF, BACKING_OFF -RETRY_DUE-> SCHEDULED)"
    )
    assert raised.value.state is ActivityState.SCHEDULED and len(raised.value.taken) == 3
    assert info.state is ActivityState.SCHEDULED, "an illegal event changes nothing"


def test_an_illegal_event_for_a_new_entity_says_it_made_no_transition() -> None:
    with pytest.raises(IllegalTransition) as raised:
        WORKFLOW_TASK.next(_task(7), WorkflowTaskEvent.START_TO_CLOSE_TIMEOUT)
    assert str(raised.value) == (
        "workflow task 7: START_TO_CLOSE_TIMEOUT is not allowed in state SCHEDULED "
        "(transitions: none since it was created or loaded)"
    )


def test_the_transitions_of_an_activitys_requests_are_named_in_its_list() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity())
    info = start_activity_attempt(run)
    run.step(activity_control.pause, "1", "", "operator", "look", "p1")
    run.step(signals.signal, "wake", None, "cli", "")
    run.complete_task(run.start_task(), cancel_activity(info.scheduled_event_id))
    assert [str(t) for t in info.transitions_taken] == [
        "SCHEDULED -START-> STARTED",
        "STARTED -PAUSE-> PAUSE_REQUESTED",
        "cancel request: NOT_REQUESTED -REQUEST-> REQUESTED",
    ]
    with pytest.raises(
        IllegalTransition, match=r"^activity reset request \d+: DONE is not allowed in state NOT_REQUESTED"
    ):
        ACTIVITY_RESET.next(info, ResetRequestEvent.DONE)


def test_an_entity_keeps_its_latest_transitions() -> None:
    task = _task()
    for _ in range(TRANSITIONS_KEPT):
        WORKFLOW_TASK.next(task, WorkflowTaskEvent.SCHEDULE_TO_START_TIMEOUT, WorkflowTaskState.SCHEDULED)
    WORKFLOW_TASK.next(task, WorkflowTaskEvent.START)
    assert len(task.transitions_taken) == TRANSITIONS_KEPT
    assert str(task.transitions_taken[-1]) == "SCHEDULED -START-> STARTED"


def test_a_destination_the_table_does_not_list_is_illegal() -> None:
    info = _activity(3)
    ACTIVITY.next(info, ActivityEvent.START)
    with pytest.raises(IllegalTransition, match="activity 3: FAIL is not allowed in state STARTED"):
        ACTIVITY.next(info, ActivityEvent.FAIL, ActivityState.SCHEDULED)
    assert ACTIVITY.next(info, ActivityEvent.FAIL, ActivityState.BACKING_OFF) is ActivityState.BACKING_OFF
    assert info.state is ActivityState.BACKING_OFF


def test_a_late_event_is_recorded_as_stale_and_changes_nothing() -> None:
    ch = Changes(0.0)
    task = _task(7)
    WORKFLOW_TASK.next(task, WorkflowTaskEvent.START)
    assert WORKFLOW_TASK.move(ch, task, WorkflowTaskEvent.START) is None
    assert [(s.entity, s.ref, s.event) for s in ch.stale] == [("workflow task", "7", "START")]
    assert ch.only_stale()
    assert task.state is WorkflowTaskState.STARTED and len(task.transitions_taken) == 1


# ---- rebuild replays history through the tables ----------------------------------------------------


def test_rebuild_replays_the_transitions_history_records() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity())
    run.step(signals.signal, "wake", None, "cli", "")
    run.start_task()
    rebuilt = rebuild(run.state.key, run.history, run.now)
    task = rebuilt.workflow_task
    assert task is not None and task.state is WorkflowTaskState.STARTED
    assert [str(t) for t in task.transitions_taken] == ["SCHEDULED -START-> STARTED (replayed)"]


def test_rebuild_refuses_a_history_the_tables_do_not_allow() -> None:
    run = Run()
    run.start_task()
    started = next(e for e in run.history if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED)
    again = history.HistoryEvent()
    again.CopyFrom(started)
    again.event_id = started.event_id + 1
    with pytest.raises(RebuildError, match=rf"event {again.event_id}: workflow task \d+: START is not allowed"):
        rebuild(run.state.key, [*run.history, again], run.now)


# ---- stale events in the rules -----------------------------------------------------------------


def test_a_second_copy_of_a_workflow_task_is_stale() -> None:
    run = Run()
    ref = [t for t in run.tasks if isinstance(t, WorkflowTaskRef)][-1]
    run.start_task()
    ch = Changes(run.now)
    assert workflow_tasks.start(run.state, ch, ref.seq, "worker-2", "req-2") is None
    assert [(s.entity, s.event) for s in ch.stale] == [("workflow task", "START")]
    assert ch.only_stale() and run.state.workflow_task is not None
    assert run.state.workflow_task.identity == "worker-1", "the worker that took it keeps it"


def test_completing_a_workflow_task_twice_is_not_found_and_stale() -> None:
    run = Run()
    seq = run.start_task()
    run.complete_task(seq)
    ch = Changes(run.now)
    with pytest.raises(TaskNotFound, match=r"Workflow task not found\."):
        workflow_tasks.fail(run.state, ch, seq, 0, None, "worker-1")
    assert [(s.entity, s.event) for s in ch.stale] == [("workflow task", "FAIL")]


def test_a_late_activity_answer_is_not_found_and_stale() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity(maximum_attempts=3))
    info = start_activity_attempt(run)
    token = TaskToken("activity", "default", "order-1", "run-1", info.scheduled_event_id, info.attempt)
    run.step(activities.fail, info, app_failure("flaky"), "worker-1")  # attempt 2 follows after a backoff
    assert info.state is ActivityState.BACKING_OFF
    ch = Changes(run.now)
    with pytest.raises(TaskNotFound):
        activities.started_activity(run.state, ch, token)
    assert [(s.entity, s.event) for s in ch.stale] == [("activity", "ANSWER")]


def test_the_deadline_of_another_timer_with_the_same_id_is_stale() -> None:
    run = Run()
    run.complete_task(run.start_task(), start_timer("t1", 5))
    _, key = run.due_timers("user_timer")[-1]
    ch = Changes(run.now + 5)
    timers.fire(run.state, ch, TimerKey.user_timer(run.state.key, "t1", key.started_event_id + 100))
    assert [(s.entity, s.event) for s in ch.stale] == [("timer", "FIRE")]
    assert "t1" in run.state.timers, "a deadline of an earlier timer with the id does not fire this one"


def test_an_activity_paused_while_it_runs_is_pause_requested_and_holds_its_next_attempt() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity(maximum_attempts=2))
    info = start_activity_attempt(run)
    run.step(activity_control.pause, "1", "", "operator", "look", "p1")
    assert info.state is ActivityState.PAUSE_REQUESTED and info.started and info.paused
    assert activities.heartbeat_answer(info).activity_paused
    pending = activities.pending_info(info)
    assert pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED and pending.paused
    run.step(activities.fail, info, app_failure("stopped"), "worker-1")
    assert info.state is ActivityState.PAUSED and info.attempt == 2 and not run.due_timers("activity_retry")
    run.step(activity_control.unpause, "1", "", False, False, False)
    assert info.state is ActivityState.SCHEDULED and not info.paused


def test_a_reset_asked_while_an_attempt_runs_is_done_with_at_the_next_attempt() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity(maximum_attempts=3))
    info = start_activity_attempt(run)
    run.step(activities.heartbeat, info, common.Payloads(payloads=[common.Payload(data=b"7")]))
    run.step(activity_control.reset, "1", "", False, True, False)
    assert info.reset_request is ResetRequest.REQUESTED_DROP_HEARTBEATS and info.state is ActivityState.STARTED
    assert activities.heartbeat_answer(info).activity_reset
    run.step(activities.fail, info, app_failure("flaky"), "worker-1")
    assert info.reset_request is ResetRequest.NOT_REQUESTED and info.heartbeat_details is None


def test_an_activity_moves_through_its_states() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity(maximum_attempts=3))
    info = next(iter(run.state.activities.values()))
    assert isinstance(info, ActivityInfo) and info.state is ActivityState.SCHEDULED
    start_activity_attempt(run)
    assert info.state is ActivityState.STARTED
    run.step(activities.fail, info, app_failure("flaky"), "worker-1")
    assert info.state is ActivityState.BACKING_OFF
    _, key = run.due_timers("activity_retry")[-1]
    run.now += 1
    run.fire(key)
    assert info.state is ActivityState.SCHEDULED
    start_activity_attempt(run)
    run.step(activities.complete, info, None, "worker-1")
    assert info.state is ActivityState.COMPLETED and not run.state.activities


# ---- the door counts stale events and commits nothing for them ----------------------------------


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.commits = 0

    async def commit(self, writes: list[RunWrite]) -> None:
        self.commits += 1
        await super().commit(writes)


async def test_the_door_counts_stale_events_and_commits_nothing_for_them() -> None:
    store = CountingStore()
    engine = Engine(SystemClock(), store, NamespaceRegistry(), VisibilityIndex())
    engine.namespaces.register("default")
    request = wsv1.StartWorkflowExecutionRequest(namespace="default", workflow_id="wf", request_id="r")
    request.workflow_type.name = "Order"
    request.task_queue.name = "orders"
    state, _ = await RunOps(engine).start_workflow(request)
    task = state.workflow_task
    assert task is not None
    first = await engine.change(state, lambda run, ch: workflow_tasks.start(run, ch, task.seq, "worker-1", "a"))
    assert first is not None and store.commits == 2
    again = await engine.change(state, lambda run, ch: workflow_tasks.start(run, ch, task.seq, "worker-2", "b"))
    assert again is None
    assert engine.stale_events == {("workflow task", "START"): 1}
    assert store.commits == 2, "a stale event commits nothing"
    await engine.shutdown()


# ---- snapshots written before lifecycle states (format 1) ----------------------------------------


def _v1_runs() -> dict[str, dict]:  # type: ignore[type-arg]
    return json.loads(V1_SNAPSHOTS.read_text())["runs"]


def _load_v1(name: str) -> MutableState:
    return snapshot.load(json.dumps(_v1_runs()[name]["snapshot"]).encode())


def test_a_format_1_snapshot_loads_with_its_entities_in_their_states() -> None:
    busy = _load_v1("busy")
    assert busy.workflow_task is not None and busy.workflow_task.state is WorkflowTaskState.STARTED
    by_id = {info.activity_id: info for info in busy.activities.values() if isinstance(info, ActivityInfo)}
    assert {name: info.state for name, info in by_id.items()} == {
        "a1": ActivityState.SCHEDULED,
        "a2": ActivityState.STARTED,
        "a3": ActivityState.BACKING_OFF,
        "a4": ActivityState.PAUSED,
        "a5": ActivityState.PAUSE_REQUESTED,  # paused while its attempt runs
    }
    assert by_id["a5"].paused and by_id["a5"].started
    assert {child.workflow_id: child.state for child in busy.children.values()} == {
        "child-started": ChildState.STARTED,
        "child-initiated": ChildState.INITIATED,
    }
    assert {update_id: update.state for update_id, update in busy.updates.items()} == {
        "u-admitted": UpdateState.ADMITTED,
        "u-accepted": UpdateState.ACCEPTED,
        "u-completed": UpdateState.COMPLETED,
    }
    assert busy.updates["u-completed"].stage == 3 and not busy.updates["u-admitted"].aborted
    closed = _load_v1("closed_parent")
    assert [child.state for child in closed.closing_children.values()] == [ChildState.STARTED]
    scheduled = _load_v1("scheduled_task")
    assert scheduled.workflow_task is not None and scheduled.workflow_task.state is WorkflowTaskState.SCHEDULED


@pytest.mark.parametrize("name", ["busy", "closed_parent", "scheduled_task"])
def test_a_format_1_snapshot_recovers_as_it_did_before(name: str) -> None:
    """After a restart the run hands out the same tasks and arms the same deadlines as the
    format-1 server did (recorded with it in the fixture)."""
    ch = Changes(2_000_000_000.0)
    recover(_load_v1(name), ch)
    tasks = [
        {"type": type(t).__name__, **{k: getattr(t, k) for k in t.__dataclass_fields__ if k != "run"}} for t in ch.tasks
    ]
    deadlines = sorted(
        (
            {
                "deadline": deadline,
                **{k: str(getattr(key, k)) if k == "kind" else getattr(key, k) for k in key.__dataclass_fields__},
            }
            for deadline, key in ch.timers
        ),
        key=lambda t: json.dumps({k: v for k, v in t.items() if k != "run"}, sort_keys=True),
    )
    for deadline in deadlines:
        del deadline["run"]
    assert {"tasks": tasks, "timers": deadlines} == _v1_runs()[name]["recovery"]


def test_a_snapshot_keeps_lifecycle_states_across_a_round_trip() -> None:
    busy = _load_v1("busy")
    again = snapshot.load(snapshot.dump(busy))
    assert again == busy
    assert json.loads(snapshot.dump(busy))["v"] == snapshot.FORMAT_VERSION == 3


def test_a_newer_snapshot_format_is_refused() -> None:
    data = json.loads(snapshot.dump(_load_v1("scheduled_task")))
    data["v"] = snapshot.FORMAT_VERSION + 1
    with pytest.raises(ValueError, match="newer than this server understands"):
        snapshot.load(json.dumps(data).encode())


def test_a_run_from_a_format_1_snapshot_carries_on() -> None:
    """The loaded run's entities take their next events as usual: the activity backing off
    gets its next attempt."""
    run = _load_v1("busy")
    a3 = next(i for i in run.activities.values() if isinstance(i, ActivityInfo) and i.activity_id == "a3")
    ch = Changes(2_000_000_000.0)
    activities.retry_due(run, ch, a3.scheduled_event_id, a3.attempt)
    assert a3.state is ActivityState.SCHEDULED and ch.tasks


# ---- snapshots written with an activity's flags beside its state (format 2) -----------------------


def _v2_runs() -> dict[str, dict]:  # type: ignore[type-arg]
    return json.loads(V2_SNAPSHOTS.read_text())["runs"]


def _load_v2(name: str) -> MutableState:
    return snapshot.load(json.dumps(_v2_runs()[name]["snapshot"]).encode())


def _activities_by_id(run: MutableState) -> dict[str, ActivityInfo]:
    return {info.activity_id: info for info in run.activities.values() if isinstance(info, ActivityInfo)}


def test_a_format_2_snapshot_loads_with_its_activity_flags_as_states() -> None:
    by_id = _activities_by_id(_load_v2("requests"))
    assert {name: (i.state, i.cancel_request, i.reset_request) for name, i in by_id.items()} == {
        "a1": (ActivityState.PAUSE_REQUESTED, CancelRequest.NOT_REQUESTED, ResetRequest.NOT_REQUESTED),
        "a2": (ActivityState.STARTED, CancelRequest.REQUESTED, ResetRequest.NOT_REQUESTED),
        "a3": (ActivityState.STARTED, CancelRequest.NOT_REQUESTED, ResetRequest.REQUESTED_DROP_HEARTBEATS),
        "a4": (ActivityState.PAUSED, CancelRequest.NOT_REQUESTED, ResetRequest.REQUESTED_DROP_HEARTBEATS),
        "a5": (ActivityState.SCHEDULED, CancelRequest.NOT_REQUESTED, ResetRequest.NOT_REQUESTED),
    }
    # Format 2 left a paused activity whose attempt timed out after a cancel request backing
    # off; it is held, paused, as any paused activity's next attempt is.
    held = _activities_by_id(_load_v2("paused_cancel_timed_out"))["b1"]
    assert (held.state, held.cancel_request) == (ActivityState.PAUSED, CancelRequest.REQUESTED)


@pytest.mark.parametrize("name", ["requests", "paused_cancel_timed_out"])
def test_a_format_2_snapshot_describes_and_answers_heartbeats_as_it_did_before(name: str) -> None:
    """What DescribeWorkflowExecution and a heartbeat's answer say of each activity is what the
    format-2 server said (recorded with it in the fixture)."""
    seen = {
        info.activity_id: {
            "describe": MessageToDict(activities.pending_info(info)),
            "heartbeat": MessageToDict(activities.heartbeat_answer(info)),
        }
        for info in _load_v2(name).activities.values()
    }
    assert seen == _v2_runs()[name]["seen"]


def test_a_format_2_snapshot_recovers_as_it_did_before() -> None:
    ch = Changes(2_000_000_000.0)
    recover(_load_v2("requests"), ch)
    tasks = [
        {"type": type(t).__name__, **{k: getattr(t, k) for k in t.__dataclass_fields__ if k != "run"}} for t in ch.tasks
    ]
    deadlines = sorted(
        (
            {
                "deadline": deadline,
                **{k: str(getattr(key, k)) if k == "kind" else getattr(key, k) for k in key.__dataclass_fields__},
            }
            for deadline, key in ch.timers
        ),
        key=lambda t: json.dumps({k: v for k, v in t.items() if k != "run"}, sort_keys=True),
    )
    for deadline in deadlines:
        del deadline["run"]
    assert {"tasks": tasks, "timers": deadlines} == _v2_runs()["requests"]["recovery"]


def test_a_run_from_a_format_2_snapshot_carries_on() -> None:
    """The paused-while-running activity's failed attempt waits for the unpause; the reset one's
    next attempt drops its heartbeat details."""
    run = _load_v2("requests")
    by_id = _activities_by_id(run)
    ch = Changes(2_000_000_000.0)
    activities.fail(run, ch, by_id["a1"], app_failure("stopped"), "worker-1")
    assert by_id["a1"].state is ActivityState.PAUSED
    activities.fail(run, ch, by_id["a3"], app_failure("flaky"), "worker-1")
    assert by_id["a3"].state is ActivityState.BACKING_OFF and by_id["a3"].heartbeat_details is None
    assert by_id["a3"].reset_request is ResetRequest.NOT_REQUESTED
