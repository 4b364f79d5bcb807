"""Worker interceptors, in the official SDK's shape: wrap activities and workflows as they run.

An :class:`Interceptor` given to ``Worker(interceptors=[...])`` (or to the client the worker
is given, if it is an ``sdk.client.Interceptor`` too) wraps

- each activity attempt: ``intercept_activity(next)`` returns an
  :class:`ActivityInboundInterceptor` around ``execute_activity``; its ``init(outbound)``
  may wrap the :class:`ActivityOutboundInterceptor` that ``activity.info()`` and
  ``activity.heartbeat()`` go through;
- each workflow run: ``workflow_interceptor_class(input)`` returns a
  :class:`WorkflowInboundInterceptor` *class*, created once per run with the next
  interceptor (``execute_workflow``, ``handle_signal``, ``handle_query``,
  ``handle_update_validator``, ``handle_update_handler``); its ``init(outbound)`` may wrap
  the :class:`WorkflowOutboundInterceptor` that workflow code's calls go through
  (``start_activity``, ``start_local_activity``, ``start_child_workflow``,
  ``signal_child_workflow``, ``signal_external_workflow``, ``continue_as_new``, ``info``).

Workflow interceptors run inside the workflow, so they must be deterministic like workflow
code. ``headers`` travel in the commands' and requests' ``Header``: what a client or a
workflow sets reaches the worker (ours or an official SDK's) that runs the workflow,
activity or child. Re-exported by :mod:`sdk.worker`; import from there.

Where the official SDK spreads a step's options over many fields, ``options`` holds them
here (a frozen dataclass: change it with ``dataclasses.replace``).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from temporalio.api.common.v1 import Payload

if TYPE_CHECKING:
    from sdk._workflow_children import ChildWorkflowHandle
    from sdk._workflow_context import Info as WorkflowInfo
    from sdk._workflow_local_activities import LocalActivityOptions
    from sdk._workflow_options import ActivityOptions, ChildWorkflowOptions
    from sdk.activity import Info as ActivityInfo


class Interceptor:
    """Intercepts a worker's activities and workflows; override what you need.

    A class that is also an ``sdk.client.Interceptor``, given to ``Client.connect``, applies
    to the workers that client is given to, as in the official SDK.
    """

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap each activity attempt (the default returns ``next``: nothing is intercepted)."""
        return next

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        """The class wrapping each workflow run (created with the next interceptor), or None."""
        return None


@dataclass
class WorkflowInterceptorClassInput:
    """What :meth:`Interceptor.workflow_interceptor_class` is given.

    Attributes:
        unsafe_extern_functions: Functions workflow interceptors may call from inside the
            workflow (kept for the official SDK's shape: this SDK has no sandbox, so
            interceptors may as well close over what they need).
    """

    unsafe_extern_functions: MutableMapping[str, Callable[..., Any]] = field(default_factory=dict)


# --- activities ---------------------------------------------------------------------------------


@dataclass
class ExecuteActivityInput:
    """An activity attempt: the function, its decoded arguments and the headers it came with."""

    fn: Callable[..., Any]
    args: Sequence[Any]
    executor: concurrent.futures.Executor | None
    headers: Mapping[str, Payload]


class ActivityInboundInterceptor:
    """One link around each activity attempt; each method hands on to ``self.next``."""

    def __init__(self, next: ActivityInboundInterceptor) -> None:
        self.next = next

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        """Called once before :meth:`execute_activity`; wrap ``outbound`` to intercept it."""
        self.next.init(outbound)

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        return await self.next.execute_activity(input)


class ActivityOutboundInterceptor:
    """What a running activity calls: ``activity.info()`` and ``activity.heartbeat()``."""

    def __init__(self, next: ActivityOutboundInterceptor) -> None:
        self.next = next

    def info(self) -> ActivityInfo:
        return self.next.info()

    def heartbeat(self, *details: Any) -> None:
        self.next.heartbeat(*details)


# --- workflows: what comes in ---------------------------------------------------------------------


@dataclass
class ExecuteWorkflowInput:
    """A run starting: ``run_fn`` is the class's run function, called with the object first."""

    type: type
    run_fn: Callable[..., Awaitable[Any]]
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class HandleSignalInput:
    signal: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class HandleQueryInput:
    id: str
    query: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class HandleUpdateInput:
    id: str
    update: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


class WorkflowInboundInterceptor:
    """One link around what reaches a workflow run; each method hands on to ``self.next``.

    Queries run to their end without waiting: a ``handle_query`` that awaits something
    that does not finish at once fails the query.
    """

    def __init__(self, next: WorkflowInboundInterceptor) -> None:
        self.next = next

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        """Called once before the run starts; wrap ``outbound`` to intercept workflow code's calls."""
        self.next.init(outbound)

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        return await self.next.execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        await self.next.handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        return await self.next.handle_query(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        self.next.handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        return await self.next.handle_update_handler(input)


# --- workflows: what goes out ---------------------------------------------------------------------


@dataclass
class StartActivityInput:
    activity: str
    args: Sequence[Any]
    options: ActivityOptions
    headers: Mapping[str, Payload]
    ret_type: Any


@dataclass
class StartLocalActivityInput:
    activity: str
    args: Sequence[Any]
    options: LocalActivityOptions
    headers: Mapping[str, Payload]
    ret_type: Any


@dataclass
class StartChildWorkflowInput:
    workflow: str
    args: Sequence[Any]
    options: ChildWorkflowOptions
    headers: Mapping[str, Payload]
    ret_type: Any

    @property
    def id(self) -> str:
        return self.options.id


@dataclass
class SignalChildWorkflowInput:
    signal: str
    args: Sequence[Any]
    child_workflow_id: str
    headers: Mapping[str, Payload]


@dataclass
class SignalExternalWorkflowInput:
    signal: str
    args: Sequence[Any]
    namespace: str
    workflow_id: str
    workflow_run_id: str | None
    headers: Mapping[str, Payload]


@dataclass
class ContinueAsNewInput:
    workflow: str | None
    args: Sequence[Any]
    task_queue: str | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    headers: Mapping[str, Payload]


class WorkflowOutboundInterceptor:
    """One link around what workflow code calls; each method hands on to ``self.next``."""

    def __init__(self, next: WorkflowOutboundInterceptor) -> None:
        self.next = next

    def info(self) -> WorkflowInfo:
        return self.next.info()

    def start_activity(self, input: StartActivityInput) -> Awaitable[Any]:
        return self.next.start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> Awaitable[Any]:
        return self.next.start_local_activity(input)

    async def start_child_workflow(self, input: StartChildWorkflowInput) -> ChildWorkflowHandle:
        return await self.next.start_child_workflow(input)

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        await self.next.signal_child_workflow(input)

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        await self.next.signal_external_workflow(input)

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        self.next.continue_as_new(input)
