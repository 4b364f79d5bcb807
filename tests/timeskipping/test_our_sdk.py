"""Our SDK's client and worker on `tempo-test-server`, and the differential check: the same
workflow with time skipping (a month long) and without (seconds long, on our dev server and
on the real one) writes the same events in the same order."""

from __future__ import annotations

import time
import uuid
from datetime import UTC

import grpc
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.testservice.v1 import request_response_pb2 as tsv1
from temporalio.api.testservice.v1 import service_pb2_grpc as test_grpc

from sdk.client import Client
from sdk.worker import Worker
from tests.timeskipping.apps import MONTH_LONG, SHORT, Durations, SleepRetryWait, fails_once, running_test_server


async def run_workflow(address: str, durations: Durations, *, unlock: bool) -> tuple[list[HistoryEvent], float]:
    """Run SleepRetryWait to completion with our SDK: its history's events, and the wall time
    from its start to its result."""
    client = await Client.connect(address)
    try:
        if unlock:
            # What the official SDK's environment does while it waits on a result.
            async with grpc.aio.insecure_channel(address) as channel:
                await test_grpc.TestServiceStub(channel).UnlockTimeSkipping(tsv1.UnlockTimeSkippingRequest())
        task_queue = f"tq-{uuid.uuid4().hex[:10]}"
        async with Worker(client, task_queue=task_queue, workflows=[SleepRetryWait], activities=[fails_once]):
            wall_start = time.monotonic()
            handle = await client.start_workflow(
                SleepRetryWait.run,
                [durations.sleep, durations.backoff, durations.timer],
                id=f"wf-{uuid.uuid4()}",
                task_queue=task_queue,
            )
            assert await handle.result() == "done on attempt 2"
            wall = time.monotonic() - wall_start
            return [event async for event in handle.fetch_history_events()], wall
    finally:
        await client.close()


async def test_a_month_long_workflow_with_our_sdk_completes_in_under_a_second() -> None:
    with running_test_server() as server:
        events, wall = await run_workflow(server.address, MONTH_LONG, unlock=True)
    assert wall < 1.0, f"took {wall:.2f}s of wall time"
    times = [event.event_time.ToDatetime(tzinfo=UTC) for event in events]
    assert times == sorted(times)
    total = MONTH_LONG.sleep + MONTH_LONG.backoff + MONTH_LONG.timer
    assert total <= (times[-1] - times[0]).total_seconds() < total + 60


async def test_with_and_without_skipping_the_same_events_in_the_same_order(server_address: str) -> None:
    with running_test_server() as server:
        skipped, _ = await run_workflow(server.address, MONTH_LONG, unlock=True)
    waited, _ = await run_workflow(server_address, SHORT, unlock=False)
    assert [e.event_type for e in skipped] == [e.event_type for e in waited]
