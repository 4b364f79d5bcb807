"""Which signals, queries and updates a workflow has, from the SDKs' built-in metadata query."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

# Importing registers temporal.api.sdk.v1.WorkflowMetadata, which the answer is decoded to.
from temporalio.api.sdk.v1 import WorkflowMetadata

from sdk.client import WorkflowHandle
from sdk.exceptions import TempoError, WorkflowQueryFailedError

METADATA_QUERY = "__temporal_workflow_metadata"
# SDK-internal queries that every workflow answers; not worth listing to people.
_BUILTIN_QUERIES = {METADATA_QUERY, "__stack_trace", "__enhanced_stack_trace"}


@dataclass(frozen=True)
class Handlers:
    """Handler names a workflow declares; ``dynamic`` if it takes any name."""

    signals: list[str]
    queries: list[str]
    dynamic_signals: bool
    dynamic_queries: bool
    updates: list[str] = field(default_factory=list)
    dynamic_updates: bool = False


async def fetch_handlers(
    handle: WorkflowHandle, timeout: datetime.timedelta = datetime.timedelta(seconds=1)
) -> Handlers | None:
    """Ask the workflow for its handlers; ``None`` if it cannot say (no worker, old SDK).

    With no worker polling, the server holds the query until ``timeout``: it is asked only
    when a worker polls the run's task queue, and ``timeout`` stays short, since callers go
    ahead without the answer.
    """
    return (await ask_for_handlers(handle, timeout))[0]


async def ask_for_handlers(
    handle: WorkflowHandle, timeout: datetime.timedelta = datetime.timedelta(seconds=1)
) -> tuple[Handlers | None, bool]:
    """As :func:`fetch_handlers`, and whether asking again later may get an answer: yes when
    no worker polled or the worker was too slow, no when the worker said it cannot tell (its
    SDK has no metadata query), so that a caller that asks again does not fill its log."""
    if not await _worker_polls(handle):
        return None, True
    try:
        answer = await handle.query(METADATA_QUERY, timeout=timeout)
    except WorkflowQueryFailedError:
        return None, False
    except TempoError:
        return None, True
    if not isinstance(answer, WorkflowMetadata):
        return None, False
    definition = answer.definition
    signals = [d.name for d in definition.signal_definitions]
    queries = [d.name for d in definition.query_definitions]
    updates = [d.name for d in definition.update_definitions]
    return Handlers(
        signals=sorted(n for n in signals if n),
        queries=sorted(n for n in queries if n and n not in _BUILTIN_QUERIES),
        # SDKs list a dynamic (catch-all) handler with an empty name.
        dynamic_signals="" in signals,
        dynamic_queries="" in queries,
        updates=sorted(n for n in updates if n),
        dynamic_updates="" in updates,
    ), False


async def _worker_polls(handle: WorkflowHandle) -> bool:
    """Whether a worker polls the run's task queue for workflow tasks (True when the server
    cannot say): nobody could answer the metadata query otherwise, and a `tempo workflow
    signal` to a run without a worker would wait out the query's whole timeout."""
    try:
        description = await handle.describe()
        queue = await handle.client.describe_task_queue(description.task_queue)
    except TempoError:
        return True
    return bool(queue.pollers)
