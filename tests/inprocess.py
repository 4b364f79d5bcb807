"""Our dev server inside the test process: `devserver.app.serve` in the running event loop.

For tests that need a server of their own (special dynamic config, say) but nothing of a
separate process: no interpreter to start, no port to poll, and the server stops when its
shutdown trigger fires, as `tempo server start-dev` does on Ctrl-C. Tests that kill or
restart the server, read its output, check persistence or the command line keep using a
subprocess (tests/servers.py).

The server shares the event loop with the test, so only async tests can use it, and they
must not block the loop (a synchronous call into the CLI, say) while it serves them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from devserver import dynamic_config
from devserver.app import DevServer, ServerConfig, serve


def config_from_flags(flags: Sequence[str], base: ServerConfig | None = None) -> ServerConfig:
    """The ServerConfig `tempo server start-dev` builds from these flags (the subset tests use:
    --dynamic-config-value KEY=JSON and --long-poll-timeout SECONDS)."""
    config = base or ServerConfig()
    values: list[str] = []
    args = iter(flags)
    for flag in args:
        value = next(args, None)
        if value is None:
            raise ValueError(f"flag {flag} needs a value")
        if flag == "--dynamic-config-value":
            values.append(value)
        elif flag == "--long-poll-timeout":
            config = replace(config, long_poll_timeout=float(value), history_long_poll_timeout=float(value))
        else:
            raise ValueError(f"tests/inprocess.py does not know the flag {flag}; use a subprocess server")
    config, _ignored = dynamic_config.apply(config, dynamic_config.parse_flags(values))
    return config


@contextlib.asynccontextmanager
async def tempo_in_process(config: ServerConfig | None = None, **changes: Any) -> AsyncIterator[str]:
    """Run our server in this event loop on a free loopback port; yield its address.

    Args:
        config: The server's configuration (default: in memory, as `start-dev`).
        **changes: Fields of ``config`` to change, e.g. ``long_poll_timeout=5``.
    """
    async with devserver_in_process(config, **changes) as server:
        yield f"127.0.0.1:{server.port}"


@contextlib.asynccontextmanager
async def devserver_in_process(config: ServerConfig | None = None, **changes: Any) -> AsyncIterator[DevServer]:
    """As `tempo_in_process`, but yield the running server itself (its engine, for white-box checks)."""
    config = replace(config or ServerConfig(), ip="127.0.0.1", port=0, **changes)
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[DevServer] = loop.create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(config, shutdown_trigger=stop.wait, on_ready=ready.set_result))
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED, timeout=30)
    if not ready.done():
        stop.set()
        if task.done():
            task.result()  # the server's own error (a store that cannot open, say)
        task.cancel()
        raise RuntimeError("the in-process server did not start within 30 s")
    try:
        yield ready.result()
    finally:
        stop.set()
        await task
