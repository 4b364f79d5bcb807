"""Run the ``Counter`` update scenario with our SDK or the official one and say what happened."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import temporalio.client
import temporalio.worker
from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.history.v1 import History
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk.client import Client, WorkflowUpdateStage
from sdk.exceptions import WorkflowUpdateFailedError
from sdk.worker import Worker
from tests.sdk import official_update_app, update_app
from tests.sdk.conftest import eventually

EventType = event_type_pb2.EventType

UPDATE_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
    }
)


@contextlib.asynccontextmanager
async def our_worker(client: Client, task_queue: str, *, max_cached_workflows: int = 1000) -> AsyncIterator[None]:
    async with Worker(
        client, task_queue=task_queue, workflows=update_app.ALL, max_cached_workflows=max_cached_workflows
    ):
        yield


@contextlib.asynccontextmanager
async def official_worker(client: temporalio.client.Client, task_queue: str) -> AsyncIterator[None]:
    async with temporalio.worker.Worker(
        client,
        task_queue=task_queue,
        workflows=[official_update_app.Counter],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        yield


def event_types(history: History) -> list[str]:
    return [EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events]


async def _counter_scenario(
    execute: Callable[[str, Any], Awaitable[Any]],
    start_accepted: Callable[[str, Any], Awaitable[Callable[[], Awaitable[Any]]]],
    signal: Callable[[str], Awaitable[None]],
    history_length: Callable[[], Awaitable[int]],
    result: Callable[[], Awaitable[Any]],
    failure_type: type[BaseException],
) -> list[str]:
    """The steps, whichever SDK's client takes them; returns what each step saw."""
    # Updates wait for the first workflow task to complete, so that whichever worker is
    # quicker to take it, the first update comes in a task of its own.
    await eventually(lambda: _at_least(history_length, 4))
    seen = [f"add 2 -> {await execute('add', 2)}"]
    before = await history_length()
    try:
        await execute("add", -1)
    except failure_type as err:
        seen.append(f"add -1 refused: {err.__cause__ or getattr(err, 'cause', None)}")
    seen.append(f"events written by the refusal: {await history_length() - before}")
    try:
        await execute("fail", "no luck")
    except failure_type as err:
        seen.append(f"fail raised: {err.__cause__ or getattr(err, 'cause', None)}")
    waiting = await start_accepted("add_when_released", 5)
    await signal("release")
    seen.append(f"add_when_released 5 -> {await waiting()}")
    seen.append(f"finish -> {await execute('finish', None)}")
    seen.append(f"result {await result()}")
    return seen


async def _at_least(history_length: Callable[[], Awaitable[int]], events: int) -> bool:
    return await history_length() >= events


async def run_ours(client: Client, task_queue: str, *, max_cached_workflows: int = 1000) -> tuple[list[str], History]:
    """The scenario with our client and worker: what it saw and the history."""
    async with our_worker(client, task_queue, max_cached_workflows=max_cached_workflows):
        handle = await client.start_workflow(
            update_app.Counter.run, id=f"counter-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )

        async def execute(name: str, arg: Any) -> Any:
            return await handle.execute_update(name, *([] if arg is None else [arg]))

        async def start_accepted(name: str, arg: Any) -> Callable[[], Awaitable[Any]]:
            update = await handle.start_update(name, arg, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            return update.result

        async def history_length() -> int:
            return len((await handle.fetch_history()).events)

        seen = await _counter_scenario(
            execute,
            start_accepted,
            lambda name: handle.signal(name),
            history_length,
            handle.result,
            WorkflowUpdateFailedError,
        )
        return seen, await handle.fetch_history()


async def run_official(
    address: str, task_queue: str, *, worker: str = "official"
) -> tuple[list[str], History, temporalio.client.Client]:
    """The scenario with the official client, against the official worker (``worker="official"``)
    or ours (``"ours"``)."""
    official = await temporalio.client.Client.connect(address)
    ours = await Client.connect(address)
    running = official_worker(official, task_queue) if worker == "official" else our_worker(ours, task_queue)
    async with running:
        handle = await official.start_workflow("Counter", id=f"counter-{uuid.uuid4().hex[:8]}", task_queue=task_queue)

        async def execute(name: str, arg: Any) -> Any:
            return await handle.execute_update(name, *([] if arg is None else [arg]))

        async def start_accepted(name: str, arg: Any) -> Callable[[], Awaitable[Any]]:
            update = await handle.start_update(name, arg, wait_for_stage=temporalio.client.WorkflowUpdateStage.ACCEPTED)
            return update.result

        async def history_length() -> int:
            return len((await handle.fetch_history()).events)

        seen = await _counter_scenario(
            execute,
            start_accepted,
            lambda name: handle.signal(name),
            history_length,
            handle.result,
            temporalio.client.WorkflowUpdateFailedError,
        )
        history = await handle.fetch_history()
    await ours.close()
    return seen, History(events=list(history.events)), official
