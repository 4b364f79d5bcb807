"""The TUI in a web browser: textual-serve runs one `tempo tui` process per browser tab.

Used by `tempo tui --serve` (foreground) and by `tempo server start-dev`, which runs that
command as a child process once its gRPC port answers, so the UI never delays the server.
Every session runs `tempo tui` against the one server this UI was started for; nothing a
visitor sends chooses the command.

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
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("tempo.ui")

_WEB = Path(__file__).parent / "web"
"""Our page template (textual-serve looks for ``app_index.html``); its own loads a web font."""


class UiPortInUse(Exception):
    """The web UI's port is taken."""


STOP_SESSIONS_TIMEOUT = 1.5
"""Seconds the web UI gives its browser sessions to end when it stops; then it exits anyway
and the sessions still running end with it (``die_with``)."""

STOP_UI_TIMEOUT = 3.0
"""Seconds the dev server gives the web UI process to stop before it kills it."""

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


def ui_url(ip: str, port: int) -> str:
    """The address people open in a browser."""
    host = "localhost" if ip in ("0.0.0.0", "::") else (f"[{ip}]" if ":" in ip else ip)
    return f"http://{host}:{port}"


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


async def start_site(address: str, namespace: str, ip: str, port: int, extra: Sequence[str] = ()) -> Any:
    """Start serving on the running loop; returns the aiohttp runner (``await runner.cleanup()`` stops it).

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
    site = web.TCPSite(runner, ip, port, reuse_address=True)
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
    address: str, namespace: str, *, ip: str, port: int, exit_with: int | None = None, extra: Sequence[str] = ()
) -> None:
    """`tempo tui --serve`: serve until Ctrl-C or SIGTERM (or until process ``exit_with`` is gone).

    Raises:
        UiPortInUse: The port is taken.
    """

    if exit_with is not None:
        die_with(exit_with)  # the dev server that started us: even if it is killed

    async def main() -> None:
        runner = await start_site(address, namespace, ip, port, extra)
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


class UiProcess:
    """The web UI as a child process of `tempo server start-dev`.

    A process of its own, so serving browsers never competes with the server for its
    interpreter: the gRPC port answers as fast as without a UI. The child quits when
    stopped, and by itself if the server dies without stopping it.
    """

    def __init__(
        self,
        address: str,
        namespace: str,
        *,
        ip: str,
        port: int,
        extra: Sequence[str] = (),
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """``extra`` are more `tempo tui` options (connection flags), which its sessions get
        too; ``environment`` are variables to set for it and its sessions (an API key)."""
        self.address, self.namespace, self.ip, self.port = address, namespace, ip, port
        self.extra = list(extra)
        self.environment = dict(environment or {})
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
            "--exit-with", str(os.getpid()), *self.extra,
        ]  # fmt: skip
        nice = shutil.which("nice")
        if nice:
            # Below the server's priority: on a busy laptop the server answers first.
            argv = [nice, "-n", "10", *argv]
        self._proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **self.environment} if self.environment else None,
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

    def stop(self, timeout: float = STOP_UI_TIMEOUT) -> None:
        """Stop the UI: its browser sessions end, their processes quit (killed, the UI's
        sessions still end with it)."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
