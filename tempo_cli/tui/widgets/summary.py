"""The top of the Workflow screen: who the run is, where it stands, and the runs it links to."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from textual.content import Content
from textual.widgets import Static

from sdk.client import WorkflowDescription, WorkflowStatus
from tempo_cli._render import json_value
from tempo_cli.tui.formatting import between, duration, one_line, timestamp
from tempo_cli.tui.history_model import RunLink, RunOutcome, describe_values
from tempo_cli.tui.styles import status_content

_LABEL = "bold $text-muted"


def _line(*parts: tuple[str, Content | str]) -> Content:
    """``Label value   Label value`` with muted labels; empty values are left out."""
    pieces: list[Content] = []
    for label, value in parts:
        if value == "" or (isinstance(value, Content) and not value.plain):
            continue
        text = value if isinstance(value, Content) else Content(value)
        pieces.append(Content.assemble((label, _LABEL), " ", text))
    return Content("   ").join(pieces)


def _values(values: dict[str, Any]) -> str:
    return one_line({k: json_value(v) for k, v in values.items()}, 200) if values else ""


class WorkflowSummary(Static):
    """Ids, type, status, times, task queue, input, result or failure, memo, search
    attributes and links. ``m`` shows memo and search attributes in full."""

    def __init__(self, workflow_id: str, run_id: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.workflow_id = workflow_id
        self.run_id = run_id

    def show(
        self,
        description: WorkflowDescription | None,
        outcome: RunOutcome | None,
        links: Sequence[RunLink],
        tz: datetime.tzinfo | None,
    ) -> None:
        """Redraw from what is known so far (any part may still be missing)."""
        d = description
        status = outcome.status if outcome is not None and outcome.status is not None else (d.status if d else None)
        known = status is not None and status != WorkflowStatus.UNSPECIFIED
        status_text = status_content(status) if status is not None and known else Content("…")
        lines = [
            _line(
                ("Workflow", Content.styled(self.workflow_id, "bold")),
                ("Run", self.run_id or (d.run_id if d else "")),
            ),
            _line(
                ("Status", status_text),
                ("Type", d.workflow_type if d else ""),
                ("Task queue", d.task_queue if d else ""),
                ("Events", str(d.history_length) if d else ""),
            ),
        ]
        if d is not None:
            took = between(d.start_time, d.close_time)
            lines.append(
                _line(
                    ("Start", timestamp(d.start_time, tz, with_zone=True)),
                    ("Close", timestamp(d.close_time, tz, with_zone=True) or "—"),
                    ("Duration", duration(took) if took is not None else "running"),
                )
            )
        if outcome is not None:
            lines.append(_line(("Input", describe_values(outcome.input) or "none")))
            if outcome.result is not None:
                lines.append(_line(("Result", Content.styled(describe_values(outcome.result), "$success"))))
            if outcome.failure:
                lines.append(_line(("Failure", Content.styled(one_line(outcome.failure, 200), "$error"))))
        if d is not None and (d.memo or d.search_attributes):
            lines.append(_line(("Memo", _values(d.memo)), ("Search attributes", _values(d.search_attributes))))
        if links:
            lines.append(_links_line(links))
        self.update(Content("\n").join(lines))


def _links_line(links: Sequence[RunLink]) -> Content:
    pieces: list[Content] = [Content.styled("Links", _LABEL)]
    children = 0
    for index, link in enumerate(links):
        if link.relation == "Child":
            children += 1
            if children > 3:
                continue
            label = f"Child {link.workflow_id}"
        elif link.relation == "Parent":
            label = f"Parent {link.workflow_id}"
        elif link.relation == "Previous run":
            label = "← Previous run"
        else:
            label = "Next run →"
        pieces.append(Content.styled(label, "underline $accent").stylize(f"@click=screen.open_link({index})"))
    if children > 3:
        pieces.append(Content(f"+{children - 3} more children"))
    pieces.append(Content.styled("(l: choose)", "$text-muted"))
    return Content(" ").join(pieces)
