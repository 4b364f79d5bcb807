"""`tempo config get|set|list|delete|delete-profile`: the profiles file `temporal config` edits.

Same file (``--config-file``, else ``TEMPORAL_CONFIG_FILE``, else
``~/.config/temporalio/temporal.toml``), same properties, same JSON output and the same
bytes written, so `tempo`, `temporal` and the official SDKs can take turns with one file.
The file's format and reading are in :mod:`sdk.envconfig`.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tempo_cli._context import CliContext, command, store_global_options
from tempo_cli._usage_errors import OneLineUsageErrors

app = typer.Typer(
    help=(
        "Edit connection profiles in the TOML file that `temporal`, the official SDKs and Tempo "
        "share (--config-file, else TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml). "
        "The profile is --profile, else TEMPORAL_PROFILE, else default.\n\n"
        "\b\nExamples:\n"
        "  tempo config set --profile prod --prop address --value my-ns.a1b2c.tmprl.cloud:7233\n"
        "  tempo config set --profile prod --prop api_key --value KEY\n"
        "  tempo config get --profile prod\n"
        "  tempo config list"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
app.callback()(store_global_options)

ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", help="Profile to use. Env: TEMPORAL_PROFILE. Default: default.", show_default=False),
]
ConfigFileOption = Annotated[
    Path | None,
    typer.Option("--config-file", help="TOML config file path. Env: TEMPORAL_CONFIG_FILE.", show_default=False),
]

# The properties `temporal config` knows, and what kind of value each holds.
_STRING, _BOOL, _BYTES, _PRESENCE = "string", "bool", "bytes", "presence"
PROPERTIES = {
    "address": _STRING,
    "namespace": _STRING,
    "api_key": _STRING,
    "tls": _PRESENCE,
    "tls.disabled": _BOOL,
    "tls.client_cert_path": _STRING,
    "tls.client_cert_data": _BYTES,
    "tls.client_key_path": _STRING,
    "tls.client_key_data": _BYTES,
    "tls.server_ca_cert_path": _STRING,
    "tls.server_ca_cert_data": _BYTES,
    "tls.server_name": _STRING,
    "tls.disable_host_verification": _BOOL,
    "codec.endpoint": _STRING,
    "codec.auth": _STRING,
}
_META = "grpc_meta."
_ZERO = {_STRING: "", _BOOL: False, _BYTES: None, _PRESENCE: False}


class ProfilesFile:
    """The profiles file as plain tables (profile name to its TOML table), and where it is."""

    def __init__(self, cli: CliContext, config_file: Path | None, profile: str | None) -> None:
        from sdk.envconfig import ClientConfig, ConfigError, config_file_path

        self.cli = cli
        self.path = config_file or config_file_path(os.environ)
        self.explicit_profile = profile
        self.profile_name = profile or os.environ.get("TEMPORAL_PROFILE") or "default"
        try:
            self.profiles = ClientConfig.load(config_source=self.path).to_dict()
        except ConfigError as err:
            cli.abort(str(err))

    def profile(self, *, create: bool = False) -> dict[str, Any]:
        """The chosen profile's table; a missing one is an error unless ``create``."""
        if self.profile_name not in self.profiles:
            if not create:
                self.cli.abort(f'profile "{self.profile_name}" not found')
            self.profiles[self.profile_name] = {}
        return self.profiles[self.profile_name]

    def save(self) -> None:
        """Write the file as `temporal config` writes it (private: it may hold keys)."""
        from sdk.envconfig import ClientConfig, ConfigError

        try:
            text = ClientConfig.from_dict(self.profiles).to_toml()
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(text)
        except ConfigError as err:
            self.cli.abort(str(err))
        except OSError as err:
            self.cli.abort(f"cannot write {self.path}: {err.strerror}")


def _split(cli: CliContext, prop: str) -> tuple[str | None, str, str]:
    """(parent table or None, key, kind) of a known property; an unknown one is an error."""
    kind = PROPERTIES.get(prop)
    if kind is None:
        cli.abort(f'unknown property "{prop}"')
    parent, _, key = prop.rpartition(".")
    return parent or None, key, kind


def _value(profile: dict[str, Any], prop: str, kind: str) -> Any:
    if kind == _PRESENCE:
        return prop in profile
    parent, _, key = prop.rpartition(".")
    table = profile.get(parent, {}) if parent else profile
    value = table.get(key)
    if value is None:
        return _ZERO[kind]
    return value.encode() if kind == _BYTES else value


def _shown(value: Any, json_mode: bool) -> Any:
    """A value as `temporal config get` shows it: data as base64 (``bytes(...)`` in text)."""
    if isinstance(value, bytes) or value is None:
        encoded = base64.b64encode(value or b"").decode()
        return (encoded if value is not None else None) if json_mode else f"bytes({encoded})"
    if isinstance(value, bool) and not json_mode:
        return "true" if value else "false"
    return value


def _sorted(table: dict[str, Any]) -> dict[str, Any]:
    """Keys in order at every level, as `temporal` prints its tables."""
    return {key: _sorted(value) if isinstance(value, dict) else value for key, value in sorted(table.items())}


def _print_rows(cli: CliContext, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    table = Table(box=None)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    cli.print_table(table)


@command(app, "get")
def get_property(
    cli: CliContext,
    prop: Annotated[
        str | None, typer.Option("--prop", "-p", help="Specific property to get.", show_default=False)
    ] = None,
    profile: ProfileOption = None,
    config_file: ConfigFileOption = None,
) -> None:
    """Show one property of a profile, or all it sets.

    \b
    Examples:
      tempo config get --profile prod --prop address
      tempo config get --profile prod -o json
    """
    file = ProfilesFile(cli, config_file, profile)
    table = file.profile()
    if prop is not None:
        if prop in ("codec", "grpc_meta"):
            cli.abort("must provide exact property, not parent property")
        if prop.startswith(_META):
            meta = table.get("grpc_meta", {})
            if prop[len(_META) :] not in meta:
                cli.abort(f'unknown property "{prop}"')
            value: Any = meta[prop[len(_META) :]]
        else:
            _split(cli, prop)
            value = _value(table, prop, PROPERTIES[prop])
        if cli.json_mode:
            cli.write_json({"property": prop, "value": _shown(value, True)})
        else:
            _print_rows(cli, ("Property", "Value"), [(prop, _shown(value, False))])
        return
    if cli.json_mode:
        cli.write_json(_sorted(table))
        return
    rows = [
        (name, _shown(value, False))
        for name, kind in PROPERTIES.items()
        if (value := _value(table, name, kind)) not in ("", False, None, b"")
    ]
    rows += [(f"{_META}{key}", value) for key, value in table.get("grpc_meta", {}).items()]
    _print_rows(cli, ("Property", "Value"), sorted(rows))


@command(app, "set")
def set_property(
    cli: CliContext,
    prop: Annotated[str, typer.Option("--prop", "-p", help="Property name.", show_default=False)],
    value: Annotated[str, typer.Option("--value", "-v", help="Property value.", show_default=False)],
    profile: ProfileOption = None,
    config_file: ConfigFileOption = None,
) -> None:
    """Set a property of a profile (made if missing) and save the file.

    Properties: address, namespace, api_key, tls (true/false), tls.disabled,
    tls.client_cert_path|data, tls.client_key_path|data, tls.server_ca_cert_path|data,
    tls.server_name, tls.disable_host_verification, codec.endpoint, codec.auth, and
    grpc_meta.<header>.

    \b
    Examples:
      tempo config set --profile prod --prop tls.client_cert_path --value client.pem
      tempo config set --profile prod --prop grpc_meta.my-header --value VALUE
    """
    file = ProfilesFile(cli, config_file, profile)
    table = file.profile(create=True)
    if prop.startswith(_META):
        table.setdefault("grpc_meta", {})[prop[len(_META) :]] = value
    else:
        parent, key, kind = _split(cli, prop)
        if kind in (_BOOL, _PRESENCE) and value not in ("true", "false"):
            cli.abort("must be 'true' or 'false' to set this property")
        if kind == _PRESENCE:
            if value == "true":
                table.setdefault("tls", {})
            else:
                table.pop("tls", None)
        else:
            target = table.setdefault(parent, {}) if parent else table
            target[key] = value == "true" if kind == _BOOL else value
    file.save()


@command(app, "delete")
def delete_property(
    cli: CliContext,
    prop: Annotated[str, typer.Option("--prop", "-p", help="Specific property to delete.", show_default=False)],
    profile: ProfileOption = None,
    config_file: ConfigFileOption = None,
) -> None:
    """Remove a property from a profile and save the file.

    \b
    Examples:
      tempo config delete --profile prod --prop tls.client_cert_path
    """
    file = ProfilesFile(cli, config_file, profile)
    table = file.profile()
    if prop.startswith(_META):
        key = prop[len(_META) :]
        if key not in table.get("grpc_meta", {}):
            cli.abort(f'gRPC meta key "{key}" not found')
        del table["grpc_meta"][key]
    else:
        parent, key, kind = _split(cli, prop)
        if kind == _PRESENCE:
            table.pop("tls", None)
        elif parent is not None:
            if parent not in table:
                cli.abort("no TLS options found" if parent == "tls" else "no codec options found")
            table[parent].pop(key, None)
        else:
            table.pop(key, None)
    file.save()


@command(app, "delete-profile")
def delete_profile(cli: CliContext, profile: ProfileOption = None, config_file: ConfigFileOption = None) -> None:
    """Remove a whole profile; --profile must be given, so `default` is never removed by accident.

    \b
    Examples:
      tempo config delete-profile --profile staging
    """
    file = ProfilesFile(cli, config_file, profile)
    file.profile()
    if file.explicit_profile is None:
        cli.abort("to delete an entire profile, --profile must be provided explicitly")
    del file.profiles[file.profile_name]
    file.save()


@command(app, "list")
def list_profiles(cli: CliContext, config_file: ConfigFileOption = None) -> None:
    """List the profiles in the file.

    \b
    Examples:
      tempo config list
      tempo config list -o json
    """
    names = sorted(ProfilesFile(cli, config_file, None).profiles)
    if cli.json_mode:
        cli.write_json([{"name": name} for name in names])
    else:
        _print_rows(cli, ("Name",), [(name,) for name in names])
