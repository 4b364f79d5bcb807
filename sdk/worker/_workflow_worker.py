"""Poll workflow tasks, drive workflow instances, keep a sticky cache of runs.

Each workflow task is handled in three steps: bring a :class:`WorkflowRun` up to
date (from the cache, or rebuilt by replaying the full history), activate it
once per workflow task the new events contain, and report the live task's
commands. Runs are cached with LRU eviction; while a run is cached the worker
asks the server to send its next tasks to this worker's sticky queue, with only
the new events.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import sys
import threading
import traceback
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import grpc
import temporalio.api.workflowservice.v1.request_response_pb2 as rr
from google.protobuf.duration_pb2 import Duration
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import failed_cause_pb2, query_pb2, task_queue_pb2
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb
from temporalio.api.query.v1 import message_pb2 as query_pb
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue

from sdk import activity
from sdk._payload_codec import decode_task
from sdk._workflow_definitions import _Definition
from sdk.converter import DataConverter
from sdk.worker import _history as h
from sdk.worker._history_updates import jobs_from_messages
from sdk.worker._interceptor import Interceptor
from sdk.worker._local_activity_runner import HEARTBEAT_FRACTION, LocalActivityRunner, drive
from sdk.worker._workflow_instance import QueryError, WorkflowInstance, WorkflowTaskError
from sdk.worker._workflow_interceptors import workflow_interceptor_classes
from sdk.worker._workflow_kinds import fails_workflow, nondeterminism_failure
from sdk.workflow import NondeterminismError

if TYPE_CHECKING:
    from sdk.worker._eager_activities import EagerActivities

logger = logging.getLogger("sdk.worker")

Cause = failed_cause_pb2.WorkflowTaskFailedCause
T = TypeVar("T")

LONG_POLL_TIMEOUT = 70.0
"""Client-side deadline of a long poll; servers answer empty before it (after ~60 s)."""


class DeadlockError(Exception):
    """Workflow code did not yield to the worker in time (blocking call or busy loop)."""


class WorkflowRun:
    """A workflow run in memory: its history translator and its instance."""

    def __init__(self, definition: _Definition, instance: WorkflowInstance) -> None:
        self.definition = definition
        self.instance = instance
        self.translator = h.HistoryTranslator()
        self.local_activities: LocalActivityRunner | None = None
        """Its local activities running in this worker, once it started one."""


def check_replayed(activation: h.Activation, commands: Sequence[command_pb.Command]) -> None:
    """Raise NondeterminismError if a replayed activation's commands differ from history."""
    if activation.expected_commands is not None:
        h.check_commands(commands, activation.expected_commands, activation.started_event_id)


class _PolledTask(Protocol):
    task_token: bytes


PolledT = TypeVar("PolledT", bound=_PolledTask)


async def poll_into_tasks(
    what: str,
    poll: Callable[[], Awaitable[PolledT]],
    stopping: Callable[[], bool],
    slots: asyncio.Semaphore,
    handle: Callable[[PolledT], Coroutine[Any, Any, None]],
    tasks: set[asyncio.Task[None]],
) -> None:
    """Poll until stopping; run each task in its own asyncio task, which must release its slot.

    A slot is taken before polling, so a worker never accepts a task it cannot start now.
    """
    while not stopping():
        await slots.acquire()
        try:
            response = await with_retries(what, poll, stopping)
        except BaseException:
            slots.release()
            raise
        if response is None or not response.task_token:
            slots.release()
            continue
        task = asyncio.create_task(handle(response))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


async def run_poll_loops(tasks: Sequence[asyncio.Task[None]]) -> None:
    """Wait for poll loops running side by side until each has ended or been cancelled.

    The first to fail (say, the namespace vanished) stops the others, and its error is raised.
    """
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def poll_counts(max_polls: int, nonsticky_ratio: float, sticky: bool) -> tuple[int, int]:
    """(normal, sticky) long polls a workflow worker keeps waiting, as the official SDK's core
    splits them: with a sticky queue, ``max_polls * nonsticky_ratio`` (at least 1) on the
    normal queue and the rest (at least 1) on the sticky queue; without one, all on the normal."""
    if not sticky:
        return max_polls, 0
    normal = max(1, int(max_polls * nonsticky_ratio))
    return normal, max(1, max_polls - normal)


async def with_retries(what: str, call: Callable[[], Awaitable[T]], stopping: Callable[[], bool]) -> T | None:
    """Retry a polling call with backoff on transient errors; None once stopping.

    Raises:
        grpc.aio.AioRpcError: For errors retrying cannot fix (unknown namespace, bad request).
    """
    delay = 0.1
    while not stopping():
        try:
            return await call()
        except grpc.aio.AioRpcError as err:
            if err.code() in (
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.INVALID_ARGUMENT,
                grpc.StatusCode.PERMISSION_DENIED,
                grpc.StatusCode.UNIMPLEMENTED,
            ):
                raise
            if stopping():
                return None
            if err.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                logger.warning("%s failed (%s: %s); retrying", what, err.code().name, err.details())
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
    return None


async def activate_in_thread(
    executor: concurrent.futures.Executor,
    deadlock_timeout: float | None,
    run: WorkflowRun,
    activation: h.Activation,
) -> list[command_pb.Command]:
    """Run one activation in a worker thread, failing if it does not yield in time.

    Raises:
        DeadlockError: Workflow code ran longer than ``deadlock_timeout`` seconds
            without yielding; the message shows where it is stuck.
    """
    thread_id: list[int] = []

    def activate() -> list[command_pb.Command]:
        thread_id.append(threading.get_ident())
        return run.instance.activate(activation)

    future = asyncio.get_running_loop().run_in_executor(executor, activate)
    try:
        return await asyncio.wait_for(asyncio.shield(future), deadlock_timeout)
    except TimeoutError:
        frame = sys._current_frames().get(thread_id[0]) if thread_id else None
        stack = "".join(traceback.format_stack(frame)) if frame is not None else "(unknown)"
        raise DeadlockError(
            f"workflow {run.definition.name!r} did not yield within {deadlock_timeout}s "
            f"(a blocking call or a busy loop in workflow code?); stuck at:\n{stack}"
        ) from None


class WorkflowWorker:
    """Polls one task queue (and its sticky queue) for workflow tasks."""

    def __init__(
        self,
        *,
        service: Any,
        namespace: str,
        identity: str,
        task_queue: str,
        definitions: Sequence[_Definition],
        converter: DataConverter,
        max_cached_workflows: int,
        max_concurrent_workflow_tasks: int,
        deadlock_timeout: timedelta | None,
        sticky_schedule_to_start: timedelta = timedelta(seconds=10),
        max_polls: int = 5,
        nonsticky_poll_ratio: float = 0.2,
        activities: Sequence[activity._Definition] = (),
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        self._interceptors = tuple(interceptors)
        self._interceptor_classes = workflow_interceptor_classes(interceptors)
        self._activities = {d.name: d for d in activities}
        """What local activities may run: the activities registered on the same worker."""
        self._local_executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._sticky_schedule_to_start = sticky_schedule_to_start
        self._service = service
        self._namespace = namespace
        self._identity = identity
        self._task_queue = task_queue
        self._definitions = {d.name: d for d in definitions if not d.dynamic}
        self._dynamic = next((d for d in definitions if d.dynamic), None)
        self._converter = converter
        self._max_cached = max_cached_workflows
        self._deadlock_timeout = deadlock_timeout.total_seconds() if deadlock_timeout else None
        self._cache: collections.OrderedDict[str, WorkflowRun] = collections.OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: collections.Counter[str] = collections.Counter()
        self._slots = asyncio.Semaphore(max_concurrent_workflow_tasks)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._max_polls = max_polls
        self._nonsticky_poll_ratio = nonsticky_poll_ratio
        self._normal_polls: list[asyncio.Task[None]] = []
        # Workflow code runs in these threads so a stuck workflow cannot block the
        # worker's event loop; a thread stuck for good is lost, so keep spares.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_concurrent_workflow_tasks + 4, thread_name_prefix="tempo-workflow"
        )
        self.sticky_queue = f"{identity}-sticky-{uuid.uuid4().hex[:12]}" if max_cached_workflows > 0 else ""
        self.eager_activities: EagerActivities | None = None
        """Set by the Worker when it also runs activities on this task queue."""

    # --- polling ------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll until :meth:`stop`; raises only for errors retrying cannot fix.

        Several long polls wait at once on each queue, so that a task the server adds finds
        a poll waiting for it: a task no poll waits for is written to the server's database
        first, then read back (on a real server with SQLite, a write per task).
        """
        normal, sticky = poll_counts(self._max_polls, self._nonsticky_poll_ratio, bool(self.sticky_queue))
        queue = taskqueue.TaskQueue(name=self._task_queue, kind=task_queue_pb2.TaskQueueKind.TASK_QUEUE_KIND_NORMAL)
        self._normal_polls = [asyncio.create_task(self._poll_loop(queue)) for _ in range(normal)]
        polls = list(self._normal_polls)
        if sticky:
            sticky_queue = taskqueue.TaskQueue(
                name=self.sticky_queue,
                kind=task_queue_pb2.TaskQueueKind.TASK_QUEUE_KIND_STICKY,
                normal_name=self._task_queue,
            )
            polls.extend(asyncio.create_task(self._poll_loop(sticky_queue)) for _ in range(sticky))
        await run_poll_loops(polls)

    async def _poll_loop(self, queue: taskqueue.TaskQueue) -> None:
        request = rr.PollWorkflowTaskQueueRequest(namespace=self._namespace, task_queue=queue, identity=self._identity)
        await poll_into_tasks(
            f"polling workflow tasks on {queue.name}",
            lambda: self._service.PollWorkflowTaskQueue(request, timeout=LONG_POLL_TIMEOUT),
            lambda: self._stopping,
            self._slots,
            self._handle_and_release,
            self._tasks,
        )

    def stop_polling(self) -> None:
        """Stop taking new tasks (the poll loops end at their next iteration)."""
        self._stopping = True

    def cancel_normal_polls(self) -> None:
        """End the polls on the normal queue now. The sticky polls are left to end by themselves:
        the server answers them with empty responses once told the worker is shutting down."""
        for poll in self._normal_polls:
            poll.cancel()

    async def drain(self) -> None:
        """Wait for the tasks in hand to be answered, then drop the cache."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for run_id in list(self._cache):
            self._evict(run_id)
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._local_executor is not None:
            self._local_executor.shutdown(wait=False, cancel_futures=True)

    async def _handle_and_release(self, task: rr.PollWorkflowTaskQueueResponse) -> None:
        try:
            await self._handle(task)
        except Exception:
            logger.exception("unexpected error handling a workflow task")
        finally:
            self._slots.release()

    # --- tasks --------------------------------------------------------------------------

    async def _handle(self, task: rr.PollWorkflowTaskQueueResponse) -> None:
        try:
            await decode_task(self._service, task)
        except Exception as err:  # the codec's failure fails the task, as a decoding error would
            await self._fail_task(task, err)
            return
        # One task per run at a time: a query that arrives while the run's workflow
        # task is being completed must see the run as that task leaves it.
        run_id = task.workflow_execution.run_id
        lock = self._locks.setdefault(run_id, asyncio.Lock())
        self._lock_users[run_id] += 1
        try:
            async with lock:
                if task.HasField("query"):
                    await self._legacy_query(task)
                else:
                    await self._workflow_task(task)
        finally:
            self._lock_users[run_id] -= 1
            if not self._lock_users[run_id]:
                del self._lock_users[run_id]
                del self._locks[run_id]

    async def _workflow_task(self, task: rr.PollWorkflowTaskQueueResponse) -> None:
        run_id = task.workflow_execution.run_id
        run: WorkflowRun | None = None
        deadline = asyncio.get_running_loop().time()
        force_new_task = False
        try:
            run, events = await self._run_for(task)
            activations = run.translator.feed(events)
            if activations and not activations[-1].is_replaying:
                # The task's new updates come as messages, after what history brought.
                activations[-1].jobs.extend(jobs_from_messages(task.messages))
            commands: list[command_pb.Command] = []
            messages: list[protocol_pb.Message] = []
            live: h.Activation | None = None
            for activation in activations:
                if not activation.is_replaying:
                    live = activation
                    if not activation.jobs and run.local_activities is not None and run.local_activities.busy():
                        continue  # a task asked for while local activities run: nothing new to say
                produced = await self._activate(run, activation)
                check_replayed(activation, produced)
                if not activation.is_replaying:
                    commands = produced
                    messages = run.instance.take_messages()
            if live is not None:
                task_timeout = run.instance.workflow_info().task_timeout.total_seconds() or 10.0
                deadline += HEARTBEAT_FRACTION * task_timeout
                more, more_messages, force_new_task = await self._run_local_activities(run, live, deadline)
                commands = commands + more
                messages = messages + more_messages
        except Exception as err:
            self._evict(run_id, run)
            if run is not None and isinstance(err, NondeterminismError) and fails_workflow(run.definition, err):
                await self._fail_workflow_for(task, err)
            else:
                await self._fail_task(task, err)
            return
        query_results = {query_id: self._answer(run, query) for query_id, query in task.queries.items()}
        request = rr.RespondWorkflowTaskCompletedRequest(
            task_token=task.task_token,
            commands=commands,
            identity=self._identity,
            namespace=self._namespace,
            query_results=query_results,
            messages=messages,
            force_create_new_workflow_task=force_new_task,
            # As the official SDK's core says: a speculative task (an update's) answered with
            # rejections only may be dropped even if our last commands wrote events since.
            # The next task then follows an earlier one than the run in the cache saw, and
            # the run is rebuilt from history (see _run_for).
            capabilities=rr.RespondWorkflowTaskCompletedRequest.Capabilities(
                discard_speculative_workflow_task_with_events=True
            ),
        )
        flags = run.instance.take_flags_to_record()
        if flags:
            # As the official SDK's core does, so either SDK replays the other's histories alike.
            request.sdk_metadata.core_used_flags.extend(flags)
        keep = bool(self.sticky_queue) and not run.instance.completed and not self._stopping
        if not keep and run.local_activities is not None:
            run.local_activities.cancel_all()
        if keep:
            request.sticky_attributes.CopyFrom(
                taskqueue.StickyExecutionAttributes(
                    worker_task_queue=taskqueue.TaskQueue(
                        name=self.sticky_queue,
                        kind=task_queue_pb2.TaskQueueKind.TASK_QUEUE_KIND_STICKY,
                        normal_name=self._task_queue,
                    ),
                    schedule_to_start_timeout=_duration(self._sticky_schedule_to_start),
                )
            )
        if keep:
            # Cached before the reply: the server may send the run's next task (or a
            # query) to our sticky queue before the reply call returns.
            self._cache[run_id] = run
            self._cache.move_to_end(run_id)
        eager = self.eager_activities
        reserved = await eager.request(request.commands) if eager is not None and not self._stopping else 0
        try:
            response = await self._service.RespondWorkflowTaskCompleted(request, timeout=30)
        except grpc.aio.AioRpcError as err:
            if eager is not None:
                eager.hand_over([], reserved)
            # NOT_FOUND: the task is stale (timed out, or the run closed). UnhandledCommand:
            # events arrived while we closed the run; the server retries the task with
            # them. Anything else: we cannot know what the server kept. In every case
            # a fresh replay is safe.
            expected = err.code() == grpc.StatusCode.NOT_FOUND or "UnhandledCommand" in (err.details() or "")
            logger.log(
                logging.INFO if expected else logging.WARNING,
                "completing workflow task of %s failed (%s: %s); evicting",
                task.workflow_execution.workflow_id,
                err.code().name,
                err.details(),
            )
            self._evict(run_id, run)
            return
        except BaseException:
            if eager is not None:
                eager.hand_over([], reserved)  # cancelled: the reserved slots must not leak
            raise
        if eager is not None:
            eager.hand_over(response.activity_tasks, reserved)
        if keep:
            self._trim_cache()
        else:
            self._evict(run_id, run)

    async def _run_for(self, task: rr.PollWorkflowTaskQueueResponse) -> tuple[WorkflowRun, list[history.HistoryEvent]]:
        """The run to activate and the events it has not seen yet."""
        run_id = task.workflow_execution.run_id
        events = await self._events_of(task)
        run = self._cache.get(run_id)
        if run is not None and (
            run.translator.last_started_event_id != task.previous_started_event_id
            or run.instance.completed
            or run.instance.disposed
        ):
            logger.debug("cached run %s is out of step with the server; replaying", run_id)
            self._evict(run_id)
            run = None
        if run is not None:
            self._cache.move_to_end(run_id)
            return run, [e for e in events if e.event_id > run.translator.last_event_id]
        if not events or events[0].event_id != 1:
            # A sticky task carries only new events; without the cached run we need it all.
            full = await self._full_history(task.workflow_execution)
            last = full[-1].event_id if full else 0
            events = full + [e for e in events if e.event_id > last]
        return self._new_run(task), events

    def _new_run(self, task: rr.PollWorkflowTaskQueueResponse) -> WorkflowRun:
        type_name = task.workflow_type.name
        definition = self._definitions.get(type_name) or self._dynamic
        if definition is None:
            raise WorkflowTaskError(
                f"workflow type {type_name!r} is not registered on this worker "
                f"(task queue {self._task_queue!r}); registered types: "
                f"{sorted(self._definitions)}"
            )
        instance = WorkflowInstance(  # type: ignore[abstract]
            definition,
            namespace=self._namespace,
            workflow_id=task.workflow_execution.workflow_id,
            run_id=task.workflow_execution.run_id,
            task_queue=task.workflow_execution_task_queue.name or self._task_queue,
            converter=self._converter,
            interceptor_classes=self._interceptor_classes,
        )
        return WorkflowRun(definition, instance)

    async def _events_of(self, task: rr.PollWorkflowTaskQueueResponse) -> list[history.HistoryEvent]:
        events = list(task.history.events)
        token = task.next_page_token
        while token:
            page = await self._service.GetWorkflowExecutionHistory(
                rr.GetWorkflowExecutionHistoryRequest(
                    namespace=self._namespace,
                    execution=task.workflow_execution,
                    next_page_token=token,
                ),
                timeout=30,
            )
            events.extend(page.history.events)
            token = page.next_page_token
        return events

    async def _full_history(self, execution: common.WorkflowExecution) -> list[history.HistoryEvent]:
        events: list[history.HistoryEvent] = []
        token = b""
        while True:
            page = await self._service.GetWorkflowExecutionHistory(
                rr.GetWorkflowExecutionHistoryRequest(
                    namespace=self._namespace, execution=execution, next_page_token=token
                ),
                timeout=30,
            )
            events.extend(page.history.events)
            token = page.next_page_token
            if not token:
                return events

    async def _run_local_activities(
        self, run: WorkflowRun, live: h.Activation, deadline: float
    ) -> tuple[list[command_pb.Command], list[protocol_pb.Message], bool]:
        """Run the local activities the live activation started, handing their outcomes to the
        workflow, until none runs or the workflow task must be completed to keep it alive."""
        instance = run.instance
        if run.local_activities is None:
            if not instance.local_activities.waiting_for_worker():
                return [], [], False
            if self._local_executor is None:
                self._local_executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="tempo-local-activity")
            run.local_activities = LocalActivityRunner(
                self._activities, self._converter, self._local_executor, self._interceptors
            )
        first_index = 1 if live.jobs else 0
        return await drive(
            run.local_activities, instance, live, first_index, lambda a: self._activate(run, a), deadline
        )

    async def _activate(self, run: WorkflowRun, activation: h.Activation) -> list[command_pb.Command]:
        return await activate_in_thread(self._executor, self._deadlock_timeout, run, activation)

    def _answer(self, run: WorkflowRun, query: query_pb.WorkflowQuery) -> query_pb.WorkflowQueryResult:
        try:
            payload = run.instance.query(query.query_type, list(query.query_args.payloads), dict(query.header.fields))
        except QueryError as err:
            return query_pb.WorkflowQueryResult(
                result_type=query_pb2.QueryResultType.QUERY_RESULT_TYPE_FAILED,
                error_message=str(err),
                failure=failure_pb.Failure(message=str(err)),
            )
        return query_pb.WorkflowQueryResult(
            result_type=query_pb2.QueryResultType.QUERY_RESULT_TYPE_ANSWERED,
            answer=common.Payloads(payloads=[payload]),
        )

    async def _legacy_query(self, task: rr.PollWorkflowTaskQueueResponse) -> None:
        """A query-only task: answer from the cached run, or from a throwaway replay."""
        run = self._cache.get(task.workflow_execution.run_id)
        throwaway: WorkflowRun | None = None
        try:
            if run is None:
                events = await self._events_of(task)
                if not events or events[0].event_id != 1:
                    events = await self._full_history(task.workflow_execution)
                # Not cached: the replayed run stops at the last completed task, which
                # does not fit what the next sticky task will send.
                run = throwaway = self._new_run(task)
                for activation in run.translator.feed(events):
                    check_replayed(activation, await self._activate(run, activation))
            result = self._answer(run, task.query)
            request = rr.RespondQueryTaskCompletedRequest(
                task_token=task.task_token,
                namespace=self._namespace,
                completed_type=result.result_type,
                query_result=result.answer if result.HasField("answer") else None,
                error_message=result.error_message,
                failure=result.failure if result.HasField("failure") else None,
            )
        except Exception as err:
            logger.warning("cannot answer query %r: %s", task.query.query_type, err)
            message = f"{type(err).__name__}: {err}"
            request = rr.RespondQueryTaskCompletedRequest(
                task_token=task.task_token,
                namespace=self._namespace,
                completed_type=query_pb2.QueryResultType.QUERY_RESULT_TYPE_FAILED,
                error_message=message,
                failure=failure_pb.Failure(message=message),
            )
        finally:
            if throwaway is not None:
                throwaway.instance.dispose()
        try:
            await self._service.RespondQueryTaskCompleted(request, timeout=30)
        except grpc.aio.AioRpcError as err:
            logger.warning("answering a query failed: %s: %s", err.code().name, err.details())

    async def _fail_workflow_for(self, task: rr.PollWorkflowTaskQueueResponse, err: NondeterminismError) -> None:
        """NondeterminismError is among the failure exception types: fail the workflow."""
        logger.warning("failing workflow %s: %s", task.workflow_execution.workflow_id, err)
        try:
            await self._service.RespondWorkflowTaskCompleted(
                rr.RespondWorkflowTaskCompletedRequest(
                    task_token=task.task_token,
                    commands=[nondeterminism_failure(err)],
                    identity=self._identity,
                    namespace=self._namespace,
                ),
                timeout=30,
            )
        except grpc.aio.AioRpcError as rpc_err:
            logger.warning("failing workflow %s failed: %s", task.workflow_execution.workflow_id, rpc_err.details())

    async def _fail_task(self, task: rr.PollWorkflowTaskQueueResponse, err: Exception) -> None:
        cause = (
            Cause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
            if isinstance(err, NondeterminismError)
            else Cause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE
        )
        execution = task.workflow_execution
        if task.attempt > 1:
            # Like the official SDKs: report a failure once. Reporting every retry
            # makes the server retry at once, in a hot loop that floods the history;
            # unanswered, the retry comes after the workflow task timeout instead.
            logger.debug("workflow task attempt %d of %s failed again", task.attempt, execution)
            return
        logger.error(
            "workflow task of %s (%s) failed: %s",
            execution.workflow_id,
            task.workflow_type.name,
            err,
            exc_info=not isinstance(err, NondeterminismError | DeadlockError),
        )
        root = err.__cause__ or err
        failure = failure_pb.Failure(
            message=str(err),
            source="tempo-python",
            stack_trace="".join(traceback.format_exception(root)),
            application_failure_info=failure_pb.ApplicationFailureInfo(type=type(err).__name__),
        )
        try:
            await self._service.RespondWorkflowTaskFailed(
                rr.RespondWorkflowTaskFailedRequest(
                    task_token=task.task_token,
                    cause=cause,
                    failure=failure,
                    identity=self._identity,
                    namespace=self._namespace,
                ),
                timeout=30,
            )
        except grpc.aio.AioRpcError as rpc_err:
            logger.warning("failing workflow task failed: %s", rpc_err.details())

    def _trim_cache(self) -> None:
        """Evict least recently used runs beyond the cache size, sparing runs in use."""
        idle = [run_id for run_id in self._cache if run_id not in self._locks]
        for run_id in idle[: max(0, len(self._cache) - self._max_cached)]:
            self._evict(run_id)

    def _evict(self, run_id: str, run: WorkflowRun | None = None) -> None:
        cached = self._cache.pop(run_id, None)
        for target in {id(r): r for r in (cached, run) if r is not None}.values():
            if target.local_activities is not None:
                target.local_activities.cancel_all()
            target.instance.dispose()


def _duration(value: timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(value)
    return duration
