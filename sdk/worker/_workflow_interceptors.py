"""The innermost links of a workflow run's interceptor chains, and the chains themselves.

Inbound, :class:`RunWorkflow` calls the workflow object's run method and handlers; outbound,
:class:`WorkflowCalls` turns workflow code's calls into the instance's steps (and their
commands, headers included). With no interceptors the chains are just these two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from sdk._workflow_children import ChildWorkflowHandle
from sdk._workflow_context import Info
from sdk.worker._interceptor import (
    ContinueAsNewInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)
from sdk.workflow import ContinueAsNewError

if TYPE_CHECKING:
    from sdk.worker._workflow_instance import WorkflowInstance


class RunWorkflow(WorkflowInboundInterceptor):
    """Calls the workflow object: its run method, and the handler each name is registered to."""

    def __init__(self, instance: WorkflowInstance) -> None:
        super().__init__(self)
        self._instance = instance

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        self._instance._outbound = outbound

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        return await input.run_fn(self._instance._object, *input.args)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        definition = self._instance._definition
        handler = definition.signals.get(input.signal) or definition.dynamic_signal
        if handler is None:
            raise RuntimeError(f"workflow {definition.name!r} has no handler for signal {input.signal!r}")
        result = handler.fn(self._instance._object, *input.args)
        if handler.is_async:
            await result

    async def handle_query(self, input: HandleQueryInput) -> Any:
        definition = self._instance._definition
        handler = definition.queries.get(input.query) or definition.dynamic_query
        if handler is None:
            raise RuntimeError(f"workflow {definition.name!r} has no query handler {input.query!r}")
        return handler.fn(self._instance._object, *input.args)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        handler = self._update(input.update)
        if handler.validator is not None:
            handler.validator(self._instance._object, *input.args)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        handler = self._update(input.update)
        result = handler.fn(self._instance._object, *input.args)
        if handler.is_async:
            result = await result
        return result

    def _update(self, name: str) -> Any:
        definition = self._instance._definition
        handler = definition.updates.get(name) or definition.dynamic_update
        if handler is None:
            raise RuntimeError(f"workflow {definition.name!r} has no update handler {name!r}")
        return handler


class WorkflowCalls(WorkflowOutboundInterceptor):
    """Turns workflow code's calls into the instance's steps."""

    def __init__(self, instance: WorkflowInstance) -> None:
        super().__init__(self)
        self._instance = instance

    def info(self) -> Info:
        return self._instance._current_info()

    def start_activity(self, input: StartActivityInput) -> Any:
        return self._instance._activity_steps.start(
            input.activity, input.args, input.options, input.ret_type, input.headers
        )

    def start_local_activity(self, input: StartLocalActivityInput) -> Any:
        return self._instance.local_activities.start(
            input.activity, input.args, input.options, input.ret_type, input.headers
        )

    async def start_child_workflow(self, input: StartChildWorkflowInput) -> ChildWorkflowHandle:
        return await self._instance._others.start_child(
            input.workflow, input.args, input.options, input.ret_type, input.headers
        )

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        await self._instance._others.signal(
            input.child_workflow_id, None, True, input.signal, input.args, input.headers
        )

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        await self._instance._others.signal(
            input.workflow_id, input.workflow_run_id, False, input.signal, input.args, input.headers
        )

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        raise ContinueAsNewError(
            input.args, input.workflow, input.task_queue, input.run_timeout, input.task_timeout, input.headers
        )


def chain(
    instance: WorkflowInstance, classes: Sequence[type[WorkflowInboundInterceptor]]
) -> WorkflowInboundInterceptor:
    """The run's inbound chain (the first class outermost), initialised with the outbound one."""
    inbound: WorkflowInboundInterceptor = RunWorkflow(instance)
    for cls in reversed(classes):
        inbound = cls(inbound)
    inbound.init(WorkflowCalls(instance))
    return inbound


def run_at_once(coro: Any) -> Any:
    """Run a coroutine that must not wait (a query's chain) to its end, and return its result.

    Raises:
        RuntimeError: The coroutine waited for something.
    """
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("a query handler (or a workflow interceptor's handle_query) cannot wait")


def workflow_interceptor_classes(interceptors: Sequence[Interceptor]) -> list[type[WorkflowInboundInterceptor]]:
    """The classes a worker's interceptors wrap each run in, asked once per worker."""
    asked = WorkflowInterceptorClassInput()
    classes = (interceptor.workflow_interceptor_class(asked) for interceptor in interceptors)
    return [cls for cls in classes if cls is not None]
