"""``local_activity_app`` written with the official SDK, under the same names."""

from __future__ import annotations

import asyncio
import collections
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

ATTEMPTS: collections.Counter[str] = collections.Counter()
"""Attempts of ``flaky`` per key, so runs in one process do not share a count."""


@activity.defn
async def greet(name: str) -> str:
    return f"hello {name}"


@activity.defn
async def flaky(key: str, succeed_on: int) -> str:
    ATTEMPTS[key] += 1
    if ATTEMPTS[key] < succeed_on:
        raise RuntimeError(f"attempt {ATTEMPTS[key]} failed")
    return f"succeeded on attempt {ATTEMPTS[key]}"


@activity.defn
async def always_fails() -> str:
    raise RuntimeError("out of stock")


@activity.defn
async def slow(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


ACTIVITIES = [greet, flaky, always_fails, slow]


def describe(err: BaseException) -> str:
    """What both SDKs say alike about an error: its kind, message and its cause's message."""
    cause = err.__cause__
    message = getattr(err, "message", str(err))
    return f"{type(err).__name__}: {message} <- {getattr(cause, 'message', cause)}"


@workflow.defn(name="Errands")
class Errands:
    @workflow.run
    async def run(self, mode: str, key: str) -> list[str]:
        done: list[str] = []
        if mode == "outcomes":
            done.append(
                await workflow.execute_local_activity(greet, "ada", start_to_close_timeout=timedelta(seconds=5))
            )
            try:
                await workflow.execute_local_activity(
                    always_fails,
                    start_to_close_timeout=timedelta(seconds=5),
                    retry_policy=RetryPolicy(maximum_attempts=2, initial_interval=timedelta(milliseconds=50)),
                )
            except Exception as err:
                done.append(describe(err))
            try:
                await workflow.execute_local_activity(
                    slow,
                    5.0,
                    start_to_close_timeout=timedelta(milliseconds=300),
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
            except Exception as err:
                done.append(describe(err))
        elif mode == "backoff":
            done.append(
                await workflow.execute_local_activity(
                    flaky,
                    args=[key, 3],
                    start_to_close_timeout=timedelta(seconds=5),
                    local_retry_threshold=timedelta(milliseconds=100),
                    retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=300), backoff_coefficient=1.0),
                )
            )
        elif mode == "cancel":
            # Cancelled before the worker could start it: recorded as cancelled all the same.
            handle = workflow.start_local_activity(slow, 0.2, start_to_close_timeout=timedelta(seconds=5))
            handle.cancel()
            try:
                await handle
            except BaseException:  # the official SDK raises asyncio's CancelledError, ours ActivityError
                done.append("cancelled")
        elif mode == "long":
            # 9 s against an 8 s task: the task is completed at 6.4 s to ask for another, whose own
            # heartbeat would be due at 12.8 s (local_activity_runs._options).
            done.append(await workflow.execute_local_activity(slow, 9.0, start_to_close_timeout=timedelta(seconds=30)))
        return done
