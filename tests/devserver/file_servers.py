"""Tempo servers that keep their state in a SQLite file (restarted, killed, rewritten by the
persistence tests), and waiting for an event in a history.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.client import WorkflowHandle

from tests.servers import ServerProcess, tempo_server


def file_server(db: Path, port: int) -> ServerProcess:
    return tempo_server("--db-filename", str(db), port=port)


async def wait_for_event(handle: WorkflowHandle, event_type: int, timeout: float = 20.0) -> None:
    """Until the history holds an event of `event_type` (running or not: no idle check)."""

    async def poll() -> None:
        while True:
            history = await handle.fetch_history()
            if any(e.event_type == event_type for e in history.events):
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)
