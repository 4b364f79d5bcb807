"""What `tempo workflow ...` answers (stdout, stderr, exit code) as users run it, next to what
the Typer app answers for the same command line: the fast paths must answer the same."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from typing import Any

from tests.cli import app_forks

TEMPO = [sys.executable, "-m", "tempo_cli.main", "workflow"]
APP = [sys.executable, "-m", "tests.cli.tempo_entry", "workflow"]
_GROUP_APP = "from tempo_cli.main import app; app(prog_name='tempo')"


def group_programs(group: str) -> tuple[list[str], list[str]]:
    """`tempo GROUP` as users run it (fast paths first) and the Typer app's own `tempo GROUP`."""
    app = [sys.executable, "-c", _GROUP_APP, group]
    return [sys.executable, "-m", "tempo_cli.main", group], app


def run(program: list[str], args: list[str], environment: dict[str, str]) -> tuple[int, str, str]:
    """``program ARGS``'s exit code, stdout and stderr. The app's programs (:data:`APP`, the
    apps of :func:`group_programs`) run in a fork of a process that imported their libraries
    (`tests.cli.app_forks`); `tempo` as users run it, in a fresh process."""
    if program[0] == sys.executable and program[1:3] in (APP[1:3], ["-c", _GROUP_APP]):
        return app_forks.run([*program[1:], *args], environment)
    done = subprocess.run([*program, *args], capture_output=True, text=True, env=environment, timeout=60)
    return done.returncode, done.stdout, done.stderr


def settled_answers(
    first: list[str], second: list[str], args: list[str], environment: dict[str, str], key: Any = None
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """Two programs' answers to the same ARGS. The shared server's state may change between the
    two runs (another test registers a namespace or a search attribute), so a pair that differs
    (after ``key``) is asked again, up to five times, a moment apart (a test registers its
    namespaces in a burst): a real difference shows on every try."""
    same = key or (lambda answer: answer)
    for attempt in range(5):
        if attempt:
            time.sleep(0.5)
        pair = run(first, args, environment), run(second, args, environment)
        if same(pair[0]) == same(pair[1]):
            break
    return pair


def comparable(answer: tuple[int, str, str]) -> tuple[int, object, str]:
    """The answer with JSON output parsed: protobuf maps (metadata) come in any order."""
    code, out, err = answer
    for parse in (json.loads, lambda text: [json.loads(line) for line in text.splitlines()]):
        try:
            return code, parse(out), err
        except json.JSONDecodeError:
            pass
    return answer


_RELATIVE_TIME = re.compile(r"\bnow\b|\b\d+ (?:second|minute|hour|day|week|month|year)s? (?:ago|from now)")


def relative_times_masked(text: str) -> str:
    """``text`` (a table, as printed or drawn) with each relative time ("3 seconds ago") read
    as ``<time>``, and the padding after it and after the StartTime header (whose column is as
    wide as its widest time) dropped: two tables printed a second apart read the same."""
    return re.sub(r"(<time>|StartTime) +", r"\1", _RELATIVE_TIME.sub("<time>", text))


def _listing(answer: tuple[int, str, str]) -> tuple[int, object, str]:
    code, out, err = comparable(answer)
    return code, relative_times_masked(out) if isinstance(out, str) else out, err


def same_answer(args: list[str], environment: dict[str, str]) -> tuple[int, str, str]:
    """`tempo workflow ARGS` and the app's answer, which must be the same; returns it. A
    `list` shows start times relative to the second it prints ("3 seconds ago"), which may
    tick between the two: those are compared as ``<time>`` (the shared renderer words them;
    other time formats are compared as they are), asked again while they differ (a write is
    asked once)."""
    if args[0] == "list":
        fast, app = settled_answers(TEMPO, APP, args, environment, key=_listing)
        assert _listing(fast) == _listing(app), args
        return fast
    fast, app = run(TEMPO, args, environment), run(APP, args, environment)
    assert comparable(fast) == comparable(app), args
    return fast
