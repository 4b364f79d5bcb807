"""The Typer app's answers from forks of one process that has imported the libraries it uses.

The fast paths' tests compare each answer with the app's (`tests.cli.answers`): about a
thousand app runs a suite, each a fresh interpreter importing Typer, Rich, protobuf and the
official SDK's `temporalio` again (0.25-0.45 s of CPU, half of what the CLI tests spend). Here
one process per test worker imports those libraries once and forks a child for each run; the
child takes the run's environment, working directory, standard streams and command line, then
imports Tempo's modules and runs the command as ``python -m ...`` or ``python -c ...`` would.

Only third-party libraries are imported ahead, none of which reads, when imported, a variable
the tests set (Typer reads `TYPER_USE_RICH`), so a command sees its own environment as a fresh
process does; its stdout and stderr are files, not pipes, which nothing it prints tells apart.
The `tempo` command as users run it (`tempo_cli.main`, the fast paths) always runs as a fresh
process: how it starts is what those tests check.

``python -m tests.cli.app_forks SOCKET`` is the forking process; :func:`run` is the client.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

PRELOADED = (
    "asyncio",
    "typer",
    "typer.main",
    "rich.console",
    "rich.table",
    "rich.text",
    "google.protobuf.json_format",
    "temporalio",
    "temporalio.api.common.v1",
    "temporalio.api.enums.v1",
    "temporalio.api.history.v1",
    "temporalio.api.workflow.v1",
    "temporalio.api.workflowservice.v1",
    "temporalio.api.operatorservice.v1",
    "temporalio.api.schedule.v1",
    "temporalio.api.batch.v1",
    "temporalio.api.errordetails.v1",
    "google.rpc.status_pb2",
    "typer._adapters",  # and Pydantic: the app as `tests.cli.tempo_entry` mounts it converts with them
    "pydantic",
    "pydantic.type_adapter",
    "pydantic.json_schema",
    "email.message",
    "email.utils",
    "importlib.metadata",
    "csv",
    "hashlib",
    "hmac",
    "secrets",
    "getpass",
    "zipfile",
)
"""What the app imports that is not Tempo's: the bulk of its start-up."""

_lock = threading.Lock()
_server: tuple[subprocess.Popen[bytes], str] | None = None


def run(argv: list[str], environment: dict[str, str], timeout: float = 60) -> tuple[int, str, str]:
    """``python ARGV`` (``-m MODULE ...`` or ``-c CODE ...``) run in a fork with
    ``environment``: its exit code, stdout and stderr, as `subprocess.run` would give them."""
    path = _socket_path()
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection,
    ):
        connection.settimeout(timeout)
        connection.connect(path)
        request = json.dumps({"argv": argv, "env": environment, "cwd": os.getcwd()}).encode()
        socket.send_fds(connection, [request + b"\n"], [out.fileno(), err.fileno()])
        reader = connection.makefile("rb")
        pid = None
        try:
            pid = int(reader.readline())
            line = reader.readline()
        except TimeoutError:
            _kill(pid)
            raise subprocess.TimeoutExpired(argv, timeout) from None
        if not line:
            raise RuntimeError(f"the fork running {argv} ended without an exit code")
        code = int(line)
        out.seek(0)
        err.seek(0)
        return code, out.read().decode(), err.read().decode()


def _kill(pid: int | None) -> None:
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _socket_path() -> str:
    """The forking process's socket: started the first time it is needed, stopped at exit."""
    global _server
    with _lock:
        if _server is not None and _server[0].poll() is None:
            return _server[1]
        directory = tempfile.mkdtemp(prefix="tempo-app-forks-")
        path = os.path.join(directory, "socket")
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "TEMPO_"))}
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.cli.app_forks", path], stdout=subprocess.PIPE, env=environment
        )
        assert process.stdout is not None
        if process.stdout.readline() != b"ready\n":
            raise RuntimeError("the forking process did not start")
        atexit.register(_stop, process, directory)
        _server = (process, path)
        return path


def _stop(process: subprocess.Popen[bytes], directory: str) -> None:
    process.kill()
    process.wait()
    shutil.rmtree(directory, ignore_errors=True)


# --- the forking process ------------------------------------------------------------------


def _serve(path: str) -> None:
    """Fork a child for each connection to ``path`` until the process that started this one
    is gone (a test worker killed outright runs no exit functions: nothing is left behind)."""
    import importlib

    parent = os.getppid()
    for module in PRELOADED:
        importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(1.0)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while os.getppid() == parent:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        if os.fork() == 0:
            listener.close()
            _child(connection)  # never returns
        connection.close()
    shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def _child(connection: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the command may run processes of its own
    code = 1
    try:
        message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 2)
        request = json.loads(message)
        connection.sendall(f"{os.getpid()}\n".encode())
        devnull = os.open(os.devnull, os.O_RDONLY)
        for fd, target in ((devnull, 0), (fds[0], 1), (fds[1], 2)):
            os.dup2(fd, target)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        code = _run_as_python(request["argv"])
    finally:
        try:
            connection.sendall(f"{code}\n".encode())
        finally:
            os._exit(0)


def _run_as_python(argv: list[str]) -> int:
    """Run ``python ARGV`` in this process (``-m MODULE ...`` or ``-c CODE ...``): its exit code."""
    import runpy
    import traceback

    code = 0
    try:
        if argv[0] == "-m":
            sys.argv = [argv[1], *argv[2:]]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        elif argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
        else:
            raise ValueError(f"only -m and -c command lines run in a fork: {argv}")
    except SystemExit as exit:
        if exit.code is None:
            code = 0
        elif isinstance(exit.code, int):
            code = exit.code
        else:
            print(exit.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    # As the interpreter ends: wait for the threads that are not daemons, run the exit functions.
    with contextlib.suppress(Exception):
        threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code


if __name__ == "__main__":
    _serve(sys.argv[1])
