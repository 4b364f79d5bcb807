"""Our SDK against the official ``temporalio`` SDK: replay speed and end-to-end throughput.

Run: .venv/bin/python -m bench.bench_sdk [--workflows N] [--history-events E] [--servers tempo,real]

1. Replay. Runs ``bench.sdk_app.Churn`` (activities, 1 ms timers and signals) with
   our worker (``--record-with official``: the official one) on the tempo dev
   server until its history has about ``--history-events`` events (timers fire
   about once a second on the real dev server, too slow to record there), saves
   it with ``temporal workflow show -o json``,
   then replays the JSON ``--replays`` times with ``sdk.Replayer`` and with
   ``temporalio.worker.Replayer`` (the same workflow in ``bench.official_app``;
   with its default sandbox and without it). Prints events per second, best of
   the repeats, parsing the JSON included ("total") and excluded ("replay").
2. End to end. The seed scenario (``BenchOrder``: signal-with-start, one
   activity, a query, the result) run ``--workflows`` times, ``--concurrency`` at
   a time, with our Client + Worker and with the official Client + Worker,
   against the same server, for each server of ``--servers``. Prints workflows
   per second and the ratio ours/official, and the server's CPU time per
   workflow while each setup ran (from /proc; warm-up, start-up and shutdown
   included, so a little high).

Every measurement runs in a child process of its own, so its peak RSS and the
CPU time it used (worker and client together; the official SDK's Rust threads
included) are its own. All numbers come from this one run; the servers run on
the same machine and compete for its cores. Not a test: nothing is asserted
about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tests.servers import ServerProcess, real_server, tempo_server, temporal_binary

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
    return {"peak_rss_mib": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}


def _process_cpu_s(server: ServerProcess) -> float | None:
    """CPU seconds (user + system) the server process has used so far, from /proc."""
    if server.proc is None:
        return None
    try:
        fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _e2e_ours(address: str, workflows: int, concurrency: int) -> dict[str, Any]:
    from bench.sdk_app import BenchOrder, charge
    from sdk import Client, Worker

    client = await Client.connect(address)
    queue = f"bench-ours-{uuid.uuid4().hex[:8]}"

    async def one(i: int) -> None:
        handle = await client.start_workflow(
            BenchOrder.run, i, id=f"{queue}-{i}", task_queue=queue, start_signal=BenchOrder.pick_up
        )
        await handle.query(BenchOrder.status)
        result = await handle.result()
        if result != f"charged {i}":
            raise RuntimeError(f"workflow {i} returned {result!r}")

    try:
        async with Worker(client, task_queue=queue, workflows=[BenchOrder], activities=[charge]):
            return await _drive(one, workflows, concurrency)
    finally:
        await client.close()


async def _e2e_official(address: str, workflows: int, concurrency: int, sandboxed: bool) -> dict[str, Any]:
    from temporalio.client import Client
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    from bench.official_app import BenchOrder, charge

    client = await Client.connect(address)
    queue = f"bench-official-{uuid.uuid4().hex[:8]}"

    async def one(i: int) -> None:
        handle = await client.start_workflow(
            BenchOrder.run, i, id=f"{queue}-{i}", task_queue=queue, start_signal="pick_up"
        )
        await handle.query(BenchOrder.status)
        result = await handle.result()
        if result != f"charged {i}":
            raise RuntimeError(f"workflow {i} returned {result!r}")

    extra: dict[str, Any] = {} if sandboxed else {"workflow_runner": UnsandboxedWorkflowRunner()}
    async with Worker(client, task_queue=queue, workflows=[BenchOrder], activities=[charge], **extra):
        return await _drive(one, workflows, concurrency)


async def _drive(one: Callable[[int], Any], workflows: int, concurrency: int) -> dict[str, Any]:
    """Warm up with WARM_UP workflows, then time ``workflows`` of them, ``concurrency`` at a time."""
    limit = asyncio.Semaphore(concurrency)

    async def limited(i: int) -> None:
        async with limit:
            await one(i)

    await asyncio.gather(*(limited(i) for i in range(WARM_UP)))
    cpu_before = _usage()["cpu_s"]
    started = time.perf_counter()
    await asyncio.gather(*(limited(i) for i in range(WARM_UP, WARM_UP + workflows)))
    elapsed = time.perf_counter() - started
    return {
        "workflows": workflows,
        "seconds": elapsed,
        "rate": workflows / elapsed,
        "cpu_ms_per_workflow": 1000 * (_usage()["cpu_s"] - cpu_before) / workflows,
    }


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
    if kind == "e2e-ours":
        out = await _e2e_ours(spec["address"], spec["workflows"], spec["concurrency"])
    elif kind == "e2e-official":
        out = await _e2e_official(spec["address"], spec["workflows"], spec["concurrency"], sandboxed=True)
    elif kind == "e2e-official-unsandboxed":
        out = await _e2e_official(spec["address"], spec["workflows"], spec["concurrency"], sandboxed=False)
    elif kind == "replay-ours":
        out = await _replay_ours(Path(spec["history"]).read_text(), spec["repeats"])
    elif kind == "replay-official":
        out = await _replay_official(Path(spec["history"]).read_text(), spec["repeats"], sandboxed=True)
    elif kind == "replay-official-unsandboxed":
        out = await _replay_official(Path(spec["history"]).read_text(), spec["repeats"], sandboxed=False)
    else:
        raise ValueError(f"unknown child kind {kind!r}")
    return {**out, **_usage()}


def run_child(spec: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its last stdout line is the JSON result."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.bench_sdk", "--child", json.dumps(spec)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        return {"error": f"exit code {proc.returncode}\n{tail}"}
    return dict(json.loads(lines[-1]))


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


# --- the run ---------------------------------------------------------------------------------


def _fmt_mib(result: dict[str, Any]) -> str:
    return f"{result['peak_rss_mib']:7.0f}" if "peak_rss_mib" in result else "      -"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def replay_section(history: Path, events: int, repeats: int, skip_official: bool) -> list[str]:
    setups = [("ours (sdk.Replayer)", "replay-ours")]
    if not skip_official:
        setups += [
            ("official (sandboxed, default)", "replay-official"),
            ("official (UnsandboxedWorkflowRunner)", "replay-official-unsandboxed"),
        ]
    rates: dict[str, tuple[float, float] | None] = {}
    rows = [
        f"{'replayer':38s} {'events/s':>9s} {'(no parse)':>10s} {'best s':>7s} {'median s':>8s} {'RSS MiB':>7s}",
    ]
    for name, kind in setups:
        result = run_child({"kind": kind, "history": str(history), "repeats": repeats})
        if "error" in result:
            rows.append(f"{name:38s} failed: {result['error']}")
            rates[kind] = None
            continue
        best_total, best_replay = min(result["total_s"]), min(result["replay_s"])
        rates[kind] = (events / best_total, events / best_replay)
        rows.append(
            f"{name:38s} {events / best_total:9.0f} {events / best_replay:10.0f} "
            f"{best_total:7.2f} {statistics.median(result['total_s']):8.2f} {_fmt_mib(result)}"
        )
    ours = rates.get("replay-ours")
    for kind, label in (("replay-official", "sandboxed"), ("replay-official-unsandboxed", "unsandboxed")):
        theirs = rates.get(kind)
        if ours and theirs:
            rows.append(
                f"ratio ours/official ({label}): {ours[0] / theirs[0]:.2f} with parsing, "
                f"{ours[1] / theirs[1]:.2f} replay only"
            )
    return rows


E2E_SETUPS = {
    "ours": "ours (sdk)",
    "official": "official",
    "official-unsandboxed": "official, no sandbox",
}


def e2e_section(servers: Mapping[str, Callable[[], ServerProcess]], args: argparse.Namespace) -> list[str]:
    rows = [
        f"{'server':16s} {'sdk':20s} {'workflows/s':>11s} {'CPU ms/wf':>9s} {'RSS MiB':>7s} {'ours/this':>9s} "
        f"{'server CPU ms/wf':>16s}",
    ]
    setups = list(E2E_SETUPS) if not args.skip_official else ["ours"]
    for server_name, make in servers.items():
        server = make()
        try:
            server.start(timeout=60)
        except RuntimeError as err:
            rows.append(f"{server_name:16s} cannot start: {err}")
            continue
        best: dict[str, dict[str, Any]] = {}
        try:
            for attempt in range(max(1, args.repeat)):
                # Alternate who goes first, so that nobody always meets the freshest server.
                for setup in setups if attempt % 2 == 0 else setups[::-1]:
                    spec = {
                        "kind": f"e2e-{setup}",
                        "address": server.address,
                        "workflows": args.workflows,
                        "concurrency": args.concurrency,
                    }
                    server_cpu = _process_cpu_s(server)
                    result = run_child(spec)
                    if server_cpu is not None and "rate" in result:
                        used = (_process_cpu_s(server) or server_cpu) - server_cpu
                        result["server_cpu_ms_per_workflow"] = 1000 * used / (args.workflows + WARM_UP)
                    previous = best.get(setup)
                    if previous is None or result.get("rate", 0) > previous.get("rate", 0):
                        best[setup] = result
        finally:
            server.stop()
        ours = best["ours"].get("rate")
        for setup in setups:
            result = best[setup]
            label = E2E_SETUPS[setup]
            if "error" in result:
                rows.append(f"{server_name:16s} {label:20s} failed: {result['error']}")
                continue
            ratio = _ratio(ours, result["rate"]) if setup != "ours" else ""
            rows.append(
                f"{server_name:16s} {label:20s} {result['rate']:11.1f} {result['cpu_ms_per_workflow']:9.1f} "
                f"{_fmt_mib(result)} {ratio:>9s} {result.get('server_cpu_ms_per_workflow', float('nan')):16.1f}"
            )
    return rows


async def record_on_tempo(target_events: int, path: Path, recorder: str) -> dict[str, Any]:
    server = tempo_server()
    server.start(timeout=60)
    try:
        return await record_history(server.address, target_events, path, recorder)
    finally:
        server.stop()


def replay_part(args: argparse.Namespace, tmp: Path) -> list[str]:
    history: Path = args.history
    if history is None:
        history = args.save_history or tmp / "churn.json"
        print(
            f"recording a history of about {args.history_events} events on the tempo dev server "
            f"with the {args.record_with} worker ..."
        )
        try:
            info = asyncio.run(record_on_tempo(args.history_events, history, args.record_with))
        except Exception as err:
            print(f"  recording failed: {type(err).__name__}: {err}")
            return ["## replay: no history (recording failed)", ""]
        print(
            f"  {info['events']} events ({info['rounds']} rounds of activity + timer, {info['signals']} signals), "
            f"{info['bytes'] / 1e6:.1f} MB of JSON, recorded in {info['seconds']:.1f}s -> {history}"
        )
    events = len(json.loads(history.read_text())["events"])
    print(f"replaying {events} events, {args.replays} times per replayer ...")
    return [
        f"## replay of one {events}-event history (best of {args.replays})",
        *replay_section(history, events, args.replays, args.skip_official),
        "",
    ]


SERVERS = {"tempo": ("tempo dev server", tempo_server), "real": ("real dev server", real_server)}


def e2e_part(args: argparse.Namespace) -> list[str]:
    chosen = dict(SERVERS[name.strip()] for name in args.servers.split(",") if name.strip())
    print(f"end to end: {args.workflows} workflows, {args.concurrency} at a time, on {', '.join(chosen)} ...")
    return [
        f"## end to end: seed scenario, {args.workflows} workflows, {args.concurrency} in flight, "
        f"best of {max(1, args.repeat)}",
        *e2e_section(chosen, args),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=200, help="end-to-end workflows per setup (default 200)")
    parser.add_argument("--concurrency", type=int, default=20, help="workflows in flight at once (default 20)")
    parser.add_argument("--repeat", type=int, default=1, help="end-to-end runs per setup; the best counts")
    parser.add_argument("--history-events", type=int, default=10_000, help="size of the replayed history")
    parser.add_argument("--replays", type=int, default=3, help="replays per replayer; the best counts")
    parser.add_argument("--history", type=Path, help="replay this saved history (of Churn) instead of recording one")
    parser.add_argument("--save-history", type=Path, help="keep the recorded history here")
    parser.add_argument(
        "--record-with", choices=["ours", "official"], default="ours", help="whose worker records the history"
    )
    parser.add_argument("--servers", default="tempo,real", help="end-to-end servers: tempo, real or both")
    parser.add_argument("--skip-replay", action="store_true")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-official", action="store_true", help="measure our SDK only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(json.loads(args.child)))))
        return
    unknown = [name for name in args.servers.split(",") if name.strip() and name.strip() not in SERVERS]
    if unknown:
        parser.error(f"unknown server(s) {unknown}: use tempo, real or tempo,real")

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load} at start; "
        "every measurement in a child process"
    )
    table: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_replay:
            table += replay_part(args, Path(tmp))
        if not args.skip_e2e:
            table += e2e_part(args)
    print()
    print("\n".join(table))


if __name__ == "__main__":
    main()
