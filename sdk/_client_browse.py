"""Client calls that browse a server rather than drive one workflow.

Pages of runs, counts with their ``GROUP BY`` groups, namespaces and task queues: what
a UI needs to show a server. Mixed into :class:`sdk.client.Client`, where they are
documented for users.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from temporalio.api.enums.v1 import NamespaceState, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1.request_response_pb2 import (
    CountWorkflowExecutionsRequest,
    DescribeTaskQueueRequest,
    ListNamespacesRequest,
    ListWorkflowExecutionsRequest,
)

from sdk._client_rpc import Connection
from sdk._client_types import WorkflowExecution
from sdk.converter import DataConverter

if TYPE_CHECKING:  # each method imports the class it answers: see sdk/_client_pages.py
    from sdk._client_pages import NamespaceDescription, TaskQueueDescription, WorkflowCount, WorkflowPage

_TASK_QUEUE_KINDS = {
    "workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
}


class BrowseCalls:
    """Listing, counting and describing calls of :class:`sdk.client.Client`."""

    _conn: Connection
    namespace: str
    data_converter: DataConverter

    async def list_workflows_page(
        self, query: str = "", *, page_size: int = 100, next_page_token: bytes = b""
    ) -> WorkflowPage:
        """One page of the runs matching a visibility query, newest first.

        Unlike :meth:`list_workflows`, the caller holds the position: pass the page's
        ``next_page_token`` back to get the following page (a UI keeps one token per page
        and can refresh any page without walking the ones before it).

        Args:
            query: A list filter (see :meth:`list_workflows`); empty lists every run.
            page_size: Runs per page.
            next_page_token: Where to continue; empty for the first page.

        Returns:
            The page, with the token of the next one (empty on the last page).

        Raises:
            RPCError: The query is invalid (``INVALID_ARGUMENT``, with the server's reason).
        """
        from sdk._client_pages import WorkflowPage

        response = await self._conn.call(
            self._conn.service.ListWorkflowExecutions,
            ListWorkflowExecutionsRequest(
                namespace=self.namespace, page_size=page_size, next_page_token=next_page_token, query=query
            ),
            codec=self.data_converter.payload_codec,
        )
        executions = [WorkflowExecution.from_proto(info, self.data_converter) for info in response.executions]
        return WorkflowPage(executions=executions, next_page_token=response.next_page_token)

    async def count_workflows_grouped(self, query: str = "") -> WorkflowCount:
        """Count the runs matching a query, with one count per group for ``GROUP BY`` queries.

        Example:
            ``await client.count_workflows_grouped("GROUP BY ExecutionStatus")`` answers the
            total and a group per status, e.g. ``values=["Running"], count=3``.

        Args:
            query: A list filter, optionally ending in ``GROUP BY ExecutionStatus``.

        Returns:
            The total and the groups.

        Raises:
            RPCError: The query is invalid (``INVALID_ARGUMENT``, with the server's reason).
        """
        from sdk._client_pages import WorkflowCount

        response = await self._conn.call(
            self._conn.service.CountWorkflowExecutions,
            CountWorkflowExecutionsRequest(namespace=self.namespace, query=query),
        )
        return WorkflowCount.from_response(response, self.data_converter)

    async def list_namespaces(self) -> list[NamespaceDescription]:
        """Every namespace of the server, all pages joined."""
        from sdk._client_pages import NamespaceDescription

        namespaces: list[NamespaceDescription] = []
        token = b""
        while True:
            response = await self._conn.call(
                self._conn.service.ListNamespaces, ListNamespacesRequest(page_size=100, next_page_token=token)
            )
            for item in response.namespaces:
                info, config = item.namespace_info, item.config
                retention: datetime.timedelta | None = None
                if config.HasField("workflow_execution_retention_ttl"):
                    retention = config.workflow_execution_retention_ttl.ToTimedelta()
                state = NamespaceState.Name(info.state).removeprefix("NAMESPACE_STATE_").capitalize()
                namespaces.append(
                    NamespaceDescription(name=info.name, state=state, description=info.description, retention=retention)
                )
            token = response.next_page_token
            if not token:
                return namespaces

    async def describe_task_queue(self, task_queue: str, *, kind: str = "workflow") -> TaskQueueDescription:
        """Who polls a task queue, and how many tasks wait in it.

        Args:
            task_queue: The task queue name.
            kind: ``"workflow"`` or ``"activity"`` tasks; each has its own pollers and backlog.

        Returns:
            Its pollers and backlog estimate.

        Raises:
            ValueError: ``kind`` is neither ``"workflow"`` nor ``"activity"``.
        """
        from sdk._client_pages import TaskQueueDescription

        if kind not in _TASK_QUEUE_KINDS:
            raise ValueError(f"kind must be 'workflow' or 'activity', not {kind!r}")
        response = await self._conn.call(
            self._conn.service.DescribeTaskQueue,
            DescribeTaskQueueRequest(
                namespace=self.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=_TASK_QUEUE_KINDS[kind],
                include_task_queue_status=True,
            ),
        )
        return TaskQueueDescription.from_response(task_queue, kind, response)
