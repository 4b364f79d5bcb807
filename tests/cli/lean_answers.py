"""What the lean paths' tests share: the modules a lean run never loads, and a command line's
answer as users get it next to the Typer app's."""

from __future__ import annotations

from tests.cli.answers import group_programs, run

NOT_LEAN = ("sdk.client", "tempo_cli._cli", "dataclasses", "rich", "grpc")
"""What the lean paths never load; the fast path (through the SDK's client) loads the first three."""


def answers(group: str, args: list[str], environment: dict[str, str]) -> tuple[tuple[int, str, str], ...]:
    """`tempo GROUP ARGS` as users run it, and the Typer app's answer to the same line."""
    tempo, app = group_programs(group)
    return run(tempo, args, environment), run(app, args, environment)
