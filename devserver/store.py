"""Where runs and their histories live. The engine writes through this seam only.

`HistoryStore` is the interface: `commit` makes a group of run changes durable
together (each run's new events plus its mutable-state snapshot), reads come
from memory. `MemoryStore` (the default, like the real dev server without
`--db-filename`) keeps nothing beyond the process; `devserver.sqlite_store`
writes the same commits to SQLite. The engine does not know which it has.
"""

from __future__ import annotations

import struct
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core import describe, snapshot
from devserver.core.changes import RunKey
from devserver.core.mutable_state import MutableState
from devserver.namespaces import Namespace
from devserver.run_table import at_rest
from devserver.visibility import record_of_rest, timestamp_micros
from devserver.visibility_record import VisibilityRecord


class StoreError(Exception):
    """The database cannot be used; the message is one line for the user (raised by
    `devserver.sqlite_store`; here so the server catches it without importing SQLite)."""


@dataclass
class RunWrite:
    """One run's part of a commit: its new events and its state after them."""

    state: MutableState
    events: list[history.HistoryEvent]


class RestFields(NamedTuple):
    """What start-up needs of a closed run at rest: the fields of its visibility record
    (`visibility.record_of_rest`), as its execution info gives them (`of_info`). A store keeps
    them as plain values, so a start-up with 100,000 runs at rest parses no protobuf per run."""

    workflow_type: str
    task_queue: str
    status: int  # WorkflowExecutionStatus
    start_micros: int  # since the epoch, as visibility keeps times
    execution_micros: int
    close_micros: int
    history_length: int
    search_attributes: bytes  # serialized SearchAttributes; empty without any

    @classmethod
    def of_info(cls, info: workflow_pb.WorkflowExecutionInfo) -> RestFields:
        """The fields of what ListWorkflowExecutions shows of a closed run
        (core.describe.execution_info when it came to rest)."""
        attributes = info.search_attributes
        return cls(
            info.type.name,
            info.task_queue,
            info.status,
            timestamp_micros(info.start_time),
            timestamp_micros(info.execution_time),
            timestamp_micros(info.close_time),
            info.history_length,
            attributes.SerializeToString() if attributes.indexed_fields else b"",
        )


@dataclass(slots=True)
class AtRest:
    """A closed run the store holds at rest: what start-up needs of it without its state, its
    visibility record (made as the store reads it: no copy of its fields is held meanwhile)."""

    key: RunKey
    record: VisibilityRecord

    @classmethod
    def of(cls, key: RunKey, fields: RestFields) -> AtRest:
        return cls(key, record_of_rest(key, fields))

    @property
    def start_time(self) -> float:
        return self.record.start_micros / 1e6


@dataclass
class Loaded:
    """What a store held when the server started."""

    namespaces: list[Namespace] = field(default_factory=list)
    # Runs whose state was read: every running run, and closed runs not at rest.
    states: list[MutableState] = field(default_factory=list)
    # Closed runs at rest (devserver.run_table): their states stay in the store.
    at_rest: list[AtRest] = field(default_factory=list)
    # Schedules as core.schedules.dump wrote them (JSON text).
    schedules: list[str] = field(default_factory=list)
    # Batch jobs as core.batch.dump wrote them (JSON text), oldest first.
    batch_jobs: list[str] = field(default_factory=list)
    # The highest task ID of any stored event: new events get higher ones.
    max_task_id: int = 0


class HistoryStore(Protocol):
    async def load(self) -> Loaded:
        """Everything stored, read once at start (before any commit)."""
        ...

    async def commit(self, writes: list[RunWrite]) -> None:
        """Make all writes durable at once; raises if they could not be."""
        ...

    async def save_namespace(self, namespace: Namespace) -> None: ...

    async def delete_namespace(self, name: str) -> None:
        """Forget a namespace and everything kept in it (runs, histories, schedules, batch jobs)."""
        ...

    async def save_schedule(self, namespace: str, schedule_id: str, state: str) -> None:
        """Make a schedule's state (JSON text) durable, replacing what was kept."""
        ...

    async def delete_schedule(self, namespace: str, schedule_id: str) -> None: ...

    async def save_batch_job(self, namespace: str, job_id: str, state: str) -> None:
        """Make a batch job's state (JSON text) durable, replacing what was kept."""
        ...

    def read(self, run: RunKey, first_event_id: int, last_event_id: int) -> list[history.HistoryEvent]:
        """Events with first_event_id <= id <= last_event_id, in order."""
        ...

    def last_event_id(self, run: RunKey) -> int: ...

    def load_run(self, run: RunKey) -> MutableState | None:
        """A run at rest's state read back from the store (None if the store has no such run)."""
        ...

    def closed_info(self, run: RunKey) -> workflow_pb.WorkflowExecutionInfo | None:
        """A run at rest's execution info as stored when it came to rest, or None."""
        ...

    def rest(self, state: MutableState) -> None:
        """Keep a run that came to rest without a change (its last query gone) to be read back."""
        ...

    async def delete(self, run: RunKey) -> None: ...

    async def close(self) -> None: ...


class _Packer:
    """zlib with a dictionary taken from the first thing packed: small records of one kind
    (histories, snapshots) share most of their bytes (field tags, type and queue names)."""

    __slots__ = ("_zdict",)

    def __init__(self) -> None:
        self._zdict: bytes | None = None

    def pack(self, data: bytes) -> bytes:
        if self._zdict is None:
            self._zdict = data[-_ZDICT_BYTES:]
        packer = zlib.compressobj(level=_LEVEL, wbits=_RAW_DEFLATE, zdict=self._zdict)
        return packer.compress(data) + packer.flush()

    def unpack(self, data: bytes, length: int = -1) -> bytes:
        """The unpacked bytes (only the first ``length`` of them, if given: no more is inflated)."""
        assert self._zdict is not None
        unpacker = zlib.decompressobj(wbits=_RAW_DEFLATE, zdict=self._zdict)
        if length >= 0:
            return unpacker.decompress(data, length)
        return unpacker.decompress(data) + unpacker.flush()


@dataclass(frozen=True, slots=True)
class _Closed:
    """A closed run as the memory store keeps it: its history (a serialized `History` of
    ``events`` events) and, at rest, its execution info and snapshot (empty otherwise)."""

    events: int
    history: bytes
    info: bytes = b""
    snapshot: bytes = b""


# Ahead of the packed bytes: which packer packed them (a history alone, or a run at rest,
# each with a dictionary of its kind); inside them, the sizes of the parts.
_HISTORY_ONLY, _AT_REST = b"h", b"r"
_SIZES = struct.Struct("<III")  # events, history bytes, info bytes


def _pack_closed(packer: _Packer, closed: _Closed) -> bytes:
    kind = _AT_REST if closed.snapshot else _HISTORY_ONLY
    sizes = _SIZES.pack(closed.events, len(closed.history), len(closed.info))
    return kind + packer.pack(sizes + closed.history + closed.info + closed.snapshot)


def _packer_of(packers: tuple[_Packer, _Packer], packed: bytes) -> _Packer:
    return packers[1] if packed[:1] == _AT_REST else packers[0]


def _unpack_closed(packers: tuple[_Packer, _Packer], packed: bytes) -> _Closed:
    data = _packer_of(packers, packed).unpack(packed[1:])
    events, history_size, info_size = _SIZES.unpack_from(data)
    at = _SIZES.size
    return _Closed(
        events,
        data[at : at + history_size],
        data[at + history_size : at + history_size + info_size],
        data[at + history_size + info_size :],
    )


def _packed_event_count(packers: tuple[_Packer, _Packer], packed: bytes) -> int:
    events, _, _ = _SIZES.unpack(_packer_of(packers, packed).unpack(packed[1:], _SIZES.size))
    return int(events)


class _ClosedRuns:
    """Packed closed runs by namespace, then run id."""

    __slots__ = ("_by_namespace",)

    def __init__(self) -> None:
        self._by_namespace: dict[str, dict[str, bytes]] = {}

    def get(self, run: RunKey) -> bytes | None:
        runs = self._by_namespace.get(run.namespace)
        return None if runs is None else runs.get(run.run_id)

    def put(self, run: RunKey, packed: bytes) -> None:
        self._by_namespace.setdefault(run.namespace, {})[run.run_id] = packed

    def pop(self, run: RunKey) -> None:
        runs = self._by_namespace.get(run.namespace)
        if runs is not None:
            runs.pop(run.run_id, None)

    def drop_namespace(self, namespace: str) -> None:
        self._by_namespace.pop(namespace, None)


class MemoryStore:
    """Histories in process memory; gone when the server stops.

    A closed run is kept as one string of bytes: its history, compressed (nothing is appended
    after the closing event) and, once it is at rest (`devserver.run_table`), its execution
    info and snapshot with it (the snapshot without what the two hold, in marshal's encoding:
    `snapshot.dump_in_process`), so the engine lets its objects go. A closed run at rest costs
    a few hundred bytes instead of kilobytes of objects, and is rebuilt when read.
    """

    def __init__(self) -> None:
        # Runs still writing their history: the events as objects.
        self._histories: dict[RunKey, list[history.HistoryEvent]] = {}
        # Closed runs, each packed (`_pack_closed`): the history alone, or the history, the
        # execution info and the snapshot of a run at rest. By namespace, then run id (run
        # ids are the server's own UUIDs): no key object kept per run.
        self._closed = _ClosedRuns()
        self._history_packer = _Packer()
        self._rest_packer = _Packer()
        # The closed histories read lately, decoded (a history is read page by page).
        self._decoded: OrderedDict[RunKey, list[history.HistoryEvent]] = OrderedDict()

    async def load(self) -> Loaded:
        return Loaded()

    async def commit(self, writes: list[RunWrite]) -> None:
        for write in writes:
            run = write.state.key
            if at_rest(write.state):
                # Packed once, with its snapshot (not sealed first, then packed again).
                self._add_events(run, write.events)
                self.rest(write.state)
                continue
            self.append(run, write.events)
            packed = self._closed.get(run)
            if packed is not None and packed[:1] == _AT_REST:  # at rest no more: its state is an object again
                closed = _unpack_closed(self._packers, packed)
                self._seal_serialized(run, closed.events, closed.history)

    def rest(self, state: MutableState) -> None:
        run = state.key
        events = self._histories.pop(run, None)
        if events is not None:
            count, data = len(events), _history_bytes(events)
            first = events[0] if events else None
        else:
            closed = self._unpacked(run)
            count, data = (0, b"") if closed is None else (closed.events, closed.history)
            first = _first_event(data)
        info = describe.execution_info(state)
        # What the packed history and info hold already is left out of the snapshot, and given
        # back by `load_run` (`_given_back`): it would cost a closed run bytes (its started
        # attributes and search attributes are base64 in the snapshot, which the compression
        # cannot match with their bytes in the history and info) and the time to encode and
        # compress it.
        leave_out = _HELD_BY_INFO
        if first is not None and first.workflow_execution_started_event_attributes == state.started_attributes:
            leave_out = _HELD_BY_INFO_AND_HISTORY
        packed = _Closed(count, data, info.SerializeToString(), snapshot.dump_in_process(state, leave_out))
        self._closed.put(run, _pack_closed(self._rest_packer, packed))
        self._keep_decoded(run, events)

    def append(self, run: RunKey, events: list[history.HistoryEvent]) -> None:
        stored = self._add_events(run, events)
        if stored and stored[-1].event_type in _CLOSING_EVENTS:
            self._seal(run, stored)

    def _add_events(self, run: RunKey, events: list[history.HistoryEvent]) -> list[history.HistoryEvent] | None:
        """Append to the run's history as objects (unsealing a closed one); the history, or None
        when there was nothing to add."""
        if not events:
            return None
        stored = self._histories.get(run)
        if stored is None:
            stored = self._histories[run] = self._unseal(run)
        for event in events:
            if event.event_id != len(stored) + 1:
                raise RuntimeError(f"history of {run} would skip from {len(stored)} to {event.event_id}")
            stored.append(event)
        return stored

    def load_history(self, run: RunKey, data: bytes) -> history.HistoryEvent | None:
        """Take over a stored history (a serialized `History`) at start-up, before any other
        write of ``run``; returns its last event. A closed history is kept sealed as it was
        read: its events are parsed (a damaged one raises) but not kept as objects."""
        events = history.History.FromString(data).events
        if not events:
            return None
        for expected_id, event in enumerate(events, start=1):
            if event.event_id != expected_id:
                raise ValueError(f"history of {run} skips from {expected_id - 1} to {event.event_id}")
        if events[-1].event_type in _CLOSING_EVENTS:
            self._seal_serialized(run, len(events), data)
        else:
            self._histories[run] = list(events)
        return events[-1]

    def _seal(self, run: RunKey, events: list[history.HistoryEvent]) -> None:
        self._seal_serialized(run, len(events), _history_bytes(events))
        del self._histories[run]
        self._keep_decoded(run, events)

    def _keep_decoded(self, run: RunKey, events: list[history.HistoryEvent] | None) -> None:
        """Keep the events of a history just sealed among those read lately: its close event is
        read at once (by every caller waiting for the result), and would be inflated and parsed."""
        if events is None:
            self._decoded.pop(run, None)
            return
        self._decoded[run] = events
        self._decoded.move_to_end(run)
        if len(self._decoded) > _DECODED_KEPT:
            self._decoded.popitem(last=False)

    def _seal_serialized(self, run: RunKey, count: int, data: bytes) -> None:
        self._closed.put(run, _pack_closed(self._history_packer, _Closed(count, data)))
        self._decoded.pop(run, None)

    def _unseal(self, run: RunKey) -> list[history.HistoryEvent]:
        """The events of ``run`` as objects again (none if it has no history), no longer sealed."""
        events = self._events(run)
        self._closed.pop(run)
        self._decoded.pop(run, None)
        return list(events)

    def _events(self, run: RunKey) -> list[history.HistoryEvent]:
        stored = self._histories.get(run)
        if stored is not None:
            return stored
        decoded = self._decoded.get(run)
        if decoded is not None:
            self._decoded.move_to_end(run)
            return decoded
        decoded = self._closed_events(run)
        if decoded is None:
            return []
        self._keep_decoded(run, decoded)
        return decoded

    def _closed_events(self, run: RunKey) -> list[history.HistoryEvent] | None:
        """A closed run's events, unsealed (None if there is no such history)."""
        closed = self._unpacked(run)
        if closed is None:
            return None
        return list(history.History.FromString(closed.history).events)

    def _unpacked(self, run: RunKey) -> _Closed | None:
        packed = self._closed.get(run)
        return None if packed is None else _unpack_closed(self._packers, packed)

    @property
    def _packers(self) -> tuple[_Packer, _Packer]:
        return self._history_packer, self._rest_packer

    async def save_namespace(self, namespace: Namespace) -> None:
        return None

    async def delete_namespace(self, name: str) -> None:
        for runs in (self._histories, self._decoded):
            for run in [run for run in runs if run.namespace == name]:
                del runs[run]
        self._closed.drop_namespace(name)

    async def save_schedule(self, namespace: str, schedule_id: str, state: str) -> None:
        return None

    async def delete_schedule(self, namespace: str, schedule_id: str) -> None:
        return None

    async def save_batch_job(self, namespace: str, job_id: str, state: str) -> None:
        return None

    def read(self, run: RunKey, first_event_id: int, last_event_id: int) -> list[history.HistoryEvent]:
        return self._events(run)[max(first_event_id, 1) - 1 : max(last_event_id, 0)]

    def last_event_id(self, run: RunKey) -> int:
        stored = self._histories.get(run)
        if stored is not None:
            return len(stored)
        packed = self._closed.get(run)
        return 0 if packed is None else _packed_event_count(self._packers, packed)

    def load_run(self, run: RunKey) -> MutableState | None:
        closed = self._unpacked(run)
        if closed is None or not closed.snapshot:
            return None
        return snapshot.load_in_process(closed.snapshot, _given_back(run, closed))

    def closed_info(self, run: RunKey) -> workflow_pb.WorkflowExecutionInfo | None:
        closed = self._unpacked(run)
        return None if closed is None or not closed.info else workflow_pb.WorkflowExecutionInfo.FromString(closed.info)

    async def delete(self, run: RunKey) -> None:
        self._histories.pop(run, None)
        self._closed.pop(run)
        self._decoded.pop(run, None)

    async def close(self) -> None:
        return None


# The fields of a run's state its execution info holds as they are (core.describe.execution_info;
# its key's namespace is the store's): a snapshot at rest leaves them out. The started attributes
# are left out too when the history's first event holds them (a reset run's may not).
_HELD_BY_INFO = frozenset(
    {
        "key",
        "workflow_type",
        "task_queue",
        "first_execution_run_id",
        "next_event_id",
        "history_size_bytes",
        "state_transitions",
        "memo",
        "search_attributes",
        "auto_reset_points",
    }
)
_HELD_BY_INFO_AND_HISTORY = _HELD_BY_INFO | {"started_attributes"}


def _given_back(run: RunKey, closed: _Closed) -> dict[str, Any]:
    """The fields `MemoryStore.rest` left out of a run's snapshot (`_HELD_BY_INFO`), from its
    key, execution info and history (a field the snapshot has keeps its own)."""
    info = workflow_pb.WorkflowExecutionInfo.FromString(closed.info)
    given: dict[str, Any] = {
        "key": RunKey(run.namespace, info.execution.workflow_id, info.execution.run_id),
        "workflow_type": info.type.name,
        "task_queue": info.task_queue,
        "first_execution_run_id": info.first_run_id,
        "next_event_id": info.history_length + 1,
        "history_size_bytes": info.history_size_bytes,
        "state_transitions": info.state_transition_count,
        "memo": info.memo,
        "search_attributes": info.search_attributes,
        "auto_reset_points": info.auto_reset_points,
    }
    first = _first_event(closed.history)
    if first is not None:
        given["started_attributes"] = first.workflow_execution_started_event_attributes
    return given


def _history_bytes(events: list[history.HistoryEvent]) -> bytes:
    """The events as a serialized `History`: each event serialized alone, as the History's
    field 1 (`History(events=...)` would copy every event into a new message first, which
    upb does by encoding and parsing it: that was two thirds of the time)."""
    parts: list[bytes] = []
    for event in events:
        data = event.SerializeToString()
        size = len(data)
        parts.append(_SHORT_ENTRY_HEADS[size] if size < 0x80 else history_entry_head(size))
        parts.append(data)
    return b"".join(parts)


def history_entry_head(size: int) -> bytes:
    """The tag and length ahead of a `History.events` entry of ``size`` bytes (a serialized
    History is its events' entries, one after the other)."""
    head = bytearray(b"\x0a")
    while size >= 0x80:
        head.append(size & 0x7F | 0x80)
        size >>= 7
    head.append(size)
    return bytes(head)


_SHORT_ENTRY_HEADS = [history_entry_head(size) for size in range(0x80)]


def _first_event(data: bytes) -> history.HistoryEvent | None:
    """The first event of a serialized `History`, parsed alone (not the whole history)."""
    # A History is its events, each a length-delimited field 1 (tag byte 0x0a), in order.
    if not data or data[0] != 0x0A:
        return None
    length, shift, at = 0, 0, 1
    while True:
        byte = data[at]
        length |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            break
        shift += 7
    return history.HistoryEvent.FromString(data[at : at + length])


_CLOSING_EVENTS = frozenset(
    {
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)
_ZDICT_BYTES = 4096
# Level 3 packs a closed run at rest about 8 bytes (of 500) larger than level 6, in four fifths
# of the time: 1 to 3 are zlib's quick levels.
_LEVEL = 3
# Deflate without zlib's header and checksum (6 bytes a closed run): the bytes never leave
# the process, so there is nothing for a checksum to catch. A 16 KiB window (-14), not
# zlib's 32: a record and the 4 KiB dictionary fit in it, so a closed run packs to the same
# bytes, and a compressor made for each record costs half the time (66 -> 30 µs a run at rest).
_RAW_DEFLATE = -14
_DECODED_KEPT = 16
