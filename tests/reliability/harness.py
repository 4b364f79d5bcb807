"""Server processes whose log goes to a file (tests that read it, or that make a server log a
lot, must not leave it in a pipe nobody reads), and small helpers for the reliability tests."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.servers import ServerProcess, wait_for_port


@dataclass
class LoggedServer(ServerProcess):
    """A ServerProcess whose stderr is appended to `log_path` across restarts."""

    log_path: Path = Path(os.devnull)

    def start(self, timeout: float = 30.0) -> LoggedServer:
        env = {**os.environ, **self.env}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv, stdout=subprocess.DEVNULL, stderr=log, env=env, start_new_session=True
            )
        wait_for_port("127.0.0.1", self.port, self.proc, timeout)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def logged(server: ServerProcess, log_path: Path) -> LoggedServer:
    return LoggedServer(server.kind, server.argv, server.port, server.env, log_path=log_path)


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
