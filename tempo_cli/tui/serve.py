"""The TUI in a web browser: textual-serve runs one `tempo tui` process per browser tab.

Used by `tempo tui --serve` (foreground) and by `tempo server start-dev`. The dev server
listens on the UI's port itself and starts the UI process (`python -m tempo_cli.tui.serve`,
which imports only aiohttp and textual-serve) when the first browser connects, handing it
the listening socket: a UI nobody opens costs no memory and never delays the server, and
the first visitor's connection waits in the socket's backlog for the fraction of a second
the UI takes to start. Every session runs `tempo tui` against the one server this UI was
started for; nothing a visitor sends chooses the command.

No process outlives the one that started it: the server stops the UI, the UI ends its
sessions, and each child also ends by itself when its parent dies (``die_with``), however
that parent ends (SIGTERM, SIGINT, a crash, SIGKILL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tempo_cli.tui.ui_process import ui_url

log = logging.getLogger("tempo.ui")

_WEB = Path(__file__).parent / "web"
"""Our page template (textual-serve looks for ``app_index.html``); its own loads a web font."""


class UiPortInUse(Exception):
    """The web UI's port is taken."""


STOP_SESSIONS_TIMEOUT = 1.5
"""Seconds the web UI gives its browser sessions to end when it stops; then it exits anyway
and the sessions still running end with it (``die_with``)."""

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with(parent: int) -> None:
    """End this process (SIGTERM) when process ``parent`` ends, however it ends.

    On Linux the kernel sends the signal (``PR_SET_PDEATHSIG``) the moment the parent dies,
    even of SIGKILL; elsewhere a thread looks for the parent twice a second. A process
    whose parent is already gone ends now.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    else:

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, name="tempo-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # it died before the watch began
        os.kill(os.getpid(), signal.SIGTERM)


def tui_command(address: str, namespace: str, extra: Sequence[str] = ()) -> str:
    """The shell command each browser session runs; ``extra`` are more `tempo tui` options
    (connection flags, --read-only).

    ``exec``: the session's process is the UI's own child (no shell between them), so it
    can end with the UI.
    """
    argv = [sys.executable, "-m", "tempo_cli.main", "tui", "--address", address, "--namespace", namespace, *extra]
    return "exec " + shlex.join([*argv, "--exit-with", str(os.getpid())])


def _server(address: str, namespace: str, ip: str, port: int, extra: Sequence[str] = ()) -> Any:
    import textual_serve
    from aiohttp import WSCloseCode, web
    from textual_serve.server import Server

    statics = Path(textual_serve.__file__).parent / "static"

    class TempoWebServer(Server):
        """textual-serve with our page (no fonts from the internet), no banner of its own, and
        sessions that end at once when the UI stops."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.sockets: set[web.WebSocketResponse] = set()
            """The websockets of the sessions open now."""

        def initialize_logging(self) -> None:
            pass  # the host process configured logging already

        async def on_startup(self, app: web.Application) -> None:
            pass  # the caller prints the URL, beside the gRPC address

        async def handle_index(self, request: web.Request) -> Any:
            # Links and the websocket follow the host the browser used (localhost, an IP, a name).
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def _process_messages(self, websocket: web.WebSocketResponse, app_service: Any) -> None:
            # textual-serve reads a session's websocket here until the browser leaves.
            self.sockets.add(websocket)
            try:
                await super()._process_messages(websocket, app_service)
            finally:
                self.sockets.discard(websocket)

        async def end_sessions(self, app: web.Application) -> None:
            """Close every session's websocket: textual-serve then tells its `tempo tui` to quit
            and waits for it. aiohttp would otherwise wait for the browsers to leave."""
            closing = [
                socket.close(code=WSCloseCode.GOING_AWAY, message=b"the server stopped") for socket in self.sockets
            ]
            await asyncio.gather(*closing, return_exceptions=True)

    return TempoWebServer(
        tui_command(address, namespace, extra),
        host=ip,
        port=port,
        title=f"Tempo · {namespace} @ {address}",
        statics_path=statics,
        templates_path=_WEB,
    )


async def start_site(
    address: str, namespace: str, ip: str, port: int, extra: Sequence[str] = (), sock: socket.socket | None = None
) -> Any:
    """Start serving on the running loop; returns the aiohttp runner (``await runner.cleanup()`` stops it).
    With ``sock`` (a listening socket) it serves there instead of binding ``ip``:``port``.

    Raises:
        UiPortInUse: The port is taken.
    """
    from aiohttp import web

    server = _server(address, namespace, ip, port, extra)
    app = await server._make_app()
    app.on_shutdown.append(server.end_sessions)
    # A session that does not end within the timeout is cancelled; stop_site bounds the rest.
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=STOP_SESSIONS_TIMEOUT)
    await runner.setup()
    site: web.BaseSite = (
        web.SockSite(runner, sock) if sock is not None else web.TCPSite(runner, ip, port, reuse_address=True)
    )
    try:
        await site.start()
    except OSError as err:
        await runner.cleanup()
        raise UiPortInUse(f"cannot serve the web UI on {ip}:{port}: {err.strerror or err}") from None
    return runner


async def stop_site(runner: Any) -> None:
    """Stop serving: close the sessions (their `tempo tui` processes quit), within about
    ``STOP_SESSIONS_TIMEOUT`` seconds; a session still running then ends with this process."""
    try:
        await asyncio.wait_for(runner.cleanup(), timeout=STOP_SESSIONS_TIMEOUT + 0.5)
    except TimeoutError:
        log.warning("the web UI's sessions did not end within %.1f s", STOP_SESSIONS_TIMEOUT)


def serve_forever(
    address: str,
    namespace: str,
    *,
    ip: str,
    port: int,
    exit_with: int | None = None,
    extra: Sequence[str] = (),
    sock: socket.socket | None = None,
) -> None:
    """`tempo tui --serve`: serve until Ctrl-C or SIGTERM (or until process ``exit_with`` is gone);
    on ``sock`` when given (the dev server's listening socket), else on ``ip``:``port``.

    Raises:
        UiPortInUse: The port is taken.
    """

    if exit_with is not None:
        die_with(exit_with)  # the dev server that started us: even if it is killed

    async def main() -> None:
        runner = await start_site(address, namespace, ip, port, extra, sock)
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
            await stop_site(runner)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def main(argv: Sequence[str]) -> None:
    """The UI process of `tempo server start-dev` (``python -m tempo_cli.tui.serve``): serves on
    the listening socket the server hands over; after ``--`` come the sessions' `tempo tui`
    options. Imports no more than serving needs, neither Typer nor the SDK."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tempo_cli.tui.serve")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--ip", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--exit-with", type=int, required=True)
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    try:
        serve_forever(
            args.address,
            args.namespace,
            ip=args.ip,
            port=args.port,
            exit_with=args.exit_with,
            extra=args.extra,
            sock=sock,
        )
    except UiPortInUse as err:  # pragma: no cover - the socket is already listening
        print(f"error: {err}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
