"""Requests against a run that has already closed (issue 8, item 4), on both servers.

The real server answers a cancel request for a finished run with OK (a no-op), while
terminate, signal and update of a closed run fail NOT_FOUND "workflow execution already
completed". A request that names the chain by its first run id acts on the chain's current
run. Each scenario runs with the official SDK on our server and on the real one, and the
client-visible answers and histories must be the same.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client, WorkflowFailureError, WorkflowQueryRejectedError
from temporalio.common import QueryRejectCondition
from temporalio.service import RPCError

from tests.devserver import compat_app, scenarios
from tests.devserver.compat_app import QuickWorkflow, RollOverWorkflow

pytestmark = pytest.mark.real_server

ET = EventType


def _worker(client: Client, task_queue: str) -> Any:
    return scenarios.worker(
        client, task_queue, workflows=scenarios.WORKFLOWS + compat_app.WORKFLOWS, activities=scenarios.ACTIVITIES
    )


async def _answer(call: Any) -> Any:
    """What a client sees: "OK" (or the value), or the error's status, message and detail types."""
    try:
        value = await call
    except RPCError as err:
        details = [d.type_url.rsplit(".", 1)[-1] for d in err.grpc_status.details] if err.grpc_status else []
        return (err.status.name, err.message, details)
    except WorkflowQueryRejectedError as err:
        return ("rejected", err.status.name)
    return "OK" if value is None or not isinstance(value, str) else value


async def _closed_run_answers(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    service = client.workflow_service
    task_queue = scenarios.unique("tq-closed")
    async with _worker(client, task_queue):
        handle = await client.start_workflow(QuickWorkflow.run, id=scenarios.unique("closed"), task_queue=task_queue)
        assert await handle.result() == "quick"
        before = await scenarios.events(handle)
        execution = WorkflowExecution(workflow_id=handle.id)
        out: dict[str, Any] = {
            "cancel": await _answer(handle.cancel()),
            "cancel by run id": await _answer(
                client.get_workflow_handle(handle.id, run_id=handle.result_run_id).cancel()
            ),
            "cancel, other chain": await _answer(
                service.request_cancel_workflow_execution(
                    wsv1.RequestCancelWorkflowExecutionRequest(
                        namespace="default", workflow_execution=execution, first_execution_run_id=str(uuid.uuid4())
                    )
                )
            ),
            "terminate": await _answer(handle.terminate("too late")),
            "signal": await _answer(handle.signal("anything")),
            "update": await _answer(handle.execute_update("anything")),
            "query": await _answer(handle.query(QuickWorkflow.ping)),
            "query, reject not open": await _answer(
                handle.query(QuickWorkflow.ping, reject_condition=QueryRejectCondition.NOT_OPEN)
            ),
            "query, reject not completed cleanly": await _answer(
                handle.query(QuickWorkflow.ping, reject_condition=QueryRejectCondition.NOT_COMPLETED_CLEANLY)
            ),
        }
        # Nothing was written by any of them.
        out["history unchanged"] = [e.event_id for e in await scenarios.events(handle)] == [e.event_id for e in before]

        # A signal retried with the request id it was first recorded under succeeds even after the close.
        waiting = await client.start_workflow(
            scenarios.WaitForeverWorkflow.run, id=scenarios.unique("closed-sig"), task_queue=task_queue
        )
        signal = wsv1.SignalWorkflowExecutionRequest(
            namespace="default",
            workflow_execution=WorkflowExecution(workflow_id=waiting.id),
            signal_name="finish",
            request_id=str(uuid.uuid4()),
        )
        out["signal"] = out["signal"], await _answer(service.signal_workflow_execution(signal))
        assert await waiting.result() == "finished"
        out["signal retried after close"] = await _answer(service.signal_workflow_execution(signal))
    return out


async def test_requests_to_a_closed_run_answer_as_the_real_server(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_closed_run_answers(tempo_address), _closed_run_answers(real_address))
    assert ours == real
    closed = ("NOT_FOUND", "workflow execution already completed", ["NotFoundFailure"])
    assert real["cancel"] == real["cancel by run id"] == real["cancel, other chain"] == "OK"
    assert real["terminate"] == real["update"] == closed
    assert real["signal"][0] == closed
    assert real["signal retried after close"] == "OK"
    assert real["query"] == real["query, reject not completed cleanly"] == "pong"
    assert real["query, reject not open"] == ("rejected", "COMPLETED")
    assert real["history unchanged"] is True


async def _chain_answers(address: str) -> dict[str, Any]:
    """Cancel and terminate through the handle `start_workflow` returned, after the workflow
    continued as new: they reach the chain's current run (the handle names the first run)."""
    client = await scenarios.client_for(address)
    service = client.workflow_service
    task_queue = scenarios.unique("tq-chain")
    out: dict[str, Any] = {}
    async with _worker(client, task_queue):
        for action in ("cancel", "terminate"):
            handle = await client.start_workflow(
                RollOverWorkflow.run, 1, id=scenarios.unique(f"chain-{action}"), task_queue=task_queue
            )
            latest = client.get_workflow_handle(handle.id)

            async def continued(latest: Any = latest, handle: Any = handle) -> bool:
                described = await latest.describe()
                return described.run_id != handle.first_execution_run_id

            await scenarios.wait_until(continued, what="the second run")
            await scenarios.wait_for_event(latest, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
            other_chain = str(uuid.uuid4())
            execution = WorkflowExecution(workflow_id=handle.id)
            if action == "cancel":
                out["cancel, other chain"] = await _answer(
                    service.request_cancel_workflow_execution(
                        wsv1.RequestCancelWorkflowExecutionRequest(
                            namespace="default", workflow_execution=execution, first_execution_run_id=other_chain
                        )
                    )
                )
                out["cancel"] = await _answer(handle.cancel())
            else:
                out["terminate, other chain"] = await _answer(
                    service.terminate_workflow_execution(
                        wsv1.TerminateWorkflowExecutionRequest(
                            namespace="default", workflow_execution=execution, first_execution_run_id=other_chain
                        )
                    )
                )
                out["terminate"] = await _answer(handle.terminate())
            try:
                await handle.result()
                out[f"{action} result"] = "completed"
            except WorkflowFailureError as err:
                out[f"{action} result"] = type(err.cause).__name__
            first = [
                e
                async for e in client.get_workflow_handle(
                    handle.id, run_id=handle.first_execution_run_id
                ).fetch_history_events()
            ]
            out[f"{action} histories"] = [
                scenarios.summarize(first),
                scenarios.summarize(await scenarios.events(latest)),
            ]
    return out


async def test_cancel_and_terminate_by_first_run_reach_the_current_run(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_chain_answers(tempo_address), _chain_answers(real_address))
    assert ours == real
    assert real["cancel"] == real["terminate"] == "OK"
    not_found = ("NOT_FOUND", "workflow execution not found", ["NotFoundFailure"])
    assert real["cancel, other chain"] == real["terminate, other chain"] == not_found
    assert real["cancel result"] == "CancelledError"
    assert real["terminate result"] == "TerminatedError"
    assert real["cancel histories"][0][-1][0] == "WORKFLOW_EXECUTION_CONTINUED_AS_NEW"
    assert real["cancel histories"][1][-1][0] == "WORKFLOW_EXECUTION_CANCELED"


async def _cancel_external_closed(address: str) -> scenarios.Outcome:
    """A workflow asks another one, already completed, to cancel: the request is delivered."""
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-ext-closed")
    async with _worker(client, task_queue):
        target = await client.start_workflow(QuickWorkflow.run, id=scenarios.unique("target"), task_queue=task_queue)
        await target.result()
        handle = await client.start_workflow(
            scenarios.ExternalSignallerWorkflow.run,
            args=["cancel", target.id],
            id=scenarios.unique("ext-cancel-closed"),
            task_queue=task_queue,
        )
        result = await handle.result()
        return scenarios.Outcome(result, [await scenarios.events(handle), await scenarios.events(target)])


async def test_workflow_cancelling_a_closed_workflow(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_cancel_external_closed(tempo_address), _cancel_external_closed(real_address))
    assert ours.summary() == real.summary()
    assert ours.result == real.result == "cancel delivered"
    kinds = [row[0] for row in real.summary()[0]]
    assert "EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED" in kinds
