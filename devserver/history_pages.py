"""Reading history in pages: GetWorkflowExecutionHistory and the history in poll responses.

Page tokens are opaque to clients. A token remembers the run, the next event
to send and where the page sequence ends; a token issued with a workflow
task's first page also remembers that task, so the last page can carry the
task's transient events (attempt >= 2) just like the first page would have.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass

from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import workflow_tasks
from devserver.core.mutable_state import MutableState
from devserver.errors import InvalidArgument
from devserver.store import HistoryStore

PAGE_SIZE = 256


@dataclass(frozen=True)
class PageToken:
    """Where the next page of a history starts and what sequence it belongs to."""

    run_id: str
    next_event_id: int
    # Last stored event id of the sequence; 0 = up to whatever exists when read.
    end_event_id: int = 0
    # Workflow task sequence whose transient events end the sequence; 0 = none.
    workflow_task_seq: int = 0

    def encode(self) -> bytes:
        return base64.b64encode(json.dumps(asdict(self)).encode())

    @staticmethod
    def decode(raw: bytes, run_id: str) -> PageToken:
        try:
            token = PageToken(**json.loads(base64.b64decode(raw, validate=True)))
        except (ValueError, TypeError) as exc:
            raise InvalidArgument("Invalid NextPageToken for GetWorkflowExecutionHistory.") from exc
        if run_id and token.run_id != run_id:
            raise InvalidArgument("Invalid NextPageToken for GetWorkflowExecutionHistory.")
        return token


def page(
    store: HistoryStore,
    state: MutableState,
    token: PageToken,
    page_size: int = PAGE_SIZE,
    *,
    with_unwritten_task: bool = False,
) -> tuple[list[history.HistoryEvent], bytes]:
    """One page starting at the token; returns the events and the next token (or b"").

    `with_unwritten_task`: the last page of a running run ends with its transient or speculative
    workflow task's events, scheduled or started (as the real server answers a client's
    GetWorkflowExecutionHistory: after a failed attempt it shows attempt 2 scheduled)."""
    page_size = page_size if page_size > 0 else PAGE_SIZE
    end = token.end_event_id or store.last_event_id(state.key)
    last = min(end, token.next_event_id + page_size - 1)
    events = store.read(state.key, token.next_event_id, last)
    if last < end:
        following = PageToken(token.run_id, last + 1, end, token.workflow_task_seq)
        return events, following.encode()
    task = state.workflow_task
    if token.workflow_task_seq and task is not None and task.seq == token.workflow_task_seq:
        events = events + workflow_tasks.transient_events(state)
    elif with_unwritten_task and state.running:
        unwritten = workflow_tasks.unwritten_events(state)
        if unwritten and unwritten[0].event_id == end + 1:
            events = events + unwritten
    elif task is not None and task.speculative and not task.transient:
        # A running speculative task shows in history until it is discarded (as on the real server).
        events = events + workflow_tasks.transient_events(state)
    return events, b""


def close_event(store: HistoryStore, state: MutableState) -> history.HistoryEvent | None:
    if state.running and state.paused:
        # The real server answers a paused run's close-event poll at once, with its last event
        # (it waits only while the status is RUNNING): callers waiting for a result stop there.
        last = store.last_event_id(state.key)
        found = store.read(state.key, last, last)
        return found[0] if found else None
    if state.running or not state.close_event_id:
        return None
    found = store.read(state.key, state.close_event_id, state.close_event_id)
    return found[0] if found else None
