"""The profiles file and TEMPORAL_* variables: one file, written by `temporal`, read by us and
the official SDK alike, and the other way round."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import temporalio.envconfig
import temporalio.service

from sdk import Client
from sdk.envconfig import ClientConfig, ClientConfigProfile, ConfigError, TLSConfig
from tests.servers import temporal_binary

CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB"quoted"\tand tabbed\n-----END CERTIFICATE-----\n'


def temporal_config(config_file: Path, *args: str) -> str:
    """Run the real `temporal config ...` on ``config_file``; its stdout."""
    env = {"TEMPORAL_CONFIG_FILE": str(config_file), "PATH": "/usr/bin:/bin", "HOME": str(config_file.parent)}
    done = subprocess.run(
        [temporal_binary(), "config", *args], env=env, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout


@pytest.fixture(scope="module")
def written_by_temporal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A profiles file `temporal config set` wrote (the tests only read it)."""
    path = tmp_path_factory.mktemp("config") / "temporal.toml"
    for profile, prop, value in [
        ("default", "address", "localhost:7233"),
        ("default", "namespace", "orders"),
        ("prod", "address", "prod.example.com:7233"),
        ("prod", "namespace", "orders.a1b2c"),
        ("prod", "api_key", "secret-key"),
        ("prod", "grpc_meta.X_Team", "deliveries"),
        ("prod", "tls.server_ca_cert_data", CA_PEM),
        ("prod", "tls.server_name", "frontend.example.com"),
        ("prod", "codec.endpoint", "http://localhost:8888"),
        ("mtls", "address", "mtls.example.com:7233"),
        ("mtls", "tls.client_cert_path", str(path.parent / "client.pem")),
        ("mtls", "tls.client_key_path", str(path.parent / "client.key")),
        ("plain", "address", "plain.example.com:7233"),
        ("plain", "tls", "true"),
        ("plain", "tls.disabled", "true"),
    ]:
        temporal_config(path, "set", "--profile", profile, "--prop", prop, "--value", value)
    (path.parent / "client.pem").write_text("CLIENT CERT")
    (path.parent / "client.key").write_text("CLIENT KEY")
    return path


def official(profile: str | None, path: Path | None, env: dict[str, str]) -> dict[str, Any]:
    """What the official SDK makes of it, in our keyword names, for comparison."""
    config: dict[str, Any] = dict(
        temporalio.envconfig.ClientConfig.load_client_connect_config(
            profile, config_file=str(path) if path else None, override_env_vars=env
        )
    )
    if "target_host" in config:
        config["address"] = config.pop("target_host")
    tls = config.get("tls")
    if isinstance(tls, temporalio.service.TLSConfig):
        config["tls"] = TLSConfig(
            server_root_ca_cert=tls.server_root_ca_cert,
            domain=tls.domain,
            client_cert=tls.client_cert,
            client_private_key=tls.client_private_key,
        )
    return config


@pytest.mark.parametrize("profile", [None, "default", "prod", "mtls", "plain"])
def test_we_read_a_file_written_by_temporal_as_the_official_sdk_does(written_by_temporal: Path, profile: str) -> None:
    ours = ClientConfig.load_client_connect_config(profile, config_file=str(written_by_temporal), override_env_vars={})
    assert dict(ours) == official(profile, written_by_temporal, {})


def test_what_a_profile_holds(written_by_temporal: Path) -> None:
    prod = ClientConfig.load_client_connect_config("prod", config_file=str(written_by_temporal), override_env_vars={})
    assert prod == {
        "address": "prod.example.com:7233",
        "namespace": "orders.a1b2c",
        "api_key": "secret-key",
        "tls": TLSConfig(server_root_ca_cert=CA_PEM.encode(), domain="frontend.example.com"),
        "rpc_metadata": {"x-team": "deliveries"},
    }


@pytest.mark.parametrize(
    "env",
    [
        {"TEMPORAL_PROFILE": "prod"},
        {"TEMPORAL_PROFILE": "prod", "TEMPORAL_ADDRESS": "elsewhere:7233", "TEMPORAL_NAMESPACE": "other"},
        {"TEMPORAL_PROFILE": "prod", "TEMPORAL_TLS": "false", "TEMPORAL_GRPC_META_X_TEAM": ""},
        {"TEMPORAL_PROFILE": "plain", "TEMPORAL_TLS": "true", "TEMPORAL_TLS_SERVER_NAME": "sni.example"},
        {"TEMPORAL_API_KEY": "from-env", "TEMPORAL_GRPC_META_TENANT_ID": "t1"},
        {"TEMPORAL_TLS_SERVER_CA_CERT_DATA": "CA FROM ENV", "TEMPORAL_TLS_CLIENT_CERT_PATH": "/nonexistent/x"},
    ],
)
def test_the_environment_overrides_the_file_as_in_the_official_sdk(
    written_by_temporal: Path, env: dict[str, str]
) -> None:
    if "TEMPORAL_TLS_CLIENT_CERT_PATH" in env:
        # A missing file is an error for both; the path is read at connect time.
        with pytest.raises(ConfigError, match="/nonexistent/x"):
            ClientConfig.load_client_connect_config(config_file=str(written_by_temporal), override_env_vars=env)
        with pytest.raises(Exception):  # noqa: B017 - the official SDK raises a bare OSError
            official(None, written_by_temporal, env)
        return
    ours = ClientConfig.load_client_connect_config(config_file=str(written_by_temporal), override_env_vars=env)
    assert dict(ours) == official(None, written_by_temporal, env)


def test_the_file_comes_from_temporal_config_file(written_by_temporal: Path) -> None:
    env = {"TEMPORAL_CONFIG_FILE": str(written_by_temporal), "TEMPORAL_PROFILE": "mtls"}
    ours = ClientConfig.load_client_connect_config(override_env_vars=env)
    assert ours["address"] == "mtls.example.com:7233"
    assert dict(ours) == official(None, None, env)


def test_a_missing_profile_asked_for_is_an_error(written_by_temporal: Path) -> None:
    with pytest.raises(ConfigError, match="Profile 'staging' not found"):
        ClientConfigProfile.load("staging", config_source=written_by_temporal, override_env_vars={})
    with pytest.raises(ConfigError, match="Profile 'staging' not found"):
        ClientConfigProfile.load(config_source=written_by_temporal, override_env_vars={"TEMPORAL_PROFILE": "staging"})
    # No file, no default profile: nothing is set, and the connect defaults apply.
    assert ClientConfig.load_client_connect_config(override_env_vars={"TEMPORAL_CONFIG_FILE": "/nonexistent"}) == {}


def test_bad_files_and_settings_are_one_line_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[profile.default\naddress = 1\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        ClientConfig.load(config_source=broken)
    both = '[profile.default.tls]\nclient_cert_path = "a"\nclient_cert_data = "b"\n'
    with pytest.raises(ConfigError, match="Cannot specify both client_cert_path and client_cert_data"):
        ClientConfig.load(config_source=both)
    with pytest.raises(ConfigError, match="unknown key 'adress'"):
        ClientConfig.load(config_source='[profile.default]\nadress = "x"\n', config_file_strict=True)
    env = {"TEMPORAL_TLS_SERVER_CA_CERT_PATH": "a", "TEMPORAL_TLS_SERVER_CA_CERT_DATA": "b"}
    with pytest.raises(ConfigError, match="Cannot specify both"):
        ClientConfigProfile.load(disable_file=True, override_env_vars=env)


def test_we_write_the_file_byte_for_byte_as_temporal_does(written_by_temporal: Path) -> None:
    loaded = ClientConfig.load(config_source=written_by_temporal)
    assert loaded.to_toml() == written_by_temporal.read_text()


def test_temporal_reads_a_file_we_wrote(tmp_path: Path) -> None:
    path = tmp_path / "ours.toml"
    path.write_text(
        ClientConfig.from_dict(
            {
                "staging": {
                    "address": "staging:7233",
                    "api_key": "k",
                    "grpc_meta": {"Tenant_ID": "t1"},
                    "tls": {"server_ca_cert_data": CA_PEM, "server_name": "sni"},
                }
            }
        ).to_toml()
    )
    assert json.loads(temporal_config(path, "get", "--profile", "staging", "-o", "json")) == {
        "address": "staging:7233",
        "api_key": "k",
        "grpc_meta": {"tenant-id": "t1"},
        "tls": {"server_ca_cert_data": CA_PEM, "server_name": "sni"},
    }


async def test_a_client_connects_with_a_profile_temporal_wrote(server_address: str, tmp_path: Path) -> None:
    path = tmp_path / "temporal.toml"
    temporal_config(path, "set", "--profile", "local", "--prop", "address", "--value", server_address)
    temporal_config(path, "set", "--profile", "local", "--prop", "namespace", "--value", "default")
    env = {"TEMPORAL_CONFIG_FILE": str(path), "TEMPORAL_PROFILE": "local"}
    client = await Client.connect(**ClientConfig.load_client_connect_config(override_env_vars=env))
    try:
        assert (client.address, client.namespace) == (server_address, "default")
        assert await client.count_workflows() >= 0
    finally:
        await client.close()
