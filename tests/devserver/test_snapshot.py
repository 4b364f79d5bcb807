"""Mutable state survives the trip through its storage encoding unchanged."""

from __future__ import annotations

from temporalio.api.common.v1 import message_pb2 as common

from devserver.core import activities, signals, snapshot
from devserver.core.changes import ActivityTaskRef, Changes, WorkflowTaskRef
from devserver.core.recovery import recover
from tests.devserver.test_core import Run, app_failure, schedule_activity, start_activity_attempt, start_timer


def busy_run() -> Run:
    """A run with a started workflow task, a buffered signal, a retrying activity and a timer."""
    run = Run()
    run.complete_task(run.start_task(), schedule_activity(), start_timer("t", 30))
    info = start_activity_attempt(run)
    run.step(activities.heartbeat, info, common.Payloads(payloads=[common.Payload(data=b"42")]))
    run.step(activities.fail, info, app_failure("declined"), "worker-1")
    run.step(signals.signal, "poke", None, "cli", "sig-1")
    run.start_task()
    run.step(signals.signal, "poke-again", None, "cli", "sig-2")
    return run


def test_snapshot_round_trip_keeps_every_field() -> None:
    state = busy_run().state
    restored = snapshot.load(snapshot.dump(state))
    assert restored == state
    assert snapshot.dump(restored) == snapshot.dump(state)


def test_recovery_rearms_what_the_run_was_waiting_for() -> None:
    state = snapshot.load(snapshot.dump(busy_run().state))
    ch = Changes(state.start_time + 1)
    recover(state, ch)
    kinds = sorted(key.kind for _, key in ch.timers)
    assert kinds == ["activity_retry", "user_timer", "workflow_task_timeout"]
    assert state.buffered_events, "the signal that arrived under the running task is still buffered"


def test_recovery_hands_out_scheduled_tasks_on_the_normal_queue() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity())
    run.state.sticky_queue = "gone-worker"
    run.step(signals.signal, "s", None, "cli", "")
    state = snapshot.load(snapshot.dump(run.state))
    ch = Changes(state.start_time + 1)
    recover(state, ch)
    workflow_tasks = [t for t in ch.tasks if isinstance(t, WorkflowTaskRef)]
    activity_tasks = [t for t in ch.tasks if isinstance(t, ActivityTaskRef)]
    assert [t.queue for t in workflow_tasks] == ["orders"]
    assert len(activity_tasks) == 1 and activity_tasks[0].attempt == 1
