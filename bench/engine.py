"""The engine alone: Tempo's CPU per workflow without the transport or any other process.

Run: .venv/bin/python -m bench.engine [--workflows N] [--db] [--profile FILE]

The full benchmark measures the server's CPU per workflow under the official SDK, in a
separate process, on a shared 2-core machine: the figure moves by tens of percent with the
hour, and a change worth 3% cannot be seen in it. This replays, in this one process, the
requests the official SDK sends for the seed scenario (signal-with-start, one activity it
starts eagerly, a query, the result) through the WorkflowService handlers, one workflow
after another, and prints the CPU time they took: per workflow, and per RPC.

The requests are the SDK's own: a first step runs the official SDK's client and worker
against a Tempo server in this process and records what the handlers receive for one
workflow; the replay changes only the workflow id, the request id and the task tokens.
What it leaves out, and the full benchmark counts: reading and writing HTTP/2 frames,
parsing requests, serializing answers, the event loop's waits, and the worker's long polls
(here each poll finds its task waiting). In the server process the same handlers also run
slower than here (about 1.6-2x: the kernel's network work between calls leaves the caches
cold), so compare this tool's figures with each other, before and after a change.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.enums.v1 import task_queue_pb2

from devserver.app import ServerConfig, build_store, open_engine, serve
from devserver.grpc_service import WorkflowService
from devserver.h2_server import CallContext

_RECORDED = (
    "SignalWithStartWorkflowExecution",
    "PollWorkflowTaskQueue",
    "RespondWorkflowTaskCompleted",
    "RespondActivityTaskCompleted",
    "QueryWorkflow",
    "RespondQueryTaskCompleted",
    "GetWorkflowExecutionHistory",
)
# The workflow of the recording whose requests are kept (the first few warm the worker up).
_RECORDED_ORDER = 5
_METHOD_PREFIX = "/temporal.api.workflowservice.v1.WorkflowService/"

# Requests by method name, in the order they came.
Recording = dict[str, list[Any]]


@contextlib.contextmanager
def _recording_into(recordings: dict[str, Recording]) -> Iterator[None]:
    """While open, WorkflowService keeps the requests it is handed, by workflow id."""
    from devserver.core.tokens import TaskToken

    def workflow_of(request: Any, response: Any) -> str:
        if getattr(request, "workflow_id", ""):
            return str(request.workflow_id)
        if hasattr(request, "execution") and request.HasField("execution"):
            return str(request.execution.workflow_id)
        if getattr(request, "task_token", b""):
            return TaskToken.decode(request.task_token).workflow_id
        execution = getattr(response, "workflow_execution", None)  # a poll's task
        return "" if execution is None else str(execution.workflow_id)

    originals = {name: getattr(WorkflowService, name) for name in _RECORDED}

    def recorder(name: str, handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def recorded(self: WorkflowService, request: Any, context: CallContext) -> Any:
            response = await handler(self, request, context)
            kept = type(request).FromString(request.SerializeToString())
            recordings.setdefault(workflow_of(request, response), {}).setdefault(name, []).append(kept)
            return response

        return recorded

    for name, handler in originals.items():
        setattr(WorkflowService, name, recorder(name, handler))
    try:
        yield
    finally:
        for name, handler in originals.items():
            setattr(WorkflowService, name, handler)


def _took_the_replays_path(recording: Recording) -> bool:
    """Whether a workflow's requests took the path the replay takes: a first task from the
    normal queue, the query handed to the worker on its own (a legacy query task, from the
    sticky queue) while the activity ran, then the closing task from the sticky queue."""
    expected = {name: 1 for name in _RECORDED} | {"PollWorkflowTaskQueue": 3, "RespondWorkflowTaskCompleted": 2}
    if {name: len(made) for name, made in recording.items()} != expected:
        return False
    sticky = [
        poll.task_queue.kind == task_queue_pb2.TASK_QUEUE_KIND_STICKY for poll in recording["PollWorkflowTaskQueue"]
    ]
    return sticky == [False, True, True]


async def record() -> Recording:
    """The official SDK's requests for one seed-scenario workflow, seen by a Tempo server."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from bench.children import Workload
    from bench.official_app import BenchOrder, charge

    recordings: dict[str, Recording] = {}
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    queue = f"bench-engine-{uuid.uuid4().hex[:8]}"
    # As in the full benchmark: 20 at a time, so the query finds the worker on its sticky queue.
    spec = {
        "workflows": 60,
        "concurrency": 20,
        "latency_runs": 0,
        "activities": 0,
        "queries": 0,
        "server_pid": os.getpid(),
    }
    with _recording_into(recordings):
        server = asyncio.ensure_future(
            serve(ServerConfig(port=0), shutdown_trigger=stop.wait, on_ready=lambda s: ready.set_result(s.port))
        )
        try:
            client = await Client.connect(f"127.0.0.1:{await ready}")

            async def start(workflow: str, args: list[Any], workflow_id: str, signal: bool) -> Any:
                extra: dict[str, Any] = {"start_signal": "pick_up"} if signal else {}
                return await client.start_workflow(workflow, args=args, id=workflow_id, task_queue=queue, **extra)

            async with Worker(client, task_queue=queue, workflows=[BenchOrder], activities=[charge]):
                out = await Workload(spec, start, queue).run()
        finally:
            stop.set()
            await server
    if out["failures"]:
        raise RuntimeError(f"the recording's workflows failed: {out['first_failures']}")
    # Past the warm-up, the first workflow whose requests took the replay's path.
    for number in range(_RECORDED_ORDER, spec["workflows"]):
        recording = recordings.get(f"{queue}-order-{number}", {})
        if _took_the_replays_path(recording):
            return recording
    raise RuntimeError("no recorded workflow took the replay's path (a legacy query task while its activity ran)")


class _Replay:
    """The recorded workflow again, under new ids, through the handlers of a fresh engine."""

    def __init__(self, recording: Recording, service: WorkflowService, per_rpc: bool) -> None:
        self.requests = recording
        self.service = service
        self.per_rpc = per_rpc
        self.cpu: dict[str, float] = collections.defaultdict(float)
        self.calls: collections.Counter[str] = collections.Counter()

    def request(self, name: str, nth: int = 0, /, **fields: object) -> Any:
        request = type(self.requests[name][nth])()
        request.CopyFrom(self.requests[name][nth])
        for field, value in fields.items():
            target, _, leaf = field.rpartition(".")
            setattr(getattr(request, target) if target else request, leaf, value)
        return request

    async def call(self, name: str, request: Any) -> Any:
        loop = asyncio.get_running_loop()
        context = CallContext(_METHOD_PREFIX + name, [], loop.time() + 60, loop)
        if not self.per_rpc:
            return await getattr(self.service, name)(request, context)
        began = time.thread_time()
        try:
            return await getattr(self.service, name)(request, context)
        finally:
            self.cpu[name] += time.thread_time() - began
            self.calls[name] += 1

    async def workflow(self, workflow_id: str) -> None:
        start = self.request("SignalWithStartWorkflowExecution", workflow_id=workflow_id, request_id=str(uuid.uuid4()))
        await self.call("SignalWithStartWorkflowExecution", start)
        first = await self.call("PollWorkflowTaskQueue", self.request("PollWorkflowTaskQueue", 0))
        completed = self.request("RespondWorkflowTaskCompleted", 0, task_token=first.task_token)
        activity = (await self.call("RespondWorkflowTaskCompleted", completed)).activity_tasks[0]
        # The query goes to the sticky worker while the activity runs, as in the recording.
        query = self.request("QueryWorkflow", **{"execution.workflow_id": workflow_id, "execution.run_id": ""})
        answer = asyncio.ensure_future(self.call("QueryWorkflow", query))
        query_task = await self.call("PollWorkflowTaskQueue", self.request("PollWorkflowTaskQueue", 1))
        assert query_task.query.query_type, "the query went elsewhere"
        await self.call(
            "RespondQueryTaskCompleted", self.request("RespondQueryTaskCompleted", task_token=query_task.task_token)
        )
        await answer
        await self.call(
            "RespondActivityTaskCompleted", self.request("RespondActivityTaskCompleted", task_token=activity.task_token)
        )
        second = await self.call("PollWorkflowTaskQueue", self.request("PollWorkflowTaskQueue", 1))
        await self.call(
            "RespondWorkflowTaskCompleted",
            self.request("RespondWorkflowTaskCompleted", 1, task_token=second.task_token),
        )
        history = self.request(
            "GetWorkflowExecutionHistory", **{"execution.workflow_id": workflow_id, "execution.run_id": ""}
        )
        assert (await self.call("GetWorkflowExecutionHistory", history)).history.events, "no result"


async def replay(recording: Recording, workflows: int, db: str | None, profile: str | None) -> dict[str, Any]:
    """CPU time of ``workflows`` recorded workflows, one after another, on a fresh engine."""
    config = ServerConfig(db_filename=db)
    store = build_store(config)
    engine = await open_engine(config, store)
    runs = _Replay(recording, WorkflowService(engine), per_rpc=profile is None)
    # A sticky poll first: the worker is known to be there when the first query comes.
    loop = asyncio.get_running_loop()
    poll = runs.request("PollWorkflowTaskQueue", 1)
    await runs.service.PollWorkflowTaskQueue(poll, CallContext(_METHOD_PREFIX, [], loop.time() + 1.05, loop))
    for number in range(min(200, workflows)):
        await runs.workflow(f"warm-up-{number}")
    runs.cpu.clear()
    runs.calls.clear()
    profiler = cProfile.Profile(time.thread_time) if profile else None
    process, main = time.process_time(), time.thread_time()
    if profiler is not None:
        profiler.enable()
    for number in range(workflows):
        await runs.workflow(f"engine-{number}")
    if profiler is not None and profile is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    process, main = time.process_time() - process, time.thread_time() - main
    await store.close()
    return {
        "workflows": workflows,
        "cpu_us_per_workflow": 1e6 * process / workflows,
        "event_loop_thread_us_per_workflow": 1e6 * main / workflows,
        "rpc_us_per_workflow": {
            name: 1e6 * cpu / workflows for name, cpu in sorted(runs.cpu.items(), key=lambda item: -item[1])
        },
        "rpc_calls_per_workflow": {name: runs.calls[name] / workflows for name in runs.cpu},
    }


def _save(recording: Recording, path: Path) -> None:
    path.write_text(json.dumps({name: [r.SerializeToString().hex() for r in made] for name, made in recording.items()}))


def _load(path: Path) -> Recording:
    saved = json.loads(path.read_text())
    return {
        name: [getattr(wsv1, f"{name}Request").FromString(bytes.fromhex(r)) for r in made]
        for name, made in saved.items()
    }


def _recorded_in_a_child(tmp: str) -> Recording:
    """The recording, made by another process: the official SDK's threads stay out of this
    one, whose CPU time is the figure."""
    path = Path(tmp, "recording.json")
    subprocess.run([sys.executable, "-m", "bench.engine", "--record-to", str(path)], check=True, timeout=300)
    return _load(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=2000)
    parser.add_argument("--db", action="store_true", help="with --db-filename (a file in a temporary directory)")
    parser.add_argument("--profile", help="write a cProfile (CPU-time clock) of the replay to this file")
    parser.add_argument("--record-to", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.record_to:
        _save(asyncio.run(record()), Path(args.record_to))
        # The recording is written: leave without finalizing, where grpc's threads can abort
        # the interpreter (a CI run: SIGABRT, "PyGILState_Release ... finalizing").
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    with tempfile.TemporaryDirectory() as tmp:
        recording = _recorded_in_a_child(tmp)
        db = str(Path(tmp, "engine.db")) if args.db else None
        figures = asyncio.run(replay(recording, args.workflows, db, args.profile))
    mode = "with --db-filename" if args.db else "in memory"
    print(f"{figures['cpu_us_per_workflow']:.0f} µs of CPU per workflow {mode} ({args.workflows} workflows)", end="")
    if args.db:
        print(f", {figures['event_loop_thread_us_per_workflow']:.0f} µs of it in the event loop's thread", end="")
    print()
    for name, cpu in figures["rpc_us_per_workflow"].items():
        calls = figures["rpc_calls_per_workflow"][name]
        # A query waits for the worker: its time holds the poll and the answer made meanwhile.
        waits = " (with the poll and answer it waits for)" if name == "QueryWorkflow" else ""
        print(f"  {name:36s} {cpu:7.1f} µs per workflow ({calls:g} calls){waits}")


if __name__ == "__main__":
    main()
