"""Lifecycles: the transition tables, stale events (ignored and counted), illegal ones (an error
naming the entity, its state and the event), and snapshots written before the states existed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.clock import SystemClock
from devserver.core import activities, snapshot, timers, workflow_tasks
from devserver.core.activities import ActivityInfo
from devserver.core.changes import Changes, TimerKey, WorkflowTaskRef
from devserver.core.lifecycles import (
    ACTIVITY,
    LIFECYCLES,
    WORKFLOW_TASK,
    ActivityEvent,
    ActivityState,
    ChildState,
    IllegalTransition,
    UpdateState,
    WorkflowTaskEvent,
    WorkflowTaskState,
)
from devserver.core.mutable_state import MutableState
from devserver.core.recovery import recover
from devserver.core.tokens import TaskToken
from devserver.engine import Engine
from devserver.errors import TaskNotFound
from devserver.namespaces import NamespaceRegistry
from devserver.store import MemoryStore, RunWrite
from devserver.visibility import VisibilityIndex
from tests.devserver.test_core import Run, app_failure, schedule_activity, start_activity_attempt, start_timer

V1_SNAPSHOTS = Path(__file__).parent / "data" / "snapshots_v1.json"


# ---- the tables ------------------------------------------------------------------------------


def test_every_entity_has_a_table() -> None:
    assert set(LIFECYCLES) == {"workflow task", "activity", "timer", "child workflow", "update"}
    for lifecycle in LIFECYCLES.values():
        assert lifecycle.rows(), lifecycle.entity
        assert not set(lifecycle.transitions) & lifecycle.late, "an event is either allowed or late, not both"


def test_an_illegal_event_names_the_entity_its_state_and_the_event() -> None:
    with pytest.raises(IllegalTransition) as raised:
        WORKFLOW_TASK.next(7, WorkflowTaskState.SCHEDULED, WorkflowTaskEvent.START_TO_CLOSE_TIMEOUT)
    assert str(raised.value) == "workflow task 7: START_TO_CLOSE_TIMEOUT is not allowed in state SCHEDULED"


def test_a_destination_the_table_does_not_list_is_illegal() -> None:
    assert ACTIVITY.next(3, ActivityState.STARTED, ActivityEvent.FAIL, ActivityState.BACKING_OFF) is (
        ActivityState.BACKING_OFF
    )
    with pytest.raises(IllegalTransition, match="activity 3: FAIL is not allowed in state STARTED"):
        ACTIVITY.next(3, ActivityState.STARTED, ActivityEvent.FAIL, ActivityState.SCHEDULED)


def test_a_late_event_is_recorded_as_stale_and_changes_nothing() -> None:
    ch = Changes(0.0)
    assert WORKFLOW_TASK.move(ch, 7, WorkflowTaskState.STARTED, WorkflowTaskEvent.START) is None
    assert [(s.entity, s.ref, s.event) for s in ch.stale] == [("workflow task", "7", "START")]
    assert ch.only_stale()


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
    state, _ = await engine.start_workflow(request)
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
        "a5": ActivityState.STARTED,
    }
    assert by_id["a5"].paused, "paused while its attempt runs"
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
    assert json.loads(snapshot.dump(busy))["v"] == snapshot.FORMAT_VERSION == 2


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
