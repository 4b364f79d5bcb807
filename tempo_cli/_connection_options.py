"""The connection flags every server command takes, as Typer options (`temporal options`
lists them); what they mean and how they combine with profiles is `_connection`'s.

Kept apart so that `_connection`, which the commands use when they connect, does not
import Typer: the fast path of `tempo workflow ...` (`_fast_commands`) runs without it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

CONNECTION_PANEL = "Connection options"


def _option(flag: str, help: str, env: str | None = None, metavar: str | None = None) -> Any:
    text = f"{help} Env: {env}." if env else help
    return typer.Option(flag, help=text, metavar=metavar, show_default=False, rich_help_panel=CONNECTION_PANEL)


TlsOption = Annotated[
    bool | None,
    _option("--tls", "Enable TLS (on by itself with --api-key or any --tls-* option).", "TEMPORAL_TLS"),
]
TlsCertPathOption = Annotated[
    str | None,
    _option(
        "--tls-cert-path",
        "Path to the client's x509 certificate (mutual TLS).",
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        metavar="PATH",
    ),
]
TlsCertDataOption = Annotated[
    str | None,
    _option(
        "--tls-cert-data", "The client's x509 certificate, PEM inline.", "TEMPORAL_TLS_CLIENT_CERT_DATA", metavar="PEM"
    ),
]
TlsKeyPathOption = Annotated[
    str | None,
    _option(
        "--tls-key-path",
        "Path to the client certificate's private key.",
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
        metavar="PATH",
    ),
]
TlsKeyDataOption = Annotated[
    str | None,
    _option(
        "--tls-key-data",
        "The client certificate's private key, PEM inline.",
        "TEMPORAL_TLS_CLIENT_KEY_DATA",
        metavar="PEM",
    ),
]
TlsCaPathOption = Annotated[
    str | None,
    _option(
        "--tls-ca-path",
        "Path to the CA certificate the server's is checked with.",
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        metavar="PATH",
    ),
]
TlsCaDataOption = Annotated[
    str | None,
    _option(
        "--tls-ca-data", "The server's CA certificate, PEM inline.", "TEMPORAL_TLS_SERVER_CA_CERT_DATA", metavar="PEM"
    ),
]
TlsServerNameOption = Annotated[
    str | None,
    _option(
        "--tls-server-name", "Name the server's certificate must carry.", "TEMPORAL_TLS_SERVER_NAME", metavar="NAME"
    ),
]
TlsDisableHostVerificationOption = Annotated[
    bool | None,
    _option(
        "--tls-disable-host-verification",
        "Accepted for `temporal` compatibility; gRPC for Python always checks the name, "
        "so give --tls-server-name instead.",
        "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
    ),
]
ApiKeyOption = Annotated[
    str | None, _option("--api-key", "API key, sent as 'authorization: Bearer KEY'.", "TEMPORAL_API_KEY", metavar="KEY")
]
GrpcMetaOption = Annotated[
    list[str] | None,
    _option("--grpc-meta", "gRPC header for every request (KEY=VALUE, repeatable).", metavar="KEY=VALUE"),
]
CodecEndpointOption = Annotated[
    str | None,
    _option(
        "--codec-endpoint",
        "Codec server to decode payloads with before printing them (and encode inputs), e.g. "
        "http://127.0.0.1:8081 (see `tempo codec-server`).",
        "TEMPORAL_CODEC_ENDPOINT",
        metavar="URL",
    ),
]
CodecAuthOption = Annotated[
    str | None,
    _option(
        "--codec-auth",
        "Authorization header for codec server requests.",
        "TEMPORAL_CODEC_AUTH",
        metavar="VALUE",
    ),
]
CodecHeaderOption = Annotated[
    list[str] | None,
    _option("--codec-header", "HTTP header for codec server requests (KEY=VALUE, repeatable).", metavar="KEY=VALUE"),
]
ProfileOption = Annotated[
    str | None,
    _option("--profile", "Profile of the config file to use. Default: default.", "TEMPORAL_PROFILE", metavar="NAME"),
]
ConfigFileOption = Annotated[
    str | None,
    _option(
        "--config-file",
        "TOML profiles file. Default: ~/.config/temporalio/temporal.toml.",
        "TEMPORAL_CONFIG_FILE",
        metavar="PATH",
    ),
]
DisableConfigFileOption = Annotated[bool | None, _option("--disable-config-file", "Read no profiles file.")]
DisableConfigEnvOption = Annotated[
    bool | None, _option("--disable-config-env", "Read no TEMPORAL_* variable for the profile.")
]
EnvOption = Annotated[
    str | None,
    _option(
        "--env",
        "Environment of the --env-file whose values stand in for flags. Default: default.",
        "TEMPORAL_ENV",
        metavar="ENV",
    ),
]
EnvFileOption = Annotated[
    str | None,
    _option(
        "--env-file",
        "Environments file. Default: ~/.config/temporalio/temporal.yaml.",
        "TEMPORAL_ENV_FILE",
        metavar="PATH",
    ),
]

CONNECTION_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("tls", TlsOption),
    ("tls_cert_path", TlsCertPathOption),
    ("tls_cert_data", TlsCertDataOption),
    ("tls_key_path", TlsKeyPathOption),
    ("tls_key_data", TlsKeyDataOption),
    ("tls_ca_path", TlsCaPathOption),
    ("tls_ca_data", TlsCaDataOption),
    ("tls_server_name", TlsServerNameOption),
    ("tls_disable_host_verification", TlsDisableHostVerificationOption),
    ("api_key", ApiKeyOption),
    ("grpc_meta", GrpcMetaOption),
    ("codec_endpoint", CodecEndpointOption),
    ("codec_auth", CodecAuthOption),
    ("codec_header", CodecHeaderOption),
    ("profile", ProfileOption),
    ("config_file", ConfigFileOption),
    ("disable_config_file", DisableConfigFileOption),
    ("disable_config_env", DisableConfigEnvOption),
    ("env", EnvOption),
    ("env_file", EnvFileOption),
)
"""(name, annotation) of each connection option, in `temporal options`'s order."""

# The variable that outranks an environment file's value for the flag, as `temporal` has it.
