"""``workflow.wait``, ``workflow.as_completed``, ``workflow.time``: asyncio and the clock, made
deterministic, under the official SDK's names.

``asyncio.wait`` answers with *sets* of tasks, and ``asyncio.as_completed`` turns what it is
given into a set before starting it: the order of a set of tasks follows their memory
addresses, which differ from one replay to the next. Workflow code that iterates such a set
(or whose coroutines start in that order) can issue commands in another order on replay.
These versions keep the order the caller gave.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


async def wait(
    fs: Iterable[asyncio.Future[T]],
    *,
    timeout: float | None = None,
    return_when: str = asyncio.ALL_COMPLETED,
) -> tuple[list[asyncio.Future[T]], list[asyncio.Future[T]]]:
    """``asyncio.wait``, answering with lists in the order of ``fs`` instead of sets.

    Args:
        fs: Tasks or futures (not coroutines: start them with ``asyncio.create_task``).
        timeout: Stop waiting after this many seconds (a durable timer).
        return_when: ``asyncio.FIRST_COMPLETED``, ``FIRST_EXCEPTION`` or ``ALL_COMPLETED``.

    Returns:
        ``(done, pending)``, each in the order of ``fs``.

    Raises:
        TypeError: ``fs`` holds a coroutine, or is a single future.
        ValueError: ``fs`` is empty or ``return_when`` is not one of the three.
    """
    if asyncio.isfuture(fs) or asyncio.iscoroutine(fs):
        raise TypeError(f"workflow.wait takes an iterable of tasks or futures, not a {type(fs).__name__}")
    futures = list(fs)
    if any(asyncio.iscoroutine(f) for f in futures):
        raise TypeError("workflow.wait takes tasks or futures, not coroutines: start them with asyncio.create_task")
    # asyncio.wait's set only decides the order callbacks are added in, which does not
    # change which futures are done when it returns; the answer is re-ordered here.
    await asyncio.wait(futures, timeout=timeout, return_when=return_when)
    return [f for f in futures if f.done()], [f for f in futures if not f.done()]


def as_completed(fs: Iterable[Awaitable[T]], *, timeout: float | None = None) -> Iterator[Awaitable[T]]:
    """``asyncio.as_completed``, with coroutines started as tasks in the order of ``fs``.

    Args:
        fs: Awaitables; coroutines become tasks, in this order.
        timeout: Raise ``TimeoutError`` from the next awaitable after this many seconds.

    Returns:
        Awaitables giving the results in the order they complete.
    """
    if asyncio.isfuture(fs) or asyncio.iscoroutine(fs):
        raise TypeError(f"workflow.as_completed takes an iterable of awaitables, not a {type(fs).__name__}")
    futures: list[asyncio.Future[Any]] = [asyncio.ensure_future(f) for f in fs]
    return asyncio.as_completed(futures, timeout=timeout)


def time() -> float:
    """The workflow's time in seconds since the epoch: ``workflow.now().timestamp()``.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    from sdk.workflow import now  # sdk.workflow imports this module

    return now().timestamp()


def time_ns() -> int:
    """The workflow's time in nanoseconds since the epoch.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    from sdk.workflow import now

    moment = now()
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000
