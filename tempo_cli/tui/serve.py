"""The TUI in a web browser: textual-serve runs one `tempo tui` process per browser tab.

Used by `tempo tui --serve` (foreground) and by `tempo server start-dev`, which runs the
web server on a thread of its own with its own event loop, started only once the gRPC
port answers, so the UI never delays the server. Every session runs `tempo tui` against
the one server this UI was started for; nothing a visitor sends chooses the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("tempo.ui")

_WEB = Path(__file__).parent / "web"
"""Our page template (textual-serve looks for ``app_index.html``); its own loads a web font."""


class UiPortInUse(Exception):
    """The web UI's port is taken."""


def tui_command(address: str, namespace: str) -> str:
    """The shell command each browser session runs."""
    argv = [sys.executable, "-m", "tempo_cli.main", "tui", "--address", address, "--namespace", namespace]
    return shlex.join(argv)


def ui_url(ip: str, port: int) -> str:
    """The address people open in a browser."""
    host = "localhost" if ip in ("0.0.0.0", "::") else (f"[{ip}]" if ":" in ip else ip)
    return f"http://{host}:{port}"


def _server(address: str, namespace: str, ip: str, port: int) -> Any:
    import textual_serve
    from aiohttp import web
    from textual_serve.server import Server

    statics = Path(textual_serve.__file__).parent / "static"

    class TempoWebServer(Server):
        """textual-serve with our page (no fonts from the internet) and no banner of its own."""

        def initialize_logging(self) -> None:
            pass  # the host process configured logging already

        async def on_startup(self, app: web.Application) -> None:
            pass  # the caller prints the URL, beside the gRPC address

        async def handle_index(self, request: web.Request) -> Any:
            # Links and the websocket follow the host the browser used (localhost, an IP, a name).
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

    return TempoWebServer(
        tui_command(address, namespace),
        host=ip,
        port=port,
        title=f"Tempo · {namespace} @ {address}",
        statics_path=statics,
        templates_path=_WEB,
    )


async def start_site(address: str, namespace: str, ip: str, port: int) -> Any:
    """Start serving on the running loop; returns the aiohttp runner (``await runner.cleanup()`` stops it).

    Raises:
        UiPortInUse: The port is taken.
    """
    from aiohttp import web

    server = _server(address, namespace, ip, port)
    app = await server._make_app()
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, ip, port, reuse_address=True)
    try:
        await site.start()
    except OSError as err:
        await runner.cleanup()
        raise UiPortInUse(f"cannot serve the web UI on {ip}:{port}: {err.strerror or err}") from None
    return runner


def serve_forever(address: str, namespace: str, *, ip: str, port: int) -> None:
    """`tempo tui --serve`: serve until Ctrl-C."""

    async def main() -> None:
        runner = await start_site(address, namespace, ip, port)
        print(f"Tempo UI for {address} (namespace {namespace}): {ui_url(ip, port)}", flush=True)
        print("Stop with Ctrl-C.", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


class BackgroundUi:
    """The web UI on a thread with its own event loop, beside a server running on another."""

    def __init__(self, address: str, namespace: str, *, ip: str, port: int) -> None:
        self.address, self.namespace, self.ip, self.port = address, namespace, ip, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: Any = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._on_error: Callable[[BaseException], None] | None = None
        self._thread = threading.Thread(target=self._run, name="tempo-web-ui", daemon=True)

    @property
    def url(self) -> str:
        return ui_url(self.ip, self.port)

    def start(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        """Start serving in the background and return at once (the caller's loop keeps going).

        Args:
            on_error: Called from the UI's thread if it cannot start (e.g. its port is taken).
        """
        self._on_error = on_error
        self._thread.start()

    def wait_started(self, timeout: float = 10.0) -> None:
        """Block until the port is bound.

        Raises:
            UiPortInUse: The port is taken, or nothing was bound in time.
        """
        if not self._started.wait(timeout):
            raise UiPortInUse(f"the web UI did not start within {timeout:g}s")
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._runner = loop.run_until_complete(start_site(self.address, self.namespace, self.ip, self.port))
        except Exception as err:
            self._error = err
            self._started.set()
            loop.close()
            if self._on_error is not None:
                self._on_error(err)
            else:
                log.warning("web UI not started: %s", err)
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(self._runner.cleanup())
            loop.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Close browser sessions (their `tempo tui` processes quit) and stop the thread."""
        if not self._thread.is_alive():
            return
        self._started.wait(timeout)  # stopping a loop mid-start would leave a half-bound site
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout)
