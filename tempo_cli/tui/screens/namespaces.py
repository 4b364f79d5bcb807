"""Pick another namespace of the server."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tempo_cli.tui.messages import NamespacesLoaded
from tempo_cli.tui.screens.base import TempoModal


class NamespacesScreen(TempoModal):
    """The server's namespaces; Enter switches to one, Escape keeps the current one."""

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Namespace", classes="dialog-title")
            yield OptionList(Option(f"{self.current} (current)", id=self.current), id="namespaces", markup=False)
            yield Label("Enter: switch  Esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        if getattr(self.app, "live", False):
            self.fetch()

    @work(exclusive=True, group="namespaces", exit_on_error=False, description="list namespaces")
    async def fetch(self) -> None:
        namespaces = await self.app.client.list_namespaces()  # type: ignore[attr-defined]
        self.post_message(NamespacesLoaded(namespaces))

    @on(NamespacesLoaded)
    def _loaded(self, message: NamespacesLoaded) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for ns in sorted(message.namespaces, key=lambda n: n.name):
            label = f"{ns.name} (current)" if ns.name == self.current else ns.name
            if ns.description:
                label += f" — {ns.description}"
            options.add_option(Option(label, id=ns.name))
        names = [ns.name for ns in sorted(message.namespaces, key=lambda n: n.name)]
        options.highlighted = names.index(self.current) if self.current in names else 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
