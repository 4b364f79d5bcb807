"""Unit tests of the core rules behind issue 8's items: history limits, the continue-as-new
suggestion, timer durations, BuildIds and eager start (the differential tests in
test_compat_*.py show the same rules on the wire, next to the real server)."""

from __future__ import annotations

import json

from google.protobuf.duration_pb2 import Duration
from temporalio.api.common.v1 import SearchAttributes, WorkerVersionStamp, WorkflowType
from temporalio.api.enums.v1 import EventType, SuggestContinueAsNewReason
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.api.history.v1 import message_pb2 as history_pb
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.core import build_ids, eager_start, runs
from devserver.core import limits as core_limits
from devserver.core.changes import Changes, RunKey, WorkflowTaskRef
from devserver.core.limits import Limits
from devserver.core.protos import MAX_DURATION_SECONDS, capped, duration_error


def started_attributes() -> history_pb.WorkflowExecutionStartedEventAttributes:
    return history_pb.WorkflowExecutionStartedEventAttributes(
        workflow_type=WorkflowType(name="Order"),
        task_queue=TaskQueue(name="orders"),
        workflow_task_timeout=Duration(seconds=10),
        first_execution_run_id="run-1",
        original_execution_run_id="run-1",
        attempt=1,
    )


def _event(event_type: int, event_id: int = 1) -> HistoryEvent:
    return HistoryEvent(event_id=event_id, event_type=event_type, task_id=1048576)  # type: ignore[arg-type]


def test_encoded_size_is_what_a_stored_history_batch_takes() -> None:
    events = [_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, i) for i in range(1, 40)]
    big = HistoryEvent(event_id=40, event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    big.workflow_execution_signaled_event_attributes.signal_name = "x" * 300  # a two-byte length
    events.append(big)
    assert sum(core_limits.encoded_size(e) for e in events) == History(events=events).ByteSize()


def test_suggestion_reasons() -> None:
    limits = Limits(history_count_suggest_continue_as_new=10, history_size_suggest_continue_as_new=1000)
    assert core_limits.suggest_continue_as_new_reasons(999, 9, limits) == []
    size = SuggestContinueAsNewReason.SUGGEST_CONTINUE_AS_NEW_REASON_HISTORY_SIZE_TOO_LARGE
    count = SuggestContinueAsNewReason.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS
    assert core_limits.suggest_continue_as_new_reasons(1000, 10, limits) == [size, count]


def test_count_limit_leaves_out_signals_not_yet_numbered() -> None:
    limits = Limits(history_count_error=14)
    signal = _event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    scheduled = _event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
    # A signal written as event 15: the real server numbers it only when it stores it.
    assert core_limits.exceeded(True, 16, 0, [signal], limits) is None
    # The next change finds 15 events already there.
    assert core_limits.exceeded(True, 17, 0, [signal], limits) == core_limits.HISTORY_COUNT_EXCEEDED
    # A signal that schedules a workflow task is numbered with it.
    assert core_limits.exceeded(True, 17, 0, [signal, scheduled], limits) == core_limits.HISTORY_COUNT_EXCEEDED
    assert core_limits.exceeded(False, 100, 0, [scheduled], limits) is None  # a closed run stays closed


def test_size_limit_counts_what_was_stored_before_the_change() -> None:
    limits = Limits(history_size_error=1000)
    event = _event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
    size = core_limits.encoded_size(event)
    assert core_limits.exceeded(True, 5, 1000 + size, [event], limits) is None
    assert core_limits.exceeded(True, 5, 1001 + size, [event], limits) == core_limits.HISTORY_SIZE_EXCEEDED


def test_warnings() -> None:
    limits = Limits(history_count_warn=3, history_size_warn=100)
    assert core_limits.warnings(4, 100, limits) == []
    assert [w.split(" (")[0] for w in core_limits.warnings(5, 101, limits)] == [
        "history count exceeds warn limit",
        "history size exceeds warn limit",
    ]


def test_timer_durations_as_the_real_server_takes_them() -> None:
    assert duration_error(Duration()) is None
    assert duration_error(Duration(nanos=1)) is None
    assert duration_error(Duration(nanos=-1)) == "negative duration"
    assert duration_error(Duration(seconds=1, nanos=-1)) == "duration has seconds and nanos with different signs"
    assert capped(Duration(seconds=2**62)) == Duration(seconds=MAX_DURATION_SECONDS)
    assert capped(Duration(seconds=5, nanos=7)) == Duration(seconds=5, nanos=7)


def _build_ids(attributes: SearchAttributes) -> list[str]:
    return json.loads(attributes.indexed_fields["BuildIds"].data)


def test_build_ids_keep_the_unversioned_sentinel_first() -> None:
    attributes = SearchAttributes()
    build_ids.record(attributes, None)
    assert _build_ids(attributes) == ["unversioned"]
    build_ids.record(attributes, WorkerVersionStamp(build_id="b1"))
    build_ids.record(attributes, WorkerVersionStamp(build_id="b2"))
    build_ids.record(attributes, WorkerVersionStamp(build_id="b1"))
    assert _build_ids(attributes) == ["unversioned", "unversioned:b1", "unversioned:b2"]
    assert attributes.indexed_fields["BuildIds"].metadata["type"] == b"KeywordList"


def test_eager_start_starts_the_first_task_without_dispatching_it() -> None:
    ch = Changes(now=100.0)
    state = runs.start(ch, RunKey("default", "wf", "run-1"), started_attributes(), request_id="req-1")
    start = eager_start.start_first_task(state, ch, "client@host", "req-1")
    assert start is not None and start.started_event_id == 3 and start.attempt == 1
    assert not [t for t in ch.tasks if isinstance(t, WorkflowTaskRef)]
    started = ch.events[-1].workflow_task_started_event_attributes
    assert (started.identity, started.request_id, started.history_size_bytes) == ("client@host", "req-1", 0)
    assert eager_start.eager_task(state, "req-1") == start  # a retried request gets the same task
    assert eager_start.eager_task(state, "another request") is None


def test_an_eager_task_is_an_ordinary_started_task() -> None:
    # What StartWorkflowExecution returns must be completable like a polled task.
    from devserver.core import commands

    ch = Changes(now=100.0)
    state = runs.start(ch, RunKey("default", "wf", "run-1"), started_attributes(), request_id="req-1")
    start = eager_start.start_first_task(state, ch, "client@host", "req-1")
    assert start is not None
    done = Changes(now=101.0)
    completion = commands.complete_workflow_task(
        state, done, start.seq, wsv1.RespondWorkflowTaskCompletedRequest(identity="client@host")
    )
    assert completion.error is None
    assert done.events[0].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
