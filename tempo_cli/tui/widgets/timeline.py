"""The Timeline tab: activities, timers and child workflows as bars on the run's time axis.

A bar starts when the work was scheduled and ends when it closed. For an activity the
part before its last attempt started is drawn light: time spent queued, in failed
attempts and in retry backoff, so retries show at a glance.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from sdk.client import WorkflowDescription
from tempo_cli.tui.formatting import duration
from tempo_cli.tui.history_model import Category, FoldedRow
from tempo_cli.tui.styles import Palette

_SHOWN = {"Activity", "Timer", "Child", "Update", "SignalExternal"}
_MARKERS = {Category.SIGNAL, Category.CLOSE}


class TimelineView(Static, can_focus=True):
    """Bars per activity, timer and child; signals and the close as marks on the axis."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[FoldedRow] = []
        self._description: WorkflowDescription | None = None
        self._open = True
        self.now: datetime.datetime | None = None
        """Fixed "now" for open bars (tests); the wall clock when ``None``."""

    def show(self, rows: Sequence[FoldedRow], description: WorkflowDescription | None, is_open: bool) -> None:
        """Redraw from the compact rows of the history."""
        self._rows, self._description, self._open = list(rows), description, is_open
        self._draw()

    def on_mount(self) -> None:
        self.watch(self.app, "theme", lambda _: self._draw(), init=False)

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        rows = [r for r in self._rows if r.kind in _SHOWN or r.category in _MARKERS]
        if not rows or rows[0].start is None:
            self.update("No activities, timers or child workflows yet.")
            return
        origin = self._rows[0].start or rows[0].start
        now = self.now or datetime.datetime.now(datetime.UTC)
        ends = [r.end or (now if self._open else r.start) for r in self._rows]
        horizon = max([e for e in ends if e is not None] + [origin])
        span = max((horizon - origin).total_seconds(), 0.001)
        width = max(self.size.width, 60)
        label_width = min(32, width // 3)
        tail_width = 22
        bar_width = max(10, width - label_width - tail_width - 2)

        def column(when: datetime.datetime | None) -> int:
            if when is None:
                return 0
            return min(bar_width - 1, int((when - origin).total_seconds() / span * (bar_width - 1)))

        palette = Palette(self.app)
        lines = [
            Content.assemble(
                (f"{'':<{label_width}} ", ""),
                (_axis(bar_width, span), "$text-muted"),
            )
        ]
        for row in rows:
            label = f"{row.kind} {row.name}".strip()
            if row.attempt > 1:
                label += f" x{row.attempt}"
            label = label if len(label) <= label_width else label[: label_width - 1] + "…"
            start = column(row.start)
            is_marker = row.kind not in _SHOWN
            end_time = row.end or (now if self._open else row.start)
            end = column(end_time)
            style = palette.category_style(row.category, row.failure)
            bar = Content(" " * start)
            if is_marker:
                bar = bar + Content.styled("│", style)
            else:
                waited = column(row.started) if row.started is not None else start
                light = max(0, waited - start)
                solid = max(1, end - start + 1 - light)
                fill = "▒" if row.end is None else "█"
                bar = bar + Content.styled("░" * light, style) + Content.styled(fill * solid, style)
            bar = bar + Content(" " * max(0, bar_width - len(bar.plain)))
            took = (end_time - row.start).total_seconds() if end_time and row.start else None
            tail = row.status or ""
            if not is_marker and took is not None:
                tail = f"{duration(took):>7} {row.status}"
            lines.append(Content.assemble((f"{label:<{label_width}} ", style), bar, (f" {tail}", "")))
        lines.append(
            Content.styled(
                "█ ran  ░ waited (queue, failed attempts, backoff)  ▒ still open  │ signal or close", "$text-muted"
            )
        )
        self.update(Content("\n").join(lines))


def _axis(width: int, span: float) -> str:
    """``0s        1.5s       3s``: a tick label about every 12 columns."""
    cells = [" "] * width
    step = max(12, width // 6)
    for col in range(0, width - 6, step):
        label = duration(span * col / max(width - 1, 1))
        for i, ch in enumerate(label):
            if col + i < width:
                cells[col + i] = ch
    return "".join(cells)
