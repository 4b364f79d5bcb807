"""SIGINT and SIGTERM stop a dev server run with `devserver.app.run` (what `tempo server
start-dev` and `tempo-test-server` call) gracefully: whenever the signal comes, and with the
process's signal handlers as they were once it returns."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

from tests.servers import free_port


def run_script(code: str, port: int) -> subprocess.CompletedProcess[str]:
    script = f"PORT = {port}\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


def refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_signal_once_listening_stops_the_server_and_restores_the_handlers() -> None:
    port = free_port()
    done = run_script(
        """
        import os, signal
        from devserver.app import ServerConfig, run

        # As they were: Python's own, or SIG_IGN inherited from a shell's background job.
        before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

        def ready(server):
            print("listening on", server.port, flush=True)
            os.kill(os.getpid(), signal.SIGINT)

        run(ServerConfig(port=PORT), on_ready=ready)
        print("stopped", signal.getsignal(signal.SIGINT) is before[0])
        print(signal.getsignal(signal.SIGTERM) is before[1])
        """,
        port,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"listening on {port}", "stopped True", "True"]
    assert "Traceback" not in done.stderr
    assert refused(port)


def test_a_signal_while_the_store_opens_stops_the_server_once_started() -> None:
    port = free_port()
    done = run_script(
        """
        import os, signal
        import devserver.app as app

        opened = app.open_engine

        async def open_engine_signalled(config, store):
            os.kill(os.getpid(), signal.SIGTERM)  # before the server listens
            return await opened(config, store)

        app.open_engine = open_engine_signalled
        app.run(app.ServerConfig(port=PORT), on_ready=lambda server: print("listening", flush=True))
        print("stopped")
        """,
        port,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["listening", "stopped"]
