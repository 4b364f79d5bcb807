"""What every Tempo screen shares: worker errors handled in one place, and a hook for
when the connection to the server comes (back)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from tempo_cli.tui.app import TempoApp


class WorkerErrors:
    """Mixin for screens: a failed worker becomes a notification or the reconnect banner."""

    app: Any

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A plain handler name, not @on: Textual collects @on handlers from message pump
        # classes only, and this is a mixin.
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            tempo: TempoApp = self.app
            tempo.report_error(event.worker.error)


class TempoScreen(WorkerErrors, Screen[None]):
    """A full screen of the app. Subclasses load their data in :meth:`on_connected`."""

    def on_mount(self) -> None:
        self.watch(self.app, "connected", self._connected_changed, init=False)
        if self.tempo.connected:
            self.on_connected()

    @property
    def tempo(self) -> TempoApp:
        """The app, typed."""
        from tempo_cli.tui.app import TempoApp

        assert isinstance(self.app, TempoApp)
        return self.app

    def _connected_changed(self, connected: bool) -> None:
        if connected:
            self.on_connected()

    def on_connected(self) -> None:
        """The server answers (at start, after a reconnect, after a namespace switch): load."""


class TempoModal(WorkerErrors, ModalScreen[Any]):
    """A dialog over a screen; Escape closes it without an answer."""

    BINDINGS = [("escape", "dismiss_none", "Close")]

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
