"""TOML text as the `temporal` CLI writes its profiles file: keys sorted, values before tables,
each table indented two spaces deeper than its parent, even the bare [profile] header. Writing
the same bytes keeps a file that both tools edit free of churn.

Standard library only (no dataclasses): `sdk.envconfig` writes with it, and so does the CLI's
lean path for `tempo config` (`tempo_cli._lean_local`), which must not load dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _toml_string(value: str) -> str:
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif char in "\b\t\n\f\r":
            escaped.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _toml_key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    return key if bare else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _toml_string(str(value))


def dump_toml(document: Mapping[str, Any]) -> str:
    """TOML text of nested mappings of strings and booleans, in the ``temporal`` CLI's layout."""
    lines: list[str] = []

    def table(path: list[str], values: Mapping[str, Any], depth: int) -> None:
        indent = "  " * depth
        for key in sorted(k for k, v in values.items() if not isinstance(v, Mapping)):
            lines.append(f"{indent}{_toml_key(key)} = {_toml_value(values[key])}")
        for key in sorted(k for k, v in values.items() if isinstance(v, Mapping)):
            lines.append(f"{indent}[{'.'.join(_toml_key(p) for p in [*path, key])}]")
            table([*path, key], values[key], depth + 1)

    table([], document, 0)
    return "".join(line + "\n" for line in lines)
