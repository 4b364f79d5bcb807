"""Server processes whose log goes to a file (tests that read it, or that make a server log a
lot, must not leave it in a pipe nobody reads), and small helpers for the reliability tests."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig

from tests.servers import ServerProcess, wait_for_port


@dataclass
class LoggedServer(ServerProcess):
    """A ServerProcess whose stderr is appended to `log_path` across restarts."""

    log_path: Path = Path(os.devnull)
    # Run in the child before the server starts (a resource limit, another user).
    preexec: Callable[[], None] | None = None

    def spawn(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, **self.env}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
                start_new_session=True,
                preexec_fn=self.preexec,
            )
        return self.proc

    def start(self, timeout: float = 30.0) -> LoggedServer:
        wait_for_port("127.0.0.1", self.port, self.spawn(), timeout)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def logged(server: ServerProcess, log_path: Path, preexec: Callable[[], None] | None = None) -> LoggedServer:
    return LoggedServer(server.kind, server.argv, server.port, server.env, log_path=log_path, preexec=preexec)


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
