"""The Pending tab: what the run waits for right now."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from temporalio.api.enums.v1 import PendingActivityState, PendingWorkflowTaskState
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

from tempo_cli._render import failure_chain
from tempo_cli.tui.formatting import one_line, timestamp
from tempo_cli.tui.history_model import PendingExternal
from tempo_cli.tui.verbatim import verbatim_row
from tempo_cli.tui.widgets.table_widths import widen_columns


def _ts(message: object, field: str, tz: datetime.tzinfo | None) -> str:
    if not message.HasField(field):  # type: ignore[attr-defined]
        return ""
    return timestamp(getattr(message, field).ToDatetime(tzinfo=datetime.UTC), tz, with_zone=True)


def _enum(name: str, prefix: str) -> str:
    return "".join(p.capitalize() for p in name.removeprefix(prefix).split("_"))


_TITLES = {
    "activities": "Pending activities",
    "children": "Pending child workflows",
    "external": "Pending signals and cancel requests to other workflows",
}


class PendingView(VerticalScroll):
    """Pending activities, child workflows, signals and cancels to other workflows, and the
    workflow task, from DescribeWorkflowExecution and the history."""

    def compose(self) -> ComposeResult:
        yield Static(id="pending-task")
        for name in _TITLES:
            yield Label(id=f"pending-{name}-title", classes="section-title")
            yield DataTable(id=f"pending-{name}", cursor_type="row")

    def on_mount(self) -> None:
        self._table("activities").add_columns(
            "Activity ID", "Type", "State", "Attempt", "Last failure", "Last heartbeat", "Next retry", "Worker"
        )
        self._table("children").add_columns("Workflow ID", "Run ID", "Type", "Initiated by event")
        self._table("external").add_columns("Event", "Kind", "Workflow ID", "Signal", "Since")
        self.show(None, [], None)

    def _table(self, name: str) -> DataTable[object]:
        return self.query_one(f"#pending-{name}", DataTable)

    def show(
        self,
        response: DescribeWorkflowExecutionResponse | None,
        externals: Sequence[PendingExternal],
        tz: datetime.tzinfo | None,
    ) -> None:
        """Redraw from the latest description and history."""
        activities, children, external = self._table("activities"), self._table("children"), self._table("external")
        for table in (activities, children, external):
            table.clear()
        task = self.query_one("#pending-task", Static)
        if response is None:
            task.update("Loading…")
            return
        if response.HasField("pending_workflow_task"):
            wt = response.pending_workflow_task
            state = _enum(PendingWorkflowTaskState.Name(wt.state), "PENDING_WORKFLOW_TASK_STATE_")
            task.update(
                f"Workflow task: {state}, attempt {wt.attempt}, scheduled {_ts(wt, 'scheduled_time', tz)}"
                + (f", started {_ts(wt, 'started_time', tz)}" if wt.HasField("started_time") else "")
            )
        else:
            task.update("Workflow task: none pending")
        for pa in response.pending_activities:
            state = _enum(PendingActivityState.Name(pa.state), "PENDING_ACTIVITY_STATE_")
            attempts = f"{pa.attempt}" + (f"/{pa.maximum_attempts}" if pa.maximum_attempts else "")
            failure = one_line(failure_chain(pa.last_failure), 80) if pa.HasField("last_failure") else ""
            activities.add_row(
                *verbatim_row(
                    pa.activity_id,
                    pa.activity_type.name,
                    state,
                    attempts,
                    failure,
                    _ts(pa, "last_heartbeat_time", tz),
                    _ts(pa, "next_attempt_schedule_time", tz),
                    pa.last_worker_identity,
                )
            )
        for child in response.pending_children:
            children.add_row(
                *verbatim_row(child.workflow_id, child.run_id, child.workflow_type_name, str(child.initiated_id))
            )
        for item in externals:
            external.add_row(
                *verbatim_row(
                    str(item.event_id), item.kind, item.workflow_id, item.name, timestamp(item.time, tz, with_zone=True)
                )
            )
        for name, title in _TITLES.items():
            table = self._table(name)
            widen_columns(table)
            table.set_class(table.row_count == 0, "-empty")
            count = f"{table.row_count}" if table.row_count else "none"
            self.query_one(f"#pending-{name}-title", Label).update(f"{title}: {count}")

    @property
    def counts(self) -> tuple[int, int, int]:
        """Rows in the activities, children and external tables."""
        return (
            self._table("activities").row_count,
            self._table("children").row_count,
            self._table("external").row_count,
        )
