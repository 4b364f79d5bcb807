"""Forms that change a run: send it an update, reset it to an earlier point. Both confirm first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select

from tempo_cli.tui.reset_points import ResetPoint
from tempo_cli.tui.screens.forms import OTHER, Form
from tempo_cli.tui.verbatim import verbatim
from tempo_cli.tui.widgets.query_panel import parse_arguments


@dataclass(frozen=True)
class UpdateRequest:
    """An update to send."""

    name: str
    args: list[Any]


@dataclass(frozen=True)
class ResetRequest:
    """Where to reset a run to, why, and what to give the new run again."""

    event_id: int
    reason: str
    reapply_signals: bool
    reapply_updates: bool


class UpdateScreen(Form):
    """Pick an update the workflow declares (or type one), give its input as JSON."""

    def __init__(self, workflow_id: str, names: list[str]) -> None:
        super().__init__()
        self.workflow_id = workflow_id
        self.names = names

    def compose(self) -> ComposeResult:
        options = [(verbatim(n), n) for n in self.names] + [("Other (type a name)…", OTHER)]
        with Vertical(classes="dialog"):
            yield Label(f"Update {self.workflow_id}", classes="dialog-title", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Update", classes="form-label")
                yield Select(options, value=options[0][1], allow_blank=False, id="update-name", compact=True)
            with Horizontal(classes="form-row", id="update-other-row"):
                yield Label("Name", classes="form-label")
                yield Input(placeholder="update name", id="update-other", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Input", classes="form-label")
                yield Input(
                    placeholder="JSON: one value, or [arg1, arg2]; empty for none", id="update-input", compact=True
                )
            yield Label("", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Send…", id="form-ok", variant="primary")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one("#update-other-row").set_class(bool(self.names), "hidden")
        self.query_one("#update-input" if self.names else "#update-other", Input).focus()

    @on(Select.Changed, "#update-name")
    def _name_changed(self, event: Select.Changed) -> None:
        self.query_one("#update-other-row").set_class(event.value != OTHER, "hidden")

    def action_submit(self) -> None:
        value = self.query_one("#update-name", Select).value
        name = self.query_one("#update-other", Input).value.strip() if value == OTHER else str(value)
        if not name:
            self.show_error("Type an update name.")
            return
        try:
            args = parse_arguments(self.query_one("#update-input", Input).value)
        except ValueError as err:
            self.show_error(str(err))
            return
        self.dismiss(UpdateRequest(name, args))


class ResetScreen(Form):
    """Pick the point to reset to (named points first, then any workflow task's end), a reason,
    and whether the new run gets the later signals and updates again."""

    def __init__(self, workflow_id: str, points: list[ResetPoint], selected_event_id: int | None = None) -> None:
        super().__init__()
        self.workflow_id = workflow_id
        self.points = points
        self.selected_event_id = selected_event_id

    def compose(self) -> ComposeResult:
        options = [(verbatim(point.label), index) for index, point in enumerate(self.points)]
        # The event selected in the history if it is a task's end, else the last task's end.
        chosen = min(1, len(self.points) - 1)
        for index, point in enumerate(self.points):
            if point.label.startswith("Event ") and point.event_id == self.selected_event_id:
                chosen = index
        with Vertical(classes="dialog"):
            yield Label(f"Reset {self.workflow_id}", classes="dialog-title", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Reset to", classes="form-label")
                yield Select(options, value=chosen, allow_blank=False, id="reset-point", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Reason", classes="form-label")
                yield Input(value="Reset from tempo tui", id="reset-reason", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Reapply", classes="form-label")
                yield Checkbox("signals", value=True, id="reset-signals", compact=True)
                yield Checkbox("updates", value=True, id="reset-updates", compact=True)
            yield Label(
                "A new run replays history up to that point and goes on with today's code; "
                "a running run is terminated.",
                classes="dialog-note",
                markup=False,
            )
            yield Label("", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reset…", id="form-ok", variant="error")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one("#reset-point", Select).focus()

    def action_submit(self) -> None:
        reason = self.query_one("#reset-reason", Input).value.strip()
        if not reason:
            self.show_error("Give a reason: it is recorded in the new run.")
            return
        index = self.query_one("#reset-point", Select).value
        point = self.points[index if isinstance(index, int) else 0]
        self.dismiss(
            ResetRequest(
                point.event_id,
                reason,
                reapply_signals=self.query_one("#reset-signals", Checkbox).value,
                reapply_updates=self.query_one("#reset-updates", Checkbox).value,
            )
        )
