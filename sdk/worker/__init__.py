"""Run workflows and activities.

:class:`Worker` polls a task queue; :class:`Replayer` replays saved histories.

How it fits together (the private modules, in the order a workflow task meets them):

- ``_workflow_worker``: long-polls the task queue and the worker's sticky queue,
  keeps an LRU cache of runs, fetches full histories on a cache miss, answers
  queries, and reports commands or a task failure.
- ``_history``: pure translation of history events into activations (one per
  workflow task) and the check that a replay reproduces the recorded commands.
- ``_workflow_instance``: one run as a deterministic asyncio event loop;
  ``activate(activation) -> commands`` is its only way in, under ``_determinism``'s
  checks (no clock, global random, uuid4 or blocking I/O from workflow code).
- ``_activity_worker``: polls activity tasks, runs the functions, heartbeats.
- ``_replayer``: the same translation and instance, fed from a saved history.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

import grpc
import temporalio.api.workflowservice.v1.request_response_pb2 as rr

from sdk import activity as _activity
from sdk._payload_codec import CodecService
from sdk._workflow_definitions import _Definition
from sdk.exceptions import RPCError
from sdk.worker._activity_worker import ActivityWorker
from sdk.worker._determinism import RestrictedWorkflowAccessError
from sdk.worker._eager_activities import EagerActivities
from sdk.worker._interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ContinueAsNewInput,
    ExecuteActivityInput,
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
from sdk.worker._replayer import Replayer, ReplayResult, ReplayResults
from sdk.worker._workflow_instance import WorkflowTaskError
from sdk.worker._workflow_kinds import with_worker_failure_types
from sdk.worker._workflow_worker import WorkflowWorker
from sdk.workflow import NondeterminismError

if TYPE_CHECKING:
    from sdk.client import Client

__all__ = [
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ContinueAsNewInput",
    "ExecuteActivityInput",
    "ExecuteWorkflowInput",
    "HandleQueryInput",
    "HandleSignalInput",
    "HandleUpdateInput",
    "Interceptor",
    "NondeterminismError",
    "ReplayResult",
    "ReplayResults",
    "Replayer",
    "RestrictedWorkflowAccessError",
    "SignalChildWorkflowInput",
    "SignalExternalWorkflowInput",
    "StartActivityInput",
    "StartChildWorkflowInput",
    "StartLocalActivityInput",
    "Worker",
    "WorkflowInboundInterceptor",
    "WorkflowInterceptorClassInput",
    "WorkflowOutboundInterceptor",
    "WorkflowTaskError",
]

logger = logging.getLogger("sdk.worker")

_SETTLE = 0.5
"""Seconds workflow polling continues after activities finished during shutdown."""
_STICKY_POLL_GRACE = 3.0
"""Seconds shutdown waits for the server to end the sticky polls after ShutdownWorker."""


class Worker:
    """Polls one task queue and runs the workflows and activities registered on it.

    Example:
        .. code-block:: python

            worker = Worker(client, task_queue="orders", workflows=[Order], activities=[charge])
            await worker.run()          # until worker.shutdown() or cancellation

            async with Worker(...):     # or: run in the background for a block
                ...
    """

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        workflows: Sequence[type] = (),
        activities: Sequence[Callable[..., Any]] = (),
        max_cached_workflows: int = 1000,
        max_concurrent_workflow_tasks: int = 100,
        max_concurrent_activities: int = 100,
        max_concurrent_workflow_task_polls: int = 5,
        nonsticky_to_sticky_poll_ratio: float = 0.2,
        max_concurrent_activity_task_polls: int = 5,
        activity_executor: concurrent.futures.Executor | None = None,
        graceful_shutdown_timeout: timedelta = timedelta(0),
        deadlock_timeout: timedelta | None = timedelta(seconds=2),
        sticky_queue_schedule_to_start_timeout: timedelta = timedelta(seconds=10),
        max_eager_activity_reservations_per_workflow_task: int = 3,
        disable_eager_activity_execution: bool = False,
        workflow_failure_exception_types: Sequence[type[BaseException]] = (),
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        """Create a worker; nothing is polled until :meth:`run`.

        Args:
            client: A connected ``sdk.Client``; its namespace, identity and data
                converter are used.
            task_queue: The task queue to poll.
            workflows: ``@workflow.defn`` classes to run.
            activities: ``@activity.defn`` functions to run.
            max_cached_workflows: Workflow runs kept in memory between tasks (LRU).
                0 disables the cache: every task replays the full history.
            max_concurrent_workflow_tasks: Workflow tasks handled at once.
            max_concurrent_activities: Activities run at once.
            max_concurrent_workflow_task_polls: Long polls for workflow tasks kept waiting
                at once (as in the official SDK, 5). A task that finds a poll waiting is
                handed over at once; one that does not is written to the server's database
                and read back, which costs a server that persists its tasks (the real dev
                server with ``--db-filename``) a write per task.
            nonsticky_to_sticky_poll_ratio: With a sticky queue (``max_cached_workflows``
                above 0), ``max_concurrent_workflow_task_polls`` times this, at least 1,
                of the polls are on ``task_queue`` and the others, at least 1, on this
                worker's sticky queue (by default 1 and 4, as in the official SDK).
            max_concurrent_activity_task_polls: Long polls for activity tasks kept waiting at
                once (as in the official SDK, 5); each takes one of the activity slots while
                it waits.
            activity_executor: Runs plain (non-``async``) activities; required when
                any are registered, as in the official SDK. A
                ``concurrent.futures.ThreadPoolExecutor`` lets the worker deliver a
                cancellation as an exception raised in the activity's thread. The
                worker does not shut it down.
            graceful_shutdown_timeout: On shutdown, how long running activities
                may take to finish before they are cancelled.
            deadlock_timeout: Fail a workflow task whose code does not yield for
                this long; None disables the check (e.g. for debugging).
            sticky_queue_schedule_to_start_timeout: If this worker does not pick up
                a task from its sticky queue within this time (it died, say), the
                server gives the task to any worker on ``task_queue``.
            max_eager_activity_reservations_per_workflow_task: At most this many of a
                workflow task's activities on ``task_queue`` are asked to start eagerly
                (the server starts them as it completes the workflow task and this worker
                runs them at once, without a poll), each in a free activity slot.
            disable_eager_activity_execution: Never ask for eager activities.
            workflow_failure_exception_types: Exceptions (and their subclasses) that fail
                the workflow when workflow code raises them, instead of failing the
                workflow task (which is retried until the code is fixed). Workflows add
                their own with ``@workflow.defn(failure_exception_types=[...])``.
            interceptors: Wrap the worker's activities and workflows (:class:`Interceptor`),
                the first outermost. The client's interceptors that are also worker
                interceptors come first, as in the official SDK.

        Raises:
            ValueError: Every problem with the arguments, in one message.
            TypeError: A workflow or activity is not decorated.
        """
        issues: list[str] = []
        if not task_queue:
            issues.append("task_queue must not be empty")
        if not workflows and not activities:
            issues.append("register at least one workflow or activity")
        if max_cached_workflows < 0:
            issues.append("max_cached_workflows must not be negative")
        if max_concurrent_workflow_tasks < 1:
            issues.append("max_concurrent_workflow_tasks must be at least 1")
        if max_concurrent_activities < 1:
            issues.append("max_concurrent_activities must be at least 1")
        if max_concurrent_workflow_task_polls < 1:
            issues.append("max_concurrent_workflow_task_polls must be at least 1")
        if not 0 < nonsticky_to_sticky_poll_ratio <= 1:
            issues.append("nonsticky_to_sticky_poll_ratio must be above 0 and at most 1")
        if max_concurrent_activity_task_polls < 1:
            issues.append("max_concurrent_activity_task_polls must be at least 1")
        if sticky_queue_schedule_to_start_timeout <= timedelta(0):
            issues.append("sticky_queue_schedule_to_start_timeout must be positive")
        if max_eager_activity_reservations_per_workflow_task < 1:
            issues.append(
                "max_eager_activity_reservations_per_workflow_task must be positive; "
                "use disable_eager_activity_execution=True to disable eager activities"
            )
        if graceful_shutdown_timeout < timedelta(0):
            issues.append("graceful_shutdown_timeout must not be negative")
        definitions: list[_Definition] = []
        for cls in workflows:
            try:
                definitions.append(
                    with_worker_failure_types(_Definition.from_class(cls), workflow_failure_exception_types)
                )
            except TypeError as err:
                issues.append(str(err))
        if len([d for d in definitions if d.dynamic]) > 1:
            issues.append("only one dynamic workflow may be registered")
        activity_defs: list[_activity._Definition] = []
        for fn in activities:
            try:
                activity_defs.append(_activity._definition(fn))
            except TypeError as err:
                issues.append(str(err))
        plain = sorted(d.name or d.fn.__name__ for d in activity_defs if not d.is_async)
        if plain and activity_executor is None:
            issues.append(
                f"activities {plain} are not async, so an activity_executor "
                "(a concurrent.futures.ThreadPoolExecutor) must be given"
            )
        if len([d for d in activity_defs if d.dynamic]) > 1:
            issues.append("only one dynamic activity may be registered")
        for kind, names in (
            ("workflow", [d.name for d in definitions if not d.dynamic]),
            ("activity", [d.name for d in activity_defs if not d.dynamic]),
        ):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                issues.append(f"{kind} names registered twice: {duplicates}")
        if issues:
            raise ValueError("invalid Worker: " + "; ".join(issues))
        self._client = client
        from_client = [i for i in getattr(client, "interceptors", ()) if isinstance(i, Interceptor)]
        all_interceptors = [*from_client, *interceptors]
        codec = client.data_converter.payload_codec
        # With a codec, every payload the worker sends is encoded and every one it gets decoded.
        self._service = client.service if codec is None else CodecService(client.service, codec)
        self._namespace: str = client.namespace
        self._identity: str = client.identity
        self._task_queue = task_queue
        self._grace = graceful_shutdown_timeout
        self._workflow_worker = (
            WorkflowWorker(
                service=self._service,
                namespace=self._namespace,
                identity=self._identity,
                task_queue=task_queue,
                definitions=definitions,
                converter=client.data_converter,
                max_cached_workflows=max_cached_workflows,
                max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
                deadlock_timeout=deadlock_timeout,
                sticky_schedule_to_start=sticky_queue_schedule_to_start_timeout,
                max_polls=max_concurrent_workflow_task_polls,
                nonsticky_poll_ratio=nonsticky_to_sticky_poll_ratio,
                activities=activity_defs,
                interceptors=all_interceptors,
            )
            if definitions
            else None
        )
        self._activity_worker = (
            ActivityWorker(
                service=self._service,
                namespace=self._namespace,
                identity=self._identity,
                task_queue=task_queue,
                activities=activity_defs,
                converter=client.data_converter,
                max_concurrent_activities=max_concurrent_activities,
                executor=activity_executor,
                interceptors=all_interceptors,
                max_polls=max_concurrent_activity_task_polls,
            )
            if activity_defs
            else None
        )
        if (
            self._workflow_worker is not None
            and self._activity_worker is not None
            and not disable_eager_activity_execution
        ):
            self._workflow_worker.eager_activities = EagerActivities(
                self._activity_worker, task_queue, max_eager_activity_reservations_per_workflow_task
            )
        self._stop = asyncio.Event()
        self._started = False
        self._namespace_checked = False
        self._finished = asyncio.Event()
        self._background: asyncio.Task[None] | None = None

    @property
    def task_queue(self) -> str:
        """The task queue this worker polls."""
        return self._task_queue

    async def run(self) -> None:
        """Poll and run tasks until :meth:`shutdown` is called or this call is cancelled.

        On the way out the worker stops polling, lets workflow tasks in hand
        finish, gives running activities ``graceful_shutdown_timeout`` to finish,
        and tells the server to route its sticky workflows elsewhere.

        Raises:
            RuntimeError: The worker was already started.
            RPCError: The namespace does not exist, or the server refuses to serve the worker.
        """
        if self._started:
            raise RuntimeError("a Worker can only be run once")
        self._started = True
        try:
            if not self._namespace_checked:
                await self._check_namespace()
            workflow_poller = self._start_polling("workflow", self._workflow_worker)
            activity_poller = self._start_polling("activity", self._activity_worker)
            pollers = [p for p in (workflow_poller, activity_poller) if p is not None]
            stop = asyncio.create_task(self._stop.wait())
            error: BaseException | None = None
            try:
                done, _ = await asyncio.wait([*pollers, stop], return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task is not stop and task.exception() is not None:
                        error = task.exception()
            finally:
                await self._wind_down(workflow_poller, activity_poller, stop)
            if isinstance(error, grpc.aio.AioRpcError):
                raise RPCError(error.code(), f"worker polling failed: {error.details()}") from None
            if error is not None:
                raise error
        finally:
            self._finished.set()

    async def _check_namespace(self) -> None:
        try:
            await self._service.DescribeNamespace(rr.DescribeNamespaceRequest(namespace=self._namespace), timeout=10)
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.UNIMPLEMENTED:
                return  # minimal servers: polling will tell
            raise RPCError(
                err.code(), f"cannot start worker in namespace {self._namespace!r}: {err.details()}"
            ) from None

    def _start_polling(self, kind: str, worker: WorkflowWorker | ActivityWorker | None) -> asyncio.Task[None] | None:
        if worker is None:
            return None
        return asyncio.create_task(worker.run(), name=f"tempo {kind} poller {self._task_queue}")

    async def _wind_down(
        self,
        workflow_poller: asyncio.Task[None] | None,
        activity_poller: asyncio.Task[None] | None,
        stop: asyncio.Task[Any],
    ) -> None:
        stop.cancel()
        # Activities first, while workflow tasks are still polled: the workflow task
        # an activity's result schedules lands on our sticky queue, and is handled
        # here instead of waiting for the sticky timeout.
        if self._activity_worker is not None:
            self._activity_worker.stop_polling()
            if activity_poller is not None:
                activity_poller.cancel()
            if await self._activity_worker.drain(self._grace) and self._workflow_worker:
                # Give the server a moment to hand us the workflow tasks those
                # results scheduled; otherwise they wait out the sticky timeout.
                await asyncio.sleep(_SETTLE)
        if self._workflow_worker is not None:
            self._workflow_worker.stop_polling()
            # A poll we cancel loses a task the server hands it in the same instant (started,
            # never answered: it waits out its timeout). So the normal polls go first, while
            # our cached runs' tasks still come to the sticky polls; then ShutdownWorker, which
            # the server answers by ending the sticky polls with empty responses and by
            # sending those runs' next tasks to the normal queue.
            self._workflow_worker.cancel_normal_polls()
            await self._shutdown_sticky_queue()
        if workflow_poller is not None:
            done, _ = await asyncio.wait({workflow_poller}, timeout=_STICKY_POLL_GRACE)
            if not done:
                workflow_poller.cancel()  # a server that did not answer the sticky polls
        pollers = [p for p in (workflow_poller, activity_poller) if p is not None]
        await asyncio.gather(*pollers, stop, return_exceptions=True)
        if self._workflow_worker is not None:
            await self._workflow_worker.drain()

    async def _shutdown_sticky_queue(self) -> None:
        """ShutdownWorker: the server ends the sticky poll and sends the runs' next tasks to the normal queue."""
        assert self._workflow_worker is not None
        if not self._workflow_worker.sticky_queue:
            return
        with contextlib.suppress(grpc.aio.AioRpcError):
            await self._service.ShutdownWorker(
                rr.ShutdownWorkerRequest(
                    namespace=self._namespace,
                    sticky_task_queue=self._workflow_worker.sticky_queue,
                    identity=self._identity,
                    reason="graceful shutdown",
                ),
                timeout=10,
            )

    async def shutdown(self) -> None:
        """Stop the worker gracefully and wait until :meth:`run` has returned."""
        self._stop.set()
        if self._started:
            await self._finished.wait()

    async def __aenter__(self) -> Worker:
        """Run the worker in the background for the duration of an ``async with`` block.

        Raises:
            RPCError: The namespace does not exist (raised here, not later).
        """
        await self._check_namespace()
        self._namespace_checked = True
        self._background = asyncio.create_task(self.run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Shut the worker down; re-raise a polling failure if there was one."""
        await self.shutdown()
        if self._background is not None:
            await self._background
