"""Runs per status, above the list; the status being filtered on stands out."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from sdk.client import WorkflowCount, WorkflowStatus
from tempo_cli.tui.filters import STATUSES
from tempo_cli.tui.styles import STATUS_ICON, status_style

SHORT_LABELS = {
    WorkflowStatus.RUNNING: "Run",
    WorkflowStatus.COMPLETED: "Done",
    WorkflowStatus.FAILED: "Fail",
    WorkflowStatus.CANCELED: "Cancel",
    WorkflowStatus.TERMINATED: "Term",
    WorkflowStatus.CONTINUED_AS_NEW: "Cont",
    WorkflowStatus.TIMED_OUT: "Timeout",
}
"""Labels for a line too narrow for the full names, each beside the status's icon."""


class StatusCounts(Static):
    """``0 All 120  1 Running 3  2 Completed 110 …``: the key, the status and its count.

    Each entry is clickable and runs the screen's ``filter_status`` action. Where the full
    names do not fit on one line it shows icons with short names, then icons alone, and
    where even those do not fit it breaks the line between entries, never inside one.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._counts: WorkflowCount | None = None
        self._selected: WorkflowStatus | None = None
        self.labels_in_use = "full"
        """Which labels fit: ``full``, ``short`` (icon and short name) or ``icons``."""

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
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _entry(self, key: int, status: WorkflowStatus | None, labels: str) -> Content:
        count = self.count_of(status)
        number = "…" if count is None else f"{count:,}"
        if status is None:
            label = Content("All")
        elif labels == "full":
            label = Content.styled(status.display, status_style(status))
        elif labels == "short":
            label = Content.styled(f"{STATUS_ICON[status]} {SHORT_LABELS[status]}", status_style(status))
        else:
            label = Content.styled(STATUS_ICON[status], status_style(status))
        text = Content.assemble((f"{key}", "$text-muted"), " ", label, f" {number}")
        if status == self._selected:
            text = Content.assemble(("[", "bold"), text, ("]", "bold")).stylize("reverse")
        return text.stylize(f"@click=screen.filter_status({key})")

    def _draw(self) -> None:
        width = self.content_region.width
        gap = Content("  ")
        for labels in ("full", "short", "icons"):
            entries = [self._entry(key, status, labels) for key, status in enumerate([None, *STATUSES])]
            line = gap.join(entries)
            if width <= 0 or line.cell_length <= width:
                self.labels_in_use = labels
                self.update(line)
                return
        # Not even the icons fit on one line: break between entries.
        self.labels_in_use = "icons"
        lines: list[list[Content]] = [[]]
        used = 0
        for entry in entries:
            needed = entry.cell_length + (len(gap) if lines[-1] else 0)
            if lines[-1] and used + needed > width:
                lines.append([])
                used, needed = 0, entry.cell_length
            lines[-1].append(entry)
            used += needed
        self.update(Content("\n").join(gap.join(line) for line in lines))
