"""Run `tempo` the way its entry point does, in a fresh interpreter, and see what it loaded.

Used by tests/cli/test_startup.py: which modules a command imports is only visible in a
process that imported nothing before it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# As the `tempo` script runs it (`python -m tempo_cli.main` goes through tempo_cli.entry too),
# whether or not this virtualenv's script was installed before the entry point moved there.
TEMPO = [sys.executable, "-m", "tempo_cli.main"]

# Runs `tempo <argv>` through tempo_cli.entry in this process, then reports (on stderr, the
# last line) its exit code and the modules it loaded.
_RUN_AND_REPORT = """
import json, sys
sys.argv = ["tempo", *json.loads(sys.argv[1])]
code = 0
try:
    from tempo_cli.entry import main
    main()
except SystemExit as exit:
    code = exit.code or 0
sys.stdout.flush()
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def reporting_argv(argv: list[str], entry: str = "tempo_cli.entry") -> list[str]:
    """The command line of `tempo <argv>` (or of another installed command, by its ``entry``
    module's `main`) run in a fresh interpreter that, at its end, writes its exit code and
    loaded modules to stderr as its last line (JSON)."""
    return [sys.executable, "-c", _RUN_AND_REPORT.replace("tempo_cli.entry", entry), json.dumps(argv)]


def env(cache_home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `tempo` run: its own cache directory, a fixed width."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "TEMPO_"))}
    return {**base, "XDG_CACHE_HOME": str(cache_home), "COLUMNS": "100", **extra}


def run_tempo(argv: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`tempo <argv>` as a user runs it."""
    return subprocess.run([*TEMPO, *argv], capture_output=True, text=True, env=environment, timeout=60)


def run_reporting(argv: list[str], environment: dict[str, str]) -> tuple[str, int, list[str]]:
    """`tempo <argv>` in a fresh interpreter: its stdout, exit code and loaded modules."""
    out, _, code, modules = run_reporting_messages(argv, environment)
    return out, code, modules


def run_reporting_messages(argv: list[str], environment: dict[str, str]) -> tuple[str, list[str], int, list[str]]:
    """As :func:`run_reporting`, with the lines the command wrote to stderr as well."""
    done = subprocess.run(
        reporting_argv(argv),
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    *messages, last = done.stderr.strip().splitlines()
    report: dict[str, Any] = json.loads(last)
    return done.stdout, messages, int(report["code"]), list(report["modules"])


def server_modules(
    argv: list[str], port: int, environment: dict[str, str], entry: str = "tempo_cli.entry"
) -> tuple[int, list[str]]:
    """`tempo <argv>` (a server listening on 127.0.0.1:``port``; or another command, by its
    ``entry`` module) in a fresh interpreter, stopped with Ctrl-C once it answered
    GetSystemInfo: its exit code and the modules it loaded."""
    import signal
    import tempfile
    import time

    from sdk._h2_channel import CallFailed, H2Channel

    # Its stderr goes to a file: a pipe read only at the end could fill and stall the server,
    # and a server that never answers must still show what it said.
    with tempfile.TemporaryFile("w+") as stderr_file:
        process = subprocess.Popen(
            reporting_argv(argv, entry), stdout=subprocess.DEVNULL, stderr=stderr_file, text=True, env=environment
        )
        try:
            deadline = time.monotonic() + 30
            channel = H2Channel(f"127.0.0.1:{port}")
            while True:
                try:
                    channel.unary("/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo", b"", [], 2.0)
                    break
                except CallFailed as err:
                    if time.monotonic() > deadline or process.poll() is not None:
                        process.kill()
                        process.wait()
                        stderr_file.seek(0)
                        said = stderr_file.read()
                        raise AssertionError(f"never answered GetSystemInfo ({err}); it wrote:\n{said}") from err
                    time.sleep(0.02)
            channel.close()
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        stderr_file.seek(0)
        stderr = stderr_file.read()
    report: dict[str, Any] = json.loads(stderr.strip().splitlines()[-1])
    return int(report["code"]), list(report["modules"])


def sdk_runtime_modules(modules: list[str]) -> list[str]:
    """The official SDK's modules other than the generated protobuf classes (`temporalio.api`)."""
    return [m for m in modules if m.startswith("temporalio.") and not m.startswith("temporalio.api")]
