"""The worker: runs the order workflow and the activities on the sample's task queue."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sdk import Client, Worker
from sdk.exceptions import ServerUnreachableError

from .activities import DeliveryServices
from .settings import DEFAULT_TASK_QUEUE, Settings
from .workflows import Order

logger = logging.getLogger(__name__)


def create_worker(
    client: Client,
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    services: DeliveryServices | None = None,
    **options: Any,
) -> Worker:
    """A worker for the order workflow and its activities (not yet running).

    Args:
        client: A connected client.
        task_queue: The task queue to poll.
        services: The fake services the activities call; default ones if not given.
        **options: Other ``sdk.Worker`` options (e.g. ``max_cached_workflows=0``).
    """
    services = services if services is not None else DeliveryServices()
    return Worker(client, task_queue=task_queue, workflows=[Order], activities=services.activities(), **options)


async def connect(settings: Settings, *, wait: float = 0.0) -> Client:
    """Connect to the server, giving one that is still starting up ``wait`` seconds.

    Raises:
        ServerUnreachableError: Nothing answered at the address in time.
        RPCError: The namespace does not exist.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    announced = False
    while True:
        client: Client | None = None
        try:
            client = await Client.connect(settings.address, namespace=settings.namespace, **settings.connect_options)
            # Asks the namespace, so a missing namespace or a server that is not
            # ready yet shows here rather than in the first poll.
            await client.count_workflows()
            return client
        except ServerUnreachableError:
            if client is not None:
                await client.close()
            if loop.time() >= deadline:
                raise
            if not announced:
                logger.info("waiting for the Temporal server at %s ...", settings.address)
                announced = True
            await asyncio.sleep(0.5)
        except BaseException:
            if client is not None:
                await client.close()
            raise


async def serve_worker(settings: Settings, shutdown_trigger: Callable[[], Coroutine[Any, Any, Any]]) -> None:
    """Run the worker until ``shutdown_trigger()`` returns, then shut it down gracefully.

    Raises:
        ServerUnreachableError: No server at ``settings.address``.
        RPCError: The server refused the worker (e.g. an unknown namespace).
    """
    client = await connect(settings, wait=settings.server_wait)
    try:
        worker = create_worker(
            client, task_queue=settings.task_queue, services=DeliveryServices(failures=settings.failures)
        )
        running = asyncio.create_task(worker.run())
        stop = asyncio.create_task(shutdown_trigger())
        logger.info(
            "polling task queue %r at %s (namespace %s)", settings.task_queue, settings.address, settings.namespace
        )
        done, _ = await asyncio.wait([running, stop], return_when=asyncio.FIRST_COMPLETED)
        if stop in done:
            await worker.shutdown()
        stop.cancel()
        await running
        logger.info("stopped")
    finally:
        await client.close()
