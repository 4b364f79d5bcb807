"""What every section of the benchmark (``python -m bench``) shares: the servers it starts,
reading a process's CPU time and memory from /proc, raw gRPC load (completed workflows,
long polls, schedules) and the figures it reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2 as command_type
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue_pb
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.servers import ServerProcess, free_port, real_server, tempo_server

NAMESPACE = "default"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


T = TypeVar("T")
_loop: asyncio.AbstractEventLoop | None = None


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the one event loop of this process: grpc.aio binds itself to the
    first loop it meets, so a fresh ``asyncio.run`` per measurement would break it."""
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
    return _loop.run_until_complete(coroutine)


# --- figures --------------------------------------------------------------------------------


@dataclass
class Figure:
    """One line of the table: a figure on Tempo and on the real dev server, and its target.

    ``target`` is a sentence ("at most 0.1x"); ``met`` is None where nothing is targeted or
    the figure could not be measured.
    """

    section: str
    name: str
    unit: str
    tempo: float | None
    real: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    failures: int = 0

    @property
    def ratio(self) -> float | None:
        if self.tempo is None or not self.real:
            return None
        return self.tempo / self.real


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def failed(self, what: str) -> None:
        """A measurement that did not work: counted and shown, never skipped silently."""
        self.failures.append(what)
        print(f"  FAILED: {what}", flush=True)


def p50(values: list[float]) -> float:
    return statistics.median(values)


def at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def at_least(value: float | None, limit: float) -> bool | None:
    return None if value is None else value >= limit


# --- processes ------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (the web UI of Tempo runs in processes of its own)."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far, from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(p) for p in process_tree(pid))


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, MiB."""
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def pid_of(server: ServerProcess) -> int:
    if server.proc is None:
        raise RuntimeError("the server is not running")
    return server.proc.pid


def make_server(kind: str, db: Path | None = None, web_ui: bool = False, flags: Sequence[str] = ()) -> ServerProcess:
    """Tempo (``tempo``) or the real dev server (``real``), in memory or on ``db``, with
    ``flags`` (start-dev's, which both take)."""
    extra: list[str] = ["--db-filename", str(db)] if db is not None else []
    extra += flags
    if web_ui:
        extra += ["--ui-port", str(free_port())]
    return tempo_server(*extra) if kind == "tempo" else real_server(*extra)


@contextlib.contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    server.start(timeout=120)
    try:
        yield server
    finally:
        server.stop()


def ready_seconds(server: ServerProcess) -> float:
    """Start ``server``: seconds from spawning it to its answering GetSystemInfo."""
    started = time.perf_counter()
    server.start(timeout=300)
    with grpc.insecure_channel(server.address) as channel:
        stub = WorkflowServiceStub(channel)
        while True:
            try:
                stub.GetSystemInfo(wsv1.GetSystemInfoRequest(), timeout=2)
                return time.perf_counter() - started
            except grpc.RpcError:
                if time.perf_counter() - started > 300:
                    raise
                time.sleep(0.005)


async def idle_cpu_percent(pid: int, seconds: float) -> float:
    """Share of one core the process tree used over ``seconds`` (the caller stays idle)."""
    before, started = tree_cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(seconds)
    return 100 * (tree_cpu_seconds(pid) - before) / (time.perf_counter() - started)


# --- raw gRPC load --------------------------------------------------------------------------


def stub(address: str) -> tuple[grpc.aio.Channel, WorkflowServiceStub]:
    channel = grpc.aio.insecure_channel(address)
    return channel, WorkflowServiceStub(channel)


def payloads(text: str) -> common.Payloads:
    return common.Payloads(payloads=[common.Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())])


async def complete_workflows(address: str, count: int, workflow_type: str, concurrency: int = 32) -> int:
    """Start ``count`` workflows and complete each in its first workflow task, over raw gRPC.

    Returns how many completed (a start or completion that fails is not retried, so a
    shortfall shows). The quickest way to fill a store with closed runs on both servers.

    At most ``concurrency`` runs are open at a time: a start waits for a completion. Unbounded,
    the starts run ahead of the completions by as much as the server is quicker at starting,
    and the thousands of open runs that pile up make the RSS measured after a level a matter of
    that backlog (the memory it freed stays with the process) rather than of the closed runs.
    """
    channel, service = stub(address)
    queue = f"bench-fill-{uuid.uuid4().hex[:8]}"
    open_runs = asyncio.Semaphore(concurrency)
    completed = 0
    failures = 0

    async def start(i: int) -> None:
        nonlocal failures
        await open_runs.acquire()
        try:
            await service.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace=NAMESPACE,
                    workflow_id=f"{queue}-{i}",
                    workflow_type=common.WorkflowType(name=workflow_type),
                    task_queue=taskqueue_pb.TaskQueue(name=queue),
                    request_id=str(uuid.uuid4()),
                    identity="bench",
                ),
                timeout=60,
            )
        except grpc.RpcError:
            failures += 1
            open_runs.release()

    async def worker() -> None:
        nonlocal completed, failures
        complete = command_pb.Command(
            command_type=command_type.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            complete_workflow_execution_command_attributes=command_pb.CompleteWorkflowExecutionCommandAttributes(
                result=payloads("done")
            ),
        )
        while completed + failures < count:
            try:
                task = await service.PollWorkflowTaskQueue(
                    wsv1.PollWorkflowTaskQueueRequest(
                        namespace=NAMESPACE, task_queue=taskqueue_pb.TaskQueue(name=queue), identity="bench"
                    ),
                    timeout=5,
                )
            except grpc.RpcError as err:
                if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                    continue
                raise
            if not task.task_token:
                continue
            try:
                await service.RespondWorkflowTaskCompleted(
                    wsv1.RespondWorkflowTaskCompletedRequest(
                        namespace=NAMESPACE, task_token=task.task_token, commands=[complete], identity="bench"
                    ),
                    timeout=60,
                )
                completed += 1
            except grpc.RpcError:
                failures += 1
            open_runs.release()

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        await asyncio.gather(*(start(i) for i in range(count)))
        done, _ = await asyncio.wait(workers, timeout=600)
        for task in done:
            task.result()
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await channel.close()
    return completed


async def timed_p50(call: Callable[[], Awaitable[Any]], repeats: int) -> float:
    """Median seconds of ``repeats`` calls (after one untimed call)."""
    await call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return p50(times)


@contextlib.asynccontextmanager
async def long_polls(address: str, pollers: int) -> Any:
    """``pollers`` concurrent PollWorkflowTaskQueue long polls on a queue nobody writes to,
    each polling again when the server answers empty; 100 per channel."""
    channels = [grpc.aio.insecure_channel(address) for _ in range((pollers + 99) // 100)]
    queue = f"bench-idle-{uuid.uuid4().hex[:8]}"
    errors: list[str] = []

    async def poll(service: WorkflowServiceStub) -> None:
        request = wsv1.PollWorkflowTaskQueueRequest(
            namespace=NAMESPACE, task_queue=taskqueue_pb.TaskQueue(name=queue), identity="bench-idle"
        )
        while True:
            try:
                await service.PollWorkflowTaskQueue(request, timeout=90)
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                    errors.append(f"{err.code().name}: {err.details()}")
                    await asyncio.sleep(1)

    tasks = [asyncio.create_task(poll(WorkflowServiceStub(channels[i // 100]))) for i in range(pollers)]
    try:
        yield errors
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in channels:
            await channel.close()


async def create_schedules(address: str, count: int) -> int:
    """``count`` schedules that start a workflow once a year; returns how many were created."""
    channel, service = stub(address)
    created = 0
    limit = asyncio.Semaphore(16)
    prefix = f"bench-schedule-{uuid.uuid4().hex[:6]}"

    async def one(i: int) -> None:
        nonlocal created
        spec = schedule_pb.ScheduleSpec(interval=[schedule_pb.IntervalSpec()])
        spec.interval[0].interval.FromSeconds(365 * 24 * 3600)
        action = schedule_pb.ScheduleAction(
            start_workflow=workflow_pb.NewWorkflowExecutionInfo(
                workflow_id=f"{prefix}-wf-{i}",
                workflow_type=common.WorkflowType(name="BenchScheduled"),
                task_queue=taskqueue_pb.TaskQueue(name=f"{prefix}-nobody"),
            )
        )
        async with limit:
            try:
                await service.CreateSchedule(
                    wsv1.CreateScheduleRequest(
                        namespace=NAMESPACE,
                        schedule_id=f"{prefix}-{i}",
                        schedule=schedule_pb.Schedule(spec=spec, action=action),
                        request_id=str(uuid.uuid4()),
                        identity="bench",
                    ),
                    timeout=60,
                )
                created += 1
            except grpc.RpcError as err:
                print(f"  CreateSchedule failed: {err.code().name}: {err.details()}", flush=True)

    try:
        await asyncio.gather(*(one(i) for i in range(count)))
    finally:
        await channel.close()
    return created


__all__ = [
    "Figure",
    "Report",
    "ServerProcess",
    "make_server",
    "real_server",
    "tempo_server",
]
