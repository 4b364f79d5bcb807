"""UpdateWorkflowExecution and PollWorkflowExecutionUpdate: admit an update, wait for its stage."""

from __future__ import annotations

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.enums.v1 import update_pb2 as update_enums
from temporalio.api.update.v1 import message_pb2 as update_pb

from devserver.core import updates
from devserver.core.ids import random_uuid
from devserver.core.mutable_state import UPDATE_ACCEPTED, UPDATE_COMPLETED, EventType, MutableState, UpdateInfo
from devserver.core.protos import seconds_of, with_value_names
from devserver.engine import Engine
from devserver.errors import (
    InvalidArgument,
    MultiOperationFailed,
    NotFound,
    OperationAborted,
    PermissionDenied,
    ServiceError,
    WorkflowClosed,
)
from devserver.run_ops import RunOps
from devserver.validation import check_blob_size, validate_start

Stage = with_value_names(update_enums.UpdateWorkflowExecutionLifecycleStage)


# The longest an UpdateWorkflowExecution call is held before it answers with the stage
# reached so far (the real server's 20 s, or the long-poll timeout if shorter; the client
# asks again).
MAX_UPDATE_WAIT = 20.0


class UpdateOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.run_ops = RunOps(engine)

    async def update(
        self, request: wsv1.UpdateWorkflowExecutionRequest, timeout: float
    ) -> wsv1.UpdateWorkflowExecutionResponse:
        self._check_update(request)
        state = self.engine.run_for_execution(request.namespace, request.workflow_execution)
        if request.first_execution_run_id and request.first_execution_run_id != state.first_execution_run_id:
            raise NotFound("workflow execution not found")
        return await self._admit_and_wait(state, request, timeout)

    def _check_update(self, request: wsv1.UpdateWorkflowExecutionRequest) -> None:
        if not request.request.HasField("meta"):
            raise InvalidArgument("Update meta is not set on request.")
        if not request.request.HasField("input"):
            raise InvalidArgument("Update input is not set on request.")
        if not request.request.input.name:
            raise InvalidArgument("Update name is not set on request.")
        if request.wait_policy.lifecycle_stage == Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED:
            raise PermissionDenied(
                "UpdateWorkflowExecution issued asynchronously and waiting on update admitted is not supported."
            )
        check_blob_size(request.request.input, limits=self.engine.config.limits)

    async def _admit_and_wait(
        self, state: MutableState, request: wsv1.UpdateWorkflowExecutionRequest, timeout: float
    ) -> wsv1.UpdateWorkflowExecutionResponse:
        engine = self.engine
        update_request = update_pb.Request()
        update_request.CopyFrom(request.request)
        if not update_request.meta.update_id:
            update_request.meta.update_id = random_uuid()
        try:
            update = await engine.change(state, lambda run, ch: updates.admit(run, ch, update_request))
        except WorkflowClosed:
            raise NotFound("workflow execution already completed") from None
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
        """ExecuteMultiOperation as the SDKs use it: update a workflow, starting it if need be.

        Errors come as the real server sends them: one status per operation, the operation
        that was not run marked aborted (`MultiOperationFailed`).
        """
        engine = self.engine
        operations = list(request.operations)
        if [op.WhichOneof("operation") for op in operations] != ["start_workflow", "update_workflow"]:
            raise InvalidArgument("Operations have to be exactly [Start, Update].")
        start = wsv1.StartWorkflowExecutionRequest()
        start.CopyFrom(operations[0].start_workflow)
        update = wsv1.UpdateWorkflowExecutionRequest()
        update.CopyFrom(operations[1].update_workflow)
        self._check_operations(request.namespace, start, update)
        update_id = update.request.meta.update_id or random_uuid()
        update.request.meta.update_id = update_id

        chain = engine.chains.get((request.namespace, start.workflow_id))
        current = chain.current if chain is not None else None
        plan = updates.with_start_plan(current, start.request_id, start.workflow_id_conflict_policy, update_id)
        if plan == updates.RETURN_OUTCOME:
            assert current is not None
            known = updates.find(current, update_id)
            assert known is not None
            return _multi_response(
                _start_response(current, started=False),
                _update_response(current, update_id, known.stage, known.outcome),
            )
        if plan == updates.ATTACH:
            assert current is not None
            try:
                updated = await self._admit_and_wait(current, update, timeout)
            except ServiceError as error:
                raise MultiOperationFailed([OperationAborted(), error]) from None
            return _multi_response(_start_response(current, started=False, link=True), updated)
        try:
            state, started = await self.run_ops.start_workflow(start)
        except ServiceError as error:
            raise MultiOperationFailed([error, OperationAborted()]) from None
        try:
            updated = await self._admit_and_wait(state, update, timeout)
        except ServiceError as error:
            raise MultiOperationFailed([None, error]) from None
        return _multi_response(_start_response(state, started=started, link=True), updated)

    def _check_operations(
        self, namespace: str, start: wsv1.StartWorkflowExecutionRequest, update: wsv1.UpdateWorkflowExecutionRequest
    ) -> None:
        """Each operation on its own, then that both name the same workflow (the real server's order)."""
        errors: list[ServiceError | None] = [None, None]
        try:
            if start.namespace and start.namespace != namespace:
                raise InvalidArgument("Operation namespace did not match request's namespace.")
            start.namespace = namespace
            if start.cron_schedule:
                raise InvalidArgument("CronSchedule is not allowed.")
            if start.request_eager_execution:
                raise InvalidArgument("RequestEagerExecution is not supported.")
            if seconds_of(start.workflow_start_delay) > 0:
                raise InvalidArgument("WorkflowStartDelay is not supported.")
            validate_start(start, self.engine.config.limits)
        except ServiceError as error:
            errors[0] = error
        try:
            if update.namespace and update.namespace != namespace:
                raise InvalidArgument("Operation namespace did not match request's namespace.")
            update.namespace = namespace
            self._check_update(update)
            if update.first_execution_run_id:
                raise InvalidArgument("FirstExecutionRunId is not allowed.")
            if update.workflow_execution.run_id:
                raise InvalidArgument("RunId is not allowed.")
            if errors[0] is None and update.workflow_execution.workflow_id != start.workflow_id:
                raise InvalidArgument("WorkflowId is not consistent with previous operation(s).")
        except ServiceError as error:
            errors[1] = error
        if any(errors):
            raise MultiOperationFailed([error or OperationAborted() for error in errors])

    def _find(self, state: MutableState, update_id: str) -> UpdateInfo | None:
        return updates.find(state, update_id) or self.engine.unrecorded_updates.get((state.key, update_id))

    async def _wait(
        self, state: MutableState, update_id: str, wanted: int, timeout: float
    ) -> tuple[int, update_pb.Outcome | None]:
        """The update's stage once it reaches `wanted`, or the stage it has when time runs out.

        `timeout` is the caller's own deadline: if it comes before the server's maximum wait,
        the call is simply held until gRPC cancels it (the caller sees DEADLINE_EXCEEDED),
        as on the real server; otherwise the stage so far is answered after the maximum wait.
        """
        if wanted not in (UPDATE_ACCEPTED, UPDATE_COMPLETED):
            # UNSPECIFIED, ADMITTED, and a stage the real server does not know: it answers
            # with the stage reached, at once.
            wanted = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
        loop = self.engine.loop
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
    if response.stage == UPDATE_COMPLETED and updates.find(state, response.update_ref.update_id) is None:
        workflow = response.link.workflow
        workflow.namespace, workflow.workflow_id, workflow.run_id = key.namespace, key.workflow_id, key.run_id
        workflow.reason = "Update rejected"
    elif response.stage >= UPDATE_ACCEPTED:
        event = response.link.workflow_event
        event.namespace, event.workflow_id, event.run_id = key.namespace, key.workflow_id, key.run_id
        event.request_id_ref.event_type = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED


def _start_response(state: MutableState, *, started: bool, link: bool = False) -> wsv1.StartWorkflowExecutionResponse:
    response = wsv1.StartWorkflowExecutionResponse(run_id=state.key.run_id, started=started, status=state.status)  # type: ignore[arg-type]
    if link:  # the run's started event
        event = response.link.workflow_event
        event.namespace, event.workflow_id, event.run_id = state.key.namespace, state.key.workflow_id, state.key.run_id
        event.event_ref.event_id = 1
        event.event_ref.event_type = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    return response


def _update_response(
    state: MutableState, update_id: str, stage: int, outcome: update_pb.Outcome | None
) -> wsv1.UpdateWorkflowExecutionResponse:
    response = wsv1.UpdateWorkflowExecutionResponse(stage=stage, outcome=outcome)  # type: ignore[arg-type]
    response.update_ref.workflow_execution.workflow_id = state.key.workflow_id
    response.update_ref.workflow_execution.run_id = state.key.run_id
    response.update_ref.update_id = update_id
    return response


def _multi_response(
    start: wsv1.StartWorkflowExecutionResponse, update: wsv1.UpdateWorkflowExecutionResponse
) -> wsv1.ExecuteMultiOperationResponse:
    response = wsv1.ExecuteMultiOperationResponse()
    response.responses.add().start_workflow.CopyFrom(start)
    response.responses.add().update_workflow.CopyFrom(update)
    return response
