"""A workflow made of plain asyncio (gather, wait, wait_for, shield, sleep, tasks started by a
handler), written with our SDK; ``official_asyncio_app.py`` is the same with the official one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sdk import activity, workflow


@activity.defn
async def echo(value: str) -> str:
    return value


@workflow.defn(name="AsyncioMix")
class AsyncioMix:
    def __init__(self) -> None:
        self.stage = "starting"
        self.noted: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        seen: list[str] = []
        first, second = await asyncio.gather(
            workflow.execute_activity(echo, "a", start_to_close_timeout=timedelta(seconds=10)),
            workflow.execute_activity(echo, "b", start_to_close_timeout=timedelta(seconds=10)),
        )
        seen.append(f"gather {first} {second}")
        try:
            await asyncio.wait_for(asyncio.sleep(60), timeout=0.1)
        except TimeoutError:
            seen.append("wait_for timed out")
        fast = asyncio.create_task(asyncio.sleep(0.05, result="fast"))
        slow = asyncio.create_task(asyncio.sleep(30, result="slow"))
        done, pending = await asyncio.wait([fast, slow], return_when=asyncio.FIRST_COMPLETED)
        seen.append(f"wait done {sorted(t.result() for t in done)} pending {len(pending)}")
        slow.cancel()
        inner = asyncio.create_task(asyncio.sleep(0.3, result="shielded"))
        try:
            await asyncio.wait_for(asyncio.shield(inner), timeout=0.05)
        except TimeoutError:
            seen.append(f"shield outer timed out, inner cancelled: {inner.cancelled()}")
        seen.append(f"inner {await inner}")
        try:
            await workflow.wait_condition(lambda: False, timeout=timedelta(milliseconds=50))
        except TimeoutError:
            seen.append("wait_condition timed out")
        self.stage = "waiting"
        await workflow.wait_condition(lambda: self.noted == ["poked"])
        seen.append(f"noted {self.noted}")
        return seen

    @workflow.signal
    async def poke(self) -> None:
        # A task the handler starts outlives the handler; its timer is durable too.
        asyncio.get_running_loop().create_task(self._note_later("poked"))

    async def _note_later(self, what: str) -> None:
        await asyncio.sleep(0.05)
        self.noted.append(what)

    @workflow.query
    def current_stage(self) -> str:
        return self.stage
