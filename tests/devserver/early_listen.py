"""Start a server process and call it the moment its port opens, as the official SDKs' test
harnesses do, for tests/devserver/test_early_listen.py."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

import grpc
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub


def first_moment_open(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Return as soon as the port accepts a connection (checked every millisecond or so)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                said = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise AssertionError(f"the server exited with {proc.returncode}: {said}") from None
            assert time.monotonic() < deadline, "the port never opened"
            time.sleep(0.001)


@dataclass
class Answered:
    """How a server called the moment its port opened answered, and how it ended."""

    server_version: str
    returncode: int
    stderr: str


def answered_the_moment_open(argv: list[str], port: int) -> Answered:
    """Start ``argv`` (a server that will listen on 127.0.0.1:``port``), call GetSystemInfo the
    moment the port opens, then stop it (SIGTERM)."""
    # Its stderr goes to a file: read at the end, and there even if it never opened its port.
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            try:
                first_moment_open(port, proc)
            except AssertionError as err:
                stderr.seek(0)
                raise AssertionError(f"{err}\nits stderr: {stderr.read().decode(errors='replace')}") from None
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                info = WorkflowServiceStub(channel).GetSystemInfo(GetSystemInfoRequest(), timeout=30)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        stderr.seek(0)
        return Answered(info.server_version, proc.returncode, stderr.read().decode(errors="replace"))
