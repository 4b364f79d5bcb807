"""Reset in the core, no server: the rebuilder (a run's state from a history prefix), where a
stored batch of events ends, and the reset rule itself.

The rebuilder is checked two ways: against runs the core drove itself (rebuilding the whole
history gives back the live state), and against histories recorded from the real dev server
(data/reset_histories.json), cut where a reset would cut them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import failed_cause_pb2, reset_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.core import activities, signals
from devserver.core.changes import ActivityTaskRef, Changes, RunKey, TimerKind, WorkflowTaskRef
from devserver.core.lifecycles import ActivityState, ChildState, UpdateState, WorkflowTaskState
from devserver.core.mutable_state import MutableState
from devserver.core.rebuild import batch_end, rebuild
from devserver.core.reset import RESETTER_IDENTITY, ResetBase, reset
from devserver.errors import InvalidArgument
from tests.devserver.core_harness import E, Run, schedule_activity, start_activity_attempt, start_timer

DATA = Path(__file__).parent / "data" / "reset_histories.json"
Cause = failed_cause_pb2.WorkflowTaskFailedCause
Status = wf_enums.WorkflowExecutionStatus
NEW_RUN = "run-2"
AT_THE_BOUNDARY = "this event must be at the boundary"


def recorded(name: str) -> list[history.HistoryEvent]:
    events = json.loads(DATA.read_text())["histories"][name]
    return [json_format.ParseDict(e, history.HistoryEvent()) for e in events]


def seconds(timestamp: Any) -> float:
    return float(timestamp.ToNanoseconds()) / 1e9


def types(events: list[history.HistoryEvent]) -> list[str]:
    return [E.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in events]


def started_run() -> Run:
    """Started, first task completed with an activity and a 60 s timer, then a signal."""
    run = Run()
    run.complete_task(run.start_task(), schedule_activity(), start_timer("t1", 60))
    run.step(signals.signal, "approve", None, "client", "sig-1")
    return run


# ---- batches ----------------------------------------------------------------------------------


def test_each_change_is_a_batch_and_a_started_workflow_task_ends_one() -> None:
    run = started_run()
    seq = run.start_task()
    info = start_activity_attempt(run)
    run.step(activities.complete, info, common.Payloads(), "worker-1")  # buffered: a task is started
    run.complete_task(seq)
    # 1-2 start | 3 | 4-6 completion + activity + timer | 7-8 signal + task | 9 | 10 completed,
    # then the buffered activity result and a new task.
    ends = [e.event_id for i, e in enumerate(run.history) if batch_end(run.history, i, run.state.batch_marks_from)]
    assert types(run.history)[:9] == [
        "WORKFLOW_EXECUTION_STARTED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "ACTIVITY_TASK_SCHEDULED",
        "TIMER_STARTED",
        "WORKFLOW_EXECUTION_SIGNALED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
    ]
    assert ends == [2, 3, 6, 8, 9, len(run.history)]


def test_events_stored_before_batches_were_marked_count_as_batch_ends() -> None:
    run = started_run()
    assert all(batch_end(run.history, i, 0) for i in range(len(run.history)))
    later = run.state.batch_marks_from + 4  # events 1-4 stored before
    assert [batch_end(run.history, i, later) for i in range(len(run.history))] == [
        True,
        True,
        True,
        True,  # 4 (mid-batch): stored before `later`, so unknown
        False,
        True,
        False,
        True,
    ]


# ---- the rebuilder -------------------------------------------------------------------------------


def _pending(state: MutableState) -> dict[str, Any]:
    """What a reset carries over, in a form two states can be compared by."""
    task = state.workflow_task
    return {
        "next_event_id": state.next_event_id,
        "history_size_bytes": state.history_size_bytes,
        "task": None if task is None else (task.scheduled_event_id, task.started_event_id, task.state, task.attempt),
        "activities": {i: (a.activity_id, a.attempt, a.state) for i, a in state.activities.items()},
        "activity_ids": dict(state.activity_ids),
        "timers": {t.timer_id: (t.started_event_id, t.deadline) for t in state.timers.values()},
        "children": {i: (c.workflow_id, c.run_id, c.state) for i, c in state.children.items()},
        "signal_request_ids": set(state.signal_request_ids),
        "last_completed_started_event_id": state.last_completed_started_event_id,
        "status": state.status,
        "search_attributes": state.search_attributes,
    }


def test_rebuilding_a_whole_history_gives_the_live_state() -> None:
    run = started_run()
    seq = run.start_task()
    info = start_activity_attempt(run)
    assert info.state is ActivityState.STARTED
    # A started attempt is not in history yet (it is written with its outcome).
    not_started = {"activities": {5: ("1", 1, ActivityState.SCHEDULED)}}
    assert _pending(rebuild(run.state.key, run.history, run.now)) == _pending(run.state) | not_started
    run.complete_task(seq)
    assert _pending(rebuild(run.state.key, run.history, run.now)) == _pending(run.state) | not_started


def test_rebuild_of_a_recorded_history_cut_before_its_second_task_finished() -> None:
    events = recorded("pending_activity_and_timer")
    state = rebuild(RunKey("default", "p", NEW_RUN), events[:9], now=2.0e9)
    task = state.workflow_task
    assert task is not None and (task.scheduled_event_id, task.started_event_id) == (8, 9)
    assert task.state is WorkflowTaskState.STARTED and task.sticky
    assert list(state.activities) == [5] and state.activities[5].state is ActivityState.SCHEDULED
    assert state.activity_ids == {"1": 5}
    timer = state.timers["1"]
    assert timer.started_event_id == 6
    assert timer.deadline == pytest.approx(seconds(events[5].event_time) + 6)
    assert state.last_completed_started_event_id == 3
    assert state.signal_request_ids == {events[6].workflow_execution_signaled_event_attributes.request_id}
    points = state.auto_reset_points.points
    assert [(p.run_id, p.first_workflow_task_completed_id, p.resettable) for p in points] == [(NEW_RUN, 4, True)]
    assert state.next_event_id == 10 and state.running


def test_rebuild_of_recorded_histories_with_a_child_an_update_and_a_close() -> None:
    child_run = rebuild(RunKey("default", "h", NEW_RUN), recorded("started_child")[:8], now=2.0e9)
    child = child_run.children[5]
    assert child.state is ChildState.STARTED and child.run_id and child.workflow_id.endswith("-child")
    assert child_run.child_started_event_ids == {5: 6}

    events = recorded("signals_and_update")
    before_accept = rebuild(RunKey("default", "c", NEW_RUN), events[:16], now=2.0e9)
    assert before_accept.updates == {}
    after = rebuild(RunKey("default", "c", NEW_RUN), events[:22], now=2.0e9)
    (update,) = after.updates.values()
    assert update.state is UpdateState.COMPLETED and update.accepted_event_id == 18
    assert update.outcome is not None and update.outcome.HasField("success")
    closed = rebuild(RunKey("default", "c", NEW_RUN), events, now=2.0e9)
    assert closed.status == Status.WORKFLOW_EXECUTION_STATUS_COMPLETED and closed.close_event_id == 24

    continued = rebuild(RunKey("default", "l", NEW_RUN), recorded("continued_as_new"), now=2.0e9)
    assert continued.status == Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
    assert continued.continued_to_run_id


# ---- the reset rule --------------------------------------------------------------------------------


def _request(finish: int, **fields: Any) -> wsv1.ResetWorkflowExecutionRequest:
    return wsv1.ResetWorkflowExecutionRequest(
        namespace="default",
        workflow_execution=common.WorkflowExecution(workflow_id="order-1"),
        workflow_task_finish_event_id=finish,
        reason=fields.pop("reason", "fixing a bug"),
        request_id=fields.pop("request_id", "reset-1"),
        **fields,
    )


def _reset(run: Run, request: wsv1.ResetWorkflowExecutionRequest) -> tuple[str, Changes]:
    base = ResetBase(run.state, list(run.history), last_run_id=run.state.key.run_id)
    ch = Changes(run.now + 5)
    run_id = reset(run.state, ch, base, request, NEW_RUN)
    run.history.extend(ch.events)
    return run_id, ch


@pytest.mark.parametrize(
    ("finish", "message"),
    [
        (1, "Workflow task finish ID must be > 1 && <= workflow last event ID."),
        (9, "Workflow task finish ID must be > 1 && <= workflow last event ID."),
        (
            2,
            f"StateRebuilder unable to Rebuild mutable state to event ID: 1, version: 0, {AT_THE_BOUNDARY}",
        ),
        (
            5,
            f"StateRebuilder unable to Rebuild mutable state to event ID: 4, version: 0, {AT_THE_BOUNDARY}",
        ),
        (7, "Can only reset workflow to event ID in range [WorkflowTaskScheduled +1, WorkflowTaskStarted + 1]: 7"),
    ],
)
def test_finish_event_ids_the_real_server_refuses(finish: int, message: str) -> None:
    run = started_run()  # 8 events
    with pytest.raises(InvalidArgument) as raised:
        _reset(run, _request(finish))
    assert raised.value.message == message
    assert run.state.running and len(run.history) == 8


def test_reset_of_a_running_run_to_its_first_task() -> None:
    run = started_run()
    base_events = list(run.history)
    run_id, ch = _reset(run, _request(4))
    assert run_id == NEW_RUN
    # The current run is terminated by the resetter, with the request's reason.
    terminated = run.history[-1]
    assert terminated.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
    attrs = terminated.workflow_execution_terminated_event_attributes
    assert (attrs.reason, attrs.identity) == ("fixing a bug", RESETTER_IDENTITY)
    assert run.state.reset_run_id == NEW_RUN and run.state.parent_notified
    ((new, new_ch),) = ch.new_runs
    events = new_ch.events
    assert [e.SerializeToString() for e in events[:3]] == [e.SerializeToString() for e in base_events[:3]]
    assert types(events[3:]) == ["WORKFLOW_TASK_FAILED", "WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_TASK_SCHEDULED"]
    failed = events[3].workflow_task_failed_event_attributes
    assert (failed.scheduled_event_id, failed.started_event_id) == (2, 3)
    assert failed.cause == Cause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
    assert failed.failure.message == "fixing a bug" and failed.failure.HasField("reset_workflow_failure_info")
    assert (failed.base_run_id, failed.new_run_id, failed.identity) == ("run-1", NEW_RUN, "history-service")
    signaled = events[4].workflow_execution_signaled_event_attributes
    assert (signaled.signal_name, signaled.request_id) == ("approve", "sig-1")
    assert not events[5].workflow_task_scheduled_event_attributes.task_queue.normal_name  # the normal queue
    assert new.start_time == new.last_reset_time == run.now + 5
    assert new.activities == {} and new.timers == {}  # both came after the cut
    assert [t for t in new_ch.tasks if isinstance(t, WorkflowTaskRef)]
    # The reset's own events form a new batch after the copied ones.
    assert batch_end(events, 2, new.batch_marks_from)


def test_what_was_pending_at_the_cut_is_pending_again() -> None:
    run = started_run()
    seq = run.start_task()  # 9: the second task, started
    run.complete_task(seq)  # 10
    timer_deadline = run.state.timers["t1"].deadline
    _, ch = _reset(run, _request(10))
    ((new, new_ch),) = ch.new_runs
    assert types(new_ch.events[9:]) == ["WORKFLOW_TASK_FAILED", "WORKFLOW_TASK_SCHEDULED"]
    info = new.activities[5]
    assert (info.state, info.attempt, info.scheduled_time) == (ActivityState.SCHEDULED, 1, run.now + 5)
    assert ActivityTaskRef(new.key, "payments", 5, 1) in new_ch.tasks
    timer_keys = [(d, k.timer_id) for d, k in new_ch.timers if k.kind is TimerKind.USER_TIMER]
    assert timer_keys == [(timer_deadline, "t1")]  # the timer keeps its deadline


def test_reapplied_signals_and_updates_can_be_excluded() -> None:
    run = started_run()
    excluded = [reset_pb2.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL]
    _, ch = _reset(run, _request(4, reset_reapply_exclude_types=excluded))
    ((_, new_ch),) = ch.new_runs
    assert types(new_ch.events[3:]) == ["WORKFLOW_TASK_FAILED", "WORKFLOW_TASK_SCHEDULED"]


def test_a_task_only_scheduled_at_the_cut_is_started_by_the_server_first() -> None:
    run = started_run()
    _, ch = _reset(run, _request(3))
    ((_, new_ch),) = ch.new_runs
    assert types(new_ch.events[2:5]) == ["WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED", "WORKFLOW_EXECUTION_SIGNALED"]
    started = new_ch.events[2].workflow_task_started_event_attributes
    assert (started.identity, started.request_id) == ("history-service", "emptyUuid")


def test_a_request_with_the_current_runs_create_request_id_changes_nothing() -> None:
    run = started_run()
    run.state.start_request_id = "start-1"
    run_id, ch = _reset(run, _request(4, request_id="start-1"))
    assert run_id == "run-1" and not ch.events and not ch.new_runs and run.state.running


def test_reset_of_a_closed_run_leaves_it_closed_and_marks_it() -> None:
    run = started_run()
    seq = run.start_task()
    complete = command_pb.Command(command_type=4)
    complete.complete_workflow_execution_command_attributes.SetInParent()
    run.complete_task(seq, complete)
    assert not run.state.running
    closed_length = len(run.history)
    run_id, ch = _reset(run, _request(4))
    assert run_id == NEW_RUN and len(run.history) == closed_length  # nothing written to the base
    assert run.state.reset_run_id == NEW_RUN and ch.new_runs
