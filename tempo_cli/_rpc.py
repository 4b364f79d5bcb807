"""Raw service calls the SDK client does not wrap (yet), with the client's error mapping.

Only what the CLI needs: queries with any reject condition, and counts with their
``GROUP BY`` groups. Failures become the same Tempo exceptions the client raises,
so `_errors.describe_error` words them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc.aio
from temporalio.api.common.v1 import Payloads, WorkflowExecution
from temporalio.api.enums.v1 import QueryRejectCondition
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.workflowservice.v1 import (
    CountWorkflowExecutionsRequest,
    CountWorkflowExecutionsResponse,
    QueryWorkflowRequest,
)

from sdk._client_rpc import map_error
from sdk.client import Client
from sdk.exceptions import WorkflowQueryRejectedError
from tempo_cli._context import RejectCondition

_RPC_TIMEOUT = 10.0
"""Seconds, the client's default deadline for ordinary calls (a query waits for a worker)."""


_REJECT = {
    None: QueryRejectCondition.QUERY_REJECT_CONDITION_NONE,
    RejectCondition.not_open: QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN,
    RejectCondition.not_completed_cleanly: QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY,
}


async def _call(client: Client, method: Any, request: Any, workflow_id: str = "") -> Any:
    try:
        return await method(request, timeout=_RPC_TIMEOUT)
    except grpc.aio.AioRpcError as err:
        raise map_error(err, client.address, workflow_id) from None


async def query_workflow(
    client: Client,
    workflow_id: str,
    run_id: str | None,
    name: str,
    args: Sequence[Any],
    reject: RejectCondition | None,
) -> Any:
    """Ask a workflow's query handler for a value, decoded with the client's converter.

    Raises:
        WorkflowQueryRejectedError: ``reject`` applies to the workflow's status.
        WorkflowQueryFailedError: The handler raised, or has no such name.
        WorkflowNotFoundError: No such workflow.
    """
    converter = client.data_converter
    request = QueryWorkflowRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""),
        query=WorkflowQuery(
            query_type=name,
            query_args=Payloads(payloads=converter.to_payloads(args)) if args else None,
        ),
        query_reject_condition=_REJECT[reject],
    )
    response = await _call(client, client.service.QueryWorkflow, request, workflow_id)
    if response.HasField("query_rejected"):
        raise WorkflowQueryRejectedError(response.query_rejected.status)
    if not response.query_result.payloads:
        return None
    return converter.from_payload(response.query_result.payloads[0])


async def count_workflows(client: Client, query: str) -> CountWorkflowExecutionsResponse:
    """The raw count: ``count`` and, for ``GROUP BY`` queries, ``groups``."""
    request = CountWorkflowExecutionsRequest(namespace=client.namespace, query=query)
    response: CountWorkflowExecutionsResponse = await _call(client, client.service.CountWorkflowExecutions, request)
    return response
