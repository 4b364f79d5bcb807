"""A workflow instance's steps that involve other workflows: child workflows, signals to
other workflows and requests to cancel them.

Each step is a command whose number (per kind) is given when the command is sent, in
the order the server will record their initiated events; :mod:`_history_children`
numbers those events the same way, so the jobs that resolve the steps find them. A
command dropped before it was sent (its step cancelled in the same activation) gets
no number. Commands and the exceptions workflow code sees are those of the official
SDK.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, failed_cause_pb2
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue

from sdk._client_types import RetryPolicy, to_duration
from sdk._workflow_children import ChildWorkflowHandle
from sdk._workflow_options import ChildWorkflowCancellationType, ChildWorkflowOptions
from sdk.exceptions import ApplicationError, WorkflowAlreadyStartedError
from sdk.worker import _history_children as hc

if TYPE_CHECKING:
    from sdk.worker._workflow_instance import WorkflowInstance

CommandType = command_type_pb2.CommandType
StartFailedCause = failed_cause_pb2.StartChildWorkflowExecutionFailedCause


def _retry_policy(policy: RetryPolicy | None) -> common.RetryPolicy | None:
    """The policy as the official SDK sends it for a child: an unset maximum interval is
    100 initial intervals (the server's default, which the real server also records)."""
    if policy is None:
        return None
    proto = policy.to_proto()
    if policy.maximum_interval is None:
        proto.maximum_interval.FromTimedelta(policy.initial_interval * 100)
    return proto


@dataclass(eq=False)  # steps are compared by identity
class _Child:
    handle: ChildWorkflowHandle
    workflow_type: str
    result_type: Any
    start: asyncio.Future[None]
    seq: int = 0
    run_id: str = ""
    cancel_requested: bool = False


@dataclass(eq=False)  # steps are compared by identity
class _External:
    kind: str
    future: asyncio.Future[None]
    child: _Child | None = None
    """For a request to cancel a child: the child it is for."""
    seq: int = 0


@dataclass(eq=False)  # steps are compared by identity
class _Unsent:
    command: command_pb.Command
    step: _Child | _External


@dataclass
class OtherWorkflows:
    """The child workflows, signals and cancel requests of one workflow instance."""

    instance: WorkflowInstance
    _unsent: list[_Unsent] = field(default_factory=list)
    _next: dict[str, int] = field(default_factory=lambda: dict.fromkeys(hc.KINDS, 1))
    _children: dict[int, _Child] = field(default_factory=dict)
    _signals: dict[int, _External] = field(default_factory=dict)
    _cancels: dict[int, _External] = field(default_factory=dict)
    _by_handle: dict[int, _Child] = field(default_factory=dict)

    # --- sending -----------------------------------------------------------------------

    def number(self, commands: Sequence[command_pb.Command]) -> None:
        """Give each step whose command is being sent its number, in the order sent."""
        unsent, self._unsent = self._unsent, []
        for command in commands:
            step = next((u.step for u in unsent if u.command is command), None)
            if step is None:
                continue
            kind = step.kind if isinstance(step, _External) else hc.CHILD
            step.seq = self._next[kind]
            self._next[kind] += 1
            if isinstance(step, _Child):
                self._children[step.seq] = step
            elif kind == hc.SIGNAL:
                self._signals[step.seq] = step
            else:
                self._cancels[step.seq] = step

    def _send(self, command: command_pb.Command, step: _Child | _External) -> None:
        self.instance._commands.append(command)
        self._unsent.append(_Unsent(command, step))

    def _drop_unsent(self, step: _Child | _External) -> bool:
        for entry in self._unsent:
            if entry.step is step:
                self._unsent.remove(entry)
                commands = self.instance._commands
                # By identity: another step may have sent an equal command (the same signal twice).
                del commands[next(i for i, c in enumerate(commands) if c is entry.command)]
                return True
        return False

    def _payloads(self, args: Sequence[Any], what: str) -> common.Payloads:
        payloads = []
        for index, arg in enumerate(args):
            try:
                payloads.append(self.instance._converter.to_payload(arg))
            except Exception as err:
                raise TypeError(f"argument {index} of {what}: {err}") from err
        return common.Payloads(payloads=payloads)

    # --- child workflows ----------------------------------------------------------------

    async def start_child(
        self,
        workflow: str,
        args: Sequence[Any],
        options: ChildWorkflowOptions,
        result_type: Any,
        headers: Mapping[str, common.Payload] | None = None,
    ) -> ChildWorkflowHandle:
        instance = self.instance
        instance._no_commands_in_queries("start child workflows")
        converter = instance._converter
        attrs = command_pb.StartChildWorkflowExecutionCommandAttributes(
            namespace=instance._namespace,
            workflow_id=options.id,
            workflow_type=common.WorkflowType(name=workflow),
            task_queue=taskqueue.TaskQueue(name=options.task_queue or instance._task_queue),
            input=self._payloads(args, f"child workflow {workflow!r}"),
            workflow_execution_timeout=to_duration(options.execution_timeout),
            workflow_run_timeout=to_duration(options.run_timeout),
            workflow_task_timeout=to_duration(options.task_timeout),
            parent_close_policy=int(options.parent_close_policy),  # type: ignore[arg-type]
            workflow_id_reuse_policy=int(options.id_reuse_policy),  # type: ignore[arg-type]
            retry_policy=_retry_policy(options.retry_policy),
            cron_schedule=options.cron_schedule,
            header=common.Header(fields=dict(headers or {})),
            # Like the official SDKs: a child on the parent's task queue runs on the parent's
            # worker build; the server refuses that for a child on another task queue.
            inherit_build_id=not options.task_queue or options.task_queue == instance._task_queue,
            priority=common.Priority(),
        )
        if options.memo:
            attrs.memo.CopyFrom(common.Memo(fields={k: converter.to_payload(v) for k, v in options.memo.items()}))
        if options.search_attributes:
            fields = {k: converter.to_payload(v) for k, v in options.search_attributes.items()}
            attrs.search_attributes.CopyFrom(common.SearchAttributes(indexed_fields=fields))
        handle = ChildWorkflowHandle(options.id, options.cancellation_type, instance)
        child = _Child(handle, workflow, result_type, instance.create_future())
        self._by_handle[id(handle)] = child
        self._send(
            command_pb.Command(
                command_type=CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
                start_child_workflow_execution_command_attributes=attrs,
            ),
            child,
        )
        try:
            await child.start
        except asyncio.CancelledError:
            # Cancelled while starting: unsent, it is never sent; else it is cancelled once started.
            child.cancel_requested = True
            if self._drop_unsent(child):
                handle._cancel_now()
            raise
        return handle

    def cancel_child(self, handle: ChildWorkflowHandle, msg: Any) -> bool:
        child = self._by_handle.get(id(handle))
        if child is None or self.instance._disposing:
            return handle._cancel_now(msg)
        if child.cancel_requested:
            return True
        child.cancel_requested = True
        if not child.start.done():
            if self._drop_unsent(child):
                child.start.cancel(msg)
                handle._cancel_now(msg)
            return True  # initiated: the cancellation goes out once the child has started
        if child.run_id:
            self._cancel_started(child)
        return True

    def _cancel_started(self, child: _Child) -> None:
        kind = child.handle.cancellation_type
        if kind != ChildWorkflowCancellationType.ABANDON:
            attrs = command_pb.RequestCancelExternalWorkflowExecutionCommandAttributes(
                namespace=self.instance._namespace,
                workflow_id=child.handle.id,
                run_id=child.run_id,
                child_workflow_only=True,
            )
            request = _External(hc.CANCEL, self.instance.create_future(), child=child)
            self._send(
                command_pb.Command(
                    command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
                    request_cancel_external_workflow_execution_command_attributes=attrs,
                ),
                request,
            )
        if kind in (ChildWorkflowCancellationType.ABANDON, ChildWorkflowCancellationType.TRY_CANCEL):
            self._resolve_cancelled(child)

    def _resolve_cancelled(self, child: _Child) -> None:
        if child.handle.done():
            return
        failure = hc.child_failure(
            "Child Workflow execution cancelled",
            hc.cancelled_cause(),
            namespace=self.instance._namespace,
            workflow_id=child.handle.id,
            run_id=child.run_id,
            workflow_type=child.workflow_type,
            initiated_event_id=0,
            started_event_id=0,
        )
        child.handle.set_exception(self.instance._converter.from_failure(failure))

    def apply_child_start(self, job: hc.ResolveChildStart) -> None:
        child = self._children.get(job.seq)
        if child is None:
            return
        if job.run_id:
            child.run_id = job.run_id
            child.handle._first_execution_run_id = job.run_id
            if not child.start.done():
                child.start.set_result(None)
            if child.cancel_requested:
                self._cancel_started(child)
            return
        if child.start.done():
            child.handle._cancel_now()
            return
        workflow_id = child.handle.id
        if job.failed_cause == StartFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS:
            error: Exception = WorkflowAlreadyStartedError(workflow_id, "", "Workflow execution already started")
        else:
            name = StartFailedCause.Name(job.failed_cause) if job.failed_cause > 0 else "unknown cause"  # type: ignore[arg-type]
            error = ApplicationError(f"child workflow {workflow_id!r} could not start: {name}", type=name)
        child.start.set_exception(error)
        child.handle._cancel_now()

    def apply_child(self, job: hc.ResolveChild) -> None:
        child = self._children.get(job.seq)
        if child is None or child.handle.done():
            return  # abandoned or cancelled without waiting
        converter = self.instance._converter
        if job.failure is not None:
            child.handle.set_exception(converter.from_failure(job.failure))
            return
        try:
            values = converter.from_payloads(job.result or [], [child.result_type])
        except Exception as err:
            child.handle.set_exception(err)
            return
        child.handle.set_result(values[0] if values else None)

    # --- other workflows ---------------------------------------------------------------

    async def signal(
        self,
        workflow_id: str,
        run_id: str | None,
        child_only: bool,
        signal: str,
        args: Sequence[Any],
        headers: Mapping[str, common.Payload] | None = None,
    ) -> None:
        instance = self.instance
        instance._no_commands_in_queries("signal other workflows")
        attrs = command_pb.SignalExternalWorkflowExecutionCommandAttributes(
            namespace=instance._namespace,
            execution=common.WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""),
            signal_name=signal,
            input=self._payloads(args, f"signal {signal!r}"),
            child_workflow_only=child_only,
            header=common.Header(fields=dict(headers)) if headers else None,
        )
        step = _External(hc.SIGNAL, instance.create_future())
        self._send(
            command_pb.Command(
                command_type=CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
                signal_external_workflow_execution_command_attributes=attrs,
            ),
            step,
        )
        await self._wait(step)

    async def cancel_external(self, workflow_id: str, run_id: str | None, reason: str) -> None:
        instance = self.instance
        instance._no_commands_in_queries("cancel other workflows")
        # The official SDK names the requester in the reason; the target sees it in its history.
        requester = f"Cancel requested by workflow with run id {instance._run_id} with reason: {reason}"
        attrs = command_pb.RequestCancelExternalWorkflowExecutionCommandAttributes(
            namespace=instance._namespace, workflow_id=workflow_id, run_id=run_id or "", reason=requester
        )
        step = _External(hc.CANCEL, instance.create_future())
        self._send(
            command_pb.Command(
                command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
                request_cancel_external_workflow_execution_command_attributes=attrs,
            ),
            step,
        )
        await self._wait(step)

    async def _wait(self, step: _External) -> None:
        try:
            await step.future
        except asyncio.CancelledError:
            self._drop_unsent(step)  # sent already: the server carries it out, we stop waiting
            raise

    def apply_external(self, job: hc.ResolveExternal) -> None:
        table = self._signals if job.kind == hc.SIGNAL else self._cancels
        step = table.pop(job.seq, None)
        if step is None:
            return
        if step.child is not None:
            # A request to cancel a child. WAIT_CANCELLATION_REQUESTED could stop waiting
            # here, but the official SDK (1.35) waits for the child to close, on both
            # servers; so do we, or histories would not replay across the SDKs.
            return
        if step.future.done():
            return
        if job.failure is not None:
            step.future.set_exception(self.instance._converter.from_failure(job.failure))
        else:
            step.future.set_result(None)
