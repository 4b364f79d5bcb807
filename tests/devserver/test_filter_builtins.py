"""A filter on a built-in field (times, ids, type, queue, status, history length) answers what
the comparison every field takes answers: random runs against random built-in predicates,
each asked through its compiled test and through the general comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import WorkflowExecutionStatus as S

from devserver.list_filter import _Bool, _Not, _Predicate, parse_query
from devserver.visibility_record import VisibilityRecord

T0 = datetime(2024, 1, 1, tzinfo=UTC)
STATUSES = ["Running", "Completed", "Failed", "Terminated"]

seconds = st.integers(0, 50)
moments = seconds.map(lambda s: (T0 + timedelta(seconds=s)).isoformat().replace("+00:00", "Z"))
keywords = st.sampled_from(["a", "b", "ab", "w-1", ""])


@st.composite
def records(draw: st.DrawFn) -> VisibilityRecord:
    start = T0 + timedelta(seconds=draw(seconds))
    closed = draw(st.booleans())
    return VisibilityRecord(
        namespace="default",
        workflow_id=draw(keywords),
        run_id=draw(keywords),
        workflow_type=draw(keywords),
        task_queue=draw(keywords),
        status=S.WORKFLOW_EXECUTION_STATUS_COMPLETED if closed else S.WORKFLOW_EXECUTION_STATUS_RUNNING,
        start_time=start,
        execution_time=start + timedelta(seconds=draw(st.sampled_from([0, 3]))),
        close_time=start + timedelta(seconds=draw(seconds)) if closed else None,
        history_length=draw(st.integers(0, 20)),
    )


@st.composite
def predicates(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "BETWEEN", "NOT BETWEEN", "IN", "NOT IN", "IS NULL"]))
    field, values = draw(
        st.sampled_from(
            [
                ("StartTime", moments),
                ("ExecutionTime", moments),
                ("CloseTime", moments),
                ("HistoryLength", st.integers(0, 20).map(str)),
                ("WorkflowId", keywords.map(lambda k: f"'{k}'")),
                ("WorkflowType", keywords.map(lambda k: f"'{k}'")),
                ("TaskQueue", keywords.map(lambda k: f"'{k}'")),
                ("ExecutionStatus", st.sampled_from(STATUSES).map(lambda k: f"'{k}'")),
            ]
        )
    )
    if field in ("StartTime", "ExecutionTime", "CloseTime"):
        values = values.map(lambda v: f"'{v}'")
    if op == "IS NULL":
        return f"{field} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
    if op in ("BETWEEN", "NOT BETWEEN"):
        return f"{field} {op} {draw(values)} AND {draw(values)}"
    if op in ("IN", "NOT IN"):
        return f"{field} {op} ({', '.join(draw(st.lists(values, min_size=1, max_size=3)))})"
    if field in ("WorkflowId", "WorkflowType", "TaskQueue") and draw(st.booleans()):
        return f"{field} STARTS_WITH {draw(values)}"
    return f"{field} {op} {draw(values)}"


def _generic(node: object, record: VisibilityRecord) -> bool | None:
    """The filter's answer with every predicate asked through the general comparison."""
    if isinstance(node, _Predicate):
        return node.eval_generic(record)
    if isinstance(node, _Not):
        inner = _generic(node.child, record)
        return None if inner is None else not inner
    assert isinstance(node, _Bool)
    answers = [_generic(item, record) for item in node.items]
    decisive = node.op == "OR"
    if decisive in answers:
        return decisive
    return None if None in answers else not decisive


@settings(max_examples=400)
@given(st.lists(predicates(), min_size=1, max_size=3), st.sampled_from([" AND ", " OR "]), records())
def test_compiled_builtin_predicates_answer_as_the_general_comparison(
    parts: list[str], joiner: str, record: VisibilityRecord
) -> None:
    query = parse_query(joiner.join(parts))
    assert all(p._test is not None for p in query.predicates if "IS NULL" not in p.op)
    assert query.root is not None
    assert query.root.eval(record) == _generic(query.root, record)
    assert query.matches(record) == (_generic(query.root, record) is True)


def test_a_null_check_keeps_the_general_comparison() -> None:
    query = parse_query("CloseTime IS NULL")
    assert [p._test for p in query.predicates] == [None]
