"""UpdateWorkflowExecution and PollWorkflowExecutionUpdate: admit an update, wait for its stage."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.api.enums.v1 import update_pb2 as update_enums
from temporalio.api.update.v1 import message_pb2 as update_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.core import updates
from devserver.core.changes import Changes
from devserver.core.mutable_state import UPDATE_ACCEPTED, UPDATE_COMPLETED, EventType, MutableState, UpdateInfo
from devserver.engine import Engine, check_blob_size
from devserver.errors import InvalidArgument, NotFound, PermissionDenied, WorkflowClosed

Stage = update_enums.UpdateWorkflowExecutionLifecycleStage


# The longest an UpdateWorkflowExecution call is held before it answers with the stage
# reached so far (the real server's 20 s, or the long-poll timeout if shorter; the client
# asks again).
MAX_UPDATE_WAIT = 20.0


class UpdateOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def update(
        self, request: wsv1.UpdateWorkflowExecutionRequest, timeout: float
    ) -> wsv1.UpdateWorkflowExecutionResponse:
        engine = self.engine
        engine.namespaces.get(request.namespace)
        if not request.request.HasField("meta"):
            raise InvalidArgument("Update meta is not set on request.")
        if not request.request.input.name:
            raise InvalidArgument("Update name is not set on request.")
        if request.wait_policy.lifecycle_stage == Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED:
            raise PermissionDenied(
                "UpdateWorkflowExecution issued asynchronously and waiting on update admitted is not supported."
            )
        check_blob_size(request.request.input)
        state = engine.run_for_execution(request.namespace, request.workflow_execution)
        if request.first_execution_run_id and request.first_execution_run_id != state.first_execution_run_id:
            raise NotFound("workflow execution not found")
        update_request = update_pb.Request()
        update_request.CopyFrom(request.request)
        if not update_request.meta.update_id:
            update_request.meta.update_id = str(uuid.uuid4())
        ch = Changes(engine.clock.now())
        try:
            update = updates.admit(state, ch, update_request)
        except WorkflowClosed:
            raise NotFound("workflow execution already completed") from None
        await engine.commit(state, ch)
        wanted = request.wait_policy.lifecycle_stage or Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
        stage, outcome = await self._wait(state, update.update_id, wanted, timeout)
        response = wsv1.UpdateWorkflowExecutionResponse(stage=stage, outcome=outcome)  # type: ignore[arg-type]
        response.update_ref.workflow_execution.workflow_id = state.key.workflow_id
        response.update_ref.workflow_execution.run_id = state.key.run_id
        response.update_ref.update_id = update.update_id
        _link(response, state)
        return response

    async def poll(
        self, request: wsv1.PollWorkflowExecutionUpdateRequest, timeout: float
    ) -> wsv1.PollWorkflowExecutionUpdateResponse:
        engine = self.engine
        engine.namespaces.get(request.namespace)
        ref = request.update_ref
        if not ref.update_id:
            raise InvalidArgument("UpdateId is not set on request.")
        state = engine.run_for_execution(request.namespace, ref.workflow_execution)
        if self._find(state, ref.update_id) is None:
            raise NotFound(f'update "{ref.update_id}" not found')
        wanted = request.wait_policy.lifecycle_stage
        stage, outcome = await self._wait(state, ref.update_id, wanted, timeout if wanted else 0.0)
        response = wsv1.PollWorkflowExecutionUpdateResponse(stage=stage, outcome=outcome)  # type: ignore[arg-type]
        response.update_ref.workflow_execution.workflow_id = state.key.workflow_id
        response.update_ref.workflow_execution.run_id = state.key.run_id
        response.update_ref.update_id = ref.update_id
        return response

    async def update_with_start(
        self, request: wsv1.ExecuteMultiOperationRequest, timeout: float
    ) -> wsv1.ExecuteMultiOperationResponse:
        """ExecuteMultiOperation as the SDKs use it: start a workflow (or find it), then update it."""
        operations = list(request.operations)
        kinds = [op.WhichOneof("operation") for op in operations]
        if kinds != ["start_workflow", "update_workflow"]:
            raise InvalidArgument("Operations have to be exactly [Start, Update].")
        start = operations[0].start_workflow
        update = operations[1].update_workflow
        if start.namespace != request.namespace or update.namespace != request.namespace:
            raise InvalidArgument("Operation namespace mismatch with request namespace.")
        if update.workflow_execution.workflow_id != start.workflow_id:
            raise InvalidArgument("WorkflowId mismatch between start and update operations.")
        if update.workflow_execution.run_id or update.first_execution_run_id:
            raise InvalidArgument("RunId is not allowed on the update operation.")
        if not start.workflow_id_conflict_policy:
            raise InvalidArgument("WorkflowIdConflictPolicy must be set for update-with-start.")
        state, started = await self.engine.start_workflow(start)
        response = wsv1.ExecuteMultiOperationResponse()
        response.responses.add().start_workflow.CopyFrom(
            wsv1.StartWorkflowExecutionResponse(run_id=state.key.run_id, started=started, status=state.status)  # type: ignore[arg-type]
        )
        routed = wsv1.UpdateWorkflowExecutionRequest()
        routed.CopyFrom(update)
        routed.workflow_execution.run_id = state.key.run_id
        response.responses.add().update_workflow.CopyFrom(await self.update(routed, timeout))
        return response

    def _find(self, state: MutableState, update_id: str) -> UpdateInfo | None:
        return state.updates.get(update_id) or self.engine.unrecorded_updates.get((state.key, update_id))

    async def _wait(
        self, state: MutableState, update_id: str, wanted: int, timeout: float
    ) -> tuple[int, update_pb.Outcome | None]:
        """The update's stage once it reaches `wanted`, or the stage it has when time runs out.

        `timeout` is the caller's own deadline: if it comes before the server's maximum wait,
        the call is simply held until gRPC cancels it (the caller sees DEADLINE_EXCEEDED),
        as on the real server; otherwise the stage so far is answered after the maximum wait.
        """
        wanted = wanted or Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
        loop = asyncio.get_running_loop()
        longest = min(MAX_UPDATE_WAIT, self.engine.config.long_poll_timeout)
        if timeout <= 0:
            hold = 0.0  # a non-blocking poll
        elif timeout < longest:
            hold = timeout + 1.0  # gRPC cancels the call at the caller's deadline first
        else:
            hold = longest
        deadline = loop.time() + hold
        while True:
            update = self._find(state, update_id)
            if update is None:
                raise NotFound(f'update "{update_id}" not found')
            if update.aborted:
                raise NotFound("workflow update was aborted by closing workflow")
            if update.stage >= wanted:
                outcome = update.outcome if update.stage == UPDATE_COMPLETED else None
                return update.stage, outcome
            remaining = deadline - loop.time()
            if remaining <= 0 or self.engine.closing:
                return update.stage, None
            await self.engine.update_changed(state.key, update_id, remaining)


def _link(response: wsv1.UpdateWorkflowExecutionResponse, state: MutableState) -> None:
    """Where the update shows in the run: its Accepted event, or the run itself if it was rejected."""
    key = state.key
    if response.stage == UPDATE_COMPLETED and response.update_ref.update_id not in state.updates:
        workflow = response.link.workflow
        workflow.namespace, workflow.workflow_id, workflow.run_id = key.namespace, key.workflow_id, key.run_id
        workflow.reason = "Update rejected"
    elif response.stage >= UPDATE_ACCEPTED:
        event = response.link.workflow_event
        event.namespace, event.workflow_id, event.run_id = key.namespace, key.workflow_id, key.run_id
        event.request_id_ref.event_type = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
