"""`tempo config get|set|list|delete|delete-profile`: the profiles file `temporal config` edits.

Same file (``--config-file``, else ``TEMPORAL_CONFIG_FILE``, else
``~/.config/temporalio/temporal.toml``), same properties, same JSON output and the same
bytes written, so `tempo`, `temporal` and the official SDKs can take turns with one file.
The file's format and reading are in :mod:`sdk.envconfig`; what each command does is
`_lean_local`'s, which `tempo` runs without this app when it can.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tempo_cli import _lean_local
from tempo_cli._context import CliContext, command, store_global_options
from tempo_cli._lean_local import AppOutput, ProfilesFile, ProfilesStore
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


def _profiles_file(cli: CliContext, config_file: Path | None, profile: str | None) -> ProfilesFile:
    """The profiles file (--config-file, else TEMPORAL_CONFIG_FILE, else the default), read and
    written by `sdk.envconfig` as the official SDKs read and write it."""
    from sdk.envconfig import ClientConfig, ConfigError, config_file_path

    path = config_file or config_file_path(os.environ)
    store = ProfilesStore(
        lambda path: ClientConfig.load(config_source=Path(path)).to_dict(),
        lambda profiles: ClientConfig.from_dict(profiles).to_toml(),
        ConfigError,
    )
    return ProfilesFile(AppOutput(cli), str(path), profile, store)


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
    _lean_local.get_property(_profiles_file(cli, config_file, profile), prop)


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
    _lean_local.set_property(_profiles_file(cli, config_file, profile), prop, value)


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
    _lean_local.delete_property(_profiles_file(cli, config_file, profile), prop)


@command(app, "delete-profile")
def delete_profile(cli: CliContext, profile: ProfileOption = None, config_file: ConfigFileOption = None) -> None:
    """Remove a whole profile; --profile must be given, so `default` is never removed by accident.

    \b
    Examples:
      tempo config delete-profile --profile staging
    """
    _lean_local.delete_profile(_profiles_file(cli, config_file, profile))


@command(app, "list")
def list_profiles(cli: CliContext, config_file: ConfigFileOption = None) -> None:
    """List the profiles in the file.

    \b
    Examples:
      tempo config list
      tempo config list -o json
    """
    _lean_local.list_profiles(_profiles_file(cli, config_file, None))
