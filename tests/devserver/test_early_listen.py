"""`tempo server start-dev` and `tempo-test-server PORT` listen before they import the server
(tempo_cli._fast_server, devserver.test_server.listen_early), and
every listening socket of the server's own turns Nagle's algorithm off on its connections.

Why a user notices: the official SDKs' test harnesses start a dev server for each test session
and wait for its port, checking it about every 100 ms; a client that connects as soon as the
port opens must then be answered, not refused or reset. And a connection with Nagle's
algorithm on holds a small write back until the peer's delayed ACK (40 ms a call): a server
on `--ip ::` did that to every client.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import pytest

from devserver.h2_server import H2Server
from devserver.listen_address import listening_socket
from tests.devserver.early_listen import answered_the_moment_open, first_moment_open
from tests.servers import free_port

START_DEV = [sys.executable, "-m", "tempo_cli.main", "server", "start-dev", "--headless"]


@pytest.mark.parametrize("ip", ["127.0.0.1", "::"])
def test_a_client_that_connects_the_moment_the_port_opens_is_answered(ip: str) -> None:
    port = free_port()
    answered = answered_the_moment_open([*START_DEV, "--port", str(port), "--ip", ip], port)
    assert answered.server_version
    assert answered.returncode == 0
    assert "Traceback" not in answered.stderr


def test_the_test_server_answers_a_client_that_connects_the_moment_its_port_opens() -> None:
    port = free_port()
    # As the official SDKs run `tempo-test-server`: the port alone.
    entry = "from tempo_cli.test_server_entry import main; main()"
    answered = answered_the_moment_open([sys.executable, "-c", entry, str(port)], port)
    assert answered.server_version
    assert "Traceback" not in answered.stderr


def test_a_sigterm_the_moment_the_port_opens_stops_the_server_once_started() -> None:
    # As a supervisor (or a test's fixture) stops a server it saw listening: the start-up's
    # messages are out, and the server stops as on any SIGTERM, not killed mid-import.
    port = free_port()
    proc = subprocess.Popen(
        [*START_DEV, "--port", str(port), "--dynamic-config-value", "frontend.persistenceMaxQPS=10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first_moment_open(port, proc)
    proc.terminate()
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "note: dynamic config key frontend.persistenceMaxQPS has no effect on Tempo (ignored)" in err.decode()
    assert b"Traceback" not in err


def test_a_taken_port_ends_the_command_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([*START_DEV, "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        f"error: cannot listen on 127.0.0.1:{port}: address already in use\n",
    )


@pytest.mark.parametrize("ip", ["127.0.0.1", "::"])
async def test_the_servers_connections_go_without_nagles_algorithm(ip: str) -> None:
    sock = listening_socket(ip, 0)
    assert sock is not None
    server = H2Server(1024)
    port = await server.listen(ip, 0, sock=sock)
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(200):
            if server._connections:
                break
            await asyncio.sleep(0.01)
        (connection,) = server._connections
        assert connection.transport is not None
        accepted = connection.transport.get_extra_info("socket")
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        writer.close()
        await server.stop(0)


def test_only_an_address_of_this_machine_is_listened_on_early() -> None:
    assert listening_socket("localhost", 0) is None  # a name: asyncio resolves it
    with pytest.raises(OSError):
        listening_socket("192.0.2.1", 0)  # TEST-NET-1: no interface of this machine has it
