"""CLI test fixtures: the `tempo workflow` app in-process and an official worker in a thread.

The CLI runs its own event loop (asyncio.run), so the reference worker lives on
another thread with its own loop, and tests are plain synchronous functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner, Result

from tests.cli.tempo_entry import root
from tests.cli.thread_worker import ThreadWorker


@pytest.fixture
def task_queue(server_address: str) -> Iterator[str]:
    """A fresh task queue served by an official worker for the length of one test."""
    with ThreadWorker(server_address) as queue:
        yield queue


Tempo = Callable[..., Result]


@pytest.fixture
def tempo(server_address: str) -> Tempo:
    """Run `tempo workflow ARGS... --address <server under test>` and return the result."""
    runner = CliRunner()

    def run(*args: str, address: bool = True) -> Result:
        argv = ["workflow", *args]
        if address:
            argv += ["--address", server_address]
        return runner.invoke(root, argv, env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None})

    return run
