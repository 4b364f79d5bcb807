"""Server processes whose log goes to a file the test names (tests that read it), and small
helpers for the reliability tests."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from temporalio.client import Client
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig

from tests.servers import ServerProcess

LoggedServer = ServerProcess
"""A server whose stderr the test reads from `log_path` (appended to across restarts)."""


def logged(server: ServerProcess, log_path: Path, preexec: Callable[[], None] | None = None) -> LoggedServer:
    return ServerProcess(server.kind, server.argv, server.port, server.env, log_path=log_path, preexec=preexec)


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


_quiet: Runtime | None = None


def quiet_runtime() -> Runtime:
    """An SDK runtime that logs only errors: a server killed on purpose makes the core warn a lot."""
    global _quiet
    if _quiet is None:
        _quiet = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter="ERROR")))
    return _quiet


async def connect(address: str, namespace: str = "default", timeout: float = 60.0) -> Client:
    """An official-SDK client, once the server answers (the real one opens its port first)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await Client.connect(address, namespace=namespace, runtime=quiet_runtime())
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
