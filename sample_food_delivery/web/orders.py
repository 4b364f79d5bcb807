"""What the web apps do with orders, through ``sdk``'s client.

One :class:`OrderDesk` per app: it connects on first use (so a page loads even
while the server is down) and turns workflow runs into the small JSON documents
the pages poll.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sdk import Client, WorkflowExecution, WorkflowStatus
from sdk.exceptions import RPCError, ServerUnreachableError, WorkflowQueryFailedError

from ..products import Product
from ..settings import Settings
from ..worker import connect
from ..workflows import GET_STATUS_QUERY, ORDER_WORKFLOW

QUERY_TIMEOUT = timedelta(seconds=3)
"""How long a page waits for a worker to answer ``getStatus`` before saying none did."""

NO_WORKER = "No worker answered. Is the worker running?"

_CLOSED_KEPT = 1000


class OrderDesk:
    """Places orders, reads their status, lists recent ones and passes on the driver's signals."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Client | None = None
        self._connecting = asyncio.Lock()
        # Closed runs never change: their status is asked once, not on every poll.
        self._closed: dict[tuple[str, str], dict[str, Any]] = {}

    async def client(self) -> Client:
        """The connected client; connects on first use.

        Raises:
            ServerUnreachableError: The server does not answer (tried again next time).
        """
        async with self._connecting:
            if self._client is None:
                self._client = await connect(self.settings)
            return self._client

    async def close(self) -> None:
        """Close the connection, if one was made."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def place(self, product: Product) -> str:
        """Start an ``order`` workflow for ``product``; return its id (the order number)."""
        client = await self.client()
        order_id = f"order-{uuid.uuid4().hex[:12]}"
        timeouts = self.settings.timeouts
        # With default timeouts the input is just the product id, as the original's.
        args: list[Any] = [product.id] if timeouts.is_default() else [product.id, timeouts]
        await client.start_workflow(
            ORDER_WORKFLOW,
            args=args,
            id=order_id,
            task_queue=self.settings.task_queue,
            memo={"productId": product.id},
        )
        return order_id

    async def status(self, order_id: str) -> dict[str, Any]:
        """The order's status document (see :meth:`_status_of`).

        Raises:
            WorkflowNotFoundError: No order with this id.
        """
        client = await self.client()
        description = await client.get_workflow_handle(order_id).describe()
        return await self._status_of(client, description)

    async def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """Status documents of the newest orders on this task queue, newest first.

        Terminated runs are left out, as in the original's driver portal.
        """
        client = await self.client()
        queue = self.settings.task_queue.replace("'", "\\'")
        query = f"WorkflowType = '{ORDER_WORKFLOW}' AND TaskQueue = '{queue}'"
        executions: list[WorkflowExecution] = []
        async for execution in client.list_workflows(query, limit=2 * limit):
            if execution.status != WorkflowStatus.TERMINATED:
                executions.append(execution)
            if len(executions) == limit:
                break
        return list(await asyncio.gather(*(self._status_of(client, e) for e in executions)))

    async def signal(self, order_id: str, signal: str) -> None:
        """Send ``signal`` to the order's workflow.

        Raises:
            WorkflowNotFoundError: No such order, or it is already closed.
        """
        client = await self.client()
        await client.get_workflow_handle(order_id).signal(signal)

    async def _status_of(self, client: Client, execution: WorkflowExecution) -> dict[str, Any]:
        """``getStatus`` of one run plus what the server knows about it.

        Keys: ``orderId``, ``productId``, ``state``, ``deliveredAt`` (from the
        query), ``workflowStatus`` (Running, Completed, Failed, ...), ``closed``, and
        ``problem`` (why the state is unknown, e.g. no worker answered).
        """
        key = (execution.workflow_id, execution.run_id)
        if key in self._closed:
            return self._closed[key]
        closed = execution.status != WorkflowStatus.RUNNING
        document: dict[str, Any] = {
            "orderId": execution.workflow_id,
            "productId": execution.memo.get("productId"),
            "state": None,
            "deliveredAt": None,
            "workflowStatus": execution.status.display,
            "closed": closed,
            "problem": None,
        }
        handle = client.get_workflow_handle(execution.workflow_id, run_id=execution.run_id)
        try:
            answer = await handle.query(GET_STATUS_QUERY, timeout=QUERY_TIMEOUT)
        except ServerUnreachableError:
            raise
        except WorkflowQueryFailedError as err:
            document["problem"] = f"The status query failed: {err}"
        except RPCError:
            document["problem"] = NO_WORKER
        else:
            if isinstance(answer, dict):
                document["state"] = answer.get("state")
                document["deliveredAt"] = answer.get("deliveredAt")
                document["productId"] = answer.get("productId", document["productId"])
        if closed and execution.status != WorkflowStatus.COMPLETED:
            # As the original's driver portal shows it: the run's end says it all.
            document["state"] = "Failed" if execution.status == WorkflowStatus.FAILED else execution.status.display
            document["problem"] = None
        if closed and document["problem"] is None:
            if len(self._closed) >= _CLOSED_KEPT:
                del self._closed[next(iter(self._closed))]  # the oldest
            self._closed[key] = document
        return document
