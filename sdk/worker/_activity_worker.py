"""Poll activity tasks, run activity functions, heartbeat, report results."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, timedelta
from typing import Any

import grpc
import temporalio.api.workflowservice.v1.request_response_pb2 as rr
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import task_queue_pb2
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue

from sdk import activity
from sdk._payload_codec import decode_task
from sdk._workflow_handlers import RawValue
from sdk.converter import DataConverter
from sdk.exceptions import ApplicationError, CancelledError
from sdk.worker._activity_interceptors import intercepted
from sdk.worker._interceptor import ExecuteActivityInput, Interceptor
from sdk.worker._thread_cancel import ThreadCancelRaiser
from sdk.worker._workflow_worker import LONG_POLL_TIMEOUT, poll_into_tasks, run_poll_loops

logger = logging.getLogger("sdk.worker")

DEFAULT_HEARTBEAT_THROTTLE = 30.0
"""Longest gap between heartbeats sent when the activity has no heartbeat timeout."""


class _RunningActivity:
    """One activity attempt in progress: its task, heartbeats and cancellation."""

    def __init__(
        self,
        worker: ActivityWorker,
        task: rr.PollActivityTaskQueueResponse,
        definition: activity._Definition,
    ) -> None:
        self.worker = worker
        self.task = task
        self.definition = definition
        self.loop = asyncio.get_running_loop()
        self.runner: asyncio.Task[Any] | None = None
        self.cancel_requested = False
        self.cancel_reason = ""
        self.cancelled = activity._CancelSignal()
        self.shutdown = False
        """Cancelled because the worker stops, not because the workflow asked."""
        self.done = False
        """The function has returned: a cancellation must not interrupt reporting its outcome."""
        self.thread_raiser: ThreadCancelRaiser | None = None
        self.raise_in_heartbeat = False
        """A plain function whose thread cannot be interrupted learns of cancellation here."""
        self._details: tuple[Any, ...] = ()
        self.latest_details: tuple[Any, ...] | None = None
        self._have_details = False
        self._sender: asyncio.Task[None] | None = None
        timeout = task.heartbeat_timeout.ToTimedelta() if task.HasField("heartbeat_timeout") else None
        self.throttle = timeout.total_seconds() * 0.8 if timeout else DEFAULT_HEARTBEAT_THROTTLE

    # Called from the activity: its own task (async) or an executor thread (sync).
    def heartbeat(self, details: tuple[Any, ...]) -> None:
        if self.cancel_requested and self.raise_in_heartbeat:
            raise CancelledError(f"activity cancelled: {self.cancel_reason}")
        # Kept here too, so a failure reported before the next send still carries it.
        self.latest_details = details
        self.loop.call_soon_threadsafe(self._record, details)

    def _record(self, details: tuple[Any, ...]) -> None:
        self._details = details
        self._have_details = True
        if self._sender is None or self._sender.done():
            self._sender = self.loop.create_task(self._send_heartbeats())

    async def _send_heartbeats(self) -> None:
        while self._have_details:
            self._have_details = False
            try:
                payloads = self.worker.converter.to_payloads(self._details)
            except Exception as err:
                logger.warning("heartbeat details of %s dropped: %s", self.task.activity_id, err)
                payloads = []
            try:
                response = await self.worker.service.RecordActivityTaskHeartbeat(
                    rr.RecordActivityTaskHeartbeatRequest(
                        task_token=self.task.task_token,
                        details=common.Payloads(payloads=payloads),
                        identity=self.worker.identity,
                        namespace=self.worker.namespace,
                    ),
                    timeout=10,
                )
            except grpc.aio.AioRpcError as err:
                if err.code() == grpc.StatusCode.NOT_FOUND:
                    # The server no longer waits for this attempt (timed out or the
                    # workflow closed): stop working on it.
                    self.cancel("the activity is no longer known to the server")
                    return
                logger.warning("heartbeat failed: %s: %s", err.code().name, err.details())
            else:
                if response.cancel_requested:
                    self.cancel("cancellation requested by the workflow")
            await asyncio.sleep(self.throttle)

    def cancel(self, reason: str, *, shutdown: bool = False) -> None:
        if self.cancel_requested:
            return
        self.cancel_requested = True
        self.cancel_reason = reason
        self.shutdown = shutdown
        self.cancelled.set()
        if self.done:
            return
        if self.thread_raiser is not None:
            self.thread_raiser.request()
        if self.definition.is_async and self.runner is not None:
            self.runner.cancel(reason)

    def stop_heartbeats(self) -> None:
        if self._sender is not None:
            self._sender.cancel()


class ActivityWorker:
    """Polls one task queue for activity tasks and runs them, at most N at once."""

    def __init__(
        self,
        *,
        service: Any,
        namespace: str,
        identity: str,
        task_queue: str,
        activities: Sequence[activity._Definition],
        converter: DataConverter,
        max_concurrent_activities: int,
        executor: concurrent.futures.Executor | None,
        interceptors: Sequence[Interceptor] = (),
        max_polls: int = 5,
    ) -> None:
        self.service = service
        self._max_polls = max_polls
        self._interceptors = tuple(interceptors)
        self.namespace = namespace
        self.identity = identity
        self.converter = converter
        self._task_queue = task_queue
        self._activities = {d.name: d for d in activities if not d.dynamic}
        self._dynamic = next((d for d in activities if d.dynamic), None)
        self._slots = asyncio.Semaphore(max_concurrent_activities)
        # Given by the user and shut down by them, as in the official SDK.
        self._executor = executor
        self._running: dict[bytes, _RunningActivity] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def run(self) -> None:
        """Poll until :meth:`stop_polling`; raises only for errors retrying cannot fix.

        ``max_polls`` long polls wait at once (each in a free activity slot), so that an activity
        the server schedules finds a poll waiting instead of being written to its database first.
        """
        request = rr.PollActivityTaskQueueRequest(
            namespace=self.namespace,
            task_queue=taskqueue.TaskQueue(
                name=self._task_queue, kind=task_queue_pb2.TaskQueueKind.TASK_QUEUE_KIND_NORMAL
            ),
            identity=self.identity,
        )
        loops = [
            poll_into_tasks(
                f"polling activity tasks on {self._task_queue}",
                lambda: self.service.PollActivityTaskQueue(request, timeout=LONG_POLL_TIMEOUT),
                lambda: self._stopping,
                self._slots,
                self._run_and_release,
                self._tasks,
            )
            for _ in range(self._max_polls)
        ]
        await run_poll_loops([asyncio.create_task(loop) for loop in loops])

    def stop_polling(self) -> None:
        """Stop taking new tasks."""
        self._stopping = True

    # --- eager execution: slots reserved while a workflow task is completed ---------------

    def runs(self, activity_type: str) -> bool:
        """Whether this worker has a definition (or a dynamic one) for ``activity_type``."""
        return activity_type in self._activities or self._dynamic is not None

    async def reserve_slot(self) -> bool:
        """Take a free slot for an eager activity, without waiting; False when none is free."""
        if self._stopping or self._slots.locked():
            return False
        await self._slots.acquire()  # returns at once: a slot is free
        return True

    def release_slot(self) -> None:
        """Give back a slot reserved for an eager activity the server did not start."""
        self._slots.release()

    def run_reserved(self, task: rr.PollActivityTaskQueueResponse) -> None:
        """Run an activity task the server started eagerly, in a slot already reserved."""
        logger.debug("running activity %s (%s) eagerly", task.activity_id, task.activity_type.name)
        runner = asyncio.create_task(self._run_and_release(task))
        self._tasks.add(runner)
        runner.add_done_callback(self._tasks.discard)

    async def drain(self, grace: timedelta) -> bool:
        """Let running activities finish within ``grace``, then cancel the rest.

        Returns:
            Whether any activity was still running when the drain began.
        """
        had_running = bool(self._tasks)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace.total_seconds()
        # Looked at again after each wait: an eager activity the server started with a
        # workflow task completed meanwhile joins the running ones.
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=deadline - loop.time())
        if self._tasks:
            for running in list(self._running.values()):
                running.cancel("the worker is shutting down", shutdown=True)
            await asyncio.wait(set(self._tasks), timeout=5)
        return had_running

    async def _run_and_release(self, task: rr.PollActivityTaskQueueResponse) -> None:
        try:
            await self._run(task)
        except Exception:
            logger.exception("unexpected error running activity %s", task.activity_type.name)
        finally:
            self._slots.release()

    async def _run(self, task: rr.PollActivityTaskQueueResponse) -> None:
        name = task.activity_type.name
        try:
            await decode_task(self.service, task)
        except Exception as err:
            await self._respond_failed(
                task,
                ApplicationError(
                    f"the payload codec cannot decode the task of activity {name!r}: {err}",
                    type="DecodeError",
                    non_retryable=True,
                ),
                self._variables(task, activity._Context(_info(task, [], self._task_queue), _no_heartbeat, bool)),
            )
            return
        definition = self._activities.get(name) or self._dynamic
        if definition is None:
            # Retryable: another worker on this queue may know the activity.
            variables = self._variables(task, activity._Context(_info(task, [], self._task_queue), _no_heartbeat, bool))
            await self._respond_failed(
                task,
                ApplicationError(
                    f"activity type {name!r} is not registered on this worker "
                    f"(task queue {self._task_queue!r}); registered: {sorted(self._activities)}",
                    type="NotFoundError",
                ),
                variables,
            )
            return
        running = _RunningActivity(self, task, definition)
        self._running[task.task_token] = running
        try:
            outcome = await self._execute(running)
        finally:
            running.stop_heartbeats()
            self._running.pop(task.task_token, None)
        await outcome

    def _variables(self, task: rr.PollActivityTaskQueueResponse, context: activity._Context) -> contextvars.Context:
        """The context variables the attempt runs (and its outcome is logged) in."""
        variables = contextvars.copy_context()
        variables.run(activity._CURRENT.set, context)
        return variables

    async def _execute(self, running: _RunningActivity) -> Awaitable[None]:
        """Run the function; return the call that reports its outcome to the server.

        The report is made by the caller after heartbeats have stopped, so no
        heartbeat can race the final answer.
        """
        task = running.task
        definition = running.definition
        if not definition.is_async:
            if isinstance(self._executor, concurrent.futures.ThreadPoolExecutor):
                if not definition.no_thread_cancel_exception:
                    running.thread_raiser = ThreadCancelRaiser()
            else:
                running.raise_in_heartbeat = not definition.no_thread_cancel_exception
        raiser = running.thread_raiser
        try:
            heartbeat_details = self.converter.from_payloads(list(task.heartbeat_details.payloads))
            context = activity._Context(
                _info(task, heartbeat_details, self._task_queue),
                running.heartbeat,
                lambda: running.cancel_requested,
                cancelled=running.cancelled,
                converter=self.converter,
                shield=raiser.shielded if raiser is not None else None,
            )
            variables = self._variables(task, context)
            # In the attempt's context: an interceptor's init may call activity.info().
            inbound = variables.run(
                intercepted,
                self._interceptors,
                context,
                lambda fn, args: asyncio.get_running_loop().run_in_executor(
                    # A copy of the context the interceptors set (spans, say), for the thread.
                    self._executor,
                    _call_in_thread,
                    contextvars.copy_context(),
                    raiser,
                    fn,
                    args,
                ),
            )
            if definition.dynamic:
                args: list[Any] = [[RawValue(p) for p in task.input.payloads]]
            else:
                args = self.converter.from_payloads(list(task.input.payloads), _parameter_hints(definition.fn))
        except Exception as err:
            return self._respond_failed(
                task,
                ApplicationError(
                    f"cannot decode the arguments of activity {definition.name or task.activity_type.name!r}: {err}",
                    type="DecodeError",
                    non_retryable=True,
                ),
                self._variables(task, activity._Context(_info(task, [], self._task_queue), _no_heartbeat, bool)),
            )
        variables.run(activity.logger.debug, "Starting activity")
        execute = ExecuteActivityInput(definition.fn, args, self._executor, dict(task.header.fields))
        try:
            # A plain function's runner is never cancelled: its thread is told (thread_raiser).
            running.runner = asyncio.create_task(inbound.execute_activity(execute), context=variables)
            result = await running.runner
        except asyncio.CancelledError:
            if not running.cancel_requested:
                raise  # the worker itself is being cancelled
            return self._respond_cancelled_or_failed(running, variables)
        except CancelledError as err:
            if running.cancel_requested:
                return self._respond_cancelled_or_failed(running, variables)
            return self._respond_failed(task, err, variables, running)
        except activity._CompleteAsyncError:
            variables.run(activity.logger.debug, "Completing asynchronously")
            return _nothing()
        except Exception as err:
            return self._respond_failed(task, err, variables, running)
        finally:
            running.done = True
        return self._respond_completed(task, result, variables)

    def _respond_cancelled_or_failed(
        self, running: _RunningActivity, variables: contextvars.Context
    ) -> Awaitable[None]:
        if running.shutdown:
            # Failed, not cancelled: the retry policy gives it to another worker.
            return self._respond_failed(
                running.task, ApplicationError("the worker shut down before the activity finished"), variables
            )
        variables.run(activity.logger.debug, "Completing as cancelled")
        return self._call(
            self.service.RespondActivityTaskCanceled,
            rr.RespondActivityTaskCanceledRequest(
                task_token=running.task.task_token,
                identity=self.identity,
                namespace=self.namespace,
            ),
        )

    async def _respond_completed(
        self, task: rr.PollActivityTaskQueueResponse, result: Any, variables: contextvars.Context
    ) -> None:
        try:
            payload = self.converter.to_payload(result)
        except Exception as err:
            await self._respond_failed(
                task,
                ApplicationError(
                    f"cannot serialise the result of activity {task.activity_type.name!r}: {err}",
                    type="EncodeError",
                    non_retryable=True,
                ),
                variables,
            )
            return
        await self._call(
            self.service.RespondActivityTaskCompleted,
            rr.RespondActivityTaskCompletedRequest(
                task_token=task.task_token,
                result=common.Payloads(payloads=[payload]),
                identity=self.identity,
                namespace=self.namespace,
            ),
        )

    async def _respond_failed(
        self,
        task: rr.PollActivityTaskQueueResponse,
        err: BaseException,
        variables: contextvars.Context,
        running: _RunningActivity | None = None,
    ) -> None:
        # Every failed attempt is logged, as the official SDK does: a retry policy may
        # otherwise retry a bug (a KeyError, an unregistered type) for ever in silence.
        variables.run(activity.logger.warning, "Completing activity as failed", exc_info=err)
        try:
            failure = self.converter.to_failure(err)
        except Exception as encode_err:
            failure = self.converter.to_failure(
                ApplicationError(f"cannot encode the failure of the activity ({encode_err}): {err}")
            )
        await self._call(
            self.service.RespondActivityTaskFailed,
            rr.RespondActivityTaskFailedRequest(
                task_token=task.task_token,
                failure=failure,
                identity=self.identity,
                namespace=self.namespace,
                last_heartbeat_details=self._last_details(running),
            ),
        )

    def _last_details(self, running: _RunningActivity | None) -> common.Payloads | None:
        if running is None or running.latest_details is None:
            return None
        try:
            return common.Payloads(payloads=self.converter.to_payloads(running.latest_details))
        except Exception:
            return None  # already reported when the heartbeat was sent

    async def _call(self, method: Any, request: Any) -> None:
        try:
            await method(request, timeout=30)
        except grpc.aio.AioRpcError as err:
            # NOT_FOUND: the attempt timed out or the workflow closed; nothing to do.
            logger.warning("reporting an activity result failed: %s: %s", err.code().name, err.details())


def _call_in_thread(
    variables: contextvars.Context,
    raiser: ThreadCancelRaiser | None,
    fn: Callable[..., Any],
    args: Sequence[Any],
) -> Any:
    if raiser is None:
        return variables.run(fn, *args)
    with raiser.running_in_this_thread():
        return variables.run(fn, *args)


def _no_heartbeat(details: tuple[Any, ...]) -> None:
    pass


async def _nothing() -> None:
    pass


@functools.cache
def _parameter_hints(fn: Callable[..., Any]) -> list[Any]:
    """Type hints of the parameters, in order; None where unknown.

    Hints that cannot be evaluated (say, names imported only for type checking)
    count as unknown: the argument is then decoded as plain JSON.
    """
    try:
        annotations = inspect.get_annotations(fn, eval_str=True)
    except Exception:
        annotations = {}
    return [annotations.get(p.name) for p in inspect.signature(fn).parameters.values()]


def _info(task: rr.PollActivityTaskQueueResponse, heartbeat_details: list[Any], task_queue: str) -> activity.Info:
    def maybe(field: str) -> timedelta | None:
        return getattr(task, field).ToTimedelta() if task.HasField(field) else None  # type: ignore[arg-type,no-any-return]

    return activity.Info(
        activity_id=task.activity_id,
        activity_type=task.activity_type.name,
        attempt=task.attempt,
        task_queue=task_queue,
        task_token=task.task_token,
        workflow_id=task.workflow_execution.workflow_id,
        workflow_run_id=task.workflow_execution.run_id,
        workflow_type=task.workflow_type.name,
        workflow_namespace=task.workflow_namespace,
        heartbeat_details=heartbeat_details,
        heartbeat_timeout=maybe("heartbeat_timeout"),
        start_to_close_timeout=maybe("start_to_close_timeout"),
        schedule_to_close_timeout=maybe("schedule_to_close_timeout"),
        scheduled_time=(task.scheduled_time.ToDatetime(tzinfo=UTC) if task.HasField("scheduled_time") else None),
        started_time=(task.started_time.ToDatetime(tzinfo=UTC) if task.HasField("started_time") else None),
    )
