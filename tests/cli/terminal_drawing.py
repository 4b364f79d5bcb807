"""`tempo GROUP ...` on a pseudo-terminal of a given width, as users run it and as the Typer
app runs it, and whether it answered without loading Rich or the SDK's client (tests of the
lean paths' drawings for a terminal)."""

from __future__ import annotations

import json

from tests.cli.answers import APP, TEMPO, group_programs, relative_times_masked
from tests.cli.lean_answers import NOT_LEAN
from tests.cli.startup_checks import reporting_argv
from tests.cli.terminal import run_in_terminal


def drawn(argv: list[str], environment: dict[str, str], columns: int = 1000) -> bytes:
    """What ``argv`` drew on a terminal ``columns`` wide; it must have succeeded."""
    code, shown = run_in_terminal(argv, environment, columns)
    assert code == 0, shown
    return shown


def _users_and_apps(
    group: str, args: list[str], environment: dict[str, str], columns: int
) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    """`tempo GROUP ARGS` on a terminal as users run it, and as the Typer app runs it: exit
    code and drawing of each."""
    tempo, app = (TEMPO[:-1], APP[:-1]) if group == "workflow" else group_programs(group)
    users = run_in_terminal([*tempo, group, *args] if group == "workflow" else [*tempo, *args], environment, columns)
    apps = run_in_terminal([*app, group, *args] if group == "workflow" else [*app, *args], environment, columns)
    return users, apps


def app_and_users_drawing(args: list[str], environment: dict[str, str], columns: int) -> tuple[bytes, bytes]:
    """What `tempo workflow ARGS` draws on a terminal ``columns`` wide as users run it, and
    what the Typer app draws for the same command; both must have succeeded."""
    users, apps = _users_and_apps("workflow", args, environment, columns)
    assert users[0] == 0 and apps[0] == 0, (users, apps)
    return users[1], apps[1]


def same_drawing(group: str, args: list[str], environment: dict[str, str], columns: int = 1000) -> bytes:
    """`tempo GROUP ARGS` on a terminal, as users run it, and as the Typer app runs it: the
    same (a list's relative times, "3 seconds ago", which may tick between the two, read as
    ``<time>``; drawn again while they differ, up to five times)."""
    for _ in range(5):
        users, apps = _users_and_apps(group, args, environment, columns)
        if _masked(users) == _masked(apps):
            break
    assert _masked(users) == _masked(apps), (args, users, apps)
    return users[1]


def _masked(drawn: tuple[int, bytes]) -> tuple[int, str]:
    return drawn[0], relative_times_masked(drawn[1].decode())


def loaded_heavy(args: list[str], environment: dict[str, str], columns: int) -> list[str]:
    """The modules of those the lean paths never load (Rich, the SDK's client...) that
    `tempo workflow ARGS` loaded on a terminal ``columns`` wide."""
    return _heavy_modules("workflow", args, environment, columns)


def drawn_lean(group: str, args: list[str], environment: dict[str, str], columns: int = 1000) -> bool:
    """Whether `tempo GROUP ARGS` on a terminal answered on a lean path (what it loaded)."""
    return not _heavy_modules(group, args, environment, columns)


def _heavy_modules(group: str, args: list[str], environment: dict[str, str], columns: int) -> list[str]:
    """The modules of NOT_LEAN that `tempo GROUP ARGS` loaded on a terminal; it must have succeeded."""
    _, shown = run_in_terminal(reporting_argv([group, *args]), environment, columns)
    report = json.loads(shown.decode().strip().splitlines()[-1])
    assert report["code"] == 0, shown
    return [name for name in report["modules"] for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
