"""Run the worker and the two web apps in one process, with one log, like ``npm run dev``.

Each part runs as an asyncio task whose context names it, so every log line,
whichever library writes it (the SDK's worker, uvicorn, the apps), carries a
prefix saying which part it comes from. Ctrl-C (or SIGTERM) stops all parts: the
web servers finish the requests in flight and the worker shuts down gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette

from .settings import Settings
from .web.driver import create_driver_app
from .web.menu import create_menu_app
from .worker import serve_worker

PARTS = ("worker", "menu", "driver")

_PART: contextvars.ContextVar[str] = contextvars.ContextVar("food_delivery_part", default="main")
_COLORS = {"worker": "36", "menu": "32", "driver": "35", "main": "37"}

logger = logging.getLogger(__name__)

ShutdownTrigger = Callable[[], Coroutine[Any, Any, Any]]


class StartupError(Exception):
    """A part could not start; the message is one line for the user."""


class PartFailedError(Exception):
    """One part stopped with an error; the others were stopped too."""

    def __init__(self, part: str, error: BaseException) -> None:
        super().__init__(f"{part}: {error}")
        self.part = part
        self.error = error


class _PartPrefix(logging.Formatter):
    """``12:00:01 worker | message``, the prefix coloured on a terminal."""

    def __init__(self, color: bool) -> None:
        super().__init__(datefmt="%H:%M:%S")
        self.color = color

    def format(self, record: logging.LogRecord) -> str:
        part = _PART.get()
        if part == "main" and record.name.startswith("sdk."):
            part = "worker"  # workflow code runs on the worker's own threads, outside any task context
        prefix = f"{part:<6} |"
        if self.color:
            prefix = f"\033[{_COLORS.get(part, '37')}m{prefix}\033[0m"
        level = "" if record.levelno < logging.WARNING else f"{record.levelname} "
        message = f"{self.formatTime(record, self.datefmt)} {prefix} {level}{record.getMessage()}"
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        return message


def configure_logging(level: int = logging.INFO) -> None:
    """One handler on stderr with the part prefix; uvicorn's own chatter kept to warnings."""
    color = bool(os.environ.get("FORCE_COLOR")) or (sys.stderr.isatty() and not os.environ.get("NO_COLOR"))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PartPrefix(color))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to the runner (it runs two of them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen(host: str, port: int, flag: str) -> socket.socket:
    """A listening socket, or a one-line StartupError naming the flag to change."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise StartupError(
            f"cannot listen on {host}:{port}: {err.strerror} (choose another port with {flag})"
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def serve_app(
    app: Starlette, sock: socket.socket, what: str, url: str, shutdown_trigger: ShutdownTrigger
) -> None:
    """Serve ``app`` on ``sock`` until ``shutdown_trigger()`` returns."""
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    stop = asyncio.create_task(shutdown_trigger())
    logger.info("%s at %s", what, url)
    try:
        done, _ = await asyncio.wait([serving, stop], return_when=asyncio.FIRST_COMPLETED)
        if stop in done:
            server.should_exit = True
        await serving
    finally:
        stop.cancel()
        sock.close()
    logger.info("stopped")


def _part_coroutines(
    settings: Settings, parts: Sequence[str], trigger: ShutdownTrigger
) -> dict[str, Coroutine[Any, Any, None]]:
    # Bind every port before anything starts, so a port in use fails at once.
    sockets = {}
    try:
        if "menu" in parts:
            sockets["menu"] = listen(settings.host, settings.menu_port, "--menu-port")
        if "driver" in parts:
            sockets["driver"] = listen(settings.host, settings.driver_port, "--driver-port")
    except StartupError:
        for sock in sockets.values():
            sock.close()
        raise
    coroutines: dict[str, Coroutine[Any, Any, None]] = {}
    if "worker" in parts:
        coroutines["worker"] = serve_worker(settings, trigger)
    if "menu" in parts:
        coroutines["menu"] = serve_app(create_menu_app(settings), sockets["menu"], "menu", settings.menu_url, trigger)
    if "driver" in parts:
        coroutines["driver"] = serve_app(
            create_driver_app(settings), sockets["driver"], "driver portal", settings.driver_url, trigger
        )
    return coroutines


async def run_parts(settings: Settings, parts: Sequence[str], shutdown_trigger: ShutdownTrigger | None = None) -> None:
    """Run the named parts until ``shutdown_trigger()`` returns (default: Ctrl-C or SIGTERM).

    If one part fails, the others are stopped and the failure is raised.

    Raises:
        StartupError: A port is taken.
        PartFailedError: A part failed (e.g. the worker could not reach the server).
    """
    stop = asyncio.Event()
    trigger_task: asyncio.Task[Any] | None = None
    if shutdown_trigger is None:
        _install_signal_handlers(stop)
    else:
        trigger_task = asyncio.create_task(shutdown_trigger())
        trigger_task.add_done_callback(lambda _: stop.set())
    loop = asyncio.get_running_loop()
    tasks: dict[asyncio.Task[None], str] = {}
    try:
        for name, coroutine in _part_coroutines(settings, parts, stop.wait).items():
            context = contextvars.copy_context()
            context.run(_PART.set, name)
            tasks[loop.create_task(coroutine, name=f"food delivery {name}", context=context)] = name
        failure: PartFailedError | None = None
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = None if task.cancelled() else task.exception()
                if error is not None and failure is None:
                    failure = PartFailedError(tasks[task], error)
            # Parts end only when told to, or when they fail: either way, stop them all.
            stop.set()
        if failure is not None:
            raise failure from failure.error
    finally:
        if trigger_task is not None:
            trigger_task.cancel()


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            # Second Ctrl-C: the user does not want to wait for a graceful stop.
            logger.warning("stopping now")
            os._exit(130)
        logger.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
