"""Fixtures: a server for the tests, and a task queue per test.

The tests use the server ``TEMPORAL_ADDRESS`` names (a Tempo or Temporal dev
server you started); without it they start ``tempo server start-dev`` on a free
port for the session and stop it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait until something listens on ``port``; fail if ``proc`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited early with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout}s")


def _tempo() -> str:
    beside_python = Path(sys.executable).parent / "tempo"
    found = str(beside_python) if beside_python.exists() else shutil.which("tempo")
    if found is None:
        pytest.fail("the `tempo` command is not installed (pip install tempo-devserver), and TEMPORAL_ADDRESS is unset")
    return found


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    """``host:port`` of the server the tests use."""
    if os.environ.get("TEMPORAL_ADDRESS"):
        yield os.environ["TEMPORAL_ADDRESS"]
        return
    port = free_port()
    server = subprocess.Popen(
        [_tempo(), "server", "start-dev", "--port", str(port), "--log-level", "error"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port, server)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def task_queue() -> str:
    """A task queue no other test uses, so tests never see each other's orders."""
    return f"food-delivery-test-{uuid.uuid4().hex[:8]}"
