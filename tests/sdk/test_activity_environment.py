"""sdk.testing.ActivityEnvironment: an activity function run without a server sees its info,
reports heartbeats and takes cancellation the way a worker delivers it."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import pytest

from sdk import activity
from sdk.exceptions import CancelledError
from sdk.testing import ActivityEnvironment


@activity.defn
async def count_up(to: int) -> str:
    for step in range(to):
        activity.heartbeat(step)
    return f"{activity.info().activity_id} counted to {to}"


@activity.defn
async def wait_for_cancel(started: asyncio.Event) -> str:
    started.set()
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        return "cleaned up"
    return "never"


@activity.defn
def plain_until_cancelled(started: threading.Event) -> str:
    started.set()
    while True:
        activity.heartbeat("working")


async def test_heartbeats_and_info_reach_the_test() -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, activity_id="charge-1")
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    assert await env.run(count_up, 3) == "charge-1 counted to 3"
    assert beats == [(0,), (1,), (2,)]


async def test_an_async_activity_is_cancelled_at_its_await() -> None:
    env = ActivityEnvironment()
    started = asyncio.Event()
    running = asyncio.ensure_future(env.run(wait_for_cancel, started))
    await started.wait()
    env.cancel()
    assert await asyncio.wait_for(running, 5) == "cleaned up"


async def test_a_plain_activity_gets_the_cancellation_raised_in_its_thread() -> None:
    env = ActivityEnvironment()
    started = threading.Event()
    running = asyncio.get_running_loop().run_in_executor(None, env.run, plain_until_cancelled, started)
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
    env.cancel()
    with pytest.raises(CancelledError):
        await asyncio.wait_for(running, 5)


def test_activity_calls_outside_an_environment_still_refuse() -> None:
    with pytest.raises(activity.NotInActivityError):
        activity.heartbeat("nobody listens")


@activity.defn(no_thread_cancel_exception=True)
def plain_waits_for_cancel(started: threading.Event) -> str:
    started.set()
    return "cancelled" if activity.wait_for_cancelled_sync(10) else "timed out"


async def test_a_plain_activity_blocked_in_wait_for_cancelled_sync_wakes_on_cancel() -> None:
    env = ActivityEnvironment()
    started = threading.Event()
    running = asyncio.get_running_loop().run_in_executor(None, env.run, plain_waits_for_cancel, started)
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
    env.cancel()
    assert await asyncio.wait_for(running, 5) == "cancelled"
