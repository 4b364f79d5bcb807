"""Mutable state survives the trip through its storage encoding unchanged."""

from __future__ import annotations

import enum
import json

from temporalio.api.common.v1 import message_pb2 as common

from devserver.core import activities, signals, snapshot
from devserver.core.changes import ActivityTaskRef, Changes, WorkflowTaskRef
from devserver.core.recovery import recover
from tests.devserver.core_harness import (
    Run,
    app_failure,
    complete_workflow,
    schedule_activity,
    start_activity_attempt,
    start_timer,
)


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


def test_a_closed_run_is_snapshotted_without_its_empty_fields_and_reads_back_equal() -> None:
    # Every closed run kept in memory holds its snapshot: what is empty costs it nothing.
    run = Run()
    run.complete_task(run.start_task(), complete_workflow())
    state = run.state
    assert not state.running
    data = snapshot.dump(state)
    fields = json.loads(data)["state"]
    assert "timers" not in fields and "activities" not in fields and "workflow_task" not in fields
    assert snapshot.load(data) == state


def test_fields_holding_their_defaults_are_left_out_and_read_back_as_them() -> None:
    run = Run()
    run.complete_task(run.start_task(), complete_workflow())
    state = run.state
    state.first_wft_backoff = -0.0  # equal to its default, 0.0, but not it
    data = snapshot.dump(state)
    fields = json.loads(data)["state"]
    # A default value, a default made by a factory (WorkflowPause(), an empty Memo) and a
    # lifecycle state's default are all left out; a value that is not its default is kept.
    for name in ("sticky_queue", "cancel_requested", "task_timeout", "pause", "memo"):
        assert name not in fields, name
    assert fields["first_wft_backoff"] == 0.0 and fields["status"] == state.status
    loaded = snapshot.load(data)
    assert loaded == state and str(loaded.first_wft_backoff) == "-0.0"


def test_the_in_process_encoding_reads_back_every_field() -> None:
    # The memory store's runs at rest: `dump`'s document in marshal's encoding.
    state = busy_run().state
    restored = snapshot.load_in_process(snapshot.dump_in_process(state))
    assert restored == state
    assert snapshot.dump(restored) == snapshot.dump(state)


def test_a_value_of_a_subclass_of_int_is_written_as_the_int_in_either_encoding() -> None:
    class Answer(enum.IntEnum):
        FORTY_TWO = 42

    state = busy_run().state
    state.close_event_id = Answer.FORTY_TWO
    for restored in (
        snapshot.load(snapshot.dump(state)),
        snapshot.load_in_process(snapshot.dump_in_process(state)),
    ):
        assert type(restored.close_event_id) is int and restored.close_event_id == 42


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


def test_an_update_its_run_closed_on_loads_as_unfinished_from_format_2() -> None:
    """Format 2 stored such an update as COMPLETED; update-with-start must not attach to it."""
    from temporalio.api.update.v1 import message_pb2 as update_pb

    from devserver.core import updates
    from devserver.core.lifecycles import UpdateState
    from devserver.core.mutable_state import UpdateInfo

    state = Run().state
    failure = updates._accepted_update_failure()
    state.updates["u1"] = UpdateInfo("u1", update_pb.Request(), state=UpdateState.UNFINISHED)
    state.updates["u1"].outcome = update_pb.Outcome(failure=failure)
    state.updates["u2"] = UpdateInfo("u2", update_pb.Request(), state=UpdateState.COMPLETED)
    state.updates["u2"].outcome = update_pb.Outcome(failure=app_failure("the handler's own"))
    document = json.loads(snapshot.dump(state))
    document["v"] = 2
    text = json.dumps(document).replace('"UNFINISHED"', '"COMPLETED"')
    loaded = snapshot.load(text.encode())
    assert loaded.updates["u1"].state is UpdateState.UNFINISHED
    assert loaded.updates["u2"].state is UpdateState.COMPLETED
