"""The tree of a workflow and its child workflows, read from their histories.

`tempo workflow trace` prints it and the TUI's relations screen shows it. Children are read
to `depth` levels (-1: all); a child closed with a status in `fold` is shown without its own
children (the real CLI's folding). Histories are fetched a few at a time (`concurrency`).
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from sdk.client import Client, WorkflowStatus
from tempo_cli._render import CLOSE_STATUS

E = EventType

# The real CLI's default: closed children that finished normally are folded.
DEFAULT_FOLD = frozenset({WorkflowStatus.COMPLETED, WorkflowStatus.CANCELED, WorkflowStatus.TERMINATED})

_CHILD_CLOSES = {
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: WorkflowStatus.COMPLETED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: WorkflowStatus.FAILED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: WorkflowStatus.CANCELED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: WorkflowStatus.TERMINATED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: WorkflowStatus.TIMED_OUT,
}


@dataclass
class TraceNode:
    """One run in the tree."""

    workflow_id: str
    run_id: str
    workflow_type: str = ""
    status: WorkflowStatus | None = None
    start_time: datetime.datetime | None = None
    close_time: datetime.datetime | None = None
    folded: bool = False
    children: list[TraceNode] = field(default_factory=list)
    # The runs of the same workflow before and after this one (continue-as-new, retry, cron).
    previous_run_id: str = ""
    next_run_id: str = ""


def node_of(workflow_id: str, run_id: str, events: Sequence[HistoryEvent]) -> tuple[TraceNode, list[TraceNode]]:
    """A run's node, from its history, and the nodes of the children it started (unread yet)."""
    node = TraceNode(workflow_id, run_id, status=WorkflowStatus.RUNNING)
    if events and events[0].event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        started = events[0].workflow_execution_started_event_attributes
        node.workflow_type = started.workflow_type.name
        node.start_time = events[0].event_time.ToDatetime(datetime.UTC)
        node.previous_run_id = started.continued_execution_run_id
    children: dict[int, TraceNode] = {}
    for event in events:
        if event.event_type == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            attrs = event.child_workflow_execution_started_event_attributes
            child = TraceNode(
                attrs.workflow_execution.workflow_id,
                attrs.workflow_execution.run_id,
                attrs.workflow_type.name,
                WorkflowStatus.RUNNING,
            )
            children[attrs.initiated_event_id] = child
        elif event.event_type in _CHILD_CLOSES:
            attrs = getattr(event, event.WhichOneof("attributes") or "")
            closed = children.get(attrs.initiated_event_id)
            if closed is not None:
                closed.status = _CHILD_CLOSES[event.event_type]
        elif event.event_type in CLOSE_STATUS:
            node.status = WorkflowStatus(CLOSE_STATUS[event.event_type])
            node.close_time = event.event_time.ToDatetime(datetime.UTC)
            node.next_run_id = str(
                getattr(getattr(event, event.WhichOneof("attributes") or ""), "new_execution_run_id", "")
            )
    return node, list(children.values())


async def trace(
    client: Client,
    workflow_id: str,
    run_id: str | None = None,
    *,
    depth: int = -1,
    fold: frozenset[WorkflowStatus] = DEFAULT_FOLD,
    concurrency: int = 10,
) -> TraceNode:
    """The tree under a run (the latest run of `workflow_id` if `run_id` is empty)."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def read(node_id: str, node_run: str | None, level: int) -> TraceNode:
        handle = client.get_workflow_handle(node_id, run_id=node_run or None)
        async with gate:
            events = [event async for event in handle.fetch_history_events()]
        node, children = node_of(node_id, node_run or "", events)
        if not node.run_id:
            node.run_id = (await handle.describe()).run_id
        for child in children:
            if child.status in fold or (depth >= 0 and level >= depth):
                child.folded = True

        async def expanded(child: TraceNode) -> TraceNode:
            return child if child.folded else await read(child.workflow_id, child.run_id, level + 1)

        node.children = list(await asyncio.gather(*(expanded(child) for child in children)))
        return node

    return await read(workflow_id, run_id, 0)
