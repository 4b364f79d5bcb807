"""Security of a dev server without authentication: it listens on loopback unless told
otherwise (and then warns), namespaces do not see or change each other's runs, and the
browser UI runs `tempo tui` against this server and nothing else."""

from __future__ import annotations

import asyncio
import os
import shlex
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import grpc
import pytest
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from devserver.listen_address import is_loopback
from tests.reliability.harness import connect, logged
from tests.servers import free_port, real_server, tempo_server


def listening_addresses(port: int) -> list[str]:
    """Local addresses of the sockets listening on `port`, from /proc/net/tcp{,6}."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # TCP_LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.append(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.append(socket.inet_ntop(socket.AF_INET6, words))
    return found


def wait_for_listener(port: int, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := listening_addresses(port):
            return found
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def test_the_grpc_port_and_the_web_ui_listen_on_loopback_by_default(tmp_path: Path) -> None:
    ui_port = free_port()
    server = logged(tempo_server("--ui-port", str(ui_port)), tmp_path / "server.log").start()
    try:
        grpc_listeners = wait_for_listener(server.port)
        ui_listeners = wait_for_listener(ui_port)
    finally:
        server.stop()
    assert grpc_listeners and all(is_loopback(a) for a in grpc_listeners), grpc_listeners
    assert ui_listeners and all(is_loopback(a) for a in ui_listeners), ui_listeners
    assert "no authentication" not in server.log()


@pytest.mark.parametrize("ip", ["0.0.0.0", "::"])
def test_listening_beyond_loopback_warns_that_there_is_no_authentication(ip: str, tmp_path: Path) -> None:
    server = logged(tempo_server("--ip", ip), tmp_path / "server.log")
    server.start()
    try:
        listeners = wait_for_listener(server.port)
    finally:
        server.stop()
    assert not any(is_loopback(a) for a in listeners), listeners
    warnings = [line for line in server.log().splitlines() if "no authentication" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: "), server.log()


# ---- namespaces ----------------------------------------------------------------------------


@pytest.fixture(params=["tempo", pytest.param("real", marks=pytest.mark.real_server)], scope="module")
async def two_namespaces(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    make = tempo_server if request.param == "tempo" else real_server
    server = make("--namespace", "team-b").start(timeout=60)
    try:
        await connect(server.address)
        yield server.address
    finally:
        server.stop()


async def test_no_rpc_of_one_namespace_reads_or_changes_another_namespaces_runs(two_namespaces: str) -> None:
    async with grpc.aio.insecure_channel(two_namespaces) as channel:
        stub = WorkflowServiceStub(channel)
        workflow_id = queue = f"private-{uuid.uuid4().hex[:8]}"
        await stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace="default",
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="Private"),
                task_queue=TaskQueue(name=queue),
                request_id=str(uuid.uuid4()),
            )
        )
        task = await stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=queue)), timeout=20
        )
        mine = WorkflowExecution(workflow_id=workflow_id)
        other = "team-b"
        calls = {
            "describe": stub.DescribeWorkflowExecution(
                wsv1.DescribeWorkflowExecutionRequest(namespace=other, execution=mine)
            ),
            "history": stub.GetWorkflowExecutionHistory(
                wsv1.GetWorkflowExecutionHistoryRequest(namespace=other, execution=mine)
            ),
            "signal": stub.SignalWorkflowExecution(
                wsv1.SignalWorkflowExecutionRequest(namespace=other, workflow_execution=mine, signal_name="s")
            ),
            "query": stub.QueryWorkflow(
                wsv1.QueryWorkflowRequest(namespace=other, execution=mine, query=WorkflowQuery(query_type="q")),
                timeout=5,
            ),
            "cancel": stub.RequestCancelWorkflowExecution(
                wsv1.RequestCancelWorkflowExecutionRequest(namespace=other, workflow_execution=mine)
            ),
            "terminate": stub.TerminateWorkflowExecution(
                wsv1.TerminateWorkflowExecutionRequest(namespace=other, workflow_execution=mine)
            ),
            "delete": stub.DeleteWorkflowExecution(
                wsv1.DeleteWorkflowExecutionRequest(namespace=other, workflow_execution=mine)
            ),
            "complete the task with its token": stub.RespondWorkflowTaskCompleted(
                wsv1.RespondWorkflowTaskCompletedRequest(namespace=other, task_token=task.task_token)
            ),
            "fail the task with its token": stub.RespondWorkflowTaskFailed(
                wsv1.RespondWorkflowTaskFailedRequest(namespace=other, task_token=task.task_token)
            ),
        }
        refused = {}
        for name, call in calls.items():
            try:
                await call
                refused[name] = "OK"
            except grpc.aio.AioRpcError as error:
                refused[name] = error.code().name
        # The same task queue name in the other namespace hands out nothing of ours.
        polled = await stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace=other, task_queue=TaskQueue(name=queue)), timeout=3
        )
        listed = await stub.ListWorkflowExecutions(wsv1.ListWorkflowExecutionsRequest(namespace=other))
        counted = await stub.CountWorkflowExecutions(
            wsv1.CountWorkflowExecutionsRequest(namespace=other, query=f"WorkflowId = '{workflow_id}'")
        )
        described = await stub.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(namespace="default", execution=mine)
        )
        history = await stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(namespace="default", execution=mine)
        )
    # Every call is refused (the real server says NOT_FOUND or INVALID_ARGUMENT for a token of
    # another namespace; a query may also run out its deadline), none succeeds.
    assert all(code != "OK" for code in refused.values()), refused
    assert not polled.task_token
    assert workflow_id not in [e.execution.workflow_id for e in listed.executions]
    assert counted.count == 0
    # Our run is untouched: running, its task still started, nothing added to its history.
    assert described.workflow_execution_info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    assert [e.event_id for e in history.history.events] == [1, 2, 3]


# ---- the browser UI --------------------------------------------------------------------------


def descendants(pid: int) -> list[tuple[int, list[str]]]:
    """Every process below `pid`, with its command line, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found: list[tuple[int, list[str]]] = []
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
        except OSError:
            continue
        found.append((child, argv))
        todo += children.get(child, [])
    return found


async def test_the_browser_ui_runs_tempo_tui_against_this_server_and_nothing_a_visitor_chooses(
    tmp_path: Path,
) -> None:
    ui_port = free_port()
    server = logged(tempo_server("--ui-port", str(ui_port)), tmp_path / "server.log").start()
    try:
        wait_for_listener(ui_port)
        assert server.proc is not None
        before = {pid for pid, _ in descendants(server.proc.pid)}
        # A visitor's websocket, with parameters textual-serve does not know and a command of its own.
        # The UI process itself starts with this first connection (the server only holds its port).
        url = f"http://127.0.0.1:{ui_port}/ws?width=80&height=24&command=/bin/sh&cmd=id&app=evil"
        ui_pid = 0
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as websocket:
            await websocket.send_json(["stdin", f"id; touch {tmp_path / 'owned'}\r"])
            sessions: list[tuple[int, list[str]]] = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any("tui" in argv for _, argv in sessions):
                await asyncio.sleep(0.2)
                sessions = []
                for pid, argv in descendants(server.proc.pid):
                    if "tempo_cli.tui.serve" in argv:
                        ui_pid = pid
                    elif pid not in before:
                        sessions.append((pid, argv))
    finally:
        server.stop()
    expected = [sys.executable, "-m", "tempo_cli.main", "tui", "--address", f"127.0.0.1:{server.port}"]
    expected += ["--namespace", "default", "--exit-with", str(ui_pid)]  # it ends with the UI
    assert ui_pid, "the visit started the UI process"
    assert sessions, "the visit started a session"
    for _, argv in sessions:  # the shell execs it (seen here if caught before it did)
        shell = len(argv) == 3 and Path(argv[0]).name == "sh" and argv[1] == "-c"
        assert (argv[2] == "exec " + shlex.join(expected)) if shell else (argv == expected), argv
    assert not (tmp_path / "owned").exists()
