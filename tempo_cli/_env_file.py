"""The environments file of `temporal env` (``~/.config/temporalio/temporal.yaml``).

Its YAML is always one shape, ``env: {NAME: {KEY: VALUE}}`` with string values, so a small
reader and writer for that shape stand in for a YAML library. The writer lays it out as
`temporal` does (4-space indents, sorted keys, values quoted only where YAML needs it); the
reader takes what `temporal` writes, including quoted and block (``|``) values.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

Environments = dict[str, dict[str, str]]

_INDENT = "    "
# Words YAML would read as something other than a string (YAML 1.1, as Go's yaml.v3 checks).
# A pattern, compiled (and cached by `re`) when a file is first written: every command that
# connects imports this module (for `default_env_file`), few write the file.
_NOT_STRINGS = (
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|[-+]?(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|0x[0-9a-fA-F_]+|0o?[0-7_]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|<<)$"
)
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


class EnvFileError(ValueError):
    """The file is not the shape `temporal env` writes."""


def default_env_file() -> Path | None:
    """``~/.config/temporalio/temporal.yaml``, where `temporal` keeps it (None without a home)."""
    from pathlib import Path  # here: `tempo env` and `tempo config` read and write without it

    try:
        return Path.home() / ".config" / "temporalio" / "temporal.yaml"
    except RuntimeError:
        return None


def _scalar(value: str) -> str:
    if value == "" or re.match(_NOT_STRINGS, value):
        return f'"{value}"'
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):  # blocks are handled by dump
        return json.dumps(value, ensure_ascii=False)
    if value[0] in _INDICATORS or value[0] == " " or value[-1] in " :" or ": " in value or " #" in value:
        return "'" + value.replace("'", "''") + "'"
    return value


def _block(value: str, indent: str) -> list[str]:
    """A multi-line value as a literal block, its chomping saying how it ends."""
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    header = "|-" if trailing == 0 else "|" if trailing == 1 else "|+"
    lines = [indent + line if line else "" for line in body.split("\n")]
    return [header, *lines, *([""] * (trailing - 1) if trailing > 1 else [])]


def dump(environments: Environments) -> str:
    """The file's text for ``environments``."""
    if not environments:
        return "env: {}\n"
    lines = ["env:"]
    for name in sorted(environments):
        values = environments[name]
        if not values:
            lines.append(f"{_INDENT}{_scalar(name)}: {{}}")
            continue
        lines.append(f"{_INDENT}{_scalar(name)}:")
        for key in sorted(values):
            value = values[key]
            if "\n" in value and not any(ord(c) < 0x20 and c != "\n" for c in value):
                header, *rest = _block(value, _INDENT * 3)
                lines.append(f"{_INDENT * 2}{_scalar(key)}: {header}")
                lines.extend(rest)
            else:
                lines.append(f"{_INDENT * 2}{_scalar(key)}: {_scalar(value)}")
    return "".join(line + "\n" for line in lines)


def _unquote(text: str) -> str:
    text = text.strip()
    if text.startswith('"'):
        try:
            return str(json.loads(text))
        except json.JSONDecodeError:
            raise EnvFileError(f"cannot read the value {text}") from None
    if text.startswith("'"):
        if not text.endswith("'") or len(text) < 2:
            raise EnvFileError(f"cannot read the value {text}")
        return text[1:-1].replace("''", "'")
    return text


def _split_key(line: str) -> tuple[str, str]:
    """``key: rest`` of a mapping line, the key unquoted."""
    stripped = line.strip()
    if stripped[0] in "'\"":
        closing = stripped.index(stripped[0], 1)
        while stripped[0] == "'" and stripped[closing + 1 : closing + 2] == "'":
            closing = stripped.index("'", closing + 2)
        key, rest = stripped[: closing + 1], stripped[closing + 1 :]
        if not rest.startswith(":"):
            raise EnvFileError(f"cannot read the line {line.strip()!r}")
        return _unquote(key), rest[1:].strip()
    key, colon, rest = stripped.partition(":")
    if not colon:
        raise EnvFileError(f"cannot read the line {line.strip()!r}")
    return key.strip(), rest.strip()


def parse(text: str) -> Environments:
    """The environments in a file's text."""
    lines = text.split("\n")
    environments: Environments = {}
    current: dict[str, str] | None = None
    env_indent = key_indent = -1
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        key, rest = _split_key(line)
        if indent == 0:
            if key != "env":
                continue  # not ours to read; `temporal` ignores it too
            if rest not in ("", "{}"):
                raise EnvFileError("env: must be a mapping of environments")
            continue
        if env_indent < 0 or indent == env_indent:
            env_indent = indent
            current = environments.setdefault(key, {})
            key_indent = -1
            continue
        if current is None or (key_indent >= 0 and indent != key_indent):
            raise EnvFileError(f"cannot read the line {line.strip()!r}")
        key_indent = indent
        if rest[:1] == "|":
            block: list[str] = []
            while index < len(lines) and (not lines[index].strip() or _indent_of(lines[index]) > indent):
                block.append(lines[index])
                index += 1
            current[key] = _literal(block, rest)
        else:
            current[key] = _unquote(rest)
    return environments


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _literal(block: list[str], header: str) -> str:
    content = [line for line in block if line.strip()]
    margin = min((_indent_of(line) for line in content), default=0)
    body = "\n".join(line[margin:] for line in block)
    if header == "|-":
        return body.rstrip("\n")
    if header == "|+":
        return body + "\n"
    return body.rstrip("\n") + "\n"


def read(path: str | Path) -> Environments:
    """The environments of the file at ``path``; none if there is no file."""
    try:
        with open(path) as file:  # as `Path.read_text` opens it
            return parse(file.read())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise EnvFileError(f"cannot read {path}: {err}") from None


def write(path: str | Path, environments: Environments) -> None:
    """Save ``environments`` at ``path``, private (values may be keys)."""
    write_private(path, dump(environments))


def write_private(path: str | Path, text: str) -> None:
    """Write ``text`` to the file at ``path``, readable by its owner only, making its folder
    (private too) if missing, as `temporal` writes its files (`tempo env`, `tempo config`)."""
    # As `Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)`: the parents it
    # makes get the default mode, the folder itself 0o700.
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
