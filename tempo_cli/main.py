"""`tempo`: the root command. Sub-apps live one per module and are mounted here."""

from __future__ import annotations

import os

# gRPC's C core logs its own errors to stderr (e.g. a port in use) next to our one-line
# messages; users who want them can still set GRPC_VERBOSITY themselves.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import typer

import tempo_cli.create
from tempo_cli import activity, batch, operator, schedule, server, task_queue, workflow
from tempo_cli import config as config_commands
from tempo_cli import env as env_commands
from tempo_cli._usage_errors import OneLineUsageErrors
from tempo_cli.codec_server import codec_server
from tempo_cli.tui import command as tui_command

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
    rich_markup_mode=None,
    cls=OneLineUsageErrors,
)
app.add_typer(server.app, name="server")
app.add_typer(workflow.app, name="workflow")
app.add_typer(activity.app, name="activity")
app.add_typer(batch.app, name="batch")
app.add_typer(schedule.app, name="schedule")
app.add_typer(operator.app, name="operator")
app.add_typer(task_queue.app, name="task-queue")
app.add_typer(config_commands.app, name="config")
app.add_typer(env_commands.app, name="env")
app.command("create")(tempo_cli.create.create)
app.command("tui")(tui_command.tui)
app.command("codec-server")(codec_server)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
