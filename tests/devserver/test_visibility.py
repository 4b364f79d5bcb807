"""The visibility index and its List Filter language, as a `workflow list --query` user sees it."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.enums.v1 import WorkflowExecutionStatus as S

from devserver.list_filter import parse_query
from devserver.visibility import VisibilityIndex
from devserver.visibility_record import InvalidQueryError, VisibilityRecord

T0 = datetime(2024, 1, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NS = "default"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def record(
    workflow_id: str,
    run_id: str,
    *,
    status: int = S.WORKFLOW_EXECUTION_STATUS_RUNNING,
    start: float,
    close: float | None = None,
    workflow_type: str = "TypeA",
    task_queue: str = "q1",
    history_length: int = 0,
    namespace: str = NS,
    **search_attributes: object,
) -> VisibilityRecord:
    return VisibilityRecord(
        namespace=namespace,
        workflow_id=workflow_id,
        run_id=run_id,
        workflow_type=workflow_type,
        task_queue=task_queue,
        status=status,
        start_time=at(start),
        execution_time=at(start + 0.5),
        close_time=None if close is None else at(close),
        history_length=history_length,
        search_attributes=dict(search_attributes),
    )


# Newest first: open runs (StartTime DESC), then closed runs (CloseTime DESC).
ALL = ["refund-2", "order-1", "order-2", "refund-1", "order-3"]


@pytest.fixture
def index() -> VisibilityIndex:
    idx = VisibilityIndex()
    for rec in [
        record("order-1", "r1", start=1, Customer="alice", Priority=3, Tags=["vip", "eu"]),
        record("order-2", "r2", status=S.WORKFLOW_EXECUTION_STATUS_COMPLETED, start=2, close=10,
               history_length=12, Customer="bob", Priority=7, Express=True),
        record("order-3", "r3", status=S.WORKFLOW_EXECUTION_STATUS_FAILED, start=3, close=5,
               task_queue="q2", history_length=30, Customer="o'brien", Amount=9.5,
               **{"Sales Region": "emea"}),
        record("refund-1", "r4", status=S.WORKFLOW_EXECUTION_STATUS_TERMINATED, start=4,
               close=6, workflow_type="TypeB", task_queue="q2", history_length=4,
               Deadline=at(60), Express=False),
        record("refund-2", "r5", start=5, workflow_type="TypeB",
               CustomTextField="payment_retry handler, v1.2.3"),
        record("order-1", "r6", start=9, namespace="other"),
    ]:  # fmt: skip
        idx.upsert(rec)
    return idx


def ids(index: VisibilityIndex, query: str) -> list[str]:
    records, token = index.list(NS, query, 0, b"")
    assert token == b""
    return [r.workflow_id for r in records]


def error(index: VisibilityIndex, query: str) -> str:
    with pytest.raises(InvalidQueryError) as info:
        index.list(NS, query, 0, b"")
    return str(info.value)


def test_empty_query_lists_the_namespace_newest_first(index: VisibilityIndex) -> None:
    assert ids(index, "") == ALL
    assert ids(index, "   ") == ALL
    assert [r.run_id for r in index.list("other", "", 0, b"")[0]] == ["r6"]
    assert index.list("nobody", "", 0, b"") == ([], b"")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("WorkflowId = 'order-2'", ["order-2"]),
        ("WorkflowId != 'order-2'", ["refund-2", "order-1", "refund-1", "order-3"]),
        ("WorkflowId <> 'order-2'", ["refund-2", "order-1", "refund-1", "order-3"]),
        ("WorkflowId > 'order-3'", ["refund-2", "refund-1"]),
        ("WorkflowId >= 'order-3'", ["refund-2", "refund-1", "order-3"]),
        ("WorkflowId < 'order-2'", ["order-1"]),
        ("WorkflowId <= 'order-2'", ["order-1", "order-2"]),
        ("HistoryLength > 4", ["order-2", "order-3"]),
        ("HistoryLength = 30", ["order-3"]),
        ("HistoryLength = 30.5", []),
        ("WorkflowId IN ('order-3', 'refund-2', 'nope')", ["refund-2", "order-3"]),
        ("WorkflowId NOT IN ('order-3', 'refund-2')", ["order-1", "order-2", "refund-1"]),
        ("WorkflowId BETWEEN 'order-2' AND 'order-3'", ["order-2", "order-3"]),
        ("WorkflowId NOT BETWEEN 'order-2' AND 'order-3'", ["refund-2", "order-1", "refund-1"]),
        ("HistoryLength BETWEEN 30 AND 4", []),
        ("WorkflowId STARTS_WITH 'refund-'", ["refund-2", "refund-1"]),
        ("WorkflowId NOT STARTS_WITH 'refund-'", ["order-1", "order-2", "order-3"]),
        ("WorkflowId STARTS_WITH ''", ALL),
        ("TaskQueue = 'q2'", ["refund-1", "order-3"]),
        ("WorkflowType = 'TypeB'", ["refund-2", "refund-1"]),
        ("RunId = 'r3'", ["order-3"]),
        ("CloseTime IS NULL", ["refund-2", "order-1"]),
        ("CloseTime IS NOT NULL", ["order-2", "refund-1", "order-3"]),
        ("WorkflowId IS NULL", []),
    ],
)
def test_operators(index: VisibilityIndex, query: str, expected: list[str]) -> None:
    assert ids(index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # AND binds tighter than OR.
        ("WorkflowId = 'order-1' OR WorkflowId = 'order-3' AND TaskQueue = 'q1'", ["order-1"]),
        ("(WorkflowId = 'order-1' OR WorkflowId = 'order-3') AND TaskQueue = 'q2'", ["order-3"]),
        (
            "TaskQueue = 'q2' AND WorkflowType = 'TypeA' OR WorkflowId = 'refund-2'",
            ["refund-2", "order-3"],
        ),
        ("TaskQueue = 'q2' AND (WorkflowType = 'TypeA' OR WorkflowId = 'refund-2')", ["order-3"]),
        # NOT binds tighter than AND, and can negate a parenthesised group.
        ("NOT WorkflowType = 'TypeA' AND TaskQueue = 'q1'", ["refund-2"]),
        ("NOT (WorkflowType = 'TypeA' AND TaskQueue = 'q1')", ["refund-2", "refund-1", "order-3"]),
        ("NOT NOT WorkflowId = 'order-1'", ["order-1"]),
        ("((((WorkflowId = 'order-1'))))", ["order-1"]),
        ("(" * 100 + "WorkflowId = 'order-1'" + ")" * 100, ["order-1"]),
        (
            "NOT " * 10_001 + "WorkflowId = 'order-1'",
            ["refund-2", "order-2", "refund-1", "order-3"],
        ),
        (
            " OR ".join(f"WorkflowId = 'order-{i}'" for i in range(5000)),
            ["order-1", "order-2", "order-3"],
        ),
        # Keywords are case-insensitive.
        ("WorkflowId starts_with 'refund' aNd TaskQueue not in ('q2')", ["refund-2"]),
        ("workflowtype = 'TypeB'", "unknown field 'workflowtype'"),
        ("CloseTime is not null and not HistoryLength between 0 and 10", ["order-2", "order-3"]),
    ],
)
def test_boolean_logic_and_precedence(index: VisibilityIndex, query: str, expected: object) -> None:
    if isinstance(expected, str):
        assert expected in error(index, query)
    else:
        assert ids(index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('WorkflowId = "order-1"', ["order-1"]),
        ("Customer = 'o\\'brien'", ["order-3"]),
        ("Customer = 'o''brien'", ["order-3"]),
        ('Customer = "o\'brien"', ["order-3"]),
        ('Customer = "o\\"brien"', []),
        ("`WorkflowId` = 'order-1'", ["order-1"]),
        ("`Sales Region` = 'emea'", ["order-3"]),
        ("WorkflowId = 'order-1';", ["order-1"]),
        ("\n\tWorkflowId\n=\n'order-1'\n", ["order-1"]),
    ],
)
def test_quoting(index: VisibilityIndex, query: str, expected: list[str]) -> None:
    assert ids(index, query) == expected


def test_backticks_let_a_keyword_be_a_field_name() -> None:
    idx = VisibilityIndex()
    idx.upsert(record("a", "r1", start=1, Order="x"))
    assert ids(idx, "`Order` = 'x'") == ["a"]
    assert "got 'Order' (Order is a reserved word: write `Order`" in error(idx, "Order = 'x'")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ExecutionStatus = 'Running'", ["refund-2", "order-1"]),
        ("ExecutionStatus = 'Completed'", ["order-2"]),
        ("ExecutionStatus = 'Failed'", ["order-3"]),
        ("ExecutionStatus = 'Terminated'", ["refund-1"]),
        ("ExecutionStatus = 'Canceled'", []),
        ("ExecutionStatus = 'ContinuedAsNew'", []),
        ("ExecutionStatus = 'TimedOut'", []),
        ("ExecutionStatus = 5", ["refund-1"]),
        ("ExecutionStatus != 'Running'", ["order-2", "refund-1", "order-3"]),
        ("ExecutionStatus IN ('Completed', 3)", ["order-2", "order-3"]),
        # Statuses order by their enum number: Running(1) < Completed(2) < Failed(3).
        ("ExecutionStatus BETWEEN 'Completed' AND 'Failed'", ["order-2", "order-3"]),
        ("ExecutionStatus > 'Failed'", ["refund-1"]),
    ],
)
def test_status_names_and_numbers(index: VisibilityIndex, query: str, expected: list[str]) -> None:
    assert ids(index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("StartTime > '2024-01-01T00:03:00Z'", ["refund-2", "refund-1"]),
        ("StartTime >= '2024-01-01T00:03:00Z'", ["refund-2", "refund-1", "order-3"]),
        # Same instant written with an offset and with (truncated) nanoseconds.
        ("StartTime >= '2024-01-01T01:03:00+01:00'", ["refund-2", "refund-1", "order-3"]),
        ("StartTime < '2023-12-31T19:02:00.000000001-05:00'", ["order-1"]),
        ("StartTime = '2024-01-01T00:03:00.000Z'", ["order-3"]),
        (
            "StartTime BETWEEN '2024-01-01T00:02:00Z' AND '2024-01-01T00:04:00Z'",
            ["order-2", "refund-1", "order-3"],
        ),
        ("ExecutionTime = '2024-01-01T00:01:30Z'", ["order-1"]),
        ("StartTime < '2024-01-01T00:03:00.5Z'", ["order-1", "order-2", "order-3"]),
        ("StartTime < '2024-01-01T00:03:00Z'", ["order-1", "order-2"]),
        ("CloseTime < '2024-01-01T00:06:00Z'", ["order-3"]),
        # Integers are Unix nanoseconds, as in the real server.
        (
            f"StartTime > {int((at(4) - EPOCH).total_seconds()) * 10**9}",
            ["refund-2"],
        ),
    ],
)
def test_time_comparisons(index: VisibilityIndex, query: str, expected: list[str]) -> None:
    assert ids(index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # An open run's CloseTime is NULL: every comparison with it is unknown, so
        # neither the comparison nor its negation selects the run.
        ("CloseTime > '2000-01-01T00:00:00Z'", ["order-2", "refund-1", "order-3"]),
        ("CloseTime != '2000-01-01T00:00:00Z'", ["order-2", "refund-1", "order-3"]),
        ("NOT CloseTime < '2000-01-01T00:00:00Z'", ["order-2", "refund-1", "order-3"]),
        ("NOT CloseTime > '2000-01-01T00:00:00Z'", []),
        ("CloseTime NOT IN ('2000-01-01T00:00:00Z')", ["order-2", "refund-1", "order-3"]),
        # ...but a decisive other operand still wins (Kleene logic).
        (
            "WorkflowId = 'order-1' OR CloseTime > '2000-01-01T00:00:00Z'",
            ["order-1", "order-2", "refund-1", "order-3"],
        ),
        ("WorkflowId = 'order-1' AND NOT CloseTime > '2000-01-01T00:00:00Z'", []),
        # Like the real server, HistoryLength is only known once a run has closed.
        ("HistoryLength >= 0", ["order-2", "refund-1", "order-3"]),
        ("HistoryLength IS NULL", ["refund-2", "order-1"]),
    ],
)
def test_null_close_time(index: VisibilityIndex, query: str, expected: list[str]) -> None:
    assert ids(index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Priority > 5", ["order-2"]),
        ("Priority IN (3, 7)", ["order-1", "order-2"]),
        ("Priority != 3", ["order-2"]),  # runs without Priority are unknown, not "!= 3"
        ("Priority IS NULL", ["refund-2", "refund-1", "order-3"]),
        ("Customer STARTS_WITH 'o'", ["order-3"]),
        ("Express = true", ["order-2"]),
        ("Express = FALSE", ["refund-1"]),
        ("Express != true", ["refund-1"]),
        ("Amount BETWEEN 9 AND 10", ["order-3"]),
        ("Amount > 9.75", []),
        ("Deadline > '2024-01-01T00:59:59Z'", ["refund-1"]),
        # KeywordList: equality means "contains"; a missing list counts as empty.
        ("Tags = 'vip'", ["order-1"]),
        ("Tags IN ('eu', 'us')", ["order-1"]),
        ("Tags != 'vip'", ["refund-2", "order-2", "refund-1", "order-3"]),
        ("Tags NOT IN ('nope')", ALL),
        # Text: matches whole words, case-insensitively; '.' inside a word does not split.
        ("CustomTextField = 'HANDLER'", ["refund-2"]),
        ("CustomTextField = 'payment_retry'", ["refund-2"]),
        ("CustomTextField = 'payment'", []),
        ("CustomTextField = 'v1.2.3'", ["refund-2"]),
        ("CustomTextField = 'zzz handler'", ["refund-2"]),
        # Well-known attributes no run has set are simply absent.
        ("CustomKeywordField = 'x'", []),
        ("CustomIntField IS NULL", ALL),
        ("BuildIds = 'abc'", []),
        ("TemporalChangeVersion IS NOT NULL", []),
    ],
)
def test_custom_search_attributes(index: VisibilityIndex, query: str, expected: list[str]) -> None:
    assert ids(index, query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("Foo = 'x'", "invalid query: unknown field 'Foo' at position 1"),
        ("WorkflowId = 'order-1' AND Bogus = 1", "unknown field 'Bogus' at position 28"),
        ("Priority = 'high'", "invalid value 'high' for Int field 'Priority'"),
        ("Express = 'true'", "invalid value 'true' for Bool field 'Express'"),
        ("Deadline > 'soon'", "for Datetime field 'Deadline'"),
        ("Tags > 'a'", "operator '>' is not supported for KeywordList field 'Tags'"),
        ("CustomTextField STARTS_WITH 'pay'", "operator 'STARTS_WITH' is not supported for Text"),
        ("CustomTextField NOT IN ('a')", "operator 'NOT IN' is not supported for Text"),
        ("CustomIntField = 'one'", "invalid value 'one' for Int field 'CustomIntField'"),
        (
            "CustomTextField = ' - '",
            "for Text field 'CustomTextField': expected a quoted string with at least one word",
        ),
    ],
)
def test_custom_attribute_errors(index: VisibilityIndex, query: str, message: str) -> None:
    assert message in error(index, query)


def test_declared_search_attributes_are_known_before_any_run_sets_them() -> None:
    idx = VisibilityIndex({"Region": "Keyword", "Score": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE})
    idx.upsert(record("a", "r1", start=1))
    idx.upsert(record("b", "r2", start=2, Score=2.5))
    assert ids(idx, "Region = 'emea'") == []
    assert ids(idx, "Region IS NULL") == ["b", "a"]
    assert ids(idx, "Score > 2") == ["b"]
    assert "for Double field 'Score'" in error(idx, "Score = 'high'")
    assert "unknown field 'Other'" in error(idx, "Other = 1")
    idx.declare_search_attribute("Other", IndexedValueType.INDEXED_VALUE_TYPE_BOOL)
    assert ids(idx, "Other IS NULL") == ["b", "a"]
    assert "for Bool field 'Other'" in error(idx, "Other = 1")


def test_declared_types_win_over_the_stored_values() -> None:
    idx = VisibilityIndex({"Region": "Keyword", "Labels": "KeywordList", "Count": "Int"})
    idx.upsert(record("a", "r1", start=1, Region="emea", Labels="solo", Count=1))
    idx.upsert(record("b", "r2", start=2, Region=5, Labels=["x", "y"], Count=True))
    assert ids(idx, "Count = 1") == ["a"]  # a stored bool is not the number 1
    # A single keyword stored for a KeywordList behaves as a one-element list.
    assert ids(idx, "Labels = 'solo'") == ["a"]
    assert ids(idx, "Labels IN ('y', 'solo')") == ["b", "a"]
    # A value of the wrong kind is unknown: neither IN nor NOT IN selects it.
    assert ids(idx, "Region IN ('emea', 'apac')") == ["a"]
    assert ids(idx, "Region NOT IN ('apac')") == ["a"]
    assert ids(idx, "Region != 'apac'") == ["a"]
    assert "for Keyword field 'Region'" in error(idx, "Region = 5")


def test_an_attribute_with_mixed_value_kinds_compares_per_run() -> None:
    idx = VisibilityIndex()
    idx.upsert(record("a", "r1", start=1, Ref="abc"))
    idx.upsert(record("b", "r2", start=2, Ref=42))
    idx.upsert(record("c", "r3", start=3, Ref=7.5))
    idx.upsert(record("d", "r4", start=4, Ref=True))
    assert ids(idx, "Ref = 'abc'") == ["a"]
    assert ids(idx, "Ref > 10") == ["b"]
    assert ids(idx, "Ref IN ('abc', 7.5)") == ["c", "a"]
    assert ids(idx, "Ref = 1") == []  # true is a Bool, not the number 1
    assert ids(idx, "Ref = true") == ["d"]


def test_ints_and_floats_make_a_double_attribute() -> None:
    idx = VisibilityIndex()
    idx.upsert(record("a", "r1", start=1, Weight=1))
    idx.upsert(record("b", "r2", start=2, Weight=2.5))
    assert ids(idx, "Weight >= 1") == ["b", "a"]
    assert "for Double field 'Weight'" in error(idx, "Weight = 'heavy'")


def test_naive_datetimes_on_records_are_taken_as_utc() -> None:
    idx = VisibilityIndex()
    aware = record("a", "r1", start=1, close=2)
    naive_start = aware.start_time.replace(tzinfo=None)
    idx.upsert(
        VisibilityRecord(
            namespace=NS,
            workflow_id="a",
            run_id="r1",
            workflow_type="TypeA",
            task_queue="q1",
            status=aware.status,
            start_time=naive_start,
            execution_time=naive_start,
            close_time=aware.close_time,
            search_attributes={"Due": datetime(2024, 5, 1, 12, 0)},
        )
    )
    assert ids(idx, "StartTime = '2024-01-01T01:01:00+01:00'") == ["a"]
    assert ids(idx, "Due < '2024-05-01T12:00:01Z'") == ["a"]
    idx.upsert(record("b", "r2", start=0.5, close=3))  # aware: sorts with the naive one
    assert ids(idx, "") == ["b", "a"]


def test_parse_query_alone_matches_records() -> None:
    query = parse_query("ExecutionStatus = 'Running' AND Priority >= 3")
    assert query.group_by is None
    assert query.matches(record("a", "r1", start=1, Priority=3))
    assert not query.matches(record("a", "r1", start=1, Priority=2))
    assert not query.matches(record("a", "r1", start=1, Priority="high"))
    assert not query.matches(record("a", "r1", start=1))
    assert not parse_query("Foo = 1").matches(record("a", "r1", start=1))
    assert parse_query("").matches(record("a", "r1", start=1))
    assert parse_query("GROUP BY ExecutionStatus").group_by == "ExecutionStatus"


def test_upsert_replaces_get_and_delete(index: VisibilityIndex) -> None:
    closed = record("order-1", "r1", status=S.WORKFLOW_EXECUTION_STATUS_COMPLETED, start=1,
                    close=20, history_length=9)  # fmt: skip
    index.upsert(closed)
    assert index.get(NS, "r1") is closed
    assert ids(index, "")[:3] == ["refund-2", "order-1", "order-2"]  # now closed at 20
    assert ids(index, "ExecutionStatus = 'Running'") == ["refund-2"]
    index.delete(NS, "r1")
    index.delete(NS, "r1")  # already gone: no error
    assert index.get(NS, "r1") is None
    assert "order-1" not in ids(index, "")
    other = index.get("other", "r6")  # another namespace's run is untouched
    assert other is not None and other.run_id == "r6"
    assert sorted(r.run_id for r in index.all_records()) == ["r2", "r3", "r4", "r5", "r6"]


def pages(index: VisibilityIndex, query: str, size: int) -> list[list[str]]:
    """Run ids page by page until the token runs out (bounded, so a loop fails fast)."""
    result, token = [], b""
    for _ in range(20):
        page, token = index.list(NS, query, size, token)
        result.append([r.run_id for r in page])
        if not token:
            return result
    raise AssertionError(f"paging did not end: {result}")


def test_paging_walks_every_run_once_in_order(index: VisibilityIndex) -> None:
    assert pages(index, "", 2) == [["r5", "r1"], ["r2", "r4"], ["r3"]]
    assert pages(index, "TaskQueue = 'q1'", 1) == [["r5"], ["r1"], ["r2"]]
    assert pages(index, "", 5) == [["r5", "r1", "r2", "r4", "r3"]]
    assert pages(index, "WorkflowId = 'none'", 5) == [[]]


def test_paging_is_stable_while_runs_are_added_and_removed(index: VisibilityIndex) -> None:
    first, token = index.list(NS, "", 2, b"")
    assert [r.workflow_id for r in first] == ["refund-2", "order-1"]
    index.upsert(record("new-1", "r7", start=50))  # newest of all: belongs before page 1
    index.delete(NS, "r5")  # already returned
    second, token = index.list(NS, "", 2, token)
    third, token = index.list(NS, "", 2, token)
    assert [r.workflow_id for r in second + third] == ["order-2", "refund-1", "order-3"]
    assert token == b""
    assert ids(index, "")[0] == "new-1"


def test_ties_on_start_time_are_ordered_by_run_id_and_paged_without_loss() -> None:
    idx = VisibilityIndex()
    for run_id in ["b", "d", "a", "c"]:
        idx.upsert(record(f"wf-{run_id}", run_id, start=1))
    assert pages(idx, "", 1) == [["d"], ["c"], ["b"], ["a"]]


def test_paging_honours_the_filter_and_default_page_size() -> None:
    idx = VisibilityIndex()
    for i in range(1005):
        idx.upsert(record(f"wf-{i}", f"r{i:04}", start=i, Even=i % 2 == 0))
    page, token = idx.list(NS, "", 0, b"")
    assert len(page) == 1000 and token
    page, token = idx.list(NS, "", -5, token)
    assert [r.workflow_id for r in page] == ["wf-4", "wf-3", "wf-2", "wf-1", "wf-0"]
    assert token == b""
    page, token = idx.list(NS, "Even = true", 500, b"")
    assert len(page) == 500 and page[0].workflow_id == "wf-1004"
    page, token = idx.list(NS, "Even = true", 500, token)
    assert [r.workflow_id for r in page] == ["wf-4", "wf-2", "wf-0"] and token == b""


@pytest.mark.parametrize(
    "token",
    [
        b"garbage!",
        b"\xff\xfe",
        base64.urlsafe_b64encode(b"not json"),
        base64.urlsafe_b64encode(json.dumps(["v1", True, 0, 1]).encode()),
        base64.urlsafe_b64encode(json.dumps(["v2", True, 0, 1, "r"]).encode()),
        base64.urlsafe_b64encode(json.dumps(["v1", 1, 0, 1, "r"]).encode()),
        base64.urlsafe_b64encode(json.dumps(["v1", False, 10**30, 1, "r"]).encode()),  # no time is that late
        base64.urlsafe_b64encode(json.dumps(["v1", False, 1, -(10**30), "r"]).encode()),
        base64.urlsafe_b64encode(json.dumps({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}).encode()),
        base64.urlsafe_b64encode(b"[" * 100_000),
    ],
)
def test_garbage_page_token_is_rejected(index: VisibilityIndex, token: bytes) -> None:
    with pytest.raises(InvalidQueryError, match=r"^invalid next page token$"):
        index.list(NS, "", 2, token)


def test_random_page_tokens_are_rejected(index: VisibilityIndex) -> None:
    rng = random.Random(7)
    for _ in range(500):
        token = rng.randbytes(rng.randint(1, 40))
        with pytest.raises(InvalidQueryError, match=r"^invalid next page token$"):
            index.list(NS, "", 2, token)


def test_count_and_count_by_status(index: VisibilityIndex) -> None:
    assert index.count(NS, "") == 5
    assert index.count(NS, "WorkflowId STARTS_WITH 'order'") == 3
    assert index.count(NS, "GROUP BY ExecutionStatus") == 5
    assert index.count("other", "") == 1
    assert index.count_by_status(NS, "GROUP BY ExecutionStatus") == {1: 2, 2: 1, 3: 1, 5: 1}
    assert index.count_by_status(NS, "TaskQueue = 'q1' group by ExecutionStatus") == {1: 2, 2: 1}
    assert index.count_by_status(NS, "WorkflowId = 'none' GROUP BY ExecutionStatus") == {}
    with pytest.raises(InvalidQueryError, match="unknown field 'Nope'"):
        index.count(NS, "Nope = 1")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("WorkflowId = 'a' GROUP BY ExecutionStatus", "GROUP BY is only supported by Count"),
        (
            "GROUP BY WorkflowType",
            "GROUP BY is only supported for ExecutionStatus, not 'WorkflowType' at position 10",
        ),
        ("GROUP BY ExecutionStatus, WorkflowType", "only a single field at position 25"),
        ("WorkflowId = 'a' GROUP ExecutionStatus", "expected BY after GROUP"),
        ("WorkflowId = 'a' GROUP BY", "expected a field name, got end of query"),
        ("WorkflowId = 'a' ORDER BY StartTime", "ORDER BY is not supported at position 18"),
        ("GROUP BY ExecutionStatus ORDER BY StartTime DESC", "ORDER BY is not supported"),
        ("WorkflowId = 'a' LIMIT 5", "LIMIT is not supported"),
        (
            "WorkflowId = ",
            "expected a value (quoted string, number, true or false), got end of query at position 14",
        ),
        ("WorkflowId", "incomplete expression: expected an operator after 'WorkflowId'"),
        ("= 'x'", "expected a field name, got '=' at position 1"),
        ("'order-1' = WorkflowId", "expected a field name, got string 'order-1' at position 1"),
        ("WorkflowId = 'order-1' AND", "expected a field name, got end of query at position 27"),
        ("WorkflowId = 'a' OR OR WorkflowId = 'b'", "expected a field name, got 'OR'"),
        ("(WorkflowId = 'order-1'", "expected ')' or AND/OR, got end of query"),
        ("WorkflowId = 'order-1')", "expected AND, OR, GROUP BY or end of query, got ')'"),
        ("WorkflowId = 'a' WorkflowId = 'b'", "got 'WorkflowId' at position 18"),
        ("WorkflowId == 'x'", "expected a value (quoted string, number, true or false), got '='"),
        ("WorkflowId = order1", "did you forget to quote 'order1'? at position 14"),
        ("StartTime = CloseTime", "did you forget to quote 'CloseTime'?"),
        ("WorkflowId = 'abc", "unterminated string starting at position 14"),
        ("`WorkflowId = 'abc'", "unterminated field name starting at position 1"),
        ("`` = 'x'", "empty field name at position 1"),
        (
            "WorkflowId LIKE 'a%'",
            "expected an operator (=, !=, <, <=, >, >=, IN, BETWEEN, STARTS_WITH, IS) after 'WorkflowId', got 'LIKE'",
        ),
        ("WorkflowId NOT = 'x'", "expected IN, BETWEEN or STARTS_WITH after NOT, got '='"),
        ("WorkflowId IN ()", "expected a value"),
        ("WorkflowId IN ('a' 'b')", "expected ',' or ')' in the IN list, got string 'b'"),
        ("WorkflowId IN 'a'", "expected '(' after IN"),
        ("WorkflowId BETWEEN 'a' OR 'b'", "expected AND in BETWEEN ... AND ..., got 'OR'"),
        ("CloseTime IS 'x'", "expected NULL after IS, got string 'x'"),
        ("CloseTime IS NOT 5", "expected NULL after IS NOT, got '5'"),
        ("WorkflowId = 'a' # comment", "got '#' at position 18"),
        ("WorkflowId = *", "expected a value (quoted string, number, true or false), got '*'"),
        ("Group = 'x'", "got 'Group' (Group is a reserved word: write `Group`"),
        ("SELECT * FROM executions", "expected a field name, got 'SELECT' (SELECT is a reserved"),
        (
            "WorkflowId = 1",
            "invalid value 1 for Keyword field 'WorkflowId': expected a quoted string at position 14",
        ),
        ("WorkflowId STARTS_WITH 5", "invalid value 5 for Keyword field 'WorkflowId'"),
        ("WorkflowId = true", "invalid value true for Keyword field 'WorkflowId'"),
        ("HistoryLength > '1'", "invalid value '1' for Int field 'HistoryLength'"),
        ("HistoryLength STARTS_WITH '1'", "operator 'STARTS_WITH' is not supported for Int"),
        ("StartTime > '2024-01-01'", "expected an RFC 3339 time string"),
        ("StartTime > '2024-01-01 00:00:00Z'", "invalid value '2024-01-01 00:00:00Z'"),
        ("StartTime > '2024-13-01T00:00:00Z'", "for Datetime field 'StartTime'"),
        ("StartTime > 1.5", "invalid value 1.5 for Datetime field 'StartTime'"),
        ("ExecutionStatus = 'terminated'", "invalid value 'terminated' for ExecutionStatus"),
        ("ExecutionStatus = 'Cancelled'", "expected a status name (Unspecified, Running,"),
        ("ExecutionStatus = 99", "invalid value 99 for ExecutionStatus field"),
        ("ExecutionStatus STARTS_WITH 'Run'", "operator 'STARTS_WITH' is not supported"),
        ("(" * 101 + "WorkflowId = 'a'" + ")" * 101, "parentheses nested deeper than 100"),
        ("HistoryLength = " + "9" * 5000, "number too long at position 17"),
    ],
)
def test_error_messages(index: VisibilityIndex, query: str, message: str) -> None:
    text = error(index, query)
    assert text.startswith("invalid query: ")
    assert message in text
    if not query.endswith("GROUP BY ExecutionStatus"):  # valid for count only
        with pytest.raises(InvalidQueryError):
            index.count(NS, query)


FUZZ_PIECES = [
    "WorkflowId", "ExecutionStatus", "CloseTime", "Priority", "Tags", "CustomTextField",
    "`Sales Region`", "`", "AND", "or", "NOT", "IN", "BETWEEN", "STARTS_WITH", "IS", "NULL",
    "GROUP", "BY", "ORDER", "true", "(", ")", ",", ";", "=", "!=", "<>", "<", ">=", "'a'",
    "'Running'", '"x\\"', "'2024-01-01T00:00:00Z'", "'", "\\", "1", "-2.5e3", "1e999", ".5",
    "99999999999999999999999999", " ", "é", "\x00", "#", "-",
]  # fmt: skip


def test_fuzzed_queries_raise_only_invalid_query_error(index: VisibilityIndex) -> None:
    rng = random.Random(20240101)
    accepted = 0
    for _ in range(3000):
        if rng.random() < 0.2:  # raw characters
            query = "".join(rng.choice("()'\"`=<>!,;\\ aN1.-eT") for _ in range(rng.randint(0, 12)))
        else:
            query = " ".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(0, 9)))
        records = list(index.all_records())
        try:
            parsed = parse_query(query)
        except InvalidQueryError as exc:
            assert str(exc).startswith("invalid query: ")
            continue
        for rec in records:  # whatever parses evaluates without raising
            parsed.matches(rec)
        try:
            index.count_by_status(NS, query)
            accepted += 1
            index.list(NS, query, 3, b"")
        except InvalidQueryError as exc:
            assert str(exc).startswith("invalid query: ")
    assert accepted > 50  # the fuzzer also reaches the evaluator, not only the parser
