"""Eager workflow start (issue 8, item 5), compared with the real dev server.

`client.start_workflow(..., request_eager_start=True)` with a worker for the task queue on
the same client: the server starts the first workflow task in the start request and
returns it inline, and the worker completes it without polling. The real dev server
does this by default; `system.enableEagerWorkflowStart=false` turns it off.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.common.v1 import WorkflowType
from temporalio.api.enums.v1 import EventType, WorkflowIdConflictPolicy
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub
from temporalio.worker import Worker

from tests.devserver import compat, scenarios
from tests.devserver.compat_workflows import EagerHelloWorkflow, step

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]


async def _eager_hello(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-eager")
    async with Worker(client, task_queue=task_queue, workflows=[EagerHelloWorkflow], activities=[step]):
        handle = await client.start_workflow(
            EagerHelloWorkflow.run,
            "ada",
            id=scenarios.unique("eager"),
            task_queue=task_queue,
            request_eager_start=True,
        )
        result = await asyncio.wait_for(handle.result(), 30)
    history = await scenarios.events(handle)
    started = history[2].workflow_task_started_event_attributes
    return {
        "eagerly started": getattr(handle, "__temporal_eagerly_started", None),
        "result": result,
        "history": compat.summary(history),
        # Started in the start request: by the client, with its request id, before anything was stored.
        "first task": (started.identity == client.identity, started.history_size_bytes),
    }


async def test_eager_start_with_the_official_sdk(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_eager_hello(tempo_address), _eager_hello(real_address))
    assert ours["history"] == real["history"], compat.diff(ours["history"], real["history"])
    assert ours == real
    assert real["eagerly started"] is True
    assert real["first task"] == (True, 0)


@pytest.fixture(scope="module")
async def eager_disabled() -> AsyncIterator[tuple[str, str]]:
    async with compat.server_pair("--dynamic-config-value", "system.enableEagerWorkflowStart=false") as pair:
        yield pair


async def test_eager_start_turned_off_by_dynamic_config(eager_disabled: tuple[str, str]) -> None:
    ours, real = await asyncio.gather(*(_eager_hello(address) for address in eager_disabled))
    assert ours["history"] == real["history"], compat.diff(ours["history"], real["history"])
    assert ours["eagerly started"] is real["eagerly started"] is False
    assert ours["result"] == real["result"] == "hello ada"


async def _raw_eager(address: str) -> dict[str, Any]:
    """The inline task itself, a retried request, and the starts that get no inline task."""
    await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-eager-raw")
    out: dict[str, Any] = {}

    def request(workflow_id: str, request_id: str, **extra: Any) -> wsv1.StartWorkflowExecutionRequest:
        return wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=workflow_id,
            workflow_type=WorkflowType(name="Raw"),
            task_queue=TaskQueue(name=task_queue),
            identity="starter",
            request_id=request_id,
            request_eager_execution=True,
            **extra,
        )

    def shape(response: wsv1.StartWorkflowExecutionResponse) -> Any:
        if not response.HasField("eager_workflow_task"):
            return None
        task = response.eager_workflow_task
        return {
            "token": bool(task.task_token),
            "run": task.workflow_execution.run_id == response.run_id,
            "type": task.workflow_type.name,
            "previous started": task.previous_started_event_id,
            "started": task.started_event_id,
            "attempt": task.attempt,
            "events": [EventType.Name(e.event_type) for e in task.history.events],
            "started by": task.history.events[-1].workflow_task_started_event_attributes.identity,
            "queue": (task.workflow_execution_task_queue.name == task_queue, task.workflow_execution_task_queue.kind),
            "next page": bool(task.next_page_token),
        }

    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        workflow_id = scenarios.unique("eager-raw")
        request_id = str(uuid.uuid4())
        first = await stub.StartWorkflowExecution(request(workflow_id, request_id))
        out["first"] = shape(first)
        # The same request again (a client retry): the same run, and its task again.
        again = await stub.StartWorkflowExecution(request(workflow_id, request_id))
        out["retried"] = (again.run_id == first.run_id, shape(again))
        # Another start of the running workflow that uses it: no new task.
        existing = await stub.StartWorkflowExecution(
            request(
                workflow_id,
                str(uuid.uuid4()),
                workflow_id_conflict_policy=WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
            )
        )
        out["use existing"] = (existing.run_id == first.run_id, existing.started, shape(existing))
        # The inline task works like a polled one: complete it.
        await stub.RespondWorkflowTaskCompleted(
            wsv1.RespondWorkflowTaskCompletedRequest(
                namespace="default", task_token=first.eager_workflow_task.task_token, identity="starter"
            )
        )
        # A start delay: the first task comes later, through the task queue.
        delayed = await stub.StartWorkflowExecution(
            request(scenarios.unique("eager-delayed"), str(uuid.uuid4()), workflow_start_delay=Duration(seconds=60))
        )
        out["start delay"] = shape(delayed)
        # Nothing was put on the task queue for the eager task.
        try:
            poll = await stub.PollWorkflowTaskQueue(
                wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=task_queue)),
                timeout=8,
            )
            out["left on the queue"] = bool(poll.task_token)
        except grpc.aio.AioRpcError as error:  # the real server's long poll outlasts the deadline
            assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            out["left on the queue"] = False
    return out


async def test_eager_start_response(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_raw_eager(tempo_address), _raw_eager(real_address))
    assert ours == real
    assert real["first"] == {
        "token": True,
        "run": True,
        "type": "Raw",
        "previous started": 0,
        "started": 3,
        "attempt": 1,
        "events": [
            "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
            "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
            "EVENT_TYPE_WORKFLOW_TASK_STARTED",
        ],
        "started by": "starter",
        "queue": (True, 1),
        "next page": False,
    }
    assert real["retried"] == (True, real["first"])
    assert real["use existing"] == (True, False, None)
    assert real["start delay"] is None
