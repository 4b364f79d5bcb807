"""The line every screen shows while the server cannot be reached."""

from __future__ import annotations

from textual.widgets import Static

from tempo_cli.tui.verbatim import verbatim


class ConnectionBanner(Static):
    """Hidden while connected; says what is wrong and that the UI keeps trying otherwise."""

    def on_mount(self) -> None:
        self.watch(self.app, "connected", self._update)

    def _update(self, connected: bool) -> None:
        address = getattr(self.app, "address", "")
        live = getattr(self.app, "live", True)
        self.set_class(live and not connected, "-visible")
        if getattr(self.app, "ever_connected", False):
            self.update(verbatim(f"⚠ Lost the server at {address}. Reconnecting…"))
        else:
            self.update(verbatim(f"⚠ Cannot reach a server at {address}. Retrying every second…"))
