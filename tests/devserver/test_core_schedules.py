"""A schedule's rules (devserver/core/schedules.py), without a server: times are passed in."""

from __future__ import annotations

from datetime import timedelta

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core import schedules as core

Overlap = core.Overlap
T0 = 1_700_000_000.0  # a whole second


def make(every: int = 10, overlap: int = 0, catchup: float | None = None, **state: object) -> core.ScheduleState:
    schedule = schedule_pb.Schedule(
        action=schedule_pb.ScheduleAction(
            start_workflow=workflow_pb.NewWorkflowExecutionInfo(
                workflow_id="wf",
                workflow_type=common.WorkflowType(name="T"),
                task_queue=taskqueue.TaskQueue(name="q"),
            )
        ),
        state=schedule_pb.ScheduleState(**state),  # type: ignore[arg-type]
    )
    schedule.spec.interval.add().interval.FromSeconds(every)
    schedule.policies.overlap_policy = overlap  # type: ignore[assignment]
    if catchup is not None:
        schedule.policies.catchup_window.FromTimedelta(timedelta(seconds=catchup))
    return core.create("default", "s", schedule, common.Memo(), common.SearchAttributes(), T0)


def starts(decision: core.BufferDecision) -> list[str]:
    return [order.workflow_id for order in decision.starts]


def test_a_wake_takes_every_time_since_the_last_and_names_the_next() -> None:
    state = make(every=10)
    assert core.advance(state, T0 + 25) == T0 + 30
    assert [b.nominal - T0 for b in state.buffer] == [10, 20]
    decision = core.resolve_buffer(state, running=False)
    # SKIP: one starts, the other overlaps it (both are due now and the first is running).
    assert starts(decision) == ["wf-2023-11-14T22:13:30Z"]
    assert state.info.overlap_skipped == 1


def test_times_older_than_the_catch_up_window_are_missed() -> None:
    state = make(every=10, overlap=Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL, catchup=15)
    core.advance(state, T0 + 60)
    assert [b.nominal - T0 for b in state.buffer] == [50, 60]
    assert state.info.missed_catchup_window == 4


def test_the_catch_up_window_is_at_least_ten_seconds() -> None:
    assert make(catchup=1).catchup_window() == 10.0
    assert make().catchup_window() == 365 * 24 * 3600.0


def test_paused_schedule_skips_its_times_but_takes_triggers() -> None:
    state = make(every=10, paused=True)
    core.advance(state, T0 + 30)
    assert state.buffer == [] and state.info.missed_catchup_window == 0
    core.patch(state, schedule_pb.SchedulePatch(trigger_immediately=schedule_pb.TriggerImmediatelyRequest()), T0 + 31)
    assert starts(core.resolve_buffer(state, running=False)) == ["wf-2023-11-14T22:13:51Z"]


def test_remaining_actions_count_down_and_stop_the_schedule() -> None:
    state = make(every=10, overlap=Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL, limited_actions=True, remaining_actions=2)
    core.advance(state, T0 + 30)
    assert len(core.resolve_buffer(state, running=False).starts) == 2
    assert state.schedule.state.remaining_actions == 0
    assert state.conflict_token == 3
    assert core.future_action_times(state, 10) == []
    core.advance(state, T0 + 60)
    assert state.buffer == []


def test_overlap_policies_resolve_the_buffer_while_a_workflow_runs() -> None:
    def buffered(policy: int, count: int) -> core.ScheduleState:
        state = make(overlap=policy)
        for i in range(count):
            core.add_start(state, T0 + i, T0 + i, 0, manual=False)
        return state

    skip = buffered(Overlap.SCHEDULE_OVERLAP_POLICY_SKIP, 2)
    assert starts(core.resolve_buffer(skip, running=True)) == [] and skip.info.overlap_skipped == 2
    one = buffered(Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE, 3)
    core.resolve_buffer(one, running=True)
    assert len(one.buffer) == 1 and one.info.overlap_skipped == 2
    every = buffered(Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL, 3)
    core.resolve_buffer(every, running=True)
    assert len(every.buffer) == 3 and every.info.overlap_skipped == 0
    cancel = buffered(Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER, 1)
    decision = core.resolve_buffer(cancel, running=True)
    assert decision.cancel_running and not decision.starts and len(cancel.buffer) == 1
    terminate = buffered(Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER, 1)
    assert core.resolve_buffer(terminate, running=True).terminate_running
    allow = buffered(Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL, 2)
    decision = core.resolve_buffer(allow, running=True)
    assert len(decision.starts) == 2 and not any(order.non_overlapping for order in decision.starts)


def test_backfill_is_inclusive_and_taken_ten_at_a_time() -> None:
    state = make(every=10, overlap=Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL, paused=True)
    request = schedule_pb.BackfillRequest()
    request.start_time.FromSeconds(int(T0))
    request.end_time.FromSeconds(int(T0) + 140)
    core.patch(state, schedule_pb.SchedulePatch(backfill_request=[request]), T0)
    core.process_backfills(state)
    assert [b.nominal - T0 for b in state.buffer] == [i * 10 for i in range(10)]
    state.buffer.clear()
    core.process_backfills(state)
    assert [b.nominal - T0 for b in state.buffer] == [100, 110, 120, 130, 140]
    assert state.backfills == []


def test_an_update_discards_times_before_it_and_checks_the_conflict_token() -> None:
    state = make(every=10)
    assert not core.update(state, state.schedule, None, conflict_token=7, now=T0 + 5)
    assert core.update(state, state.schedule, None, conflict_token=1, now=T0 + 25)
    assert state.conflict_token == 2
    core.advance(state, T0 + 30)
    assert [b.nominal - T0 for b in state.buffer] == [30]


def test_a_closed_workflow_leaves_running_and_may_pause_the_schedule() -> None:
    state = make(every=10)
    state.schedule.policies.pause_on_failure = True
    core.advance(state, T0 + 10)
    order = core.resolve_buffer(state, running=False).starts[0]
    core.record_action(state, order, "run-1", T0 + 10.5)
    assert [ex.workflow_id for ex in state.info.running_workflows] == [order.workflow_id]
    failure = core.failure_pb.Failure(message="boom")
    core.workflow_closed(state, order.workflow_id, core.Status.WORKFLOW_EXECUTION_STATUS_FAILED, failure=failure)
    assert state.info.running_workflows == []
    assert state.paused and state.schedule.state.notes == f"paused due to workflow failure: {order.workflow_id}: boom"
    assert state.continued_failure == failure


def test_state_survives_a_dump_and_load() -> None:
    state = make(every=10)
    core.advance(state, T0 + 20)
    state.last_completion_result = common.Payloads(payloads=[common.Payload(data=b"1")])
    again = core.load(core.dump(state))
    assert core.dump(again) == core.dump(state)
    assert again.buffer == state.buffer


def test_a_schedule_with_nothing_left_to_do_expires_a_week_after_its_last_action() -> None:
    state = make(every=10, limited_actions=True, remaining_actions=1)
    next_time = core.advance(state, T0 + 10)
    assert core.retention_expiry(state, next_time) is None  # one start is still buffered
    order = core.resolve_buffer(state, running=False).starts[0]
    core.record_action(state, order, "run-1", T0 + 10.5)
    assert core.retention_expiry(state, core.advance(state, T0 + 11)) == T0 + 10.5 + core.RETENTION
    state.schedule.state.paused = True
    assert core.retention_expiry(state, None) is None  # a paused schedule is kept
