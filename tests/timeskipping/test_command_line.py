"""`tempo-test-server`'s command line: the Java test server's (`<port>`), and clear errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.startup_checks import env, server_modules
from tests.servers import free_port
from tests.timeskipping.apps import running_test_server, tempo_test_server_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tempo_test_server_path(), *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "the following arguments are required: port"),
        (("abc",), "argument port: invalid int value: 'abc'"),
        (("70000",), "port must be between 1 and 65535, not 70000"),
    ],
)
def test_a_bad_port_is_a_one_line_error(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"tempo-test-server: error: {message}"
    assert "Traceback" not in result.stderr


def test_a_taken_port_is_a_one_line_error() -> None:
    with running_test_server("--enable-time-skipping") as server:
        result = run(str(server.port))
    assert result.returncode == 1
    # (gRPC's own log line about the bind may come first)
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"tempo-test-server: cannot listen on {server.address}: address already in use"
    )


@pytest.mark.parametrize("extra", [[], ["--enable-time-skipping"]])
def test_the_sdks_command_line_is_read_without_argparse(tmp_path: Path, extra: list[str]) -> None:
    # What the official SDKs run at every test session's start: argparse (with gettext) is 3 ms
    # of it; any other command line still gets argparse's messages (above).
    port = free_port()
    code, modules = server_modules([str(port), *extra], port, env(tmp_path), entry="tempo_cli.test_server_entry")
    assert code == 0
    assert "argparse" not in modules and "devserver.test_service" in modules


def test_the_sdks_server_starts_without_protobufs_python_layers_or_inspect(tmp_path: Path) -> None:
    # The TestService's messages come from the descriptor cache (the first start fills it) as
    # the WorkflowService's do: asked for the Empty its methods take, its module ran its
    # generated code, and protobuf's Python layers loaded (5 ms of every test session's start).
    environment = env(tmp_path)
    for _ in range(2):
        port = free_port()
        code, modules = server_modules([str(port)], port, environment, entry="tempo_cli.test_server_entry")
        assert code == 0
    unused = {"google.protobuf.descriptor_pool", "google.protobuf.text_format", "ast", "dis"}
    assert unused.isdisjoint(modules), sorted(unused.intersection(modules))
