"""Soak: steady mixed official-SDK load for a long time (starts, signals, queries, activities,
timers, history reads, lists) against a server on a database file, with a namespace whose
retention is short so closed runs keep being removed. Samples the server's RSS, open file
descriptors, database file size and latencies; after the load stops, waits and samples the
idle process again. Tempo and the real dev server, same script.

Run: .venv/bin/python -m bench.soak [--minutes 60] [--servers tempo,real] [--retention 60]
Prints one JSON line per sample and a summary line per server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from tests.reliability.harness import connect, logged, open_fds, rss_kib
from tests.reliability.ledger_app import LedgerOrder, deliver_order, prepare_order
from tests.servers import ServerProcess, real_server, tempo_server

NAMESPACE = "soak"
SAMPLE_EVERY = 30.0


def files_size(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())


def pid_of(server: ServerProcess) -> int:
    assert server.proc is not None
    return server.proc.pid


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Load:
    def __init__(self, client: Client, queue: str) -> None:
        self.client = client
        self.queue = queue
        self.order_latencies: list[float] = []
        self.rpc_latencies: list[float] = []
        self.errors: list[str] = []
        self.done = 0

    async def one(self, i: int) -> None:
        began = time.monotonic()
        try:
            handle = await self.client.start_workflow(
                LedgerOrder.run, args=[i, 0.5, 1], id=f"{self.queue}-{i}", task_queue=self.queue
            )
            await asyncio.sleep(0.2)
            await handle.signal(LedgerOrder.add, f"token-{i}")
            t = time.monotonic()
            await handle.query(LedgerOrder.signals_seen)
            await handle.describe()
            self.rpc_latencies.append((time.monotonic() - t) / 2)
            await handle.result()
            await handle.fetch_history()
            if i % 20 == 0:
                async for _ in self.client.list_workflows(page_size=50):
                    break
            self.order_latencies.append(time.monotonic() - began)
            self.done += 1
        except (RPCError, RuntimeError) as error:
            self.errors.append(f"{type(error).__name__}: {error}")

    async def run(self, until: float, concurrency: int) -> None:
        limit = asyncio.Semaphore(concurrency)
        tasks: set[asyncio.Task[None]] = set()
        i = 0
        while time.monotonic() < until:
            await limit.acquire()
            task = asyncio.create_task(self.one(i))
            task.add_done_callback(lambda _: limit.release())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        await asyncio.gather(*tasks)


def sample(
    kind: str, phase: str, server: ServerProcess, db: Path, load: Load | None, began: float
) -> dict[str, object]:
    row: dict[str, object] = {
        "server": kind,
        "phase": phase,
        "t_s": round(time.monotonic() - began),
        "rss_mib": round(rss_kib(pid_of(server)) / 1024, 1),
        "fds": open_fds(pid_of(server)),
        "db_mib": round(files_size(db) / 2**20, 2),
    }
    if load is not None:
        window, load.order_latencies = load.order_latencies, []
        rpcs, load.rpc_latencies = load.rpc_latencies, []
        row.update(
            workflows_done=load.done,
            workflow_p50_s=round(percentile(window, 0.5), 3),
            workflow_p99_s=round(percentile(window, 0.99), 3),
            rpc_p50_ms=round(percentile(rpcs, 0.5) * 1000, 1),
            rpc_p99_ms=round(percentile(rpcs, 0.99) * 1000, 1),
            errors=len(load.errors),
        )
    print(json.dumps(row), flush=True)
    return row


async def soak(kind: str, minutes: float, retention: float, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        db = Path(directory) / f"{kind}.db"
        make = tempo_server if kind == "tempo" else real_server
        server = logged(make("--db-filename", str(db)), Path(directory) / "server.log").start(timeout=60)
        began = time.monotonic()
        rows: list[dict[str, object]] = []
        try:
            default = await connect(server.address)
            request = RegisterNamespaceRequest(namespace=NAMESPACE)
            request.workflow_execution_retention_period.FromTimedelta(timedelta(seconds=retention))
            try:
                await default.workflow_service.register_namespace(request)
            except RPCError:
                # The real server refuses retentions under a day: its runs are kept for the soak.
                request.workflow_execution_retention_period.FromTimedelta(timedelta(days=1))
                await default.workflow_service.register_namespace(request)
                retention = 0.0
            client = await connect(server.address, namespace=NAMESPACE)
            queue = f"soak-{uuid.uuid4().hex[:6]}"
            load = Load(client, queue)
            async with Worker(
                client, task_queue=queue, workflows=[LedgerOrder], activities=[prepare_order, deliver_order]
            ):
                # Warm up, then the idle level the process returns to.
                await load.run(time.monotonic() + 20, concurrency)
                await asyncio.sleep(min(retention, 60) + 70)
                idle_before = sample(kind, "idle-before", server, db, None, began)
                load.order_latencies.clear()
                load.rpc_latencies.clear()
                end = time.monotonic() + minutes * 60
                runner = asyncio.create_task(load.run(end, concurrency))
                while not runner.done():
                    await asyncio.wait({runner}, timeout=SAMPLE_EVERY)
                    rows.append(sample(kind, "load", server, db, load, began))
                await runner
            # Load stopped: closed runs expire, then the idle process is measured again.
            await asyncio.sleep(min(retention, 60) + 90)
            idle_after = sample(kind, "idle-after", server, db, None, began)
        finally:
            server.stop()
        tracebacks = server.log().count("Traceback")
    loaded = [r for r in rows if r.get("workflows_done")]
    quarter = max(1, len(loaded) // 4)
    first, last = loaded[:quarter], loaded[-quarter:]
    return {
        "server": kind,
        "summary": True,
        "minutes": minutes,
        "retention_s": retention or 86400,
        "workflows": load.done,
        "errors": len(load.errors),
        "first_errors": load.errors[:3],
        "rss_idle_before_mib": idle_before["rss_mib"],
        "rss_peak_mib": max(float(r["rss_mib"]) for r in rows),  # type: ignore[arg-type]
        "rss_idle_after_mib": idle_after["rss_mib"],
        "fds_idle_before": idle_before["fds"],
        "fds_idle_after": idle_after["fds"],
        "workflow_p50_first_quarter_s": round(statistics.median(float(r["workflow_p50_s"]) for r in first), 3),  # type: ignore[arg-type]
        "workflow_p50_last_quarter_s": round(statistics.median(float(r["workflow_p50_s"]) for r in last), 3),  # type: ignore[arg-type]
        "rpc_p99_first_quarter_ms": round(statistics.median(float(r["rpc_p99_ms"]) for r in first), 1),  # type: ignore[arg-type]
        "rpc_p99_last_quarter_ms": round(statistics.median(float(r["rpc_p99_ms"]) for r in last), 1),  # type: ignore[arg-type]
        "db_mib_at_quarter": loaded[quarter - 1]["db_mib"],
        "db_mib_at_end": loaded[-1]["db_mib"],
        "db_mib_idle_after": idle_after["db_mib"],
        "tracebacks_in_log": tracebacks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--servers", default="tempo,real")
    parser.add_argument("--retention", type=float, default=60, help="seconds, of the soak namespace")
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    for kind in args.servers.split(","):
        print(json.dumps(asyncio.run(soak(kind, args.minutes, args.retention, args.concurrency))), flush=True)


if __name__ == "__main__":
    main()
