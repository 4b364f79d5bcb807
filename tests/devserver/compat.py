"""Helpers for the wire-compatibility tests (issue 8): both servers with the same flags, and a
history summary that adds the attributes those tests compare to `scenarios.summarize`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from tests.devserver import scenarios
from tests.inprocess import config_from_flags, tempo_in_process
from tests.servers import real_server


@contextlib.asynccontextmanager
async def server_pair(*flags: str) -> AsyncIterator[tuple[str, str]]:
    """(tempo address, real address): both dev servers started with the same extra flags
    (--dynamic-config-value ...); ours in this process, the real one as a subprocess."""
    real = real_server(*flags).start(timeout=60)
    try:
        async with tempo_in_process(config_from_flags(["--long-poll-timeout", "5", *flags])) as tempo:
            yield tempo, real.address
    finally:
        real.kill()  # a throwaway: its graceful shutdown would only cost time


def decoded(payload: Any) -> Any:
    return json.loads(payload.data) if payload.data else None


def summary(history: Sequence[HistoryEvent]) -> list[tuple[Any, ...]]:
    """`scenarios.summarize` plus search attribute upserts, patch markers, the continue-as-new
    suggestion of workflow tasks and who failed a task or terminated the run."""
    rows = []
    for event, row in zip(history, scenarios.summarize(history), strict=True):
        t = event.event_type
        if t == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            row += (sorted((name, decoded(value), value.metadata.get("type")) for name, value in fields.items()),)
        elif t == EventType.EVENT_TYPE_MARKER_RECORDED:
            details = event.marker_recorded_event_attributes.details
            row += (sorted((k, [decoded(p) for p in v.payloads]) for k, v in details.items()),)
        elif t == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            a = event.workflow_task_started_event_attributes
            row += (a.suggest_continue_as_new, list(a.suggest_continue_as_new_reasons))
        elif t == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            row += (event.workflow_task_failed_event_attributes.identity,)
        rows.append(row)
    return rows


def diff(ours: list[tuple[Any, ...]], real: list[tuple[Any, ...]]) -> str:
    lines = []
    for i in range(max(len(ours), len(real))):
        x = ours[i] if i < len(ours) else "-"
        y = real[i] if i < len(real) else "-"
        lines.append(f"{'  ' if x == y else '!!'} #{i + 1}: tempo={x} real={y}")
    return "\n".join(lines)


def history_sizes(history: Sequence[HistoryEvent]) -> list[int]:
    """history_size_bytes of every WorkflowTaskStarted event."""
    return [
        e.workflow_task_started_event_attributes.history_size_bytes
        for e in history
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    ]


def sizes_close(ours: Sequence[int], real: Sequence[int], tolerance: float = 0.03) -> bool:
    """Sizes agree within `tolerance` (event times, task ids and ids differ by a few bytes per
    event between any two runs, even on the same server)."""
    return len(ours) == len(real) and all(abs(a - b) <= tolerance * max(b, 1) for a, b in zip(ours, real, strict=True))
