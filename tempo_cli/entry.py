"""The `tempo` command's entry point: the fast paths, then the Typer app.

A `tempo` command should start about as fast as `temporal`'s:

- `tempo server start-dev`, the `tempo workflow` commands people type most, the `tempo
  operator` reads, `tempo schedule list|describe`, `tempo task-queue describe|list-partition`
  and `tempo batch list`, with plain options, run without Typer (`_fast_server`,
  `_fast_commands`); the six commands people type most, `workflow count|result|terminate|cancel`, the namespace,
  search-attribute and schedule lists, `operator namespace describe`, `operator cluster
  system|describe|health`, `schedule describe`, `task-queue describe|list-partition` and
  `batch list`, printing to a pipe, a file or (the reads) a terminal, and `schedule
  trigger|toggle|delete` printing to any of them, even without the SDK's client
  (`_lean_commands`, `_lean_reads`, `_lean_schedule_writes`), and `tempo activity
  pause|unpause|reset|complete|fail|update-options` of one activity (`_lean_activity`);
- `tempo env get|list|set|delete` and `tempo config get|list|set|delete|delete-profile`, which
  only read and write local files, without Typer, Rich or the SDK (`_lean_local`);
- the generated messages are made when first used, from a cache of their descriptors
  (`_proto_cache`), and the methods `dataclasses` generates come compiled from a cache
  (`_dataclass_code`);
- `tempo ... --help` is printed from the help cache when the same help was rendered before
  (`_help_cache`), without importing Typer;
- before anything imports `temporalio.api`, the official SDK's heavy `__init__` is deferred
  (`_temporalio_api`);
- the app (`tempo_cli.main`) builds only the command that runs (`_lazy_groups`) and converts
  plain option values without Pydantic (`_plain_values`).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

from tempo_cli import _dataclass_code, _help_cache
from tempo_cli._deferred_stdlib import defer_inspect
from tempo_cli._temporalio_api import defer_service_inits


def main() -> None:
    defer_inspect()
    _dataclass_code.install()
    argv = sys.argv[1:]
    if not _help_cache.is_help_request(argv):
        if not _run_server_start_dev(argv) and not _run_local(argv) and not _run_fast_command(argv):
            _run_app()
        return
    text = _help_cache.cached_help(argv)
    if text is None:
        text = _rendered_help()
        if text is None:
            return
        _help_cache.keep_help(argv, text)
    sys.stdout.write(text)
    sys.stdout.flush()


def _run_server_start_dev(argv: list[str]) -> bool:
    """`tempo server start-dev` with plain options, without Typer (`_fast_server`); False when
    the app must run it."""
    if argv[:2] != ["server", "start-dev"]:
        return False
    defer_service_inits()  # the server speaks HTTP/2 itself (devserver.h2_server): no grpcio
    from tempo_cli import _fast_server

    return _fast_server.run(argv[2:])


def _run_local(argv: list[str]) -> bool:
    """`tempo env ...` and `tempo config ...`, which only read and write local files, without
    Typer or Rich (`_lean_local`); False when the app must run it (nothing was printed)."""
    if not argv or argv[0] not in ("env", "config"):
        return False
    from tempo_cli import _lean_local

    return _lean_local.run(argv[0], argv[1:])


# The groups `_fast_commands` reads some command lines of (it is imported only for them).
_FAST_GROUPS = ("workflow", "operator", "schedule", "task-queue", "batch")


def _run_fast_command(argv: list[str]) -> bool:
    """`tempo workflow list|count|describe|show|start|signal|query|result|terminate|cancel|...`, the `tempo operator`
    reads, `tempo schedule list|describe`, `tempo task-queue describe|list-partition` and `tempo
    batch list` with plain options, without Typer (`_fast_commands`), the lean path first
    (`_lean_commands`, `_lean_reads`; `schedule trigger|toggle|delete`: `_lean_schedule_writes`,
    else the app); False when the app must run it."""
    if argv[:1] == ["activity"]:
        return _run_lean_activity(argv[1:])
    if not argv or argv[0] not in _FAST_GROUPS:
        return False
    defer_service_inits()  # their client calls over a plain socket when it can: no grpcio
    # As the app does (tempo_cli.main): gRPC's C core would log its own errors next to ours.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    if argv[0] == "workflow":
        from tempo_cli import _lean_commands

        if _lean_commands.run(argv[1:]):
            return True
    else:
        if argv[0] == "schedule":
            from tempo_cli import _lean_schedule_writes

            if _lean_schedule_writes.run(argv[1:]):
                return True
        from tempo_cli import _lean_reads

        if _lean_reads.run(argv[0], argv[1:]):
            return True
    from tempo_cli import _fast_commands

    if argv[0] == "workflow":
        return _fast_commands.run(argv[1:])
    return _fast_commands.run_group(argv[0], argv[1:])


def _run_lean_activity(argv: list[str]) -> bool:
    """`tempo activity pause|unpause|reset|complete|fail|update-options` of one activity with
    plain options, without Typer or the SDK's client (`_lean_activity`); False when the app
    must run it (its commands have no fast path through the SDK's client)."""
    defer_service_inits()
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # as the app does (tempo_cli.main)
    from tempo_cli import _lean_activity

    return _lean_activity.run(argv)


def _run_app() -> None:
    defer_service_inits()  # grpcio loads with a command's first channel, if it has one
    from tempo_cli.main import main as run_app

    run_app()


def _rendered_help() -> str | None:
    """The help the app prints for this command line (None if it printed nothing). When the app
    ends with an error instead (a usage mistake), what it printed and its exit code go on."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            _run_app()
    except SystemExit as ended:
        if ended.code not in (None, 0):
            sys.stdout.write(printed.getvalue())
            raise
    return printed.getvalue() or None
