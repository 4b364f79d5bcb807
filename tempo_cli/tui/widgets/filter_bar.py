"""The filter above the workflow list: type, ID prefix and a typed visibility query."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static


class FilterBar(Vertical):
    """Three inputs; Enter in any of them applies all three. A refused query shows below."""

    @dataclass
    class Changed(Message):
        """The user applied new filter values."""

        workflow_type: str
        id_prefix: str
        query: str
        bar: FilterBar

        @property
        def control(self) -> FilterBar:
            return self.bar

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-inputs"):
            yield Input(placeholder="Workflow type (t)", id="filter-type", compact=True)
            yield Input(placeholder="Workflow ID prefix (i)", id="filter-id", compact=True)
            yield Input(
                placeholder="Query (/): WorkflowType = 'order' AND ExecutionStatus = 'Running'",
                id="filter-query",
                compact=True,
            )
        yield Static(id="filter-error", markup=False)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(
            self.Changed(
                self.query_one("#filter-type", Input).value.strip(),
                self.query_one("#filter-id", Input).value.strip(),
                self.query_one("#filter-query", Input).value.strip(),
                self,
            )
        )

    def set_values(self, workflow_type: str, id_prefix: str, query: str) -> None:
        """Show these values (a saved filter was picked, or the filter was cleared)."""
        self.query_one("#filter-type", Input).value = workflow_type
        self.query_one("#filter-id", Input).value = id_prefix
        self.query_one("#filter-query", Input).value = query

    def show_error(self, message: str) -> None:
        """Show why the server refused the query; empty hides the line."""
        error = self.query_one("#filter-error", Static)
        error.update(message)
        error.set_class(bool(message), "-visible")
        self.query_one("#filter-query", Input).set_class(bool(message), "-invalid")

    @property
    def error(self) -> str:
        """The error shown, if any."""
        return str(self.query_one("#filter-error", Static).content)
