"""In-memory visibility index: ListWorkflowExecutions / CountWorkflowExecutions.

Holds one `VisibilityRecord` per workflow run, built from the run's state after each
committed change, and answers List Filter queries (`devserver.list_filter`) in pages
ordered as the real server orders them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import IndexedValueType

from devserver.core.mutable_state import MutableState
from devserver.core.protos import clamp_epoch
from devserver.list_filter import (
    EPOCH,
    FieldType,
    InvalidQueryError,
    Query,
    VisibilityRecord,
    as_utc,
    infer_type,
    parse_query,
    query_error,
)

DEFAULT_PAGE_SIZE = 1000
NAMESPACE_DIVISION = "TemporalNamespaceDivision"


def record_of(state: MutableState) -> VisibilityRecord:
    """What visibility shows of a run: its ids, type, queue, status, times and attributes."""
    return VisibilityRecord(
        namespace=state.key.namespace,
        workflow_id=state.key.workflow_id,
        run_id=state.key.run_id,
        workflow_type=state.workflow_type,
        task_queue=state.task_queue,
        status=state.visible_status,
        start_time=_datetime(state.start_time),
        execution_time=_datetime(state.start_time + state.first_wft_backoff),
        close_time=_datetime(state.close_time) if state.close_time is not None else None,
        history_length=state.next_event_id - 1,
        search_attributes=decode_search_attributes(state.search_attributes),
    )


def _datetime(epoch: float) -> datetime:
    # Clamped: a run may be given times past year 9999 (reliability helper, found by fuzzing).
    return datetime.fromtimestamp(clamp_epoch(epoch), tz=UTC)


def decode_search_attributes(attributes: common.SearchAttributes) -> dict[str, Any]:
    """Search attribute payloads (json/plain) as Python values for visibility queries."""
    values: dict[str, Any] = {}
    for name, payload in attributes.indexed_fields.items():
        try:
            value = json.loads(payload.data) if payload.data else None
        except ValueError:
            continue
        kind = payload.metadata.get("type", b"").decode()
        if kind == "Datetime" and isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
        values[name] = value
    return values


_SortKey = tuple[bool, int, int, str]


def _micros(value: datetime) -> int:
    delta = as_utc(value) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _sort_key(record: VisibilityRecord) -> _SortKey:
    # Temporal documents the default order as "CloseTime DESC NULLS FIRST, StartTime
    # DESC" (docs.temporal.io/list-filter; the real dev server lists that way too).
    # RunId DESC breaks ties so the order is total and a page cursor is unambiguous.
    # Records are sorted descending on this tuple; open runs have is_open=True.
    is_open = record.close_time is None
    close = 0 if record.close_time is None else _micros(record.close_time)
    return (is_open, close, _micros(record.start_time), record.run_id)


def _encode_token(key: _SortKey) -> bytes:
    return base64.urlsafe_b64encode(json.dumps(["v1", *key]).encode())


def _decode_token(token: bytes) -> _SortKey:
    try:
        version, is_open, close, start, run_id = json.loads(base64.urlsafe_b64decode(token))
        shapes = (is_open, bool), (close, int), (start, int), (run_id, str)
        if version != "v1" or not all(type(v) is kind for v, kind in shapes):
            raise ValueError(token)
        return (is_open, close, start, run_id)
    except (ValueError, TypeError, RecursionError):  # bad base64, JSON, shape or types
        raise InvalidQueryError("invalid next page token") from None


def _type_from_spec(spec: str | int) -> FieldType:
    # Raises ValueError (or KeyError) for a type Temporal does not have.
    if isinstance(spec, int):  # INDEXED_VALUE_TYPE_KEYWORD_LIST -> FieldType.KEYWORD_LIST
        name = IndexedValueType.Name(IndexedValueType.ValueType(spec))
        return FieldType[name.removeprefix("INDEXED_VALUE_TYPE_")]
    return FieldType(spec)


class VisibilityIndex:
    """All runs' visibility records, by namespace, answering list and count queries.

    `search_attribute_types` declares custom attributes (name -> 'Keyword', 'Int', ...
    or an IndexedValueType number) so queries can use them before any run sets them
    and their literals are type-checked. Undeclared names found on records get the
    type of their values. Not thread-safe: use it from one thread (the event loop).
    """

    def __init__(self, search_attribute_types: Mapping[str, str | int] | None = None) -> None:
        self._records: dict[str, dict[str, VisibilityRecord]] = {}
        self.search_attribute_types: dict[str, FieldType] = {
            name: _type_from_spec(spec) for name, spec in (search_attribute_types or {}).items()
        }

    def declare_search_attribute(self, name: str, type_spec: str | int) -> None:
        """Declare a custom attribute's type ('Keyword', 'Int', ... or IndexedValueType number)."""
        self.search_attribute_types[name] = _type_from_spec(type_spec)

    def upsert(self, record: VisibilityRecord) -> None:
        """Insert or replace the record for (record.namespace, record.run_id)."""
        self._records.setdefault(record.namespace, {})[record.run_id] = record

    def delete(self, namespace: str, run_id: str) -> None:
        """Forget a run; deleting an unknown run is a no-op."""
        self._records.get(namespace, {}).pop(run_id, None)

    def get(self, namespace: str, run_id: str) -> VisibilityRecord | None:
        """The record of one run, or None."""
        return self._records.get(namespace, {}).get(run_id)

    def all_records(self) -> Iterable[VisibilityRecord]:
        """Every record of every namespace (a snapshot, safe to iterate while upserting)."""
        return [r for records in self._records.values() for r in records.values()]

    def compile(self, namespace: str, query: str) -> Query:
        """Parse `query` and bind its custom fields to this namespace's attributes."""
        parsed = parse_query(query)
        seen: dict[str, set[FieldType]] = {}
        for record in self._records.get(namespace, {}).values():
            for name, value in record.search_attributes.items():
                kinds = seen.setdefault(name, set())
                if (kind := infer_type(value)) is not None:
                    kinds.add(kind)
        types: dict[str, FieldType | None] = {}
        for name, kinds in seen.items():
            if kinds == {FieldType.INT, FieldType.DOUBLE}:
                types[name] = FieldType.DOUBLE
            else:  # one kind, or None (conflicting / only nulls): compare per record value
                types[name] = next(iter(kinds)) if len(kinds) == 1 else None
        types.update(self.search_attribute_types)
        parsed.resolve(types)
        return parsed

    def _matching(self, namespace: str, query: str) -> tuple[Query, list[VisibilityRecord]]:
        compiled = self.compile(namespace, query)
        records: Iterable[VisibilityRecord] = self._records.get(namespace, {}).values()
        if not any(p.name == NAMESPACE_DIVISION for p in compiled.predicates):
            # Like the real server, runs in a namespace division (e.g. schedulers) are listed
            # only by queries that name TemporalNamespaceDivision.
            records = [r for r in records if r.search_attributes.get(NAMESPACE_DIVISION) is None]
        return compiled, [r for r in records if compiled.matches(r)]

    def list(
        self, namespace: str, query: str, page_size: int, next_page_token: bytes
    ) -> tuple[list[VisibilityRecord], bytes]:
        """One page of matching runs, newest first, and the token of the next page.

        The token holds the sort key of the page's last run and the next page starts
        strictly after it, so runs started meanwhile never shift or repeat later
        pages. An empty token means this was the last page.
        """
        compiled, matching = self._matching(namespace, query)
        if compiled.group_by is not None:
            raise query_error("GROUP BY is only supported by CountWorkflowExecutions")
        size = page_size if page_size > 0 else DEFAULT_PAGE_SIZE
        keyed = sorted(((_sort_key(r), r) for r in matching), key=lambda kr: kr[0], reverse=True)
        if next_page_token:
            after = _decode_token(next_page_token)
            keyed = [(k, r) for k, r in keyed if k < after]
        page = keyed[:size]
        token = _encode_token(page[-1][0]) if len(keyed) > size else b""
        return [r for _, r in page], token

    def count(self, namespace: str, query: str) -> int:
        """How many runs match (a GROUP BY clause is allowed and ignored here)."""
        return len(self._matching(namespace, query)[1])

    def count_by_status(self, namespace: str, query: str) -> dict[int, int]:
        """Matching runs per ExecutionStatus value, for `... GROUP BY ExecutionStatus`."""
        counts: dict[int, int] = {}
        for record in self._matching(namespace, query)[1]:
            counts[record.status] = counts.get(record.status, 0) + 1
        return counts
