"""The fast path of `tempo server start-dev` for plain command lines: no Typer, no Rich.

Reading the options with Typer costs about 50 ms before the server even starts importing;
the official SDKs' test environments start the dev server for every test session, and a
user waits for it too. A command line made only of the options below, each given once
with a plain value, is read here and run by the same code as the Typer command
(`tempo_cli._start_dev`). Anything else (`--help`, TLS, a value Typer would reject or
convert, an unknown word) goes to the full app, so its behaviour and messages stay Typer's.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from tempo_cli._server_logging import LogFormat, LogLevel

if TYPE_CHECKING:
    import socket

    from tempo_cli._start_dev import StartDevOptions

# option -> (StartDevOptions field, kind): "str", "int", "list" (repeatable) or "flag".
_OPTIONS: dict[str, tuple[str, str]] = {
    "--ip": ("ip", "str"),
    "--port": ("port", "int"),
    "-p": ("port", "int"),
    "--namespace": ("namespace", "list"),
    "-n": ("namespace", "list"),
    "--db-filename": ("db_filename", "str"),
    "-f": ("db_filename", "str"),
    "--sqlite-pragma": ("sqlite_pragma", "list"),
    "--search-attribute": ("search_attribute", "list"),
    "--dynamic-config-value": ("dynamic_config_value", "list"),
    "--log-level": ("log_level", "level"),
    "--log-format": ("log_format", "format"),
    "--log-config": ("log_config", "flag"),
    "--ui-port": ("ui_port", "int"),
    "--ui-ip": ("ui_ip", "str"),
    "--headless": ("headless", "flag"),
    "--ui-disable-news-fetch": ("", "flag"),
    "--metrics-port": ("metrics_port", "int"),
    "--time-skipping": ("time_skipping", "flag"),
}


def plain_start_dev_options(argv: list[str]) -> StartDevOptions | None:
    """The options of ``argv`` (the words after `server start-dev`), or None when the full
    app must read them."""
    values = plain_values(argv)
    if values is None:
        return None
    from tempo_cli._start_dev import StartDevOptions

    return StartDevOptions(**values)


def plain_values(argv: list[str]) -> dict[str, Any] | None:
    """`StartDevOptions`' values given in ``argv``, by field name, or None when the full app
    must read them (read without importing the server: see :func:`run`)."""
    values: dict[str, Any] = {}
    seen: set[str] = set()
    words = iter(argv)
    for word in words:
        name, has_value, value = word.partition("=") if word.startswith("--") else (word, False, "")
        option = _OPTIONS.get(name)
        if option is None:
            return None
        field_name, kind = option
        if kind == "flag":
            if has_value:
                return None
            if field_name:
                values[field_name] = True
            continue
        if not has_value:
            value = next(words, None)  # type: ignore[assignment]
            if value is None or value.startswith("-"):
                return None  # a missing value (or one Typer might read differently): Typer says so
        if kind == "list":
            values.setdefault(field_name, [])
            values[field_name].append(value)
            continue
        if field_name in seen:
            return None  # given twice: Typer decides which one counts
        seen.add(field_name)
        if kind == "int":
            if not value.isascii() or not value.isdigit():
                return None
            values[field_name] = int(value)
        elif kind == "level":
            if value not in {level.value for level in LogLevel}:
                return None
            values[field_name] = LogLevel(value)
        elif kind == "format":
            if value not in {log_format.value for log_format in LogFormat}:
                return None
            values[field_name] = LogFormat(value)
        else:
            values[field_name] = value
    return values


def run(argv: list[str]) -> bool:
    """Run `tempo server start-dev` from ``argv`` (the words after `server start-dev`) if
    they are plain; False (nothing done) when the full app must run it."""
    values = plain_values(argv)
    if values is None:
        return False
    listening = _listen_early(values.get("ip", "127.0.0.1"), values.get("port", 7233), bool(values.get("db_filename")))
    # No TLS option is plain: the server serves plaintext, and asyncio goes without its TLS
    # layer (4 ms of start-up). Before the server's modules import asyncio.
    from tempo_cli._plain_asyncio import import_without_ssl

    import_without_ssl()
    from tempo_cli._start_dev import StartDevOptions, run_start_dev

    # As `tempo_cli.main` sets it: gRPC's own log lines stay out of the server's output.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    run_start_dev(StartDevOptions(**values), listening)
    sys.stdout.flush()
    return True


def _listen_early(ip: str, port: int, stored: bool) -> socket.socket | None:
    """The server's socket, listening before the server's modules are imported (about 60 ms
    of its start), or None (then the server binds it itself, and words what fails).

    A client that connects now waits in the kernel's queue until the server answers: what
    changes is when the port opens. The official SDKs' test harnesses wait for the port,
    checking it about every 100 ms, then connect: a port that opens at 95 ms instead of at
    105 costs their every test session a check, 100 ms. Not for a server with a store: it
    may take a while to load, and a port that opens early would then only keep clients
    waiting."""
    if stored:
        return None
    from devserver.listen_address import hold_stop_signal, listening_socket, release_stop_signal

    # Held before the port opens: a SIGTERM sent the moment it does now stops it once started.
    hold_stop_signal()
    try:
        listening = listening_socket(ip, port)
    except (OSError, OverflowError, ValueError):  # taken, not this machine's, no port
        listening = None
    if listening is None:
        release_stop_signal()
    return listening
