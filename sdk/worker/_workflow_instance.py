"""One workflow run in memory: a deterministic asyncio event loop.

The instance *is* the event loop its workflow code runs on, so asyncio tasks,
futures, ``gather`` and ``sleep`` work unchanged, but nothing here touches real
time or I/O. Time is the activation's time; ``call_later`` becomes a StartTimer
command; activities become ScheduleActivityTask commands. Both are numbered
(``seq``) and resolved by later activation jobs. :meth:`WorkflowInstance.activate`
is the only way in: apply the jobs, run every ready callback until nothing can
make progress, return the commands. Live runs and replays go through the same
code; only ``is_replaying`` differs.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import inspect
import logging
import random
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, NoReturn, cast

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb
from temporalio.api.sdk.v1 import workflow_metadata_pb2
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue

from sdk._client_types import to_duration
from sdk._workflow_children import ChildWorkflowHandle
from sdk._workflow_definitions import _Definition
from sdk._workflow_handlers import RawValue, ReadOnlyContextError, UpdateInfo
from sdk._workflow_local_activities import LocalActivityOptions
from sdk._workflow_options import ActivityOptions, ChildWorkflowOptions
from sdk.common import SearchAttributeUpdate
from sdk.converter import DataConverter
from sdk.exceptions import FailureError
from sdk.worker import _history as h
from sdk.worker import _workflow_commands as commands
from sdk.worker._activity_steps import Activities
from sdk.worker._determinism import restricted
from sdk.worker._interceptor import (
    ContinueAsNewInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowOutboundInterceptor,
)
from sdk.worker._local_activities import LocalActivities, LocalActivityFuture, ResolveLocalActivity
from sdk.worker._other_workflows import OtherWorkflows
from sdk.worker._patches import Patches
from sdk.worker._updates import Handlers
from sdk.worker._workflow_interceptors import RunWorkflow, WorkflowCalls, chain, run_at_once
from sdk.worker._workflow_kinds import fails_workflow, run_arguments
from sdk.worker._workflow_loop import TimerHandle, WorkflowLoop, running
from sdk.worker._workflow_properties import WorkflowProperties, info_from_start
from sdk.workflow import METADATA_QUERY, STACK_TRACE_QUERY, ContinueAsNewError, Info, _Runtime

CommandType = command_type_pb2.CommandType
logger = logging.getLogger(__name__)

_MIN_TIMER = 0.001
"""The server rejects zero-length timers; asyncio code may ask for them."""


class WorkflowTaskError(Exception):
    """Workflow code raised something that should fail the workflow *task*, not the workflow.

    The task is retried, so a bug fixed and redeployed lets the workflow carry on.
    """


class QueryError(Exception):
    """A query could not be answered; the message goes back to the caller."""


def _hints(fn: Callable[..., Any]) -> tuple[list[Any], Any]:
    """Parameter type hints (after ``self``) and the return hint of a method."""
    try:
        annotations = inspect.get_annotations(fn, eval_str=True)
    except Exception:
        annotations = {}
    params = list(inspect.signature(fn).parameters.values())[1:]
    return [annotations.get(p.name) for p in params], annotations.get("return")


class WorkflowInstance(WorkflowLoop, _Runtime):
    """A workflow run: feed it activations, get commands back."""

    def __init__(
        self,
        definition: _Definition,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        task_queue: str,
        converter: DataConverter,
        interceptor_classes: Sequence[type[WorkflowInboundInterceptor]] = (),
    ) -> None:
        super().__init__()
        self._interceptor_classes = tuple(interceptor_classes)
        self._inbound: WorkflowInboundInterceptor = RunWorkflow(self)
        self._outbound: WorkflowOutboundInterceptor = WorkflowCalls(self)
        self._definition = definition
        self._converter = converter
        self._namespace = namespace
        self._workflow_id = workflow_id
        self._run_id = run_id
        self._task_queue = task_queue
        self._info: Info | None = None
        self._object: Any = None
        self._random = random.Random(0)
        self._replaying = False
        self._history_length = 0
        self._history_size = 0
        self._continue_as_new_suggested = False
        self._commands: list[command_pb.Command] = []
        self._next_seq = {"timer": 1, "activity": 1}
        self._timers: dict[int, TimerHandle] = {}
        self._activity_steps = Activities(self)
        self.local_activities = LocalActivities(self)
        self._conditions: list[tuple[Callable[[], bool], asyncio.Future[bool]]] = []
        self._others = OtherWorkflows(self)
        self._patches = Patches(self._add_command)
        self._properties = WorkflowProperties(converter, self._add_command)
        self._info_version = -1
        self._run_task: asyncio.Task[Any] | None = None
        self._task_failure: BaseException | None = None
        self._cancel_requested = False
        self._in_query = False
        self._read_only_who = "a query handler"
        self._handlers = Handlers(self)
        self._only_updates = False
        self._disposing = False
        self._active = False
        self.completed = False
        """True once a command closing the workflow has been produced."""
        self.disposed = False
        """True once :meth:`dispose` was called; the instance must not be used again."""

    # --- the entry points ---------------------------------------------------------------

    def activate(self, activation: h.Activation) -> list[command_pb.Command]:
        """Apply one activation's jobs, run the workflow until it blocks, return its commands.

        Raises:
            WorkflowTaskError: Workflow code failed in a way that fails the task.
            RestrictedWorkflowAccessError: Workflow code called the clock, I/O or the like.
        """
        self._active = True
        try:
            with restricted(self._definition.sandboxed):
                return self._activate(activation)
        finally:
            self._active = False

    def _activate(self, activation: h.Activation) -> list[command_pb.Command]:
        self._time = activation.time.timestamp()
        self._replaying = activation.is_replaying
        self._history_length = activation.started_event_id
        self._history_size = activation.history_size_bytes
        self._continue_as_new_suggested = activation.continue_as_new_suggested
        self._patches.begin(activation.is_replaying, activation.expected_commands, activation.core_flags)
        self._activity_steps.scheduled = activation.scheduled_activities
        self.local_activities.begin(activation.is_replaying, activation.expected_commands, activation.activation_index)
        self._commands = []
        self._task_failure = None
        self._handlers.begin_activation()
        self._only_updates = bool(activation.jobs) and all(isinstance(j, h.DoUpdate) for j in activation.jobs)
        start = next((j for j in activation.jobs if isinstance(j, h.StartWorkflow)), None)
        if start is not None:
            self._initialise(start)
        # Signals and updates go before the run method's first step and before
        # resolutions, so handlers see the state as it was when they arrived.
        for job in activation.jobs:
            if isinstance(job, h.SignalWorkflow):
                self._apply_signal(job)
            elif isinstance(job, h.DoUpdate):
                self._handlers.apply(job)
        if start is not None:
            self._start_run(start)
        for job in activation.jobs:
            if isinstance(job, h.ResolveActivity):
                self._activity_steps.apply_resolve(job)
            elif isinstance(job, ResolveLocalActivity):
                self.local_activities.apply(job)
            elif isinstance(job, h.FireTimer):
                self._apply_fire_timer(job)
            elif isinstance(job, h.CancelWorkflow):
                self._apply_cancel(job)
            elif isinstance(job, h.ResolveChildStart):
                self._others.apply_child_start(job)
            elif isinstance(job, h.ResolveChild):
                self._others.apply_child(job)
            elif isinstance(job, h.ResolveExternal):
                self._others.apply_external(job)
            elif not isinstance(job, h.StartWorkflow | h.SignalWorkflow | h.DoUpdate):
                raise WorkflowTaskError(f"unknown activation job {job!r}")
        if self._object is None:
            raise WorkflowTaskError("the first activation of a workflow must start it")
        self._run_until_blocked()
        if self._task_failure is not None:
            failure = self._task_failure
            self._task_failure = None
            raise WorkflowTaskError(f"workflow code raised {type(failure).__name__}: {failure}") from failure
        if activation.is_replaying:
            self.local_activities.check_markers_used(activation.started_event_id)
        return self._finalised_commands()

    def query(
        self, name: str, args: Sequence[common.Payload], headers: Mapping[str, common.Payload] | None = None
    ) -> common.Payload:
        """Answer a query from the current state (through the workflow's inbound interceptors).

        Raises:
            QueryError: Unknown query, bad arguments, or the handler raised.
        """
        if name == METADATA_QUERY:
            return self._converter.to_payload(self._metadata())
        if self._object is None:
            raise QueryError("the workflow has not started yet: no workflow task of it has completed")
        if name == STACK_TRACE_QUERY:
            return self._converter.to_payload(self._stack_trace())
        definition = self._definition.queries.get(name) or self._definition.dynamic_query
        if definition is None:
            known = sorted([*self._definition.queries, METADATA_QUERY, STACK_TRACE_QUERY])
            raise QueryError(
                f"workflow {self._definition.name!r} has no query handler {name!r}; known queries: {known}"
            )
        self._in_query = True
        try:
            if definition.name:
                values = self._converter.from_payloads(args, _hints(definition.fn)[0])
            else:
                values = [name, [RawValue(p) for p in args]]
            query = HandleQueryInput("", name, values, dict(headers or {}))
            with running(self), restricted(self._definition.sandboxed):
                result = run_at_once(self._inbound.handle_query(query))
            return self._converter.to_payload(result)
        except Exception as err:
            raise QueryError(f"query {name!r} failed: {type(err).__name__}: {err}") from err
        finally:
            self._in_query = False

    def dispose(self) -> None:
        """Cancel everything still running, so coroutines unwind inside this loop.

        Called when the run leaves the cache; the commands produced are discarded.
        """
        self.disposed = True
        if self._active:
            return  # stuck in another thread (a deadlock); nothing safe to do
        self._disposing = True
        tasks = [t for t in asyncio.all_tasks(self) if not t.done()]
        for task in tasks:
            task.cancel()
        try:
            self._run_until_blocked()
        except Exception:
            logger.debug("error while disposing of workflow %s", self._workflow_id, exc_info=True)
        self._commands = []

    # --- jobs -------------------------------------------------------------------------

    def _initialise(self, job: h.StartWorkflow) -> None:
        attrs = job.attributes
        original_run = attrs.original_execution_run_id or self._run_id
        self._info = info_from_start(
            attrs,
            workflow_type=job.workflow_type,
            start_time=job.start_time,
            namespace=self._namespace,
            workflow_id=self._workflow_id,
            run_id=self._run_id,
            task_queue=self._task_queue,
        )
        self._properties.start(attrs)
        # The seed must be the same on every replay of this run: derive it from the
        # run ID recorded in the start event.
        digest = hashlib.sha256(original_run.encode()).digest()
        self._random = random.Random(int.from_bytes(digest[:8], "big"))
        try:
            with running(self):
                self._object = self._definition.cls()
                self._inbound = chain(self, self._interceptor_classes)
        except Exception as err:
            raise WorkflowTaskError(
                f"creating workflow {self._definition.name!r} failed: {type(err).__name__}: {err}"
            ) from err

    def _start_run(self, job: h.StartWorkflow) -> None:
        hints, _ = _hints(self._definition.run_fn)
        try:
            args = run_arguments(self._definition, self._converter, job.args, hints)
        except Exception as err:
            raise WorkflowTaskError(
                f"cannot decode the arguments of workflow {self._definition.name!r}: {err}"
            ) from err
        assert self._info is not None
        coro = self._inbound.execute_workflow(
            ExecuteWorkflowInput(self._definition.cls, self._definition.run_fn, args, self._info.headers)
        )
        self._run_task = self.create_task(coro, name=f"workflow {self._definition.name} run")
        self._run_task.add_done_callback(self._on_run_done)

    def _apply_signal(self, job: h.SignalWorkflow) -> None:
        definition = self._definition.signals.get(job.name)
        dynamic = definition is None and self._definition.dynamic_signal is not None
        if dynamic:
            definition = self._definition.dynamic_signal
        if definition is None:
            logger.warning(
                "workflow %s (%s) has no handler for signal %r; dropped",
                self._definition.name,
                self._workflow_id,
                job.name,
            )
            return
        if dynamic:
            # A dynamic handler cannot say what each signal's arguments are: it decodes them.
            args: list[Any] = [job.name, [RawValue(p) for p in job.args]]
        else:
            try:
                args = self._converter.from_payloads(job.args, _hints(definition.fn)[0])
            except Exception as err:
                logger.warning("signal %r dropped: cannot decode its arguments: %s", job.name, err)
                return
        signal = HandleSignalInput(job.name, args, job.headers)
        task = self.create_task(self._inbound.handle_signal(signal), name=f"signal {job.name}")
        task.add_done_callback(self._on_handler_done)
        self._handlers.track_signal(task, job.name, definition.unfinished_policy)

    def _apply_fire_timer(self, job: h.FireTimer) -> None:
        handle = self._timers.pop(job.seq, None)
        if handle is not None and not handle.cancelled():
            self._ready.append(handle)

    def _apply_cancel(self, job: h.CancelWorkflow) -> None:
        self._cancel_requested = True
        if self._run_task is not None and not self._run_task.done():
            # Deferred, as the official SDK does: a run method started in this activation
            # takes its first step first, so it is inside its try block when the
            # cancellation arrives and can clean up.
            self.call_soon(self._cancel_run, job.reason or "workflow cancellation requested")

    def _cancel_run(self, reason: str) -> None:
        if self._run_task is not None and not self._run_task.done():
            self._run_task.cancel(reason)

    # --- outcomes ---------------------------------------------------------------------

    def _on_run_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            if self._cancel_requested:
                self._close(commands.cancel_workflow())
            else:
                self._task_failure = RuntimeError("the workflow's run task was cancelled")
            return
        exc = task.exception()
        if exc is None:
            try:
                payloads = self._converter.to_payloads([task.result()])
            except Exception as err:
                self._task_failure = TypeError(f"cannot serialise the workflow result: {err}")
                return
            self._close(commands.complete_workflow(payloads))
        elif isinstance(exc, ContinueAsNewError):
            self._continue_as_new(exc)
        elif self._cancel_requested and commands.is_cancellation(exc):
            # The workflow let its cancellation (or a step's, caused by it) propagate.
            self._close(commands.cancel_workflow())
        else:
            self._fail_workflow_or_task(exc)

    def _on_handler_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled() or self.completed:
            return
        exc = task.exception()
        if exc is None:
            return
        # A deliberate failure from a signal handler fails the workflow, like the official
        # SDKs do.
        self._fail_workflow_or_task(exc)

    def _fail_workflow_or_task(self, exc: BaseException) -> None:
        """A failure error (or one of the failure exception types) fails the workflow; any
        other exception fails the workflow task, which is retried."""
        if isinstance(exc, FailureError) or fails_workflow(self._definition, exc):
            self._close(commands.fail_workflow(self._converter.to_failure(exc)))
        else:
            self._task_failure = exc

    def _continue_as_new(self, exc: ContinueAsNewError) -> None:
        try:
            payloads = self._converter.to_payloads(exc.input_args)
        except Exception as err:
            self._task_failure = TypeError(f"cannot serialise continue-as-new arguments: {err}")
            return
        attrs = command_pb.ContinueAsNewWorkflowExecutionCommandAttributes(
            workflow_type=common.WorkflowType(
                name=exc.workflow or self._definition.name or self.workflow_info().workflow_type
            ),
            task_queue=taskqueue.TaskQueue(name=exc.task_queue or self._task_queue),
            input=common.Payloads(payloads=payloads),
            workflow_run_timeout=to_duration(exc.run_timeout),
            workflow_task_timeout=to_duration(exc.task_timeout),
            header=common.Header(fields=exc.headers) if exc.headers else None,
        )
        self._close(commands.continue_as_new(attrs))

    def _close(self, command: command_pb.Command) -> None:
        if self.completed:
            return
        self.completed = True
        self._commands.append(command)

    def _finalised_commands(self) -> list[command_pb.Command]:
        produced = self._commands
        self._commands = []
        if self.completed:
            # The close command must be the last one the server sees.
            produced, closing = commands.close_last(produced)
            if closing and not self._replaying:
                self._handlers.warn_unfinished()
        self._others.number(produced)
        return produced

    # --- the loop ---------------------------------------------------------------------

    def _run_until_blocked(self) -> None:
        """Run ready callbacks, then re-check conditions, until nothing can progress.

        The loop is made the thread's *running* loop (asyncio's private setter, as
        the official SDK does) so ``asyncio.get_running_loop()`` in workflow code,
        and so :class:`_Runtime` lookup, find this instance. The caller's running
        loop, if any, is restored afterwards.
        """
        with running(self):
            while True:
                while self._ready:
                    handle = self._ready.popleft()
                    if not handle._cancelled:  # type: ignore[attr-defined]
                        handle._run()  # type: ignore[attr-defined]
                    if self._task_failure is not None and not self._disposing:
                        return
                if self._handlers.may_check_conditions(self._only_updates) and self._check_conditions():
                    continue
                # Outcomes replayed from markers arrive when a live run would have had them.
                if not self.local_activities.flush_deferred():
                    return

    def _check_conditions(self) -> bool:
        progressed = False
        for entry in list(self._conditions):
            fn, future = entry
            if future.done():
                self._conditions.remove(entry)
                continue
            try:
                satisfied = fn()
            except Exception as err:
                self._conditions.remove(entry)
                future.set_exception(err)
                progressed = True
                continue
            if satisfied:
                self._conditions.remove(entry)
                future.set_result(True)
                progressed = True
        return progressed

    def _cancel_timer(self, seq: int) -> None:
        if self._timers.pop(seq, None) is None or self._disposing:
            return  # already fired
        if self._drop_unsent(CommandType.COMMAND_TYPE_START_TIMER, str(seq)):
            return
        self._commands.append(
            command_pb.Command(
                command_type=CommandType.COMMAND_TYPE_CANCEL_TIMER,
                cancel_timer_command_attributes=command_pb.CancelTimerCommandAttributes(timer_id=str(seq)),
            )
        )

    def _drop_unsent(self, command_type: int, id_: str) -> bool:
        """Remove a command created in this activation; True if there was one."""
        for index, command in enumerate(self._commands):
            if command.command_type != command_type:
                continue
            if command_type == CommandType.COMMAND_TYPE_START_TIMER:
                found = command.start_timer_command_attributes.timer_id == id_
            else:
                found = command.schedule_activity_task_command_attributes.activity_id == id_
            if found:
                del self._commands[index]
                return True
        return False

    def _seq(self, kind: str) -> int:
        seq = self._next_seq[kind]
        self._next_seq[kind] = seq + 1
        return seq

    def _no_commands_in_queries(self, what: str) -> None:
        if self._in_query:
            raise ReadOnlyContextError(f"{self._read_only_who} cannot {what}; it must only read state")

    # --- _Runtime ---------------------------------------------------------------------

    def workflow_info(self) -> Info:
        return self._outbound.info()

    def _current_info(self) -> Info:
        if self._info is None:
            raise RuntimeError("workflow not started")
        if self._info.history_length != self._history_length:
            self._info = _replace(self._info, history_length=self._history_length)
        if self._info_version != self._properties.version:
            self._info = _replace(
                self._info,
                search_attributes=self._properties.untyped_search_attributes(),
                typed_search_attributes=self._properties.typed_search_attributes(),
                raw_memo=self._properties.raw_memo(),
            )
            self._info_version = self._properties.version
        return self._info

    def workflow_history_length(self) -> int:
        return self._history_length

    def workflow_history_size(self) -> int:
        return self._history_size

    def workflow_continue_as_new_suggested(self) -> bool:
        return self._continue_as_new_suggested

    def workflow_patch(self, patch_id: str, *, deprecated: bool) -> bool:
        self._no_commands_in_queries("use patches")
        return self._patches.patch(patch_id, deprecated)

    def workflow_upsert_search_attributes(self, updates: Sequence[SearchAttributeUpdate[Any]]) -> None:
        self._no_commands_in_queries("upsert search attributes")
        self._properties.upsert_search_attributes(updates)

    def workflow_upsert_memo(self, updates: Mapping[str, Any]) -> None:
        self._no_commands_in_queries("upsert the memo")
        self._properties.upsert_memo(updates)

    def workflow_memo_keys(self) -> list[str]:
        return self._properties.memo_keys()

    def workflow_memo_value(self, key: str, type_hint: Any) -> Any:
        return self._properties.memo_value(key, type_hint)

    def workflow_last_completion_result(self, type_hint: Any) -> tuple[bool, Any]:
        return self._properties.last_completion_result(type_hint)

    def workflow_last_failure(self) -> BaseException | None:
        return self._properties.last_failure()

    def take_flags_to_record(self) -> list[int]:
        """Internal flags this workflow task used first, for its completion (and then forgotten)."""
        flags, self._patches.flags_to_record = self._patches.flags_to_record, []
        return flags

    def _add_command(self, command: command_pb.Command) -> None:
        self._commands.append(command)

    def workflow_now(self) -> datetime:
        return datetime.fromtimestamp(self._time, tz=UTC)

    def workflow_random(self) -> random.Random:
        return self._random

    def workflow_is_replaying(self) -> bool:
        return self._replaying

    def workflow_start_activity(
        self, activity: str, args: Sequence[Any], options: ActivityOptions, result_type: Any
    ) -> asyncio.Future[Any]:
        future = self._outbound.start_activity(StartActivityInput(activity, args, options, {}, result_type))
        return cast(asyncio.Future[Any], future)

    def workflow_start_local_activity(
        self, activity: str, args: Sequence[Any], options: LocalActivityOptions, result_type: Any
    ) -> LocalActivityFuture:
        future = self._outbound.start_local_activity(StartLocalActivityInput(activity, args, options, {}, result_type))
        return cast(LocalActivityFuture, future)

    async def workflow_start_child_workflow(
        self, workflow: str, args: Sequence[Any], options: ChildWorkflowOptions, result_type: Any
    ) -> ChildWorkflowHandle:
        start = StartChildWorkflowInput(workflow, args, options, {}, result_type)
        return await self._outbound.start_child_workflow(start)

    def workflow_cancel_child(self, handle: ChildWorkflowHandle, msg: Any) -> bool:
        return self._others.cancel_child(handle, msg)

    async def workflow_signal_external(
        self, workflow_id: str, run_id: str | None, child_only: bool, signal: str, args: Sequence[Any]
    ) -> None:
        if child_only:
            await self._outbound.signal_child_workflow(SignalChildWorkflowInput(signal, args, workflow_id, {}))
        else:
            await self._outbound.signal_external_workflow(
                SignalExternalWorkflowInput(signal, args, self._namespace, workflow_id, run_id, {})
            )

    def workflow_continue_as_new(self, error: ContinueAsNewError) -> NoReturn:
        self._outbound.continue_as_new(
            ContinueAsNewInput(
                error.workflow, error.input_args, error.task_queue, error.run_timeout, error.task_timeout, error.headers
            )
        )

    async def workflow_cancel_external(self, workflow_id: str, run_id: str | None, reason: str) -> None:
        await self._others.cancel_external(workflow_id, run_id, reason)

    def workflow_all_handlers_finished(self) -> bool:
        return self._handlers.all_finished()

    def workflow_current_update_info(self) -> UpdateInfo | None:
        return self._handlers.current_update()

    def workflow_payload_converter(self) -> Any:
        return self._converter

    def take_messages(self) -> list[protocol_pb.Message]:
        """The protocol messages (update answers) of the last activation."""
        return self._handlers.take_messages()

    async def workflow_wait_condition(self, fn: Callable[[], bool], timeout: float | None) -> None:
        if fn():
            return
        future: asyncio.Future[bool] = self.create_future()
        self._conditions.append((fn, future))
        if timeout is None:
            await future
            return
        timer = self.call_later(timeout, _time_out, future)
        try:
            await future
        finally:
            timer.cancel()

    # --- asyncio.AbstractEventLoop (the rest is WorkflowLoop's) ---------------------------

    def call_later(  # type: ignore[override]
        self,
        delay: float,
        callback: Callable[..., Any],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        self._no_commands_in_queries("start timers")
        delay = max(delay, _MIN_TIMER)
        seq = self._seq("timer")
        self._commands.append(
            command_pb.Command(
                command_type=CommandType.COMMAND_TYPE_START_TIMER,
                start_timer_command_attributes=command_pb.StartTimerCommandAttributes(
                    timer_id=str(seq), start_to_fire_timeout=to_duration(timedelta(seconds=delay))
                ),
            )
        )
        handle = TimerHandle(seq, self._time + delay, callback, args, self, context)
        self._timers[seq] = handle
        return handle

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        if self._disposing:
            return  # leftovers of an evicted run, e.g. tasks garbage-collected while waiting
        exc = context.get("exception")
        if exc is None or "task" in context or "future" in context:
            # "Task exception was never retrieved" and the like come from garbage
            # collection, at no deterministic moment: report, never act on them.
            logger.warning("workflow %s event loop: %s", self._workflow_id, context.get("message"), exc_info=exc)
        elif self._task_failure is None:
            # A plain callback raised while the loop ran it: fail the task with it.
            self._task_failure = exc

    # --- built-in queries ---------------------------------------------------------------

    def _metadata(self) -> workflow_metadata_pb2.WorkflowMetadata:
        definition = workflow_metadata_pb2.WorkflowDefinition(
            type=self._definition.name,
            query_definitions=[
                workflow_metadata_pb2.WorkflowInteractionDefinition(name=name, description=_first_line(q.fn))
                for name, q in sorted(self._definition.queries.items())
            ],
            signal_definitions=[
                workflow_metadata_pb2.WorkflowInteractionDefinition(name=name, description=_first_line(s.fn))
                for name, s in sorted(self._definition.signals.items())
            ],
            update_definitions=[
                workflow_metadata_pb2.WorkflowInteractionDefinition(name=name, description=_first_line(u.fn))
                for name, u in sorted(self._definition.updates.items())
            ],
        )
        return workflow_metadata_pb2.WorkflowMetadata(definition=definition)

    def _stack_trace(self) -> str:
        stacks = []
        for task in asyncio.all_tasks(self):
            # The whole chain of awaits (interceptors, then the workflow's own code), outermost first.
            frames = _awaited_frames(task.get_coro())
            lines = traceback.format_list(traceback.StackSummary.extract((f, f.f_lineno) for f in frames))
            stacks.append(f"{task.get_name()}:\n" + "".join(lines))
        return "\n".join(stacks)


def _awaited_frames(coro: Any) -> list[FrameType]:
    """The frames of a suspended coroutine and of each coroutine it awaits, down to the last."""
    frames = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return frames


def _time_out(future: asyncio.Future[bool]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def _first_line(fn: Callable[..., Any]) -> str:
    doc = inspect.getdoc(fn) or ""
    return doc.splitlines()[0] if doc else ""


def _replace(info: Info, **changes: Any) -> Info:
    import dataclasses

    return dataclasses.replace(info, **changes)
