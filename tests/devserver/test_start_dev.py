"""`tempo server start-dev` as a process: what it prints, how it stops, how it fails."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import grpc
import pytest
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.devserver import scenarios
from tests.devserver.scenarios import unique
from tests.servers import free_port, tempo_server, wait_for_port


def argv(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tempo_cli.main", "server", "start-dev", "--port", str(port), *extra]


@contextlib.contextmanager
def spawn(port: int, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv(port, *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def read_line(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> str:
    """The first stdout line, without blocking forever."""
    assert proc.stdout is not None
    result: list[bytes] = []

    import threading

    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    assert result, f"no output within {timeout}s"
    return result[0].decode()


async def test_prints_address_and_serves(tempo_address: str) -> None:
    port = free_port()
    with spawn(port) as proc:
        first = read_line(proc)
        assert f"127.0.0.1:{port}" in first
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = await WorkflowServiceStub(channel).GetSystemInfo(wsv1.GetSystemInfoRequest(), timeout=5)
            assert info.capabilities.sdk_metadata
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_stops_cleanly_while_poll_in_flight(signum: int, tempo_address: str) -> None:
    port = free_port()
    with spawn(port) as proc:  # default long-poll timeout: 60 s
        wait_for_port("127.0.0.1", port, proc, 15)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = WorkflowServiceStub(channel)
            task_queue = unique("tq-shutdown")
            poll = asyncio.ensure_future(
                stub.PollWorkflowTaskQueue(
                    wsv1.PollWorkflowTaskQueueRequest(
                        namespace="default", task_queue=TaskQueue(name=task_queue), identity="shutdown-test"
                    ),
                    timeout=30,
                )
            )

            async def poller_seen() -> bool:
                described = await stub.DescribeTaskQueue(
                    wsv1.DescribeTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=task_queue)), timeout=5
                )
                return len(described.pollers) > 0

            await scenarios.wait_until(poller_seen, timeout=10, what="poller registered")
            assert not poll.done()
            started = time.monotonic()
            proc.send_signal(signum)
            response = await asyncio.wait_for(poll, 10)  # answered, not left hanging
            assert not response.task_token  # an empty answer: no task
        code = await asyncio.get_running_loop().run_in_executor(None, lambda: proc.wait(timeout=15))
        assert time.monotonic() - started < 10
        _, err = proc.communicate(timeout=5)
        assert code == 0, err.decode()
        assert b"Traceback" not in err, err.decode()


def test_port_in_use_by_plain_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(argv(port), capture_output=True, timeout=8)
    assert done.returncode == 1
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert str(port) in lines[0]
    assert b"Traceback" not in done.stderr


def test_port_in_use_by_another_tempo() -> None:
    """gRPC servers set SO_REUSEPORT: a second server must still refuse the port."""
    first = tempo_server().start()
    try:
        done = subprocess.run(argv(first.port), capture_output=True, timeout=8)
        assert done.returncode == 1, done.stdout.decode() + done.stderr.decode()
        lines = done.stderr.decode().strip().splitlines()
        assert len(lines) == 1, lines
        assert first.proc is not None and first.proc.poll() is None  # the first one is unharmed
    finally:
        first.stop()


async def test_namespace_option() -> None:
    port = free_port()
    with spawn(port, "--namespace", "foo") as proc:
        wait_for_port("127.0.0.1", port, proc, 15)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = WorkflowServiceStub(channel)
            for name in ("foo", "default"):
                described = await stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace=name), timeout=5)
                assert described.namespace_info.name == name
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace="bar"), timeout=5)
            assert info.value.code() == grpc.StatusCode.NOT_FOUND
            listed = await stub.ListNamespaces(wsv1.ListNamespacesRequest(), timeout=5)
            assert {"foo", "default"} <= {n.namespace_info.name for n in listed.namespaces}
            # Namespaces are separate: a workflow in foo is not visible in default.
            workflow_id = unique("ns")
            await stub.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace="foo",
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="W"),
                    task_queue=TaskQueue(name="tq"),
                    request_id=unique("req"),
                ),
                timeout=5,
            )
            execution = WorkflowExecution(workflow_id=workflow_id)
            await stub.DescribeWorkflowExecution(
                wsv1.DescribeWorkflowExecutionRequest(namespace="foo", execution=execution), timeout=5
            )
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await stub.DescribeWorkflowExecution(
                    wsv1.DescribeWorkflowExecutionRequest(namespace="default", execution=execution), timeout=5
                )
            assert info.value.code() == grpc.StatusCode.NOT_FOUND
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


async def test_short_long_poll_timeout_is_transparent_to_sdk() -> None:
    """Empty long-poll answers (every 1 s here) must be harmless: workers keep polling and
    result() keeps waiting across several of them."""
    from temporalio.client import Client

    from tests.devserver.scenarios import ApprovalWorkflow, TimerWorkflow, worker

    server = tempo_server("--long-poll-timeout", "1").start()
    try:
        client = await Client.connect(server.address)
        task_queue = unique("tq-shortpoll")
        async with worker(client, task_queue):
            timer = await client.start_workflow(TimerWorkflow.run, 2.5, id=unique("shortpoll"), task_queue=task_queue)
            approval = await client.start_workflow(
                ApprovalWorkflow.run, "bike", id=unique("shortpoll"), task_queue=task_queue
            )
            assert await timer.result() == "woke up"  # spans ~2 empty history long polls
            await approval.signal(ApprovalWorkflow.approve, "gina")  # after several empty task polls
            assert await approval.result() == ["reserved bike", "gina"]
    finally:
        server.stop()
    assert server.proc is not None and server.proc.returncode == 0


def test_invalid_port_is_one_line_error() -> None:
    done = subprocess.run(argv(70000), capture_output=True, timeout=30)
    assert done.returncode != 0
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "70000" in lines[0], lines
    assert b"Traceback" not in done.stderr


async def test_sigterm_with_sdk_worker_connected() -> None:
    """A worker with open polls and a running workflow: the server still stops cleanly."""
    from temporalio.client import Client

    from tests.devserver.scenarios import ApprovalWorkflow, worker

    port = free_port()
    with spawn(port) as proc:
        wait_for_port("127.0.0.1", port, proc, 15)
        client = await Client.connect(f"127.0.0.1:{port}")
        task_queue = unique("tq-sigterm")
        async with worker(client, task_queue):
            handle = await client.start_workflow(ApprovalWorkflow.run, "x", id=unique("sigterm"), task_queue=task_queue)
            await scenarios.wait_for_event(handle, 10)  # ACTIVITY_TASK_COMPLETED: worker busy polling
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.get_running_loop().run_in_executor(None, lambda: proc.wait(timeout=15))
            _, err = proc.communicate(timeout=5)
            assert code == 0, err.decode()
            assert b"Traceback" not in err, err.decode()


async def test_namespace_capabilities_claim_what_the_server_does(server_address: str) -> None:
    """SDKs read these to decide which calls to make; both servers claim eager start and both update modes."""
    async with grpc.aio.insecure_channel(server_address) as channel:
        described = await WorkflowServiceStub(channel).DescribeNamespace(
            wsv1.DescribeNamespaceRequest(namespace="default"), timeout=5
        )
    capabilities = described.namespace_info.capabilities
    assert (capabilities.eager_workflow_start, capabilities.sync_update, capabilities.async_update) == (
        True,
        True,
        True,
    )


async def test_system_capabilities_claim_schedules_and_memo_upserts(server_address: str) -> None:
    """The CLI (`operator cluster system`) and SDKs read these: both servers run schedules and
    record ModifyWorkflowProperties (upserted memos)."""
    async with grpc.aio.insecure_channel(server_address) as channel:
        info = await WorkflowServiceStub(channel).GetSystemInfo(wsv1.GetSystemInfoRequest(), timeout=5)
    capabilities = info.capabilities
    assert (capabilities.supports_schedules, capabilities.upsert_memo, capabilities.eager_workflow_start) == (
        True,
        True,
        True,
    )
