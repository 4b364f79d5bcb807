"""History -> activations, fed with histories recorded from the real dev server.

The recordings in ``histories/`` were made by ``histories/record_histories.py``.
"""

from __future__ import annotations

import itertools
from datetime import UTC
from pathlib import Path

import pytest
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2
from temporalio.api.history.v1 import message_pb2 as history_pb

from sdk.converter import DataConverter
from sdk.worker import _history as h
from sdk.worker._replayer import load_history
from sdk.workflow import NondeterminismError

HISTORIES = Path(__file__).parent / "histories"
EventType = event_type_pb2.EventType
CommandType = command_type_pb2.CommandType


def _events(name: str) -> list:  # type: ignore[type-arg]
    return list(load_history(HISTORIES / name).events)


def _kinds(jobs: list[h.Job]) -> list[str]:
    return [type(job).__name__ for job in jobs]


def test_each_completed_workflow_task_becomes_a_replaying_activation() -> None:
    events = _events("order.json")
    activations = h.HistoryTranslator().feed(events)

    started = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]
    assert [a.started_event_id for a in activations] == [e.event_id for e in started]
    assert all(a.is_replaying for a in activations)
    # Workflow time is the time the task started, not the time of replay.
    assert [a.time for a in activations] == [e.event_time.ToDatetime(tzinfo=UTC) for e in started]
    assert [_kinds(a.jobs) for a in activations] == [
        ["StartWorkflow"],
        ["ResolveActivity"],  # get_product
        ["ResolveActivity"],  # charge_customer, after two failed attempts
        ["SignalWorkflow"],  # picked_up
        ["SignalWorkflow"],  # delivered
        ["FireTimer"],  # the sleep in the async signal handler
        ["ResolveActivity"],  # send_receipt
    ]


def test_jobs_carry_what_the_workflow_needs() -> None:
    activations = h.HistoryTranslator().feed(_events("order.json"))
    converter = DataConverter.default
    start = activations[0].jobs[0]
    assert isinstance(start, h.StartWorkflow)
    assert start.workflow_type == "Order"
    assert converter.from_payloads(start.args) == [3]
    charge = activations[2].jobs[0]
    assert isinstance(charge, h.ResolveActivity)
    assert charge.seq == 2 and charge.failure is None
    assert converter.from_payloads(charge.result or []) == ["charged 300 for product-3 on attempt 3"]
    delivered = activations[4].jobs[0]
    assert isinstance(delivered, h.SignalWorkflow)
    assert (delivered.name, converter.from_payloads(delivered.args)) == ("delivered", ["bob"])
    # The timer started in the task that handled "delivered" fires in the next one.
    timer_seq = int(activations[4].expected_commands[0].timer_started_event_attributes.timer_id)  # type: ignore[index]
    assert activations[5].jobs == [h.FireTimer(timer_seq)]


def test_expected_commands_are_the_command_events_after_each_task() -> None:
    activations = h.HistoryTranslator().feed(_events("order.json"))
    names = [
        [EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in a.expected_commands or []]
        for a in activations
    ]
    assert names == [
        ["ACTIVITY_TASK_SCHEDULED"],
        ["ACTIVITY_TASK_SCHEDULED"],
        ["TIMER_STARTED"],  # wait_condition's timeout
        ["TIMER_CANCELED"],  # ... cancelled once picked up
        ["TIMER_STARTED"],
        ["ACTIVITY_TASK_SCHEDULED"],
        ["WORKFLOW_EXECUTION_COMPLETED"],
    ]


def test_a_failed_workflow_task_hands_its_jobs_to_the_next_attempt() -> None:
    events = _events("flaky.json")
    kinds = [e.event_type for e in events]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED in kinds
    activations = h.HistoryTranslator().feed(events)
    # The signal that arrived before the first task started is in its activation;
    # the timer that fired before the failed attempt is delivered to the retry.
    assert [_kinds(a.jobs) for a in activations] == [
        ["StartWorkflow", "SignalWorkflow"],
        ["SignalWorkflow"],
        ["FireTimer"],
    ]
    failed = kinds.index(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    assert activations[-1].started_event_id > events[failed].event_id


def _cuts() -> list[tuple[str, int]]:
    """Every point a cached run may have stopped at: right after a task that then completed.

    (A task that fails evicts the run, so its history is never continued in pieces.)
    """
    cuts = []
    for name in ("order.json", "flaky.json"):
        events = _events(name)
        for event, following in itertools.pairwise(events):
            if (event.event_type, following.event_type) == (
                EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
                EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
            ):
                cuts.append((name, event.event_id))
    return cuts


@pytest.mark.parametrize(("name", "cut"), _cuts())
def test_a_history_fed_in_pieces_gives_the_same_jobs_as_fed_whole(name: str, cut: int) -> None:
    events = _events(name)
    whole = h.HistoryTranslator().feed(events)
    translator = h.HistoryTranslator()
    first = translator.feed(events[:cut])
    second = translator.feed(events[cut:])
    # What a cached run receives in pieces matches a full replay...
    assert [a.jobs for a in first + second] == [a.jobs for a in whole]
    assert [a.started_event_id for a in first + second] == [a.started_event_id for a in whole]
    # ... and the task the first piece ends with is the live one.
    assert first[-1].started_event_id == cut
    assert not first[-1].is_replaying
    assert first[-1].expected_commands is None
    assert all(a.is_replaying for a in first[:-1] + second)


def test_a_gap_in_the_events_is_an_error() -> None:
    events = _events("order.json")
    translator = h.HistoryTranslator()
    translator.feed(events[:5])
    with pytest.raises(h.HistoryError, match="history event 7 follows event 5"):
        translator.feed(events[6:])


def _timer(timer_id: str) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_START_TIMER,
        start_timer_command_attributes=command_pb.StartTimerCommandAttributes(timer_id=timer_id),
    )


def test_check_commands_names_the_mismatched_command_and_event() -> None:
    activations = h.HistoryTranslator().feed(_events("order.json"))
    second = activations[1]
    expected = second.expected_commands or []
    with pytest.raises(NondeterminismError) as caught:
        h.check_commands([_timer("1")], expected, second.started_event_id)
    message = str(caught.value)
    assert "START_TIMER (timer_id='1')" in message
    assert "ACTIVITY_TASK_SCHEDULED (event 11 activity_type='charge_customer'" in message
    assert f"started at event {second.started_event_id}" in message

    with pytest.raises(NondeterminismError, match="which history does not have"):
        h.check_commands([_timer("1")], [], 3)
    with pytest.raises(NondeterminismError, match="no matching command"):
        h.check_commands([], expected, 3)


def test_a_task_cut_short_by_termination_is_not_replayed() -> None:
    events = _events("order.json")
    started = [e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]
    # Terminated while its fourth workflow task ran: that task never produced commands.
    cut = events[: started[3]]
    terminated = history_pb.HistoryEvent(
        event_id=started[3] + 1, event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
    )
    activations = h.HistoryTranslator().feed([*cut, terminated])
    assert [a.started_event_id for a in activations] == started[:3]
    assert all(a.is_replaying for a in activations)
