"""`tempo workflow ...` on a pseudo-terminal of a given width, as users run it and as the Typer
app runs it, and whether it answered without loading Rich or the SDK's client (tests of the
lean paths' drawings for a terminal)."""

from __future__ import annotations

import json

from tests.cli.answers import APP, TEMPO
from tests.cli.lean_answers import NOT_LEAN
from tests.cli.startup_checks import reporting_argv
from tests.cli.terminal import run_in_terminal


def app_and_users_drawing(args: list[str], environment: dict[str, str], columns: int) -> tuple[bytes, bytes]:
    """What `tempo workflow ARGS` draws on a terminal ``columns`` wide as users run it, and
    what the Typer app draws for the same command; both must have succeeded."""
    users = run_in_terminal([*TEMPO, *args], environment, columns)
    apps = run_in_terminal([*APP, *args], environment, columns)
    assert users[0] == 0 and apps[0] == 0, (users, apps)
    return users[1], apps[1]


def loaded_heavy(args: list[str], environment: dict[str, str], columns: int) -> list[str]:
    """The modules of those the lean paths never load (Rich, the SDK's client...) that
    `tempo workflow ARGS` loaded on a terminal ``columns`` wide."""
    _, shown = run_in_terminal(reporting_argv(["workflow", *args]), environment, columns)
    report = json.loads(shown.decode().strip().splitlines()[-1])
    assert report["code"] == 0, shown
    return [name for name in report["modules"] for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
