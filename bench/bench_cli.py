"""How long a `tempo` command takes next to the same `temporal` command, and how soon each
dev server answers its first GetSystemInfo.

Run: .venv/bin/python -m bench.bench_cli [--runs 10] [--starts 5] [--json bench/results/cli_startup.json]

1. Commands: `tempo X` and `temporal X` with the same arguments, against the same server
   (Tempo's and the real dev server, both started here on free ports), for `--help` and
   workflow list, count, describe, show, start, cancel and terminate (of the run that start
   made: a fresh workflow each time), result, signal and query, operator namespace list and
   describe, search-attribute list and cluster system, describe and health, schedule list,
   describe, trigger and toggle (the schedule paused again), task-queue describe and
   list-partition, batch list, workflow describe --raw, five commands given an unknown id
   (workflow describe and signal, schedule describe, activity pause and complete: an error is
   an answer too), and env list|get and config get|list (local files only), their output to
   a pipe; and workflow list, describe and schedule list again on a pseudo-terminal (where a
   user types them, and Rich's tables are drawn in colour), and workflow list on an
   80-column one (its table wider than the terminal). Each command runs --runs times, the
   two CLIs in turn; the figure is the median wall time from spawn to exit (a command that
   does not exit as it must, 0 or the error's 1, stops the benchmark). A worker (official SDK) runs
   the workflow the commands look at, so the query is answered; a second one, completed, has a
   result; a paused schedule is there to be described.
2. Readiness: seconds from spawning `tempo server start-dev` / `temporal server start-dev`
   to the gRPC port answering GetSystemInfo, headless and with the web UI, and the same for
   `tempo-test-server <port>` (what the official SDKs' time-skipping environment runs); median
   of --starts starts.

Prints a table with the ratios tempo / temporal and writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.cli.terminal import run_in_terminal
from tests.servers import ServerProcess, free_port, free_ports, real_server, tempo_server, temporal_binary

RESULTS = Path(__file__).resolve().parent / "results"
TEMPO = str(Path(sys.executable).parent / "tempo")
WORKFLOW_ID = "bench-cli"
DONE_WORKFLOW_ID = "bench-cli-done"  # completed in the set-up: `workflow result` prints its result
TASK_QUEUE = "bench-cli"
SCHEDULE_ID = "bench-cli"
# The files `env` and `config` read (made by `time_commands`): the same for both CLIs.
LOCAL_FILES = Path(os.environ.get("TMPDIR", "/tmp")) / f"tempo-bench-cli-{os.getpid()}"
ENV_FILE = str(LOCAL_FILES / "temporal.yaml")
CONFIG_FILE = str(LOCAL_FILES / "temporal.toml")

# A quick retry while the port is not open yet: gRPC's default first reconnect backoff
# (1 s) would hide how soon the server answers.
FAST_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 5),
    ("grpc.min_reconnect_backoff_ms", 5),
    ("grpc.max_reconnect_backoff_ms", 20),
]


def command_args(address: str, run: str) -> dict[str, list[str]]:
    """What each measured command is given: the same words for both CLIs."""
    on = ["--address", address]
    return {
        "--help": ["--help"],
        "workflow list": ["workflow", "list", *on],
        "workflow count": ["workflow", "count", *on],
        "workflow describe": ["workflow", "describe", *on, "-w", WORKFLOW_ID],
        "workflow show": ["workflow", "show", *on, "-w", WORKFLOW_ID],
        "workflow list -o json": ["workflow", "list", *on, "-o", "json"],
        "workflow count -o json": ["workflow", "count", *on, "-o", "json"],
        "workflow describe -o json": ["workflow", "describe", *on, "-w", WORKFLOW_ID, "-o", "json"],
        "workflow show -o json": ["workflow", "show", *on, "-w", WORKFLOW_ID, "-o", "json"],
        "workflow start": [
            "workflow",
            "start",
            *on,
            "--type",
            "BenchIdle",
            "--task-queue",
            "bench-cli-nobody",
            "-w",
            f"bench-cli-start-{run}",
        ],
        # The run `workflow start` just made (no worker polls its queue): signalled (tempo asks
        # a worker for the signals the run declares only when one polls), asked to cancel, then
        # terminated, so each is a first write on a fresh workflow, every run.
        "workflow signal, no worker": ["workflow", "signal", *on, "-w", f"bench-cli-start-{run}", "--name", "poke"],
        "workflow cancel": ["workflow", "cancel", *on, "-w", f"bench-cli-start-{run}"],
        "workflow terminate": ["workflow", "terminate", *on, "-w", f"bench-cli-start-{run}"],
        "workflow result": ["workflow", "result", *on, "-w", DONE_WORKFLOW_ID],
        "workflow signal": ["workflow", "signal", *on, "-w", WORKFLOW_ID, "--name", "poke", "--input", "1"],
        "workflow query": ["workflow", "query", *on, "-w", WORKFLOW_ID, "--type", "count"],
        # Beyond the workflow group: "every `tempo` command" (issue 22).
        "operator namespace list": ["operator", "namespace", "list", *on],
        "operator namespace describe": ["operator", "namespace", "describe", *on],
        "operator search-attribute list": ["operator", "search-attribute", "list", *on],
        "operator cluster system": ["operator", "cluster", "system", *on],
        "operator cluster describe": ["operator", "cluster", "describe", *on],
        "operator cluster health": ["operator", "cluster", "health", *on],
        "schedule list": ["schedule", "list", *on],
        "schedule describe": ["schedule", "describe", *on, "-s", SCHEDULE_ID],
        # The paused schedule: triggered (its action, the worker's BenchIdle, starts; while one
        # runs, the default overlap policy skips the next) and paused again, every run.
        "schedule trigger": ["schedule", "trigger", *on, "-s", SCHEDULE_ID],
        "schedule toggle": ["schedule", "toggle", *on, "-s", SCHEDULE_ID, "--pause", "--reason", "bench"],
        "task-queue describe": ["task-queue", "describe", *on, "--task-queue", "bench-cli-nobody"],
        "task-queue list-partition": ["task-queue", "list-partition", *on, "--task-queue", "bench-cli-nobody"],
        "batch list": ["batch", "list", *on],
        "workflow describe --raw": ["workflow", "describe", *on, "-w", WORKFLOW_ID, "--raw"],
        # A mistyped id is common: the error is a command's answer too (both CLIs exit 1).
        "workflow describe, unknown id": ["workflow", "describe", *on, "-w", "bench-cli-nosuch"],
        "workflow signal, unknown id": ["workflow", "signal", *on, "-w", "bench-cli-nosuch", "--name", "poke"],
        "schedule describe, unknown id": ["schedule", "describe", *on, "-s", "bench-cli-nosuch"],
        "activity pause, unknown id": ["activity", "pause", *on, "-w", WORKFLOW_ID, "-a", "nosuch"],
        "activity complete, unknown id": [
            "activity",
            "complete",
            *on,
            "-w",
            WORKFLOW_ID,
            "-a",
            "nosuch",
            "--result",
            '"done"',
        ],
        # Local files only (no server): the environments file and the profiles file.
        "env list": ["env", "list", "--env-file", ENV_FILE],
        "env get": ["env", "get", "--env-file", ENV_FILE, "--env", "bench"],
        "config get": ["config", "get", "--config-file", CONFIG_FILE, "--prop", "address"],
        "config list": ["config", "list", "--config-file", CONFIG_FILE],
    }


EXIT_CODES = {
    "workflow describe, unknown id": 1,
    "workflow signal, unknown id": 1,
    "schedule describe, unknown id": 1,
    "activity pause, unknown id": 1,
    "activity complete, unknown id": 1,
}
"""The commands that end with an error, as they must (the code both CLIs exit with)."""


# As a user runs them: Python writes and reuses its bytecode caches (the first, untimed run
# writes them), whatever the environment the benchmark is started from says.
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


# Measured again with their output on a pseudo-terminal, as a user at a terminal sees them.
ON_A_TERMINAL = ("workflow list", "workflow describe", "schedule list")
TERMINAL_SUFFIX = ", on a terminal"
# And on the standard 80 columns, where `workflow list`'s table is wider than the terminal.
ON_A_NARROW_TERMINAL = ("workflow list",)
NARROW_SUFFIX = ", on an 80-column terminal"


def run_seconds(argv: list[str], columns: int = 0, code_expected: int = 0) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``argv``, which must exit with
    ``code_expected``; its output to a pipe, or with ``columns``, on a new pseudo-terminal
    that wide."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    if columns:
        code, output = run_in_terminal(argv, CHILD_ENV, columns=columns)
    else:
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=CHILD_ENV, check=False)
        code, output = done.returncode, done.stderr
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != code_expected:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {output.decode(errors='replace')}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@dataclass
class CommandFigure:
    """Median seconds of one command: wall time, and CPU time (steadier on a busy machine)."""

    command: str
    server: str
    tempo_s: float
    temporal_s: float
    tempo_cpu_s: float
    temporal_cpu_s: float

    @property
    def ratio(self) -> float:
        return self.tempo_s / self.temporal_s


@dataclass
class ReadinessFigure:
    server: str
    web_ui: bool
    seconds: float


def time_commands(server: str, address: str, runs: int, tempo: list[str]) -> list[CommandFigure]:
    clis = {"tempo": tempo, "temporal": [temporal_binary()]}
    wall: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    write_local_files()
    for i in range(-1, runs):  # run -1: the untimed first run
        for name, binary in clis.items():  # in turn, so a busy moment hits both
            measured = command_args(address, f"{name}{i}")
            runs_of = [(command, args, 0) for command, args in measured.items()]
            runs_of += [(command + TERMINAL_SUFFIX, measured[command], 150) for command in ON_A_TERMINAL]
            runs_of += [(command + NARROW_SUFFIX, measured[command], 80) for command in ON_A_NARROW_TERMINAL]
            for command, args, columns in runs_of:
                seconds, cpu_seconds = run_seconds([*binary, *args], columns, EXIT_CODES.get(command, 0))
                if i >= 0:
                    wall.setdefault((name, command), []).append(seconds)
                    cpu.setdefault((name, command), []).append(cpu_seconds)
    commands = [
        *command_args(address, ""),
        *(command + TERMINAL_SUFFIX for command in ON_A_TERMINAL),
        *(command + NARROW_SUFFIX for command in ON_A_NARROW_TERMINAL),
    ]
    return [
        CommandFigure(
            command,
            server,
            statistics.median(wall[("tempo", command)]),
            statistics.median(wall[("temporal", command)]),
            statistics.median(cpu[("tempo", command)]),
            statistics.median(cpu[("temporal", command)]),
        )
        for command in commands
    ]


def write_local_files() -> None:
    """The environments and profiles files `env` and `config` read, as `temporal` writes them."""
    LOCAL_FILES.mkdir(parents=True, exist_ok=True)
    temporal = temporal_binary()
    for args in (
        ["env", "set", "--env-file", ENV_FILE, "--env", "bench", "--key", "address", "--value", "127.0.0.1:7233"],
        ["config", "set", "--config-file", CONFIG_FILE, "--prop", "address", "--value", "127.0.0.1:7233"],
    ):
        subprocess.run([temporal, *args], check=True, capture_output=True, env=CHILD_ENV)


@contextlib.contextmanager
def worker(address: str) -> Iterator[None]:
    """The official SDK's worker for BenchIdle in a thread, the workflow the commands look at,
    one completed (`workflow result`), and a paused schedule (it starts nothing while they run)."""
    from temporalio.client import (
        Client,
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleIntervalSpec,
        ScheduleSpec,
        ScheduleState,
    )
    from temporalio.worker import Worker

    from bench.cli_app import BenchIdle

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    failure: list[BaseException] = []

    async def run() -> None:
        client = await Client.connect(address)
        async with Worker(client, task_queue=TASK_QUEUE, workflows=[BenchIdle]):
            await client.start_workflow(BenchIdle.run, id=WORKFLOW_ID, task_queue=TASK_QUEUE)
            done = await client.start_workflow(BenchIdle.run, id=DONE_WORKFLOW_ID, task_queue=TASK_QUEUE)
            await done.signal(BenchIdle.poke, -1)  # below zero: it returns
            await done.result()
            # `schedule trigger` starts one each run: a short id, or their timestamped ids widen
            # `workflow list` past the 150 columns of the terminal rows.
            action = ScheduleActionStartWorkflow(BenchIdle.run, id=f"{SCHEDULE_ID}-s", task_queue=TASK_QUEUE)
            every_hour = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=datetime.timedelta(hours=1))])
            await client.create_schedule(
                SCHEDULE_ID, Schedule(action=action, spec=every_hour, state=ScheduleState(paused=True))
            )
            ready.set()
            await stop.wait()

    def thread_main() -> None:
        try:
            loop.run_until_complete(run())
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=thread_main, daemon=True)
    thread.start()
    ready.wait(timeout=60)
    if failure:
        raise RuntimeError(f"the worker failed: {failure[0]!r}")
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)


def grpc_ready_seconds(argv: list[str], port: int) -> float:
    """Seconds from spawning ``argv`` to GetSystemInfo answering on ``port``.

    The port is polled with plain TCP connections (every 2 ms), then asked once over a new
    grpcio channel. One channel polled throughout would carry its reconnect backoff from the
    refused attempts (it grew past 80 ms, despite FAST_RECONNECT): it added 40 ms to a server
    that opened its port at 70 ms and 90 ms to one at 130 ms, favouring whichever starts first.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=CHILD_ENV, start_new_session=True
    )
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{' '.join(argv)} exited with code {proc.returncode}") from None
                if time.perf_counter() - started > 60:
                    raise
                time.sleep(0.002)
                continue
            try:
                with grpc.insecure_channel(f"127.0.0.1:{port}", options=FAST_RECONNECT) as channel:
                    WorkflowServiceStub(channel).GetSystemInfo(GetSystemInfoRequest(), timeout=5, wait_for_ready=True)
                return time.perf_counter() - started
            except grpc.RpcError:
                # Open but not answering yet (the real server's frontend warming up): again.
                if time.perf_counter() - started > 60:
                    raise
                time.sleep(0.002)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_local_seconds(binary: str) -> float:
    """Seconds the official SDK's test harness takes to start a dev server from ``binary``
    (``WorkflowEnvironment.start_local(dev_server_existing_path=...)``: it launches the binary
    and waits until it answers, checking every 100 ms or so), up to a connected client."""
    from temporalio.testing import WorkflowEnvironment

    async def start() -> float:
        started = time.perf_counter()
        env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary, port=free_port(), ui=False)
        seconds = time.perf_counter() - started
        await env.shutdown()
        return seconds

    return asyncio.run(start())


def start_local_figures(starts: int, tempo: list[str]) -> dict[str, float]:
    """Median :func:`start_local_seconds` of `tempo` (when it is one installed command) and of
    `temporal`, ``starts`` each, interleaved."""
    binaries = {"temporal": temporal_binary()}
    if len(tempo) == 1:
        binaries["tempo"] = tempo[0]
    times: dict[str, list[float]] = {}
    for _ in range(starts):
        for name, binary in binaries.items():
            time.sleep(SETTLE_SECONDS)
            times.setdefault(name, []).append(start_local_seconds(binary))
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def start_dev_argv(server: str, port: int, web_ui: bool, tempo: list[str]) -> list[str]:
    ui_port, http_port, metrics_port = free_ports(3, taken=port)
    ui = ["--ui-port", str(ui_port)] if web_ui else ["--headless"]
    if server == "tempo":
        return [*tempo, "server", "start-dev", "--port", str(port), "--log-level", "error", *ui]
    return [
        temporal_binary(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--http-port",
        str(http_port),
        "--metrics-port",
        str(metrics_port),
        "--log-level",
        "error",
        *ui,
    ]


def test_server_argv(tempo: list[str]) -> list[str] | None:
    """`tempo-test-server` next to the measured `tempo` (None: that build has none)."""
    beside = Path(tempo[0]).parent / "tempo-test-server"
    return [str(beside)] if len(tempo) == 1 and beside.exists() else None


# A pause before each timed start: a server just stopped (the real one most of all) leaves the
# machine slower for a moment, which the next start in line paid (60-80 ms seen by hand).
SETTLE_SECONDS = 1.0


def readiness(starts: int, tempo: list[str]) -> list[ReadinessFigure]:
    times: dict[tuple[str, bool], list[float]] = {}
    test_server = test_server_argv(tempo)
    for _ in range(starts):
        for server in ("tempo", "temporal"):
            for web_ui in (False, True):
                port = free_port()
                time.sleep(SETTLE_SECONDS)
                seconds = grpc_ready_seconds(start_dev_argv(server, port, web_ui, tempo), port)
                times.setdefault((server, web_ui), []).append(seconds)
        if test_server is not None:
            port = free_port()
            time.sleep(SETTLE_SECONDS)
            times.setdefault(("tempo-test-server", False), []).append(
                grpc_ready_seconds([*test_server, str(port)], port)
            )
    return [ReadinessFigure(server, web_ui, statistics.median(s)) for (server, web_ui), s in times.items()]


SERVERS: dict[str, Callable[[], ServerProcess]] = {"tempo": tempo_server, "real": real_server}


def table(commands: list[CommandFigure], ready: list[ReadinessFigure]) -> str:
    head = f"{'command':32s} {'server':6s} {'tempo':>7s} {'temporal':>8s} {'ratio':>6s}"
    lines = [f"{head}   CPU: {'tempo':>7s} {'temporal':>8s}"]
    lines += [
        f"{c.command:32s} {c.server:6s} {c.tempo_s * 1000:5.0f}ms {c.temporal_s * 1000:6.0f}ms {c.ratio:6.2f}"
        f"        {c.tempo_cpu_s * 1000:5.0f}ms {c.temporal_cpu_s * 1000:6.0f}ms"
        for c in commands
    ]
    lines.append("")
    lines.append(f"{'start-dev: first GetSystemInfo':32s} {'tempo':>9s} {'temporal':>9s} {'ratio':>6s}")
    by = {(r.server, r.web_ui): r.seconds for r in ready}
    for web_ui in (False, True):
        tempo, temporal = by[("tempo", web_ui)], by[("temporal", web_ui)]
        label = "with web UI" if web_ui else "--headless"
        lines.append(f"{label:32s} {tempo * 1000:7.0f}ms {temporal * 1000:7.0f}ms {tempo / temporal:6.2f}")
    if ("tempo-test-server", False) in by:
        lines.append(f"{'tempo-test-server':32s} {by[('tempo-test-server', False)] * 1000:7.0f}ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command per CLI (median)")
    parser.add_argument("--starts", type=int, default=5, help="server starts per readiness figure (median)")
    parser.add_argument("--servers", choices=["both", "tempo", "real"], default="both")
    parser.add_argument(
        "--tempo", default=TEMPO, help="the tempo command to measure (words split on spaces), e.g. another build's"
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "cli_startup.json", help="where the figures go")
    args = parser.parse_args(argv)
    tempo = args.tempo.split()

    commands: list[CommandFigure] = []
    for name, make in SERVERS.items():
        if args.servers not in ("both", name):
            continue
        server = make()
        server.start(timeout=60)
        try:
            with worker(server.address):
                commands += time_commands(name, server.address, args.runs, tempo)
        finally:
            server.stop()
    ready = readiness(args.starts, tempo)
    print(table(commands, ready))
    print(f"(median of {args.runs} runs per command, {args.starts} starts per server)")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "runs": args.runs,
        "starts": args.starts,
        "tempo": args.tempo,
        "load_average": os.getloadavg(),
        "commands": [{**asdict(c), "ratio": c.ratio} for c in commands],
        "readiness": [asdict(r) for r in ready],
    }
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
