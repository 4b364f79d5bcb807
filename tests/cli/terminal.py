"""Run a command on a pseudo-terminal, as a user at a terminal runs it: what it drew there
(stdout and stderr, which a terminal shows together) and its exit code."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
import time


def run_in_terminal(argv: list[str], environment: dict[str, str], columns: int = 120) -> tuple[int, bytes]:
    """``argv`` with its standard streams on a new terminal ``columns`` wide (the terminal's
    own size: no COLUMNS variable), its input empty; waits at most 60 s."""
    environment = {name: value for name, value in environment.items() if name not in ("COLUMNS", "LINES")}
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    os.set_blocking(controller, False)
    process = subprocess.Popen(argv, stdin=terminal, stdout=terminal, stderr=terminal, env=environment)
    os.close(terminal)
    drawn = bytearray()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ended = process.poll() is not None  # before reading: what it wrote is there by then
            chunk = _read(controller)
            if chunk:
                drawn += chunk
            elif chunk is None or ended:
                break
            else:
                time.sleep(0.005)
        code = process.wait(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    return code, bytes(drawn)


def _read(controller: int) -> bytes | None:
    """What the terminal has for us now (b"" if nothing yet); None once it is closed."""
    try:
        return os.read(controller, 65536)
    except BlockingIOError:
        return b""
    except OSError:  # EIO: every writer has gone
        return None
