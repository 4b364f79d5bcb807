"""Every run the engine knows, by key and by workflow id, wherever its state lives.

Running runs are objects in memory. A closed run that owes nothing more (no report to a
parent, no close policy to apply, no query waiting for a worker) is *at rest*: the table
lets go of its object and reads it back from the store when it is asked for. The SQLite
store (`--db-filename`) keeps it in the file, so a server holding 100,000 finished workflows
keeps their visibility records in memory but not their states; the memory store keeps it
as compressed bytes. The last closed runs read (or closed) are kept as objects a while: a
workflow is usually read right after it closes.

`WorkflowChain` is one workflow id's runs in start order; its `runs` is a read-only view
that goes through the table, so a chain costs its run ids, not its states.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping

from devserver.core import children
from devserver.core.changes import RunKey
from devserver.core.mutable_state import MutableState

# Closed runs at rest kept as objects after their last use, newest last.
RECENT_AT_REST = 512


def at_rest(state: MutableState) -> bool:
    """A closed run nothing is owed to or by: the store may hold it alone."""
    return not state.running and not state.legacy_queries and not children.pending_transfers(state)


class WorkflowChain:
    """Every run of one workflow id in one namespace, in start order; the last is the current one.

    Most workflow ids run once and most runs are at rest, so a chain is kept small: one run
    id is kept as the string itself, a dict of them only from the second run on. 100,000
    closed workflows make that count.
    """

    __slots__ = ("_run_ids", "_table", "namespace", "workflow_id")

    def __init__(self, table: RunTable, namespace: str, workflow_id: str) -> None:
        self._table = table
        self.namespace = namespace
        self.workflow_id = workflow_id
        # Run ids in start order: one as the string, two or more as a dict (ordered, and
        # membership costs nothing).
        self._run_ids: str | dict[str, None] = {}

    @property
    def runs(self) -> Mapping[str, MutableState]:
        return _ChainRuns(self)

    @property
    def current(self) -> MutableState:
        run_ids = self._run_ids
        return self._state(run_ids if isinstance(run_ids, str) else next(reversed(run_ids)))

    @property
    def run_ids(self) -> tuple[str, ...]:
        """The run ids in start order."""
        run_ids = self._run_ids
        return (run_ids,) if isinstance(run_ids, str) else tuple(run_ids)

    def has_run(self, run_id: str) -> bool:
        run_ids = self._run_ids
        return run_ids == run_id if isinstance(run_ids, str) else run_id in run_ids

    def started_by(self, request_id: str) -> MutableState | None:
        """The current run if the request with this id started it. As on the real server, a
        retried start finds the current run only (a reset run has its base's request id)."""
        current = self.current
        return current if request_id and current.start_request_id == request_id else None

    def _add_run(self, run_id: str) -> bool:
        """Add a run id (False if it was there)."""
        run_ids = self._run_ids
        if isinstance(run_ids, str):
            if run_ids == run_id:
                return False
            self._run_ids = {run_ids: None, run_id: None}
        elif run_id in run_ids:
            return False
        elif not run_ids:
            self._run_ids = run_id
        else:
            run_ids[run_id] = None
        return True

    def _remove_run(self, run_id: str) -> None:
        run_ids = {r: None for r in self.run_ids if r != run_id}
        self._run_ids = next(iter(run_ids)) if len(run_ids) == 1 else run_ids

    def _state(self, run_id: str) -> MutableState:
        return self._table.state(RunKey(self.namespace, self.workflow_id, run_id))


class _ChainRuns(Mapping[str, MutableState]):
    """A chain's runs by run id, in start order, read through the table."""

    __slots__ = ("_chain",)

    def __init__(self, chain: WorkflowChain) -> None:
        self._chain = chain

    def __getitem__(self, run_id: str) -> MutableState:
        if not self._chain.has_run(run_id):
            raise KeyError(run_id)
        return self._chain._state(run_id)

    def __contains__(self, run_id: object) -> bool:
        return isinstance(run_id, str) and self._chain.has_run(run_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._chain.run_ids)

    def __len__(self) -> int:
        return len(self._chain.run_ids)


class ChainIndex(Mapping[tuple[str, str], WorkflowChain]):
    """The chains by (namespace, workflow id), kept per namespace: no key tuple per workflow.

    A workflow id with one run is kept as that run's id, and its chain is made when asked
    for (a chain object costs 64 bytes, and most workflow ids run once). So a chain changed
    (`WorkflowChain._add_run`, `_remove_run`) is `add`ed again.
    """

    __slots__ = ("_by_namespace", "_table")

    def __init__(self, table: RunTable) -> None:
        self._table = table
        self._by_namespace: dict[str, dict[str, WorkflowChain | str]] = {}

    def _chain(self, namespace: str, workflow_id: str, kept: WorkflowChain | str) -> WorkflowChain:
        if not isinstance(kept, str):
            return kept
        chain = WorkflowChain(self._table, namespace, workflow_id)
        chain._run_ids = kept
        return chain

    def __getitem__(self, key: tuple[str, str]) -> WorkflowChain:
        return self._chain(key[0], key[1], self._by_namespace[key[0]][key[1]])

    def get(self, key: tuple[str, str], default: WorkflowChain | None = None) -> WorkflowChain | None:  # type: ignore[override]
        chains = self._by_namespace.get(key[0])
        kept = None if chains is None else chains.get(key[1])
        return default if kept is None else self._chain(key[0], key[1], kept)

    def has_run(self, key: RunKey) -> bool:
        chains = self._by_namespace.get(key.namespace)
        kept = None if chains is None else chains.get(key.workflow_id)
        if kept is None:
            return False
        return kept == key.run_id if isinstance(kept, str) else kept.has_run(key.run_id)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for namespace, chains in list(self._by_namespace.items()):
            for workflow_id in list(chains):
                yield namespace, workflow_id

    def __len__(self) -> int:
        return sum(len(chains) for chains in self._by_namespace.values())

    def values(self) -> list[WorkflowChain]:  # type: ignore[override]
        """Every chain (a list: safe to change the index while reading it)."""
        return [
            self._chain(namespace, workflow_id, kept)
            for namespace, chains in self._by_namespace.items()
            for workflow_id, kept in chains.items()
        ]

    def in_namespace(self, namespace: str) -> list[WorkflowChain]:
        chains = self._by_namespace.get(namespace, {})
        return [self._chain(namespace, workflow_id, kept) for workflow_id, kept in chains.items()]

    def add(self, chain: WorkflowChain) -> None:
        """Keep a new or changed chain (one that has a run)."""
        run_ids = chain._run_ids
        kept = run_ids if isinstance(run_ids, str) else chain
        self._by_namespace.setdefault(chain.namespace, {})[chain.workflow_id] = kept

    def remove(self, chain: WorkflowChain) -> None:
        chains = self._by_namespace[chain.namespace]
        del chains[chain.workflow_id]
        if not chains:
            del self._by_namespace[chain.namespace]


class RunTable(Mapping[RunKey, MutableState]):
    """The engine's runs: `table[key]`, `table.get(key)`, `key in table`, and the chains.

    `load` reads a run at rest back from the store. Iterating the table visits every run, reading those at rest;
    `live()` visits only the runs in memory, which is what loops over running work want.
    """

    def __init__(self, load: Callable[[RunKey], MutableState | None]) -> None:
        self._load = load
        self.chains = ChainIndex(self)
        # Running runs, and closed ones that are not at rest.
        self._live: dict[RunKey, MutableState] = {}
        # Closed runs at rest read or closed lately, oldest first.
        self._recent: OrderedDict[RunKey, MutableState] = OrderedDict()
        self._count = 0

    # ---- reading ---------------------------------------------------------------------

    def get(self, key: RunKey, default: MutableState | None = None) -> MutableState | None:  # type: ignore[override]
        state = self._live.get(key)
        if state is not None:
            return state
        state = self._recent.get(key)
        if state is not None:
            self._recent.move_to_end(key)
            return state
        if not self._registered(key):
            return default
        state = self._load(key)
        if state is None:
            return default
        self._keep_recent(state)
        return state

    def __getitem__(self, key: RunKey) -> MutableState:
        state = self.get(key)
        if state is None:
            raise KeyError(key)
        return state

    def state(self, key: RunKey) -> MutableState:
        """A registered run's state; a run the store lost is an error of the store."""
        state = self.get(key)
        if state is None:
            raise LookupError(f"run {key.run_id} of workflow {key.workflow_id!r} is missing from the store")
        return state

    def in_memory(self, key: RunKey) -> MutableState | None:
        """The run's state if it is an object now (no store read)."""
        state = self._live.get(key)
        return state if state is not None else self._recent.get(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, RunKey) and self._registered(key)

    def __iter__(self) -> Iterator[RunKey]:
        for chain in self.chains.values():
            for run_id in chain.run_ids:
                yield RunKey(chain.namespace, chain.workflow_id, run_id)

    def __len__(self) -> int:
        return self._count

    def live(self) -> list[MutableState]:
        """The runs not at rest (every running run among them)."""
        return list(self._live.values())

    def keys_in(self, namespace: str) -> list[RunKey]:
        return [
            RunKey(namespace, chain.workflow_id, run_id)
            for chain in self.chains.in_namespace(namespace)
            for run_id in chain.run_ids
        ]

    def _registered(self, key: RunKey) -> bool:
        return self.chains.has_run(key)

    # ---- changing --------------------------------------------------------------------

    def add(self, state: MutableState) -> None:
        """Register a run (a new one, or one loaded at start) as an object."""
        self._register(state.key)
        self._recent.pop(state.key, None)
        self._live[state.key] = state

    def add_at_rest(self, key: RunKey) -> None:
        """Register a closed run the store holds at rest (at start)."""
        self._register(key)

    def settle(self, state: MutableState) -> None:
        """After a committed change: a run that came to rest leaves memory (kept a while among
        the recent ones); one that owes something again is kept as an object."""
        key = state.key
        if not self._registered(key):  # deleted meanwhile
            return
        if not at_rest(state):
            self._recent.pop(key, None)
            self._live[key] = state
            return
        self._live.pop(key, None)
        self._keep_recent(state)

    def remove(self, key: RunKey) -> None:
        chain = self.chains[(key.namespace, key.workflow_id)]
        chain._remove_run(key.run_id)
        if chain.run_ids:
            self.chains.add(chain)
        else:
            self.chains.remove(chain)
        self._live.pop(key, None)
        self._recent.pop(key, None)
        self._count -= 1

    def _register(self, key: RunKey) -> None:
        chain = self.chains.get((key.namespace, key.workflow_id))
        if chain is None:
            chain = WorkflowChain(self, key.namespace, key.workflow_id)
        if chain._add_run(key.run_id):
            self._count += 1
            self.chains.add(chain)

    def _keep_recent(self, state: MutableState) -> None:
        self._recent[state.key] = state
        self._recent.move_to_end(state.key)
        while len(self._recent) > RECENT_AT_REST:
            self._recent.popitem(last=False)
