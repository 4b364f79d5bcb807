"""The Queries tab: pick a query the workflow declares, give arguments as JSON, read the answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from tempo_cli._metadata import Handlers
from tempo_cli.tui.formatting import pretty
from tempo_cli.tui.verbatim import verbatim

STACK_TRACE = "__stack_trace"
OTHER = "\0other"
"""The Select value of "type a name"."""


def parse_arguments(text: str) -> list[Any]:
    """Arguments typed as JSON: empty for none, an array for several, any other value for one.

    Raises:
        ValueError: The text is not JSON; the message says where.
    """
    text = text.strip()
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"arguments are not JSON: {err.msg} at column {err.colno}") from None
    return value if isinstance(value, list) else [value]


class QueryPanel(Vertical):
    """The query form and the last answer. ``r`` (on the screen) runs the last query again."""

    @dataclass
    class Run(Message):
        """Run this query."""

        name: str
        args: list[Any]
        panel: QueryPanel

        @property
        def control(self) -> QueryPanel:
            return self.panel

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.last: tuple[str, list[Any]] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("Query", classes="form-label")
            yield Select(
                [(STACK_TRACE, STACK_TRACE), ("Other (type a name)…", OTHER)],
                id="query-name",
                allow_blank=False,
                value=STACK_TRACE,
                compact=True,
                type_to_search=False,
            )
            yield Input(placeholder="query name", id="query-other", compact=True, classes="hidden")
        with Horizontal(classes="form-row"):
            yield Label("Arguments", classes="form-label")
            yield Input(placeholder="JSON: one value, or [arg1, arg2]; empty for none", id="query-args", compact=True)
            yield Button("Run ⏎", id="query-run", compact=True)
        yield Label("Ask the workflow's query handlers; r runs the last query again.", id="query-hint")
        with VerticalScroll(id="query-result-box"):
            yield Static(id="query-result", markup=False)

    def set_handlers(self, handlers: Handlers | None) -> None:
        """Offer the workflow's own queries (from its metadata), then the built-ins."""
        select: Select[str] = self.query_one("#query-name", Select)
        names = handlers.queries if handlers is not None else []
        options = [(verbatim(name), name) for name in names] + [
            (STACK_TRACE, STACK_TRACE),
            ("Other (type a name)…", OTHER),
        ]
        current = select.value
        select.set_options(options)
        if current in names or (current == OTHER):
            select.value = current
        else:
            # The workflow's own queries are what people look for; the built-in comes last.
            select.value = names[0] if names else STACK_TRACE
        hint = self.query_one("#query-hint", Label)
        if handlers is None:
            hint.update(
                "The workflow did not list its queries (no worker, or an SDK without metadata): type a name with Other."
            )
        else:
            hint.update(f"{len(names)} queries declared by the workflow; r runs the last query again.")

    @property
    def chosen_name(self) -> str:
        select: Select[str] = self.query_one("#query-name", Select)
        if select.value == OTHER:
            return self.query_one("#query-other", Input).value.strip()
        return str(select.value) if isinstance(select.value, str) else ""

    @on(Select.Changed, "#query-name")
    def _name_changed(self, event: Select.Changed) -> None:
        other = self.query_one("#query-other", Input)
        other.set_class(event.value != OTHER, "hidden")
        if event.value == OTHER:
            other.focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#query-run")
    def _run(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.submit()

    def submit(self) -> None:
        """Validate the form and ask the screen to run the query."""
        name = self.chosen_name
        if not name:
            self.show_error("Type a query name.")
            return
        try:
            args = parse_arguments(self.query_one("#query-args", Input).value)
        except ValueError as err:
            self.show_error(str(err))
            return
        self.last = (name, args)
        self.query_one("#query-result", Static).update(f"Running {name}…")
        self.post_message(self.Run(name, args, self))

    def show_result(self, name: str, value: Any) -> None:
        """Show a query's answer as JSON (a stack trace as text)."""
        box = self.query_one("#query-result", Static)
        box.remove_class("-error")
        if isinstance(value, str) and name == STACK_TRACE:
            box.update(value)
        else:
            box.update(Syntax(pretty(value), "json", word_wrap=True, background_color="default"))
        self.result_text = pretty(value) if not isinstance(value, str) else value

    def show_error(self, message: str) -> None:
        """Show why the query failed."""
        box = self.query_one("#query-result", Static)
        box.add_class("-error")
        box.update(message)
        self.result_text = message

    result_text: str = ""
    """The last answer or error as plain text (for tests and copying)."""
