"""The visibility index's shortcuts (list order kept as runs change, runs looked up by the
built-in fields a filter pins, attribute types counted as records come and go) answer
exactly what reading every record would: random runs, changed and deleted at random,
listed page by page and counted with a spread of filters."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.enums.v1 import WorkflowExecutionStatus as S

from devserver.visibility import VisibilityIndex
from devserver.visibility_record import VisibilityRecord

T0 = datetime(2024, 1, 1, tzinfo=UTC)
NS = "default"
STATUSES = [
    S.WORKFLOW_EXECUTION_STATUS_RUNNING,
    S.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    S.WORKFLOW_EXECUTION_STATUS_TERMINATED,
]
QUERIES = [
    "",
    "WorkflowType = 'A'",
    "WorkflowType IN ('A', 'C')",
    "ExecutionStatus = 'Running'",
    "ExecutionStatus = 'Completed' AND TaskQueue = 'q2'",
    "WorkflowType = 'B' AND (ExecutionStatus = 'Running' OR CustomIntField > 3)",
    "WorkflowType != 'A'",
    "NOT (ExecutionStatus = 'Running')",
    "WorkflowId = 'w-7' OR WorkflowType = 'C'",
    "CustomIntField >= 5",
    "CustomKeywordField = 'k1' AND WorkflowType = 'A'",
    "TemporalNamespaceDivision = 'TemporalScheduler'",
    "TemporalNamespaceDivision IS NULL AND ExecutionStatus = 'Terminated'",
    "WorkflowType = 'nobody'",
]


def _random_record(rng: random.Random, run_id: str) -> VisibilityRecord:
    start = T0 + timedelta(seconds=rng.randrange(0, 600))
    status = rng.choice(STATUSES)
    attributes: dict[str, object] = {}
    if rng.random() < 0.5:
        attributes["CustomIntField"] = rng.randrange(10)
    if rng.random() < 0.3:
        attributes["CustomKeywordField"] = rng.choice(["k1", "k2"])
    if rng.random() < 0.1:
        attributes["TemporalNamespaceDivision"] = "TemporalScheduler"
    return VisibilityRecord(
        namespace=NS,
        workflow_id=f"w-{rng.randrange(20)}",
        run_id=run_id,
        workflow_type=rng.choice("ABC"),
        task_queue=rng.choice(["q1", "q2"]),
        status=status,
        start_time=start,
        execution_time=start,
        close_time=None if status == STATUSES[0] else start + timedelta(seconds=rng.randrange(1, 100)),
        history_length=rng.randrange(1, 30),
        search_attributes=attributes,
    )


def _by_reading_everything(index: VisibilityIndex, query: str) -> list[str]:
    """Every matching run, newest first, found the slow way."""
    compiled = index.compile(NS, query)
    hide = "TemporalNamespaceDivision" not in query
    matching = [
        r
        for r in index.all_records()
        if compiled.matches(r) and not (hide and r.search_attributes.get("TemporalNamespaceDivision") is not None)
    ]

    def key(r: VisibilityRecord) -> tuple[bool, datetime, datetime, str]:
        return (r.close_time is None, r.close_time or T0, r.start_time, r.run_id)

    return [r.run_id for r in sorted(matching, key=key, reverse=True)]


def _listed(index: VisibilityIndex, query: str, page_size: int) -> list[str]:
    run_ids: list[str] = []
    token = b""
    while True:
        page, token = index.list(NS, query, page_size, token)
        assert len(page) <= page_size
        run_ids.extend(r.run_id for r in page)
        if not token:
            return run_ids


# Most runs are a few hundred; one is thousands (types, queues and statuses kept as bitmaps of
# many bytes, slots freed and used again).
@pytest.mark.parametrize(("seed", "steps"), [*((seed, 400) for seed in range(8)), (8, 4000)])
def test_indexed_answers_equal_a_full_scan(seed: int, steps: int) -> None:
    rng = random.Random(seed)
    index = VisibilityIndex()
    live: list[str] = []
    for step in range(steps):
        action = rng.random()
        if live and action < 0.15:
            index.delete(NS, live.pop(rng.randrange(len(live))))
        elif live and action < 0.45:
            # A run changes: it closes, its attributes change (same ids).
            run_id = rng.choice(live)
            old = index.get(NS, run_id)
            assert old is not None
            new = _random_record(rng, run_id)
            new.workflow_id, new.workflow_type, new.task_queue = old.workflow_id, old.workflow_type, old.task_queue
            index.upsert(new)
        else:
            run_id = f"run-{step:04d}"
            index.upsert(_random_record(rng, run_id))
            live.append(run_id)
    for query in QUERIES:
        expected = _by_reading_everything(index, query)
        assert index.count(NS, query) == len(expected), query
        assert _listed(index, query, rng.choice([1, 7, 50, 1000])) == expected, query
        by_status = index.count_by_status(NS, query + (" " if query else "") + "GROUP BY ExecutionStatus")
        assert sum(by_status.values()) == len(expected), query


def test_a_custom_attributes_type_follows_the_records_that_carry_it() -> None:
    index = VisibilityIndex()
    base = _random_record(random.Random(1), "r1")
    base.search_attributes = {"Size": 3}
    index.upsert(base)
    assert index.count(NS, "Size > 2") == 1
    # Once the only record with an Int value is gone, the attribute is unknown again.
    index.delete(NS, "r1")
    with pytest.raises(ValueError, match="unknown field 'Size'"):
        index.count(NS, "Size > 2")


def test_records_taken_over_at_once_answer_as_records_put_one_by_one() -> None:
    # A start-up hands visibility every stored run at once (upsert_many): its indexes are built
    # in bulk, and must answer as those built a record at a time, then go on changing the same.
    rng = random.Random(11)
    records = [_random_record(rng, f"run-{i:04d}") for i in range(3000)]
    one_by_one, at_once = VisibilityIndex(), VisibilityIndex()
    for record in records:
        one_by_one.upsert(record)
    at_once.upsert_many(records)
    for step in range(300):
        run_id = f"run-{rng.randrange(3000):04d}"
        if step % 3 == 0:
            one_by_one.delete(NS, run_id)
            at_once.delete(NS, run_id)
        elif one_by_one.get(NS, run_id) is not None:
            changed = _random_record(rng, run_id)
            one_by_one.upsert(changed)
            at_once.upsert(changed)
    for query in QUERIES:
        expected = _by_reading_everything(one_by_one, query)
        assert at_once.count(NS, query) == one_by_one.count(NS, query) == len(expected), query
        assert _listed(at_once, query, 100) == _listed(one_by_one, query, 100) == expected, query
