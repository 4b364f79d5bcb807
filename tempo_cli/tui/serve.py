"""The TUI in a web browser: textual-serve runs one `tempo tui` process per browser tab.

Used by `tempo tui --serve` (foreground) and by `tempo server start-dev`, which runs that
command as a child process once its gRPC port answers, so the UI never delays the server.
Every session runs `tempo tui` against the one server this UI was started for; nothing a
visitor sends chooses the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import signal
import subprocess
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


def serve_forever(address: str, namespace: str, *, ip: str, port: int, exit_with: int | None = None) -> None:
    """`tempo tui --serve`: serve until Ctrl-C or SIGTERM (or until process ``exit_with`` is gone).

    Raises:
        UiPortInUse: The port is taken.
    """

    async def main() -> None:
        runner = await start_site(address, namespace, ip, port)
        print(f"Tempo UI for {address} (namespace {namespace}): {ui_url(ip, port)}", flush=True)
        print("Stop with Ctrl-C.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
                if exit_with is not None and os.getppid() != exit_with:
                    return  # the dev server that started us is gone
        finally:
            # Closing the site ends each browser session; its `tempo tui` process quits.
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


class UiProcess:
    """The web UI as a child process of `tempo server start-dev`.

    A process of its own, so serving browsers never competes with the server for its
    interpreter: the gRPC port answers as fast as without a UI. The child quits when
    stopped, and by itself if the server dies without stopping it.
    """

    def __init__(self, address: str, namespace: str, *, ip: str, port: int) -> None:
        self.address, self.namespace, self.ip, self.port = address, namespace, ip, port
        self._proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return ui_url(self.ip, self.port)

    def start(self, on_error: Callable[[str], None]) -> None:
        """Spawn the UI and return at once.

        Args:
            on_error: Called (from a reader thread) with the UI's one-line error if it
                cannot serve, e.g. its port is taken.
        """
        argv = [
            sys.executable, "-m", "tempo_cli.main", "tui", "--serve",
            "--ip", self.ip, "--port", str(self.port),
            "--address", self.address, "--namespace", self.namespace,
            "--exit-with", str(os.getpid()),
        ]  # fmt: skip
        nice = shutil.which("nice")
        if nice:
            # Below the server's priority: on a busy laptop the server answers first.
            argv = [nice, "-n", "10", *argv]
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        stderr = self._proc.stderr

        def relay() -> None:
            assert stderr is not None
            for line in stderr:
                if line.startswith("error: "):
                    on_error(line.removeprefix("error: ").rstrip())
                else:
                    sys.stderr.write(line)

        threading.Thread(target=relay, name="tempo-web-ui-stderr", daemon=True).start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the UI: its browser sessions end, their processes quit."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
