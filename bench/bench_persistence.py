"""Throughput of the seed scenario: tempo in memory, tempo on SQLite, the real dev server on SQLite.

Run: .venv/bin/python -m bench.bench_persistence [--workflows N]
Prints workflows per second for each server and the ratios, all measured in this one run.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from bench.seed_app import BenchOrder, charge
from tests.servers import ServerProcess, real_server, tempo_server


async def seed_scenario(address: str, workflows: int, concurrency: int = 20) -> float:
    """Workflows per second: start with signal, query, wait for the result."""
    client = await Client.connect(address)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            handle = await client.start_workflow(
                BenchOrder.run, i, id=f"{queue}-{i}", task_queue=queue, start_signal="pick_up"
            )
            await handle.query(BenchOrder.status)
            assert await handle.result() == f"charged {i}"

    async with Worker(client, task_queue=queue, workflows=[BenchOrder], activities=[charge]):
        await asyncio.gather(*(one(i) for i in range(5)))  # warm-up
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(5, 5 + workflows)))
        return workflows / (time.perf_counter() - started)


async def measure(server: ServerProcess, workflows: int) -> float:
    server.start(timeout=60)
    try:
        return await seed_scenario(server.address, workflows)
    finally:
        server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflows", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "tempo (memory)": await measure(tempo_server(), args.workflows),
            "tempo (--db-filename)": await measure(
                tempo_server("--db-filename", str(Path(tmp, "t.db"))), args.workflows
            ),
            "real dev server (--db-filename)": await measure(
                real_server("--db-filename", str(Path(tmp, "real.db"))), args.workflows
            ),
        }
    for name, rate in results.items():
        print(f"{name:34s} {rate:8.1f} workflows/s")
    real = results["real dev server (--db-filename)"]
    print(f"ratio tempo(sqlite)/tempo(memory): {results['tempo (--db-filename)'] / results['tempo (memory)']:.2f}")
    print(f"ratio tempo(sqlite)/real(sqlite):  {results['tempo (--db-filename)'] / real:.2f}")
    print(f"ratio tempo(memory)/real(sqlite):  {results['tempo (memory)'] / real:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
