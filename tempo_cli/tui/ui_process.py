"""The web UI's side in `tempo server start-dev`'s process: its port, and the UI process
(`python -m tempo_cli.tui.serve`) started when the first browser connects.

Apart from the UI process's own module (`tempo_cli.tui.serve`): the server loads only this
when it starts, after its gRPC port is open and before it answers its first call, so it
imports no more than binding a port and watching it needs.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence

STOP_UI_TIMEOUT = 3.0
"""Seconds the dev server gives the web UI process to stop before it kills it."""

RESTART_UI_INTERVAL = 1.0
"""Seconds between the start of a UI process that ended by itself and the start of the next."""


def ui_url(ip: str, port: int) -> str:
    """The address people open in a browser."""
    host = "localhost" if ip in ("0.0.0.0", "::") else (f"[{ip}]" if ":" in ip else ip)
    return f"http://{host}:{port}"


class UiProcess:
    """The web UI of `tempo server start-dev`: its port, and a child process once a browser comes.

    The server binds the port itself, so a taken port is known at once. The UI process starts
    when the first connection arrives and takes over the listening socket; until then the UI
    costs a thread blocked in ``select``. A process of its own, so serving browsers never
    competes with the server for its interpreter. The child quits when stopped, and by itself
    if the server dies without stopping it; one that ends on its own is started again by the
    next connection.
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
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._wake_read, self._wake_write = -1, -1
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return ui_url(self.ip, self.port)

    def start(self, on_error: Callable[[str], None]) -> None:
        """Listen on the UI's port and return at once; the UI process starts with the first
        connection.

        Args:
            on_error: Called with the UI's one-line error if it cannot serve: at once if its
                port is taken, from a thread if the UI process reports one.
        """
        try:
            self._listener = _listen(self.ip, self.port)
        except OSError as err:
            on_error(f"cannot serve the web UI on {self.ip}:{self.port}: {err.strerror or err}")
            return
        self._wake_read, self._wake_write = os.pipe()
        self._watcher = threading.Thread(target=self._watch, args=(on_error,), name="tempo-web-ui", daemon=True)
        self._watcher.start()

    def _watch(self, on_error: Callable[[str], None]) -> None:
        """Start the UI process when a connection waits; again if it ended by itself."""
        listener = self._listener
        assert listener is not None
        while not self._stopping.is_set():
            ready, _, _ = select.select([listener.fileno(), self._wake_read], [], [])
            if self._stopping.is_set() or listener.fileno() not in ready:
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                proc = self._spawn(listener, on_error)
            began = time.monotonic()
            proc.wait()
            # One that could not start at all would be started again by every waiting
            # connection: at most once a second.
            self._stopping.wait(max(0.0, RESTART_UI_INTERVAL - (time.monotonic() - began)))

    def _spawn(self, listener: socket.socket, on_error: Callable[[str], None]) -> subprocess.Popen[str]:
        argv = [
            sys.executable, "-m", "tempo_cli.tui.serve",
            "--fd", str(listener.fileno()), "--ip", self.ip, "--port", str(self.port),
            "--address", self.address, "--namespace", self.namespace,
            "--exit-with", str(os.getpid()), "--", *self.extra,
        ]  # fmt: skip
        import shutil  # here: a UI nobody opens never needs it

        nice = shutil.which("nice")
        if nice:
            # Below the server's priority: on a busy laptop the server answers first.
            argv = [nice, "-n", "10", *argv]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            pass_fds=(listener.fileno(),),
            env={**os.environ, **self.environment} if self.environment else None,
        )
        self._proc = proc
        stderr = proc.stderr

        def relay() -> None:
            assert stderr is not None
            for line in stderr:
                if line.startswith("error: "):
                    on_error(line.removeprefix("error: ").rstrip())
                else:
                    sys.stderr.write(line)

        threading.Thread(target=relay, name="tempo-web-ui-stderr", daemon=True).start()
        return proc

    def stop(self, timeout: float = STOP_UI_TIMEOUT) -> None:
        """Stop the UI: its browser sessions end, their processes quit (killed, the UI's
        sessions still end with it); the port closes."""
        with self._lock:
            self._stopping.set()
        if self._wake_write >= 0:
            os.write(self._wake_write, b"x")
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._watcher is not None:
            self._watcher.join(timeout)
        if self._listener is not None:
            self._listener.close()
        for fd in (self._wake_read, self._wake_write):
            if fd >= 0:
                os.close(fd)
        self._wake_read = self._wake_write = -1


def _listen(ip: str, port: int) -> socket.socket:
    """A listening TCP socket on ``ip``:``port`` (an IPv4 or IPv6 address, or a host name)."""
    family, kind, proto, _, where = socket.getaddrinfo(ip, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(where)
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener
