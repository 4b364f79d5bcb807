"""Workflows and activities for the benchmark (``python -m bench``), written with our SDK (``sdk``).

Side-effect free so that workers in child processes can import it.
``bench.official_app`` has the same workflows written with ``temporalio``:
same type names, same activity names, same commands in the same order, so a
history recorded with one replays with the other.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sdk import activity, workflow

STEP_TIMEOUT = timedelta(seconds=30)


# --- the long history: activities, short timers and signals ---------------------------------


@activity.defn
async def step(i: int) -> int:
    return i


@workflow.defn
class Churn:
    """``rounds`` times: an activity, then a 1 ms timer; meanwhile it counts signals.

    Ends once all rounds are done and ``signals`` signals have arrived.
    About 11 events per round plus 1 to 4 per signal.
    """

    def __init__(self) -> None:
        self.received = 0

    @workflow.run
    async def run(self, rounds: int, signals: int) -> int:
        total = 0
        for i in range(rounds):
            total += await workflow.execute_activity(step, i, start_to_close_timeout=STEP_TIMEOUT)
            await workflow.sleep(0.001)
        await workflow.wait_condition(lambda: self.received >= signals)
        return total + self.received

    @workflow.signal
    def poke(self, n: int) -> None:
        self.received += n


# --- end-to-end: the seed scenario (bench.seed_app.BenchOrder with our SDK) ------------------


@activity.defn
async def charge(order_id: int) -> str:
    return f"charged {order_id}"


@workflow.defn
class BenchOrder:
    def __init__(self) -> None:
        self.picked_up = False

    @workflow.run
    async def run(self, order_id: int) -> str:
        receipt = await workflow.execute_activity(charge, order_id, start_to_close_timeout=timedelta(seconds=10))
        await workflow.wait_condition(lambda: self.picked_up)
        return receipt

    @workflow.signal
    def pick_up(self) -> None:
        self.picked_up = True

    @workflow.query
    def status(self) -> str:
        return "picked up" if self.picked_up else "waiting"


# --- activities in batches: the one-activity and 500-activity workflows, long histories ------


@workflow.defn
class Batches:
    """``batches`` times, ``width`` activities at once; returns how many ran.

    ``Batches(1, 1)`` is the one-activity workflow, ``Batches(500, 1)`` the 500-activity one;
    wide batches make long histories quickly (about 3 events per activity).
    """

    @workflow.run
    async def run(self, batches: int, width: int) -> int:
        done = 0
        for b in range(batches):
            results = await asyncio.gather(
                *(
                    workflow.execute_activity(step, b * width + i, start_to_close_timeout=STEP_TIMEOUT)
                    for i in range(width)
                )
            )
            done += len(results)
        return done

    @workflow.query
    def ready(self) -> bool:
        return True
