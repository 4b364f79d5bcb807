"""Workflows that call what workflow code must not (the clock, the global random generator,
uuid4, blocking I/O), for tests/sdk/test_determinism_checks.py."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import random
import socket
import time
import uuid
from datetime import timedelta
from pathlib import Path
from time import time as wall_clock

from sdk import activity, workflow

CALLS = {
    "time.time": lambda: time.time(),
    "imported time": lambda: wall_clock(),
    "datetime.now": lambda: datetime.datetime.now(),
    "datetime.utcnow": lambda: datetime.datetime.utcnow(),
    "date.today": lambda: datetime.date.today(),
    "random.random": lambda: random.random(),
    "random.randint": lambda: random.randint(1, 6),
    "uuid.uuid4": lambda: uuid.uuid4(),
    "time.sleep": lambda: time.sleep(0),
    "open": lambda: open(__file__).close(),
    "Path.read_text": lambda: Path(__file__).read_text(),
    "socket": lambda: socket.socket().close(),
}
"""What a workflow may call by mistake, by the name the tests use for it."""


@workflow.defn
class CallsOne:
    """Calls ``CALLS[name]`` in its run method."""

    @workflow.run
    async def run(self, name: str) -> str:
        CALLS[name]()
        return "called"


@workflow.defn
class SwallowsTheError:
    """Calls ``time.time()`` but catches what is raised: the task fails all the same."""

    @workflow.run
    async def run(self) -> str:
        with contextlib.suppress(Exception):
            time.time()
        return "carried on"


@workflow.defn
class UsesTheReplacements:
    """The deterministic replacements, a log line, and one deliberate escape."""

    @workflow.run
    async def run(self) -> list[object]:
        workflow.logger.info("logging stamps records with the wall clock; that is allowed")
        with workflow.unsafe.sandbox_unrestricted():
            unrestricted = workflow.unsafe.is_sandbox_unrestricted()
            wall = time.time() > 0
        await workflow.sleep(timedelta(milliseconds=10))
        return [
            workflow.now().year >= 2026,
            0 <= workflow.random().random() < 1,
            workflow.random().randint(1, 6) in range(1, 7),
            workflow.uuid4().version,
            unrestricted,
            wall,
            workflow.unsafe.in_sandbox(),
            workflow.unsafe.is_sandbox_unrestricted(),
        ]


@activity.defn
def blocking_io() -> str:
    """What an activity may do: it runs in a thread of its own, not under the workflow checks."""
    time.sleep(0.01)
    with open(__file__) as source:
        source.read(1)
    return f"{time.time() > 0} {uuid.uuid4().version} {datetime.datetime.now().year >= 2026}"


@workflow.defn
class ReadsTheClock:
    """Runs an activity that does I/O (fine), then reads the clock itself (not fine)."""

    @workflow.run
    async def run(self) -> str:
        done = await workflow.execute_activity(blocking_io, start_to_close_timeout=timedelta(seconds=10))
        return f"{done} at {datetime.datetime.now()}"


@workflow.defn
class KeepsOrder:
    """workflow.wait and workflow.as_completed keep the order they were given; workflow.time
    is the workflow's clock."""

    @workflow.run
    async def run(self) -> dict[str, object]:
        started: list[str] = []

        async def step(name: str) -> str:
            started.append(name)
            await asyncio.sleep(0)
            return name

        names = [f"step-{i}" for i in range(12)]
        tasks = [asyncio.create_task(step(name)) for name in names]
        done, pending = await workflow.wait(tasks)
        started_by_wait = list(started)
        started.clear()
        completed = [await next_done for next_done in workflow.as_completed([step(name) for name in names])]
        return {
            "wait": [task.result() for task in done],
            "pending": len(pending),
            "started by wait": started_by_wait,
            "started by as_completed": started,
            "as_completed": completed,
            "time": workflow.time(),
            "time_ns": workflow.time_ns(),
        }


@workflow.defn
class AsksTheClockInAQuery:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.query
    def asked_at(self) -> str:
        return datetime.datetime.now().isoformat()


@workflow.defn(sandboxed=False)
class Unchecked:
    """Opted out of the checks, as with the official SDK's ``sandboxed=False``."""

    @workflow.run
    async def run(self) -> bool:
        return time.time() > 0


# A helper as an installed package would define it (its code lives under site-packages).
_INSTALLED: dict[str, object] = {"time": time}
exec(compile("def stamp():\n    return time.time()\n", "/venv/lib/site-packages/stamps.py", "exec"), _INSTALLED)


@workflow.defn
class CallsAPackage:
    """Calls a package that reads the clock itself: the package's business, not checked."""

    @workflow.run
    async def run(self) -> bool:
        return bool(_INSTALLED["stamp"]() > 0)  # type: ignore[operator]
