"""`tempo env get|set|list|delete`: named sets of option values, in `temporal env`'s file.

`temporal` keeps them in ``~/.config/temporalio/temporal.yaml`` (``--env-file`` or
``TEMPORAL_ENV_FILE`` to choose another); the environment is ``--env``, else
``TEMPORAL_ENV``, else ``default``. The newer profiles file (`tempo config`) replaces
them in `temporal`; these commands keep the older files usable from both tools.

What each command does is `_lean_local`'s, which `tempo` runs without this app when it can.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tempo_cli import _env_file, _lean_local
from tempo_cli._context import CliContext, command, store_global_options
from tempo_cli._lean_local import AppOutput
from tempo_cli._usage_errors import OneLineUsageErrors

app = typer.Typer(
    help=(
        "Keep named environments of option values (address, namespace, tls-cert-path, ...) "
        "in the file `temporal env` uses.\n\n"
        "\b\nExamples:\n"
        "  tempo env set --env prod --key address --value prod.example.com:7233\n"
        "  tempo env get --env prod\n"
        "  tempo env list"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
app.callback()(store_global_options)

EnvOption = Annotated[
    str | None,
    typer.Option("--env", help="Environment name. Env: TEMPORAL_ENV. Default: default.", show_default=False),
]
EnvFileOption = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        help="Environments file. Env: TEMPORAL_ENV_FILE. Default: ~/.config/temporalio/temporal.yaml.",
        show_default=False,
    ),
]
KeyOption = Annotated[str | None, typer.Option("--key", "-k", help="Property name.", show_default=False)]


def _path(env_file: Path | None) -> str | None:
    """The environments file: --env-file, else TEMPORAL_ENV_FILE, else the default (None
    without a home)."""
    path = env_file or (Path(os.environ["TEMPORAL_ENV_FILE"]) if os.environ.get("TEMPORAL_ENV_FILE") else None)
    path = path or _env_file.default_env_file()
    return None if path is None else str(path)


@command(app, "get")
def get_env(cli: CliContext, env: EnvOption = None, key: KeyOption = None, env_file: EnvFileOption = None) -> None:
    """Show the properties of an environment, or one of them.

    \b
    Examples:
      tempo env get --env prod
      tempo env get --env prod --key address
    """
    _lean_local.get_env(AppOutput(cli), _path(env_file), env, key)


@command(app, "set")
def set_env(
    cli: CliContext,
    env: EnvOption = None,
    key: KeyOption = None,
    value: Annotated[str, typer.Option("--value", "-v", help="Property value.", show_default=False)] = "",
    env_file: EnvFileOption = None,
) -> None:
    """Set a property of an environment (made if missing).

    \b
    Examples:
      tempo env set --env prod --key tls-cert-path --value /certs/client.pem
    """
    _lean_local.set_env(AppOutput(cli), _path(env_file), env, key, value)


@command(app, "delete")
def delete_env(cli: CliContext, env: EnvOption = None, key: KeyOption = None, env_file: EnvFileOption = None) -> None:
    """Remove one property of an environment, or (without --key) the whole environment.

    \b
    Examples:
      tempo env delete --env prod --key tls-cert-path
      tempo env delete --env prod
    """
    _lean_local.delete_env(AppOutput(cli), _path(env_file), env, key)


@command(app, "list")
def list_envs(cli: CliContext, env_file: EnvFileOption = None) -> None:
    """List the environments.

    \b
    Examples:
      tempo env list -o json
    """
    _lean_local.list_envs(AppOutput(cli), _path(env_file))
