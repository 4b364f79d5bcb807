"""`tempo config ...` against `temporal config ...` on the same profiles file: the same bytes
written, the same JSON read back, the same refusals."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tempo_cli.main import app
from tests.cli.cli_results import one_line_error
from tests.servers import temporal_binary

PEM = '-----BEGIN CERTIFICATE-----\nMIIB"q"\n-----END CERTIFICATE-----\n'

EDITS: list[tuple[str, ...]] = [
    ("set", "--prop", "address", "--value", "localhost:7233"),
    ("set", "--profile", "prod", "--prop", "address", "--value", "prod.example.com:7233"),
    ("set", "--profile", "prod", "--prop", "namespace", "--value", "orders.a1b2c"),
    ("set", "--profile", "prod", "--prop", "api_key", "--value", "secret"),
    ("set", "--profile", "prod", "--prop", "grpc_meta.X_Team", "--value", "deliveries"),
    ("set", "--profile", "prod", "--prop", "tls.server_ca_cert_data", "--value", PEM),
    ("set", "--profile", "prod", "--prop", "tls.disable_host_verification", "--value", "true"),
    ("set", "--profile", "prod", "--prop", "codec.endpoint", "--value", "http://localhost:8888"),
    ("set", "--profile", "prod", "--prop", "codec.auth", "--value", "Bearer t"),
    ("set", "--profile", "only tls", "--prop", "tls", "--value", "true"),
    ("set", "--profile", "gone", "--prop", "address", "--value", "x:1"),
    ("delete", "--profile", "prod", "--prop", "codec.auth"),
    ("delete", "--profile", "prod", "--prop", "grpc_meta.x-team"),
    ("set", "--profile", "prod", "--prop", "tls.server_name", "--value", "frontend"),
    ("delete-profile", "--profile", "gone"),
]


def tempo(path: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["config", *args], env={"TEMPORAL_CONFIG_FILE": str(path), "TEMPORAL_PROFILE": ""})


def temporal(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"TEMPORAL_CONFIG_FILE": str(path), "HOME": str(path.parent), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [temporal_binary(), "config", *args], env=env, capture_output=True, text=True, timeout=30, check=False
    )


@pytest.fixture(scope="module")
def edited_by_both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same edits made by `tempo config` on one file and by `temporal config` on another."""
    directory = tmp_path_factory.mktemp("config")
    ours, theirs = directory / "tempo.toml", directory / "temporal.toml"
    for edit in EDITS:
        assert tempo(ours, *edit).exit_code == 0, edit
        assert temporal(theirs, *edit).returncode == 0, edit
    return ours, theirs


def test_the_same_edits_write_the_same_bytes(edited_by_both: tuple[Path, Path]) -> None:
    ours, theirs = edited_by_both
    assert ours.read_text() == theirs.read_text()
    assert "only tls" in ours.read_text() and "gone" not in ours.read_text()
    assert stat.S_IMODE(ours.stat().st_mode) == 0o600  # it may hold keys


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("get",),
        ("get", "--profile", "prod"),
        ("get", "--profile", "only tls"),
        ("get", "--profile", "prod", "--prop", "tls"),
        ("get", "--profile", "prod", "--prop", "tls.server_ca_cert_data"),
        ("get", "--profile", "prod", "--prop", "tls.client_key_data"),
        ("get", "--profile", "prod", "--prop", "tls.disable_host_verification"),
        ("get", "--profile", "prod", "--prop", "tls.disabled"),
        ("get", "--profile", "default", "--prop", "tls"),
        ("get", "--profile", "default", "--prop", "codec.endpoint"),
        ("get", "--profile", "prod", "--prop", "address"),
    ],
)
def test_json_output_is_temporals(edited_by_both: tuple[Path, Path], args: tuple[str, ...]) -> None:
    ours, _ = edited_by_both
    result = tempo(ours, *args, "-o", "json")
    assert result.exit_code == 0, result.stderr
    expected = temporal(ours, *args, "-o", "json")
    assert json.loads(result.stdout) == json.loads(expected.stdout)


@pytest.mark.parametrize(
    "args",
    [
        ("get", "--profile", "staging"),
        ("get", "--profile", "prod", "--prop", "bogus"),
        ("get", "--profile", "prod", "--prop", "grpc_meta"),
        ("get", "--profile", "prod", "--prop", "grpc_meta.nope"),
        ("set", "--profile", "prod", "--prop", "tls.disabled", "--value", "yes"),
        ("set", "--profile", "prod", "--prop", "nonsense", "--value", "1"),
        ("delete", "--profile", "prod", "--prop", "grpc_meta.nope"),
        ("delete", "--profile", "default", "--prop", "tls.server_name"),
        ("delete", "--profile", "default", "--prop", "codec.auth"),
        ("delete-profile",),
    ],
)
def test_refusals_say_what_temporal_says(edited_by_both: tuple[Path, Path], args: tuple[str, ...]) -> None:
    ours, _ = edited_by_both
    before = ours.read_text()
    expected = temporal(ours, *args)
    assert expected.returncode == 1
    assert one_line_error(tempo(ours, *args)) == expected.stderr.strip().removeprefix("Error: ")
    assert ours.read_text() == before


def test_text_output_lists_what_a_profile_sets(edited_by_both: tuple[Path, Path]) -> None:
    ours, _ = edited_by_both
    result = tempo(ours, "get", "--profile", "prod")
    assert result.exit_code == 0
    rows = [line.split(None, 1) for line in result.stdout.splitlines()]
    assert rows[0] == ["Property", "Value"]
    assert dict(rows[1:]) == {
        "address": "prod.example.com:7233",
        "api_key": "secret",
        "codec.endpoint": "http://localhost:8888",
        "namespace": "orders.a1b2c",
        "tls": "true",
        "tls.disable_host_verification": "true",
        "tls.server_ca_cert_data": f"bytes({base64.b64encode(PEM.encode()).decode()})",
        "tls.server_name": "frontend",
    }


def test_config_file_flag_and_profile_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "temporal.toml"
    result = CliRunner().invoke(
        app,
        ["config", "set", "--config-file", str(path), "--prop", "namespace", "--value", "ns"],
        env={"TEMPORAL_PROFILE": "from-env", "TEMPORAL_CONFIG_FILE": str(tmp_path / "unused.toml")},
    )
    assert result.exit_code == 0, result.stderr
    assert path.read_text() == '[profile]\n  [profile.from-env]\n    namespace = "ns"\n'
    assert not (tmp_path / "unused.toml").exists()
    assert json.loads(temporal(path, "get", "--profile", "from-env", "-o", "json").stdout) == {"namespace": "ns"}


def test_a_broken_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "temporal.toml"
    path.write_text("[profile.default\n")
    assert "is not valid TOML" in one_line_error(tempo(path, "list"))
