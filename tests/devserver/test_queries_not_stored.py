"""A query is no part of a run's history or of what a restart brings back, so with
--db-filename it writes nothing to the file: not while the run is running, not once it is
closed (a closed run at rest stays at rest)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from tests.devserver.durable_app import Napper
from tests.devserver.file_servers import file_server
from tests.servers import free_port


def _data_version(watcher: sqlite3.Connection) -> int:
    """Changes when another connection (the server's) commits to the file."""
    return int(watcher.execute("PRAGMA data_version").fetchone()[0])


async def test_queries_answer_without_writing_to_the_file(tmp_path: Path) -> None:
    db, port = tmp_path / "tempo.db", free_port()
    queue = f"queries-{uuid.uuid4().hex[:8]}"
    server = file_server(db, port).start()
    watcher = sqlite3.connect(db)
    try:
        client = await Client.connect(server.address)
        async with Worker(client, task_queue=queue, workflows=[Napper]):
            napping = await client.start_workflow(Napper.run, 3600.0, id=f"{queue}-long", task_queue=queue)
            assert await napping.query(Napper.nap_length) == 3600.0  # its first task is done
            done = await client.start_workflow(Napper.run, 0.0, id=f"{queue}-done", task_queue=queue)
            assert await done.result() == "rested"
            before = _data_version(watcher)
            for _ in range(5):
                assert await napping.query(Napper.nap_length) == 3600.0
                assert await done.query(Napper.nap_length) == 0.0
            assert _data_version(watcher) == before
            await napping.terminate("done with it")
            assert _data_version(watcher) != before  # the watcher does see the server's writes
    finally:
        watcher.close()
        server.stop()

    # What the queries left behind is what a restart reads: the closed run answers as before.
    server = file_server(db, port).start()
    try:
        client = await Client.connect(server.address)
        async with Worker(client, task_queue=queue, workflows=[Napper]):
            assert await client.get_workflow_handle(f"{queue}-done").query(Napper.nap_length) == 0.0
    finally:
        server.stop()
