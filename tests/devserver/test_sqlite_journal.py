"""The SQLite file runs in WAL mode, as the store says: a reader (the `sqlite3` shell, a
backup) reads it while the server commits, and a commit costs one append to the log.

Before, the switch to WAL failed without a word (a statement of the start-up read was still
open), and the file stayed in rollback-journal mode.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from temporalio.client import Client

from tests.devserver.file_servers import file_server
from tests.servers import free_port


async def test_a_served_file_is_in_wal_mode_and_readable_beside_the_server(tmp_path: Path) -> None:
    db = tmp_path / "tempo.db"
    for _ in range(2):  # a new file, then the same file opened again
        server = file_server(db, free_port()).start()
        try:
            client = await Client.connect(server.address)
            workflow_id = f"wal-{uuid.uuid4().hex[:8]}"
            await client.start_workflow("Anything", id=workflow_id, task_queue="nobody-polls")
            reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
                stored = reader.execute("SELECT count(*) FROM executions WHERE workflow_id = ?", (workflow_id,))
                assert stored.fetchone() == (1,)
            finally:
                reader.close()
        finally:
            server.stop()
