"""The app's answers from a fork (`tests.cli.app_forks`) are the answers of a fresh process:
the fast paths' tests compare with them, so a fork that answered otherwise would hide a
difference, or show one that is not there."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

from tests.cli import app_forks
from tests.cli.answers import APP, group_programs
from tests.cli.startup_checks import env


def _fresh(program: list[str], args: list[str], environment: dict[str, str]) -> tuple[int, str, str]:
    done = subprocess.run([*program, *args], capture_output=True, text=True, env=environment, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_a_fork_answers_as_a_fresh_process(tempo_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", tempo_address]
    missing = f"forks-{uuid.uuid4().hex[:8]}"
    cases = [
        (APP, ["describe", *on, "-w", missing]),  # the server's error, exit code 1
        (APP, ["list", *on, "--limit", "0"]),  # a usage error, exit code 2
        (group_programs("schedule")[1], ["list", *on, "-o", "json"]),
        (group_programs("operator")[1], ["namespace", "describe", *on, "-n", "default", "-o", "json"]),
    ]
    for program, args in cases:
        forked = app_forks.run([*program[1:], *args], environment)
        assert forked == _fresh(program, args, environment), args
    # The fork takes the run's environment, not the forking process's: help wraps at COLUMNS.
    narrow = env(tmp_path, COLUMNS="50")
    forked = app_forks.run([*APP[1:], "list", "--help"], narrow)
    assert forked == _fresh(APP, ["list", "--help"], narrow)
    assert forked != app_forks.run([*APP[1:], "list", "--help"], environment)
