"""Workflow updates from the client: send one, wait for the stage asked for, read its outcome;
update-with-start.

:meth:`WorkflowHandle.execute_update`, :meth:`WorkflowHandle.start_update` and the client's
``*_update_with_start_workflow`` use this; import :class:`WorkflowUpdateHandle`,
:class:`WorkflowUpdateStage` and :class:`WithStartWorkflowOperation` from ``sdk.client``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Unpack

from temporalio.api.common.v1 import Header
from temporalio.api.common.v1 import WorkflowExecution as ExecutionProto
from temporalio.api.update.v1 import Input, Meta, Outcome, Request, UpdateRef, WaitPolicy
from temporalio.api.workflowservice.v1.request_response_pb2 import (
    ExecuteMultiOperationRequest,
    PollWorkflowExecutionUpdateRequest,
    StartWorkflowExecutionRequest,
    UpdateWorkflowExecutionRequest,
)

from sdk._client_handle import result_type_of

# WorkflowUpdateStage lives with the plain types: a handle's defaults need it, this module
# (loaded with the first update) need not be loaded for them.
from sdk._client_types import WorkflowIdConflictPolicy, WorkflowUpdateStage
from sdk._options import StartWorkflowOptions, WithStartKeywords
from sdk._request_id import request_id
from sdk.exceptions import RPCError, WorkflowUpdateFailedError

if TYPE_CHECKING:
    from sdk._client_handle import WorkflowHandle
    from sdk.client import Client

# Servers hold an update call for about a minute at most; stay above that, and ask again.
_UPDATE_CALL_TIMEOUT = 75.0


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
        return decode_outcome(self.client, await self._wait_for_outcome(), self._result_type)

    async def _wait_for_outcome(self) -> Outcome:
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
                if err.status_code.name != "DEADLINE_EXCEEDED":
                    raise
                continue  # held past our deadline: ask again
            if response.HasField("outcome"):
                self._outcome = response.outcome
        return self._outcome


def decode_outcome(client: Client, outcome: Outcome, result_type: Any) -> Any:
    if outcome.HasField("failure"):
        raise WorkflowUpdateFailedError(client.data_converter.from_failure(outcome.failure))
    if not outcome.success.payloads:
        return None
    return client.data_converter.from_payload(outcome.success.payloads[0], result_type)


def _update_request(
    client: Client,
    execution: ExecutionProto,
    name: str,
    args: Sequence[Any],
    update_id: str,
    stage: int,
    header: Header | None = None,
) -> UpdateWorkflowExecutionRequest:
    return UpdateWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=execution,
        wait_policy=WaitPolicy(lifecycle_stage=stage),  # type: ignore[arg-type]
        request=Request(
            meta=Meta(update_id=update_id, identity=client.identity),
            input=Input(name=name, args=client._payloads(args), header=header),
        ),
    )


async def send_update(
    client: Client,
    execution: ExecutionProto,
    name: str,
    args: list[Any],
    update_id: str,
    stage: WorkflowUpdateStage,
    result_type: Any,
    header: Header | None = None,
) -> WorkflowUpdateHandle:
    """Send the update and wait until it reaches `stage` (asking again while the server holds it)."""
    conn = client._conn
    request = _update_request(client, execution, name, args, update_id, int(stage), header)
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
            if err.status_code.name != "DEADLINE_EXCEEDED":
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


class WithStartWorkflowOperation:
    """The workflow to start if need be, for :meth:`Client.execute_update_with_start_workflow`
    and :meth:`Client.start_update_with_start_workflow`, as in the official SDK.

    The update goes to the running workflow with ``id`` if ``id_conflict_policy`` says to
    use it (``USE_EXISTING``); otherwise (or if none runs) the workflow is started and gets
    the update in its first workflow task. Use an operation for one call only.

    Args:
        workflow: The workflow's run method or its type name.
        *args: Arguments of the workflow.
        id: Workflow ID.
        task_queue: Task queue of the workflow.
        id_conflict_policy: Required: what to do if the workflow is running already.
        args: The workflow's arguments as a list, instead of passing them positionally.
        Others: as for :meth:`Client.start_workflow`.

    Raises:
        ValueError: No ``id_conflict_policy``, or bad start options.
    """

    def __init__(
        self,
        workflow: Callable[..., Any] | str,
        *workflow_args: Any,
        id: str,
        task_queue: str,
        id_conflict_policy: WorkflowIdConflictPolicy,
        args: Sequence[Any] | None = None,
        **options: Unpack[WithStartKeywords],
    ) -> None:
        """Describe the start; nothing is sent until the update-with-start call."""
        if not id_conflict_policy:
            raise ValueError("update-with-start needs an id_conflict_policy (USE_EXISTING or FAIL)")
        if workflow_args and args is not None:
            raise ValueError("give the workflow's arguments positionally or as args=, not both")
        from sdk._client_handle import name_of

        self.workflow_type = name_of(workflow)
        self.result_type = result_type_of(workflow, None)
        self.args = list(args if args is not None else workflow_args)
        # One request id for every attempt of the call: a retry finds the run the first started.
        self.options = StartWorkflowOptions(
            id=id, task_queue=task_queue, id_conflict_policy=id_conflict_policy, request_id=request_id(), **options
        )
        self._used = False
        self._done = asyncio.Event()
        self._handle: WorkflowHandle | None = None
        self._error: BaseException | None = None

    @property
    def id(self) -> str:
        return self.options.id

    async def workflow_handle(self) -> WorkflowHandle:
        """The workflow's handle once the update-with-start call has started (or found) it.

        Raises:
            Whatever the call raised if it failed (``WorkflowAlreadyStartedError``, say).
        """
        await self._done.wait()
        if self._handle is None:
            raise self._error or RuntimeError("the update-with-start call did not start the workflow")
        return self._handle

    def _settle(self, handle: WorkflowHandle | None, error: BaseException | None) -> None:
        if not self._done.is_set():
            self._handle, self._error = handle, error
            self._done.set()


async def update_with_start(
    client: Client,
    operation: WithStartWorkflowOperation,
    name: str,
    args: Sequence[Any],
    update_id: str,
    stage: WorkflowUpdateStage,
    result_type: Any,
    *,
    start_header: Header | None = None,
    update_header: Header | None = None,
) -> WorkflowUpdateHandle:
    """ExecuteMultiOperation (start, then update) until the update is accepted; settles the
    operation's workflow handle either way."""
    from sdk._client_handle import WorkflowHandle

    if operation._used:
        raise ValueError("a WithStartWorkflowOperation can be used for one update-with-start call only")
    operation._used = True
    conn = client._conn
    start = StartWorkflowExecutionRequest(
        **client._start_fields(operation.workflow_type, operation.args, operation.options), header=start_header
    )
    update = _update_request(
        client, ExecutionProto(workflow_id=operation.id), name, args, update_id, int(stage), update_header
    )
    request = ExecuteMultiOperationRequest(
        namespace=client.namespace,
        operations=[
            ExecuteMultiOperationRequest.Operation(start_workflow=start),
            ExecuteMultiOperationRequest.Operation(update_workflow=update),
        ],
    )
    try:
        while True:
            try:
                response = await conn.call(
                    conn.service.ExecuteMultiOperation,
                    request,
                    timeout=_UPDATE_CALL_TIMEOUT,
                    workflow_id=operation.id,
                    codec=client.data_converter.payload_codec,
                )
            except RPCError as err:
                if err.status_code.name != "DEADLINE_EXCEEDED":
                    raise
                continue  # the same request and update ids again: the server knows both
            run_id = response.responses[0].start_workflow.run_id
            started = WorkflowHandle(client, operation.id, result_run_id=run_id, result_type=operation.result_type)
            operation._settle(started, None)
            answer = response.responses[1].update_workflow
            if answer.stage >= WorkflowUpdateStage.ACCEPTED or answer.HasField("outcome"):
                break
    except BaseException as err:
        operation._settle(None, err)
        raise
    handle = WorkflowUpdateHandle(
        client,
        update_id,
        operation.id,
        workflow_run_id=run_id,
        result_type=result_type,
        outcome=answer.outcome if answer.HasField("outcome") else None,
    )
    if stage == WorkflowUpdateStage.COMPLETED:
        await handle._wait_for_outcome()
    return handle
