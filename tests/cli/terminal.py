"""Run a command on a pseudo-terminal, as a user at a terminal runs it: what it drew there
(stdout and stderr, which a terminal shows together) and its exit code. The CLI benchmark
times its terminal rows with it too (bench/bench_cli.py)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios


def run_in_terminal(argv: list[str], environment: dict[str, str], columns: int = 120) -> tuple[int, bytes]:
    """``argv`` with its three standard streams on a new terminal ``columns`` wide (the
    terminal's own size: no COLUMNS variable); returns once it exited and its output is read."""
    environment = {name: value for name, value in environment.items() if name not in ("COLUMNS", "LINES")}
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    try:
        process = subprocess.Popen(argv, stdin=terminal, stdout=terminal, stderr=terminal, env=environment)
    finally:
        os.close(terminal)
    drawn = bytearray()
    try:
        while chunk := os.read(controller, 65536):  # blocks until output, or EIO once it exited
            drawn += chunk
    except OSError:
        pass
    finally:
        os.close(controller)
    return process.wait(), bytes(drawn)
