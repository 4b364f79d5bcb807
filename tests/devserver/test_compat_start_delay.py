"""Workflow start delay and SignalWithStart's `started`, compared with the real dev server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from google.protobuf import duration_pb2
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from tests.devserver import compat
from tests.devserver.pause_driver import NS, Driver, driver

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

DELAY = 2


def _signal_with_start(d: Driver, signal_name: str, **kwargs: Any) -> wsv1.SignalWithStartWorkflowExecutionRequest:
    return wsv1.SignalWithStartWorkflowExecutionRequest(
        namespace=NS,
        workflow_id=d.workflow_id,
        workflow_type=common.WorkflowType(name="Delayed"),
        task_queue=taskqueue.TaskQueue(name=d.task_queue),
        signal_name=signal_name,
        identity="driver",
        request_id=str(uuid.uuid4()),
        **kwargs,
    )


async def _delayed_start(address: str) -> dict[str, Any]:
    """A start delay: no workflow task until it is over, even for a signal; describe shows the
    later execution time meanwhile."""
    async with driver(address, "start-delay") as d:
        await d.start(workflow_start_delay=duration_pb2.Duration(seconds=DELAY))
        waiting = await d.describe()
        await d.signal("during-delay")
        still_waiting = await d.describe()
        task = await d.poll_workflow_task(timeout=DELAY + 20)
        return {
            "waiting": waiting,
            "signalled": still_waiting,
            "first task": [e.event_type for e in task.history.events],
            "history": await d.history(),
            "answers": d.answers,
        }


async def test_a_start_delay_holds_the_first_task(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_delayed_start(tempo_address), _delayed_start(real_address))
    assert ours["history"] == real["history"], compat.diff(ours["history"], real["history"])
    assert ours == real
    assert ours["waiting"]["execution time - start time"] == DELAY
    assert ours["signalled"]["pending workflow task"] is None, "a signal does not cut the delay short"
    started = ours["history"][0]["workflowExecutionStartedEventAttributes"]
    assert started["firstWorkflowTaskBackoff"] == f"{DELAY}s"


async def _signal_with_start_twice(address: str) -> dict[str, Any]:
    async with driver(address, "signal-with-start") as d:
        first = await d.stub.SignalWithStartWorkflowExecution(_signal_with_start(d, "first"))
        second = await d.stub.SignalWithStartWorkflowExecution(_signal_with_start(d, "second"))
        return {
            "started": (first.started, second.started),
            "same run": first.run_id == second.run_id,
            "history": await d.history(),
        }


async def test_signal_with_start_of_a_running_workflow_says_it_did_not_start_it(
    tempo_address: str, real_address: str
) -> None:
    ours, real = await asyncio.gather(_signal_with_start_twice(tempo_address), _signal_with_start_twice(real_address))
    assert ours == real
    assert ours["started"] == (True, False) and ours["same run"]


async def _signal_with_start_delayed(address: str) -> dict[str, Any]:
    async with driver(address, "signal-with-start-delay") as d:
        delay = duration_pb2.Duration(seconds=DELAY)
        started = await d.stub.SignalWithStartWorkflowExecution(
            _signal_with_start(d, "first", workflow_start_delay=delay)
        )
        waiting = await d.describe()
        task = await d.poll_workflow_task(timeout=DELAY + 20)
        return {
            "started": started.started,
            "waiting": waiting,
            "first task": [e.event_type for e in task.history.events],
            "history": await d.history(),
        }


async def test_signal_with_start_keeps_the_start_delay(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(
        _signal_with_start_delayed(tempo_address), _signal_with_start_delayed(real_address)
    )
    assert ours["history"] == real["history"], compat.diff(ours["history"], real["history"])
    assert ours == real
    assert ours["started"] is True and ours["waiting"]["pending workflow task"] is None
