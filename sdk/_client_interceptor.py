"""Client interceptors, in the official SDK's shape: wrap every call a client makes.

An :class:`Interceptor` given to ``Client.connect(interceptors=[...])`` is asked, once per
client, to wrap the chain of calls: ``intercept_client(next)`` returns an
:class:`OutboundInterceptor` whose methods receive one input object per call, may change
it (``headers`` in particular: they travel in the request's ``Header`` to the workflow's
worker, ours or an official SDK's), and hand it on to ``self.next``. The first interceptor
of the list is the outermost. Re-exported by :mod:`sdk.client`; import from there.

Where the official SDK spreads a start's options over many fields, ``options`` holds them
here (a frozen :class:`~sdk.client.StartWorkflowOptions`; change it with
``dataclasses.replace``).

The inputs of the calls that start a workflow or an update are in ``_client_start_inputs``,
made when the first such call is: a client that only reads (the `tempo` CLI) need not make
those five dataclasses (2 ms).
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import Payload

from sdk._client_types import QueryRejectCondition

if TYPE_CHECKING:
    from sdk._client_handle import WorkflowHandle
    from sdk._client_start_inputs import (
        StartWorkflowInput,
        StartWorkflowUpdateInput,
        StartWorkflowUpdateWithStartInput,
    )
    from sdk._client_types import WorkflowDescription, WorkflowExecution
    from sdk._client_update import WorkflowUpdateHandle


@dataclass
class SignalWorkflowInput:
    """A :meth:`~sdk.client.WorkflowHandle.signal` call."""

    id: str
    run_id: str | None
    signal: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class QueryWorkflowInput:
    """A :meth:`~sdk.client.WorkflowHandle.query` call."""

    id: str
    run_id: str | None
    query: str
    args: Sequence[Any]
    reject_condition: QueryRejectCondition | None
    headers: Mapping[str, Payload]
    ret_type: Any
    rpc_timeout: datetime.timedelta | None


@dataclass
class CancelWorkflowInput:
    """A :meth:`~sdk.client.WorkflowHandle.cancel` call."""

    id: str
    run_id: str | None
    reason: str


@dataclass
class TerminateWorkflowInput:
    """A :meth:`~sdk.client.WorkflowHandle.terminate` call."""

    id: str
    run_id: str | None
    reason: str
    args: Sequence[Any]


@dataclass
class DescribeWorkflowInput:
    """A :meth:`~sdk.client.WorkflowHandle.describe` call."""

    id: str
    run_id: str | None


@dataclass
class ListWorkflowsInput:
    """A :meth:`~sdk.client.Client.list_workflows` call."""

    query: str
    page_size: int
    limit: int | None


@dataclass
class CountWorkflowsInput:
    """A :meth:`~sdk.client.Client.count_workflows` call (the answer is the count itself)."""

    query: str


class Interceptor:
    """Intercepts the calls of a client; subclass it and override :meth:`intercept_client`.

    A class that is also an ``sdk.worker.Interceptor`` applies to the workers the client is
    given to as well, as in the official SDK.
    """

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap the chain of calls: return an :class:`OutboundInterceptor` that hands each call
        on to ``next`` (the default returns ``next`` itself: nothing is intercepted)."""
        return next


class OutboundInterceptor:
    """One link of a client's chain of calls; each method hands its input on to ``self.next``.

    Override the calls to intercept; the others pass through.
    """

    def __init__(self, next: OutboundInterceptor) -> None:
        self.next = next

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle:
        return await self.next.start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        await self.next.signal_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        return await self.next.query_workflow(input)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle:
        return await self.next.start_workflow_update(input)

    async def start_update_with_start_workflow(self, input: StartWorkflowUpdateWithStartInput) -> WorkflowUpdateHandle:
        return await self.next.start_update_with_start_workflow(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        await self.next.cancel_workflow(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        await self.next.terminate_workflow(input)

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowDescription:
        return await self.next.describe_workflow(input)

    def list_workflows(self, input: ListWorkflowsInput) -> AsyncIterator[WorkflowExecution]:
        return self.next.list_workflows(input)

    async def count_workflows(self, input: CountWorkflowsInput) -> int:
        return await self.next.count_workflows(input)


def header_of(headers: Mapping[str, Payload]) -> Any:
    """The ``Header`` message of a request (None when there are no headers)."""
    from temporalio.api.common.v1 import Header

    return Header(fields=dict(headers)) if headers else None
