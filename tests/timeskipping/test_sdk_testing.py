"""sdk.testing.WorkflowEnvironment: a day-long workflow of our SDK finishes in about a second
on a time-skipping environment; local and existing servers run on the wall clock."""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid

import pytest

from sdk.client import Client
from sdk.testing import WorkflowEnvironment
from sdk.worker import Worker
from tests.servers import free_port, temporal_binary
from tests.timeskipping.sdk_testing_apps import DAY, Sleeper


def queue() -> str:
    return f"tq-{uuid.uuid4().hex[:10]}"


async def test_a_workflow_sleeping_a_day_completes_in_about_a_second() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        assert env.supports_time_skipping
        before = await env.get_current_time()
        task_queue = queue()
        async with Worker(env.client, task_queue=task_queue, workflows=[Sleeper]):
            wall_start = time.monotonic()
            handle = await env.client.start_workflow(Sleeper.run, DAY, id=f"wf-{task_queue}", task_queue=task_queue)
            assert await handle.result() >= DAY
            wall = time.monotonic() - wall_start
        assert wall < 1.5, f"took {wall:.2f}s of wall time"
        assert (await env.get_current_time() - before).total_seconds() >= DAY


async def test_sleep_moves_virtual_time_at_once() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        before = await env.get_current_time()
        wall_start = time.monotonic()
        await env.sleep(datetime.timedelta(days=3))
        assert time.monotonic() - wall_start < 1.0
        moved = (await env.get_current_time() - before).total_seconds()
        assert 3 * DAY <= moved < 3 * DAY + 60
        with pytest.raises(ValueError, match="negative"):
            await env.sleep(-1)


async def test_with_auto_time_skipping_disabled_a_result_waits_in_wall_time() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        task_queue = queue()
        async with Worker(env.client, task_queue=task_queue, workflows=[Sleeper]):
            handle = await env.client.start_workflow(Sleeper.run, DAY, id=f"wf-{task_queue}", task_queue=task_queue)
            with env.auto_time_skipping_disabled(), pytest.raises(TimeoutError):
                await asyncio.wait_for(handle.result(), 1.0)
            # Outside the block the same wait skips the day.
            assert await asyncio.wait_for(handle.result(), 5.0) >= DAY


async def test_a_test_server_that_cannot_start_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="cannot run /nonexistent/test-server"):
        await WorkflowEnvironment.start_time_skipping(test_server_existing_path="/nonexistent/test-server")


@pytest.mark.parametrize("server", ["tempo", "real"])
async def test_a_local_environment_runs_on_the_wall_clock(server: str) -> None:
    extra = ["--http-port", str(free_port()), "--metrics-port", str(free_port())] if server == "real" else []
    path = temporal_binary() if server == "real" else None
    env = await WorkflowEnvironment.start_local(
        namespace="testing", dev_server_existing_path=path, dev_server_extra_args=extra
    )
    async with env:
        assert not env.supports_time_skipping
        assert env.client.namespace == "testing"
        task_queue = queue()
        async with Worker(env.client, task_queue=task_queue, workflows=[Sleeper]):
            wall_start = time.monotonic()
            handle = await env.client.start_workflow(Sleeper.run, 1.0, id=f"wf-{task_queue}", task_queue=task_queue)
            assert await handle.result() >= 1.0
            assert time.monotonic() - wall_start >= 1.0
        now = await env.get_current_time()
        assert abs((now - datetime.datetime.now(datetime.UTC)).total_seconds()) < 5


async def test_from_client_leaves_the_client_open(server_address: str) -> None:
    client = await Client.connect(server_address)
    try:
        async with WorkflowEnvironment.from_client(client) as env:
            assert env.client is client and not env.supports_time_skipping
            wall_start = time.monotonic()
            await env.sleep(0.2)
            assert time.monotonic() - wall_start >= 0.2
        assert isinstance(await client.count_workflows(), int)  # still usable: a closed one raises
    finally:
        await client.close()


async def test_results_awaited_together_all_skip_and_the_lock_is_taken_back() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        task_queue = queue()
        async with Worker(env.client, task_queue=task_queue, workflows=[Sleeper]):
            handles = [
                await env.client.start_workflow(
                    Sleeper.run, days * DAY, id=f"wf-{task_queue}-{days}", task_queue=task_queue
                )
                for days in (1, 2, 3)
            ]
            wall_start = time.monotonic()
            results = await asyncio.gather(*(handle.result() for handle in handles))
            assert time.monotonic() - wall_start < 2.0
            assert [round(r / DAY) for r in results] == [1, 2, 3]
            # Locked again: a day-long timer no result waits on does not pull the clock along.
            before = await env.get_current_time()
            await env.client.start_workflow(Sleeper.run, DAY, id=f"wf-{task_queue}-idle", task_queue=task_queue)
            await asyncio.sleep(0.5)
            assert (await env.get_current_time() - before).total_seconds() < 60


async def test_in_process_environments_with_and_without_time_skipping() -> None:
    """start_in_process runs Tempo in the test's own event loop: a day-long sleep takes about a
    second with time skipping; without it, time is the wall clock (no TestService)."""
    async with await WorkflowEnvironment.start_in_process() as env:
        assert env.supports_time_skipping
        before = await env.get_current_time()
        await env.sleep(datetime.timedelta(days=1))
        assert (await env.get_current_time() - before) >= datetime.timedelta(days=1)
    async with await WorkflowEnvironment.start_in_process(time_skipping=False, namespace="elsewhere") as env:
        assert not env.supports_time_skipping and env.client.namespace == "elsewhere"
        now = datetime.datetime.now(datetime.UTC)
        assert abs((await env.get_current_time() - now).total_seconds()) < 5
