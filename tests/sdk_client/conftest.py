"""Fixtures for client tests: our client, and an official worker on a fresh task queue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sdk import Client
from tests.sdk_client.workflows import official_worker


@pytest.fixture
async def client(server_address: str) -> AsyncIterator[Client]:
    """Tempo's client connected to the server under test."""
    client = await Client.connect(server_address)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def task_queue(server_address: str) -> AsyncIterator[str]:
    """A task queue served by an official `temporalio` worker for this test only."""
    async with official_worker(server_address) as queue:
        yield queue
