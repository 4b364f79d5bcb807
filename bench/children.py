"""Measurements that run in a child process of their own, for the benchmark (``python -m bench``).

Each child is a fresh interpreter (``python -m bench.children --child SPEC``), so its
peak RSS and the CPU time it used (worker and client together; the official SDK's Rust
threads included) are its own, and one SDK's imports do not weigh on the other's figures.

- ``workload-ours`` / ``workload-official``: with our ``sdk`` or the official ``temporalio``
  Client and Worker against one server: throughput of the seed scenario (``BenchOrder``:
  signal-with-start, one activity, a query, the result; the server's CPU time per workflow
  read from /proc meanwhile), p50 latency of a one-activity workflow run one at a time, a
  500-activity workflow (one activity after the other), and query p50 on a running
  workflow. Every workflow's result is checked; failures are counted and returned.
- ``query-bare``: query p50 with no SDK (``bench.bare_query``): the servers' own part.
- ``replay-ours`` / ``replay-official`` / ``replay-official-unsandboxed``: replay a saved
  ``Churn`` history (``record_history``) and time it.
- ``replay-rss``: replay a saved ``Batches`` history with ``sdk.Replayer``; peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.servers import temporal_binary

ROOT = Path(__file__).resolve().parent.parent

EVENTS_PER_ROUND = 11
"""Churn: activity (scheduled, started, completed), timer (started, fired), 2 workflow tasks (6)."""
EVENTS_PER_SIGNAL = 3.5
"""A signal is one event, and mostly wakes a workflow task of its own (3 more)."""
WARM_UP = 5
"""End-to-end workflows run before the clock starts (connections, caches, imports)."""


# --- child processes: each measurement on its own ------------------------------------------


def _usage() -> dict[str, float]:
    """Peak RSS (MiB) and CPU seconds (user + system) of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_rss_mib": _peak_rss_mib(usage), "cpu_s": usage.ru_utime + usage.ru_stime}


def _peak_rss_mib(usage: resource.struct_rusage) -> float:
    # VmHWM is this program's own peak. ru_maxrss also counts the parent's pages this process
    # had between fork and exec: a child of a bench run that grew to 100 MiB "peaked" there.
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return usage.ru_maxrss / 1024


class Workload:
    """The four loads of a workload child, written once for both SDKs.

    ``start(workflow, args, id, signal)`` starts a workflow and returns a handle-like object
    with ``result()``, ``query(name)`` and ``signal(name)``, whatever the SDK.
    """

    def __init__(self, spec: dict[str, Any], start: Callable[..., Any], queue: str) -> None:
        self.spec = spec
        self.start = start
        self.queue = queue
        self.failures: list[str] = []

    def failed(self, what: str, err: BaseException | str) -> None:
        self.failures.append(f"{what}: {err if isinstance(err, str) else f'{type(err).__name__}: {err}'}")

    async def order(self, i: int, signal: bool = True) -> bool:
        """The seed scenario; True when it returned what it should."""
        try:
            handle = await self.start("BenchOrder", [i], f"{self.queue}-order-{i}", signal)
            await handle.query("status")
            result = await handle.result()
        except Exception as err:
            self.failed(f"order {i}", err)
            return False
        if result != f"charged {i}":
            self.failed(f"order {i}", f"returned {result!r}")
            return False
        return True

    async def batches(self, name: str, batches: int, width: int) -> float | None:
        """Seconds from start to result of Batches(batches, width), None if it failed."""
        started = time.perf_counter()
        try:
            handle = await self.start("Batches", [batches, width], f"{self.queue}-{name}", False)
            result = await handle.result()
        except Exception as err:
            self.failed(name, err)
            return None
        if result != batches * width:
            self.failed(name, f"returned {result!r}")
            return None
        return time.perf_counter() - started

    async def run(self) -> dict[str, Any]:
        spec = self.spec
        out: dict[str, Any] = {}
        limit = asyncio.Semaphore(spec["concurrency"])

        async def limited(i: int) -> bool:
            async with limit:
                return await self.order(i)

        await asyncio.gather(*(limited(-1 - i) for i in range(WARM_UP)))
        server_cpu = _server_cpu_s(spec["server_pid"])
        own_cpu = _usage()["cpu_s"]
        began = time.perf_counter()
        ok = await asyncio.gather(*(limited(i) for i in range(spec["workflows"])))
        elapsed = time.perf_counter() - began
        completed = sum(ok)
        out["throughput"] = {
            "workflows": spec["workflows"],
            "completed": completed,
            "seconds": elapsed,
            "rate": completed / elapsed,
            "server_cpu_ms_per_workflow": 1000 * (_server_cpu_s(spec["server_pid"]) - server_cpu) / max(1, completed),
            # This process is the load: the client and the worker, all their threads.
            "load_cpu_ms_per_workflow": 1000 * (_usage()["cpu_s"] - own_cpu) / max(1, completed),
        }
        latencies = [await self.batches(f"one-{i}", 1, 1) for i in range(spec["latency_runs"])]
        measured = [s for s in latencies if s is not None]
        out["latency_p50_s"] = statistics.median(measured) if measured else None
        if spec["activities"]:
            out["activities"] = spec["activities"]
            out["activities_s"] = await self.batches("many", spec["activities"], 1)
        if spec["queries"]:
            out["query_p50_s"], out["query_server_cpu_ms"] = await self.query_p50(spec["queries"])
        out["failures"] = len(self.failures)
        out["first_failures"] = self.failures[:3]
        return out

    async def query_p50(self, queries: int) -> tuple[float | None, float | None]:
        """The p50 of ``queries`` queries on a running workflow, one after the other, and the
        server's CPU time per query meanwhile (ms): the most of a query's time the server could
        take off, were it to use no CPU at all."""
        try:
            handle = await self.start("BenchOrder", [0], f"{self.queue}-queried", False)
            await handle.query("status")
            times = []
            server_cpu = _server_cpu_s(self.spec["server_pid"])
            for _ in range(queries):
                began = time.perf_counter()
                answer = await handle.query("status")
                times.append(time.perf_counter() - began)
                if answer != "waiting":
                    raise RuntimeError(f"the query answered {answer!r}")
            server_cpu_ms = 1000 * (_server_cpu_s(self.spec["server_pid"]) - server_cpu) / queries
            await handle.signal("pick_up")
            await handle.result()
        except Exception as err:
            self.failed("query", err)
            return None, None
        return statistics.median(times), server_cpu_ms


def _server_cpu_s(pid: int) -> float:
    from bench.harness import tree_cpu_seconds

    return tree_cpu_seconds(pid)


async def _workload_ours(spec: dict[str, Any]) -> dict[str, Any]:
    from bench.sdk_app import Batches, BenchOrder, charge, step
    from sdk import Client, Worker

    client = await Client.connect(spec["address"])
    queue = f"bench-ours-{uuid.uuid4().hex[:8]}"
    runs: dict[str, Any] = {"BenchOrder": BenchOrder.run, "Batches": Batches.run}

    class Handle:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def result(self) -> Any:
            return await self.inner.result()

        async def query(self, name: str) -> Any:
            return await self.inner.query(name)

        async def signal(self, name: str) -> None:
            await self.inner.signal(name)

    async def start(workflow: str, args: list[Any], workflow_id: str, signal: bool) -> Handle:
        extra: dict[str, Any] = {"start_signal": "pick_up"} if signal else {}
        return Handle(await client.start_workflow(runs[workflow], args=args, id=workflow_id, task_queue=queue, **extra))

    try:
        async with Worker(client, task_queue=queue, workflows=[BenchOrder, Batches], activities=[charge, step]):
            return await Workload(spec, start, queue).run()
    finally:
        await client.close()


async def _workload_official(spec: dict[str, Any]) -> dict[str, Any]:
    from temporalio.client import Client
    from temporalio.worker import Worker

    from bench.official_app import Batches, BenchOrder, charge, step

    client = await Client.connect(spec["address"])
    queue = f"bench-official-{uuid.uuid4().hex[:8]}"

    async def start(workflow: str, args: list[Any], workflow_id: str, signal: bool) -> Any:
        extra: dict[str, Any] = {"start_signal": "pick_up"} if signal else {}
        return await client.start_workflow(workflow, args=args, id=workflow_id, task_queue=queue, **extra)

    async with Worker(client, task_queue=queue, workflows=[BenchOrder, Batches], activities=[charge, step]):
        return await Workload(spec, start, queue).run()


async def _replay_rss(path: str) -> dict[str, Any]:
    from temporalio.api.history.v1 import History

    from bench.sdk_app import Batches
    from sdk import Replayer

    before = _usage()["peak_rss_mib"]
    history = History()
    history.ParseFromString(Path(path).read_bytes())
    started = time.perf_counter()
    result = await Replayer(workflows=[Batches]).replay_workflow(history)
    if not result.completed:
        raise RuntimeError("our replay did not reach the end of the workflow")
    return {"events": len(history.events), "replay_s": time.perf_counter() - started, "rss_before_mib": before}


async def _replay_ours(text: str, repeats: int) -> dict[str, Any]:
    from bench.sdk_app import Churn
    from sdk import Replayer
    from sdk.worker._replayer import load_history

    totals, replays = [], []
    tasks = 0
    for _ in range(repeats):
        started = time.perf_counter()
        parsed = load_history(text)
        parsed_at = time.perf_counter()
        result = await Replayer(workflows=[Churn]).replay_workflow(parsed)
        done = time.perf_counter()
        if not result.completed:
            raise RuntimeError("our replay did not reach the end of the workflow")
        tasks = result.workflow_tasks
        totals.append(done - started)
        replays.append(done - parsed_at)
    return {"total_s": totals, "replay_s": replays, "workflow_tasks": tasks}


async def _replay_official(text: str, repeats: int, sandboxed: bool) -> dict[str, Any]:
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

    from bench.official_app import Churn

    extra: dict[str, Any] = {} if sandboxed else {"workflow_runner": UnsandboxedWorkflowRunner()}
    totals, replays = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        parsed = WorkflowHistory.from_json("churn", text)
        parsed_at = time.perf_counter()
        result = await Replayer(workflows=[Churn], **extra).replay_workflow(parsed, raise_on_replay_failure=False)
        done = time.perf_counter()
        if result.replay_failure is not None:
            return {"error": f"{type(result.replay_failure).__name__}: {result.replay_failure}"}
        totals.append(done - started)
        replays.append(done - parsed_at)
    return {"total_s": totals, "replay_s": replays}


async def _child(spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec["kind"]
    if kind == "workload-ours":
        out = await _workload_ours(spec)
    elif kind == "workload-official":
        out = await _workload_official(spec)
    elif kind == "query-bare":
        from bench.bare_query import query_p50

        out = await query_p50(spec["address"], spec["queries"], spec["server_pid"])
    elif kind == "replay-ours":
        out = await _replay_ours(Path(spec["history"]).read_text(), spec["repeats"])
    elif kind == "replay-official":
        out = await _replay_official(Path(spec["history"]).read_text(), spec["repeats"], sandboxed=True)
    elif kind == "replay-official-unsandboxed":
        out = await _replay_official(Path(spec["history"]).read_text(), spec["repeats"], sandboxed=False)
    elif kind == "replay-rss":
        out = await _replay_rss(spec["history"])
    else:
        raise ValueError(f"unknown child kind {kind!r}")
    return {**out, **_usage()}


def run_child(spec: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its last stdout line is the JSON result."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.children", "--child", json.dumps(spec)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    lines = proc.stdout.strip().splitlines()
    if not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        return {"error": f"exit code {proc.returncode}\n{tail}"}
    result = dict(json.loads(lines[-1]))
    if proc.returncode != 0:  # it measured and reported, then did not exit cleanly
        result["exit_code"] = proc.returncode
    return result


# --- recording the long history --------------------------------------------------------------


async def _run_churn_ours(address: str, workflow_id: str, rounds: int, signals: int, pause: float) -> int:
    from bench.sdk_app import Churn, step
    from sdk import Client, Worker

    client = await Client.connect(address)
    try:
        async with Worker(client, task_queue=workflow_id, workflows=[Churn], activities=[step]):
            handle = await client.start_workflow(Churn.run, rounds, signals, id=workflow_id, task_queue=workflow_id)
            for _ in range(signals):
                await handle.signal(Churn.poke, 1)
                await asyncio.sleep(pause)
            return int(await handle.result())
    finally:
        await client.close()


async def _run_churn_official(address: str, workflow_id: str, rounds: int, signals: int, pause: float) -> int:
    from temporalio.client import Client
    from temporalio.worker import Worker

    from bench.official_app import Churn, step

    client = await Client.connect(address)
    async with Worker(client, task_queue=workflow_id, workflows=[Churn], activities=[step]):
        handle = await client.start_workflow(Churn.run, args=[rounds, signals], id=workflow_id, task_queue=workflow_id)
        for _ in range(signals):
            await handle.signal(Churn.poke, 1)
            await asyncio.sleep(pause)
        return int(await handle.result())


async def record_history(address: str, target_events: int, path: Path, recorder: str) -> dict[str, Any]:
    """Run Churn with ``recorder``'s worker; save its history as ``temporal workflow show -o json``."""
    # About a fifth of the events come from signals, the rest from rounds.
    rounds = max(1, int(target_events * 0.8 / EVENTS_PER_ROUND))
    signals = max(1, int(target_events * 0.2 / EVENTS_PER_SIGNAL))
    # Spread the signals over the run (a round takes about 12 ms on tempo).
    pause = rounds * 0.012 / signals
    workflow_id = f"churn-{uuid.uuid4().hex[:8]}"
    run = _run_churn_ours if recorder == "ours" else _run_churn_official
    started = time.perf_counter()
    result = await run(address, workflow_id, rounds, signals, pause)
    elapsed = time.perf_counter() - started
    if result != rounds * (rounds - 1) // 2 + signals:
        raise RuntimeError(f"Churn returned {result}")
    shown = subprocess.run(
        [temporal_binary(), "workflow", "show", "-w", workflow_id, "-o", "json", "--address", address],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    path.write_bytes(shown)
    events = len(json.loads(shown)["events"])
    return {"events": events, "rounds": rounds, "signals": signals, "seconds": elapsed, "bytes": len(shown)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", required=True, help="the measurement, as JSON")
    args = parser.parse_args()
    # Flushed at once: the official SDK's native threads have been seen to crash the
    # interpreter on its way out, which would lose a buffered result.
    print(json.dumps(asyncio.run(_child(json.loads(args.child)))), flush=True)


if __name__ == "__main__":
    main()
