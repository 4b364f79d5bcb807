"""PauseActivity, UnpauseActivity, ResetActivity and UpdateActivityOptions: operators steering
a workflow's activities. The rules are in `devserver.core.activity_control`."""

from __future__ import annotations

from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import activity_control
from devserver.core.ids import random_uuid
from devserver.core.mutable_state import MutableState
from devserver.core.protos import seconds_of
from devserver.engine import Engine
from devserver.errors import InvalidArgument, Unimplemented


class ActivityOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _target(self, request: Any) -> tuple[MutableState, str, str]:
        """The run a request names, and the activity id or type it names (the real server's checks)."""
        if not request.execution.workflow_id:
            raise InvalidArgument("WorkflowId is not set on request.")
        which = request.WhichOneof("activity")
        if which is None:
            raise InvalidArgument("Either Activity.Id or Activity.Type should be set on request.")
        state = self.engine.run_for_execution(request.namespace, request.execution)
        return state, request.id if which == "id" else "", request.type if which == "type" else ""

    def _scheduled(self, state: MutableState) -> Any:
        """Reads an activity's ActivityTaskScheduled attributes (its original options)."""

        def read(scheduled_event_id: int) -> history.ActivityTaskScheduledEventAttributes:
            events = self.engine.store.read(state.key, scheduled_event_id, scheduled_event_id)
            if not events or not events[0].HasField("activity_task_scheduled_event_attributes"):
                raise InvalidArgument("ActivityTaskScheduledEvent not found")
            return events[0].activity_task_scheduled_event_attributes

        return read

    async def pause(self, request: wsv1.PauseActivityRequest) -> None:
        state, activity_id, activity_type = self._target(request)
        await self.engine.change(
            state,
            lambda run, ch: activity_control.pause(
                run, ch, activity_id, activity_type, request.identity, request.reason, request.request_id
            ),
        )

    async def unpause(self, request: wsv1.UnpauseActivityRequest) -> None:
        state, activity_id, activity_type = self._target(request)
        delay = _jitter(request)
        await self.engine.change(
            state,
            lambda run, ch: activity_control.unpause(
                run,
                ch,
                activity_id,
                activity_type,
                request.unpause_all,
                request.reset_attempts,
                request.reset_heartbeat,
                delay,
            ),
        )

    async def reset(self, request: wsv1.ResetActivityRequest) -> None:
        state, activity_id, activity_type = self._target(request)
        original = self._scheduled(state) if request.restore_original_options else None
        delay = _jitter(request)
        await self.engine.change(
            state,
            lambda run, ch: activity_control.reset(
                run,
                ch,
                activity_id,
                activity_type,
                request.match_all,
                request.reset_heartbeat,
                request.keep_paused,
                original,
                delay,
            ),
        )

    async def update_options(self, request: wsv1.UpdateActivityOptionsRequest) -> wsv1.UpdateActivityOptionsResponse:
        paths = list(request.update_mask.paths) if request.HasField("update_mask") else None
        if request.restore_original and paths:
            raise InvalidArgument("Both UpdateMask and RestoreOriginal are provided")
        state, activity_id, activity_type = self._target(request)
        wanted = request.activity_options if request.HasField("activity_options") else None
        original = self._scheduled(state) if request.restore_original else None
        options = await self.engine.change(
            state,
            lambda run, ch: activity_control.update_options(
                run, ch, activity_id, activity_type, request.match_all, wanted, paths, original
            ),
        )
        return wsv1.UpdateActivityOptionsResponse(activity_options=options)

    # ---- the *ActivityExecution forms (what the `temporal activity` commands send) ---------------
    # With a workflow id they act on that workflow's activity, as the forms above do.

    async def pause_execution(self, request: wsv1.PauseActivityExecutionRequest) -> None:
        _check_execution_form(request)
        await self.pause(
            wsv1.PauseActivityRequest(
                namespace=request.namespace,
                execution=_execution(request),
                id=request.activity_id,
                identity=request.identity,
                reason=request.reason,
                request_id=request.request_id or random_uuid(),
            )
        )

    async def unpause_execution(self, request: wsv1.UnpauseActivityExecutionRequest) -> None:
        _check_execution_form(request)
        await self.unpause(
            wsv1.UnpauseActivityRequest(
                namespace=request.namespace,
                execution=_execution(request),
                id=request.activity_id,
                identity=request.identity,
                jitter=request.jitter,
            )
        )

    async def reset_execution(self, request: wsv1.ResetActivityExecutionRequest) -> None:
        _check_execution_form(request)
        await self.reset(
            wsv1.ResetActivityRequest(
                namespace=request.namespace,
                execution=_execution(request),
                id=request.activity_id,
                identity=request.identity,
                reset_heartbeat=request.reset_heartbeat,
                keep_paused=request.keep_paused,
                jitter=request.jitter,
                restore_original_options=request.restore_original_options,
            )
        )

    async def update_options_execution(
        self, request: wsv1.UpdateActivityExecutionOptionsRequest
    ) -> wsv1.UpdateActivityExecutionOptionsResponse:
        _check_execution_form(request)
        forwarded = wsv1.UpdateActivityOptionsRequest(
            namespace=request.namespace,
            execution=_execution(request),
            id=request.activity_id,
            identity=request.identity,
            restore_original=request.restore_original,
        )
        if request.HasField("activity_options"):
            forwarded.activity_options.CopyFrom(request.activity_options)
        if request.HasField("update_mask"):
            forwarded.update_mask.CopyFrom(request.update_mask)
        answer = await self.update_options(forwarded)
        return wsv1.UpdateActivityExecutionOptionsResponse(activity_options=answer.activity_options)


def _check_execution_form(request: Any) -> None:
    if not request.workflow_id:
        raise Unimplemented("standalone activities are not supported by the tempo dev server yet")
    if not request.activity_id:
        raise InvalidArgument("activity ID is required")


def _execution(request: Any) -> common.WorkflowExecution:
    return common.WorkflowExecution(workflow_id=request.workflow_id, run_id=request.run_id)


def _jitter(request: Any) -> float:
    """A random delay within the request's jitter, if it has one."""
    jitter = seconds_of(request.jitter)
    if jitter <= 0:
        return 0.0
    import random  # only for a jitter: `random` is a millisecond of the server's start

    return random.uniform(0, jitter)
