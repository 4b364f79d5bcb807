"""Helpers for SDK tests: a connected client and workers on unique task queues."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from sdk.client import Client


@pytest.fixture
async def client(server_address: str) -> AsyncIterator[Client]:
    """A client of the server under test."""
    connected = await Client.connect(server_address)
    try:
        yield connected
    finally:
        await connected.close()


@pytest.fixture
def task_queue() -> str:
    """A task queue no other test uses."""
    return f"tq-{uuid.uuid4().hex[:10]}"


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 15.0, interval: float = 0.05) -> None:
    """Poll ``check`` until it returns true; fail the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


@pytest.fixture
def activity_executor() -> Iterator[ThreadPoolExecutor]:
    """The thread pool plain (non-async) activities run in; a worker needs one to register them."""
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tempo-activity")
    try:
        yield executor
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
