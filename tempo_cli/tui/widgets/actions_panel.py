"""The Actions tab: signal, cancel, terminate, or start a new workflow like this one."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, Static

ACTIONS = [
    ("signal", "Signal…", "s", "Send a signal, with its input as JSON."),
    ("cancel", "Request cancellation…", "x", "Ask the workflow to cancel; its code decides how to wind down."),
    ("terminate", "Terminate…", "t", "Stop the run at once, with a reason; its code gets no say."),
    ("start", "Start a new workflow like this one…", "n", "Same type, task queue and input; a new ID."),
    ("update", "Update…", "u", "Send an update, with its input as JSON, and see what its handler returns."),
    ("reset", "Reset…", "e", "Start the run over from an earlier workflow task, as a new run."),
]


class ActionsPanel(VerticalScroll):
    """A button per action (each asks for confirmation first) and the outcomes so far."""

    @dataclass
    class Requested(Message):
        """The user asked for an action: ``signal``, ``cancel``, ``terminate``, ``start``, ``update`` or ``reset``."""

        action: str
        panel: ActionsPanel

        @property
        def control(self) -> ActionsPanel:
            return self.panel

    def compose(self) -> ComposeResult:
        if getattr(self.app, "read_only", False):
            yield Label("Read-only mode (--read-only): actions are off.", id="read-only-note")
            return
        for action, label, key, help_text in ACTIONS:
            with Horizontal(classes="action-row"):
                yield Button(f"{label} ({key})", id=f"action-{action}", compact=True)
                yield Label(help_text, classes="action-help")
        yield Label("Outcomes", classes="section-title")
        yield Static("None yet.", id="action-log", markup=False)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("action-"):
            self.post_message(self.Requested(event.button.id.removeprefix("action-"), self))

    def set_open(self, is_open: bool) -> None:
        """Disable what a closed run cannot do (signal, cancel, terminate)."""
        if getattr(self.app, "read_only", False):
            return
        for action in ("signal", "cancel", "terminate", "update"):
            self.query_one(f"#action-{action}", Button).disabled = not is_open

    def log_outcome(self, line: str) -> None:
        """Add an outcome at the top of the list."""
        if getattr(self.app, "read_only", False):
            return
        log = self.query_one("#action-log", Static)
        lines = [] if str(log.content) == "None yet." else str(log.content).splitlines()
        log.update("\n".join([line, *lines][:50]))
