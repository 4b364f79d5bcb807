"""UpdateWorkflowExecutionOptions and PollWorkflowExecutionTimeSkipping (rules: core.execution_options,
core.time_skipping)."""

from __future__ import annotations

import asyncio

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1

from devserver.core import execution_options, time_skipping
from devserver.engine import Engine
from devserver.errors import Unimplemented


class OptionsOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def update_options(
        self, request: wsv1.UpdateWorkflowExecutionOptionsRequest
    ) -> wsv1.UpdateWorkflowExecutionOptionsResponse:
        engine = self.engine
        paths = execution_options.check_mask(request.update_mask)
        state = engine.run_for_execution(request.namespace, request.workflow_execution)
        options = request.workflow_execution_options
        if "versioning_override" in paths and options.HasField("versioning_override"):
            execution_options.check_pinned(options.versioning_override, state.task_queue)
        if "time_skipping_config" in paths:
            time_skipping.check_config(options.time_skipping_config, engine.config.time_skipping_enabled)
        result = await engine.change(
            state,
            lambda run, ch: execution_options.update_options(
                run, ch, options, paths, request.identity, engine.config.max_skips_per_session
            ),
        )
        return wsv1.UpdateWorkflowExecutionOptionsResponse(workflow_execution_options=result)

    async def poll_time_skipping(
        self, request: wsv1.PollWorkflowExecutionTimeSkippingRequest, timeout: float
    ) -> wsv1.PollWorkflowExecutionTimeSkippingResponse:
        """Wait until the named fast-forward completes or can no longer complete, or `timeout`."""
        engine = self.engine
        if not engine.config.time_skipping_enabled:
            raise Unimplemented(time_skipping.NOT_ENABLED)
        execution = request.workflow_execution
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            # Without a run id: the workflow's current run, whichever it is by now.
            state = engine.run(request.namespace, execution.workflow_id, execution.run_id)
            outcome = time_skipping.poll_outcome(state, request.fast_forward_id)
            remaining = deadline - loop.time()
            if outcome is not None or remaining <= 0:
                response = wsv1.PollWorkflowExecutionTimeSkippingResponse(
                    fast_forward_polling_result=outcome[0]
                    if outcome is not None
                    else time_skipping.PollResult.FAST_FORWARD_POLLING_RESULT_POLL_TIMEOUT,  # type: ignore[arg-type]
                    failed_reason=outcome[1] if outcome is not None else "",
                )
                info = time_skipping.fast_forward_info(state)
                if info is not None:
                    response.fast_forward_info.CopyFrom(info)
                return response
            await engine.wait_for_history(state.key, remaining)
