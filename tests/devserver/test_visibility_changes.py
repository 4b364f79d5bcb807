"""What the engine upserts as a run changes (visibility.record_if_changed): a new record only
when something visibility shows changed, and then the record `record_of` makes of the run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from temporalio.api.enums.v1 import WorkflowExecutionStatus as S
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core.changes import RunKey
from devserver.core.mutable_state import MutableState
from devserver.visibility import VisibilityIndex, record_if_changed, record_of
from devserver.visibility_record import FieldType, VisibilityRecord, infer_type

START = 1_700_000_000.123456


def _run(backoff: float = 0.0) -> MutableState:
    state = MutableState(
        key=RunKey("default", "wf-1", "run-1"),
        workflow_type="Greeter",
        task_queue="q",
        started_attributes=history.WorkflowExecutionStartedEventAttributes(),
        start_time=START,
        first_execution_run_id="run-1",
    )
    state.first_wft_backoff = backoff
    return state


def _set_attribute(state: MutableState, name: str, value: object) -> None:
    payload = state.search_attributes.indexed_fields[name]
    payload.metadata["encoding"] = b"json/plain"
    payload.data = json.dumps(value).encode()


def _shows(current: VisibilityRecord, state: MutableState) -> bool:
    """Whether `current` shows what visibility shows of the run (a running run's history
    length is read from its state, not its record)."""
    made = record_of(state)
    same_length = state.close_time is None or made.history_length == current.history_length
    return (
        current.status == made.status
        and current.close_micros == made.close_micros
        and current.search_attributes == made.search_attributes
        and same_length
    )


def _step(current: VisibilityRecord, state: MutableState) -> VisibilityRecord:
    changed = record_if_changed(current, state)
    if changed is None:
        assert _shows(current, state)
        return current
    assert not _shows(current, state)
    assert changed == record_of(state)
    return changed


def test_a_new_run_gets_its_record() -> None:
    state = _run()
    assert record_if_changed(None, state) == record_of(state)


def test_a_run_is_upserted_when_what_visibility_shows_changes_and_only_then() -> None:
    for backoff in (0.0, 2.5):  # a delayed start's execution time is kept in the new records
        state = _run(backoff)
        current = record_of(state)
        state.next_event_id = 5  # a running run's history length: not shown
        assert record_if_changed(current, state) is None
        _set_attribute(state, "BuildIds", ["unversioned"])
        current = _step(current, state)
        assert current.search_attributes == {"BuildIds": ["unversioned"]}
        state.next_event_id = 9
        assert record_if_changed(current, state) is None  # equal attributes, decoded again
        state.status = S.WORKFLOW_EXECUTION_STATUS_COMPLETED
        state.close_time = START + 1.5
        state.next_event_id = 12
        closed = _step(current, state)
        assert closed is not current and closed.close_micros is not None and closed.history_length == 11
        assert closed.execution_micros == record_of(state).execution_micros
        state.next_event_id = 13  # a closed run's history length is shown
        assert _step(closed, state) is not closed
        assert record_if_changed(record_of(state), state) is None


def test_changed_records_keep_their_place_in_the_list() -> None:
    index = VisibilityIndex()
    states = [_run() for _ in range(5)]
    for number, state in enumerate(states):  # all started in the same microsecond
        state.key = RunKey("default", f"wf-{number}", f"run-{number}")
        index.upsert(record_of(state))
    for number, state in enumerate(states):
        if number % 2:
            state.status = S.WORKFLOW_EXECUTION_STATUS_COMPLETED
            state.close_time = START + 1
            state.next_event_id = 4
        _set_attribute(state, "CustomKeywordField", "k")
        changed = record_if_changed(index.get("default", state.key.run_id), state)
        assert changed is not None
        index.upsert(changed)
    page, _ = index.list("default", "", 10, b"")
    assert [record.run_id for record in page] == ["run-4", "run-2", "run-0", "run-3", "run-1"]
    assert index.count("default", "CustomKeywordField = 'k' AND ExecutionStatus = 'Completed'") == 2


def test_an_attributes_type_is_inferred_from_its_value() -> None:
    class Named(str):
        pass

    values: list[object] = [True, 3, 2.5, "k", Named("k"), ["a"], ("a",), datetime(2024, 1, 1, tzinfo=UTC), None, {}]
    kinds = [FieldType.BOOL, FieldType.INT, FieldType.DOUBLE, FieldType.KEYWORD, FieldType.KEYWORD]
    kinds += [FieldType.KEYWORD_LIST, FieldType.KEYWORD_LIST, FieldType.DATETIME, None, None]
    assert [infer_type(value) for value in values] == kinds
