"""`tempo workflow ...` reaches a server behind TLS, mutual TLS and an API key, through its
connection flags, the profiles file (as `temporal config set` writes it), the environment and
`temporal env`'s file, with the precedence `temporal` gives them.

A real TLS front (tests/sdk_client/tls_peer.py) stands before each dev server (ours, the real
one); it runs on a thread of its own, as the CLI under test runs its own event loop.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tempo_cli.main import app
from tests.cli.cli_results import new_id, one_line_error
from tests.cli.tempo_entry import root
from tests.cli.threaded_peer import ThreadedPeer
from tests.sdk_client.tls_peer import Certificates, TLSFront, make_certificates
from tests.servers import temporal_binary


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


def _front(server_address: str, certificates: Certificates | None, *, mutual: bool = False) -> Iterator[TLSFront]:
    peer = ThreadedPeer()
    front = peer.run(TLSFront(server_address, certificates, require_client_cert=mutual).start())
    try:
        yield front
    finally:
        peer.run(front.stop())
        peer.close()


@pytest.fixture
def tls_front(server_address: str, certificates: Certificates) -> Iterator[TLSFront]:
    yield from _front(server_address, certificates)


@pytest.fixture
def mtls_front(server_address: str, certificates: Certificates) -> Iterator[TLSFront]:
    yield from _front(server_address, certificates, mutual=True)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home of the test's own: no profiles or environments file but those a test writes."""
    return tmp_path


def tempo(home: Path, *args: str, **env: str) -> Result:
    """`tempo workflow ARGS...` with only ``env`` of the TEMPORAL_* variables set.

    The servers are shared by the whole run, so a `list` whose calls a test counts says
    `--limit 1`: without it, it reads every page of what other tests started.
    """
    variables = {
        name: None
        for name in (
            "TEMPORAL_ADDRESS",
            "TEMPORAL_NAMESPACE",
            "TEMPORAL_API_KEY",
            "TEMPORAL_PROFILE",
            "TEMPORAL_ENV",
            "TEMPORAL_ENV_FILE",
            "TEMPORAL_TLS",
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        )
    }
    environment = {**variables, "HOME": str(home), "TEMPORAL_CONFIG_FILE": str(home / "temporal.toml"), **env}
    return CliRunner().invoke(root, ["workflow", *args], env=environment)


def execute_greeting(home: Path, front: TLSFront, task_queue: str, *flags: str, **env: str) -> Result:
    workflow_id = new_id("tls")
    return tempo(
        home,
        "execute",
        "--type",
        "Greeting",
        "--task-queue",
        task_queue,
        "--workflow-id",
        workflow_id,
        "--input",
        '"Ada"',
        "-o",
        "json",
        *(["--address", front.address] if "--address" not in flags else []),
        *flags,
        **env,
    )


def result_of(result: Result) -> object:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)["result"]


def test_a_workflow_runs_over_tls_with_the_ca_given(
    home: Path, tls_front: TLSFront, certificates: Certificates, task_queue: str
) -> None:
    result = execute_greeting(home, tls_front, task_queue, "--tls-ca-path", str(certificates.ca_path))
    assert result_of(result) == "Hello, Ada!"
    assert tls_front.headers_of("StartWorkflowExecution")
    listed = tempo(home, "list", "--address", tls_front.address, "--tls-ca-data", certificates.ca.decode())
    assert listed.exit_code == 0, listed.stderr


def test_a_server_certificate_the_system_does_not_trust_is_one_line_error(home: Path, tls_front: TLSFront) -> None:
    message = one_line_error(tempo(home, "list", "--address", tls_front.address, "--tls"))
    assert tls_front.address in message


def test_a_wrong_server_name_is_one_line_error(home: Path, tls_front: TLSFront, certificates: Certificates) -> None:
    result = tempo(
        home, "list", "--address", tls_front.address, "--tls-ca-path", str(certificates.ca_path),
        "--tls-server-name", "elsewhere.example",
    )  # fmt: skip
    assert "not for this host name" in one_line_error(result)


def test_plaintext_to_a_tls_server_is_one_line_error(home: Path, tls_front: TLSFront) -> None:
    message = one_line_error(tempo(home, "list", "--address", tls_front.address))
    assert "TLS" in message


def test_mutual_tls_needs_the_client_certificate(
    home: Path, mtls_front: TLSFront, certificates: Certificates, task_queue: str
) -> None:
    with_cert = (
        "--tls-ca-path",
        str(certificates.ca_path),
        "--tls-cert-path",
        str(certificates.client_cert_path),
        "--tls-key-path",
        str(certificates.client_key_path),
    )
    assert result_of(execute_greeting(home, mtls_front, task_queue, *with_cert)) == "Hello, Ada!"
    without = tempo(home, "list", "--address", mtls_front.address, "--tls-ca-path", str(certificates.ca_path))
    assert "client certificate" in one_line_error(without)


def test_a_certificate_without_its_key_is_one_line_error(home: Path, certificates: Certificates) -> None:
    result = tempo(home, "list", "--tls-cert-path", str(certificates.client_cert_path))
    assert "client_cert and client_private_key" in one_line_error(result)


def test_a_missing_certificate_file_is_one_line_error(home: Path) -> None:
    assert "cannot read" in one_line_error(tempo(home, "list", "--tls-ca-path", str(home / "nowhere.pem")))


def test_the_api_key_and_headers_reach_the_server(
    home: Path, tls_front: TLSFront, certificates: Certificates, task_queue: str
) -> None:
    result = execute_greeting(
        home,
        tls_front,
        task_queue,
        "--tls-ca-path",
        str(certificates.ca_path),
        "--api-key",
        "cli-key",
        "--grpc-meta",
        "X_Team=deliveries",
        "--grpc-meta",
        "x-region=eu",
    )
    assert result_of(result) == "Hello, Ada!"
    (headers,) = tls_front.headers_of("StartWorkflowExecution")
    assert headers["authorization"] == "Bearer cli-key"
    assert headers["x-team"] == "deliveries" and headers["x-region"] == "eu"


def test_a_malformed_grpc_meta_is_one_line_error(home: Path) -> None:
    assert "KEY=VALUE" in one_line_error(tempo(home, "list", "--grpc-meta", "no-equals-sign"))


def temporal_config_set(home: Path, profile: str, prop: str, value: str) -> None:
    """`temporal config set`, the real CLI, on the test's profiles file."""
    env = {"TEMPORAL_CONFIG_FILE": str(home / "temporal.toml"), "HOME": str(home), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [temporal_binary(), "config", "set", "--profile", profile, "--prop", prop, "--value", value],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_profile_written_by_temporal_connects(
    home: Path, tls_front: TLSFront, certificates: Certificates, task_queue: str
) -> None:
    temporal_config_set(home, "secure", "address", tls_front.address)
    temporal_config_set(home, "secure", "tls.server_ca_cert_path", str(certificates.ca_path))
    temporal_config_set(home, "secure", "api_key", "profile-key")
    temporal_config_set(home, "secure", "grpc_meta.x-team", "deliveries")
    result = execute_greeting(home, tls_front, task_queue, "--profile", "secure", "--address", tls_front.address)
    assert result_of(result) == "Hello, Ada!"
    listed = tempo(home, "list", "--limit", "1", "--profile", "secure")  # the address from the profile
    assert listed.exit_code == 0, listed.stderr
    listed_from_env = tempo(home, "list", "--limit", "1", TEMPORAL_PROFILE="secure")
    assert listed_from_env.exit_code == 0, listed_from_env.stderr
    calls = tls_front.headers_of("StartWorkflowExecution") + tls_front.headers_of("ListWorkflowExecutions")
    assert len(calls) == 3
    assert {(h["authorization"], h["x-team"]) for h in calls} == {("Bearer profile-key", "deliveries")}


def test_a_missing_profile_is_one_line_error(home: Path) -> None:
    temporal_config_set(home, "secure", "address", "127.0.0.1:1")
    assert one_line_error(tempo(home, "list", "--profile", "nope")) == "Profile 'nope' not found"


def test_disable_config_file_ignores_the_profile(home: Path, tls_front: TLSFront) -> None:
    temporal_config_set(home, "default", "address", tls_front.address)
    temporal_config_set(home, "default", "tls", "true")
    # With the file, the default profile says: TLS to the front (whose CA the system lacks).
    assert tls_front.address in one_line_error(tempo(home, "list"))
    # Without it, the defaults: plaintext to the address given.
    plain = tempo(home, "list", "--disable-config-file", "--address", tls_front.address)
    assert "TLS" in one_line_error(plain)


def write_env_file(home: Path, api_key: str) -> Path:
    """A `temporal env` file whose environment ``ci`` holds ``api-key``."""
    path = home / "temporal.yaml"
    path.write_text(f"env:\n    ci:\n        api-key: {api_key}\n")
    return path


@pytest.mark.parametrize(
    ("file", "env_file", "variable", "flag", "seen"),
    [
        (True, False, False, False, "file-key"),
        (True, True, False, False, "env-file-key"),
        (True, True, True, False, "variable-key"),
        (True, True, True, True, "flag-key"),
        (False, False, True, True, "flag-key"),
    ],
)
def test_flag_over_variable_over_env_file_over_profile(
    home: Path,
    tls_front: TLSFront,
    certificates: Certificates,
    file: bool,
    env_file: bool,
    variable: bool,
    flag: bool,
    seen: str,
) -> None:
    temporal_config_set(home, "default", "tls.server_ca_cert_path", str(certificates.ca_path))
    if file:
        temporal_config_set(home, "default", "api_key", "file-key")
    args = ["list", "--limit", "1", "--address", tls_front.address]
    if env_file:
        args += ["--env", "ci", "--env-file", str(write_env_file(home, "env-file-key"))]
    if flag:
        args += ["--api-key", "flag-key"]
    env = {"TEMPORAL_API_KEY": "variable-key"} if variable else {}
    result = tempo(home, *args, **env)
    assert result.exit_code == 0, result.stderr
    (headers,) = tls_front.headers_of("ListWorkflowExecutions")
    assert headers["authorization"] == f"Bearer {seen}"


def test_an_unknown_environment_is_one_line_error(home: Path) -> None:
    path = write_env_file(home, "k")
    assert "'prod' not found" in one_line_error(tempo(home, "list", "--env", "prod", "--env-file", str(path)))


def test_a_broken_profiles_file_does_not_stop_tempo_config_mending_it(home: Path) -> None:
    from tempo_cli.main import app

    (home / "temporal.toml").write_text("[profile.default\naddress = ")
    assert "not valid TOML" in one_line_error(tempo(home, "list"))
    env = {"TEMPORAL_CONFIG_FILE": str(home / "temporal.toml"), "HOME": str(home)}
    listed = CliRunner().invoke(app, ["env", "list"], env=env)
    assert listed.exit_code == 0, listed.stderr


def test_host_verification_cannot_be_turned_off_and_says_so(
    home: Path, tls_front: TLSFront, certificates: Certificates
) -> None:
    ca = ("--tls-ca-path", str(certificates.ca_path))
    result = tempo(home, "list", "--address", tls_front.address, *ca, "--tls-disable-host-verification")
    assert result.exit_code == 0, result.stderr
    assert "host-name verification stays on" in result.stderr
    quiet = tempo(home, "list", "--address", tls_front.address, *ca)
    assert quiet.exit_code == 0 and "verification" not in quiet.stderr


def test_flags_before_the_subcommand_count_too(home: Path, tls_front: TLSFront, certificates: Certificates) -> None:
    group_flags = ["--api-key", "group-key", "--tls-ca-path", str(certificates.ca_path)]
    result = CliRunner().invoke(
        root,
        ["workflow", *group_flags, "list", "--limit", "1", "--address", tls_front.address],
        env={"HOME": str(home), "TEMPORAL_CONFIG_FILE": str(home / "temporal.toml"), "TEMPORAL_API_KEY": None},
    )
    assert result.exit_code == 0, result.stderr
    (headers,) = tls_front.headers_of("ListWorkflowExecutions")
    assert headers["authorization"] == "Bearer group-key"


def test_disable_config_env_ignores_the_variables(home: Path, tls_front: TLSFront, certificates: Certificates) -> None:
    temporal_config_set(home, "default", "api_key", "file-key")
    temporal_config_set(home, "default", "tls.server_ca_cert_path", str(certificates.ca_path))
    args = ("list", "--limit", "1", "--address", tls_front.address, "--disable-config-env")
    result = tempo(home, *args, TEMPORAL_API_KEY="variable-key")
    assert result.exit_code == 0, result.stderr
    (headers,) = tls_front.headers_of("ListWorkflowExecutions")
    assert headers["authorization"] == "Bearer file-key"


def test_each_browser_session_of_tui_serve_gets_the_connection_flags() -> None:
    from tempo_cli.tui.command import session_argv
    from tempo_cli.tui.serve import tui_command

    given = {"tls_ca_path": "/ca.pem", "api_key": "k", "grpc_meta": ["a=1", "b=2"], "tls": True, "profile": None}
    command = tui_command("h:1", "ns", [*session_argv(given), "--read-only"])
    assert "--tls-ca-path /ca.pem --api-key k --grpc-meta a=1 --grpc-meta b=2 --tls --read-only" in command


def test_operator_commands_call_over_tls_too(home: Path, tls_front: TLSFront, certificates: Certificates) -> None:
    """Over a plain connection the operator commands call over the blocking transport; over
    TLS over grpcio's channel: the OperatorService, the WorkflowService and the health check."""
    tls = ["--address", tls_front.address, "--tls-ca-path", str(certificates.ca_path)]
    environment = {"HOME": str(home), "TEMPORAL_CONFIG_FILE": str(home / "temporal.toml")}
    listed = CliRunner().invoke(app, ["operator", "search-attribute", "list", *tls, "-o", "json"], env=environment)
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout)["systemAttributes"]["WorkflowType"] == "INDEXED_VALUE_TYPE_KEYWORD"
    health = CliRunner().invoke(app, ["operator", "cluster", "health", *tls], env=environment)
    assert (health.exit_code, health.stdout.strip()) == (0, "SERVING"), health.stderr
    system = CliRunner().invoke(app, ["operator", "cluster", "system", *tls], env=environment)
    assert system.exit_code == 0 and system.stdout.splitlines()[0].split()[0] == "ServerVersion", system.stderr
