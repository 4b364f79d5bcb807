"""`tempo workflow trace`: the tree of a workflow and its children, as the real CLI draws it."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

from sdk.client import Client, WorkflowStatus
from tempo_cli._context import CliContext
from tempo_cli._trace import DEFAULT_FOLD, TraceNode, trace

_MARKS = {
    WorkflowStatus.RUNNING: "▷",
    WorkflowStatus.COMPLETED: "✓",
    WorkflowStatus.FAILED: "✗",
    WorkflowStatus.CANCELED: "⊘",
    WorkflowStatus.TERMINATED: "■",
    WorkflowStatus.CONTINUED_AS_NEW: "↻",
    WorkflowStatus.TIMED_OUT: "⏱",
}
_FOLD_NAMES = {
    "running": WorkflowStatus.RUNNING,
    "completed": WorkflowStatus.COMPLETED,
    "failed": WorkflowStatus.FAILED,
    "canceled": WorkflowStatus.CANCELED,
    "terminated": WorkflowStatus.TERMINATED,
    "timedout": WorkflowStatus.TIMED_OUT,
    "continueasnew": WorkflowStatus.CONTINUED_AS_NEW,
}


def fold_statuses(cli: CliContext, names: list[str], no_fold: bool) -> frozenset[WorkflowStatus]:
    """The --fold values (case-insensitive), the default without any, nothing with --no-fold."""
    if no_fold:
        return frozenset()
    if not names:
        return DEFAULT_FOLD
    unknown = [name for name in names if name.lower() not in _FOLD_NAMES]
    if unknown:
        cli.abort(f"invalid --fold {unknown[0]!r}: expected one of {', '.join(_FOLD_NAMES)}")
    return frozenset(_FOLD_NAMES[name.lower()] for name in names)


def _took(node: TraceNode, now: datetime.datetime) -> str:
    if node.start_time is None:
        return ""
    if node.close_time is not None:
        return f" ({_duration(node.close_time - node.start_time)})"
    return f" ({_duration(now - node.start_time)} ago)"


def _duration(delta: datetime.timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    if seconds < 60:
        return f"{int(seconds)}s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes}m{rest}s"


def tree_lines(node: TraceNode, now: datetime.datetime, prefix: str = " ") -> list[str]:
    """The tree as text: `╪ ✓ Type (took)`, its ids, then its children one level in."""
    mark = _MARKS.get(node.status, "?") if node.status is not None else "?"
    lines = [f"{prefix}╪ {mark} {node.workflow_type or '?'}{_took(node, now)}"]
    lines.append(f"{prefix}│   wfId: {node.workflow_id}, runId: {node.run_id}")
    if node.folded:
        lines.append(f"{prefix}│   ↳ execution folded")
    for child in node.children:
        lines.extend(tree_lines(child, now, prefix + "│   "))
    return lines


def tree_json(node: TraceNode) -> dict[str, Any]:
    return {
        "workflowId": node.workflow_id,
        "runId": node.run_id,
        "type": node.workflow_type,
        "status": f"WORKFLOW_EXECUTION_STATUS_{node.status.name}" if node.status is not None else None,
        "startTime": node.start_time.isoformat() if node.start_time else None,
        "closeTime": node.close_time.isoformat() if node.close_time else None,
        "folded": node.folded,
        "children": [tree_json(child) for child in node.children],
    }


def run_trace(
    cli: CliContext,
    workflow_id: str,
    run_id: str | None,
    depth: int,
    fold: frozenset[WorkflowStatus],
    concurrency: int,
    follow: bool,
) -> None:
    """Print the tree once, or (--follow) each time it changes until the workflow closes."""

    async def work(client: Client) -> None:
        shown: list[str] = []
        while True:
            root = await trace(client, workflow_id, run_id, depth=depth, fold=fold, concurrency=concurrency)
            if cli.json_mode:
                cli.write_json(tree_json(root))
            else:
                lines = tree_lines(root, datetime.datetime.now(datetime.UTC))
                if lines != shown:
                    cli.out.file.write("\n".join(lines) + "\n")
                    cli.out.file.flush()
                    shown = lines
            if not follow or root.status is not WorkflowStatus.RUNNING:
                return
            await asyncio.sleep(1.0)

    cli.run(work)
