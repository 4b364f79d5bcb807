"""`tempo env get|set|list|delete`: named sets of option values, in `temporal env`'s file.

`temporal` keeps them in ``~/.config/temporalio/temporal.yaml`` (``--env-file`` or
``TEMPORAL_ENV_FILE`` to choose another); the environment is ``--env``, else
``TEMPORAL_ENV``, else ``default``. The newer profiles file (`tempo config`) replaces
them in `temporal`; these commands keep the older files usable from both tools.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tempo_cli import _env_file
from tempo_cli._context import CliContext, command, store_global_options
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


class EnvFile:
    """The environments file, the environment chosen, and the checks `temporal env` makes."""

    def __init__(self, cli: CliContext, env_file: Path | None, env: str | None, *, must_exist: bool) -> None:
        self.cli = cli
        path = env_file or (Path(os.environ["TEMPORAL_ENV_FILE"]) if os.environ.get("TEMPORAL_ENV_FILE") else None)
        path = path or _env_file.default_env_file()
        if path is None:
            cli.abort("unable to find place for env file (unknown HOME dir)")
        self.path = path
        self.name = env or os.environ.get("TEMPORAL_ENV") or "default"
        try:
            self.environments = _env_file.read(self.path)
        except _env_file.EnvFileError as err:
            cli.abort(str(err))
        if must_exist and self.name != "default" and self.name not in self.environments:
            cli.abort(f'environment "{self.name}" not found')

    def save(self) -> None:
        try:
            _env_file.write(self.path, self.environments)
        except OSError as err:
            self.cli.abort(f"cannot write {self.path}: {err.strerror}")


def _checked_key(cli: CliContext, key: str | None) -> str | None:
    if key is not None and "." in key:
        cli.abort("property name may not contain dots")
    return key


def _print(
    cli: CliContext, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]], json_keys: tuple[str, ...]
) -> None:
    if cli.json_mode:
        cli.write_json([dict(zip(json_keys, row, strict=True)) for row in rows])
        return
    table = Table(box=None)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    cli.print_table(table)


@command(app, "get")
def get_env(cli: CliContext, env: EnvOption = None, key: KeyOption = None, env_file: EnvFileOption = None) -> None:
    """Show the properties of an environment, or one of them.

    \b
    Examples:
      tempo env get --env prod
      tempo env get --env prod --key address
    """
    file = EnvFile(cli, env_file, env, must_exist=True)
    values = file.environments.get(file.name, {})
    wanted = _checked_key(cli, key)
    rows = [(wanted, values.get(wanted, ""))] if wanted else sorted(values.items())
    _print(cli, ("Property", "Value"), rows, ("property", "value"))


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
    file = EnvFile(cli, env_file, env, must_exist=False)
    name = _checked_key(cli, key)
    if not name:
        cli.abort("property name must be specified with -k")
    file.environments.setdefault(file.name, {})[name] = value
    file.save()


@command(app, "delete")
def delete_env(cli: CliContext, env: EnvOption = None, key: KeyOption = None, env_file: EnvFileOption = None) -> None:
    """Remove one property of an environment, or (without --key) the whole environment.

    \b
    Examples:
      tempo env delete --env prod --key tls-cert-path
      tempo env delete --env prod
    """
    file = EnvFile(cli, env_file, env, must_exist=True)
    name = _checked_key(cli, key)
    if name:
        file.environments.get(file.name, {}).pop(name, None)
    else:
        file.environments.pop(file.name, None)
    file.save()


@command(app, "list")
def list_envs(cli: CliContext, env_file: EnvFileOption = None) -> None:
    """List the environments.

    \b
    Examples:
      tempo env list -o json
    """
    file = EnvFile(cli, env_file, None, must_exist=False)
    _print(cli, ("Name",), [(name,) for name in sorted(file.environments)], ("name",))
