"""Dialogs that ask before acting: a yes/no question, optionally with a reason to type."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from tempo_cli.tui.screens.base import TempoModal


class ConfirmScreen(TempoModal):
    """Answers the typed reason (``""`` without a reason field) on yes, ``None`` on no."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel"), Binding("ctrl+y", "confirm", "Confirm")]

    def __init__(self, title: str, body: str, *, confirm: str, reason: str | None = None, danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm
        self.reason = reason
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Label(self.body, classes="dialog-body", markup=False)
            if self.reason is not None:
                yield Input(value=self.reason, placeholder="Reason", id="confirm-reason")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm_label, id="confirm-yes", variant="error" if self.danger else "primary")
                yield Button("Cancel", id="confirm-no")
            yield Label("Enter on a button · ctrl+y: confirm · Esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        if self.reason is not None:
            self.query_one("#confirm-reason", Input).focus()
        else:
            self.query_one("#confirm-yes", Button).focus()

    def action_confirm(self) -> None:
        reason = self.query_one("#confirm-reason", Input).value if self.reason is not None else ""
        self.dismiss(reason)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#confirm-yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-yes":
            self.action_confirm()
        else:
            self.dismiss(None)
