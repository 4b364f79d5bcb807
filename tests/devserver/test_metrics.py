"""`--metrics-port`: Prometheus metrics with the real server's names and labels (issue 18).

Both servers run the same calls; the series Tempo serves must exist on the real server under
the same name and labels, with the same counts. (The real server serves hundreds more; a
dashboard built on these reads Tempo unchanged.)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client
from temporalio.service import RPCError

from tests.metrics_scrape import scrape
from tests.servers import ServerProcess, free_port, real_server, tempo_server

pytestmark = pytest.mark.real_server

FRONTEND = {"service_name": "frontend"}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[ServerProcess, int, ServerProcess, int]]:
    ours_port, real_port = free_port(), free_port()
    ours = tempo_server("--metrics-port", str(ours_port)).start()
    real = real_server("--metrics-port", str(real_port)).start(timeout=60)
    try:
        yield ours, ours_port, real, real_port
    finally:
        ours.stop()
        real.stop()


async def _calls(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    for index in range(3):
        handle = await client.start_workflow("Metered", id=f"metered-{index}-{task_queue}", task_queue=task_queue)
        await handle.terminate("done")
    with contextlib.suppress(RPCError):
        await client.get_workflow_handle(f"missing-{task_queue}").describe()
    # Off by default on both dev servers (UNIMPLEMENTED): a server-side error.
    pause = wsv1.PauseWorkflowExecutionRequest(namespace="default", workflow_id=f"metered-0-{task_queue}")
    with contextlib.suppress(RPCError):
        await client.workflow_service.pause_workflow_execution(pause)


async def test_the_same_calls_give_the_same_series(servers: tuple[ServerProcess, int, ServerProcess, int]) -> None:
    ours, ours_port, real, real_port = servers
    task_queue = f"metered-{uuid.uuid4().hex[:8]}"
    await _calls(ours.address, task_queue)
    await _calls(real.address, task_queue)

    def pick(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
        wanted = set(labels.items())
        return sum(value for (n, ls), value in samples.items() if n == name and wanted <= ls)

    expected = (
        ("service_requests", {"operation": "StartWorkflowExecution", "namespace": "default", **FRONTEND}),
        ("service_requests", {"operation": "TerminateWorkflowExecution", "namespace": "default", **FRONTEND}),
        (
            "service_error_with_type",
            {"operation": "DescribeWorkflowExecution", "error_type": "serviceerror_NotFound", **FRONTEND},
        ),
        ("service_errors", {"operation": "PauseWorkflowExecution", "namespace": "default", **FRONTEND}),
        ("service_latency_count", {"operation": "StartWorkflowExecution", "namespace": "default", **FRONTEND}),
        ("workflow_terminate", {"taskqueue": task_queue.replace("-", "_"), "workflowType": "Metered"}),
    )

    def counts(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> list[float]:
        return [pick(samples, name, **labels) for name, labels in expected]

    # The real server reports its metrics now and then (seconds apart on a busy machine).
    for _ in range(300):
        mine, theirs = scrape(ours_port), scrape(real_port)
        if counts(theirs) == counts(mine):
            break
        await asyncio.sleep(0.1)
    assert counts(mine) == counts(theirs)
    assert all(count > 0 for count in counts(mine))
    # Not-found is the caller's doing: typed, but not a server error.
    assert pick(mine, "service_errors", operation="DescribeWorkflowExecution") == 0
    # Every series Tempo serves has the same name and label names on the real server.
    real_shapes = {(name, frozenset(k for k, _ in labels)) for name, labels in theirs}
    mine_shapes = {(name, frozenset(k for k, _ in labels)) for name, labels in mine}
    assert mine_shapes <= real_shapes, sorted(mine_shapes - real_shapes)


def test_a_taken_metrics_port_is_a_one_line_error() -> None:
    taken = free_port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", taken))
        blocker.listen()
        server = tempo_server("--metrics-port", str(taken))
        done = subprocess.run(server.argv, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].startswith("error: cannot serve metrics on 127.0.0.1:")
    assert "Traceback" not in done.stderr
