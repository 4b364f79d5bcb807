"""Pick another connection profile of the profiles file (`temporal config`'s) and reconnect."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tempo_cli.tui.screens.base import TempoModal


class ProfilesScreen(TempoModal):
    """The profiles of the file, each with the address it names; Enter connects to one."""

    def __init__(self, profiles: dict[str, str], current: str | None, where: str) -> None:
        super().__init__()
        self.profiles = profiles
        self.current = current
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Profile ({self.where})", classes="dialog-title", markup=False)
            options = [
                Option(f"{name}{' (current)' if name == self.current else ''} — {address}", id=name)
                for name, address in sorted(self.profiles.items())
            ]
            yield OptionList(*options, id="profiles", markup=False)
            if not options:
                yield Label("No profiles yet: add one with `tempo config set --profile NAME ...`.", id="no-profiles")
            yield Label("Enter: connect  Esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        names = sorted(self.profiles)
        if self.current in names:
            options.highlighted = names.index(self.current)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
