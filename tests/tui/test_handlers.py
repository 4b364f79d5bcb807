"""A run's screen asks the workflow for its handlers (the SDKs' metadata query) again while no
answer came, but not a worker that said it cannot tell: that would fill the worker's log."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio.api.enums.v1 import QueryResultType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from sdk.client import Client
from tempo_cli._metadata import METADATA_QUERY
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.workflow import DESCRIBE_SECONDS, WorkflowScreen
from tests.tui.conftest import SIZE, open_run, unique, wait_for


async def _worker_without_metadata(client: Client, task_queue: str, asked: list[str]) -> None:
    """A worker whose SDK knows no metadata query: it completes the run's first workflow task
    with no commands, then answers every query as failed, noting its name in ``asked``."""
    poll = wsv1.PollWorkflowTaskQueueRequest(
        namespace="default", task_queue=TaskQueue(name=task_queue), identity="no-metadata"
    )
    task = await client.service.PollWorkflowTaskQueue(poll, timeout=90)
    completed = wsv1.RespondWorkflowTaskCompletedRequest(
        namespace="default", task_token=task.task_token, identity="no-metadata"
    )
    await client.service.RespondWorkflowTaskCompleted(completed, timeout=10)
    while True:
        task = await client.service.PollWorkflowTaskQueue(poll, timeout=90)
        if not task.query.query_type:
            continue
        asked.append(task.query.query_type)
        failed = wsv1.RespondQueryTaskCompletedRequest(
            namespace="default",
            task_token=task.task_token,
            completed_type=QueryResultType.QUERY_RESULT_TYPE_FAILED,
            error_message=f"unknown queryType {task.query.query_type}",
        )
        await client.service.RespondQueryTaskCompleted(failed, timeout=10)


async def test_a_worker_that_cannot_tell_its_handlers_is_asked_once(
    server_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await Client.connect(server_address)
    workflow_id, task_queue = unique("no-metadata"), unique("tq-raw")
    await client.start_workflow("NoMetadata", id=workflow_id, task_queue=task_queue)
    asked: list[str] = []
    worker = asyncio.create_task(_worker_without_metadata(client, task_queue, asked))
    try:
        app = make_app(server_address)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_run(pilot, app, workflow_id)
            assert isinstance(screen, WorkflowScreen)
            await wait_for(pilot, lambda: asked == [METADATA_QUERY], "the worker asked for its handlers")
            await wait_for(pilot, lambda: not screen._asking_for_handlers(), "the answer")
            await pilot.pause(2 * DESCRIBE_SECONDS + 1)  # two ticks, which ask while no answer came
            assert asked == [METADATA_QUERY], "asked again after the worker said it cannot tell"
            assert screen.handlers is None
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await client.close()
