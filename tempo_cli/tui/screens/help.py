"""`?`: the keys of the screen underneath, and the app's own."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Label

from tempo_cli.tui.screens.base import TempoModal


def screen_keys(screen: Screen[object]) -> list[tuple[str, str]]:
    """(key, what it does) for the screen's own bindings, then the app's.

    Bindings of the focused widget (scrolling, a button's Enter) are left out: they are
    the same in every Textual app and would bury the ones that matter here.
    """
    rows: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    own = {b.action if isinstance(b, Binding) else b[1] for b in type(screen).BINDINGS}

    def order(item: tuple[str, Any]) -> int:
        active = item[1]
        return 0 if active.node is screen and active.binding.action in own else 1 if active.node is screen else 2

    actives = sorted(screen.active_bindings.items(), key=order)
    for key, active in actives:
        binding = active.binding
        if not binding.description or active.node not in (screen, screen.app):
            continue
        display = screen.app.get_key_display(binding) if binding.key_display is None else binding.key_display
        row = (display or key, binding.description)
        if row not in seen:
            seen.add(row)
            rows.append(row)
    rows.append(("ctrl+p", "Command palette: every action by name"))
    rows.append(("esc", "Back"))
    return rows


class HelpScreen(TempoModal):
    """The bindings of the screen that was showing when ``?`` was pressed."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss_none", "Close")]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.rows = screen_keys(under)
        self.under_title = type(under).__name__.removesuffix("Screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Label(f"Keys: {self.under_title}", classes="dialog-title")
            table: DataTable[str] = DataTable(cursor_type="row", show_header=False, id="help-keys")
            yield table
            yield Label("Esc or ?: close", classes="dialog-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action")
        for key, description in self.rows:
            table.add_row(key, description)
        table.focus()
