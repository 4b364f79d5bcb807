"""The workflow pause rules (core.pause), driven through the core without a server."""

from __future__ import annotations

import json

import pytest
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums

from devserver.core import activities, pause, signals, snapshot, timers
from devserver.core.changes import ActivityTaskRef, WorkflowTaskRef
from devserver.core.lifecycles import WorkflowPauseState, WorkflowTaskState
from devserver.errors import FailedPrecondition, WorkflowClosed
from tests.devserver.core_harness import Run, complete_workflow, schedule_activity, start_timer

Status = wf_enums.WorkflowExecutionStatus


def test_a_scheduled_task_fails_and_nothing_moves_until_the_unpause() -> None:
    run = Run()
    first = run.state.workflow_task
    assert first is not None
    run.step(pause.pause, "operator", "look", "rid-1")
    assert first.state is WorkflowTaskState.FAILED
    assert run.state.workflow_task is None
    assert run.types()[-2:] == ["WORKFLOW_TASK_FAILED", "WORKFLOW_EXECUTION_PAUSED"]
    assert run.history[-1].worker_may_ignore
    assert run.state.visible_status == Status.WORKFLOW_EXECUTION_STATUS_PAUSED
    assert run.state.running, "a paused run is still open"
    tasks_before = len(run.tasks)
    run.step(signals.signal, "poke", None, "cli", "")
    assert run.state.workflow_task is None and len(run.tasks) == tasks_before, "no task while paused"
    run.step(pause.unpause, "operator", "go", "rid-2")
    assert run.types()[-3:] == ["WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_EXECUTION_UNPAUSED", "WORKFLOW_TASK_SCHEDULED"]
    assert isinstance(run.tasks[-1], WorkflowTaskRef)
    assert run.state.visible_status == Status.WORKFLOW_EXECUTION_STATUS_RUNNING
    assert "TemporalPauseInfo" not in run.state.search_attributes.indexed_fields


def test_the_search_attribute_names_the_workflow_and_the_reason() -> None:
    run = Run()
    run.step(pause.pause, "operator", "look", "")
    payload = run.state.search_attributes.indexed_fields["TemporalPauseInfo"]
    assert json.loads(payload.data) == ["Workflow:order-1", "Reason:look"]
    assert payload.metadata["type"] == b"KeywordList"


def test_pausing_twice_or_unpausing_a_running_run_is_refused() -> None:
    run = Run()
    with pytest.raises(FailedPrecondition, match=r"workflow is not paused\."):
        run.step(pause.unpause, "operator", "", "")
    run.step(pause.pause, "operator", "", "")
    with pytest.raises(FailedPrecondition, match=r"workflow is already paused\."):
        run.step(pause.pause, "operator", "", "")


def test_a_closed_run_cannot_be_paused() -> None:
    run = Run()
    run.complete_task(run.start_task(), complete_workflow())
    with pytest.raises(WorkflowClosed):
        run.step(pause.pause, "operator", "", "")


def test_a_started_task_runs_on_and_its_timer_and_activity_wait() -> None:
    run = Run()
    seq = run.start_task()
    run.step(pause.pause, "operator", "mid", "")
    assert run.types()[-1] == "WORKFLOW_TASK_STARTED", "the paused event waits for the task to end"
    run.complete_task(seq, start_timer("t1", 1), schedule_activity("a1"))
    assert run.types()[-2:] == ["ACTIVITY_TASK_SCHEDULED", "WORKFLOW_EXECUTION_PAUSED"]
    assert run.state.workflow_task is None
    ref = [t for t in run.tasks if isinstance(t, ActivityTaskRef)][-1]
    assert run.step(activities.start, ref.scheduled_event_id, ref.attempt, "worker", "r") is None, "held while paused"
    run.now += 1
    run.step(timers.fire, run.due_timers("user_timer")[-1][1])
    assert run.types()[-1] == "TIMER_FIRED" and run.state.workflow_task is None
    run.step(pause.unpause, "operator", "", "")
    again = [t for t in run.tasks if isinstance(t, ActivityTaskRef)][-1]
    assert again is not ref and again.scheduled_event_id == ref.scheduled_event_id, "sent again on the unpause"
    assert run.step(activities.start, again.scheduled_event_id, again.attempt, "worker", "r") is not None


def test_a_paused_run_survives_a_snapshot() -> None:
    run = Run()
    run.step(pause.pause, "operator", "look", "")
    loaded = snapshot.load(snapshot.dump(run.state))
    assert loaded.pause.state is WorkflowPauseState.PAUSED
    assert (loaded.pause.identity, loaded.pause.reason, loaded.pause.paused_time) == ("operator", "look", run.now)
    assert loaded.visible_status == Status.WORKFLOW_EXECUTION_STATUS_PAUSED
