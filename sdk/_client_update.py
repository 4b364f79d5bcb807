"""Workflow updates from the client: send one, wait for the stage asked for, read its outcome.

:meth:`WorkflowHandle.execute_update` and :meth:`WorkflowHandle.start_update` use this;
import :class:`WorkflowUpdateHandle` and :class:`WorkflowUpdateStage` from ``sdk.client``.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import grpc
from temporalio.api.common.v1 import WorkflowExecution as ExecutionProto
from temporalio.api.update.v1 import Input, Meta, Outcome, Request, UpdateRef, WaitPolicy
from temporalio.api.workflowservice.v1 import (
    PollWorkflowExecutionUpdateRequest,
    UpdateWorkflowExecutionRequest,
)

from sdk.exceptions import RPCError, WorkflowUpdateFailedError

if TYPE_CHECKING:
    from sdk.client import Client

# Servers hold an update call for about a minute at most; stay above that, and ask again.
_UPDATE_CALL_TIMEOUT = 75.0


class WorkflowUpdateStage(enum.IntEnum):
    """How far an update has got (the server's UpdateWorkflowExecutionLifecycleStage)."""

    ADMITTED = 1
    """The server has it; no worker has seen it yet."""
    ACCEPTED = 2
    """The workflow's validator (if any) took it; the handler is running."""
    COMPLETED = 3
    """The handler returned or raised, or the validator refused it."""


class WorkflowUpdateHandle:
    """An update that was accepted (or already completed); :meth:`result` waits for its outcome."""

    def __init__(
        self,
        client: Client,
        id: str,
        workflow_id: str,
        *,
        workflow_run_id: str = "",
        result_type: Any = None,
        outcome: Outcome | None = None,
    ) -> None:
        """Create a handle; :meth:`WorkflowHandle.start_update` returns one."""
        self.client = client
        self.id = id
        self.workflow_id = workflow_id
        self.workflow_run_id = workflow_run_id
        self._result_type = result_type
        self._outcome = outcome

    def _execution(self) -> ExecutionProto:
        return ExecutionProto(workflow_id=self.workflow_id, run_id=self.workflow_run_id)

    async def result(self) -> Any:
        """Wait until the update completes; its handler's return value.

        Raises:
            WorkflowUpdateFailedError: The handler raised, the validator refused the update,
                or the workflow closed before the update completed; ``.cause`` says which.
            WorkflowNotFoundError: No such workflow, or no such update.
        """
        while self._outcome is None:
            conn = self.client._conn
            try:
                response = await conn.call(
                    conn.service.PollWorkflowExecutionUpdate,
                    PollWorkflowExecutionUpdateRequest(
                        namespace=self.client.namespace,
                        update_ref=UpdateRef(workflow_execution=self._execution(), update_id=self.id),
                        identity=self.client.identity,
                        wait_policy=WaitPolicy(lifecycle_stage=WorkflowUpdateStage.COMPLETED),  # type: ignore[arg-type]
                    ),
                    timeout=_UPDATE_CALL_TIMEOUT,
                    workflow_id=self.workflow_id,
                    codec=self.client.data_converter.payload_codec,
                )
            except RPCError as err:
                if err.status_code != grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise
                continue  # held past our deadline: ask again
            if response.HasField("outcome"):
                self._outcome = response.outcome
        return decode_outcome(self.client, self._outcome, self._result_type)


def decode_outcome(client: Client, outcome: Outcome, result_type: Any) -> Any:
    if outcome.HasField("failure"):
        raise WorkflowUpdateFailedError(client.data_converter.from_failure(outcome.failure))
    if not outcome.success.payloads:
        return None
    return client.data_converter.from_payload(outcome.success.payloads[0], result_type)


async def send_update(
    client: Client,
    execution: ExecutionProto,
    name: str,
    args: list[Any],
    update_id: str,
    stage: WorkflowUpdateStage,
    result_type: Any,
) -> WorkflowUpdateHandle:
    """Send the update and wait until it reaches `stage` (asking again while the server holds it)."""
    conn = client._conn
    request = UpdateWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=execution,
        wait_policy=WaitPolicy(lifecycle_stage=int(stage)),  # type: ignore[arg-type]
        request=Request(
            meta=Meta(update_id=update_id, identity=client.identity),
            input=Input(name=name, args=client._payloads(args)),
        ),
    )
    while True:
        try:
            response = await conn.call(
                conn.service.UpdateWorkflowExecution,
                request,
                timeout=_UPDATE_CALL_TIMEOUT,
                workflow_id=execution.workflow_id,
                codec=client.data_converter.payload_codec,
            )
        except RPCError as err:
            if err.status_code != grpc.StatusCode.DEADLINE_EXCEEDED:
                raise
            continue  # the same update id again: the server knows it
        if response.stage >= stage or response.HasField("outcome"):
            return WorkflowUpdateHandle(
                client,
                update_id,
                execution.workflow_id,
                workflow_run_id=response.update_ref.workflow_execution.run_id,
                result_type=result_type,
                outcome=response.outcome if response.HasField("outcome") else None,
            )
