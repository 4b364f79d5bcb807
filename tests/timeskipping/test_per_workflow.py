"""Per-workflow time skipping (issue 19) with the official SDK's API, as a user writes it:
`WorkflowEnvironment.start_time_skipping_v2` launching `tempo server start-dev` as a process,
and `TimeSkipper` on a client. One workflow skips its timers; the others keep real time."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import TimeSkipper, WorkflowEnvironment
from temporalio.worker import Worker

from tests.servers import free_port, running, tempo_server
from tests.timeskipping.per_workflow_apps import (
    DAY,
    HOUR,
    TEMPO,
    Sleeper,
    SleeperWithUpdate,
    event_types,
    wait_for_timer,
)


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping_v2(dev_server_existing_path=TEMPO) as env:
        yield env


async def test_a_month_long_timer_completes_in_about_a_second_while_others_keep_real_time(
    env: WorkflowEnvironment,
) -> None:
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=task_queue, workflows=[Sleeper]):
        with env.with_time_skipping_disabled():
            real_time = await env.client.start_workflow(
                Sleeper.run, HOUR, id=f"real-{uuid.uuid4()}", task_queue=task_queue
            )
        wall_start = time.monotonic()
        skipping = await env.client.start_workflow(
            Sleeper.run, 30 * DAY, id=f"skip-{uuid.uuid4()}", task_queue=task_queue
        )
        assert await skipping.result() == pytest.approx(30 * DAY, abs=5)
        wall = time.monotonic() - wall_start
        assert wall < 3.0, f"took {wall:.2f}s of wall time"

        assert await env.get_current_time(skipping) > datetime.now(UTC) + timedelta(days=29)
        info = await env.get_time_skipping_info(skipping)
        assert info is not None and info.effective_config.enabled
        assert info.effective_config.max_session_skip_count == 200, "the server's default bound"
        types = await event_types(skipping)
        at = types.index("TIMER_STARTED")
        assert types[at : at + 3] == ["TIMER_STARTED", "WORKFLOW_EXECUTION_TIME_SKIPPING_TRANSITIONED", "TIMER_FIRED"]

        # The workflow started without a config still waits for its hour, on the wall clock.
        description = await real_time.describe()
        assert description.status is not None and description.status.name == "RUNNING"
        assert await env.get_time_skipping_info(real_time) is None
        assert abs((await env.get_current_time(real_time)) - datetime.now(UTC)) < timedelta(seconds=5)
        assert "TIMER_FIRED" not in await event_types(real_time)


async def test_fast_forward_moves_one_workflow_by_the_duration_then_stops(env: WorkflowEnvironment) -> None:
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=task_queue, workflows=[Sleeper]):
        with env.with_time_skipping_disabled():
            handle = await env.client.start_workflow(
                Sleeper.run, 2 * HOUR, id=f"ff-{uuid.uuid4()}", task_queue=task_queue
            )
        await wait_for_timer(handle)
        before = datetime.now(UTC)
        assert await env.fast_forward(handle, timedelta(hours=1)) is True
        info = await env.get_time_skipping_info(handle)
        assert info is not None
        assert not info.effective_config.enabled, "a completed fast-forward ends time skipping"
        assert info.effective_config.fast_forward_config.duration.ToTimedelta() == timedelta(hours=1)
        moved = info.current_time.ToDatetime().replace(tzinfo=UTC) - before
        assert timedelta(minutes=59) < moved < timedelta(minutes=61)
        assert (await handle.describe()).status.name == "RUNNING"  # type: ignore[union-attr]

        # Two hours more: the timer (one hour on) comes first and the workflow ends before
        # the fast-forward's target, so the fast-forward cannot complete.
        assert await env.fast_forward(handle, 2 * HOUR) is False
        assert await handle.result() == pytest.approx(2 * HOUR, abs=5)
        types = await event_types(handle)
        assert types.count("WORKFLOW_EXECUTION_OPTIONS_UPDATED") == 2
        assert types.count("WORKFLOW_EXECUTION_TIME_SKIPPING_TRANSITIONED") == 2


async def test_time_skipper_on_a_plain_start_dev(tempo_address: str) -> None:
    """`TimeSkipper` wraps any client: `tempo server start-dev` needs no flag for it."""
    skipper = TimeSkipper(await Client.connect(tempo_address))
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(skipper.client, task_queue=task_queue, workflows=[Sleeper]):
        wall_start = time.monotonic()
        result = await skipper.client.execute_workflow(
            Sleeper.run, 7 * DAY, id=f"plain-{uuid.uuid4()}", task_queue=task_queue
        )
    assert result == pytest.approx(7 * DAY, abs=5)
    assert time.monotonic() - wall_start < 3.0


async def test_the_skipped_time_survives_a_restart(tmp_path: Path) -> None:
    """With --db-filename, a workflow's clock stays where a fast-forward left it."""
    db = str(tmp_path / "tempo.db")
    port = free_port()
    task_queue = f"tq-{uuid.uuid4()}"
    with running(tempo_server("--db-filename", db, port=port)) as server:
        client = await Client.connect(server.address)
        skipper = TimeSkipper(client)
        async with Worker(client, task_queue=task_queue, workflows=[Sleeper]):
            handle = await client.start_workflow(
                Sleeper.run, 3 * HOUR, id=f"kept-{uuid.uuid4()}", task_queue=task_queue
            )
            await wait_for_timer(handle)
            assert await skipper.fast_forward(handle, timedelta(hours=1)) is True
    with running(tempo_server("--db-filename", db, port=port)) as server:
        client = await Client.connect(server.address)
        skipper = TimeSkipper(client)
        handle = client.get_workflow_handle(handle.id)
        ahead = await skipper.get_current_time(handle) - datetime.now(UTC)
        assert timedelta(minutes=59) < ahead < timedelta(minutes=61)
        async with Worker(client, task_queue=task_queue, workflows=[Sleeper]):
            assert await skipper.fast_forward(handle, timedelta(hours=3)) is False, "the workflow ends first"
            assert await handle.result() == pytest.approx(3 * HOUR, abs=5)


async def test_signal_with_start_skips_time_too(tempo_address: str) -> None:
    skipper = TimeSkipper(await Client.connect(tempo_address))
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(skipper.client, task_queue=task_queue, workflows=[Sleeper]):
        handle = await skipper.client.start_workflow(
            Sleeper.run, DAY, id=f"sws-{uuid.uuid4()}", task_queue=task_queue, start_signal="wake"
        )
        assert await handle.result() == pytest.approx(DAY, abs=5)
    assert await skipper.get_time_skipping_info(handle) is not None


async def test_update_with_start_skips_time_too(tempo_address: str) -> None:
    """TimeSkipper stamps its config on the start inside ExecuteMultiOperation as well."""
    skipper = TimeSkipper(await Client.connect(tempo_address))
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(skipper.client, task_queue=task_queue, workflows=[SleeperWithUpdate]):
        start = WithStartWorkflowOperation(
            SleeperWithUpdate.run,
            7 * DAY,
            id=f"uws-{uuid.uuid4()}",
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
        wall_start = time.monotonic()
        assert (
            await skipper.client.execute_update_with_start_workflow(
                SleeperWithUpdate.ping, start_workflow_operation=start
            )
            == "pong"
        )
        handle = await start.workflow_handle()
        assert await handle.result() == pytest.approx(7 * DAY, abs=5)
        assert time.monotonic() - wall_start < 3.0
    assert await skipper.get_time_skipping_info(handle) is not None
