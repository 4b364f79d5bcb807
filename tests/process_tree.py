"""The process table, read from /proc (Linux): which processes a process started, and
whether they are still running after it stopped."""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessEntry:
    """One process; ``started`` (clock ticks after boot) tells it from a later one that
    reuses its PID."""

    pid: int
    parent: int
    state: str
    started: int
    command: str


def process_table() -> dict[int, ProcessEntry]:
    """Every process now, by PID."""
    table: dict[int, ProcessEntry] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # it ended while we looked
        # The name in parentheses may hold spaces and parentheses: the fields follow the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        table[pid] = ProcessEntry(pid, int(fields[1]), fields[0], int(fields[19]), command)
    return table


def descendants(root: int) -> list[ProcessEntry]:
    """The processes ``root`` started, their children, and so on."""
    table = process_table()
    found: list[ProcessEntry] = []
    parents = {root}
    while parents:
        children = [entry for entry in table.values() if entry.parent in parents]
        found.extend(children)
        parents = {entry.pid for entry in children}
    return found


def still_running(processes: list[ProcessEntry]) -> list[ProcessEntry]:
    """Those of ``processes`` that have not ended (zombies have ended: only their exit
    status waits to be read)."""
    table = process_table()
    return [
        now
        for entry in processes
        if (now := table.get(entry.pid)) is not None and now.started == entry.started and now.state != "Z"
    ]


def kill_all(processes: list[ProcessEntry]) -> None:
    """Clean up after a failed test: SIGKILL whichever of ``processes`` still run."""
    for entry in still_running(processes):
        with contextlib.suppress(ProcessLookupError):
            os.kill(entry.pid, signal.SIGKILL)
