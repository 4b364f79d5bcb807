"""What `tempo env ...` and `tempo config ...` answer, and the files they leave, as users run them
(the lean path first, `tempo_cli._lean_local`) next to the Typer app's, each from the same
starting files in the same home: tests/cli/test_lean_local.py compares them."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

from sdk.envconfig import ClientConfig
from tempo_cli import _env_file
from tests.cli.answers import group_programs, run
from tests.cli.startup_checks import env, reporting_argv, run_reporting_messages
from tests.cli.terminal import run_in_terminal

NOT_LOADED = ("rich", "typer", "click", "grpc", "sdk.client", "sdk.envconfig", "dataclasses", "pathlib")
"""What a lean `tempo env|config` run never loads."""

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
ENVIRONMENTS: dict[str, dict[str, str]] = {
    "default": {"namespace": "orders"},
    "prod": {"address": "prod.example.com:7233", "tls-cert-path": "/certs dir/client: a.pem", "empty": ""},
    "certs": {"tls-cert-data": PEM},  # a value of several lines: Rich's to draw
    "café": {"address": "x:1"},
}
PROFILES: dict[str, dict[str, Any]] = {
    "default": {"address": "localhost:7233"},
    "prod": {
        "address": "prod.example.com:7233",
        "namespace": "orders.a1b2c",
        "api_key": "secret",
        "tls": {"server_ca_cert_data": PEM, "server_name": "frontend", "disable_host_verification": True},
        "codec": {"endpoint": "http://localhost:8888"},
        "grpc_meta": {"x-team": "deliveries"},
    },
    "only tls": {"tls": {}},
}

STATES = ("none", "empty", "full", "broken", "odd")
"""The files a home starts with: none, both empty, both holding the values above, a profiles
file that is not TOML, or one whose address is a number (the SDK keeps it, the lean path
gives way)."""

Files = dict[str, tuple[bytes, int]]


def lay_home(home: Path, state: str) -> None:
    """``home`` (made anew) with the environments and profiles files of ``state``."""
    shutil.rmtree(home, ignore_errors=True)
    folder = home / ".config" / "temporalio"
    folder.mkdir(parents=True)
    if state == "empty":
        (folder / "temporal.yaml").write_text("")
        (folder / "temporal.toml").write_text("")
    elif state == "full":
        (folder / "temporal.yaml").write_text(_env_file.dump(ENVIRONMENTS))
        (folder / "temporal.toml").write_text(ClientConfig.from_dict(PROFILES).to_toml())
    elif state == "broken":
        (folder / "temporal.toml").write_text("[profile.default\n")
    elif state == "odd":
        (folder / "temporal.toml").write_text('[profile.default]\naddress = 5\nnamespace = "ns"\n')


def files(home: Path) -> Files:
    """Every file under ``home`` but the caches: its bytes and permissions, by path."""
    found = {}
    for path in sorted(home.rglob("*")):
        if path.is_file() and ".cache" not in path.relative_to(home).parts:
            found[str(path.relative_to(home))] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return found


def environment(home: Path, **extra: str) -> dict[str, str]:
    """A `tempo` run's environment with ``home`` as HOME (its config files there)."""
    base = env(home / ".cache", HOME=str(home), **extra)
    for name in ("XDG_CONFIG_HOME", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        if name not in extra:
            base.pop(name, None)
    return base


Answer = tuple[int, str, str]


def answers(
    group: str, args: list[str], home: Path, state: str, extra: dict[str, str]
) -> tuple[tuple[Answer, Files], tuple[Answer, Files], tuple[Answer, Files, list[str]]]:
    """`tempo GROUP ARGS` as users run it, the Typer app's answer, and the users' run again in
    an interpreter that reports what it loaded: each from ``state`` laid anew in ``home``, with
    the files each left."""
    tempo, app = group_programs(group)
    environ = environment(home, **extra)
    lay_home(home, state)
    users = run(tempo, args, environ)
    users_files = files(home)
    lay_home(home, state)
    apps = run(app, args, environ)
    apps_files = files(home)
    lay_home(home, state)
    out, messages, code, modules = run_reporting_messages([group, *args], environ)
    reported = (code, out, "".join(line + "\n" for line in messages))
    return (users, users_files), (apps, apps_files), (reported, files(home), modules)


def heavy(modules: list[str]) -> list[str]:
    """The modules of :data:`NOT_LOADED` among ``modules``."""
    return [name for name in modules for heavy in NOT_LOADED if name == heavy or name.startswith(heavy + ".")]


def drawn(
    group: str, args: list[str], home: Path, state: str, extra: dict[str, str], columns: int
) -> tuple[tuple[int, bytes], tuple[int, bytes], bool]:
    """`tempo GROUP ARGS` on a terminal ``columns`` wide as users run it, and as the app runs
    it (exit code, what it drew), from ``state`` laid anew in ``home``; and whether the users'
    run was lean (nothing of :data:`NOT_LOADED` loaded)."""
    tempo, app = group_programs(group)
    environ = {**environment(home, **extra), "TERM": extra.get("TERM", "xterm-256color")}
    lay_home(home, state)
    users = run_in_terminal([*tempo, *args], environ, columns)
    lay_home(home, state)
    apps = run_in_terminal([*app, *args], environ, columns)
    lay_home(home, state)
    _, shown = run_in_terminal(reporting_argv([group, *args]), environ, columns)
    report = json.loads(shown.decode().strip().splitlines()[-1])
    return users, apps, not heavy(report["modules"])


def in_home(home: Path, text: str) -> str:
    """``text`` with ``{home}`` standing for the home folder."""
    return text.replace("{home}", str(home))
