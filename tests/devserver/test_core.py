"""The event-sourcing core, driven directly: no network, no asyncio, a hand-moved clock."""

from __future__ import annotations

import pytest
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import failed_cause_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.query.v1 import message_pb2 as query_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.core import activities, closing, commands, queries, retry, signals, workflow_tasks
from devserver.core.changes import Changes, QueryTaskRef, TimerKey, WorkflowTaskRef
from devserver.core.protos import duration
from devserver.errors import InvalidArgument, TaskNotFound, WorkflowClosed, WorkflowNotReady
from tests.devserver.core_harness import (
    T0,
    C,
    E,
    Run,
    app_failure,
    complete_workflow,
    schedule_activity,
    start_activity_attempt,
    start_timer,
)


def test_start_writes_started_and_schedules_first_workflow_task() -> None:
    run = Run()
    assert run.types() == ["WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED"]
    assert [e.event_id for e in run.history] == [1, 2]
    assert isinstance(run.tasks[0], WorkflowTaskRef) and run.tasks[0].queue == "orders"


def test_activity_fails_twice_then_succeeds_records_only_the_last_attempt() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity())
    for attempt, expected_delay in ((1, 1.0), (2, 2.0)):
        info = start_activity_attempt(run)
        assert info.attempt == attempt
        before = len(run.history)
        run.step(activities.fail, info, app_failure(f"declined {attempt}"), "worker-1")
        assert len(run.history) == before, "a retried attempt writes no history"
        deadline, key = run.due_timers("activity_retry")[-1]
        assert deadline - run.now == pytest.approx(expected_delay)
        run.now = deadline
        run.fire(key)
    info = start_activity_attempt(run)
    run.step(activities.complete, info, common.Payloads(), "worker-1")
    assert run.types()[-4:] == [
        "ACTIVITY_TASK_SCHEDULED",
        "ACTIVITY_TASK_STARTED",
        "ACTIVITY_TASK_COMPLETED",
        "WORKFLOW_TASK_SCHEDULED",
    ]
    started, completed = run.history[-3], run.history[-2]
    assert started.activity_task_started_event_attributes.attempt == 3
    assert started.activity_task_started_event_attributes.last_failure.message == "declined 2"
    assert completed.activity_task_completed_event_attributes.started_event_id == started.event_id


def test_default_retry_policy_is_recorded_on_the_scheduled_event() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity())
    scheduled = run.history[-1].activity_task_scheduled_event_attributes
    assert scheduled.retry_policy.initial_interval.seconds == 1
    assert scheduled.retry_policy.backoff_coefficient == 2.0
    assert scheduled.retry_policy.maximum_interval.seconds == 100
    assert scheduled.retry_policy.maximum_attempts == 0


def test_non_retryable_failure_is_written_at_once() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity(non_retryable_error_types=["Fraud"]))
    info = start_activity_attempt(run)
    run.step(activities.fail, info, app_failure("stolen card", "Fraud"), "worker-1")
    failed = run.history[-2]
    assert failed.event_type == E.EVENT_TYPE_ACTIVITY_TASK_FAILED
    assert failed.activity_task_failed_event_attributes.retry_state == wf_enums.RETRY_STATE_NON_RETRYABLE_FAILURE


def test_maximum_attempts_reached() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity(maximum_attempts=1))
    info = start_activity_attempt(run)
    run.step(activities.fail, info, app_failure("no"), "worker-1")
    failed = run.history[-2].activity_task_failed_event_attributes
    assert failed.retry_state == wf_enums.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED


def test_signal_during_a_started_task_is_buffered_until_it_completes() -> None:
    run = Run()
    seq = run.start_task()
    run.step(signals.signal, "picked_up", None, "cli", "sig-1")
    assert run.types()[-1] == "WORKFLOW_TASK_STARTED", "nothing is written under a running task"
    run.complete_task(seq, start_timer("t1", 60))
    assert run.types()[3:] == [
        "WORKFLOW_TASK_COMPLETED",
        "TIMER_STARTED",
        "WORKFLOW_EXECUTION_SIGNALED",
        "WORKFLOW_TASK_SCHEDULED",
    ]


def test_duplicate_signal_request_id_is_recorded_once() -> None:
    run = Run()
    run.step(signals.signal, "s", None, "cli", "same")
    run.step(signals.signal, "s", None, "cli", "same")
    assert run.types().count("WORKFLOW_EXECUTION_SIGNALED") == 1


def test_close_command_with_buffered_events_fails_with_unhandled_command() -> None:
    run = Run()
    seq = run.start_task()
    run.step(signals.signal, "late", None, "cli", "")
    completion = run.complete_task(seq, complete_workflow())
    assert completion.unhandled_command
    assert run.state.running
    assert run.types()[-3:] == ["WORKFLOW_TASK_FAILED", "WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_TASK_SCHEDULED"]
    failed = run.history[-3].workflow_task_failed_event_attributes
    assert failed.cause == failed_cause_pb2.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
    assert run.history[-1].workflow_task_scheduled_event_attributes.attempt == 1


def test_retried_workflow_task_attempts_are_transient() -> None:
    run = Run()
    seq = run.start_task()
    run.step(workflow_tasks.fail, seq, 14, failure_pb.Failure(message="boom"), "worker-1")
    assert run.types() == [
        "WORKFLOW_EXECUTION_STARTED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_FAILED",
    ]
    # Attempt 2 fails too: nothing more is written.
    ref = run.tasks[-1]
    start = run.step(workflow_tasks.start, ref.seq, "worker-1", "req")
    assert start.attempt == 2
    assert [e.event_id for e in start.transient_events] == [5, 6]
    run.step(workflow_tasks.fail, ref.seq, 14, failure_pb.Failure(message="boom"), "worker-1")
    assert len(run.history) == 4
    # Attempt 3 completes: its scheduled/started events become history.
    seq3 = run.start_task()
    run.complete_task(seq3, complete_workflow())
    assert run.types()[4:] == [
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "WORKFLOW_EXECUTION_COMPLETED",
    ]
    assert run.history[4].workflow_task_scheduled_event_attributes.attempt == 3
    assert [e.event_id for e in run.history] == list(range(1, 9))


def test_workflow_task_timeout_schedules_a_retry_on_the_normal_queue() -> None:
    run = Run()
    run.complete_task(run.start_task())
    run.state.sticky_queue = "sticky-1"
    run.step(signals.signal, "s", None, "cli", "")
    seq = run.start_task()
    _, key = run.due_timers("workflow_task_timeout")[-1]
    run.fire(key)
    # Off the sticky queue, the real server starts over at attempt 1 (written), not a retry.
    assert run.types()[-2:] == ["WORKFLOW_TASK_TIMED_OUT", "WORKFLOW_TASK_SCHEDULED"]
    assert run.state.workflow_task is not None and run.state.workflow_task.attempt == 1
    assert run.tasks[-1].queue == "orders" and run.tasks[-1].seq != seq
    # A second timeout, now on the normal queue, is retried as a transient attempt 2.
    seq = run.start_task()
    _, key = run.due_timers("workflow_task_timeout")[-1]
    run.fire(key)
    assert run.types()[-1] == "WORKFLOW_TASK_TIMED_OUT"
    assert run.state.workflow_task is not None and run.state.workflow_task.attempt == 2


def test_a_workflow_task_that_keeps_timing_out_gets_more_time_from_its_fourth_attempt() -> None:
    """As the real server: attempts after the third get the task timeout plus a backoff (5 s,
    doubling, at most 10 minutes, less up to 20% jitter), and are handed out at once. A worker
    too slow for a 1 s task timeout (the official SDK's test_workflow_cancel_activity on a busy
    machine) then catches up instead of timing out forever."""
    run = Run()
    extra_time: dict[int, float] = {}
    for attempt in range(1, 21):
        task = run.state.workflow_task
        assert task is not None and task.attempt == attempt, "each retry is handed out at once"
        started_at = run.now
        run.start_task()
        deadline, key = run.due_timers("workflow_task_timeout")[-1]
        extra_time[attempt] = deadline - started_at - 10
        if attempt > 1:  # the transient scheduled event tells the worker its timeout
            (scheduled, _) = workflow_tasks.transient_events(run.state)
            timeout = scheduled.workflow_task_scheduled_event_attributes.start_to_close_timeout
            assert timeout.seconds + timeout.nanos / 1e9 == pytest.approx(deadline - started_at)
        run.now = deadline
        run.fire(key)
    assert [extra_time[a] for a in (1, 2, 3)] == [0, 0, 0]
    for attempt, backoff in ((4, 5), (5, 10), (6, 20), (10, 320), (11, 600), (20, 600)):
        assert 0.8 * backoff <= extra_time[attempt] <= backoff, attempt
    assert run.types().count("WORKFLOW_TASK_TIMED_OUT") == 1, "later attempts are transient"


def test_unsupported_command_fails_the_task_with_a_clear_cause() -> None:
    run = Run()
    seq = run.start_task()
    nexus = command_pb.Command(command_type=C.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION)
    completion = run.complete_task(seq, nexus)
    assert completion.error is not None and "not supported" in completion.error.message
    failed = run.history[-1].workflow_task_failed_event_attributes
    assert failed.cause == failed_cause_pb2.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES


def test_duplicate_timer_id_fails_the_task() -> None:
    run = Run()
    completion = run.complete_task(run.start_task(), start_timer("a", 1), start_timer("a", 2))
    assert completion.error is not None
    assert run.types()[-1] == "WORKFLOW_TASK_FAILED"


def test_timer_fires_into_history() -> None:
    run = Run()
    run.complete_task(run.start_task(), start_timer("nap", 3))
    deadline, key = run.due_timers("user_timer")[-1]
    assert deadline == T0 + 3
    run.fire(key)
    assert run.types()[-2:] == ["TIMER_FIRED", "WORKFLOW_TASK_SCHEDULED"]
    assert run.history[-2].timer_fired_event_attributes.started_event_id == run.history[-3].event_id


def test_heartbeat_timeout_retries_the_activity() -> None:
    run = Run()
    cmd = schedule_activity()
    cmd.schedule_activity_task_command_attributes.heartbeat_timeout.CopyFrom(duration(2))
    run.complete_task(run.start_task(), cmd)
    info = start_activity_attempt(run)
    run.step(activities.heartbeat, info, None)
    run.now += 2.5
    _, key = [t for t in run.due_timers("activity_timeout") if t[1].timeout_type == wf_enums.TIMEOUT_TYPE_HEARTBEAT][-1]
    run.fire(key)
    assert info.attempt == 2 and not info.started
    assert (
        info.last_failure is not None
        and info.last_failure.timeout_failure_info.timeout_type == wf_enums.TIMEOUT_TYPE_HEARTBEAT
    )


def test_cancel_of_a_started_activity_reaches_its_heartbeat() -> None:
    run = Run()
    run.complete_task(run.start_task(), schedule_activity())
    info = start_activity_attempt(run)
    run.step(signals.signal, "wake", None, "cli", "")
    cancel = command_pb.Command(
        command_type=C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
        request_cancel_activity_task_command_attributes=command_pb.RequestCancelActivityTaskCommandAttributes(
            scheduled_event_id=info.scheduled_event_id
        ),
    )
    run.complete_task(run.start_task(), cancel)
    assert run.step(activities.heartbeat, info, None).cancel_requested is True
    run.step(activities.cancel_acknowledged, info, None, "worker-1")
    assert run.types()[-3:] == ["ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_CANCELED", "WORKFLOW_TASK_SCHEDULED"]


def test_canceled_answer_without_a_cancel_request_is_refused() -> None:
    """A worker that stopped its activity on its own (a pause, a reset) cannot report it
    canceled: the call is refused and the attempt runs on, nothing written."""
    run = Run()
    run.complete_task(run.start_task(), schedule_activity())
    info = start_activity_attempt(run)
    written = run.types()
    with pytest.raises(InvalidArgument, match="without activity being request canceled first"):
        run.step(activities.cancel_acknowledged, info, None, "worker-1")
    assert run.types() == written
    assert info.started and info.scheduled_event_id in run.state.activities


def test_queries_are_routed_by_workflow_task_state() -> None:
    run = Run()
    query = query_pb.WorkflowQuery(query_type="status")
    run.step(queries.query, "q1", query)  # task scheduled, not started: rides along with it
    seq = run.start_task()
    assert run.state.workflow_task is not None and "q1" in run.state.workflow_task.queries
    run.step(queries.query, "q2", query)  # task started: waits for it
    run.complete_task(seq)
    legacy = [t for t in run.tasks if isinstance(t, QueryTaskRef)]
    assert {t.query_id for t in legacy} == {"q1", "q2"}, "unanswered queries go out as query tasks"


def test_query_on_a_run_closed_before_any_task_started_is_not_ready() -> None:
    run = Run()
    run.step(closing.terminate, "bye", None, "cli")
    with pytest.raises(WorkflowNotReady):
        run.step(queries.query, "q", query_pb.WorkflowQuery(query_type="status"))


def test_stale_task_and_closed_run_errors() -> None:
    run = Run()
    seq = run.start_task()
    run.complete_task(seq)
    with pytest.raises(TaskNotFound):
        run.complete_task(seq)
    run.step(closing.terminate, "bye", None, "cli")
    assert run.state.status == wf_enums.WORKFLOW_EXECUTION_STATUS_TERMINATED
    with pytest.raises(WorkflowClosed):
        run.step(signals.signal, "s", None, "cli", "")


def test_continue_as_new_starts_the_next_run() -> None:
    run = Run()
    can = command_pb.Command(
        command_type=C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continue_as_new_workflow_execution_command_attributes=command_pb.ContinueAsNewWorkflowExecutionCommandAttributes(),
    )
    ch = Changes(run.now)
    commands.complete_workflow_task(
        run.state, ch, run.start_task(), wsv1.RespondWorkflowTaskCompletedRequest(commands=[can])
    )
    assert run.state.status == wf_enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
    ((new_state, new_ch),) = ch.new_runs
    started = new_ch.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id == "run-1"
    assert started.first_execution_run_id == "run-1"
    assert new_state.workflow_type == "Order" and new_state.workflow_task is not None
    assert (
        ch.events[-1].workflow_execution_continued_as_new_event_attributes.new_execution_run_id == new_state.key.run_id
    )


@pytest.mark.parametrize(("attempt", "delay"), [(1, 1.0), (2, 2.0), (3, 4.0), (7, 64.0), (8, 100.0), (50, 100.0)])
def test_default_backoff_doubles_up_to_a_hundred_times_the_initial_interval(attempt: int, delay: float) -> None:
    policy = retry.with_defaults(None)
    got, state = retry.next_backoff(policy, attempt, app_failure("x"), T0, None)
    assert got == pytest.approx(delay)
    assert state == wf_enums.RETRY_STATE_IN_PROGRESS


def test_backoff_stops_at_the_schedule_to_close_deadline() -> None:
    policy = retry.with_defaults(None)
    got, state = retry.next_backoff(policy, 3, app_failure("x"), T0, expiration=T0 + 2)
    assert got is None and state == wf_enums.RETRY_STATE_TIMEOUT


def test_run_timeout_closes_the_run_as_timed_out() -> None:
    run = Run()
    run.state.run_deadline = T0 + 5
    run.complete_task(run.start_task(), start_timer("long", 60))
    run.now = T0 + 5
    run.fire(TimerKey.run_timeout(run.state.key))
    assert run.types()[-1] == "WORKFLOW_EXECUTION_TIMED_OUT"
    assert run.state.status == wf_enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT
    assert not run.state.timers, "a closed run has nothing pending"
    before = len(run.history)
    run.fire(run.due_timers("user_timer")[-1][1])
    assert len(run.history) == before, "timers of a closed run are ignored"


def test_failed_run_with_a_retry_policy_starts_the_next_attempt_after_the_backoff() -> None:
    run = Run()
    run.state.started_attributes.retry_policy.CopyFrom(common.RetryPolicy(maximum_attempts=2))
    fail = command_pb.Command(
        command_type=C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        fail_workflow_execution_command_attributes=command_pb.FailWorkflowExecutionCommandAttributes(
            failure=app_failure("flaky")
        ),
    )
    ch = Changes(run.now)
    commands.complete_workflow_task(
        run.state, ch, run.start_task(), wsv1.RespondWorkflowTaskCompletedRequest(commands=[fail])
    )
    failed = ch.events[-1].workflow_execution_failed_event_attributes
    assert failed.retry_state == wf_enums.RETRY_STATE_IN_PROGRESS
    ((retry_run, retry_ch),) = ch.new_runs
    assert failed.new_execution_run_id == retry_run.key.run_id
    started = retry_ch.events[0].workflow_execution_started_event_attributes
    assert started.attempt == 2
    assert started.initiator == wf_enums.CONTINUE_AS_NEW_INITIATOR_RETRY
    assert started.first_workflow_task_backoff.seconds == 1
    assert started.continued_failure.message == "flaky"
    assert [k.kind for _, k in retry_ch.timers] == ["first_workflow_task"], "the first task waits out the backoff"
    # The second attempt is the last one the policy allows.
    retry_ch2 = Changes(run.now)
    assert closing.retry_backoff(retry_run, app_failure("flaky"), retry_ch2.now) == (
        None,
        wf_enums.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED,
    )


def test_a_workflow_task_that_keeps_failing_backs_off_and_new_events_end_the_wait() -> None:
    run = Run()
    for attempt in range(1, 6):
        seq = run.start_task()
        assert run.state.workflow_task is not None and run.state.workflow_task.attempt == attempt
        run.step(workflow_tasks.fail, seq, 14, failure_pb.Failure(message="bug"), "worker-1")
    # Attempt 6 is not handed out at once: it waits a second, then two, ...
    assert run.state.workflow_task is None
    deadline, key = run.due_timers("workflow_task_retry")[-1]
    assert (deadline - run.now, key.attempt) == (1.0, 6)
    run.now = deadline
    run.fire(key)
    seq = run.start_task()
    run.step(workflow_tasks.fail, seq, 14, failure_pb.Failure(message="bug"), "worker-1")
    deadline, key = run.due_timers("workflow_task_retry")[-1]
    assert (deadline - run.now, key.attempt) == (2.0, 7)
    # A signal is news for the workflow: a task goes out now, not after the backoff.
    run.step(signals.signal, "fixed", None, "cli", "")
    assert run.state.workflow_task is not None and not run.state.workflow_task.started
    assert run.state.workflow_task.attempt == 1
    handed_out = len(run.tasks)
    run.fire(key)  # the old backoff deadline changes nothing
    assert len(run.tasks) == handed_out
