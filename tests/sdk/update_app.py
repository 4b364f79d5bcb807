"""Workflows with update handlers, written with our SDK (``official_update_app.py`` has the
same ``Counter`` written with the official one, under the same type name)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sdk import workflow
from sdk.exceptions import ApplicationError


@workflow.defn(name="Counter")
class Counter:
    """A total changed by updates: ``add`` (its validator refuses negatives), ``add_when_released``
    (waits for the ``release`` signal), ``fail`` (raises); the ``finish`` update ends the run
    once every handler is done."""

    def __init__(self) -> None:
        self.total = 0
        self.released = False
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.total

    @workflow.update
    def add(self, amount: int) -> int:
        self.total += amount
        return self.total

    @add.validator
    def check_add(self, amount: int) -> None:
        if amount < 0:
            raise ValueError("negative amounts are refused")

    @workflow.update
    async def add_when_released(self, amount: int) -> int:
        await workflow.wait_condition(lambda: self.released)
        self.total += amount
        return self.total

    @workflow.update
    def fail(self, text: str) -> int:
        raise ApplicationError(text, type="CounterError")

    @workflow.update(name="finish")
    def finish_counting(self) -> int:
        self.done = True
        return self.total

    @workflow.signal
    def release(self) -> None:
        self.released = True

    @workflow.query
    def current(self) -> int:
        return self.total


@workflow.defn(name="Hasty")
class Hasty:
    """Returns as soon as ``finish`` is signalled, whatever handlers still run: ``slow`` and
    ``slow_signal`` warn when left behind, ``slow_quietly`` (policy ABANDON) does not."""

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.done)
        return "finished"

    @workflow.update
    async def slow(self) -> str:
        await asyncio.sleep(3600)
        return "slow done"

    @workflow.update(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def slow_quietly(self) -> str:
        await asyncio.sleep(3600)
        return "slow done"

    @workflow.signal
    async def slow_signal(self) -> None:
        await asyncio.sleep(3600)

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn(name="Patient")
class Patient:
    """Returns once ``finish`` is signalled and every handler is done; reports whether its
    update handler was still running when ``finish`` came."""

    def __init__(self) -> None:
        self.done = False
        self.released = False
        self.handled: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        busy = not workflow.all_handlers_finished()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return [*self.handled, f"busy at finish: {busy}"]

    @workflow.update
    async def work(self, name: str) -> str:
        info = workflow.current_update_info()
        await workflow.wait_condition(lambda: self.released)
        self.handled.append(name)
        return f"{name} done as {info.name if info else None}"

    @workflow.signal
    async def release_after_a_while(self) -> None:
        await asyncio.sleep(0.5)
        self.released = True

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn(name="CatchAll")
class CatchAll:
    """Dynamic handlers: every signal, query and update without a handler of its own."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        return self.seen

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.signal(dynamic=True)
    def any_signal(self, name: str, args: Sequence[workflow.RawValue]) -> None:
        self.seen.append(f"signal {name}{_decoded(args)}")

    @workflow.query(dynamic=True)
    def any_query(self, name: str, args: Sequence[workflow.RawValue]) -> str:
        return f"query {name}{_decoded(args)} after {len(self.seen)} seen"

    @workflow.update(dynamic=True)
    def any_update(self, name: str, args: Sequence[workflow.RawValue]) -> str:
        self.seen.append(f"update {name}{_decoded(args)}")
        return f"update {name} handled"

    @any_update.validator
    def check_any_update(self, name: str, args: Sequence[workflow.RawValue]) -> None:
        if name.startswith("forbidden"):
            raise ApplicationError(f"{name} is not allowed", type="Forbidden")


def _decoded(args: Sequence[workflow.RawValue]) -> list[object]:
    converter = workflow.payload_converter()
    return [converter.from_payload(arg.payload) for arg in args]


ALL = [Counter, Hasty, Patient, CatchAll]
