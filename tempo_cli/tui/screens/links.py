"""``l`` on a run: its parent, the runs before and after it, its children; Enter opens one."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tempo_cli.tui.history_model import RunLink
from tempo_cli.tui.screens.base import TempoModal


class LinksScreen(TempoModal):
    """Answers the chosen :class:`RunLink`, or ``None``."""

    def __init__(self, links: list[RunLink]) -> None:
        super().__init__()
        self.links = links

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Related runs", classes="dialog-title")
            options = [
                Option(f"{link.relation}: {link.workflow_id}  {link.run_id}  {link.note}".rstrip(), id=str(i))
                for i, link in enumerate(self.links)
            ] or [Option("No parent, child or other run of this workflow.", disabled=True)]
            yield OptionList(*options, id="links", markup=False)
            yield Label("Enter: open · Esc: close", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self.links:
            options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.links[int(event.option.id)])
