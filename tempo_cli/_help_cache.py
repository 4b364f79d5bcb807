"""`tempo ... --help` answered from the text an earlier run printed, without building the app.

Importing Typer alone takes longer than the whole `temporal --help`. A help text depends only
on the code (tempo_cli, the dynamic config keys start-dev lists, the Typer that renders it),
the terminal's width, the program's name and the environment variables of Temporal and Tempo, so the first time a
command's help is asked for it is rendered as usual and kept in the user's cache directory
(`$XDG_CACHE_HOME/tempo/help.json`, else `~/.cache/tempo/help.json`) under a fingerprint of
all that (file sizes and modification times, the variables); the next time, with the same
fingerprint, it is printed from there. A changed file, another width or another variable is
a miss: the help is rendered again. The texts of the latest few fingerprints (installs) are
kept. Only the plain form `tempo [group...] --help` is kept; anything else (an option,
`tempo` alone) runs the app.

Imports only `json`, `os` and `sys`: it runs before anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

_MAX_ENTRIES = 200  # help texts per fingerprint
_MAX_FINGERPRINTS = 4
_CODE_DIR = os.path.dirname(os.path.abspath(__file__))


def is_help_request(argv: list[str]) -> bool:
    """`tempo --help`, `tempo workflow --help`, `tempo workflow list --help`: words, then --help."""
    return (
        0 < len(argv) <= 4
        and argv[-1] == "--help"
        and all(word and not word.startswith("-") and word.isprintable() for word in argv[:-1])
    )


def cached_help(argv: list[str]) -> str | None:
    """The help text kept for this command line in these conditions, if any."""
    entries = _read().get(_fingerprint())
    text = entries.get(_key(argv)) if isinstance(entries, dict) else None
    return text if isinstance(text, str) else None


def keep_help(argv: list[str], text: str) -> None:
    """Keep ``text``, the help just printed for ``argv``; a cache that cannot be written is no error."""
    fingerprint = _fingerprint()
    kept = _read()
    entries = kept.pop(fingerprint, None)
    if not isinstance(entries, dict) or len(entries) >= _MAX_ENTRIES:
        entries = {}
    entries[_key(argv)] = text
    # The latest few installs (each its own fingerprint: worktrees, virtualenvs), newest last.
    kept = dict(list(kept.items())[-(_MAX_FINGERPRINTS - 1) :]) | {fingerprint: entries}
    path = _cache_file()
    temporary = f"{path}.{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(kept, file)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _cache_file() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tempo", "help.json")


def _read() -> dict[str, object]:
    try:
        with open(_cache_file(), encoding="utf-8") as file:
            content = json.load(file)
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def _key(argv: list[str]) -> str:
    """The command line, the width, and how the program was started (its name in the help's
    usage line: `tempo`, or `python -m tempo_cli.main`)."""
    started_as = f"{sys.argv[0]} {getattr(sys.modules['__main__'], '__package__', None)}"
    return f"{_terminal_columns()} {started_as} {' '.join(argv)}"


def _terminal_columns() -> int:
    """The width the help is wrapped to depends on: COLUMNS, else the terminal's (as shutil sees it)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def _fingerprint() -> str:
    """What a help text is rendered from: the code that renders it and the variables it may show."""
    parts = [sys.version, sys.executable]
    for directory, subdirectories, files in os.walk(_CODE_DIR):
        subdirectories[:] = sorted(name for name in subdirectories if name != "__pycache__")
        parts.extend(_stat(os.path.join(directory, name)) for name in sorted(files) if name.endswith(".py"))
    parts.append(_stat(os.path.join(os.path.dirname(_CODE_DIR), "devserver", "dynamic_config.py")))
    parts.extend(_stat(os.path.join(entry, "typer", "__init__.py")) for entry in sys.path if entry)
    parts.extend(
        f"{name}={value}" for name, value in sorted(os.environ.items()) if name.startswith(("TEMPORAL_", "TEMPO_"))
    )
    parts.extend(f"{name}={os.environ.get(name, '')}" for name in ("HOME", "XDG_CONFIG_HOME"))
    return "\n".join(parts)


def _stat(path: str) -> str:
    try:
        found = os.stat(path)
    except OSError:
        return ""
    return f"{path} {found.st_size} {found.st_mtime_ns}"
