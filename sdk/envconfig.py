"""Connection settings from the profiles file and the environment, as Temporal defines them.

One TOML file serves the official SDKs, the ``temporal`` CLI and Tempo alike. It is
``$TEMPORAL_CONFIG_FILE``, or else ``temporalio/temporal.toml`` in the user's config directory
(``~/.config`` on Linux, ``~/Library/Application Support`` on macOS, ``%APPDATA%`` on
Windows)::

    [profile.default]
    address = "localhost:7233"
    namespace = "default"

    [profile.prod]
    address = "my-ns.a1b2c.tmprl.cloud:7233"
    namespace = "my-ns.a1b2c"
    api_key = "..."
    [profile.prod.tls]                  # present: TLS on (also implied by api_key)
    server_ca_cert_path = "/etc/ca.pem" # each of ca/cert/key as *_path or *_data
    client_cert_path = "/etc/client.pem"
    client_key_path = "/etc/client.key"
    server_name = "frontend.internal"
    [profile.prod.grpc_meta]
    my-header = "value"

A profile is chosen by name, else ``$TEMPORAL_PROFILE``, else ``default``. The environment
then overrides it: ``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``,
``TEMPORAL_TLS`` (true/false), ``TEMPORAL_TLS_CLIENT_CERT_PATH``/``_DATA``,
``TEMPORAL_TLS_CLIENT_KEY_PATH``/``_DATA``, ``TEMPORAL_TLS_SERVER_CA_CERT_PATH``/``_DATA``,
``TEMPORAL_TLS_SERVER_NAME``, ``TEMPORAL_TLS_DISABLE_HOST_VERIFICATION``,
``TEMPORAL_CODEC_ENDPOINT``, ``TEMPORAL_CODEC_AUTH`` and ``TEMPORAL_GRPC_META_<NAME>``.

Example:
    ```python
    config = ClientConfig.load_client_connect_config()  # or ("prod")
    client = await Client.connect(**config)
    ```

The names are those of the official SDK's ``temporalio.envconfig``; the connect settings use
the key ``address`` (this SDK's name for the official ``target_host``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from sdk._connect_options import TLSConfig
from sdk._toml_text import dump_toml

__all__ = [
    "ClientConfig",
    "ClientConfigCodec",
    "ClientConfigProfile",
    "ClientConfigTLS",
    "ClientConnectConfig",
    "ConfigError",
    "DataSource",
    "TLSConfig",
    "default_config_file",
    "dump_toml",
]

DEFAULT_PROFILE = "default"

DataSource = Path | str | bytes
"""A certificate or key: a :class:`~pathlib.Path` to read, or the PEM itself (str or bytes)."""

_TLS_VARIABLES = (
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_CERT_DATA",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_DATA",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
    "TEMPORAL_TLS_SERVER_NAME",
    "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
)
_GRPC_META_PREFIX = "TEMPORAL_GRPC_META_"
_PROFILE_KEYS = {"address", "namespace", "api_key", "tls", "codec", "grpc_meta"}
_TLS_KEYS = {
    "disabled",
    "client_cert_path",
    "client_cert_data",
    "client_key_path",
    "client_key_data",
    "server_ca_cert_path",
    "server_ca_cert_data",
    "server_name",
    "disable_host_verification",
}
_CODEC_KEYS = {"endpoint", "auth"}


class ConfigError(ValueError):
    """The profiles file or the environment says something impossible (a one-line message)."""


class ClientConnectConfig(TypedDict, total=False):
    """Keyword arguments of :meth:`sdk.client.Client.connect` that configuration can set."""

    address: str
    namespace: str
    api_key: str
    tls: bool | TLSConfig
    rpc_metadata: Mapping[str, str]


def default_config_file() -> Path:
    """Where the profiles file is when ``TEMPORAL_CONFIG_FILE`` does not say."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "temporalio" / "temporal.toml"


def config_file_path(env: Mapping[str, str]) -> Path:
    """The profiles file: ``TEMPORAL_CONFIG_FILE`` if set and not empty, else the default."""
    return Path(env["TEMPORAL_CONFIG_FILE"]) if env.get("TEMPORAL_CONFIG_FILE") else default_config_file()


def normalize_grpc_meta_key(key: str) -> str:
    """Header names as all Temporal tools store them: lower case, ``-`` for ``_``."""
    return key.lower().replace("_", "-")


def _source(path: Any, data: Any, what: str) -> DataSource | None:
    if path is not None and data is not None:
        raise ConfigError(f"Cannot specify both {what}_path and {what}_data")
    if path:
        return Path(path)
    if data:
        return str(data)
    return None


def _read(source: DataSource | None) -> bytes | None:
    if source is None:
        return None
    if isinstance(source, Path):
        try:
            return source.read_bytes()
        except OSError as err:
            raise ConfigError(f"cannot read {source}: {err.strerror}") from None
    return source.encode() if isinstance(source, str) else source


def _source_into(d: dict[str, Any], what: str, source: DataSource | None) -> None:
    if isinstance(source, Path):
        d[f"{what}_path"] = str(source)
    elif source is not None:
        d[f"{what}_data"] = source.decode() if isinstance(source, bytes) else source


def _truth(value: str) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get(value.lower())


@dataclass(frozen=True)
class ClientConfigTLS:
    """The ``tls`` table of a profile. Its presence turns TLS on, unless ``disabled``."""

    disabled: bool | None = None
    server_name: str | None = None
    server_root_ca_cert: DataSource | None = None
    client_cert: DataSource | None = None
    client_private_key: DataSource | None = None
    disable_host_verification: bool = False
    """Kept for the other tools; gRPC for Python has no way to skip the check, so
    :meth:`to_connect_tls_config` cannot honour it."""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ClientConfigTLS:
        """From the TOML table."""
        return cls(
            disabled=d.get("disabled"),
            server_name=d.get("server_name") or None,
            server_root_ca_cert=_source(d.get("server_ca_cert_path"), d.get("server_ca_cert_data"), "server_ca_cert"),
            client_cert=_source(d.get("client_cert_path"), d.get("client_cert_data"), "client_cert"),
            client_private_key=_source(d.get("client_key_path"), d.get("client_key_data"), "client_key"),
            disable_host_verification=bool(d.get("disable_host_verification", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The TOML table (what is not set is left out, as the other tools write it)."""
        d: dict[str, Any] = {}
        if self.disabled:
            d["disabled"] = True
        _source_into(d, "client_cert", self.client_cert)
        _source_into(d, "client_key", self.client_private_key)
        _source_into(d, "server_ca_cert", self.server_root_ca_cert)
        if self.server_name:
            d["server_name"] = self.server_name
        if self.disable_host_verification:
            d["disable_host_verification"] = True
        return d

    def to_connect_tls_config(self) -> bool | TLSConfig:
        """``tls=`` for :meth:`sdk.client.Client.connect`: False if disabled, else the TLS asked for."""
        if self.disabled:
            return False
        return TLSConfig(
            server_root_ca_cert=_read(self.server_root_ca_cert),
            domain=self.server_name,
            client_cert=_read(self.client_cert),
            client_private_key=_read(self.client_private_key),
        )


@dataclass(frozen=True)
class ClientConfigCodec:
    """The ``codec`` table: a remote codec server that decodes payloads for display."""

    endpoint: str | None = None
    auth: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The TOML table."""
        return {key: value for key, value in (("auth", self.auth), ("endpoint", self.endpoint)) if value}


@dataclass(frozen=True)
class ClientConfigProfile:
    """One profile: where and how to connect."""

    address: str | None = None
    namespace: str | None = None
    api_key: str | None = None
    tls: ClientConfigTLS | None = None
    codec: ClientConfigCodec | None = None
    grpc_meta: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, strict: bool = False) -> ClientConfigProfile:
        """From a ``[profile.NAME]`` table; ``strict`` refuses keys no Temporal tool knows."""
        if strict:
            _refuse_unknown(d, _PROFILE_KEYS, "profile")
            _refuse_unknown(d.get("tls") or {}, _TLS_KEYS, "tls")
            _refuse_unknown(d.get("codec") or {}, _CODEC_KEYS, "codec")
        tls, codec = d.get("tls"), d.get("codec")
        return cls(
            address=d.get("address") or None,
            namespace=d.get("namespace") or None,
            api_key=d.get("api_key") or None,
            tls=ClientConfigTLS.from_dict(tls) if isinstance(tls, Mapping) else None,
            codec=ClientConfigCodec(codec.get("endpoint") or None, codec.get("auth") or None)
            if isinstance(codec, Mapping)
            else None,
            grpc_meta={normalize_grpc_meta_key(k): str(v) for k, v in (d.get("grpc_meta") or {}).items()},
        )

    def to_dict(self) -> dict[str, Any]:
        """The TOML table; an empty ``tls`` or ``codec`` table is kept, as it means something."""
        d: dict[str, Any] = {}
        for key in ("address", "namespace", "api_key"):
            if value := getattr(self, key):
                d[key] = value
        if self.tls is not None:
            d["tls"] = self.tls.to_dict()
        if self.codec is not None:
            d["codec"] = self.codec.to_dict()
        if self.grpc_meta:
            d["grpc_meta"] = dict(self.grpc_meta)
        return d

    def apply_env(self, env: Mapping[str, str]) -> ClientConfigProfile:
        """This profile with the environment's ``TEMPORAL_*`` settings laid over it."""
        tls = ClientConfigTLS() if self.tls is None and any(v in env for v in _TLS_VARIABLES) else self.tls
        if tls is not None:
            disabled = tls.disabled
            if (on := _truth(env.get("TEMPORAL_TLS", ""))) is not None:
                disabled = not on
            host_check = _truth(env.get("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", ""))
            tls = ClientConfigTLS(
                disabled=disabled,
                server_name=env.get("TEMPORAL_TLS_SERVER_NAME", tls.server_name),
                server_root_ca_cert=_env_source(env, "SERVER_CA_CERT", "server CA cert", tls.server_root_ca_cert),
                client_cert=_env_source(env, "CLIENT_CERT", "cert", tls.client_cert),
                client_private_key=_env_source(env, "CLIENT_KEY", "key", tls.client_private_key),
                disable_host_verification=tls.disable_host_verification if host_check is None else host_check,
            )
        codec = self.codec
        if codec is not None or "TEMPORAL_CODEC_ENDPOINT" in env or "TEMPORAL_CODEC_AUTH" in env:
            codec = codec or ClientConfigCodec()
            codec = ClientConfigCodec(
                env.get("TEMPORAL_CODEC_ENDPOINT", codec.endpoint), env.get("TEMPORAL_CODEC_AUTH", codec.auth)
            )
        meta = dict(self.grpc_meta)
        for variable, value in env.items():
            if variable.startswith(_GRPC_META_PREFIX):
                name = normalize_grpc_meta_key(variable[len(_GRPC_META_PREFIX) :])
                if value:
                    meta[name] = value
                else:  # an empty variable takes a header of the file away
                    meta.pop(name, None)
        return ClientConfigProfile(
            address=env.get("TEMPORAL_ADDRESS", self.address),
            namespace=env.get("TEMPORAL_NAMESPACE", self.namespace),
            api_key=env.get("TEMPORAL_API_KEY", self.api_key),
            tls=tls,
            codec=codec,
            grpc_meta=meta,
        )

    def to_client_connect_config(self) -> ClientConnectConfig:
        """Keyword arguments for :meth:`sdk.client.Client.connect` (only what is set)."""
        config = ClientConnectConfig()
        if self.address:
            config["address"] = self.address
        if self.namespace is not None:
            config["namespace"] = self.namespace
        if self.api_key is not None:
            config["api_key"] = self.api_key
            config["tls"] = True  # an API key is never sent in the clear
        if self.tls is not None:
            config["tls"] = self.tls.to_connect_tls_config()
        if self.grpc_meta:
            config["rpc_metadata"] = dict(self.grpc_meta)
        return config

    @staticmethod
    def load(
        profile: str | None = None,
        *,
        config_source: DataSource | None = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConfigProfile:
        """One profile from the file, with the environment laid over it.

        Args:
            profile: The profile's name; else ``TEMPORAL_PROFILE``, else ``default``. A
                profile asked for by name must exist; a missing ``default`` is empty.
            config_source: The file (a Path) or its TOML text (str or bytes) instead of
                ``TEMPORAL_CONFIG_FILE`` or the default file.
            disable_file: Read no file.
            disable_env: Read no ``TEMPORAL_*`` variable.
            config_file_strict: Refuse keys no Temporal tool knows.
            override_env_vars: The variables to use instead of the process's environment.

        Raises:
            ConfigError: The file is not valid, the profile is missing, or a setting is
                given both as a path and as data.
        """
        if disable_file and disable_env:
            raise ConfigError("Cannot disable both file and environment loading")
        env = dict(os.environ if override_env_vars is None else override_env_vars)
        loaded = ClientConfigProfile()
        if not disable_file:
            config = ClientConfig.load(
                config_source=config_source, config_file_strict=config_file_strict, override_env_vars=env
            )
            name = profile or (None if disable_env else env.get("TEMPORAL_PROFILE")) or None
            if name is not None and name not in config.profiles:
                raise ConfigError(f"Profile '{name}' not found")
            loaded = config.profiles.get(name or DEFAULT_PROFILE, loaded)
        # An API key without a tls table still means TLS: to_client_connect_config says so.
        return loaded.apply_env(env) if not disable_env else loaded


def _env_source(env: Mapping[str, str], name: str, what: str, current: DataSource | None) -> DataSource | None:
    path_var, data_var = f"TEMPORAL_TLS_{name}_PATH", f"TEMPORAL_TLS_{name}_DATA"
    path, data = env.get(path_var), env.get(data_var)
    if path is not None and data is not None:
        raise ConfigError(f"Cannot specify both {path_var} and {data_var}")
    if path is not None:
        if current is not None and not isinstance(current, Path):
            raise ConfigError(f"Cannot specify {what} path via {path_var} when {what} data is already specified")
        return Path(path)
    if data is not None:
        if isinstance(current, Path):
            raise ConfigError(f"Cannot specify {what} data via {data_var} when {what} path is already specified")
        return data
    return current


def _refuse_unknown(d: Mapping[str, Any], known: set[str], where: str) -> None:
    for key in d:
        if key not in known:
            raise ConfigError(f"unknown key {key!r} in {where}")


@dataclass
class ClientConfig:
    """Every profile of a profiles file."""

    profiles: Mapping[str, ClientConfigProfile]

    @classmethod
    def from_dict(cls, d: Mapping[str, Mapping[str, Any]], *, strict: bool = False) -> ClientConfig:
        """From the ``profile`` table of the file (profile name to its table)."""
        return cls({name: ClientConfigProfile.from_dict(p, strict=strict) for name, p in d.items()})

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Profile name to its TOML table."""
        return {name: profile.to_dict() for name, profile in self.profiles.items()}

    def to_toml(self) -> str:
        """The file's text, laid out as the ``temporal`` CLI writes it."""
        return dump_toml({"profile": self.to_dict()})

    @staticmethod
    def load(
        *,
        config_source: DataSource | None = None,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Every profile of the file, without environment overrides; no file is no profiles.

        Args:
            config_source: The file (a Path) or its TOML text (str or bytes); else
                ``TEMPORAL_CONFIG_FILE`` (from ``override_env_vars`` or the process's
                environment), else :func:`default_config_file`.
            config_file_strict: Refuse keys no Temporal tool knows.
            override_env_vars: The variables to use instead of the process's environment.
        """
        if isinstance(config_source, bytes | str):
            text = config_source.decode() if isinstance(config_source, bytes) else config_source
            where = "the configuration"
        else:
            path = config_source or config_file_path(os.environ if override_env_vars is None else override_env_vars)
            try:
                text = path.read_text()
            except FileNotFoundError:
                return ClientConfig({})
            except (OSError, UnicodeDecodeError) as err:
                raise ConfigError(f"cannot read {path}: {err}") from None
            where = str(path)
        import tomllib  # only with a file to read: 2 ms of every `tempo` command otherwise

        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{where} is not valid TOML: {err}") from None
        if config_file_strict:
            _refuse_unknown(document, {"profile"}, "the file")
        return ClientConfig.from_dict(document.get("profile") or {}, strict=config_file_strict)

    @staticmethod
    def load_client_connect_config(
        profile: str | None = None,
        *,
        config_file: str | None = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConnectConfig:
        """The keyword arguments of :meth:`sdk.client.Client.connect` for a profile.

        Precedence, as in every Temporal tool: the environment over the profile's file;
        what neither sets keeps :meth:`~sdk.client.Client.connect`'s defaults. Arguments are
        those of :meth:`ClientConfigProfile.load` (``config_file``: a path to the file).
        """
        return ClientConfigProfile.load(
            profile,
            config_source=Path(config_file) if config_file and not disable_file else None,
            disable_file=disable_file,
            disable_env=disable_env,
            config_file_strict=config_file_strict,
            override_env_vars=override_env_vars,
        ).to_client_connect_config()
