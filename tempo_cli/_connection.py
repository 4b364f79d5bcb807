"""The connection flags every server command takes, and how they combine with profiles.

The flags are the `temporal` CLI's (`temporal options` lists them). Where a connection
setting comes from, strongest first: the flag; its ``TEMPORAL_*`` variable; the
environment of the `temporal env` file (``--env``/``--env-file``), whose keys are flag names
and stand in for flags not given; the profile of the TOML profiles file (``--profile``,
``--config-file``), read by :mod:`sdk.envconfig` exactly as the official SDKs read it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the SDK (and grpc) load only when a command connects, not for --help
    from sdk.envconfig import ClientConfigProfile, DataSource

DEFAULT_ADDRESS_AND_NAMESPACE = ("127.0.0.1:7233", "default")


_VARIABLES = {
    "address": "TEMPORAL_ADDRESS",
    "namespace": "TEMPORAL_NAMESPACE",
    "tls": "TEMPORAL_TLS",
    "tls_cert_path": "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "tls_cert_data": "TEMPORAL_TLS_CLIENT_CERT_DATA",
    "tls_key_path": "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "tls_key_data": "TEMPORAL_TLS_CLIENT_KEY_DATA",
    "tls_ca_path": "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "tls_ca_data": "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
    "tls_server_name": "TEMPORAL_TLS_SERVER_NAME",
    "tls_disable_host_verification": "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
    "api_key": "TEMPORAL_API_KEY",
    "codec_endpoint": "TEMPORAL_CODEC_ENDPOINT",
    "codec_auth": "TEMPORAL_CODEC_AUTH",
    "profile": "TEMPORAL_PROFILE",
    "config_file": "TEMPORAL_CONFIG_FILE",
}
_BOOLEANS = {"tls", "tls_disable_host_verification", "disable_config_file", "disable_config_env"}
_TLS_FIELDS = (
    "tls_cert_path",
    "tls_cert_data",
    "tls_key_path",
    "tls_key_data",
    "tls_ca_path",
    "tls_ca_data",
    "tls_server_name",
    "tls_disable_host_verification",
)


@dataclass(frozen=True)
class Connection:
    """Where and how to connect: ``Client.connect(address, namespace=namespace, **options)``."""

    address: str
    namespace: str
    options: Mapping[str, Any] = field(default_factory=dict)
    profile: str | None = None
    """The profile asked for (by flag or TEMPORAL_PROFILE); None for the default one."""
    config_file: str | None = None
    """The profiles file asked for by flag; None for TEMPORAL_CONFIG_FILE or the default."""
    host_verification_off_asked: bool = False
    """TLS host-name verification was asked to be off, which gRPC for Python cannot do."""
    codec_endpoint: str | None = None
    """The codec server payloads go through (``--codec-endpoint``, or the profile's)."""
    codec_auth: str | None = None
    codec_headers: Mapping[str, str] = field(default_factory=dict)

    def data_converter(self) -> Any:
        """A ``DataConverter`` that encodes and decodes through the codec server, or None."""
        if not self.codec_endpoint:
            return None
        from tempo_cli._codec_http import remote_converter

        return remote_converter(self.codec_endpoint, self.namespace, self.codec_auth, self.codec_headers)


def given_with_env_file(given: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``given`` (option name → value or None), with the `temporal env` environment's values
    for options neither given nor set by their variable.

    Raises:
        ConfigError: The file is unreadable, or ``--env`` names an environment it lacks.
    """
    from sdk.envconfig import ConfigError
    from tempo_cli import _env_file

    environ = os.environ if environ is None else environ
    path_text = given.get("env_file") or environ.get("TEMPORAL_ENV_FILE")
    name = given.get("env") or environ.get("TEMPORAL_ENV")
    path = Path(path_text).expanduser() if path_text else _env_file.default_env_file()
    if path is None or not path.is_file():
        if path_text:
            raise ConfigError(f"environments file {path_text} not found")
        if name and name != "default":
            raise ConfigError(f"environment {name!r} not found: there is no environments file")
        return dict(given)
    try:
        environments = _env_file.read(path)
    except (OSError, _env_file.EnvFileError) as err:
        raise ConfigError(f"cannot read environments file {path}: {err}") from err
    values = environments.get(name or "default")
    if values is None:
        if name and name != "default":
            raise ConfigError(f"environment {name!r} not found in {path}")
        return dict(given)
    merged = dict(given)
    for key, value in values.items():
        option = key.replace("-", "_")
        if option not in merged or merged[option] not in (None, False, []):
            continue
        if option in _VARIABLES and environ.get(_VARIABLES[option]):
            continue
        if option in _BOOLEANS:
            merged[option] = value.strip().lower() in ("true", "1")
        elif option in ("grpc_meta", "codec_header"):
            merged[option] = [value]
        else:
            merged[option] = value
    return merged


def _source(path: str | None, data: str | None, flag: str) -> DataSource | None:
    from sdk.envconfig import ConfigError

    if path and data:
        raise ConfigError(f"give --{flag}-path or --{flag}-data, not both")
    if path:
        return Path(path).expanduser()
    return data or None


def _codec_headers(pairs: list[str]) -> dict[str, str]:
    from sdk.envconfig import ConfigError

    headers = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--codec-header {pair!r} is not KEY=VALUE")
        headers[key.strip()] = value
    return headers


def _grpc_meta(pairs: list[str]) -> dict[str, str]:
    from sdk.envconfig import ConfigError, normalize_grpc_meta_key

    meta = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--grpc-meta {pair!r} is not KEY=VALUE")
        meta[normalize_grpc_meta_key(key.strip())] = value
    return meta


def resolve_connection(
    given: Mapping[str, Any], *, default_address: str, default_namespace: str
) -> tuple[Connection, ClientConfigProfile]:
    """The connection ``given`` (address, namespace and the connection options) asks for.

    Raises:
        ConfigError: A file, profile or flag value says something impossible.
    """
    from sdk.envconfig import ClientConfigCodec, ClientConfigProfile, ClientConfigTLS, ConfigError

    flags = given_with_env_file(given)
    config_file = flags.get("config_file")
    profile = ClientConfigProfile.load(
        flags.get("profile"),
        config_source=Path(config_file).expanduser() if config_file else None,
        disable_file=bool(flags.get("disable_config_file")),
        disable_env=bool(flags.get("disable_config_env")),
    )
    tls = profile.tls
    if flags.get("tls") or any(flags.get(name) for name in _TLS_FIELDS):
        base = tls or ClientConfigTLS()
        tls = ClientConfigTLS(
            disabled=False,
            server_name=flags.get("tls_server_name") or base.server_name,
            server_root_ca_cert=_source(flags.get("tls_ca_path"), flags.get("tls_ca_data"), "tls-ca")
            or base.server_root_ca_cert,
            client_cert=_source(flags.get("tls_cert_path"), flags.get("tls_cert_data"), "tls-cert") or base.client_cert,
            client_private_key=_source(flags.get("tls_key_path"), flags.get("tls_key_data"), "tls-key")
            or base.client_private_key,
            disable_host_verification=bool(flags.get("tls_disable_host_verification"))
            or base.disable_host_verification,
        )
    codec = profile.codec
    if flags.get("codec_endpoint") or flags.get("codec_auth"):
        base_codec = codec or ClientConfigCodec()
        codec = ClientConfigCodec(
            flags.get("codec_endpoint") or base_codec.endpoint, flags.get("codec_auth") or base_codec.auth
        )
    profile = ClientConfigProfile(
        address=flags.get("address") or profile.address or default_address,
        namespace=flags.get("namespace") or profile.namespace or default_namespace,
        api_key=flags.get("api_key") or profile.api_key,
        tls=tls,
        codec=codec,
        grpc_meta={**profile.grpc_meta, **_grpc_meta(flags.get("grpc_meta") or [])},
    )
    try:
        options: dict[str, Any] = dict(profile.to_client_connect_config())
    except ValueError as err:  # a certificate without its key, and the like
        raise ConfigError(str(err)) from err
    address, namespace = options.pop("address"), options.pop("namespace")
    connection = Connection(
        address,
        namespace,
        options,
        profile=flags.get("profile") or os.environ.get("TEMPORAL_PROFILE"),
        config_file=config_file,
        host_verification_off_asked=bool(tls is not None and not tls.disabled and tls.disable_host_verification),
        codec_endpoint=codec.endpoint if codec is not None else None,
        codec_auth=codec.auth if codec is not None else None,
        codec_headers=_codec_headers(flags.get("codec_header") or []),
    )
    return connection, profile
