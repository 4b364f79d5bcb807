"""Signal and update handlers inside a workflow instance: running updates (validator,
acceptance, handler, answer), keeping count of the handlers still running, and warning
when the workflow finishes while some are.

An update runs as a task of the workflow's loop, like an ``async`` signal handler. At its
first step the validator (live tasks only: on replay the history already says it was
accepted) accepts the update or refuses it by raising; accepted, the handler runs and its
return value, or its ``FailureError``, is the answer. Any other exception from the handler
fails the workflow task, as in the official SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb
from temporalio.api.update.v1 import message_pb2 as update_pb

from sdk._workflow_handlers import (
    HandlerUnfinishedPolicy,
    RawValue,
    ReadOnlyContextError,
    UnfinishedSignalHandlersWarning,
    UnfinishedUpdateHandlersWarning,
    UpdateInfo,
    _UpdateDefinition,
)
from sdk.exceptions import CancelledError, FailureError
from sdk.worker._history_updates import DoUpdate, acceptance, rejection, response
from sdk.worker._interceptor import HandleUpdateInput
from sdk.worker._workflow_kinds import fails_workflow
from sdk.workflow import ContinueAsNewError

if TYPE_CHECKING:
    from sdk.worker._workflow_instance import WorkflowInstance

_current_update: contextvars.ContextVar[UpdateInfo | None] = contextvars.ContextVar(
    "tempo_current_update", default=None
)


class Handlers:
    """The running signal and update handlers of one workflow instance."""

    def __init__(self, instance: WorkflowInstance) -> None:
        self._instance = instance
        self._updates: dict[str, tuple[str, HandlerUnfinishedPolicy]] = {}
        self._signals: dict[int, tuple[str, HandlerUnfinishedPolicy]] = {}
        self._seen: set[str] = set()
        self._messages: list[protocol_pb.Message] = []
        self._accepted_now = False

    # --- per activation --------------------------------------------------------------

    def begin_activation(self) -> None:
        self._messages = []
        self._accepted_now = False

    def take_messages(self) -> list[protocol_pb.Message]:
        """The protocol messages of the last activation (for RespondWorkflowTaskCompleted)."""
        messages, self._messages = self._messages, []
        return messages

    def may_check_conditions(self, only_updates: bool) -> bool:
        """Whether waiting conditions may be re-checked: not in an activation that only
        brought updates, unless one was accepted. A rejected update leaves nothing in
        history, so a condition it let through would not pass on replay (as the official
        SDK reasons)."""
        return not only_updates or self._accepted_now

    # --- bookkeeping -----------------------------------------------------------------

    def track_signal(self, task: asyncio.Task[Any], name: str, policy: HandlerUnfinishedPolicy) -> None:
        key = id(task)
        self._signals[key] = (name, policy)
        task.add_done_callback(lambda _: self._signals.pop(key, None))

    def all_finished(self) -> bool:
        return not self._updates and not self._signals

    def warn_unfinished(self) -> None:
        """The workflow finished: warn about the handlers it leaves behind, as the official SDK does."""
        updates = [
            {"name": name, "id": update_id}
            for update_id, (name, policy) in self._updates.items()
            if policy is HandlerUnfinishedPolicy.WARN_AND_ABANDON
        ]
        if updates:
            warnings.warn(
                UnfinishedUpdateHandlersWarning(
                    "Workflow finished while update handlers are still running; their callers get an error "
                    "instead of a result. Wait for them with "
                    "`await workflow.wait_condition(workflow.all_handlers_finished)`, or declare the handler "
                    "with unfinished_policy=HandlerUnfinishedPolicy.ABANDON. Unfinished updates: " + json.dumps(updates)
                ),
                stacklevel=2,
            )
        signals: dict[str, int] = {}
        for name, policy in self._signals.values():
            if policy is HandlerUnfinishedPolicy.WARN_AND_ABANDON:
                signals[name] = signals.get(name, 0) + 1
        if signals:
            warnings.warn(
                UnfinishedSignalHandlersWarning(
                    "Workflow finished while signal handlers are still running. Wait for them with "
                    "`await workflow.wait_condition(workflow.all_handlers_finished)`, or declare the handler "
                    "with unfinished_policy=HandlerUnfinishedPolicy.ABANDON. Unfinished signals: "
                    + json.dumps([{"name": n, "count": c} for n, c in signals.items()])
                ),
                stacklevel=2,
            )

    @staticmethod
    def current_update() -> UpdateInfo | None:
        return _current_update.get()

    # --- updates ---------------------------------------------------------------------

    def apply(self, job: DoUpdate) -> None:
        """Start the update's task (once per update, however often it is delivered)."""
        if job.update_id in self._seen:
            return
        self._seen.add(job.update_id)
        instance = self._instance
        task = instance.create_task(self._run(job), name=f"update {job.name} ({job.update_id})")
        task.add_done_callback(instance._on_handler_done)

    async def _run(self, job: DoUpdate) -> None:
        instance = self._instance
        _current_update.set(UpdateInfo(job.update_id, job.name))
        definition = instance._definition.updates.get(job.name) or instance._definition.dynamic_update
        if definition is None:
            known = sorted(instance._definition.updates)
            self._reject(
                job,
                RuntimeError(
                    f"workflow {instance._definition.name!r} has no update handler {job.name!r} "
                    f"and no dynamic one; known updates: {known}"
                ),
            )
            return
        self._updates[job.update_id] = (job.name, definition.unfinished_policy)
        try:
            await self._validate_and_handle(job, definition)
        finally:
            self._updates.pop(job.update_id, None)

    async def _validate_and_handle(self, job: DoUpdate, definition: _UpdateDefinition) -> None:
        instance = self._instance
        headers = dict(job.request.input.header.fields)
        try:
            args = self._arguments(job, definition)
            if definition.validator is not None and not instance._replaying:
                with self._read_only():
                    instance._inbound.handle_update_validator(HandleUpdateInput(job.update_id, job.name, args, headers))
                # Decoded again: the validator may have changed the values it was given.
                args = self._arguments(job, definition)
        except Exception as err:
            if isinstance(err, ReadOnlyContextError):
                raise  # a validator that starts steps is a bug: fail the task
            self._reject(job, err)
            return
        message, command = acceptance(job)
        self._messages.append(message)
        instance._commands.append(command)
        self._accepted_now = True
        try:
            result = await instance._inbound.handle_update_handler(
                HandleUpdateInput(job.update_id, job.name, args, headers)
            )
            outcome = update_pb.Outcome(success=_payloads(instance, result))
        except asyncio.CancelledError as err:
            if instance._disposing:
                raise
            outcome = update_pb.Outcome(
                failure=instance._converter.to_failure(CancelledError(f"update cancelled: {err}"))
            )
        except FailureError as err:
            outcome = update_pb.Outcome(failure=instance._converter.to_failure(err))
        except ContinueAsNewError:
            raise RuntimeError("an update handler cannot continue as new; only the run method can") from None
        except Exception as err:
            if not fails_workflow(instance._definition, err):
                raise  # a bug in the handler: the workflow task fails
            outcome = update_pb.Outcome(failure=instance._converter.to_failure(err))
        if instance.completed:
            return  # too late: the server tells the caller the workflow finished first
        message, command = response(job, outcome)
        self._messages.append(message)
        instance._commands.append(command)

    def _reject(self, job: DoUpdate, err: BaseException) -> None:
        if self._instance._replaying:
            return  # history says it was accepted; the missing command will say the rest
        self._messages.append(rejection(job, self._instance._converter.to_failure(err)))

    def _arguments(self, job: DoUpdate, definition: _UpdateDefinition) -> list[Any]:
        instance = self._instance
        if not definition.name:
            return [job.name, [RawValue(p) for p in job.args]]
        from sdk.worker._workflow_instance import _hints

        return list(instance._converter.from_payloads(job.args, _hints(definition.fn)[0]))

    @contextlib.contextmanager
    def _read_only(self) -> Iterator[None]:
        instance = self._instance
        instance._in_query = True
        instance._read_only_who = "an update validator"
        try:
            yield
        finally:
            instance._in_query = False
            instance._read_only_who = "a query handler"


def _payloads(instance: WorkflowInstance, result: Any) -> common.Payloads:
    return common.Payloads(payloads=instance._converter.to_payloads([result]))
