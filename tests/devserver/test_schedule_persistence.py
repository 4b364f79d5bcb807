"""Schedules with `--db-filename`: they survive a `kill -9`, and catch up what they missed.

A schedule firing every second (ALLOW_ALL, so nothing waits for a worker) is killed mid-life.
After the restart every action it had recorded is still there with the same run, and the
seconds it was down are started then, as long as they are inside the catch-up window; older
ones are counted as missed.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleDescription,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
)

from tests.devserver.scenarios import wait_until
from tests.servers import free_port, tempo_server


def every_second(schedule_id: str, catchup: timedelta) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow("ScheduledWork", 0.0, id=f"wf-{schedule_id}", task_queue="nobody-polls"),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=1))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=catchup),
    )


async def started_times(client: Client, schedule_id: str) -> list[datetime]:
    """The scheduled times of every workflow the schedule started, from the ids it gave them."""
    prefix = f"wf-{schedule_id}-"
    ids = [w.id async for w in client.list_workflows(f"TemporalScheduledById = '{schedule_id}'")]
    return sorted(datetime.fromisoformat(i.removeprefix(prefix).replace("Z", "+00:00")) for i in ids)


async def described(client: Client, schedule_id: str, check: object) -> ScheduleDescription:
    async def ready() -> ScheduleDescription | None:
        description = await client.get_schedule_handle(schedule_id).describe()
        return description if check(description) else None  # type: ignore[operator]

    result: ScheduleDescription = await wait_until(ready, timeout=30.0, interval=0.1, what="the schedule")
    return result


async def test_kill_9_loses_no_recorded_action_and_the_missed_seconds_start_after_restart(tmp_path: Path) -> None:
    db, port = tmp_path / "tempo.db", free_port()
    server = tempo_server("--db-filename", str(db), port=port).start()
    schedule_id = f"durable-{uuid.uuid4().hex[:6]}"
    try:
        client = await Client.connect(server.address)
        await client.create_schedule(schedule_id, every_second(schedule_id, timedelta(minutes=5)))
        before = await described(client, schedule_id, lambda d: d.info.num_actions >= 3)
        server.kill()
        await asyncio.sleep(3)  # the server is down for a few scheduled seconds
        server.start()
        client = await Client.connect(server.address)
        after = await described(client, schedule_id, lambda d: d.info.num_actions >= before.info.num_actions + 3)
        recorded = {(a.scheduled_at, a.action.first_execution_run_id) for a in before.info.recent_actions}  # type: ignore[attr-defined]
        kept = {(a.scheduled_at, a.action.first_execution_run_id) for a in after.info.recent_actions}  # type: ignore[attr-defined]
        oldest_kept = min(a.scheduled_at for a in after.info.recent_actions)
        assert {r for r in recorded if r[0] >= oldest_kept} <= kept
        # Every second from the first action on has its workflow, across the crash, once.
        times = await started_times(client, schedule_id)
        assert len(times) == len(set(times))
        assert all(b - a == timedelta(seconds=1) for a, b in itertools.pairwise(times))
        assert after.info.num_actions_missed_catchup_window == 0
    finally:
        server.stop()


async def test_seconds_older_than_the_catch_up_window_are_missed_not_started(tmp_path: Path) -> None:
    db, port = tmp_path / "tempo.db", free_port()
    server = tempo_server("--db-filename", str(db), port=port).start()
    schedule_id = f"window-{uuid.uuid4().hex[:6]}"
    try:
        client = await Client.connect(server.address)
        # Ten seconds is the shortest window the real server takes.
        await client.create_schedule(schedule_id, every_second(schedule_id, timedelta(seconds=10)))
        before = await described(client, schedule_id, lambda d: d.info.num_actions >= 1)
        server.stop()
        await asyncio.sleep(13)  # down longer than the catch-up window
        server.start()
        client = await Client.connect(server.address)
        # Wait for starts after the restart (the catch-up goes on after the first missed count),
        # and for every start to be listed.
        after = await described(
            client,
            schedule_id,
            lambda d: d.info.num_actions_missed_catchup_window and d.info.num_actions >= before.info.num_actions + 2,
        )
        assert after.info.num_actions_missed_catchup_window >= 1
        times: list[datetime] = []

        async def all_listed() -> bool:
            nonlocal times
            times = await started_times(client, schedule_id)
            return len(times) >= after.info.num_actions

        await wait_until(all_listed, timeout=30.0, interval=0.1, what="every start listed")
        gaps = [b - a for a, b in itertools.pairwise(times) if b - a > timedelta(seconds=1)]
        assert len(gaps) == 1, "one gap: the seconds outside the window"
        assert after.info.num_actions_missed_catchup_window == gaps[0] // timedelta(seconds=1) - 1
    finally:
        server.stop()


async def test_a_triggered_action_counts_in_the_describe_that_follows(tmp_path: Path) -> None:
    # The official SDK's test_schedule_trigger_immediately: a paused schedule created with
    # trigger_immediately shows its one action at once. With the file, the action was taken
    # a moment after the create was answered, and the describe right after it read 0.
    server = tempo_server("--db-filename", str(tmp_path / "tempo.db"), port=free_port()).start()
    schedule_id = f"triggered-{uuid.uuid4().hex[:6]}"
    try:
        client = await Client.connect(server.address)
        schedule = every_second(schedule_id, timedelta(minutes=5))
        schedule.state = ScheduleState(paused=True)
        handle = await client.create_schedule(schedule_id, schedule, trigger_immediately=True)
        assert (await handle.describe()).info.num_actions == 1
        await asyncio.sleep(1.1)  # an action's workflow id ends in its second: the next must differ
        await handle.trigger()
        assert (await handle.describe()).info.num_actions == 2
    finally:
        server.stop()
