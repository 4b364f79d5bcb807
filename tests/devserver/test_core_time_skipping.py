"""Per-workflow time skipping in the core (core.time_skipping), without a server: when a run's
clock jumps, where to, what its history records, and what a snapshot keeps."""

from __future__ import annotations

import pytest
from google.protobuf import duration_pb2
from temporalio.api.common.v1 import message_pb2 as common

from devserver.core import time_skipping
from devserver.core.snapshot import dump, load
from tests.devserver.core_harness import T0, Run, schedule_activity, start_timer

HOUR = 3600.0


def _skipping(run: Run, fast_forward: float = 0.0) -> None:
    config = common.TimeSkippingConfig(enabled=True)
    if fast_forward:
        config.fast_forward_config.CopyFrom(
            common.FastForwardConfig(id="ff-1", duration=duration_pb2.Duration(seconds=int(fast_forward)))
        )
    time_skipping.set_config(run.state, run.now, time_skipping.effective(config, 200))


def _skip(run: Run) -> bool:
    """As the door ends a change: the run's virtual time is the wall clock (held at T0) plus its offset."""
    run.now = T0 + time_skipping.offset(run.state)
    return bool(run.step(time_skipping.skip, T0))


def test_an_idle_run_jumps_to_its_timer_and_records_it() -> None:
    run = Run()
    _skipping(run)
    assert not _skip(run), "its first workflow task is in flight"
    run.complete_task(run.start_task(), start_timer("t", HOUR))
    assert _skip(run)
    jump = run.history[-1].workflow_execution_time_skipping_transitioned_event_attributes
    assert run.types()[-2:] == ["TIMER_STARTED", "WORKFLOW_EXECUTION_TIME_SKIPPING_TRANSITIONED"]
    assert jump.target_time.ToSeconds() == pytest.approx(T0 + HOUR, abs=1)
    assert run.history[-1].worker_may_ignore
    assert time_skipping.offset(run.state) == pytest.approx(HOUR)
    assert not _skip(run), "the timer is due now: nothing more to skip"


def test_an_activity_in_flight_holds_the_clock() -> None:
    run = Run()
    _skipping(run)
    run.complete_task(run.start_task(), schedule_activity(), start_timer("t", HOUR))
    assert not _skip(run)
    assert time_skipping.offset(run.state) == 0.0


def test_a_fast_forward_stops_at_its_target_before_a_later_timer() -> None:
    run = Run()
    run.complete_task(run.start_task(), start_timer("t", 3 * HOUR))
    assert not _skip(run), "no config: real time"
    _skipping(run, fast_forward=HOUR)
    assert _skip(run)
    jump = run.history[-1].workflow_execution_time_skipping_transitioned_event_attributes
    assert jump.disabled_after_fast_forward
    assert jump.target_time.ToSeconds() == pytest.approx(T0 + HOUR, abs=1)
    assert not run.state.time_skipping.config.enabled  # type: ignore[union-attr]
    assert time_skipping.poll_outcome(run.state, "ff-1") == (
        time_skipping.PollResult.FAST_FORWARD_POLLING_RESULT_FAST_FORWARD_COMPLETED,
        "",
    )
    assert time_skipping.poll_outcome(run.state, "other")[1] == time_skipping.ID_MISMATCH  # type: ignore[index]
    assert not _skip(run), "skipping ended with the fast-forward"


def test_the_session_bound_ends_skipping() -> None:
    run = Run()
    config = common.TimeSkippingConfig(enabled=True, max_session_skip_count=1)
    time_skipping.set_config(run.state, run.now, time_skipping.effective(config, 200))
    run.complete_task(run.start_task(), start_timer("t", HOUR))
    assert _skip(run)
    assert not run.state.time_skipping.config.enabled  # type: ignore[union-attr]


def test_a_snapshot_keeps_the_skipped_time() -> None:
    run = Run()
    _skipping(run)
    run.complete_task(run.start_task(), start_timer("t", HOUR))
    _skip(run)
    loaded = load(dump(run.state))
    assert loaded.time_skipping == run.state.time_skipping
    assert time_skipping.offset(loaded) == pytest.approx(HOUR)


def test_refusals() -> None:
    with pytest.raises(Exception, match="not enabled"):
        time_skipping.check_config(common.TimeSkippingConfig(enabled=True), feature_enabled=False)
    bad = common.TimeSkippingConfig(enabled=True, fast_forward_config=common.FastForwardConfig(id="f"))
    with pytest.raises(Exception, match="duration must be positive"):
        time_skipping.check_config(bad, feature_enabled=True)
