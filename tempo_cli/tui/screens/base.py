"""What every Tempo screen shares: worker errors handled in one place, and a hook for
when the connection to the server comes (back)."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from tempo_cli.tui.app import TempoApp

ActionT = TypeVar("ActionT", bound=Callable[..., Any])


def changes_server(what: str) -> Callable[[ActionT], ActionT]:
    """Mark ``action_*`` as one that changes something on the server (signal, terminate...).

    In read-only mode (`tempo tui --read-only`) its key is hidden, and the action, however it
    is reached (key, button, palette), is refused with a one-line note naming ``what``.
    """

    def mark(action: ActionT) -> ActionT:
        if inspect.iscoroutinefunction(action):

            @functools.wraps(action)
            async def guarded_async(self: TempoScreen, *args: Any) -> Any:
                if self.tempo.refuse_if_read_only(what):
                    return None
                return await action(self, *args)

            guarded: Any = guarded_async
        else:

            @functools.wraps(action)
            def guarded_sync(self: TempoScreen, *args: Any) -> Any:
                if self.tempo.refuse_if_read_only(what):
                    return None
                return action(self, *args)

            guarded = guarded_sync
        guarded.changes_server = what
        return typing.cast(ActionT, guarded)

    return mark


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

    def _changes_server(self, action: str) -> str | None:
        """What the action changes on the server (see :func:`changes_server`), else None."""
        method = getattr(self, f"action_{action}", None)
        return getattr(method, "changes_server", None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the keys of actions that change the server in read-only mode."""
        return not (self.tempo.read_only and self._changes_server(action) is not None)

    def on_key(self, event: events.Key) -> None:
        # A hidden key is not bound any more: say why it does nothing.
        if not self.tempo.read_only:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, []):
            if (what := self._changes_server(binding.action)) is not None:
                event.stop()
                event.prevent_default()
                self.tempo.refuse_if_read_only(what)
                return

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
