"""An official client and worker on a thread and event loop of their own.

The CLI under test runs its own event loop on the test's thread (through CliRunner), so the
peer that starts workflows and runs the worker cannot share it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from temporalio.worker import Worker

T = TypeVar("T")


class ThreadedPeer:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._worker: Worker | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run `coro` on the peer's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def serve(self, worker: Worker) -> None:
        """Run `worker` on the peer's loop until `close`."""
        self._worker = worker
        asyncio.run_coroutine_threadsafe(worker.run(), self._loop)

    def close(self) -> None:
        if self._worker is not None:
            self.run(self._worker.shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
