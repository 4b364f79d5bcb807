"""Forms of the Actions tab: a signal to send, a workflow to start. Both confirm first."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select

from tempo_cli._metadata import Handlers
from tempo_cli.tui.screens.base import TempoModal
from tempo_cli.tui.verbatim import verbatim
from tempo_cli.tui.widgets.query_panel import parse_arguments

OTHER = "\0other"


@dataclass(frozen=True)
class SignalRequest:
    """A signal to send."""

    name: str
    args: list[Any]


@dataclass(frozen=True)
class StartRequest:
    """A workflow to start."""

    workflow_id: str
    workflow_type: str
    task_queue: str
    args: list[Any]


class Form(TempoModal):
    """A dialog with inputs: Enter or ctrl+y submits, Escape cancels; errors show in place."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel"), Binding("ctrl+y", "submit", "Submit")]

    def show_error(self, message: str) -> None:
        error = self.query_one(".form-error", Label)
        error.update(verbatim(message))  # may quote what the user typed
        error.set_class(bool(message), "-visible")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-ok":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_submit(self) -> None:
        raise NotImplementedError


class SignalScreen(Form):
    """Pick a signal the workflow declares (or type one), give its input as JSON."""

    def __init__(self, workflow_id: str, handlers: Handlers | None) -> None:
        super().__init__()
        self.workflow_id = workflow_id
        self.names = handlers.signals if handlers is not None else []

    def compose(self) -> ComposeResult:
        options = [(verbatim(n), n) for n in self.names] + [("Other (type a name)…", OTHER)]
        with Vertical(classes="dialog"):
            yield Label(f"Signal {self.workflow_id}", classes="dialog-title", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Signal", classes="form-label")
                yield Select(options, value=options[0][1], allow_blank=False, id="signal-name", compact=True)
            with Horizontal(classes="form-row", id="signal-other-row"):
                yield Label("Name", classes="form-label")
                yield Input(placeholder="signal name", id="signal-other", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Input", classes="form-label")
                yield Input(
                    placeholder="JSON: one value, or [arg1, arg2]; empty for none", id="signal-input", compact=True
                )
            yield Label("", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Send…", id="form-ok", variant="primary")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one("#signal-other-row").set_class(bool(self.names), "hidden")
        self.query_one("#signal-input" if self.names else "#signal-other", Input).focus()

    @on(Select.Changed, "#signal-name")
    def _name_changed(self, event: Select.Changed) -> None:
        self.query_one("#signal-other-row").set_class(event.value != OTHER, "hidden")

    def action_submit(self) -> None:
        value = self.query_one("#signal-name", Select).value
        name = self.query_one("#signal-other", Input).value.strip() if value == OTHER else str(value)
        if not name:
            self.show_error("Type a signal name.")
            return
        try:
            args = parse_arguments(self.query_one("#signal-input", Input).value)
        except ValueError as err:
            self.show_error(str(err))
            return
        self.dismiss(SignalRequest(name, args))


class StartWorkflowScreen(Form):
    """Start a workflow, prefilled from the one on screen."""

    def __init__(self, template: StartRequest, input_json: str) -> None:
        super().__init__()
        self.template = template
        self.input_json = input_json

    def compose(self) -> ComposeResult:
        t = self.template
        with Vertical(classes="dialog"):
            yield Label("Start a new workflow", classes="dialog-title")
            for label, field_id, value in (
                ("Workflow ID", "start-id", t.workflow_id),
                ("Type", "start-type", t.workflow_type),
                ("Task queue", "start-queue", t.task_queue),
                ("Input", "start-input", self.input_json),
            ):
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(value=value, id=field_id, compact=True)
            yield Label("", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start…", id="form-ok", variant="primary")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one("#start-id", Input).focus()

    def action_submit(self) -> None:
        values = {f: self.query_one(f"#start-{f}", Input).value.strip() for f in ("id", "type", "queue")}
        missing = [
            label
            for label, key in (("workflow ID", "id"), ("type", "type"), ("task queue", "queue"))
            if not values[key]
        ]
        if missing:
            self.show_error(f"Missing: {', '.join(missing)}.")
            return
        try:
            args = parse_arguments(self.query_one("#start-input", Input).value)
        except ValueError as err:
            self.show_error(str(err))
            return
        self.dismiss(StartRequest(values["id"], values["type"], values["queue"], args))


def ask_to_start(app: Any, template: StartRequest, input_json: str, start: Callable[[StartRequest], object]) -> None:
    """The start form, prefilled from `template`, then a confirmation; `start` gets what was confirmed."""
    from tempo_cli.tui.screens.confirm import ConfirmScreen

    def confirmed(request: StartRequest, answer: str | None) -> None:
        if answer is not None:
            start(request)

    def filled(request: StartRequest | None) -> None:
        if request is None:
            return
        body = (
            f"Start {request.workflow_type} as {request.workflow_id} on {request.task_queue} "
            f"with input {json.dumps(request.args)}?"
        )
        app.push_screen(ConfirmScreen("Start workflow", body, confirm="Start"), lambda a: confirmed(request, a))

    app.push_screen(StartWorkflowScreen(template, input_json), filled)
