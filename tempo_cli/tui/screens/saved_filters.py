"""Saved filters: name the current filter (``s``), pick or delete one later (``f``)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tempo_cli.tui.filters import WorkflowFilter
from tempo_cli.tui.screens.base import TempoModal


class SaveFilterScreen(TempoModal):
    """Ask a name for the current filter; answers the name, or ``None``."""

    def __init__(self, flt: WorkflowFilter) -> None:
        super().__init__()
        self.flt = flt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Save filter", classes="dialog-title")
            yield Label(self.flt.visibility_query(), classes="dialog-body", markup=False)
            yield Input(value=self.flt.name, placeholder="Name", id="filter-name")
            yield Label("Enter: save  Esc: cancel", classes="dialog-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())


class SavedFiltersScreen(TempoModal):
    """The saved filters; Enter applies one, ``d`` deletes it."""

    BINDINGS = [Binding("d,delete", "delete", "Delete filter")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Saved filters", classes="dialog-title")
            yield OptionList(id="saved-filters", markup=False)
            yield Label("Enter: apply  d: delete  Esc: close", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()

    @property
    def filters(self) -> list[WorkflowFilter]:
        return list(self.app.settings.filters)  # type: ignore[attr-defined]

    def _fill(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        if not self.filters:
            options.add_option(Option("No saved filters yet: filter the list, then press s.", disabled=True))
        for flt in self.filters:
            options.add_option(Option(f"{flt.name}: {flt.visibility_query()}", id=flt.name))
        if self.filters:
            options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        for flt in self.filters:
            if flt.name == event.option.id:
                self.dismiss(flt)

    def action_delete(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id is None:
            return
        settings = self.app.settings  # type: ignore[attr-defined]
        settings.delete_filter(option.id)
        error = settings.save()
        if error:
            self.notify(error, severity="error", markup=False)
        self._fill()
