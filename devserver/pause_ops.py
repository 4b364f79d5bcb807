"""PauseWorkflowExecution and UnpauseWorkflowExecution: the request checks the real server
makes, in its order, then one change through the door (rules: `devserver.core.pause`)."""

from __future__ import annotations

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1

from devserver.core import pause
from devserver.core.ids import is_uuid
from devserver.core.mutable_state import MutableState
from devserver.engine import Engine
from devserver.errors import InvalidArgument, Unimplemented

# The real server's limit on the reason, identity and request id (in characters).
MAX_FIELD_LENGTH = 1000

PauseRequest = wsv1.PauseWorkflowExecutionRequest | wsv1.UnpauseWorkflowExecutionRequest


class PauseOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _target(self, request: PauseRequest) -> MutableState:
        engine = self.engine  # the namespace is looked up before (grpc_service.look_up_namespace)
        if isinstance(request, wsv1.PauseWorkflowExecutionRequest) and not engine.config.workflow_pause_enabled:
            # Off unless `--dynamic-config-value frontend.WorkflowPauseEnabled=true`, as on the real dev
            # server; unpause is always allowed there (a run paused while it was on can be let go).
            raise Unimplemented(f"workflow pause is not enabled for namespace: {request.namespace}")
        for name, value in (("reason", request.reason), ("request id", request.request_id)):
            if len(value) > MAX_FIELD_LENGTH:
                raise InvalidArgument(f"{name} is too long.")
        if len(request.identity) > MAX_FIELD_LENGTH:
            raise InvalidArgument("identity is too long.")
        if not request.workflow_id:
            raise InvalidArgument("Can't load workflow execution.  WorkflowId not set.")
        if request.run_id and not is_uuid(request.run_id):
            raise InvalidArgument("RunId is not valid UUID.")
        return engine.run(request.namespace, request.workflow_id, request.run_id)

    async def pause(self, request: wsv1.PauseWorkflowExecutionRequest) -> None:
        state = self._target(request)
        await self.engine.change(
            state, lambda run, ch: pause.pause(run, ch, request.identity, request.reason, request.request_id)
        )

    async def unpause(self, request: wsv1.UnpauseWorkflowExecutionRequest) -> None:
        state = self._target(request)
        await self.engine.change(
            state, lambda run, ch: pause.unpause(run, ch, request.identity, request.reason, request.request_id)
        )
