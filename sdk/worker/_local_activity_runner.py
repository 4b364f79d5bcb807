"""Run a workflow's local activities in the worker, and hold its workflow task meanwhile.

The worker runs a local activity as soon as the workflow starts it, in its own event loop
(``async`` activities) or a thread (plain functions), with the retries and timeouts the
workflow gave: a backoff up to ``local_retry_threshold`` is slept here, a longer one goes
back to the workflow, which waits on a timer. Each outcome is handed to the workflow in a new
activation of the same workflow task; the task is completed once no local activity runs.
As in the official SDKs' core, a task that would otherwise time out is completed at 80% of
the workflow task timeout with ``force_create_new_workflow_task``, the activities running on:
the server hands out a new task at once, and the outcomes go to that one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.enums.v1 import workflow_pb2 as workflow_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb

from sdk import activity
from sdk._client_types import RetryPolicy
from sdk._workflow_local_activities import DEFAULT_LOCAL_RETRY_THRESHOLD
from sdk.converter import DataConverter
from sdk.exceptions import ApplicationError
from sdk.worker import _history as h
from sdk.worker._activity_interceptors import intercepted
from sdk.worker._interceptor import ExecuteActivityInput, Interceptor
from sdk.worker._local_activities import LocalActivityRequest, ResolveLocalActivity, cancelled_failure

logger = logging.getLogger("sdk.worker")

HEARTBEAT_FRACTION = 0.8
"""Share of the workflow task timeout after which a task waiting on local activities is
completed with a request for a new one (the core's figure)."""

TimeoutType = workflow_enums.TimeoutType


def _timeout_failure(kind: int) -> failure_pb.Failure:
    return failure_pb.Failure(
        message="Activity timed out",
        timeout_failure_info=failure_pb.TimeoutFailureInfo(timeout_type=kind),  # type: ignore[arg-type]
    )


def next_backoff(policy: RetryPolicy, attempt: int, failure: failure_pb.Failure) -> timedelta | None:
    """The delay before attempt ``attempt + 1``; None when the policy allows no more."""
    info = failure.application_failure_info if failure.HasField("application_failure_info") else None
    if info is not None and (info.non_retryable or info.type in policy.non_retryable_error_types):
        return None
    if policy.maximum_attempts and attempt >= policy.maximum_attempts:
        return None
    interval = policy.initial_interval.total_seconds() * policy.backoff_coefficient ** (attempt - 1)
    cap = (policy.maximum_interval or policy.initial_interval * 100).total_seconds()
    return timedelta(seconds=min(interval, cap))


class LocalActivityRunner:
    """The local activities of one workflow run that are running in this worker."""

    def __init__(
        self,
        definitions: Mapping[str, activity._Definition],
        converter: DataConverter,
        executor: concurrent.futures.Executor,
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        self._definitions = definitions
        self._interceptors = tuple(interceptors)
        self._converter = converter
        self._executor = executor
        self._tasks: dict[int, asyncio.Task[ResolveLocalActivity]] = {}
        self._cancelled: set[int] = set()

    def start(self, requests: Iterable[LocalActivityRequest]) -> None:
        for request in requests:
            self._tasks[request.seq] = asyncio.create_task(self._run(request), name=f"local activity {request.seq}")

    def cancel(self, seqs: Iterable[int]) -> None:
        """Cancel running attempts the workflow cancelled; each reports a cancelled outcome."""
        for seq in seqs:
            task = self._tasks.get(seq)
            if task is not None and not task.done():
                self._cancelled.add(seq)
                task.cancel()

    def cancel_all(self) -> None:
        """The run left the worker: stop everything, nothing is reported."""
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

    def busy(self) -> bool:
        """Whether an outcome is still to be handed to the workflow."""
        return bool(self._tasks)

    async def next_outcomes(self, timeout: float) -> list[ResolveLocalActivity]:
        """The outcomes ready now, or the first ones within ``timeout`` s; [] if none came."""
        if not any(t.done() for t in self._tasks.values()):
            await asyncio.wait(list(self._tasks.values()), timeout=max(timeout, 0), return_when="FIRST_COMPLETED")
        jobs = []
        for seq, task in sorted(self._tasks.items()):
            if task.done():
                del self._tasks[seq]
                jobs.append(task.result())
        return jobs

    # --- one local activity ------------------------------------------------------------

    async def _run(self, request: LocalActivityRequest) -> ResolveLocalActivity:
        started = time.monotonic()
        try:
            return await self._attempts(request, started)
        except asyncio.CancelledError:
            if request.seq not in self._cancelled:
                raise
            return ResolveLocalActivity(
                seq=request.seq,
                outcome="cancelled",
                attempt=request.attempt,
                failure=cancelled_failure(),
                runtime=timedelta(seconds=time.monotonic() - started),
            )

    async def _attempts(self, request: LocalActivityRequest, started: float) -> ResolveLocalActivity:
        options = request.options
        policy = options.retry_policy or RetryPolicy()
        threshold = options.local_retry_threshold or DEFAULT_LOCAL_RETRY_THRESHOLD
        # The whole-activity deadline counts from the first attempt's schedule time.
        deadline: float | None = None
        if options.schedule_to_close_timeout is not None:
            elapsed = (datetime.now(UTC) - request.original_schedule_time).total_seconds()
            deadline = started + options.schedule_to_close_timeout.total_seconds() - elapsed
        attempt = request.attempt

        def outcome(kind: Any, **fields: Any) -> ResolveLocalActivity:
            return ResolveLocalActivity(
                seq=request.seq,
                outcome=kind,
                attempt=attempt,
                runtime=timedelta(seconds=time.monotonic() - started),
                **fields,
            )

        while True:
            limit = options.start_to_close_timeout.total_seconds() if options.start_to_close_timeout else None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if limit is None or remaining < limit:
                    limit = remaining
            try:
                result = await asyncio.wait_for(self._attempt(request, attempt), timeout=limit)
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    return outcome("timed_out", failure=_timeout_failure(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE))
                failure = _timeout_failure(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE)
                final_kind = "timed_out"
            except asyncio.CancelledError:
                raise
            except Exception as err:
                failure = self._converter.to_failure(err)
                final_kind = "failed"
            else:
                try:
                    payload = self._converter.to_payload(result)
                except Exception as err:
                    error = ApplicationError(
                        f"cannot serialise the result of local activity {request.activity_type!r}: {err}",
                        type="EncodeError",
                        non_retryable=True,
                    )
                    return outcome("failed", failure=self._converter.to_failure(error))
                return outcome("completed", result=payload)
            backoff = next_backoff(policy, attempt, failure)
            if backoff is not None and deadline is not None and time.monotonic() + backoff.total_seconds() > deadline:
                backoff = None
            if backoff is None:
                return outcome(final_kind, failure=failure)
            if backoff > threshold:
                return outcome(final_kind, failure=failure, backoff=backoff)
            await asyncio.sleep(backoff.total_seconds())
            attempt += 1

    async def _attempt(self, request: LocalActivityRequest, attempt: int) -> Any:
        definition = self._definitions.get(request.activity_type)
        if definition is None:
            raise ApplicationError(
                f"local activity type {request.activity_type!r} is not registered on this worker; "
                f"registered: {sorted(self._definitions)}",
                type="NotFoundError",
            )
        try:
            args = self._converter.from_payloads(list(request.args), _hints(definition.fn))
        except Exception as err:
            raise ApplicationError(
                f"cannot decode the arguments of local activity {definition.name!r}: {err}",
                type="DecodeError",
                non_retryable=True,
            ) from err
        options = request.options
        info = activity.Info(
            activity_id=request.activity_id,
            activity_type=request.activity_type,
            attempt=attempt,
            task_queue=request.task_queue,
            task_token=b"",
            workflow_id=request.workflow_id,
            workflow_run_id=request.run_id,
            workflow_type=request.workflow_type,
            workflow_namespace=request.namespace,
            heartbeat_details=[],
            heartbeat_timeout=None,
            start_to_close_timeout=options.start_to_close_timeout,
            schedule_to_close_timeout=options.schedule_to_close_timeout,
            scheduled_time=request.original_schedule_time,
            started_time=datetime.now(UTC),
        )
        cancelled = False
        # Local activities have no server to heartbeat to: heartbeats are accepted and dropped.
        context = activity._Context(info, lambda details: None, lambda: cancelled)
        ctx = contextvars.copy_context()
        ctx.run(activity._CURRENT.set, context)

        def run_sync(fn: Callable[..., Any], args: Sequence[Any]) -> Awaitable[Any]:
            # A copy of the context the interceptors set (spans, say), for the thread.
            thread_context = contextvars.copy_context()
            return asyncio.get_running_loop().run_in_executor(self._executor, thread_context.run, fn, *args)

        inbound = ctx.run(intercepted, self._interceptors, context, run_sync)
        execute = ExecuteActivityInput(definition.fn, args, self._executor, request.headers)
        try:
            return await asyncio.create_task(inbound.execute_activity(execute), context=ctx)
        except asyncio.CancelledError:
            cancelled = True
            raise


def _hints(fn: Callable[..., Any]) -> list[Any]:
    from sdk.worker._activity_worker import _parameter_hints

    return _parameter_hints(fn)


async def drive(
    runner: LocalActivityRunner,
    instance: Any,
    live: h.Activation,
    first_index: int,
    activate: Callable[[h.Activation], Awaitable[list[command_pb.Command]]],
    deadline: float,
) -> tuple[list[command_pb.Command], list[protocol_pb.Message], bool]:
    """Run the workflow's local activities and hand their outcomes to it until none is left
    (or the workflow closed), or until ``deadline`` (loop time).

    Returns:
        The commands and messages of the activations it ran, and whether the deadline came
        first (then the task must be completed asking for a new one).
    """
    commands: list[command_pb.Command] = []
    messages: list[protocol_pb.Message] = []
    index = first_index
    loop = asyncio.get_running_loop()
    while not instance.completed:
        runner.cancel(instance.local_activities.take_cancels())
        runner.start(instance.local_activities.take_requests())
        if not runner.busy():
            break
        jobs = await runner.next_outcomes(deadline - loop.time())
        if not jobs:
            return commands, messages, True
        activation = replace(live, jobs=list(jobs), is_replaying=False, expected_commands=None, activation_index=index)
        index += 1
        commands.extend(await activate(activation))
        messages.extend(instance.take_messages())
    if instance.completed:
        runner.cancel_all()
    return commands, messages, False
