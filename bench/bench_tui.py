"""How fast the TUI shows big data, and whether the web UI slows `tempo server start-dev`.

Run: .venv/bin/python -m bench.bench_tui [--workflows 10000] [--events 10000] [--starts 5]

1. Workflows screen with N runs in the namespace: seconds from starting the app (connect
   included) to the table first drawn with rows (one page of 100 is fetched; the counts
   come from one grouped count).
2. Workflow screen on a run with M events (a workflow signalled M times): seconds from
   opening the run to its first rows drawn, and to all M rows in the table.
3. `tempo server start-dev` readiness: seconds from spawning the process to the gRPC port
   answering GetSystemInfo, with the web UI (the default) and with --headless; median of
   several starts.

Both servers are measured in the same run (tempo in memory, and the real dev server) so
the figures can be compared: the UI is the same, only the server differs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub
from textual.widgets import DataTable

from sdk.client import Client
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.settings import Settings
from tests.servers import ServerProcess, free_port, real_server, tempo_server

SIZE = (160, 50)

_first_drawn: dict[str, float] = {}
_render_line = DataTable.render_line


def _recording_render_line(self: DataTable[object], y: int) -> Any:
    # The first time a table with rows is drawn: what "first rows drawn" measures.
    if self.row_count and self.id and self.id not in _first_drawn:
        _first_drawn[self.id] = time.perf_counter()
    return _render_line(self, y)


DataTable.render_line = _recording_render_line  # type: ignore[method-assign,assignment]


async def connect(address: str) -> Client:
    for _ in range(200):
        try:
            return await Client.connect(address)
        except Exception as err:  # a just-started real server: "not healthy yet"
            if "not healthy" not in str(err):
                raise
            await asyncio.sleep(0.2)
    return await Client.connect(address)


async def seed_workflows(client: Client, count: int, concurrency: int = 64) -> None:
    """``count`` running workflows (no worker: two events each)."""
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            await client.start_workflow("BenchList", i, id=f"list-{i}", task_queue="bench-nobody")

    await asyncio.gather(*(one(i) for i in range(count)))


async def seed_history(client: Client, events: int, concurrency: int = 64) -> str:
    """A workflow with ``events`` events: started, a workflow task scheduled, then signals."""
    handle = await client.start_workflow("BenchHistory", id="long-history", task_queue="bench-nobody")
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            await handle.signal("tick", i)

    await asyncio.gather(*(one(i) for i in range(events - 2)))
    return "long-history"


async def wait(pilot: object, check: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # the screen is still being composed
            pass
        if time.perf_counter() > deadline:
            raise TimeoutError("the UI did not get there in time")
        await pilot.pause(0.01)  # type: ignore[attr-defined]


async def time_workflows_screen(address: str, tmp: Path) -> float:
    app = TempoApp(address, "default", settings=Settings(path=tmp / "tui.json"))
    _first_drawn.clear()
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await wait(pilot, lambda: "workflows" in _first_drawn)
        return _first_drawn["workflows"] - started


async def time_history(address: str, workflow_id: str, events: int, tmp: Path) -> tuple[float, float]:
    app = TempoApp(address, "default", settings=Settings(path=tmp / "tui.json"))
    async with app.run_test(size=SIZE) as pilot:
        await wait(pilot, lambda: app.connected)
        _first_drawn.clear()
        started = time.perf_counter()  # from Enter on the run
        app.open_workflow(workflow_id)
        await wait(pilot, lambda: "history-table" in _first_drawn)
        first = _first_drawn["history-table"] - started
        screen = app.screen
        assert isinstance(screen, WorkflowScreen)
        await wait(pilot, lambda: screen.history.table.row_count >= events)
        await pilot.pause()
        return first, time.perf_counter() - started


async def measure_server(server: ServerProcess, workflows: int, events: int, repeat: int) -> dict[str, float]:
    server.start(timeout=60)
    try:
        client = await connect(server.address)
        seeding = time.perf_counter()
        await seed_workflows(client, workflows)
        workflow_id = await seed_history(client, events)
        print(f"  seeded {workflows} workflows and a {events}-event history in {time.perf_counter() - seeding:.1f}s")
        await client.close()
        with tempfile.TemporaryDirectory() as tmp:
            await asyncio.sleep(2)  # the real server's visibility lags its writes a little
            lists = [await time_workflows_screen(server.address, Path(tmp)) for _ in range(repeat)]
            histories = [await time_history(server.address, workflow_id, events, Path(tmp)) for _ in range(repeat)]
        return {
            "list_first": statistics.median(lists),
            "history_first": statistics.median(h[0] for h in histories),
            "history_all": statistics.median(h[1] for h in histories),
        }
    finally:
        server.stop()


def grpc_ready_seconds(argv: list[str], port: int) -> float:
    """Seconds from spawning ``argv`` to GetSystemInfo answering on ``port``."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = WorkflowServiceStub(channel)
            while True:
                try:
                    stub.GetSystemInfo(GetSystemInfoRequest(), timeout=0.2)
                    return time.perf_counter() - started
                except grpc.RpcError:
                    if proc.poll() is not None:
                        raise RuntimeError("the server exited") from None
                    time.sleep(0.002)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)


def readiness(starts: int) -> dict[str, float]:
    base = [sys.executable, "-m", "tempo_cli.main", "server", "start-dev", "--log-level", "error"]
    results: dict[str, list[float]] = {"with web UI": [], "--headless": []}
    for _ in range(starts):
        for name in results:
            port = free_port()
            extra = ["--headless"] if name == "--headless" else ["--ui-port", str(free_port())]
            results[name].append(grpc_ready_seconds([*base, "--port", str(port), *extra], port))
    return {name: statistics.median(times) for name, times in results.items()}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflows", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--starts", type=int, default=5, help="server starts per readiness figure")
    parser.add_argument("--repeat", type=int, default=3, help="UI measurements per figure (median)")
    parser.add_argument("--no-real", action="store_true", help="skip the real dev server")
    parser.add_argument("--readiness-only", action="store_true", help="only the start-dev readiness figures")
    args = parser.parse_args()
    if args.readiness_only:
        print_readiness(args.starts)
        return

    servers = {"tempo (memory)": tempo_server()}
    if not args.no_real:
        servers["real dev server"] = real_server()
    results = {}
    for name, server in servers.items():
        print(f"{name}:")
        results[name] = await measure_server(server, args.workflows, args.events, args.repeat)

    print()
    print(f"{'server':18s} {'list: first rows':>18s} {'history: first rows':>20s} {'history: all rows':>18s}")
    for name, r in results.items():
        print(f"{name:18s} {r['list_first']:17.2f}s {r['history_first']:19.2f}s {r['history_all']:17.2f}s")
    print(
        f"({args.workflows:,} workflows in the namespace; a history of {args.events:,} events; median of {args.repeat})"
    )

    print()
    print_readiness(args.starts)


def print_readiness(starts: int) -> None:
    ready = readiness(starts)
    for name, seconds in ready.items():
        ms = seconds * 1000
        print(f"tempo server start-dev {name:12s}: gRPC answers {ms:6.0f} ms after spawn (median of {starts})")
    print(f"ratio with UI / headless: {ready['with web UI'] / ready['--headless']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
