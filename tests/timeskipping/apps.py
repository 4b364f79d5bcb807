"""Helpers for the time-skipping tests: `tempo-test-server` as a process, and one workflow
written twice (the official SDK and ours): a long sleep, an activity that fails once and is
retried after a backoff, then a long timer. The durations are its input, so the same
workflow runs for a month on a skipping server and for a second on a plain one."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import temporalio.activity
import temporalio.common
import temporalio.workflow
from temporalio.testing import WorkflowEnvironment

import sdk.activity
import sdk.workflow
from sdk.client import RetryPolicy
from tests.servers import ServerProcess, free_port

DAY = 86400.0


@dataclass
class Durations:
    sleep: float
    backoff: float
    timer: float


MONTH_LONG = Durations(sleep=30 * DAY, backoff=3600.0, timer=7 * DAY)
SHORT = Durations(sleep=1.0, backoff=1.0, timer=1.0)


def tempo_test_server_path() -> str:
    """The `tempo-test-server` executable installed with the project (a [project.scripts] entry)."""
    return str(Path(sys.executable).parent / "tempo-test-server")


def tempo_test_server(*extra: str) -> ServerProcess:
    port = free_port()
    return ServerProcess("tempo", [tempo_test_server_path(), str(port), *extra], port)


@contextlib.contextmanager
def running_test_server(*extra: str) -> Iterator[ServerProcess]:
    server = tempo_test_server(*extra).start()
    try:
        yield server
    finally:
        server.stop()


# ---- the official SDK -------------------------------------------------------------------


@temporalio.activity.defn(name="fails_once")
async def official_fails_once() -> str:
    if temporalio.activity.info().attempt == 1:
        raise RuntimeError("the first attempt fails")
    return f"done on attempt {temporalio.activity.info().attempt}"


@temporalio.workflow.defn(name="SleepRetryWait")
class OfficialSleepRetryWait:
    @temporalio.workflow.run
    async def run(self, durations: list[float]) -> str:
        sleep, backoff, timer = durations
        await asyncio.sleep(sleep)
        result: str = await temporalio.workflow.execute_activity(
            official_fails_once,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=temporalio.common.RetryPolicy(initial_interval=timedelta(seconds=backoff)),
        )
        await asyncio.sleep(timer)
        return result


class OfficialHeartbeatActivities:
    def __init__(self, env: WorkflowEnvironment) -> None:
        self.env = env

    @temporalio.activity.defn(name="outlives_heartbeat")
    async def outlives_heartbeat(self) -> str:
        """Sleeps twice its heartbeat timeout in virtual time (the test server's clock), never heartbeating."""
        timeout = temporalio.activity.info().heartbeat_timeout
        assert timeout is not None
        await self.env.sleep(timeout * 2)
        return "too late"


@temporalio.workflow.defn(name="HeartbeatTimeout")
class OfficialHeartbeatTimeout:
    @temporalio.workflow.run
    async def run(self) -> str:
        result: str = await temporalio.workflow.execute_activity(
            OfficialHeartbeatActivities.outlives_heartbeat,
            schedule_to_close_timeout=timedelta(days=1),
            heartbeat_timeout=timedelta(minutes=10),
            retry_policy=temporalio.common.RetryPolicy(maximum_attempts=1),
        )
        return result


@temporalio.activity.defn(name="takes_a_second")
async def official_takes_a_second() -> str:
    await asyncio.sleep(1.0)  # wall time: the worker is busy with it
    return "worked"


@temporalio.workflow.defn(name="TimerBesideActivity")
class OfficialTimerBesideActivity:
    """Starts an hour's timer and an activity together; says whether the timer had fired by
    the time the activity's result came (the server holds time while the activity runs)."""

    @temporalio.workflow.run
    async def run(self) -> bool:
        timer = asyncio.ensure_future(asyncio.sleep(3600))
        await temporalio.workflow.execute_activity(
            official_takes_a_second, start_to_close_timeout=timedelta(seconds=30)
        )
        fired = timer.done()
        await timer
        return fired


# ---- ours -------------------------------------------------------------------------------


@sdk.activity.defn(name="fails_once")
async def fails_once() -> str:
    if sdk.activity.info().attempt == 1:
        raise RuntimeError("the first attempt fails")
    return f"done on attempt {sdk.activity.info().attempt}"


@sdk.workflow.defn(name="SleepRetryWait")
class SleepRetryWait:
    @sdk.workflow.run
    async def run(self, durations: list[float]) -> str:
        sleep, backoff, timer = durations
        await asyncio.sleep(sleep)
        result: str = await sdk.workflow.execute_activity(
            fails_once,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=backoff)),
        )
        await asyncio.sleep(timer)
        return result
