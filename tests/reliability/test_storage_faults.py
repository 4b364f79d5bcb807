"""Storage faults with `--db-filename`: a disk that fills up mid-commit, a read-only file, a
truncated or corrupted file, a file from a newer schema. Each stops the server with one
`error:` line and exit code 1, writes nothing into the file, and once the fault is gone a
restart continues from the last acknowledged state."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from tests.reliability.harness import LoggedServer, logged
from tests.reliability.storm_app import Sleeper
from tests.servers import tempo_server


def file_server(db: Path, log: Path, preexec: Callable[[], None] | None = None) -> LoggedServer:
    return logged(tempo_server("--db-filename", str(db)), log, preexec)


def refused(server: LoggedServer) -> tuple[int, list[str]]:
    """Start a server expected to refuse its file: exit code and the lines it printed."""
    proc = server.spawn()
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()  # it served the file instead of refusing it: do not leave it running
        raise AssertionError("the server started on a file it should have refused") from None
    return code, [line for line in server.log().splitlines() if line.strip()]


def assert_one_line_error(code: int, lines: list[str], *words: str) -> None:
    assert code == 1, lines
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, lines
    assert not any("Traceback" in line for line in lines), lines
    for word in words:
        assert word in errors[0], errors[0]


async def start_sleepers(address: str, count: int, prefix: str) -> list[str]:
    client = await Client.connect(address)
    ids = []
    for i in range(count):
        handle = await client.start_workflow(Sleeper.run, 0.0, id=f"{prefix}-{i}", task_queue=prefix)
        ids.append(handle.id)
    return ids


async def complete_all(address: str, queue: str, workflow_ids: list[str]) -> list[str]:
    client = await Client.connect(address)
    async with Worker(client, task_queue=queue, workflows=[Sleeper]):
        return [await client.get_workflow_handle(w).result() for w in workflow_ids]


@pytest.fixture
async def stored(tmp_path: Path) -> tuple[Path, list[str], str]:
    """A database file holding three running workflows, written by a server that stopped cleanly."""
    db = tmp_path / "tempo.db"
    queue = f"stored-{uuid.uuid4().hex[:6]}"
    server = file_server(db, tmp_path / "first.log").start()
    try:
        ids = await start_sleepers(server.address, 3, queue)
    finally:
        server.stop()
    return db, ids, queue


def _truncate(db: Path) -> None:
    with open(db, "r+b") as f:
        f.truncate(db.stat().st_size // 2)


def _scribble_pages(db: Path) -> None:
    data = bytearray(db.read_bytes())
    for offset in range(4096, len(data), 4096):  # every page but the header's
        data[offset + 8 : offset + 40] = os.urandom(32)
    db.write_bytes(bytes(data))


def _garble_an_event(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE history SET event = x'ffffffff0f' WHERE event_id = 2")


def _newer_schema(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("PRAGMA user_version = 99")


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (_truncate, ["tempo.db"]),
        (_scribble_pages, ["tempo.db"]),
        (_garble_an_event, ["event 2 of workflow"]),
        (_newer_schema, ["newer than this server"]),
    ],
    ids=["truncated", "corrupted-pages", "corrupted-record", "newer-schema"],
)
async def test_a_damaged_file_is_refused_untouched_and_the_intact_copy_continues(
    stored: tuple[Path, list[str], str], damage: Callable[[Path], None], words: list[str]
) -> None:
    db, ids, queue = stored
    intact = db.with_suffix(".intact")
    shutil.copyfile(db, intact)
    damage(db)
    before = db.read_bytes()
    code, lines = refused(file_server(db, db.parent / "damaged.log"))
    assert_one_line_error(code, lines, *words)
    assert db.read_bytes() == before, f"nothing is written into a file the server refuses {lines}"
    # The fault removed (the intact file back), the server carries on where it was.
    shutil.copyfile(intact, db)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    server = file_server(db, db.parent / "again.log").start()
    try:
        assert await complete_all(server.address, queue, ids) == ["done"] * 3
    finally:
        server.stop()


async def test_a_disk_that_fills_up_mid_commit_stops_the_server_and_keeps_what_was_acknowledged(
    stored: tuple[Path, list[str], str],
) -> None:
    db, ids, queue = stored
    # The kernel refuses writes past this file size (EFBIG), as a full disk refuses them (ENOSPC).
    limit = db.stat().st_size + 96 * 1024

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    server = file_server(db, db.parent / "full.log", small_disk).start()
    acknowledged = list(ids)
    try:
        client = await Client.connect(server.address)
        with pytest.raises(RPCError):
            for i in range(5000):
                handle = await client.start_workflow(
                    Sleeper.run,
                    0.0,
                    id=f"{queue}-fill-{i}",
                    task_queue=queue,
                    memo={"padding": "x" * 2000},
                    rpc_timeout=timedelta(seconds=5),
                )
                acknowledged.append(handle.id)
        assert server.proc is not None
        code = server.proc.wait(timeout=30)
    finally:
        server.stop()
    lines = [line for line in server.log().splitlines() if line.strip()]
    assert_one_line_error(code, lines, "cannot write to")
    assert len(acknowledged) > len(ids), "some starts fit before the disk filled up"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The disk has room again: every acknowledged start is there and runs to completion.
    server = file_server(db, db.parent / "after.log").start()
    try:
        results = await complete_all(server.address, queue, acknowledged)
    finally:
        server.stop()
    assert results == ["done"] * len(acknowledged)


def without_root_privileges(server: LoggedServer) -> LoggedServer:
    """The same server, started without the capabilities that let root ignore file modes."""
    if os.getuid() != 0:
        return server
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to drop root's file-permission override")
    argv = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", *server.argv]
    return LoggedServer(server.kind, argv, server.port, server.env, log_path=server.log_path)


async def test_a_read_only_file_is_refused_and_works_once_writable(
    stored: tuple[Path, list[str], str],
) -> None:
    db, ids, queue = stored
    directory = db.parent
    os.chmod(db, 0o444)
    before = db.read_bytes()
    code, lines = refused(without_root_privileges(file_server(db, directory / "readonly.log")))
    assert_one_line_error(code, lines, "tempo.db")
    assert db.read_bytes() == before
    os.chmod(db, 0o644)
    server = without_root_privileges(file_server(db, directory / "writable.log")).start()
    try:
        assert await complete_all(server.address, queue, ids) == ["done"] * 3
    finally:
        server.stop()
