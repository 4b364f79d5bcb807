"""The test servers' harness starts a server again when it lost a port race, and only then."""

from __future__ import annotations

import socket

from tests.servers import real_server, tempo_server

REAL_SERVER_LOST_AN_INNER_PORT = (  # what the real server wrote in a CI run that failed for it
    'time=2026-12-07T12:20:11.667 level=ERROR msg="Failed to start gRPC listener" '
    'error="listen tcp 127.0.0.1:45245: bind: address already in use" service=history '
    "address=127.0.0.1:45245\npanic: runtime error: invalid memory address or nil pointer dereference\n"
)


def test_a_server_whose_drawn_port_was_taken_comes_up_on_another() -> None:
    server = tempo_server()
    with socket.socket() as squatter:  # bound, not listening: as a client's connection holds a port
        squatter.bind(("127.0.0.1", server.port))
        taken = server.port
        server.start()
        try:
            assert server.port != taken
            assert f"cannot listen on 127.0.0.1:{taken}: address already in use" in server.log()
        finally:
            server.stop()


def test_the_real_server_losing_an_inner_port_is_started_again_as_it_was() -> None:
    server = real_server(port=7233)
    argv = list(server.argv)
    assert server._lost_a_port_race(REAL_SERVER_LOST_AN_INNER_PORT, first_start=True)
    assert server.argv == argv


def test_a_port_the_test_chose_taken_is_not_retried() -> None:
    server = tempo_server(port=45245)
    log = "error: cannot listen on 127.0.0.1:45245: address already in use\n"
    assert not server._lost_a_port_race(log, first_start=True)
    assert not real_server(port=45245)._lost_a_port_race(REAL_SERVER_LOST_AN_INNER_PORT, first_start=True)


def test_a_restart_keeps_its_address_even_when_taken() -> None:
    server = tempo_server()
    log = f"error: cannot listen on 127.0.0.1:{server.port}: address already in use\n"
    assert not server._lost_a_port_race(log, first_start=False)


def test_other_start_failures_are_not_retried() -> None:
    assert not real_server()._lost_a_port_race("Error: unknown flag: --bogus\n", first_start=True)
    assert not tempo_server()._lost_a_port_race("error: --port: not a number\n", first_start=True)
