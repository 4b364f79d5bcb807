"""Runs per status, above the list; the status being filtered on stands out."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from sdk.client import WorkflowCount, WorkflowStatus
from tempo_cli.tui.filters import STATUSES
from tempo_cli.tui.styles import status_style


class StatusCounts(Static):
    """``0 All 120  1 Running 3  2 Completed 110 …``: the key, the status and its count.

    Each entry is clickable and runs the screen's ``filter_status`` action.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._counts: WorkflowCount | None = None
        self._selected: WorkflowStatus | None = None

    @property
    def total(self) -> int | None:
        """Runs matching the filter without its status; ``None`` until counted."""
        return self._counts.count if self._counts is not None else None

    def count_of(self, status: WorkflowStatus | None) -> int | None:
        """Runs with this status (``None``: all), as last counted."""
        if self._counts is None:
            return None
        if status is None:
            return self._counts.count
        for group in self._counts.groups:
            if group.values and group.values[0] == status.display:
                return group.count
        # A status missing from the groups has no runs; with no groups at all that is
        # only certain when nothing matched (an empty namespace answers count 0, no groups).
        return 0 if self._counts.groups or self._counts.count == 0 else None

    def show(self, counts: WorkflowCount | None, selected: WorkflowStatus | None) -> None:
        """Redraw with new counts (``None``: unknown) and the selected status."""
        self._counts, self._selected = counts, selected
        parts: list[Content] = []
        for key, status in enumerate([None, *STATUSES]):
            label = "All" if status is None else status.display
            count = self.count_of(status)
            number = "…" if count is None else f"{count:,}"
            style = "" if status is None else status_style(status)
            text = Content.assemble((f"{key}", "$text-muted"), " ", (label, style), f" {number}")
            if status == selected:
                text = Content.assemble(("[", "bold"), text, ("]", "bold")).stylize("reverse")
            parts.append(text.stylize(f"@click=screen.filter_status({key})"))
        self.update(Content("  ").join(parts))
