"""`Client.get_async_activity_handle`: finish an activity whose function ended with
``activity.raise_complete_async()``, from anywhere, by its task token or by its IDs.

By token the calls are the ones a worker makes (RespondActivityTaskCompleted, ...); by IDs,
their ``...ById`` forms, which name the workflow run and the activity instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import temporalio.api.workflowservice.v1.request_response_pb2 as rr
from temporalio.api.common.v1 import Payloads

from sdk.exceptions import RPCError, TempoError, WorkflowNotFoundError

if TYPE_CHECKING:
    from sdk.client import Client


class AsyncActivityCancelledError(TempoError):
    """A heartbeat of an async-completed activity learned that cancellation was requested
    (the caller should then :meth:`AsyncActivityHandle.report_cancellation`)."""

    def __init__(self) -> None:
        """Create the error."""
        super().__init__("the activity was asked to cancel")


@dataclass(frozen=True)
class AsyncActivityIDReference:
    """An activity named by its workflow and its ID instead of a task token.

    Attributes:
        workflow_id: The workflow that scheduled the activity.
        run_id: Its run; ``None`` for the latest run.
        activity_id: The activity's ID within the workflow.
    """

    workflow_id: str
    run_id: str | None
    activity_id: str


class AsyncActivityHandle:
    """Complete, fail, cancel or heartbeat one activity from outside its worker.

    Attributes:
        id_or_token: The activity's task token, or its IDs.
    """

    def __init__(self, client: Client, id_or_token: AsyncActivityIDReference | bytes) -> None:
        """Create a handle; use :meth:`sdk.client.Client.get_async_activity_handle`."""
        self._client = client
        self.id_or_token = id_or_token

    async def heartbeat(self, *details: Any) -> None:
        """Record a heartbeat (with progress details) for the activity.

        Raises:
            AsyncActivityCancelledError: The workflow asked the activity to cancel.
            RPCError: The server does not know the activity (NOT_FOUND), among others.
        """
        payloads = self._payloads(details)
        ref = self.id_or_token
        if isinstance(ref, bytes):
            response: Any = await self._call(
                "RecordActivityTaskHeartbeat",
                rr.RecordActivityTaskHeartbeatRequest(
                    task_token=ref, details=payloads, identity=self._client.identity, namespace=self._ns
                ),
            )
        else:
            response = await self._call(
                "RecordActivityTaskHeartbeatById",
                rr.RecordActivityTaskHeartbeatByIdRequest(**self._ids(ref), details=payloads),
            )
        if response.cancel_requested:
            raise AsyncActivityCancelledError()

    async def complete(self, result: Any = None) -> None:
        """Complete the activity with ``result``.

        Raises:
            RPCError: The server does not know the activity (NOT_FOUND), among others.
        """
        payloads = self._payloads([result])
        ref = self.id_or_token
        if isinstance(ref, bytes):
            await self._call(
                "RespondActivityTaskCompleted",
                rr.RespondActivityTaskCompletedRequest(
                    task_token=ref, result=payloads, identity=self._client.identity, namespace=self._ns
                ),
            )
        else:
            await self._call(
                "RespondActivityTaskCompletedById",
                rr.RespondActivityTaskCompletedByIdRequest(**self._ids(ref), result=payloads),
            )

    async def fail(self, error: BaseException, *, last_heartbeat_details: Sequence[Any] = ()) -> None:
        """Fail this attempt with ``error`` (an ``ApplicationError`` says whether to retry).

        Raises:
            RPCError: The server does not know the activity (NOT_FOUND), among others.
        """
        failure = self._client.data_converter.to_failure(error)
        details = self._payloads(last_heartbeat_details) if last_heartbeat_details else None
        ref = self.id_or_token
        if isinstance(ref, bytes):
            await self._call(
                "RespondActivityTaskFailed",
                rr.RespondActivityTaskFailedRequest(
                    task_token=ref,
                    failure=failure,
                    identity=self._client.identity,
                    namespace=self._ns,
                    last_heartbeat_details=details,
                ),
            )
        else:
            await self._call(
                "RespondActivityTaskFailedById",
                rr.RespondActivityTaskFailedByIdRequest(
                    **self._ids(ref), failure=failure, last_heartbeat_details=details
                ),
            )

    async def report_cancellation(self, *details: Any) -> None:
        """Tell the server the activity accepted its cancellation.

        Raises:
            RPCError: The server does not know the activity (NOT_FOUND), among others.
        """
        payloads = self._payloads(details) if details else None
        ref = self.id_or_token
        if isinstance(ref, bytes):
            await self._call(
                "RespondActivityTaskCanceled",
                rr.RespondActivityTaskCanceledRequest(
                    task_token=ref, details=payloads, identity=self._client.identity, namespace=self._ns
                ),
            )
        else:
            await self._call(
                "RespondActivityTaskCanceledById",
                rr.RespondActivityTaskCanceledByIdRequest(**self._ids(ref), details=payloads),
            )

    @property
    def _ns(self) -> str:
        return self._client.namespace

    def _ids(self, ref: AsyncActivityIDReference) -> dict[str, Any]:
        return {
            "namespace": self._ns,
            "workflow_id": ref.workflow_id,
            "run_id": ref.run_id or "",
            "activity_id": ref.activity_id,
            "identity": self._client.identity,
        }

    def _payloads(self, values: Sequence[Any]) -> Payloads:
        return Payloads(payloads=self._client.data_converter.to_payloads(values))

    async def _call(self, method: str, request: Any) -> Any:
        conn = self._client._conn
        try:
            # Through the client's payload codec, as the worker's own answers go.
            return await conn.call(
                getattr(conn.service, method), request, codec=self._client.data_converter.payload_codec
            )
        except WorkflowNotFoundError as err:
            # The activity (not a workflow) is what the server does not know.
            raise RPCError(err.status_code, f"{method}: {err.message}") from None


def reference(
    task_token: bytes | None, workflow_id: str | None, run_id: str | None, activity_id: str | None
) -> AsyncActivityIDReference | bytes:
    """What ``get_async_activity_handle`` was given: a token, or the IDs, never both.

    Raises:
        ValueError: Neither or both, or IDs without the workflow ID or the activity ID.
    """
    ids_given = any(v is not None for v in (workflow_id, run_id, activity_id))
    if task_token is not None:
        if ids_given:
            raise ValueError("give either task_token or workflow_id/run_id/activity_id, not both")
        if not task_token:
            raise ValueError("task_token must not be empty")
        return task_token
    if not workflow_id or not activity_id:
        raise ValueError("give task_token, or workflow_id and activity_id (and optionally run_id)")
    return AsyncActivityIDReference(workflow_id, run_id, activity_id)
