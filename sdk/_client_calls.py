"""The innermost link of a client's chain of calls: the requests themselves.

:class:`ClientCalls` is what a client's interceptors (``sdk/_client_interceptor.py``) hand
their inputs on to in the end; each method turns one input into one request (its headers
into the request's ``Header``) and the answer into what the public method returns.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import WorkflowExecution as ExecutionProto
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.workflowservice.v1.request_response_pb2 import (
    CountWorkflowExecutionsRequest,
    DescribeWorkflowExecutionRequest,
    ListWorkflowExecutionsRequest,
    QueryWorkflowRequest,
    RequestCancelWorkflowExecutionRequest,
    SignalWorkflowExecutionRequest,
    TerminateWorkflowExecutionRequest,
)

from sdk._client_interceptor import (
    CancelWorkflowInput,
    CountWorkflowsInput,
    DescribeWorkflowInput,
    ListWorkflowsInput,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
    TerminateWorkflowInput,
    header_of,
)
from sdk._client_types import QueryRejectCondition, WorkflowDescription, WorkflowExecution
from sdk._request_id import request_id
from sdk.exceptions import WorkflowQueryRejectedError

if TYPE_CHECKING:
    from sdk._client_handle import WorkflowHandle
    from sdk._client_start_inputs import StartWorkflowInput, StartWorkflowUpdateInput, StartWorkflowUpdateWithStartInput
    from sdk._client_update import WorkflowUpdateHandle
    from sdk.client import Client


class ClientCalls(OutboundInterceptor):
    """Sends each call to the server for one client."""

    def __init__(self, client: Client) -> None:
        super().__init__(self)
        self._client = client

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle:
        signal = None if input.start_signal is None else (input.start_signal, input.start_signal_args)
        return await self._client._start(
            input.workflow, input.args, input.options, signal, input.ret_type, header_of(input.headers)
        )

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        client = self._client
        conn = client._conn
        await conn.call(
            conn.service.SignalWorkflowExecution,
            SignalWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=_execution(input.id, input.run_id),
                signal_name=input.signal,
                input=client._payloads(input.args),
                identity=client.identity,
                request_id=request_id(),
                header=header_of(input.headers),
            ),
            workflow_id=input.id,
            codec=client.data_converter.payload_codec,
        )

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        client = self._client
        conn = client._conn
        reject_condition = input.reject_condition or QueryRejectCondition.NONE
        response = await conn.call(
            conn.service.QueryWorkflow,
            QueryWorkflowRequest(
                namespace=client.namespace,
                execution=_execution(input.id, input.run_id),
                query=WorkflowQuery(
                    query_type=input.query, query_args=client._payloads(input.args), header=header_of(input.headers)
                ),
                query_reject_condition=int(reject_condition),  # type: ignore[arg-type]
            ),
            timeout=input.rpc_timeout.total_seconds() if input.rpc_timeout else None,
            workflow_id=input.id,
            codec=client.data_converter.payload_codec,
        )
        if response.HasField("query_rejected"):
            raise WorkflowQueryRejectedError(response.query_rejected.status)
        if not response.query_result.payloads:
            return None
        return client.data_converter.from_payload(response.query_result.payloads[0], input.ret_type)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle:
        from sdk._client_update import send_update  # updates load with the first one

        return await send_update(
            self._client,
            _execution(input.id, input.run_id),
            input.update,
            list(input.args),
            input.update_id or request_id(),
            input.wait_for_stage,
            input.ret_type,
            header_of(input.headers),
        )

    async def start_update_with_start_workflow(self, input: StartWorkflowUpdateWithStartInput) -> WorkflowUpdateHandle:
        from sdk._client_update import update_with_start

        start, update = input.start_workflow_input, input.update_workflow_input
        operation = input._operation
        operation.workflow_type = start.workflow
        operation.args = list(start.args)
        operation.options = start.options
        operation.result_type = start.ret_type
        return await update_with_start(
            self._client,
            operation,
            update.update,
            update.args,
            update.update_id or request_id(),
            update.wait_for_stage,
            update.ret_type,
            start_header=header_of(start.headers),
            update_header=header_of(update.headers),
        )

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        client = self._client
        conn = client._conn
        await conn.call(
            conn.service.RequestCancelWorkflowExecution,
            RequestCancelWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=_execution(input.id, input.run_id),
                identity=client.identity,
                request_id=request_id(),
                reason=input.reason,
            ),
            workflow_id=input.id,
        )

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        client = self._client
        conn = client._conn
        await conn.call(
            conn.service.TerminateWorkflowExecution,
            TerminateWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=_execution(input.id, input.run_id),
                reason=input.reason,
                details=client._payloads(input.args),
                identity=client.identity,
            ),
            workflow_id=input.id,
            codec=client.data_converter.payload_codec,
        )

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowDescription:
        client = self._client
        conn = client._conn
        response = await conn.call(
            conn.service.DescribeWorkflowExecution,
            DescribeWorkflowExecutionRequest(namespace=client.namespace, execution=_execution(input.id, input.run_id)),
            workflow_id=input.id,
            codec=client.data_converter.payload_codec,
        )
        return WorkflowDescription.from_response(response, client.data_converter)

    async def list_workflows(self, input: ListWorkflowsInput) -> AsyncIterator[WorkflowExecution]:
        client = self._client
        conn = client._conn
        token = b""
        seen = 0
        while True:
            response = await conn.call(
                conn.service.ListWorkflowExecutions,
                ListWorkflowExecutionsRequest(
                    namespace=client.namespace, page_size=input.page_size, next_page_token=token, query=input.query
                ),
                codec=client.data_converter.payload_codec,
            )
            for info in response.executions:
                if input.limit is not None and seen >= input.limit:
                    return
                seen += 1
                yield WorkflowExecution.from_proto(info, client.data_converter)
            token = response.next_page_token
            if not token:
                return

    async def count_workflows(self, input: CountWorkflowsInput) -> int:
        conn = self._client._conn
        response = await conn.call(
            conn.service.CountWorkflowExecutions,
            CountWorkflowExecutionsRequest(namespace=self._client.namespace, query=input.query),
        )
        return int(response.count)


def _execution(workflow_id: str, run_id: str | None) -> ExecutionProto:
    return ExecutionProto(workflow_id=workflow_id, run_id=run_id or "")


def chain(client: Client, interceptors: Any) -> OutboundInterceptor:
    """The client's chain of calls: the first interceptor outermost, :class:`ClientCalls` last."""
    calls: OutboundInterceptor = ClientCalls(client)
    for interceptor in reversed(list(interceptors)):
        calls = interceptor.intercept_client(calls)
    return calls
