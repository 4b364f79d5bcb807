"""`tempo`: the root command. Sub-apps live one per module and are mounted here.

They are mounted by module name and built when used (`_lazy_groups`): `tempo workflow list`
imports the workflow group's module and builds the `list` command only. The entry point
`tempo` is `tempo_cli.entry:main` (fast paths first); `python -m tempo_cli.main` takes it too.
"""

from __future__ import annotations

import os
from typing import Any

if __name__ == "__main__":  # `python -m tempo_cli.main`: as the `tempo` entry point runs it
    from tempo_cli.entry import main as entry_main

    entry_main()
    raise SystemExit(0)

# gRPC's C core logs its own errors to stderr (e.g. a port in use) next to our one-line
# messages; users who want them can still set GRPC_VERBOSITY themselves.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import typer

from tempo_cli import _plain_values
from tempo_cli._lazy_groups import LazyCommands, Settings, module_command, module_group
from tempo_cli._usage_errors import OneLineUsageErrors

_plain_values.install()

SETTINGS = Settings(rich_markup_mode=None)

# In the order `tempo --help` lists them: the commands, then the groups.
COMMANDS = {
    "create": ("tempo_cli.create", "create"),
    "tui": ("tempo_cli.tui.command", "tui"),
    "codec-server": ("tempo_cli.codec_server", "codec_server"),
}
GROUPS = {  # name -> the module whose Typer `app` it is
    "server": "tempo_cli.server",
    "workflow": "tempo_cli.workflow",
    "activity": "tempo_cli.activity",
    "batch": "tempo_cli.batch",
    "schedule": "tempo_cli.schedule",
    "operator": "tempo_cli.operator",
    "task-queue": "tempo_cli.task_queue",
    "config": "tempo_cli.config",
    "env": "tempo_cli.env",
}


class TempoRoot(OneLineUsageErrors):
    """The root group: COMMANDS and GROUPS by name, each built the first time it is used."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        loaders = {name: module_command(SETTINGS, name, *where) for name, where in COMMANDS.items()}
        loaders |= {name: module_group(SETTINGS, name, module) for name, module in GROUPS.items()}
        self.commands = LazyCommands(loaders, built=dict(self.commands))


app = typer.Typer(
    name="tempo",
    help=(
        "Durable execution on one laptop: a Temporal-compatible dev server "
        "and workflows from the terminal.\n\n"
        "Examples:\n\n"
        "  tempo server start-dev\n\n"
        "  tempo workflow start --type Order --task-queue orders --input 3\n\n"
        "  tempo workflow list"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=SETTINGS.rich_markup_mode,
    pretty_exceptions_short=SETTINGS.pretty_exceptions_short,
    suggest_commands=SETTINGS.suggest_commands,
    cls=TempoRoot,
)


@app.callback()
def _root() -> None:
    # Typer builds a group only for an app with a callback or a registered command; the
    # commands here are TempoRoot's.
    pass


def main() -> None:
    app()
