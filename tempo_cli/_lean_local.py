"""`tempo env get|list|set|delete` and `tempo config get|list|set|delete|delete-profile`: the
commands themselves, and the lean path that runs them without Typer or Rich.

Why: these commands only read and write two local files (`temporal env`'s environments,
`_env_file`, and the profiles of `temporal config`), yet through the Typer app they import
Typer and Rich, and the profiles' reader (`sdk.envconfig`) its dataclasses: 120-160 ms, where
`temporal` takes 50. Here the lean path reads the command line itself
(`_fast_commands.plain_words`) and runs the very functions below that the app's commands
(`tempo_cli.env`, `tempo_cli.config`) run, with an output of its own (:class:`_Lean`) in place
of the app's (:class:`AppOutput`): the same checks, the same messages, the same rows. Neither
resolves connection settings (which would read both files again).

What differs is only how the answer is printed and how the profiles file is read and written:

- a table as Rich draws the app's borderless ``Table(box=None)`` (a space at either edge,
  two between columns, a bold header on a terminal), to a pipe or a file, or on a terminal
  when it fits its width (`_terminal_table.terminal` says how Rich sees the terminal);
- JSON as the app writes it (:func:`json_text`), anywhere;
- ``error: ...`` on stderr as the app prints it: as is, or on a terminal in bold red;
- the profiles file read and written as `sdk.envconfig` reads and writes it
  (:func:`load_profiles`, :func:`dump_profiles`: `temporal`'s TOML layout, read without
  tomllib when the file is laid out so; tests/cli/test_lean_local.py holds them to the SDK).

Anything else gives way to the app before anything is printed or written (:class:`GiveWay`):
an option not below, a value the app would convert or refuse with Typer's message, a path that
`pathlib` would write otherwise, a cell or a message Rich must measure or wrap, colours forced
by an option or the environment, a profiles file of an odd shape (which the app may well crash
on), output in an encoding other than UTF-8, or anything unforeseen.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from tempo_cli import _env_file

if TYPE_CHECKING:
    from tempo_cli._cli import CliContext


class GiveWay(Exception):
    """Not the lean path's to answer: the app runs the command (nothing was printed or written)."""


class ProfileError(ValueError):
    """The profiles file says something impossible: `sdk.envconfig.ConfigError`'s message."""


# ---------------------------------------------------------------- the outputs


class Output(Protocol):
    """Where a command's answer goes: the app's (:class:`AppOutput`) or the lean path's."""

    writing: bool
    """A file is being written (the lean path gives way no more)."""

    @property
    def json_mode(self) -> bool: ...

    def abort(self, message: str) -> NoReturn: ...

    def write_json(self, value: Any) -> None: ...

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A borderless table (Rich's ``Table(box=None)``) of these columns and rows."""


class AppOutput:
    """The app's output (`tempo_cli.env`, `tempo_cli.config`): its context's. The output format
    is the options' own: these commands resolve no connection settings (which read both files
    again, and may fail on either: the very files these commands are there to mend)."""

    writing = False

    def __init__(self, cli: CliContext) -> None:
        self.cli = cli

    @property
    def json_mode(self) -> bool:
        return (self.cli.options.output or "text") != "text"

    def abort(self, message: str) -> NoReturn:
        self.cli.abort(message)

    def write_json(self, value: Any) -> None:
        self.cli.write_raw(json_text(value, self.cli.options.output or "json"))

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        from rich.table import Table

        table = Table(box=None)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        self.cli.print_table(table)


def json_text(value: Any, output: str) -> str:
    """A JSON document as `CliContext.write_json` writes it: indented for ``json``, one line for
    ``jsonl``."""
    if output == "jsonl":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(value, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------- `tempo env`


def _environments(
    out: Output, path: str | None, env: str | None, *, must_exist: bool
) -> tuple[str, _env_file.Environments]:
    """The environment chosen and the file's environments, with the checks `temporal env` makes."""
    if path is None:
        out.abort("unable to find place for env file (unknown HOME dir)")
    name = env or os.environ.get("TEMPORAL_ENV") or "default"
    try:
        environments = _env_file.read(path)
    except _env_file.EnvFileError as err:
        out.abort(str(err))
    if must_exist and name != "default" and name not in environments:
        out.abort(f'environment "{name}" not found')
    return name, environments


def _write(out: Output, path: str, text: str) -> None:
    """Write a file's text (private); the lean path gives way no more once it began."""
    out.writing = True
    _env_file.write_private(path, text)


def _save_environments(out: Output, path: str, environments: _env_file.Environments) -> None:
    try:
        _write(out, path, _env_file.dump(environments))
    except OSError as err:
        out.abort(f"cannot write {path}: {err.strerror}")


def _checked_key(out: Output, key: str | None) -> str | None:
    if key is not None and "." in key:
        out.abort("property name may not contain dots")
    return key


def _print_rows(
    out: Output, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]], json_keys: tuple[str, ...]
) -> None:
    if out.json_mode:
        out.write_json([dict(zip(json_keys, row, strict=True)) for row in rows])
        return
    out.table(columns, rows)


def get_env(out: Output, path: str | None, env: str | None, key: str | None) -> None:
    """`tempo env get`: an environment's properties, or one of them."""
    name, environments = _environments(out, path, env, must_exist=True)
    values = environments.get(name, {})
    wanted = _checked_key(out, key)
    rows = [(wanted, values.get(wanted, ""))] if wanted else sorted(values.items())
    _print_rows(out, ("Property", "Value"), rows, ("property", "value"))


def set_env(out: Output, path: str | None, env: str | None, key: str | None, value: str) -> None:
    """`tempo env set`: a property of an environment (made if missing)."""
    name, environments = _environments(out, path, env, must_exist=False)
    checked = _checked_key(out, key)
    if not checked:
        out.abort("property name must be specified with -k")
    environments.setdefault(name, {})[checked] = value
    assert path is not None
    _save_environments(out, path, environments)


def delete_env(out: Output, path: str | None, env: str | None, key: str | None) -> None:
    """`tempo env delete`: a property of an environment, or (without a key) the environment."""
    name, environments = _environments(out, path, env, must_exist=True)
    checked = _checked_key(out, key)
    if checked:
        environments.get(name, {}).pop(checked, None)
    else:
        environments.pop(name, None)
    assert path is not None
    _save_environments(out, path, environments)


def list_envs(out: Output, path: str | None) -> None:
    """`tempo env list`: the environments' names."""
    _, environments = _environments(out, path, None, must_exist=False)
    _print_rows(out, ("Name",), [(name,) for name in sorted(environments)], ("name",))


# ---------------------------------------------------------------- `tempo config`

# The properties `temporal config` knows, and what kind of value each holds.
_STRING, _BOOL, _BYTES, _PRESENCE = "string", "bool", "bytes", "presence"
PROPERTIES = {
    "address": _STRING,
    "namespace": _STRING,
    "api_key": _STRING,
    "tls": _PRESENCE,
    "tls.disabled": _BOOL,
    "tls.client_cert_path": _STRING,
    "tls.client_cert_data": _BYTES,
    "tls.client_key_path": _STRING,
    "tls.client_key_data": _BYTES,
    "tls.server_ca_cert_path": _STRING,
    "tls.server_ca_cert_data": _BYTES,
    "tls.server_name": _STRING,
    "tls.disable_host_verification": _BOOL,
    "codec.endpoint": _STRING,
    "codec.auth": _STRING,
}
_META = "grpc_meta."
_ZERO = {_STRING: "", _BOOL: False, _BYTES: None, _PRESENCE: False}


class ProfilesStore:
    """How a profiles file is read (``load``: profile name to its table) and written
    (``dumps``), and the error both raise for a file that says something impossible."""

    def __init__(
        self,
        load: Callable[[str], dict[str, dict[str, Any]]],
        dumps: Callable[[dict[str, dict[str, Any]]], str],
        error: type[Exception],
    ) -> None:
        self.load = load
        self.dumps = dumps
        self.error = error


class ProfilesFile:
    """The profiles file as plain tables (profile name to its TOML table), and where it is."""

    def __init__(self, out: Output, path: str, profile: str | None, store: ProfilesStore) -> None:
        self.out = out
        self.path = path
        self.store = store
        self.explicit_profile = profile
        self.profile_name = profile or os.environ.get("TEMPORAL_PROFILE") or "default"
        try:
            self.profiles = store.load(path)
        except store.error as err:
            out.abort(str(err))

    def profile(self, *, create: bool = False) -> dict[str, Any]:
        """The chosen profile's table; a missing one is an error unless ``create``."""
        if self.profile_name not in self.profiles:
            if not create:
                self.out.abort(f'profile "{self.profile_name}" not found')
            self.profiles[self.profile_name] = {}
        return self.profiles[self.profile_name]

    def save(self) -> None:
        """Write the file as `temporal config` writes it (private: it may hold keys)."""
        try:
            _write(self.out, self.path, self.store.dumps(self.profiles))
        except self.store.error as err:
            self.out.abort(str(err))
        except OSError as err:
            self.out.abort(f"cannot write {self.path}: {err.strerror}")


def _split(out: Output, prop: str) -> tuple[str | None, str, str]:
    """(parent table or None, key, kind) of a known property; an unknown one is an error."""
    kind = PROPERTIES.get(prop)
    if kind is None:
        out.abort(f'unknown property "{prop}"')
    parent, _, key = prop.rpartition(".")
    return parent or None, key, kind


def _value(profile: dict[str, Any], prop: str, kind: str) -> Any:
    if kind == _PRESENCE:
        return prop in profile
    parent, _, key = prop.rpartition(".")
    table = profile.get(parent, {}) if parent else profile
    value = table.get(key)
    if value is None:
        return _ZERO[kind]
    return value.encode() if kind == _BYTES else value


def _shown(value: Any, json_mode: bool) -> Any:
    """A value as `temporal config get` shows it: data as base64 (``bytes(...)`` in text)."""
    if isinstance(value, bytes) or value is None:
        import base64  # 1 ms: for a profile's data only

        encoded = base64.b64encode(value or b"").decode()
        return (encoded if value is not None else None) if json_mode else f"bytes({encoded})"
    if isinstance(value, bool) and not json_mode:
        return "true" if value else "false"
    return value


def _sorted(table: dict[str, Any]) -> dict[str, Any]:
    """Keys in order at every level, as `temporal` prints its tables."""
    return {key: _sorted(value) if isinstance(value, dict) else value for key, value in sorted(table.items())}


def _table(out: Output, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    out.table(columns, [tuple(str(cell) for cell in row) for row in rows])


def get_property(file: ProfilesFile, prop: str | None) -> None:
    """`tempo config get`: one property of a profile, or all it sets."""
    out = file.out
    table = file.profile()
    if prop is not None:
        if prop in ("codec", "grpc_meta"):
            out.abort("must provide exact property, not parent property")
        if prop.startswith(_META):
            meta = table.get("grpc_meta", {})
            if prop[len(_META) :] not in meta:
                out.abort(f'unknown property "{prop}"')
            value: Any = meta[prop[len(_META) :]]
        else:
            _split(out, prop)
            value = _value(table, prop, PROPERTIES[prop])
        if out.json_mode:
            out.write_json({"property": prop, "value": _shown(value, True)})
        else:
            _table(out, ("Property", "Value"), [(prop, _shown(value, False))])
        return
    if out.json_mode:
        out.write_json(_sorted(table))
        return
    rows = [
        (name, _shown(value, False))
        for name, kind in PROPERTIES.items()
        if (value := _value(table, name, kind)) not in ("", False, None, b"")
    ]
    rows += [(f"{_META}{key}", value) for key, value in table.get("grpc_meta", {}).items()]
    _table(out, ("Property", "Value"), sorted(rows))


def set_property(file: ProfilesFile, prop: str, value: str) -> None:
    """`tempo config set`: a property of a profile (made if missing), then the file saved."""
    out = file.out
    table = file.profile(create=True)
    if prop.startswith(_META):
        table.setdefault("grpc_meta", {})[prop[len(_META) :]] = value
    else:
        parent, key, kind = _split(out, prop)
        if kind in (_BOOL, _PRESENCE) and value not in ("true", "false"):
            out.abort("must be 'true' or 'false' to set this property")
        if kind == _PRESENCE:
            if value == "true":
                table.setdefault("tls", {})
            else:
                table.pop("tls", None)
        else:
            target = table.setdefault(parent, {}) if parent else table
            target[key] = value == "true" if kind == _BOOL else value
    file.save()


def delete_property(file: ProfilesFile, prop: str) -> None:
    """`tempo config delete`: a property of a profile, then the file saved."""
    out = file.out
    table = file.profile()
    if prop.startswith(_META):
        key = prop[len(_META) :]
        if key not in table.get("grpc_meta", {}):
            out.abort(f'gRPC meta key "{key}" not found')
        del table["grpc_meta"][key]
    else:
        parent, key, kind = _split(out, prop)
        if kind == _PRESENCE:
            table.pop("tls", None)
        elif parent is not None:
            if parent not in table:
                out.abort("no TLS options found" if parent == "tls" else "no codec options found")
            table[parent].pop(key, None)
        else:
            table.pop(key, None)
    file.save()


def delete_profile(file: ProfilesFile) -> None:
    """`tempo config delete-profile`: a whole profile, named with --profile, then the file saved."""
    file.profile()
    if file.explicit_profile is None:
        file.out.abort("to delete an entire profile, --profile must be provided explicitly")
    del file.profiles[file.profile_name]
    file.save()


def list_profiles(file: ProfilesFile) -> None:
    """`tempo config list`: the profiles' names."""
    names = sorted(file.profiles)
    if file.out.json_mode:
        file.out.write_json([{"name": name} for name in names])
    else:
        _table(file.out, ("Name",), [(name,) for name in names])


# ---------------------------------------------------------------- the profiles file, as sdk.envconfig
# reads and writes it (`ClientConfig.load(...).to_dict()`, `ClientConfig.from_dict(...).to_toml()`),
# for the tables `temporal` and Tempo write. A value of another type than theirs (which the SDK
# may keep, convert or crash on) gives way.


def load_profiles(path: str) -> dict[str, dict[str, Any]]:
    """The profiles of the file at ``path`` (none if there is no file), each as
    ``ClientConfigProfile.from_dict(table).to_dict()`` makes it."""
    try:
        with open(path) as file:  # as `Path.read_text` opens it
            text = file.read()
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(f"cannot read {path}: {err}") from None
    document = _as_written(text)
    if document is None:  # not laid out as `temporal` writes it: the reader the SDK reads it with
        import tomllib

        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ProfileError(f"{path} is not valid TOML: {err}") from None
    profiles = document.get("profile") or {}
    if not isinstance(profiles, dict):
        raise GiveWay
    return normalized_profiles(profiles)


def dump_profiles(profiles: dict[str, dict[str, Any]]) -> str:
    """The file's text for ``profiles``, as `temporal` lays it out (as `sdk.envconfig` writes it)."""
    from sdk._toml_text import dump_toml

    return dump_toml({"profile": normalized_profiles(profiles)})


def normalized_profiles(profiles: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each profile's table as the SDK keeps it: what it knows, set (`ClientConfigProfile`)."""
    normal = {}
    for name, table in profiles.items():
        if not isinstance(table, dict):
            raise GiveWay
        normal[name] = _normalized_profile(table)
    return normal


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise GiveWay
    return value


def _normalized_profile(table: dict[str, Any]) -> dict[str, Any]:
    normal: dict[str, Any] = {}
    for key in ("address", "namespace", "api_key"):
        if value := table.get(key):
            normal[key] = _text(value)
    tls, codec = table.get("tls"), table.get("codec")
    if isinstance(tls, dict):
        normal["tls"] = _normalized_tls(tls)
    if isinstance(codec, dict):
        normal["codec"] = {key: _text(value) for key in ("auth", "endpoint") if (value := codec.get(key))}
    meta = table.get("grpc_meta") or {}
    if not isinstance(meta, dict):
        raise GiveWay
    headers = {key.lower().replace("_", "-"): _text(value) for key, value in meta.items()}
    if headers:
        normal["grpc_meta"] = headers
    return normal


def _normalized_tls(tls: dict[str, Any]) -> dict[str, Any]:
    # The SDK checks the sources in this order (ClientConfigTLS.from_dict).
    sources = {what: _source(tls, what) for what in ("server_ca_cert", "client_cert", "client_key")}
    normal: dict[str, Any] = {}
    if tls.get("disabled"):
        normal["disabled"] = True
    for what in ("client_cert", "client_key", "server_ca_cert"):
        if (source := sources[what]) is not None:
            normal[what + source[0]] = source[1]
    if server_name := tls.get("server_name"):
        normal["server_name"] = _text(server_name)
    if tls.get("disable_host_verification", False):
        normal["disable_host_verification"] = True
    return normal


def _source(tls: dict[str, Any], what: str) -> tuple[str, str] | None:
    path, data = tls.get(f"{what}_path"), tls.get(f"{what}_data")
    if path is not None and data is not None:
        raise ProfileError(f"Cannot specify both {what}_path and {what}_data")
    if path:
        return "_path", _path_as_pathlib_writes_it(_text(path))  # the SDK keeps a Path
    if data:
        return "_data", _text(data)
    return None


# A file laid out exactly as `temporal` (and Tempo) write it is read without tomllib (4 ms to
# import): its lines are table headers and ``key = "string"`` or ``key = true|false``, and
# writing what they say gives back the very text. Then tomllib reads the same from it, whatever
# this reading made of it: the text is that of a document `dump_toml` wrote, which
# TOML reads back as that document.
# Patterns (compiled, and cached by `re`, when a profiles file is first read).
_TOML_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*")'
_HEADER = rf" *\[({_TOML_KEY}(?:\.{_TOML_KEY})*)\]"
_ENTRY = rf' *({_TOML_KEY}) = ("(?:[^"\\\n]|\\.)*"|true|false)'


def _as_written(text: str) -> dict[str, Any] | None:
    """The document of a file laid out as `temporal` writes it; None for any other text."""
    document: dict[str, Any] = {}
    table = document
    try:
        for line in text.split("\n")[:-1]:
            if header := re.fullmatch(_HEADER, line):
                table = document
                for key in re.findall(_TOML_KEY, header[1]):
                    table = table.setdefault(_unquoted(key), {})
            elif entry := re.fullmatch(_ENTRY, line):
                value = entry[2]
                table[_unquoted(entry[1])] = value == "true" if value in ("true", "false") else json.loads(value)
            else:
                return None
    except (ValueError, AttributeError, TypeError):  # an escape JSON reads otherwise; a table named twice
        return None
    from sdk._toml_text import dump_toml

    return document if dump_toml(document) == text else None


def _unquoted(key: str) -> str:
    return str(json.loads(key)) if key.startswith('"') else key


LEAN_PROFILES = ProfilesStore(load_profiles, dump_profiles, ProfileError)


# ---------------------------------------------------------------- the lean path

_OUTPUTS = ("text", "json", "jsonl")
_COLORS = ("auto", "always", "never")
_ENV, _ENV_FILE = ("--env", ("env", "str")), ("--env-file", ("env_file", "str"))
_KEY = {"--key": ("key", "str"), "-k": ("key", "str")}
_PROFILE, _CONFIG_FILE = ("--profile", ("profile", "str")), ("--config-file", ("config_file", "str"))
_PROP = {"--prop": ("prop", "str"), "-p": ("prop", "str")}
_VALUE = {"--value": ("value", "str"), "-v": ("value", "str")}
_COMMANDS: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
    "env": {
        "get": dict([_ENV, *_KEY.items(), _ENV_FILE]),
        "set": dict([_ENV, *_KEY.items(), *_VALUE.items(), _ENV_FILE]),
        "delete": dict([_ENV, *_KEY.items(), _ENV_FILE]),
        "list": dict([_ENV_FILE]),
    },
    "config": {
        "get": dict([*_PROP.items(), _PROFILE, _CONFIG_FILE]),
        "set": dict([*_PROP.items(), *_VALUE.items(), _PROFILE, _CONFIG_FILE]),
        "delete": dict([*_PROP.items(), _PROFILE, _CONFIG_FILE]),
        "delete-profile": dict([_PROFILE, _CONFIG_FILE]),
        "list": dict([_CONFIG_FILE]),
    },
}
_REQUIRED = {"config": {"set": ("prop", "value"), "delete": ("prop",)}}


def run(group: str, argv: list[str]) -> bool:
    """Run `tempo GROUP ...` (``env`` or ``config``; ``argv``: the words after it) if it is this
    path's; False when the app must (then nothing was printed or written)."""
    from tempo_cli._fast_commands import plain_words

    if sys.platform == "win32":
        return False  # Rich's console, paths and colours are Windows' own there
    commands = _COMMANDS[group]
    required = {name: _REQUIRED.get(group, {}).get(name, ()) for name in commands}
    words = plain_words(argv, commands, required)
    if words is None:
        return False
    command, values = words
    output, color = values.pop("output", "text"), values.pop("color", "auto")
    if output not in _OUTPUTS or color not in _COLORS or "address" in values or "namespace" in values:
        return False  # a value Typer refuses with its message; options these commands only pass on
    lean = _Lean(output, color)
    try:
        if group == "env":
            _run_env(lean, command, values)
        else:
            _run_config(lean, command, values)
    except _Ended:
        pass
    except Exception:
        if lean.writing:
            raise  # the file was being written: the app would meet the same
        return False  # GiveWay, or anything unforeseen: the app answers (and words it)
    if not lean.writing and not lean.encodes():
        return False
    lean.finish()
    return True


def _run_env(lean: _Lean, command: str, values: dict[str, Any]) -> None:
    path = _env_path(values.get("env_file"))
    env, key = values.get("env"), values.get("key")
    if command == "get":
        get_env(lean, path, env, key)
    elif command == "set":
        set_env(lean, path, env, key, values.get("value", ""))
    elif command == "delete":
        delete_env(lean, path, env, key)
    else:
        list_envs(lean, path)


def _run_config(lean: _Lean, command: str, values: dict[str, Any]) -> None:
    file = ProfilesFile(lean, _config_path(values.get("config_file")), values.get("profile"), LEAN_PROFILES)
    if command == "get":
        get_property(file, values.get("prop"))
    elif command == "set":
        set_property(file, values["prop"], values["value"])
    elif command == "delete":
        delete_property(file, values["prop"])
    elif command == "delete-profile":
        delete_profile(file)
    else:
        list_profiles(file)


def _home() -> str:
    home = os.environ.get("HOME")
    if not home:
        raise GiveWay  # `Path.home()` looks further, or fails
    return home


def _env_path(env_file: str | None) -> str:
    """The environments file, as `tempo_cli.env` finds it: --env-file, else TEMPORAL_ENV_FILE,
    else ``~/.config/temporalio/temporal.yaml``."""
    if env_file is None:
        env_file = os.environ.get("TEMPORAL_ENV_FILE") or os.path.join(
            _home(), ".config", "temporalio", "temporal.yaml"
        )
    return _path_as_pathlib_writes_it(env_file)


def _config_path(config_file: str | None) -> str:
    """The profiles file, as `tempo_cli.config` finds it (`sdk.envconfig.config_file_path`):
    --config-file, else TEMPORAL_CONFIG_FILE, else the default file."""
    if config_file is None:
        config_file = os.environ.get("TEMPORAL_CONFIG_FILE") or _default_config_file()
    return _path_as_pathlib_writes_it(config_file)


def _default_config_file() -> str:
    """`sdk.envconfig.default_config_file` (not on Windows, where this path gives way)."""
    if sys.platform == "darwin":
        base = os.path.join(_home(), "Library", "Application Support")
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(_home(), ".config")
    return os.path.join(base, "temporalio", "temporal.toml")


def _path_as_pathlib_writes_it(text: str) -> str:
    """``text``, when ``str(Path(text))`` is ``text`` (the app names its files by their Path);
    else gives way: a path written otherwise (``a//b``, ``./a``, ``a/``, an empty one)."""
    parts = text.split("/")
    if text.startswith("/"):
        parts = parts[1:]
    if not text or any(part in ("", ".") for part in parts):
        raise GiveWay
    return text


class _Ended(Exception):
    """The command ended with an error, recorded to be printed."""


class _Lean:
    """The lean path's output: what the app would print, kept until the command is done (then
    :meth:`finish` prints it), or :class:`GiveWay` where it cannot be told without Rich."""

    def __init__(self, output: str, color: str) -> None:
        self.output = output
        self.color = color
        self.out: list[str] = []
        self.err = ""
        self.code = 0
        self.writing = False
        """A file is being written (`_write`): from then on, nothing gives way."""

    @property
    def json_mode(self) -> bool:
        return self.output != "text"

    def write_json(self, value: Any) -> None:
        self.out.append(json_text(value, self.output) + "\n")

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """The app's ``Table(box=None)`` of these columns and rows, as Rich draws it here."""
        terminal = _terminal(sys.stdout, self.color)
        lines = drawn_table(columns, rows, None if terminal is None else terminal[0])
        if lines is None:
            raise GiveWay
        self.out.append("".join(line + "\n" for line in lines))

    def abort(self, message: str) -> NoReturn:
        """As `CliContext.abort`: ``error: message`` on stderr, exit code 1."""
        line = drawn_error(message, _terminal(sys.stderr, self.color))
        if line is None:
            raise GiveWay
        self.err = line + "\n"
        self.code = 1
        raise _Ended

    def encodes(self) -> bool:
        """Whether what it prints goes to its streams as is (else Rich and Python may each
        meet it their own way)."""
        return _encodes(sys.stdout, "".join(self.out)) and _encodes(sys.stderr, self.err)

    def finish(self) -> None:
        """Print what the command printed, and end it with its exit code."""
        text = "".join(self.out)
        if text:
            try:
                sys.stdout.write(text)
                sys.stdout.flush()
            except BrokenPipeError:
                # As `_cli._Stdout`: stdout at /dev/null, so the final flush does not fail too.
                with contextlib.suppress(OSError, ValueError):
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise SystemExit(0) from None
        if self.err:
            sys.stderr.write(self.err)
            sys.stderr.flush()
        if self.code:
            raise SystemExit(self.code)


def drawn_table(columns: Sequence[str], rows: Sequence[Sequence[str]], terminal: int | None) -> list[str] | None:
    """The lines the app prints for its borderless ``Table(box=None)`` of ``columns`` and
    ``rows`` (`AppOutput.table`, `CliContext.print_table`): to a pipe or a file (``terminal``
    None), or on a terminal that many cells wide; None when Rich must measure, fit or wrap it."""
    from tempo_cli._plain_table import one_cell_per_char

    texts = [list(columns), *(list(row) for row in rows)]
    if not all(one_cell_per_char(text) for row in texts for text in row):
        return None  # Rich measures (or expands, or strips) such characters itself
    widths = [max(len(row[index]) for row in texts) for index in range(len(columns))]
    if sum(widths) + 2 * len(widths) > (10_000 if terminal is None else terminal):  # a pipe's: `_cli._console`
        return None  # Rich shrinks the columns to fit, and wraps their cells
    # A space at either edge and two between the columns (each cell padded by one either side).
    padded = [[text.ljust(width) for text, width in zip(row, widths, strict=True)] for row in texts]
    lines = [(" " + "  ".join(row) + " ").rstrip() for row in padded]
    if terminal is not None:  # the header in bold, each cell's padding apart (Rich's segments)
        lines[0] = "".join(_BOLD.format(" ") + _BOLD.format(text) + _BOLD.format(" ") for text in padded[0])
    return lines


_BOLD = "\x1b[1m{}\x1b[0m"


def drawn_error(message: str, terminal: tuple[int, str, bool] | None) -> str | None:
    """``error: message`` as the app prints it (`CliContext.abort`): as is to a pipe or a file
    (``terminal`` None), or in Rich's bold red on a terminal ``(width, colour system, no colour)``
    (`_terminal_table.terminal`); None when Rich must wrap or measure it."""
    line = f"error: {message}"
    if terminal is None:
        return line
    from tempo_cli._plain_table import one_cell_per_char

    width, _, no_color = terminal
    if len(line) > width or not one_cell_per_char(line):
        return None
    return f"\x1b[{'1' if no_color else '1;31'}m{line}\x1b[0m"  # red is a standard colour in every system


def _encodes(stream: Any, text: str) -> bool:
    """Whether ``text`` goes to ``stream`` as is: ASCII, or a stream that writes UTF-8."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return encoding == "utf8" or text.isascii()


def _terminal(stream: Any, color: str) -> tuple[int, str, bool] | None:
    """None when the app's console prints to ``stream`` as to a file (a pipe: plain text, as
    wide as it needs); else the terminal as Rich sees it (`_terminal_table.terminal`), or
    :class:`GiveWay` when Rich would see it otherwise or colours are forced."""
    environ = os.environ
    try:
        is_tty = stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        raise GiveWay from None
    if color == "always" or environ.get("TTY_COMPATIBLE") == "1" or environ.get("FORCE_COLOR"):
        raise GiveWay  # Rich draws for a terminal anyway
    if not is_tty:
        return None
    from tempo_cli._terminal_table import terminal

    found = terminal(environ, color)
    if found is None:
        raise GiveWay
    return found
