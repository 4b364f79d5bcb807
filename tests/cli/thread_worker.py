"""An official `temporalio` worker on a thread and event loop of its own, for the CLI tests:
the CLI runs its own event loop (asyncio.run) on the test's thread."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from tests.sdk_client.workflows import official_worker


@dataclass
class ThreadWorker:
    """An official `temporalio` worker running on its own thread and event loop."""

    address: str
    task_queue: str = ""

    def __enter__(self) -> str:
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the official worker did not start within 30 s")
        if self._error is not None:
            raise RuntimeError(f"the official worker did not start: {self._error}")
        return self.task_queue

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        deadline = self._loop.time() + 25
        while True:
            try:
                async with official_worker(self.address) as task_queue:
                    self.task_queue = task_queue
                    self._ready.set()
                    await self._stop.wait()
                    return
            except Exception as err:
                # A just-started real server answers "Frontend is not healthy yet" for a
                # moment after its port opens: try again, briefly; else report at once.
                if self._ready.is_set():
                    raise
                if "not healthy" not in str(err) or self._loop.time() > deadline:
                    self._error = err
                    self._ready.set()
                    return
                await asyncio.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)
