"""A child workflow on another task queue than its parent's."""

from __future__ import annotations

from sdk.client import Client
from tests.sdk.traced_runs import drive_family, run_worker


async def test_a_child_on_another_task_queue_starts_and_runs_there(client: Client, task_queue: str) -> None:
    # The real server refuses a child that inherits the parent's build on another task queue
    # (BadStartChildExecutionAttributes), failing every workflow task of the parent.
    child_queue = f"{task_queue}-children"
    async with run_worker("ours", client, task_queue), run_worker("ours", client, child_queue):
        assert await drive_family(client, task_queue, child_queue) == "hello local, poked"
