"""SQLite persistence (`--db-filename`): every commit is durable before the RPC answers.

Layout (schema version in `PRAGMA user_version`, migrated forward on open):

- `namespaces`: one row per namespace (its NamespaceInfo and NamespaceConfig protos).
- `executions`: one row per run, its mutable-state snapshot (`devserver.core.snapshot`).
  Pending tasks, timers, retries and the visibility record are all derived from it. A closed
  run at rest (`devserver.run_table`) also has its execution info (`closed_info`, what a
  list shows of it): start-up reads only that, and its state and history are read when asked.
- `counters`: `max_task_id`, the highest task id of any stored event (new events go above it).
- `history`: one row per event, the serialized HistoryEvent proto.
- `schedules`: one row per schedule, its state (`devserver.core.schedules.dump`, JSON).
- `batch_jobs`: one row per batch job, its state (`devserver.core.batch.dump`, JSON).

Commits from concurrent requests are queued and written by one writer task in a
single transaction per batch, so durability costs one fsync per batch, not per
request. The connection lives in one thread of its own: a batch is written there in one
call (one hop between the loop and the thread per batch, not per statement), and the
start-up read too. Running runs' histories are read into memory at start and reads are
served from there; closed runs' histories are read from the file by a second connection,
in the event loop's thread (the file is in WAL mode: a read never waits for the writer).
A second server on the same file is refused by an exclusive lock on `FILE.lock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import json
import logging
import operator
import os
import queue
import re
import sqlite3
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.namespace.v1 import message_pb2 as namespace_pb
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core import describe, snapshot
from devserver.core.changes import RunKey
from devserver.core.mutable_state import MutableState
from devserver.errors import Unavailable
from devserver.namespaces import Namespace
from devserver.run_table import at_rest
from devserver.store import AtRest, Loaded, MemoryStore, RestFields, RunWrite, StoreError, history_entry_head
from devserver.waiters import release

log = logging.getLogger("tempo.sqlite")

_T = TypeVar("_T")

SCHEMA_VERSION = 6

# Each entry upgrades the schema from version i to i + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE namespaces (
        name TEXT PRIMARY KEY,
        info BLOB NOT NULL,
        config BLOB NOT NULL
    );
    CREATE TABLE executions (
        namespace TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        state BLOB NOT NULL,
        PRIMARY KEY (namespace, workflow_id, run_id)
    );
    CREATE TABLE history (
        namespace TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        event_id INTEGER NOT NULL,
        event BLOB NOT NULL,
        PRIMARY KEY (namespace, workflow_id, run_id, event_id)
    ) WITHOUT ROWID;
    """,
    # 2: namespaces remember their registered custom search attributes (JSON name -> type).
    """
    ALTER TABLE namespaces ADD COLUMN search_attributes TEXT NOT NULL DEFAULT '{}';
    """,
    # 3: schedules, one row each (core.schedules.dump as JSON).
    """
    CREATE TABLE schedules (
        namespace TEXT NOT NULL,
        schedule_id TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (namespace, schedule_id)
    );
    """,
    # 4: batch jobs, one row each (core.batch.dump as JSON); seq keeps them in start order.
    """
    CREATE TABLE batch_jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace TEXT NOT NULL,
        job_id TEXT NOT NULL,
        state TEXT NOT NULL,
        UNIQUE (namespace, job_id)
    );
    """,
    # 5: closed runs at rest keep their execution info (start-up reads no snapshot of theirs), the
    # request id a run was started with, and the highest task id (start-up reads no history).
    # Rows written before are put at rest by the first start that reads them (_put_to_rest).
    """
    ALTER TABLE executions ADD COLUMN closed_info BLOB;
    ALTER TABLE executions ADD COLUMN start_request_id TEXT NOT NULL DEFAULT '';
    CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    """,
    # 6: closed runs at rest keep their visibility record's fields as plain columns (store.
    # RestFields): start-up reads them without parsing a protobuf per run, about twice as quick
    # with 100,000 runs at rest. Runs put to rest before keep their info only, read as before
    # (rewriting every row would make the first start after an upgrade take seconds per 10,000
    # runs; retention removes them in time). The running runs are found by an index, not by
    # reading every closed row.
    """
    ALTER TABLE executions ADD COLUMN rest_type TEXT;
    ALTER TABLE executions ADD COLUMN rest_queue TEXT;
    ALTER TABLE executions ADD COLUMN rest_status INTEGER;
    ALTER TABLE executions ADD COLUMN rest_start INTEGER;
    ALTER TABLE executions ADD COLUMN rest_execution INTEGER;
    ALTER TABLE executions ADD COLUMN rest_close INTEGER;
    ALTER TABLE executions ADD COLUMN rest_length INTEGER;
    ALTER TABLE executions ADD COLUMN rest_attributes BLOB;
    CREATE INDEX executions_running ON executions (namespace) WHERE closed_info IS NULL;
    """,
]

# The columns of store.RestFields, in its order.
_REST_COLUMNS = (
    "rest_type, rest_queue, rest_status, rest_start, rest_execution, rest_close, rest_length, rest_attributes"
)

_PRAGMA = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=([A-Za-z0-9_\-]+)$")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def parse_pragmas(values: list[str]) -> list[tuple[str, str]]:
    """`KEY=VALUE` strings as pairs; anything else is a StoreError."""
    pairs = []
    for value in values:
        match = _PRAGMA.match(value.strip())
        if match is None:
            raise StoreError(f"invalid --sqlite-pragma {value!r}: expected KEY=VALUE, e.g. synchronous=NORMAL")
        pairs.append((match.group(1), match.group(2)))
    return pairs


def _framed_event(blob: bytes) -> bytes:
    """An event's bytes as a `History.events` entry: field 1, length-delimited."""
    return history_entry_head(len(blob)) + blob


def _key_row(key: RunKey) -> tuple[str, str, str]:
    return (key.namespace, key.workflow_id, key.run_id)


def _at_rest_row(state: MutableState) -> tuple[bytes, RestFields]:
    """What a run at rest keeps beside its state: its execution info and its record's fields."""
    info = describe.execution_info(state)
    return info.SerializeToString(), RestFields.of_info(info)


def _info(blob: bytes) -> workflow_pb.WorkflowExecutionInfo:
    return workflow_pb.WorkflowExecutionInfo.FromString(blob)


# The rest columns of a run not at rest.
_NO_FIELDS = (None,) * len(RestFields._fields)

# A history row's run: (namespace, workflow id, run id).
_RUN = operator.itemgetter(0, 1, 2)


def _damaged_event(blobs: list[bytes]) -> str:
    """Which of a run's events (in order) does not parse or is out of place, for the message."""
    for event_id, blob in enumerate(blobs, start=1):
        try:
            if history.HistoryEvent.FromString(blob).event_id != event_id:
                return str(event_id)
        except Exception:
            return str(event_id)
    return "?"


@dataclass
class _Pending:
    writes: list[RunWrite] = field(default_factory=list)
    # Snapshots taken at commit time, so later changes to a state are not mixed in.
    blobs: list[bytes] = field(default_factory=list)
    # Per write: the run's execution info and record fields if it is at rest after it, else None.
    infos: list[tuple[bytes, RestFields] | None] = field(default_factory=list)
    namespace: Namespace | None = None
    deleted: RunKey | None = None
    deleted_namespace: str | None = None
    # (namespace, schedule id, state JSON), or None as the state to delete the schedule.
    schedule: tuple[str, str, str | None] | None = None
    # (namespace, job id, state JSON).
    batch_job: tuple[str, str, str] | None = None
    # Made by `_submit` on the store's loop (asking asyncio for it is a system call on 3.11).
    done: asyncio.Future[None] = field(init=False, repr=False)


class SqliteStore(MemoryStore):
    """The memory store's reads of running runs, with every write made durable in SQLite first;
    closed runs are read from the file."""

    def __init__(
        self, path: str, pragmas: list[tuple[str, str]] | None = None, on_fatal: Callable[[str], None] | None = None
    ) -> None:
        super().__init__()
        self.path = path
        self.pragmas = pragmas or []
        self.on_fatal = on_fatal
        self._db: sqlite3.Connection | None = None
        # Reads of closed runs, in the event loop's thread.
        self._reader: sqlite3.Connection | None = None
        # The one thread that uses the connection (sqlite3 objects stay in their thread).
        self._thread: ThreadPoolExecutor | None = None
        self._lock_fd: int | None = None
        # Writes waiting for the connection's thread, which takes them in batches (`_write_loop`);
        # None asks it to stop once those before it are written.
        self._requests: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        # The write loop, running in the connection's thread until the store closes, and the
        # event loop it reports to.
        self._writer: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Why the store writes no more (set by the write loop, in its thread), or None.
        self._failed: str | None = None

    # ---- opening --------------------------------------------------------------------

    async def load(self) -> Loaded:
        self._lock()
        # Files WAL mode makes beside the database: those this start creates go if it fails.
        beside = [self.path + suffix for suffix in ("-wal", "-shm") if not os.path.exists(self.path + suffix)]
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tempo-sqlite")
        try:
            self._db = await self._in_thread(
                lambda: sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            )
        except sqlite3.Error as exc:
            await self._close_and_remove(beside)
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        try:
            loaded = await self._in_thread(self._open_and_read)
        except sqlite3.DatabaseError as exc:
            await self._close_and_remove(beside)
            raise StoreError(f"cannot use {self.path}: {exc}") from exc
        except StoreError:
            await self._close_and_remove(beside)
            raise
        try:
            self._reader = sqlite3.connect(self.path, isolation_level=None)
            self._reader.execute("PRAGMA query_only=1")
        except sqlite3.Error as exc:
            await self._close_and_remove(beside)
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        loop = self._loop = asyncio.get_running_loop()
        self._writer = loop.run_in_executor(self._thread, self._write_loop, loop)
        return loaded

    async def _close_and_remove(self, created: list[str]) -> None:
        """Close, and remove the empty WAL files this start created (they would keep the
        file's read-only mode once it is writable again)."""
        await self.close()
        wal = self.path + "-wal"
        with contextlib.suppress(OSError):
            if wal in created and os.path.getsize(wal) == 0:
                for path in created:
                    os.remove(path)

    async def _in_thread(self, work: Callable[[], _T]) -> _T:
        assert self._thread is not None
        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    def _lock(self) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise StoreError(f"cannot open database {self.path}: directory {directory} does not exist")
        if not os.access(directory, os.W_OK):
            raise StoreError(f"cannot open database {self.path}: directory {directory} is not writable")
        try:
            fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create lock file {self.path}.lock: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(f"{self.path} is in use by another tempo server") from None
        self._lock_fd = fd

    def _open_and_read(self) -> Loaded:
        db = self._db
        assert db is not None
        # Reading the header first: a file that is not SQLite fails here, before anything is written.
        version = (db.execute("PRAGMA user_version").fetchone() or (0,))[0]
        db.execute("PRAGMA schema_version").fetchone()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this server's {SCHEMA_VERSION}; "
                "upgrade tempo to open it"
            )
        # A file we may read but not write (its mode, a read-only mount) is refused now, not at the
        # first commit, and before WAL mode creates files beside it: a write that the rollback
        # undoes (SQLite opens such a file read-only without a word).
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(f"PRAGMA user_version={version}")
        finally:
            db.execute("ROLLBACK")
        db.execute("PRAGMA journal_mode=WAL").fetchall()
        db.execute("PRAGMA synchronous=FULL")
        for key, value in self.pragmas:
            db.execute(f"PRAGMA {key}={value}")
        for target in range(version, SCHEMA_VERSION):
            db.executescript("BEGIN;" + MIGRATIONS[target] + f"PRAGMA user_version={target + 1}; COMMIT;")
        return self._read_all()

    def _read_all(self) -> Loaded:
        db = self._db
        assert db is not None
        loaded = Loaded()
        for name, info_blob, config_blob, attributes in db.execute(
            "SELECT name, info, config, search_attributes FROM namespaces"
        ):
            try:
                info = namespace_pb.NamespaceInfo.FromString(info_blob)
                config = namespace_pb.NamespaceConfig.FromString(config_blob)
                loaded.namespaces.append(Namespace(info, config, json.loads(attributes)))
            except Exception as exc:  # a damaged row: refuse the file rather than guess
                raise StoreError(f"cannot read namespace {name!r} stored in {self.path}: {_one_line(exc)}") from exc
        states: list[MutableState] = []
        query = "SELECT workflow_id, run_id, state FROM executions WHERE closed_info IS NULL"
        for workflow_id, run_id, blob in db.execute(query):
            try:
                states.append(snapshot.load(blob))
            except Exception as exc:
                raise StoreError(
                    f"cannot read workflow {workflow_id!r} run {run_id} stored in {self.path}: {_one_line(exc)}"
                ) from exc
        # The info only of a run put to rest before its record's fields were kept (schema 6).
        query = (
            f"SELECT namespace, workflow_id, run_id, CASE WHEN rest_status IS NULL THEN closed_info END, "
            f"{_REST_COLUMNS} FROM executions WHERE closed_info IS NOT NULL"
        )
        interned = sys.intern
        for row in db.execute(query):
            namespace, workflow_id, run_id, info = row[:4]
            # One namespace string for all its runs, not one per row.
            key = RunKey(interned(namespace), workflow_id, run_id)
            if info is None:
                loaded.at_rest.append(AtRest.of(key, RestFields._make(row[4:])))
                continue
            try:
                resting = AtRest.of(key, RestFields.of_info(_info(info)))
            except Exception as exc:
                raise StoreError(
                    f"cannot read workflow {workflow_id!r} run {run_id} stored in {self.path}: {_one_line(exc)}"
                ) from exc
            loaded.at_rest.append(resting)
        for (state,) in db.execute("SELECT state FROM schedules"):
            loaded.schedules.append(state)
        for (state,) in db.execute("SELECT state FROM batch_jobs ORDER BY seq"):
            loaded.batch_jobs.append(state)
        counter = db.execute("SELECT value FROM counters WHERE name = 'max_task_id'").fetchone()
        loaded.max_task_id = self._highest_task_id() if counter is None else counter[0]
        to_rest: list[MutableState] = []
        for state in states:
            if at_rest(state):
                # Closed before this file had runs at rest (schema 5), or came to rest without a
                # commit (a query that timed out): put to rest below.
                to_rest.append(state)
            else:
                loaded.states.append(state)
                last = self._read_history(state.key)
                if last is not None:
                    loaded.max_task_id = max(loaded.max_task_id, last.task_id)
        # Written last: a file refused above is left as it was.
        if counter is None:
            db.execute("INSERT INTO counters (name, value) VALUES ('max_task_id', ?)", (loaded.max_task_id,))
        if to_rest:
            loaded.at_rest += self._put_to_rest(to_rest)
        return loaded

    def _read_history(self, key: RunKey) -> history.HistoryEvent | None:
        """Read a run's stored events into memory; its last event (None if it has none)."""
        assert self._db is not None
        query = "SELECT event FROM history WHERE namespace = ? AND workflow_id = ? AND run_id = ? ORDER BY event_id"
        blobs = [blob for (blob,) in self._db.execute(query, (key.namespace, key.workflow_id, key.run_id))]
        if not blobs:
            return None
        try:
            # Framed as the `History` message they make up: parsed in one call.
            return self.load_history(key, b"".join(_framed_event(blob) for blob in blobs))
        except Exception as exc:
            raise StoreError(
                f"cannot read event {_damaged_event(blobs)} of workflow {key.workflow_id!r} run {key.run_id} "
                f"stored in {self.path}: {_one_line(exc)}"
            ) from exc

    def _highest_task_id(self) -> int:
        """The highest task id of any stored event, from the events (a file from before schema 5)."""
        assert self._db is not None
        query = (
            "SELECT namespace, workflow_id, run_id, event FROM history "
            "ORDER BY namespace, workflow_id, run_id, event_id"
        )
        highest = 0
        for (_, workflow_id, run_id), rows in itertools.groupby(self._db.execute(query), key=_RUN):
            *_, last = rows
            try:
                highest = max(highest, history.HistoryEvent.FromString(last[3]).task_id)
            except Exception as exc:
                raise StoreError(
                    f"cannot read the last event of workflow {workflow_id!r} run {run_id} stored in {self.path}: "
                    f"{_one_line(exc)}"
                ) from exc
        return highest

    def _put_to_rest(self, states: list[MutableState]) -> list[AtRest]:
        assert self._db is not None
        rows = [(state, *_at_rest_row(state)) for state in states]
        self._db.executemany(
            "UPDATE executions SET closed_info = ?, start_request_id = ?, "
            f"({_REST_COLUMNS}) = (?, ?, ?, ?, ?, ?, ?, ?) "
            "WHERE namespace = ? AND workflow_id = ? AND run_id = ?",
            [(info, state.start_request_id, *fields, *_key_row(state.key)) for state, info, fields in rows],
        )
        return [AtRest.of(state.key, fields) for state, _, fields in rows]

    # ---- reading closed runs -------------------------------------------------------------

    def rest(self, state: MutableState) -> None:
        # Its row holds its snapshot already (closed_info comes with its next commit or start).
        return None

    def load_run(self, run: RunKey) -> MutableState | None:
        row = self._read_one("SELECT state FROM executions", run)
        return None if row is None else snapshot.load(row[0])

    def closed_info(self, run: RunKey) -> workflow_pb.WorkflowExecutionInfo | None:
        row = self._read_one("SELECT closed_info FROM executions", run)
        return None if row is None or row[0] is None else _info(row[0])

    def last_event_id(self, run: RunKey) -> int:
        stored = self._histories.get(run)
        if stored is not None:
            return len(stored)
        row = self._read_one("SELECT MAX(event_id) FROM history", run)
        return 0 if row is None or row[0] is None else int(row[0])

    def append(self, run: RunKey, events: list[history.HistoryEvent]) -> None:
        if events and run not in self._histories:
            # A new run, or a closed one written to again: the file already has these events
            # (the commit wrote them first), so what goes before them is read from it.
            first = events[0].event_id
            earlier = [] if first == 1 else (self._closed_events(run) or [])
            self._histories[run] = [event for event in earlier if event.event_id < first]
            self._decoded.pop(run, None)
        super().append(run, events)

    def _seal(self, run: RunKey, events: list[history.HistoryEvent]) -> None:
        # A closed history is read from the file when asked for: not serialized to be kept,
        # only its events kept decoded among those read lately (its result is read at once).
        del self._histories[run]
        self._keep_decoded(run, events)

    def _seal_serialized(self, run: RunKey, count: int, data: bytes) -> None:
        # A closed history is read from the file when asked for: nothing kept in memory.
        self._decoded.pop(run, None)

    def _closed_events(self, run: RunKey) -> list[history.HistoryEvent] | None:
        if self._reader is None:
            raise Unavailable("the database is closed")
        query = "SELECT event FROM history WHERE namespace = ? AND workflow_id = ? AND run_id = ? ORDER BY event_id"
        blobs = [blob for (blob,) in self._reader.execute(query, _key_row(run))]
        if not blobs:
            return None
        return list(history.History.FromString(b"".join(_framed_event(blob) for blob in blobs)).events)

    def _read_one(self, select: str, run: RunKey) -> tuple[Any, ...] | None:
        if self._reader is None:
            raise Unavailable("the database is closed")
        row: tuple[Any, ...] | None = self._reader.execute(
            select + " WHERE namespace = ? AND workflow_id = ? AND run_id = ?", _key_row(run)
        ).fetchone()
        return row

    # ---- writing ----------------------------------------------------------------------

    async def commit(self, writes: list[RunWrite]) -> None:
        blobs = [snapshot.dump(write.state) for write in writes]
        infos = [_at_rest_row(write.state) if at_rest(write.state) else None for write in writes]
        await self._submit(_Pending(writes=writes, blobs=blobs, infos=infos))
        for write in writes:
            self.append(write.state.key, write.events)

    async def save_namespace(self, namespace: Namespace) -> None:
        await self._submit(_Pending(namespace=namespace))

    async def delete_namespace(self, name: str) -> None:
        await self._submit(_Pending(deleted_namespace=name))
        await super().delete_namespace(name)

    async def save_schedule(self, namespace: str, schedule_id: str, state: str) -> None:
        await self._submit(_Pending(schedule=(namespace, schedule_id, state)))

    async def delete_schedule(self, namespace: str, schedule_id: str) -> None:
        await self._submit(_Pending(schedule=(namespace, schedule_id, None)))

    async def save_batch_job(self, namespace: str, job_id: str, state: str) -> None:
        await self._submit(_Pending(batch_job=(namespace, job_id, state)))

    async def delete(self, run: RunKey) -> None:
        await self._submit(_Pending(deleted=run))
        await super().delete(run)

    async def _submit(self, pending: _Pending) -> None:
        if self._failed is not None:
            raise Unavailable(self._failed)
        assert self._loop is not None, "the store is not open"
        pending.done = self._loop.create_future()
        self._requests.put(pending)
        await asyncio.shield(pending.done)

    def _write_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Write what `_submit` queues, in the connection's thread until `close`: whatever
        waits when a transaction ends goes into the next one, and the loop is told once per
        transaction (not through a task and an executor call per batch: with `--db-filename`
        that hand-off cost more of the server's CPU than the writing). After a failure nothing
        more is written: each later write fails with the same error."""
        closing = False
        while not closing:
            batch: list[_Pending] = []
            item = self._requests.get()
            while True:
                if item is None:
                    closing = True
                else:
                    batch.append(item)
                try:
                    item = self._requests.get_nowait()
                except queue.Empty:
                    break
            if not batch:
                continue
            if self._failed is None:
                try:
                    self._write_in_thread(batch)
                except Exception as exc:  # sqlite3.Error, OSError: the file; anything else: a bug
                    self._failed = f"cannot write to {self.path}: {exc}"
                    loop.call_soon_threadsafe(self._not_written, batch, True)
                    continue
                loop.call_soon_threadsafe(self._written, batch)
            else:
                loop.call_soon_threadsafe(self._not_written, batch, False)

    @staticmethod
    def _written(batch: list[_Pending]) -> None:
        for pending in batch:
            release(pending.done, None)

    def _not_written(self, batch: list[_Pending], first_failure: bool) -> None:
        assert self._failed is not None
        for pending in batch:
            if not pending.done.done():
                pending.done.set_exception(Unavailable(self._failed))
        if first_failure and self.on_fatal is not None:
            self.on_fatal(self._failed)

    def _write_in_thread(self, batch: list[_Pending]) -> None:
        """One transaction for the whole batch; runs in the connection's thread."""
        db = self._db
        assert db is not None
        db.execute("BEGIN IMMEDIATE")
        try:
            for pending in batch:
                self._write_one(db, pending)
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    @staticmethod
    def _write_one(db: sqlite3.Connection, pending: _Pending) -> None:
        if pending.namespace is not None:
            ns = pending.namespace
            db.execute(
                "INSERT OR REPLACE INTO namespaces (name, info, config, search_attributes) VALUES (?, ?, ?, ?)",
                (ns.name, ns.info.SerializeToString(), ns.config.SerializeToString(), json.dumps(ns.search_attributes)),
            )
        if pending.schedule is not None:
            namespace, schedule_id, state = pending.schedule
            if state is None:
                db.execute("DELETE FROM schedules WHERE namespace = ? AND schedule_id = ?", (namespace, schedule_id))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO schedules (namespace, schedule_id, state) VALUES (?, ?, ?)",
                    (namespace, schedule_id, state),
                )
        if pending.batch_job is not None:
            # An upsert that keeps the row (and its seq, the job's place in start order).
            db.execute(
                "INSERT INTO batch_jobs (namespace, job_id, state) VALUES (?, ?, ?) "
                "ON CONFLICT (namespace, job_id) DO UPDATE SET state = excluded.state",
                pending.batch_job,
            )
        if pending.deleted is not None:
            key = pending.deleted
            for table in ("executions", "history"):
                db.execute(
                    f"DELETE FROM {table} WHERE namespace = ? AND workflow_id = ? AND run_id = ?",
                    (key.namespace, key.workflow_id, key.run_id),
                )
        if pending.deleted_namespace is not None:
            db.execute("DELETE FROM namespaces WHERE name = ?", (pending.deleted_namespace,))
            for table in ("executions", "history", "schedules", "batch_jobs"):
                db.execute(f"DELETE FROM {table} WHERE namespace = ?", (pending.deleted_namespace,))
        highest_task_id = 0
        for write, blob, info in zip(pending.writes, pending.blobs, pending.infos, strict=True):
            key = write.state.key
            # start_request_id repeats the snapshot's for whoever reads the file; the server
            # reads it from the state (a retried start is checked against the current run).
            closed_info, fields = (None, _NO_FIELDS) if info is None else info
            db.execute(
                "INSERT OR REPLACE INTO executions (namespace, workflow_id, run_id, state, closed_info, "
                f"start_request_id, {_REST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key.namespace, key.workflow_id, key.run_id, blob, closed_info, write.state.start_request_id, *fields),
            )
            if write.events:
                highest_task_id = max(highest_task_id, max(event.task_id for event in write.events))
                db.executemany(
                    "INSERT INTO history (namespace, workflow_id, run_id, event_id, event) VALUES (?, ?, ?, ?, ?)",
                    [
                        (key.namespace, key.workflow_id, key.run_id, e.event_id, e.SerializeToString())
                        for e in write.events
                    ],
                )
        if highest_task_id:
            db.execute(
                "INSERT INTO counters (name, value) VALUES ('max_task_id', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (highest_task_id,),
            )

    async def close(self) -> None:
        if self._writer is not None:
            # Queued commits are written first: the sentinel comes after them.
            self._requests.put(None)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._writer)
            self._writer = None
        if self._reader is not None:
            with contextlib.suppress(sqlite3.Error):
                self._reader.close()
            self._reader = None
        if self._db is not None:
            db = self._db
            with contextlib.suppress(sqlite3.Error):
                await self._in_thread(db.close)
            self._db = None
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
