"""Under time skipping, retention ages and schedule wakes follow the virtual clock: a closed
run is removed once its namespace's retention has passed in virtual time, and a schedule
fires on virtual time, both in a second or two of wall time."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleSpec,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from tests.inprocess import devserver_in_process
from tests.timeskipping.virtual_time_apps import Instant, skip, virtual_now

HOUR = 3600.0
DAY = 24 * HOUR


async def test_a_closed_run_is_removed_once_retention_passes_in_virtual_time() -> None:
    async with devserver_in_process(time_skipping=True) as server:
        address = f"127.0.0.1:{server.port}"
        default = await Client.connect(address)
        request = RegisterNamespaceRequest(namespace="a-day")
        request.workflow_execution_retention_period.FromTimedelta(timedelta(days=1))
        await default.workflow_service.register_namespace(request)
        client = await Client.connect(address, namespace="a-day")
        handle = await client.start_workflow("Anything", id=f"ret-{uuid.uuid4().hex[:8]}", task_queue="nobody")
        await handle.terminate("closed for the test")

        # The reaper's pace is wall time (up to a minute between passes); sweep now, as it would.
        await skip(address, 23 * HOUR)
        assert await server.reaper.sweep() == 0
        assert (await handle.describe()).id == handle.id

        wall_start = time.monotonic()
        await skip(address, 2 * HOUR)
        assert time.monotonic() - wall_start < 2.0
        assert await server.reaper.sweep() == 1
        with pytest.raises(RPCError) as error:
            await handle.describe()
        assert error.value.status == RPCStatusCode.NOT_FOUND


async def test_a_schedule_fires_on_virtual_time() -> None:
    async with devserver_in_process(time_skipping=True) as server:
        address = f"127.0.0.1:{server.port}"
        client = await Client.connect(address)
        queue = f"sched-{uuid.uuid4().hex[:8]}"
        async with Worker(client, task_queue=queue, workflows=[Instant]):
            schedule = await client.create_schedule(
                f"hourly-{queue}",
                Schedule(
                    action=ScheduleActionStartWorkflow(Instant.run, id=f"{queue}-run", task_queue=queue),
                    spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))]),
                ),
            )
            started_at = await virtual_now(address)
            # Actions fall on the hour (the interval's phase is zero): skip to half past the
            # third one, wherever in the hour the test started.
            first = (started_at // HOUR + 1) * HOUR
            wall_start = time.monotonic()
            await skip(address, first + 2 * HOUR + HOUR / 2 - started_at)
            wall = time.monotonic() - wall_start
            info = (await schedule.describe()).info
            assert info.num_actions == 3
            times = sorted(action.scheduled_at.timestamp() for action in info.recent_actions)
            assert [round((t - times[0]) / HOUR) for t in times] == [0, 1, 2]
            assert started_at < times[0] <= started_at + HOUR
            assert wall < 5.0, f"took {wall:.1f}s of wall time"
            await schedule.delete()
