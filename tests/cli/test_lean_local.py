"""The lean path of `tempo env get|list|set|delete` and `tempo config get|list|set|delete|
delete-profile` (`tempo_cli._lean_local`): as users run them (`python -m tempo_cli.main`) they
answer exactly what the Typer app answers (stdout, stderr, exit code), to a pipe and on a
terminal, and leave the very files it leaves, without loading Typer, Rich, grpc, the SDK's
client or dataclasses; what the lean path does not take gets the app's answer."""

from __future__ import annotations

import contextlib
import io
import os
import string
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdk.envconfig import ClientConfig, ConfigError, dump_toml
from tempo_cli import _env_file, _lean_local
from tempo_cli._cli import CliContext, Color, GlobalOptions
from tests.cli.local_answers import answers, drawn, heavy, in_home

# (group, args, starting files, environment variables, whether the lean path answers)
Case = tuple[str, list[str], str, dict[str, str], bool]

ENV_CASES: dict[str, Case] = {
    "list": ("env", ["list"], "full", {}, True),
    "list no file": ("env", ["list"], "none", {}, True),
    "list empty file": ("env", ["list"], "empty", {}, True),
    "list json": ("env", ["list", "-o", "json"], "full", {}, True),
    "list jsonl, option first": ("env", ["-o", "jsonl", "list"], "full", {}, True),
    "get default": ("env", ["get"], "full", {}, True),
    "get prod": ("env", ["get", "--env", "prod"], "full", {}, True),
    "get key": ("env", ["get", "--env=prod", "--key=address"], "full", {}, True),
    "get missing key": ("env", ["get", "--env", "prod", "-k", "missing"], "full", {}, True),
    "get missing env": ("env", ["get", "--env", "staging"], "full", {}, True),
    "get missing env, no file": ("env", ["get", "--env", "staging"], "none", {}, True),
    "get dotted key": ("env", ["get", "--env", "prod", "-k", "a.b"], "full", {}, True),
    "get json": ("env", ["get", "--env", "prod", "-o", "json"], "full", {}, True),
    "get key json": ("env", ["get", "--env", "prod", "-k", "empty", "-o", "json"], "full", {}, True),
    "get accented env": ("env", ["get", "--env", "café"], "full", {}, True),
    "get from TEMPORAL_ENV": ("env", ["get"], "full", {"TEMPORAL_ENV": "prod"}, True),
    "get colour never": ("env", ["get", "--env", "prod", "--color", "never"], "full", {}, True),
    "list TEMPORAL_ENV_FILE": ("env", ["list"], "full", {"TEMPORAL_ENV_FILE": "{home}/other.yaml"}, True),
    "get --env-file": (
        "env",
        ["get", "--env", "prod", "--env-file", "{home}/.config/temporalio/temporal.yaml"],
        "full",
        {},
        True,
    ),
    "set": ("env", ["set", "--env", "prod", "-k", "address", "-v", "new.example.com:7233"], "full", {}, True),
    "set empty value": ("env", ["set", "-k", "namespace", "-v", ""], "none", {}, True),
    "set quoted value": ("env", ["set", "--env", "new", "-k", "yes", "-v", "yes"], "full", {}, True),
    "set in a new folder": (
        "env",
        ["set", "--env-file", "{home}/deep/dir/envs.yaml", "-k", "a", "-v", "b"],
        "none",
        {},
        True,
    ),
    "set without key": ("env", ["set", "--env", "prod", "-v", "x"], "full", {}, True),
    "set dotted key": ("env", ["set", "-k", "a.b", "-v", "x"], "full", {}, True),
    "delete key": ("env", ["delete", "--env", "prod", "-k", "address"], "full", {}, True),
    "delete env": ("env", ["delete", "--env", "prod"], "full", {}, True),
    "delete default": ("env", ["delete"], "full", {}, True),
    "delete missing env": ("env", ["delete", "--env", "staging"], "full", {}, True),
    # The app's: a value of several lines, a path pathlib writes otherwise, options these
    # commands only pass on, forced colours, Typer's messages.
    "get lines": ("env", ["get", "--env", "certs"], "full", {}, False),
    "get odd path": ("env", ["get", "--env-file", "{home}/.config//temporalio/temporal.yaml"], "full", {}, False),
    "list address": ("env", ["list", "--address", "x:1"], "full", {}, False),
    "list bad output": ("env", ["list", "-o", "yaml"], "full", {}, False),
    "get colour always": ("env", ["get", "--color", "always"], "full", {}, False),
    "get forced colour": ("env", ["get"], "full", {"FORCE_COLOR": "1"}, False),
    "unknown command": ("env", ["lst"], "full", {}, False),
    "key without value": ("env", ["get", "-k"], "full", {}, False),
    "value twice": ("env", ["set", "-k", "a", "-v", "1", "--value", "2"], "full", {}, False),
}

CONFIG_CASES: dict[str, Case] = {
    "list": ("config", ["list"], "full", {}, True),
    "list no file": ("config", ["list"], "none", {}, True),
    "list empty file": ("config", ["list"], "empty", {}, True),
    "list json": ("config", ["list", "-o", "json"], "full", {}, True),
    "list broken file": ("config", ["list"], "broken", {}, True),
    "get default": ("config", ["get"], "full", {}, True),
    "get prod": ("config", ["get", "--profile", "prod"], "full", {}, True),
    "get prod json": ("config", ["get", "--profile", "prod", "-o", "json"], "full", {}, True),
    "get prod jsonl": ("config", ["get", "--profile", "prod", "-o", "jsonl"], "full", {}, True),
    "get data": ("config", ["get", "--profile", "prod", "--prop", "tls.server_ca_cert_data"], "full", {}, True),
    "get data json": (
        "config",
        ["get", "--profile", "prod", "-p", "tls.server_ca_cert_data", "-o", "json"],
        "full",
        {},
        True,
    ),
    "get unset data json": (
        "config",
        ["get", "--profile", "prod", "-p", "tls.client_key_data", "-o", "json"],
        "full",
        {},
        True,
    ),
    "get tls": ("config", ["get", "--profile", "prod", "--prop", "tls"], "full", {}, True),
    "get no tls": ("config", ["get", "--prop", "tls"], "full", {}, True),
    "get bool json": (
        "config",
        ["get", "--profile", "prod", "-p", "tls.disable_host_verification", "-o", "json"],
        "full",
        {},
        True,
    ),
    "get only tls": ("config", ["get", "--profile", "only tls"], "full", {}, True),
    "get header": ("config", ["get", "--profile", "prod", "--prop", "grpc_meta.x-team"], "full", {}, True),
    "get missing header": ("config", ["get", "--profile", "prod", "--prop", "grpc_meta.nope"], "full", {}, True),
    "get parent": ("config", ["get", "--prop", "grpc_meta"], "full", {}, True),
    "get unknown": ("config", ["get", "--prop", "bogus"], "full", {}, True),
    "get address": ("config", ["get", "--prop", "address"], "full", {}, True),
    "get address json": ("config", ["get", "--prop", "address", "-o", "json"], "full", {}, True),
    "get missing profile": ("config", ["get", "--profile", "staging"], "full", {}, True),
    "get no file": ("config", ["get"], "none", {}, True),
    "get TEMPORAL_PROFILE": ("config", ["get"], "full", {"TEMPORAL_PROFILE": "prod"}, True),
    "get json, TEMPORAL_PROFILE missing": (
        "config",
        ["get", "--profile", "prod", "-o", "json"],
        "full",
        {"TEMPORAL_PROFILE": "gone"},
        True,
    ),
    "list TEMPORAL_CONFIG_FILE": ("config", ["list"], "full", {"TEMPORAL_CONFIG_FILE": "{home}/other.toml"}, True),
    "set": ("config", ["set", "--prop", "address", "--value", "new:7233"], "full", {}, True),
    "set no file": ("config", ["set", "--prop", "address", "--value", "new:7233"], "none", {}, True),
    "set tls on": ("config", ["set", "--profile", "new", "--prop", "tls", "--value", "true"], "full", {}, True),
    "set tls off": ("config", ["set", "--profile", "prod", "--prop", "tls", "--value", "false"], "full", {}, True),
    "set not a bool": (
        "config",
        ["set", "--profile", "prod", "--prop", "tls.disabled", "--value", "yes"],
        "full",
        {},
        True,
    ),
    "set both path and data": (
        "config",
        ["set", "--profile", "prod", "-p", "tls.server_ca_cert_path", "-v", "ca.pem"],
        "full",
        {},
        True,
    ),
    "set header": (
        "config",
        ["set", "--profile", "prod", "--prop", "grpc_meta.X_Team", "--value", "v"],
        "full",
        {},
        True,
    ),
    "set unknown": ("config", ["set", "--prop", "nonsense", "--value", "1"], "full", {}, True),
    "set in a new folder": (
        "config",
        ["set", "--config-file", "{home}/deep/dir/t.toml", "--prop", "namespace", "--value", "ns"],
        "none",
        {"TEMPORAL_PROFILE": "from-env"},
        True,
    ),
    "set broken file": ("config", ["set", "--prop", "address", "--value", "x"], "broken", {}, True),
    "list XDG_CONFIG_HOME": ("config", ["list"], "full", {"XDG_CONFIG_HOME": "{home}/xdg"}, True),
    "set XDG_CONFIG_HOME": (
        "config",
        ["set", "-p", "address", "-v", "x:1"],
        "full",
        {"XDG_CONFIG_HOME": "{home}/xdg"},
        True,
    ),
    "list empty TEMPORAL_CONFIG_FILE": ("config", ["list"], "full", {"TEMPORAL_CONFIG_FILE": ""}, True),
    "delete": ("config", ["delete", "--profile", "prod", "--prop", "codec.endpoint"], "full", {}, True),
    "delete key": ("config", ["delete", "--profile", "prod", "--prop", "api_key"], "full", {}, True),
    "delete header": ("config", ["delete", "--profile", "prod", "--prop", "grpc_meta.x-team"], "full", {}, True),
    "delete missing header": ("config", ["delete", "--profile", "prod", "--prop", "grpc_meta.nope"], "full", {}, True),
    "delete no tls": ("config", ["delete", "--prop", "tls.server_name"], "full", {}, True),
    "delete no codec": ("config", ["delete", "--prop", "codec.auth"], "full", {}, True),
    "delete-profile": ("config", ["delete-profile", "--profile", "prod"], "full", {}, True),
    "delete-profile unnamed": ("config", ["delete-profile"], "full", {}, True),
    "delete-profile missing": ("config", ["delete-profile", "--profile", "staging"], "full", {}, True),
    # The app's: a value of another type, Typer's messages, a path pathlib writes otherwise.
    "get odd value": ("config", ["get"], "odd", {}, False),
    "list json odd file": ("config", ["list", "-o", "json"], "odd", {}, False),
    "set without value": ("config", ["set", "--prop", "address"], "full", {}, False),
    "get empty path": ("config", ["get", "--config-file", ""], "full", {}, False),
    "get profile first": ("config", ["--profile", "prod", "get"], "full", {}, False),
    "set odd cert path": ("config", ["set", "-p", "tls.client_cert_path", "-v", "./c.pem"], "full", {}, False),
}


def _case(case: Case, home: Path) -> tuple[str, list[str], str, dict[str, str], bool]:
    group, args, state, extra, lean = case
    return group, [in_home(home, arg) for arg in args], state, {k: in_home(home, v) for k, v in extra.items()}, lean


@pytest.mark.parametrize("name", [*ENV_CASES, *CONFIG_CASES])
def test_the_answer_and_the_files_are_the_apps(name: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    group, args, state, extra, lean = _case({**ENV_CASES, **CONFIG_CASES}[name], home)
    (users, users_files), (apps, apps_files), (reported, reported_files, modules) = answers(
        group, args, home, state, extra
    )
    assert users == apps, (args, users, apps)
    assert users_files == apps_files, args
    assert (reported, reported_files) == (users, users_files), args
    assert "Traceback" not in users[2], users
    if lean:
        assert "tempo_cli._lean_local" in modules, args
        assert heavy(modules) == [], (args, heavy(modules))
        # A profiles file as `temporal` writes it is read without tomllib; one that is not TOML by it.
        assert ("tomllib" in modules) == (state == "broken"), args
    else:
        assert "typer" in modules, args  # it gave way to the app


@pytest.mark.parametrize("output", ["text", "json"])
def test_env_answers_whatever_the_profiles_file_holds(output: str, tmp_path: Path) -> None:
    """`tempo env` reads no profiles (it resolves no connection settings): a profiles file of
    any shape, or none that can be read, changes nothing of its answers."""
    home = tmp_path / "home"
    odd = tmp_path / "odd.toml"
    odd.write_text("[profile]\ndefault = 3\n")  # `sdk.envconfig` fails on it with an AttributeError
    for extra in ({"TEMPORAL_CONFIG_FILE": str(odd)}, {"TEMPORAL_CONFIG_FILE": str(tmp_path)}, {}):
        (users, _), (apps, _), (_, _, modules) = answers("env", ["list", "-o", output], home, "full", extra)
        assert users == apps and users[0] == 0, (extra, users, apps)
        assert heavy(modules) == []


TERMINAL_CASES: dict[str, tuple[str, list[str], dict[str, str], int, bool]] = {
    "env list": ("env", ["list"], {}, 100, True),
    "env get": ("env", ["get", "--env", "prod"], {}, 100, True),
    "env get, 16 colours": ("env", ["get", "--env", "prod"], {"TERM": "xterm"}, 100, True),
    "env get, no colour": ("env", ["get", "--env", "prod"], {"NO_COLOR": "1"}, 100, True),
    "env error": ("env", ["get", "--env", "staging"], {}, 100, True),
    "env error, no colour": ("env", ["get", "--env", "staging"], {"NO_COLOR": "1"}, 100, True),
    "env error, colour never": ("env", ["get", "--env", "staging", "--color", "never"], {}, 100, True),
    "env json": ("env", ["get", "--env", "prod", "-o", "json"], {}, 100, True),
    "config list": ("config", ["list"], {}, 100, True),
    "config get": ("config", ["get", "--profile", "prod"], {}, 200, True),
    "config set": ("config", ["set", "--prop", "address", "--value", "x:1"], {}, 100, True),
    "config error": ("config", ["get", "--prop", "bogus"], {}, 100, True),
    # Rich's to draw: a table wider than the terminal, an error that wraps, a dumb terminal.
    "config get, narrow": ("config", ["get", "--profile", "prod"], {}, 100, False),
    "env error, narrow": ("env", ["get", "--env", "staging"], {}, 20, False),
    "env list, dumb": ("env", ["list"], {"TERM": "dumb"}, 100, False),
}


@pytest.mark.parametrize("name", list(TERMINAL_CASES))
def test_a_terminal_shows_what_the_app_draws(name: str, tmp_path: Path) -> None:
    group, args, extra, columns, lean = TERMINAL_CASES[name]
    users, apps, was_lean = drawn(group, args, tmp_path / "home", "full", extra, columns)
    assert users == apps, (args, users, apps)
    assert was_lean == lean, args


# ---------------------------------------------------------------- in-process: the drawing, against Rich


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _apps_table(columns: list[str], rows: list[list[str]], width: int | None) -> list[str]:
    """The lines the app prints for this table: to a pipe (``width`` None) or on a terminal."""
    stream = io.StringIO() if width is None else _Terminal()
    variables = {"TERM": "xterm-256color", "COLUMNS": str(width or 80)}
    with mock.patch.dict(os.environ, variables), contextlib.redirect_stdout(stream):
        for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLORTERM"):
            os.environ.pop(name, None)
        _lean_local.AppOutput(CliContext()).table(columns, rows)
    return stream.getvalue().splitlines()


def _apps_error(message: str, width: int, no_color: bool) -> str:
    stream = _Terminal()
    variables = {"TERM": "xterm", "COLUMNS": str(width)}
    with mock.patch.dict(os.environ, variables), contextlib.redirect_stderr(stream):
        for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLORTERM"):
            os.environ.pop(name, None)
        with pytest.raises(SystemExit):
            _lean_local.AppOutput(CliContext(GlobalOptions(color=Color.never if no_color else None))).abort(message)
    return stream.getvalue()


cells = st.text(alphabet=st.sampled_from("ab Z-:.…é7 \t\n\x1b中"), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 3).flatmap(
        lambda n: st.tuples(
            st.lists(cells.filter(bool), min_size=n, max_size=n),
            st.lists(st.lists(cells, min_size=n, max_size=n), max_size=4),
        )
    ),
    st.one_of(st.none(), st.integers(8, 60)),
)
def test_a_table_is_drawn_as_rich_draws_the_apps(table: tuple[list[str], list[list[str]]], width: int | None) -> None:
    columns, rows = table
    lines = _lean_local.drawn_table(columns, rows, width)
    if lines is not None:
        assert lines == _apps_table(columns, rows, width)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Z-:\"'…é7 中\n"), max_size=40), st.integers(8, 60), st.booleans())
def test_an_error_is_drawn_as_rich_draws_the_apps(message: str, width: int, no_color: bool) -> None:
    line = _lean_local.drawn_error(message, (width, "standard", no_color))
    if line is not None:
        assert line + "\n" == _apps_error(message, width, no_color)


def test_common_tables_and_errors_are_drawn_without_rich() -> None:
    assert _lean_local.drawn_table(["Name"], [["default"], ["prod"]], None) == [" Name", " default", " prod"]
    assert _lean_local.drawn_table(["Property", "Value"], [["address", "x:1"]], 80) == [
        "\x1b[1m \x1b[0m\x1b[1mProperty\x1b[0m\x1b[1m \x1b[0m\x1b[1m \x1b[0m\x1b[1mValue\x1b[0m\x1b[1m \x1b[0m",
        " address   x:1",
    ]
    assert _lean_local.drawn_error('profile "x" not found', (80, "256", False)) is not None


# ---------------------------------------------------------------- in-process: the profiles file, against the SDK

_words = st.text(alphabet=st.sampled_from(string.ascii_letters + string.digits + '_-. :/"\\é\n\t'), max_size=8)
_values = st.one_of(_words, _words, st.booleans(), st.integers(-2, 2), st.just(""))
_tls = st.dictionaries(
    st.sampled_from(
        [
            "disabled",
            "client_cert_path",
            "client_cert_data",
            "client_key_path",
            "client_key_data",
            "server_ca_cert_path",
            "server_ca_cert_data",
            "server_name",
            "disable_host_verification",
            "other",
        ]
    ),
    _values,
)
_profile = st.fixed_dictionaries(
    {},
    optional={
        "address": _values,
        "namespace": _values,
        "api_key": _values,
        "tls": st.one_of(_tls, _values),
        "codec": st.one_of(st.dictionaries(st.sampled_from(["endpoint", "auth", "other"]), _values), _values),
        "grpc_meta": st.one_of(st.dictionaries(_words, _values, max_size=3), st.just("")),
        "other": _values,
    },
)
_profiles = st.dictionaries(_words, _profile, max_size=3)


def _sdk(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except ConfigError as err:
        return "error", str(err)


def _lean(call: Any) -> tuple[str, Any] | None:
    try:
        return "ok", call()
    except _lean_local.ProfileError as err:
        return "error", str(err)
    except _lean_local.GiveWay:
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_profiles)
def test_profiles_are_read_and_written_as_the_sdk_does(tmp_path: Path, profiles: dict[str, Any]) -> None:
    path = tmp_path / "temporal.toml"
    path.write_text(dump_toml({"profile": profiles}))
    read = _lean(lambda: _lean_local.load_profiles(str(path)))
    if read is not None:
        assert read == _sdk(lambda: ClientConfig.load(config_source=path).to_dict())
    written = _lean(lambda: _lean_local.dump_profiles(profiles))
    if written is not None:
        assert written == _sdk(lambda: ClientConfig.from_dict(profiles).to_toml())


def test_the_profiles_people_write_are_read_without_giving_way(tmp_path: Path) -> None:
    from tests.cli.local_answers import PROFILES

    path = tmp_path / "temporal.toml"
    path.write_text(ClientConfig.from_dict(PROFILES).to_toml())
    assert _lean_local.load_profiles(str(path)) == ClientConfig.load(config_source=path).to_dict()
    assert _lean_local.dump_profiles(PROFILES) == ClientConfig.from_dict(PROFILES).to_toml()
    path.write_text("[profile.default\n")
    with pytest.raises(_lean_local.ProfileError) as raised:
        _lean_local.load_profiles(str(path))
    with pytest.raises(ConfigError) as expected:
        ClientConfig.load(config_source=path)
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("/a/b", True),
        ("a/b.yaml", True),
        ("../a", True),
        ("~/a", True),
        ("", False),
        ("a//b", False),
        ("./a", False),
        ("a/./b", False),
        ("a/", False),
        ("//a", False),
        ("/", False),
    ],
)
def test_a_path_is_taken_as_pathlib_writes_it(text: str, kept: bool) -> None:
    if kept:
        assert _lean_local._path_as_pathlib_writes_it(text) == text == str(Path(text))
    else:
        with pytest.raises(_lean_local.GiveWay):
            _lean_local._path_as_pathlib_writes_it(text)


def test_a_file_is_written_beside_a_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _env_file.write_private("envs.yaml", "env: {}\n")
    assert (tmp_path / "envs.yaml").read_text() == "env: {}\n"
    assert (tmp_path / "envs.yaml").stat().st_mode & 0o777 == 0o600
    _env_file.write_private("deep/dir/envs.yaml", "x")
    assert (tmp_path / "deep" / "dir").stat().st_mode & 0o777 == 0o700


_toml_keys = st.text(alphabet=st.sampled_from(string.ascii_letters[:4] + '_-. "\\é\n\x7f/'), max_size=5)
_documents = st.recursive(
    st.dictionaries(_toml_keys, st.one_of(st.booleans(), _words), max_size=3),
    lambda tables: st.dictionaries(_toml_keys, st.one_of(tables, st.booleans(), _words), max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(_documents, st.data())
def test_a_file_laid_out_as_temporal_writes_it_is_read_as_tomllib_reads_it(document: dict[str, Any], data: Any) -> None:
    import tomllib

    text = dump_toml(document)
    assert tomllib.loads(text) == document
    assert _lean_local._as_written(text) == document
    # The same text changed a little: read without tomllib only when tomllib reads the same.
    at = data.draw(st.integers(0, len(text)))
    changed = (
        text[:at] + data.draw(st.sampled_from(["", " ", "\n", '"', "\\", "[", "]", ".", "=", "x"])) + text[at + 1 :]
    )
    read = _lean_local._as_written(changed)
    if read is not None:
        assert read == tomllib.loads(changed)
