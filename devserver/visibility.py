"""In-memory visibility index: ListWorkflowExecutions / CountWorkflowExecutions.

Holds one `VisibilityRecord` per workflow run, built from the run's state after each
committed change, and answers List Filter queries (`devserver.list_filter`) in pages
ordered as the real server orders them.
"""

from __future__ import annotations

import base64
import bisect
import json
import operator
import sys
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import IndexedValueType

from devserver.core.changes import RunKey
from devserver.core.mutable_state import MutableState
from devserver.core.protos import epoch_parts
from devserver.slot_sets import Selection, SlotSet, bitmap_of
from devserver.visibility_record import (
    FieldType,
    InvalidQueryError,
    VisibilityRecord,
    infer_type,
    query_error,
    rank_of_parts,
    rank_parts,
)

if TYPE_CHECKING:
    from devserver.list_filter import Query
    from devserver.store import RestFields

DEFAULT_PAGE_SIZE = 1000
NAMESPACE_DIVISION = "TemporalNamespaceDivision"


def record_of(state: MutableState) -> VisibilityRecord:
    """What visibility shows of a run: its ids, type, queue, status, times and attributes."""
    start = _epoch_micros(state.start_time)
    backoff = state.first_wft_backoff
    return VisibilityRecord.of_micros(
        namespace=state.key.namespace,
        workflow_id=state.key.workflow_id,
        run_id=state.key.run_id,
        workflow_type=sys.intern(state.workflow_type),
        task_queue=sys.intern(state.task_queue),
        status=state.visible_status,
        start=start,
        execution=_epoch_micros(state.start_time + backoff) if backoff else start,
        close=_epoch_micros(state.close_time) if state.close_time is not None else None,
        history_length=state.next_event_id - 1,
        search_attributes=decode_search_attributes(state.search_attributes),
    )


def record_if_changed(current: VisibilityRecord | None, state: MutableState) -> VisibilityRecord | None:
    """What visibility should show of the run now, or None when `current` already shows it.

    A run changes dozens of times and visibility shows few of those changes: its status,
    close time and search attributes (its ids, type, queue and start are fixed, so a new
    record takes them from `current`), and its history length once it is closed (only a
    closed run's is filtered on; a running run's is read from its state). The attributes are
    decoded once, for both the comparison and the new record.
    """
    if current is None:
        return record_of(state)
    status = state.visible_status
    close_time = state.close_time
    close = None if close_time is None else _epoch_micros(close_time)
    history_length = state.next_event_id - 1
    attributes = decode_search_attributes(state.search_attributes)
    if (
        status == current.status
        and close == current.close_micros
        and (close is None or history_length == current.history_length)
        and (attributes is current.search_attributes or attributes == current.search_attributes)
    ):
        return None
    return current.replaced(status, close, history_length, attributes)


def record_of_rest(key: RunKey, fields: RestFields) -> VisibilityRecord:
    """The record of a run at rest, known by what the store keeps of it (store.RestFields, from
    its execution info, core.describe.execution_info): the same as `record_of` its state. Its
    ids are the key's strings (not copies: 100,000 runs at rest make that count)."""
    return VisibilityRecord.of_micros(
        namespace=key.namespace,
        workflow_id=key.workflow_id,
        run_id=key.run_id,
        workflow_type=sys.intern(fields.workflow_type),
        task_queue=sys.intern(fields.task_queue),
        status=fields.status,
        start=fields.start_micros,
        execution=fields.execution_micros,
        close=fields.close_micros,
        history_length=fields.history_length,
        search_attributes=decode_serialized_attributes(fields.search_attributes),
    )


def _epoch_micros(epoch_seconds: float) -> int:
    """`timestamp_micros` of the Timestamp of an epoch (core.protos.timestamp), without making it."""
    seconds, nanos = epoch_parts(epoch_seconds)
    return seconds * 1_000_000 + nanos // 1000


def timestamp_micros(time: Timestamp) -> int:
    """A timestamp in microseconds since the epoch, as visibility keeps times."""
    # From the timestamp a run's times are shown as, so a record made from a run's execution
    # info (record_of_rest) equals the one made from its state; truncated to microseconds as
    # a filter's time is (list_filter.parse_rfc3339), so `StartTime = '<the run's start time,
    # to the nanosecond>'` finds it. core.protos.timestamp clamps (a run may be given times
    # past year 9999: reliability helper, found by fuzzing).
    return time.seconds * 1_000_000 + time.nanos // 1000


def decode_search_attributes(attributes: common.SearchAttributes) -> dict[str, Any]:
    """Search attribute payloads (json/plain) as Python values for visibility queries.

    Runs with equal attributes share one decoded dict (most runs carry the same few, like
    ``BuildIds``): a record's attributes are never changed in place, only replaced.
    """
    # Serialized first: the decoded values of most runs are found by it at once.
    serialized = attributes.SerializeToString()
    if not serialized:
        return _NO_ATTRIBUTES
    values = _decoded_attributes.get(serialized)
    if values is not None:
        return values
    if not attributes.indexed_fields:  # unknown fields only
        return _NO_ATTRIBUTES
    return _decoded(serialized, attributes)


def decode_serialized_attributes(serialized: bytes) -> dict[str, Any]:
    """`decode_search_attributes` of serialized SearchAttributes (empty: none)."""
    if not serialized:
        return _NO_ATTRIBUTES
    return _decoded(serialized, None)


def _decoded(key: bytes, attributes: common.SearchAttributes | None) -> dict[str, Any]:
    values = _decoded_attributes.get(key)
    if values is None:
        if attributes is None:
            attributes = common.SearchAttributes.FromString(key)
        values = _decode_search_attributes(attributes)
        if len(_decoded_attributes) >= _DECODED_ATTRIBUTES_KEPT:
            _decoded_attributes.clear()
        _decoded_attributes[key] = values
    return values


# The attributes of every run without any (an empty dict each would cost 64 bytes a run).
_NO_ATTRIBUTES: dict[str, Any] = {}
# Serialized SearchAttributes -> their decoded values, for the runs that share them.
_decoded_attributes: dict[bytes, dict[str, Any]] = {}
_DECODED_ATTRIBUTES_KEPT = 4096


def _decode_search_attributes(attributes: common.SearchAttributes) -> dict[str, Any]:
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


# A record's place in the default list order (list_filter.list_rank), its run id breaking ties.
_SortKey = tuple[int, str]


def _sort_key(record: VisibilityRecord) -> _SortKey:
    # Temporal documents the default order as "CloseTime DESC NULLS FIRST, StartTime
    # DESC" (docs.temporal.io/list-filter; the real dev server lists that way too).
    # RunId DESC breaks ties so the order is total and a page cursor is unambiguous.
    # Records are sorted descending on this key.
    return (record.list_rank, record.run_id)


# A record's rank read in C: `order` is searched by rank alone (runs of equal rank, which
# started and closed in the same microsecond, then by run id), with no Python frame per probe.
_rank_of = operator.attrgetter("list_rank")
# How many records at the end of a namespace's order are searched first (`_rank_index`).
_RECENT = 64


def _encode_token(key: _SortKey) -> bytes:
    return base64.urlsafe_b64encode(json.dumps(["v1", *rank_parts(key[0]), key[1]]).encode())


def _decode_token(token: bytes) -> _SortKey:
    try:
        version, is_open, close, start, run_id = json.loads(base64.urlsafe_b64decode(token))
        shapes = (is_open, bool), (close, int), (start, int), (run_id, str)
        if version != "v1" or not all(type(v) is kind for v, kind in shapes):
            raise ValueError(token)
        return (rank_of_parts(is_open, close, start), run_id)
    except (ValueError, TypeError, RecursionError):  # bad base64, JSON, shape or types
        raise InvalidQueryError("invalid next page token") from None


def _type_from_spec(spec: str | int) -> FieldType:
    # Raises ValueError (or KeyError) for a type Temporal does not have.
    if isinstance(spec, int):  # INDEXED_VALUE_TYPE_KEYWORD_LIST -> FieldType.KEYWORD_LIST
        name = IndexedValueType.Name(IndexedValueType.ValueType(spec))
        return FieldType[name.removeprefix("INDEXED_VALUE_TYPE_")]
    return FieldType(spec)


_GROUPED_ATTRIBUTES = {"WorkflowType": "workflow_type", "TaskQueue": "task_queue", "ExecutionStatus": "status"}
# Each read in C (no Python frame per field per upsert).
_GROUPED_FIELDS: dict[str, Callable[[VisibilityRecord], Hashable]] = {
    name: operator.attrgetter(attribute) for name, attribute in _GROUPED_ATTRIBUTES.items()
}
"""Built-in fields whose runs are kept by value (as `SlotSet`s), so ``WorkflowType = 'X'`` or
``ExecutionStatus = 'Running'`` looks its runs up, and a count of them reads no record. Most of
their values are shared by many runs."""

# The grouped fields' values of a record at once (most changes of a run change none of them).
_grouped_values = operator.attrgetter(*_GROUPED_ATTRIBUTES.values())


# The runs of one workflow id: a run id alone (most workflow ids have one run; a set costs 200
# bytes more), or a set of two or more.
_Runs = str | set[str]


def _index_add(index: dict[str, _Runs], value: str, run_id: str) -> None:
    runs = index.get(value)
    if runs is None:
        index[value] = run_id
    elif isinstance(runs, str):
        if runs != run_id:
            index[value] = {runs, run_id}
    else:
        runs.add(run_id)


def _index_remove(index: dict[str, _Runs], value: str, run_id: str) -> None:
    runs = index.get(value)
    if runs is None:
        return
    if isinstance(runs, str):
        if runs == run_id:
            del index[value]
        return
    runs.discard(run_id)
    if len(runs) == 1:
        index[value] = next(iter(runs))


class _Namespace:
    """One namespace's records, in list order, with their indexes.

    Each run has a slot: ``slots[slot_of[run_id]]`` is its record, and the grouped fields'
    indexes (``grouped``) keep runs by slot. ``order`` holds every record ascending by its
    sort key (a page reads it from the end), so a page costs what it reads, not what the
    namespace holds; ``by_workflow_id`` and ``grouped`` narrow a query that pins a built-in
    field; ``attribute_kinds`` counts, per custom attribute, the records carrying it by value
    type, which is what compiling a query needs.
    """

    def __init__(self) -> None:
        self.slot_of: dict[str, int] = {}
        self.slots: list[VisibilityRecord | None] = []
        self.free_slots: list[int] = []
        self.order: list[VisibilityRecord] = []
        self.by_workflow_id: dict[str, _Runs] = {}
        self.grouped: dict[str, dict[Hashable, SlotSet]] = {name: {} for name in _GROUPED_FIELDS}
        self.attribute_kinds: dict[str, Counter[FieldType | None]] = {}
        self.divided: set[str] = set()  # runs in a namespace division (schedulers and such)

    def __len__(self) -> int:
        return len(self.slot_of)

    def record(self, run_id: str) -> VisibilityRecord | None:
        slot = self.slot_of.get(run_id)
        return None if slot is None else self.slots[slot]

    def records(self) -> list[VisibilityRecord]:
        return [record for record in self.slots if record is not None]

    def put(self, record: VisibilityRecord) -> None:
        run_id = record.run_id
        slot = self.slot_of.get(run_id)
        if slot is None:
            old = None
            slot = self._new_slot(record)
            self._insert(record)
        else:
            old = self.slots[slot]
            assert old is not None
            self.slots[slot] = record
            # Where the old record stood, so the new one takes its place if it sorts the same.
            at = self._position(old)
            if old.list_rank == record.list_rank:  # (the same run: the same run id)
                self.order[at] = record
            else:
                del self.order[at]
                self._insert(record)
        if old is None or old.workflow_id != record.workflow_id:
            if old is not None:
                _index_remove(self.by_workflow_id, old.workflow_id, run_id)
            _index_add(self.by_workflow_id, record.workflow_id, run_id)
        if old is None or _grouped_values(old) != _grouped_values(record):
            for name, value_of in _GROUPED_FIELDS.items():
                value = value_of(record)
                if old is not None:
                    old_value = value_of(old)
                    if old_value == value:
                        continue
                    self._ungroup(name, old_value, slot)
                self._group(name, value, slot)
        if old is None or (
            old.search_attributes is not record.search_attributes and old.search_attributes != record.search_attributes
        ):
            if old is not None:
                self._count_attributes(old, -1)
            self._count_attributes(record, 1)

    def put_many(self, records: list[VisibilityRecord]) -> None:
        """`put` each of many records new to the namespace, in one pass (a start-up with many
        runs): one sort of the list order, and attributes counted once per shared dict."""
        if any(record.run_id in self.slot_of for record in records):
            for record in records:
                self.put(record)
            return
        # The slots of each grouped value first, then each value's set made at once.
        slots_by_value: dict[str, dict[Hashable, list[int]]] = {name: {} for name in _GROUPED_FIELDS}
        for record in records:
            slot = self._new_slot(record)
            _index_add(self.by_workflow_id, record.workflow_id, record.run_id)
            for name, value_of in _GROUPED_FIELDS.items():
                slots_by_value[name].setdefault(value_of(record), []).append(slot)
        for name, by_value in slots_by_value.items():
            index = self.grouped[name]
            for value, slots in by_value.items():
                members = index.get(value)
                if members is None:
                    members = index[value] = SlotSet()
                members.add_many(slots, len(self.slots))
        self.order = sorted(self.order + records, key=_sort_key)
        # Records decoded from equal attributes share their dict (decode_search_attributes).
        shared: dict[int, tuple[VisibilityRecord, int]] = {}
        for record in records:
            if record.search_attributes:
                first, count = shared.get(id(record.search_attributes), (record, 0))
                shared[id(record.search_attributes)] = (first, count + 1)
        for first, count in shared.values():
            self._count_attributes(first, count)
        if any(NAMESPACE_DIVISION in first.search_attributes for first, _ in shared.values()):
            self.divided.update(r.run_id for r in records if r.search_attributes.get(NAMESPACE_DIVISION) is not None)

    def remove(self, run_id: str) -> None:
        slot = self.slot_of.pop(run_id, None)
        if slot is None:
            return
        old = self.slots[slot]
        assert old is not None
        del self.order[self._position(old)]
        self.slots[slot] = None
        self.free_slots.append(slot)
        _index_remove(self.by_workflow_id, old.workflow_id, run_id)
        for name, value_of in _GROUPED_FIELDS.items():
            self._ungroup(name, value_of(old), slot)
        self._count_attributes(old, -1)

    def _new_slot(self, record: VisibilityRecord) -> int:
        if self.free_slots:
            slot = self.free_slots.pop()
            self.slots[slot] = record
        else:
            slot = len(self.slots)
            self.slots.append(record)
        self.slot_of[record.run_id] = slot
        return slot

    def _rank_index(self, rank: int) -> int:
        """Where the first record of ``rank`` or above stands in ``order`` (or would)."""
        order = self.order
        # Most changes are to recent runs, whose records (open ones, then those that closed
        # last) are at the end of the order: it is searched first, its records likely still
        # in the CPU's cache.
        tail = len(order) - _RECENT
        if tail <= 0:
            return bisect.bisect_left(order, rank, key=_rank_of)
        if order[tail].list_rank < rank:
            return bisect.bisect_left(order, rank, tail + 1, key=_rank_of)
        return bisect.bisect_left(order, rank, 0, tail, key=_rank_of)

    def _position(self, record: VisibilityRecord) -> int:
        """Where ``record`` (one in the namespace) stands in ``order``."""
        order = self.order
        at = self._rank_index(record.list_rank)
        if at < len(order) and order[at] is not record:  # runs of the same rank before it
            at = bisect.bisect_left(order, _sort_key(record), lo=at, key=_sort_key)
        assert at < len(order) and order[at] is record, "visibility order out of step with its records"
        return at

    def _insert(self, record: VisibilityRecord) -> None:
        """Put ``record`` (new to ``order``) in its place in ``order``."""
        order = self.order
        rank = record.list_rank
        at = self._rank_index(rank)
        if at < len(order) and order[at].list_rank == rank:  # runs of the same rank
            at = bisect.bisect_left(order, _sort_key(record), lo=at, key=_sort_key)
        order.insert(at, record)

    def _group(self, name: str, value: Hashable, slot: int) -> None:
        index = self.grouped[name]
        members = index.get(value)
        if members is None:
            members = index[value] = SlotSet()
        members.add(slot, len(self.slots))

    def _ungroup(self, name: str, value: Hashable, slot: int) -> None:
        index = self.grouped[name]
        members = index.get(value)
        if members is None:
            return
        members.remove(slot)
        if members.count == 0:
            del index[value]

    def _count_attributes(self, record: VisibilityRecord, step: int) -> None:
        for name, value in record.search_attributes.items():
            kinds = self.attribute_kinds.get(name)
            if kinds is None:
                kinds = self.attribute_kinds[name] = Counter()
            kinds[infer_type(value)] += step
            if step < 0 and kinds.total() == 0:
                del self.attribute_kinds[name]
        if record.search_attributes.get(NAMESPACE_DIVISION) is not None:
            (self.divided.add if step > 0 else self.divided.discard)(record.run_id)

    def candidates(self, compiled: Query) -> Selection | None:
        """The slots of the runs that can match (None: any run can), from the built-in fields
        the query pins."""
        found: int | None = None
        for name, values in compiled.required_values():
            if name == "WorkflowId":
                runs: set[str] = set()
                for value in values:
                    found_runs = self.by_workflow_id.get(value)
                    if isinstance(found_runs, str):
                        runs.add(found_runs)
                    elif found_runs is not None:
                        runs |= found_runs
                bits = bitmap_of(self.slot_of[run_id] for run_id in runs)
            elif name in self.grouped:
                index = self.grouped[name]
                bits = 0
                for value in values:
                    members = index.get(value)
                    if members is not None:
                        bits |= members.as_int()
            else:
                continue
            found = bits if found is None else found & bits
        return None if found is None else Selection(found)

    def divided_in(self, selection: Selection) -> int:
        """How many runs of a namespace division the selection holds."""
        return sum(1 for run_id in self.divided if self.slot_of[run_id] in selection)


class VisibilityIndex:
    """All runs' visibility records, by namespace, answering list and count queries.

    `search_attribute_types` declares custom attributes (name -> 'Keyword', 'Int', ...
    or an IndexedValueType number) so queries can use them before any run sets them
    and their literals are type-checked. Undeclared names found on records get the
    type of their values. Not thread-safe: use it from one thread (the event loop).
    """

    def __init__(self, search_attribute_types: Mapping[str, str | int] | None = None) -> None:
        self._namespaces: dict[str, _Namespace] = {}
        self.search_attribute_types: dict[str, FieldType] = {
            name: _type_from_spec(spec) for name, spec in (search_attribute_types or {}).items()
        }

    def declare_search_attribute(self, name: str, type_spec: str | int) -> None:
        """Declare a custom attribute's type ('Keyword', 'Int', ... or IndexedValueType number)."""
        self.search_attribute_types[name] = _type_from_spec(type_spec)

    def upsert_many(self, records: list[VisibilityRecord]) -> None:
        """`upsert` each record: in one pass per namespace (start-up)."""
        by_namespace: dict[str, list[VisibilityRecord]] = {}
        for record in records:
            by_namespace.setdefault(record.namespace, []).append(record)
        for name, group in by_namespace.items():
            namespace = self._namespaces.get(name)
            if namespace is None:
                namespace = self._namespaces[name] = _Namespace()
            namespace.put_many(group)

    def upsert(self, record: VisibilityRecord) -> None:
        """Insert or replace the record for (record.namespace, record.run_id)."""
        namespace = self._namespaces.get(record.namespace)
        if namespace is None:
            namespace = self._namespaces[record.namespace] = _Namespace()
        namespace.put(record)

    def delete(self, namespace: str, run_id: str) -> None:
        """Forget a run; deleting an unknown run is a no-op."""
        if (found := self._namespaces.get(namespace)) is not None:
            found.remove(run_id)

    def get(self, namespace: str, run_id: str) -> VisibilityRecord | None:
        """The record of one run, or None."""
        found = self._namespaces.get(namespace)
        return None if found is None else found.record(run_id)

    def all_records(self) -> Iterable[VisibilityRecord]:
        """Every record of every namespace (a snapshot, safe to iterate while upserting)."""
        return [r for namespace in self._namespaces.values() for r in namespace.records()]

    def compile(self, namespace: str, query: str) -> Query:
        """Parse `query` and bind its custom fields to this namespace's attributes."""
        from devserver.list_filter import parse_query  # the parser loads with the first query

        parsed = parse_query(query)
        found = self._namespaces.get(namespace)
        types: dict[str, FieldType | None] = {}
        for name, counts in (found.attribute_kinds if found is not None else {}).items():
            kinds = {kind for kind, count in counts.items() if count > 0 and kind is not None}
            if kinds == {FieldType.INT, FieldType.DOUBLE}:
                types[name] = FieldType.DOUBLE
            else:  # one kind, or None (conflicting / only nulls): compare per record value
                types[name] = next(iter(kinds)) if len(kinds) == 1 else None
        types.update(self.search_attribute_types)
        parsed.resolve(types)
        return parsed

    def _matching(self, namespace: str, query: str) -> tuple[Query, list[VisibilityRecord]]:
        compiled = self.compile(namespace, query)
        found = self._namespaces.get(namespace)
        if found is None:
            return compiled, []
        hide_divided = self._hides_divisions(compiled)
        if compiled.root is None and not hide_divided:
            return compiled, found.records()
        candidates = found.candidates(compiled)
        slots = found.slots
        records = found.records() if candidates is None else [slots[slot] for slot in candidates]
        divided = found.divided if hide_divided else ()
        return compiled, [
            record
            for record in records
            if record is not None and record.run_id not in divided and compiled.matches(record)
        ]

    @staticmethod
    def _hides_divisions(compiled: Query) -> bool:
        # Like the real server, runs in a namespace division (e.g. schedulers) are listed
        # only by queries that name TemporalNamespaceDivision.
        return not any(p.name == NAMESPACE_DIVISION for p in compiled.predicates)

    def list(
        self, namespace: str, query: str, page_size: int, next_page_token: bytes
    ) -> tuple[list[VisibilityRecord], bytes]:
        """One page of matching runs, newest first, and the token of the next page.

        The token holds the sort key of the page's last run and the next page starts
        strictly after it, so runs started meanwhile never shift or repeat later
        pages. An empty token means this was the last page.
        """
        compiled = self.compile(namespace, query)
        if compiled.group_by is not None:
            raise query_error("GROUP BY is only supported by CountWorkflowExecutions")
        size = page_size if page_size > 0 else DEFAULT_PAGE_SIZE
        after = _decode_token(next_page_token) if next_page_token else None
        found = self._namespaces.get(namespace)
        if found is None:
            return [], b""
        hide_divided = self._hides_divisions(compiled)
        candidates = found.candidates(compiled)
        newest_first: Iterable[VisibilityRecord]
        slot_of = found.slot_of
        if candidates is not None and len(candidates) * 8 < len(found.order):
            # Few candidates: sort them rather than walk every run.
            picked = [found.slots[slot] for slot in candidates]
            newest_first = sorted((r for r in picked if r is not None), key=_sort_key, reverse=True)
            candidates = None  # every one of them is a candidate
            if after is not None:
                newest_first = (record for record in newest_first if _sort_key(record) < after)
        else:
            order = found.order
            end = len(order) if after is None else bisect.bisect_left(order, after, key=_sort_key)
            newest_first = (order[i] for i in range(end - 1, -1, -1))
        page: list[VisibilityRecord] = []
        for record in newest_first:
            run_id = record.run_id
            if candidates is not None and slot_of[run_id] not in candidates:
                continue
            if hide_divided and run_id in found.divided:
                continue
            if compiled.matches(record):
                page.append(record)
                if len(page) > size:
                    break
        token = _encode_token(_sort_key(page[size - 1])) if len(page) > size else b""
        return page[:size], token

    def count(self, namespace: str, query: str) -> int:
        """How many runs match (a GROUP BY clause is allowed and ignored here)."""
        compiled = self.compile(namespace, query)
        found = self._namespaces.get(namespace)
        if found is None:
            return 0
        hide_divided = self._hides_divisions(compiled)
        if compiled.root is None:
            return len(found) - (len(found.divided) if hide_divided else 0)
        candidates = found.candidates(compiled)
        if candidates is not None and compiled.only_required_values():
            # Only indexed fields pinned (`WorkflowType = 'X' AND ExecutionStatus = ...`):
            # the candidates are the matches.
            return len(candidates) - (found.divided_in(candidates) if hide_divided else 0)
        return len(self._matching(namespace, query)[1])

    def count_by_status(self, namespace: str, query: str) -> dict[int, int]:
        """Matching runs per ExecutionStatus value, for `... GROUP BY ExecutionStatus`."""
        counts: dict[int, int] = {}
        for record in self._matching(namespace, query)[1]:
            counts[record.status] = counts.get(record.status, 0) + 1
        return counts
