"""The Tempo TUI: the app, its connection to the server, app-wide keys and the command palette.

The app holds one :class:`sdk.client.Client`. When a call finds the server gone, the
screens show a banner and the app reconnects in the background, twice a second, until
the server answers again; then every screen reloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from sdk.client import Client, RetryConfig
from sdk.converter import DataConverter
from sdk.exceptions import RPCError, ServerUnreachableError
from tempo_cli._errors import describe_error
from tempo_cli.tui.formatting import zone
from tempo_cli.tui.settings import Settings
from tempo_cli.tui.time_skipping import ServerClock, skew_text

log = logging.getLogger("tempo.tui")

RECONNECT_INTERVAL = 0.5
"""Seconds between attempts to reach a server that went away (an attempt costs nothing
while gRPC waits out its own reconnect backoff, at most a second: see sdk._client_rpc)."""

SERVER_TIME_INTERVAL = 1.0
"""Seconds between looks at a time-skipping server's clock (for the header)."""

UI_RETRY = RetryConfig(max_retries=2, max_elapsed_time_millis=1000)
"""The client's own retries of UNAVAILABLE calls, kept short: the app reconnects by itself and
shows a banner meanwhile, and a screen's next refresh would cancel a call still retrying
(the SDK's default, ~10 s of retries, kept a lost server from ever being noticed)."""

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"


def is_connection_error(err: BaseException) -> bool:
    """True when an error means the server cannot be reached (rather than it said no)."""
    if isinstance(err, ServerUnreachableError):
        return True
    return isinstance(err, RPCError) and err.status_code == grpc.StatusCode.UNAVAILABLE


@dataclass(frozen=True)
class CodecSettings:
    """The codec server (``--codec-endpoint``) payloads are decoded through, if any."""

    endpoint: str | None = None
    auth: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def converter(self, namespace: str) -> DataConverter:
        """The client's converter for ``namespace``: through the codec server, or the default."""
        from tempo_cli._codec_http import remote_converter

        return remote_converter(self.endpoint, namespace, self.auth, self.headers) or DataConverter.default


class TempoApp(App[None]):
    """Workflows, histories, queries and actions of one Temporal-compatible server.

    Args:
        address: ``host:port`` of the server.
        namespace: The namespace shown first (switch with ``n`` on the Workflows screen).
        connect: Connect at start; snapshot tests pass ``False`` and post fixed data.
        utc: Show times in UTC instead of the local zone.
        settings: Remembered theme and saved filters; read from the settings file by default.
        connection_options: More keyword arguments of ``Client.connect``: ``tls``,
            ``api_key``, ``rpc_metadata`` (from the connection flags and the profile).
        read_only: Hide and refuse every action that changes the server.
        profile: The profile connected with (None: the default one), marked in the switcher.
        config_file: The profiles file (None: TEMPORAL_CONFIG_FILE, else the default file).
        codec: The codec server the client decodes payloads through (``--codec-endpoint``):
            the history, the result, queries and memos arrive decoded, in the workers that
            load them.
    """

    CSS_PATH = "tempo.tcss"
    TITLE = "Tempo"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("f2", "toggle_dark", "Light/dark", id="toggle-dark"),
        Binding("z", "toggle_utc", "UTC/local time", show=False, id="toggle-utc"),
        Binding("P", "profiles", "Switch profile", show=False, id="profiles"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="quit", priority=True),
    ]

    connected: reactive[bool] = reactive(False)
    """Whether the server answers; screens watch it to show the banner and to reload."""
    utc: reactive[bool] = reactive(False)
    """Times in UTC (True) or the local zone (False)."""

    def __init__(
        self,
        address: str,
        namespace: str,
        *,
        connect: bool = True,
        utc: bool = False,
        settings: Settings | None = None,
        connection_options: Mapping[str, Any] | None = None,
        read_only: bool = False,
        profile: str | None = None,
        config_file: str | None = None,
        codec: CodecSettings | None = None,
    ) -> None:
        super().__init__()
        self.address = address
        self.namespace = namespace
        self.connection_options: Mapping[str, Any] = dict(connection_options or {})
        self.read_only = read_only
        self.profile = profile
        self.config_file = config_file
        self.settings = settings if settings is not None else Settings.load()
        self.codec = codec or CodecSettings()
        self.data_converter = DataConverter.default
        """Decodes payloads for display (the client's codec, if any, has decoded them already)."""
        self._client: Client | None = None
        self.live = connect
        """False for an app fed fixed data (snapshot tests): no connection, no workers."""
        self.ever_connected = False
        self.connect_problem: str | None = None
        """Why the last attempt to connect failed, when the client could tell (TLS...)."""
        self.set_reactive(TempoApp.utc, utc)
        if self.settings.theme:
            with contextlib.suppress(Exception):
                self.theme = self.settings.theme
        self.server_clock = ServerClock(address)
        """The server's TestService (time skipping), if it has one."""
        self.server_time = ""
        """The header's note of the server's virtual time ("" when it follows the wall clock)."""
        self._show_sub_title()

    # --- connection -------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The connected client.

        Raises:
            ServerUnreachableError: Not connected right now; workers let it propagate and
                the error handler shows the banner.
        """
        if self._client is None:
            raise ServerUnreachableError(self.address)
        return self._client

    def on_mount(self) -> None:
        from tempo_cli.tui.screens.workflows import WorkflowsScreen

        self.push_screen(WorkflowsScreen())
        if self.live:
            self.reconnect()
            self.set_interval(SERVER_TIME_INTERVAL, self.refresh_server_time)

    @work(exclusive=True, group="connect", exit_on_error=False, description="connect to the server")
    async def reconnect(self) -> None:
        """Try to reach the server twice a second until it answers."""
        while True:
            try:
                client = await Client.connect(
                    self.address,
                    namespace=self.namespace,
                    retry_config=UI_RETRY,
                    data_converter=self.codec.converter(self.namespace),
                    **self.connection_options,
                )
            except ServerUnreachableError as err:
                self.connected = False
                if err.reason and err.reason != self.connect_problem:
                    # A TLS handshake that failed, say: waiting will not mend it, so say it.
                    self.connect_problem = err.reason
                    self.notify(str(err), title="Cannot connect", severity="error", timeout=30, markup=False)
                await asyncio.sleep(RECONNECT_INTERVAL)
                continue
            except ValueError as err:  # a malformed address: retrying cannot help
                self.notify(str(err), title="Cannot connect", severity="error", timeout=30, markup=False)
                return
            except RPCError as err:
                if is_connection_error(err) or err.status_code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    await asyncio.sleep(RECONNECT_INTERVAL)
                    continue
                # e.g. a real server that is still starting ("Frontend is not healthy yet")
                log.info("server not ready: %s", err)
                await asyncio.sleep(RECONNECT_INTERVAL)
                continue
            old, self._client = self._client, client
            if old is not None:
                with contextlib.suppress(Exception):
                    await old.close()
            self.ever_connected = True
            self.connect_problem = None
            self.server_clock.available = None  # perhaps another server: ask again
            self.connected = True
            return

    @work(exclusive=True, group="server-time", exit_on_error=False, description="read the server's clock")
    async def refresh_server_time(self) -> None:
        """Show a time-skipping server's clock in the header while it is away from the wall clock."""
        if not self.connected or self.server_clock.available is False:
            return
        with contextlib.suppress(grpc.aio.AioRpcError):
            server_now = await self.server_clock.now()
            self.show_server_time(skew_text(server_now, time.time(), zone(self.utc)))

    def show_server_time(self, text: str) -> None:
        if text != self.server_time:
            self.server_time = text
            self._show_sub_title()

    def _show_sub_title(self) -> None:
        where = f"{self.namespace} @ {self.address}" + (" · read-only" if self.read_only else "")
        self.sub_title = f"{where} · {self.server_time}" if self.server_time else where

    def connection_lost(self) -> None:
        """A call found the server gone: show the banner and reconnect in the background."""
        if not self.connected:
            return
        self.connected = False
        self.reconnect()

    def report_error(self, err: BaseException) -> None:
        """The one place a failed network call ends up: banner, notification, never a crash."""
        if is_connection_error(err):
            self.connection_lost()
            return
        if isinstance(err, asyncio.CancelledError):
            return
        message = describe_error(err, self.namespace) if isinstance(err, Exception) else None
        if message is None:
            log.exception("unexpected error in the TUI", exc_info=err)
            message = f"unexpected error: {type(err).__name__}: {err}"
        self.notify(message, title="Error", severity="error", timeout=8, markup=False)

    def refuse_if_read_only(self, what: str) -> bool:
        """In read-only mode, say that ``what`` is refused and return True."""
        if not self.read_only:
            return False
        self.notify(f"Read-only mode (--read-only): {what} is refused.", severity="warning", timeout=4, markup=False)
        return True

    def action_profiles(self) -> None:
        """Choose a profile of the profiles file and reconnect with it."""
        from sdk.envconfig import ClientConfig, ConfigError, config_file_path
        from tempo_cli.tui.screens.profiles import ProfilesScreen

        path = Path(self.config_file).expanduser() if self.config_file else config_file_path(os.environ)
        try:
            config = ClientConfig.load(config_source=path)
        except ConfigError as err:
            self.notify(str(err), title="Profiles", severity="error", markup=False)
            return
        profiles = {name: p.address or "(default address)" for name, p in config.profiles.items()}

        def chosen(name: str | None) -> None:
            if name is not None:
                self.switch_profile(name)

        self.push_screen(ProfilesScreen(profiles, self.profile or "default", str(path)), chosen)

    def switch_profile(self, name: str) -> None:
        """Connect with profile ``name`` of the file, as written there (flags and TEMPORAL_*
        variables were for the profile started with), and show its workflows."""
        from sdk.envconfig import ClientConfigProfile, ConfigError
        from tempo_cli._connection import DEFAULT_ADDRESS_AND_NAMESPACE

        try:
            profile = ClientConfigProfile.load(
                name,
                config_source=Path(self.config_file).expanduser() if self.config_file else None,
                disable_env=True,
            )
            options: dict[str, Any] = dict(profile.to_client_connect_config())
        except ValueError as err:  # ConfigError, or a certificate without its key
            message = str(err) if isinstance(err, ConfigError) else f"profile {name}: {err}"
            self.notify(message, title="Profiles", severity="error", markup=False)
            return
        default_address, default_namespace = DEFAULT_ADDRESS_AND_NAMESPACE
        self.address = options.pop("address", default_address)
        self.namespace = options.pop("namespace", default_namespace)
        self.connection_options = options
        self.codec = CodecSettings(profile.codec.endpoint, profile.codec.auth) if profile.codec else CodecSettings()
        self.profile = name
        while len(self.screen_stack) > 2:  # back to the workflows screen (the stack's base is the default screen)
            self.pop_screen()
        old_clock, self.server_clock = self.server_clock, ServerClock(self.address)
        self.run_worker(old_clock.close(), exit_on_error=False)
        old, self._client = self._client, None
        if old is not None:
            self.run_worker(old.close(), exit_on_error=False)
        self.server_time = ""
        self._show_sub_title()
        self.connected = False
        self.notify(f"Profile {name}: connecting to {self.address}…", timeout=3, markup=False)
        self.reconnect()

    def switch_namespace(self, namespace: str) -> None:
        """Talk to another namespace of the same server from now on (the caller reloads)."""
        self.namespace = namespace
        self._show_sub_title()
        if self._client is not None:
            self._client = self._client.with_namespace(namespace)
            self._client.data_converter = self.codec.converter(namespace)  # its X-Namespace

    async def on_unmount(self) -> None:
        await self.server_clock.close()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()

    # --- navigation and app-wide actions -------------------------------------------------

    def open_workflow(self, workflow_id: str, run_id: str = "") -> None:
        """Show one run (the latest run of the workflow if ``run_id`` is empty)."""
        from tempo_cli.tui.screens.workflow import WorkflowScreen

        self.push_screen(WorkflowScreen(workflow_id, run_id))

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        from tempo_cli.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.screen))

    def action_toggle_dark(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def watch_theme(self, theme: str) -> None:
        if self.settings.theme != theme:
            self.settings.theme = theme
            self.settings.save()

    def action_toggle_utc(self) -> None:
        """Show times in UTC or in the local zone."""
        self.utc = not self.utc
        self.notify("Times in UTC" if self.utc else "Times in the local zone", timeout=2)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every key of the current screen, then the app's own commands."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if active.node not in (screen, self):
                continue  # the focused widget's own keys (scrolling...) are not commands
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            node = active.node
            action = binding.action
            yield SystemCommand(
                binding.description,
                binding.tooltip or f"key: {self.get_key_display(binding)}",
                lambda node=node, action=action: self.call_later(node.run_action, action),  # type: ignore[misc]
            )
        for command in super().get_system_commands(screen):
            if command.title not in ("Quit",):
                yield command
        yield SystemCommand("Quit", "Quit Tempo (ctrl+q)", self.action_quit)

    # --- files ------------------------------------------------------------------------------

    def save_text(self, text: str, filename: str) -> str:
        """Save ``text``: a download in the browser, a file in the working directory in a
        terminal. Returns where it went, for the notification."""
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", filename)
        if self.is_web:
            self.deliver_text(io.StringIO(text), save_filename=safe, mime_type="application/json")
            return f"download {safe}"
        path = Path.cwd() / safe
        path.write_text(text)
        return str(path)
