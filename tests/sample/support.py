"""Run the sample the way a user does (`python -m sample_food_delivery ...`) and talk to it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sample_food_delivery.settings import Settings
from sample_food_delivery.worker import connect
from sample_food_delivery.workflows import GET_STATUS_QUERY
from sdk import Client, WorkflowHandle
from sdk.exceptions import RPCError, WorkflowQueryFailedError
from tests.servers import free_port, stop_process, wait_for_port


def unique_task_queue() -> str:
    return f"food-delivery-{uuid.uuid4().hex[:8]}"


@dataclass
class SampleProcess:
    """`python -m sample_food_delivery PARTS...` as a subprocess, its output in ``log``."""

    address: str
    task_queue: str
    log: Path
    parts: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    menu_port: int = field(default_factory=free_port)
    driver_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def menu(self) -> str:
        return f"http://127.0.0.1:{self.menu_port}"

    @property
    def driver(self) -> str:
        return f"http://127.0.0.1:{self.driver_port}"

    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "sample_food_delivery",
            *self.parts,
            *(("--address", self.address) if self.address else ()),
            "--task-queue",
            self.task_queue,
            "--menu-port",
            str(self.menu_port),
            "--driver-port",
            str(self.driver_port),
            *self.options,
        ]

    def start(self, timeout: float = 60.0) -> SampleProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv(), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
            )
        runs = self.parts or ("worker", "menu", "driver")
        if "menu" in runs:
            wait_for_port("127.0.0.1", self.menu_port, self.proc, timeout)
        if "driver" in runs:
            wait_for_port("127.0.0.1", self.driver_port, self.proc, timeout)
        if "worker" in runs:
            self.wait_for_log("polling task queue", timeout)
        return self

    def wait_for_log(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"the sample exited with {self.proc.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged within {timeout}s:\n{self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> int:
        """Ctrl-C; the exit code."""
        assert self.proc is not None
        stop_process(self.proc, signal.SIGINT, timeout=30)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: a crash, nothing cleaned up."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


async def connected(address: str) -> Client:
    """A client; a real server just started may need a moment to serve requests."""
    return await connect(Settings(address=address), wait=30)


async def wait_for_state(handle: WorkflowHandle, state: str, timeout: float = 60.0) -> dict[str, Any]:
    """Query ``getStatus`` until it reports ``state``; return that answer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen: Any = None
    while loop.time() < deadline:
        try:
            seen = await handle.query(GET_STATUS_QUERY, timeout=timedelta(seconds=5))
        except (WorkflowQueryFailedError, RPCError) as err:
            seen = err  # no workflow task completed yet, or no worker up yet
        if isinstance(seen, dict) and seen["state"] == state:
            return seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {handle.id} never reached {state!r}; last answer {seen!r}")
