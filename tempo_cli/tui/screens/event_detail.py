"""Enter on a history row: every attribute of its events, payloads decoded, as JSON."""

from __future__ import annotations

from typing import Any

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from tempo_cli.tui.formatting import pretty
from tempo_cli.tui.screens.base import TempoModal


class EventDetailScreen(TempoModal):
    """The events of one row as JSON; ``y`` copies it."""

    BINDINGS = [
        Binding("escape,q", "dismiss_none", "Close"),
        Binding("y", "copy", "Copy JSON"),
    ]

    def __init__(self, title: str, documents: list[Any]) -> None:
        super().__init__()
        self.title_text = title
        self.text = pretty(documents[0] if len(documents) == 1 else documents)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="event-detail"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(id="event-json-box"):
                yield Static(Syntax(self.text, "json", word_wrap=True, background_color="default"), id="event-json")
            yield Label("y: copy JSON · Esc: close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#event-json-box").focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify(f"Copied {len(self.text):,} characters of JSON.", timeout=3)
