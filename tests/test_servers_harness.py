"""The test servers' harness retries the real server only when retrying can help."""

from __future__ import annotations

from tests.servers import real_server

CI_LOG = (
    'time=2026-12-07T12:20:11.667 level=ERROR msg="Failed to start gRPC listener" '
    'error="listen tcp 127.0.0.1:45245: bind: address already in use" service=history '
    "address=127.0.0.1:45245\npanic: runtime error: invalid memory address or nil pointer dereference\n"
)


def test_an_inner_port_lost_to_another_process_is_retried() -> None:
    server = real_server(port=7233)
    assert server._lost_an_inner_port_race(CI_LOG)


def test_a_port_the_test_chose_taken_is_not_retried() -> None:
    server = real_server(port=45245)
    assert not server._lost_an_inner_port_race(CI_LOG)


def test_other_start_failures_are_not_retried() -> None:
    server = real_server()
    assert not server._lost_an_inner_port_race("Error: unknown flag: --bogus\n")
