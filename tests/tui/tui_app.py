"""Workflows the TUI tests look at, run by our SDK's worker (the official SDK's run too)."""

from __future__ import annotations

from datetime import timedelta

from sdk import activity, workflow
from sdk.exceptions import ApplicationError
from sdk.workflow import RetryPolicy


@activity.defn
async def reserve_stock(customer: str) -> str:
    return f"reserved for {customer}"


@workflow.defn
class Checkout:
    """Reserves stock, then collects items by signal until `finish`; answers `items`."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False

    @workflow.run
    async def run(self, customer: str) -> str:
        await workflow.execute_activity(reserve_stock, customer, start_to_close_timeout=timedelta(seconds=10))
        await workflow.wait_condition(lambda: self.done)
        return f"{customer}: {len(self.items)} items"

    @workflow.signal
    def add_item(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def items_so_far(self) -> list[str]:
        return list(self.items)


@workflow.defn
class Quick:
    """Completes at once with a greeting."""

    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"


@activity.defn
async def always_declined(order: int) -> str:
    raise ApplicationError(f"card declined (attempt {activity.info().attempt})", type="Declined")


@workflow.defn
class Retrying:
    """Its activity fails at every attempt and is retried until the run is terminated."""

    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            always_declined,
            1,
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=1)
            ),
        )


@activity.defn(name="charge[/x]")
async def bracketed_charge(order: str) -> str:
    raise ApplicationError(f"card [red]declined[/red] for {order}[/x]", type="Declined[b]")


@workflow.defn(name="Odd[red]Type[/x]")
class Bracketed:
    """Names, failures and query answers full of square brackets, as users may choose them: its
    activity fails at every attempt until a `note[/x]` signal says "fail", then the run fails."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    @workflow.run
    async def run(self, order: str) -> str:
        if order.endswith("retry"):
            await workflow.execute_activity(
                bracketed_charge,
                order,
                start_to_close_timeout=timedelta(seconds=5),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=1)
                ),
            )
        await workflow.wait_condition(lambda: "fail" in self.notes)
        raise ApplicationError(f"order[/x] of {order} [bold]failed[/bold]", type="Broken[red]")

    @workflow.signal(name="note[/x]")
    def note(self, text: str) -> None:
        self.notes.append(text)

    @workflow.query(name="notes[b]")
    def notes_so_far(self) -> list[str]:
        return [*self.notes, "[bold]x[/bold]"]
