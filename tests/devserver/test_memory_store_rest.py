"""A closed run the memory store puts to rest (`MemoryStore.rest`) is packed without what its
history and execution info hold already; read back (`load_run`, `closed_info`, `read`,
`last_event_id`) it is exactly what it was."""

from __future__ import annotations

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import describe, signals, snapshot
from devserver.core.mutable_state import MutableState
from devserver.run_table import at_rest
from devserver.store import MemoryStore, RunWrite
from tests.devserver.core_harness import Run, complete_workflow


def _closed_run_with_big_signals(fill_fields_held_by_info: bool = False) -> Run:
    """A completed run whose history has events of under 128 bytes, over 128 and over 16 KiB
    (an event's length takes one, two or three bytes ahead of it in a serialized History)."""
    run = Run()
    for size in (10, 300, 20_000):
        payloads = common.Payloads(payloads=[common.Payload(data=b"x" * size)])
        run.step(signals.signal, f"poke-{size}", payloads, "cli", f"sig-{size}")
    if fill_fields_held_by_info:
        # Before the close: a closed run's memo and search attributes are shared (core.closing).
        _fill_fields_held_by_info(run.state)
    run.complete_task(run.start_task(), complete_workflow())
    return run


def _fill_fields_held_by_info(state: MutableState) -> None:
    """Give the fields its execution info holds values other than their defaults."""
    state.memo.fields["note"].data = b'"kept"'
    state.search_attributes.indexed_fields["CustomKeywordField"].data = b'"blue"'
    state.auto_reset_points.points.add(run_id=state.key.run_id, first_workflow_task_completed_id=4, build_id="b-1")
    state.state_transitions += 17


async def _rested(run: Run) -> MemoryStore:
    store = MemoryStore()
    assert at_rest(run.state)
    await store.commit([RunWrite(run.state, list(run.history))])
    return store


async def test_a_run_at_rest_reads_back_exactly_as_it_was() -> None:
    run = _closed_run_with_big_signals(fill_fields_held_by_info=True)
    # A float equal to its default but not it (-0.0) is kept as it is.
    run.state.last_reset_time = -0.0
    before = snapshot.dump(run.state)
    info = describe.execution_info(run.state)
    store = await _rested(run)

    loaded = store.load_run(run.state.key)
    assert loaded == run.state
    assert snapshot.dump(loaded) == before
    assert str(loaded.last_reset_time) == "-0.0"
    assert store.closed_info(run.state.key) == info
    assert store.last_event_id(run.state.key) == len(run.history)
    assert store.read(run.state.key, 1, len(run.history)) == run.history


async def test_started_attributes_the_history_does_not_hold_are_kept() -> None:
    # A reset run's started attributes may differ from its history's first event.
    run = _closed_run_with_big_signals()
    run.state.started_attributes.attempt = 3
    store = await _rested(run)
    loaded = store.load_run(run.state.key)
    assert loaded is not None and loaded.started_attributes.attempt == 3
    assert loaded == run.state


async def test_a_closed_history_packs_as_its_serialized_history() -> None:
    run = _closed_run_with_big_signals()
    store = MemoryStore()
    store.append(run.state.key, run.history)  # sealed as it closes, not at rest
    assert store.read(run.state.key, 1, len(run.history)) == run.history
    store._decoded.clear()  # read from the packed bytes, not the events kept decoded
    events = store.read(run.state.key, 1, len(run.history))
    assert history.History(events=events).SerializeToString() == history.History(events=run.history).SerializeToString()
