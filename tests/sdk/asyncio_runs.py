"""Run the asyncio workflow of ``asyncio_app.py`` with our SDK or the official one."""

from __future__ import annotations

from typing import Any

import temporalio.client
import temporalio.service
import temporalio.worker
from temporalio.api.history.v1 import History
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk.client import Client
from sdk.exceptions import RPCError
from sdk.worker import Worker
from tests.sdk import asyncio_app, official_asyncio_app
from tests.sdk.conftest import eventually
from tests.sdk.family_runs import new_id


async def run_ours(client: Client, task_queue: str, *, cached: bool = True) -> tuple[list[str], History, str]:
    """Run ``AsyncioMix`` with our worker: its result, its history, its ID.

    With ``cached=False`` the worker replays the whole history for every task.
    """
    workflow_id = new_id("ours-asyncio")
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[asyncio_app.AsyncioMix],
        activities=[asyncio_app.echo],
        max_cached_workflows=1000 if cached else 0,
    ):
        handle = await client.start_workflow(asyncio_app.AsyncioMix.run, id=workflow_id, task_queue=task_queue)

        async def waiting() -> bool:
            # Replaying every task under the suite's load, the worker may answer after the
            # query's deadline: the real server then says DEADLINE_EXCEEDED; ask again.
            try:
                return bool(await handle.query(asyncio_app.AsyncioMix.current_stage) == "waiting")
            except RPCError as err:
                if err.status_code.name != "DEADLINE_EXCEEDED":
                    raise
                return False

        await eventually(waiting, timeout=30)
        await handle.signal(asyncio_app.AsyncioMix.poke)
        result = await handle.result()
    return list(result), (await handle.fetch_history()).to_proto(), workflow_id


async def run_official(address: str, task_queue: str) -> tuple[list[str], History, str]:
    """The same with the official SDK's worker and client."""
    client = await temporalio.client.Client.connect(address)
    workflow_id = new_id("official-asyncio")
    async with temporalio.worker.Worker(
        client,
        task_queue=task_queue,
        workflows=[official_asyncio_app.AsyncioMix],
        activities=[official_asyncio_app.echo],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow("AsyncioMix", id=workflow_id, task_queue=task_queue)

        async def waiting() -> bool:
            try:
                return bool(await handle.query("current_stage") == "waiting")
            except temporalio.service.RPCError as err:
                if err.status != temporalio.service.RPCStatusCode.DEADLINE_EXCEEDED:
                    raise
                return False

        await eventually(waiting, timeout=30)
        await handle.signal("poke")
        result: Any = await handle.result()
        history = await handle.fetch_history()
    return list(result), History(events=list(history.events)), workflow_id
