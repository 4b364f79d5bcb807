"""The official SDK's dev-server launcher starts Tempo unchanged (issue 18), and the flags it passes work.

`WorkflowEnvironment.start_local(dev_server_existing_path=...)` runs
`<exe> server start-dev --port P --namespace default --ip 127.0.0.1 --log-format pretty
--log-level warn --dynamic-config-value ... --headless` (or `--ui-port` with `ui=True`), waits
until the port answers, and kills the process at `shutdown()`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.servers import free_port

TEMPO = str(Path(sys.executable).parent / "tempo")

# What the official Python SDK's own test suite passes (its tests/conftest.py).
SDK_SUITE_ARGS = [
    "system.forceSearchAttributesCacheRefreshOnRead=true",
    "limit.historyCount.suggestContinueAsNew=50",
    "system.enableEagerWorkflowStart=true",
    "frontend.enableExecuteMultiOperation=true",
    "frontend.workerVersioningWorkflowAPIs=true",
    "frontend.workerVersioningDataAPIs=true",
    "system.enableDeploymentVersions=true",
    "frontend.activityAPIsEnabled=true",
    "frontend.enableCancelWorkerPollsOnShutdown=true",
    "component.nexusoperations.recordCancelRequestCompletionEvents=true",
    "activity.enableStandalone=true",
    "activity.startDelayEnabled=true",
    "history.enableChasm=true",
    "history.enableTransitionHistory=true",
    'system.system.refreshNexusEndpointsMinWait="0s"',
    "history.enableSignalWithStartFromWorkflow=true",
    "history.enableUpdateCallbacks=true",
]


@workflow.defn(sandboxed=False)
class Greet:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"


def _processes_with(marker: str) -> list[str]:
    """Command lines of live processes that mention `marker` (this test's own port)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and str(os.getpid()) != entry.name:
            found.append(cmdline)
    return found


async def _greet(client: Client) -> str:
    task_queue = f"launcher-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[Greet], workflow_runner=UnsandboxedWorkflowRunner()):
        return await client.execute_workflow(Greet.run, "Tempo", id=f"greet-{uuid.uuid4()}", task_queue=task_queue)


@pytest.mark.parametrize("extra", [[], SDK_SUITE_ARGS], ids=["defaults", "the SDK suite's dynamic config"])
async def test_start_local_runs_tempo(extra: list[str]) -> None:
    port = free_port()
    args = [arg for value in extra for arg in ("--dynamic-config-value", value)]
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=TEMPO, port=port, dev_server_extra_args=args)
    try:
        assert await _greet(env.client) == "Hello, Tempo!"
    finally:
        await env.shutdown()
    assert _processes_with(f"--port {port}") == [], "the server is gone after shutdown()"


def _run_start_dev(*flags: str) -> subprocess.CompletedProcess[str]:
    """Start the server with `flags` and stop it once it is ready (SIGINT), as a user would."""
    port = free_port()
    argv = [TEMPO, "server", "start-dev", "--headless", "--port", str(port), *flags]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening" in first, first
        proc.send_signal(2)
        out, err = proc.communicate(timeout=15)
    return subprocess.CompletedProcess(argv, proc.returncode, first + out, err)


@pytest.fixture(scope="module")
def help_text() -> Iterator[str]:
    yield subprocess.run([TEMPO, "server", "start-dev", "--help"], capture_output=True, text=True, check=True).stdout


def test_every_flag_of_the_real_start_dev_is_accepted(help_text: str) -> None:
    real = subprocess.run(
        [str(Path(sys.executable).parent / "temporal"), "server", "start-dev", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def flags(text: str) -> set[str]:
        return {word.rstrip(",") for line in text.splitlines() for word in line.split() if word.startswith("--")}

    assert sorted(flags(real) - flags(help_text)) == []


def test_flags_without_effect_say_so_in_one_line_each() -> None:
    done = _run_start_dev(
        "--http-port",
        str(free_port()),
        "--ui-public-path",
        "/temporal",
        "--ui-asset-path",
        "/tmp",
        "--ui-codec-endpoint",
        "http://127.0.0.1:8888",
        "--ui-disable-news-fetch",
    )
    notes = [line for line in done.stderr.splitlines() if "has no effect" in line]
    assert [line.split()[1] for line in notes] == [
        "--http-port",
        "--ui-public-path",
        "--ui-asset-path",
    ]
    assert "Traceback" not in done.stderr


def test_log_format_json_writes_json_lines() -> None:
    done = _run_start_dev("--log-format", "json", "--log-level", "info")
    lines = [line for line in done.stderr.splitlines() if line.startswith("{")]
    assert lines, done.stderr
    entries = [json.loads(line) for line in lines]
    assert all({"level", "ts", "msg"} <= entry.keys() for entry in entries)
    assert {entry["level"] for entry in entries} <= {"debug", "info", "warn", "error"}


@pytest.mark.parametrize("level", ["fatal", "never", "debug"])
def test_every_log_level_the_launchers_pass_is_taken(level: str) -> None:
    done = _run_start_dev("--log-level", level, "--log-format", "pretty")
    assert done.returncode == 0, done.stderr
    if level in ("fatal", "never"):
        assert done.stderr.strip() == ""


def test_log_config_prints_the_config() -> None:
    done = _run_start_dev("--log-config", "--namespace", "orders")
    assert "server config:" in done.stderr and "orders" in done.stderr
