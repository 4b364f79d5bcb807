"""Child workflows and handles to other workflows, for workflow code.

Re-exported by :mod:`sdk.workflow`; use them from there. They have the official
SDK's shape: :func:`start_child_workflow` returns a :class:`ChildWorkflowHandle` once
the server has started the child, ``await handle`` gives its result, and
``handle.cancel()`` asks for its cancellation as its ``cancellation_type`` says.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Unpack

from sdk._workflow_options import ChildWorkflowCancellationType, ChildWorkflowKeywords, ChildWorkflowOptions

if TYPE_CHECKING:
    from sdk.workflow import _Runtime


def _runtime() -> _Runtime:
    # Imported here: sdk.workflow re-exports this module, so it cannot be imported at the top.
    from sdk.workflow import _Runtime

    return _Runtime.current()


def _workflow_name(workflow: Callable[..., Any] | str) -> tuple[str, Any]:
    """The type name of a workflow given by run method or name, and its result hint."""
    if isinstance(workflow, str):
        if not workflow:
            raise ValueError("workflow name must not be empty")
        return workflow, None
    name = getattr(workflow, "__tempo_name__", None)
    if not isinstance(name, str) or not getattr(workflow, "__tempo_workflow_run__", False):
        raise TypeError(
            f"{getattr(workflow, '__qualname__', workflow)!r} is not a workflow: "
            "pass the @workflow.run method of a @workflow.defn class, or the workflow type's name"
        )
    try:
        hints = inspect.get_annotations(workflow, eval_str=True)
    except Exception:
        hints = {}
    return name, hints.get("return")


def _signal_name(signal: Callable[..., Any] | str) -> str:
    if isinstance(signal, str):
        if not signal:
            raise ValueError("signal name must not be empty")
        return signal
    name = getattr(signal, "__tempo_name__", None)
    if not isinstance(name, str):
        raise TypeError(f"{getattr(signal, '__qualname__', signal)!r} is not a @workflow.signal method")
    return name


class ChildWorkflowHandle(asyncio.Future[Any]):
    """A started child workflow: await it for its result, signal it, cancel it.

    Awaiting raises :class:`~sdk.exceptions.ChildWorkflowError` if the child did not
    complete; its ``cause`` says why (an ``ApplicationError``, ``CancelledError``,
    ``TerminatedError`` or ``TimeoutFailureError``).
    """

    def __init__(
        self,
        workflow_id: str,
        cancellation_type: ChildWorkflowCancellationType,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(loop=loop)
        self._id = workflow_id
        self._cancellation_type = cancellation_type
        self._first_execution_run_id: str | None = None

    @property
    def id(self) -> str:
        """Workflow ID of the child."""
        return self._id

    @property
    def first_execution_run_id(self) -> str | None:
        """Run ID of the child's first run, once it has started."""
        return self._first_execution_run_id

    @property
    def cancellation_type(self) -> ChildWorkflowCancellationType:
        """What :meth:`cancel` does."""
        return self._cancellation_type

    async def signal(self, signal: Callable[..., Any] | str, *args: Any) -> None:
        """Signal the child (a SignalExternalWorkflowExecution command for this child only).

        Args:
            signal: The child's signal method or the signal's name.
            *args: Signal arguments.

        Raises:
            ApplicationError: The server could not deliver it (the child is gone).
        """
        await _runtime().workflow_signal_external(self._id, None, True, _signal_name(signal), args)

    def cancel(self, msg: Any = None) -> bool:
        """Ask for the child's cancellation as :attr:`cancellation_type` says.

        Also called when a task awaiting the handle is cancelled (the workflow itself
        being cancelled, say), so the child follows its parent.

        Returns:
            False if the child had already closed, else True.
        """
        if self.done():
            return False
        return self.get_loop().workflow_cancel_child(self, msg)  # type: ignore[attr-defined,no-any-return]

    def _cancel_now(self, msg: Any = None) -> bool:
        """Plain future cancellation, for the workflow instance."""
        return super().cancel(msg)


class ExternalWorkflowHandle:
    """Another workflow, by ID (and run ID), that workflow code may signal or cancel."""

    def __init__(self, workflow_id: str, run_id: str | None) -> None:
        self._id = workflow_id
        self._run_id = run_id

    @property
    def id(self) -> str:
        """Its workflow ID."""
        return self._id

    @property
    def run_id(self) -> str | None:
        """Its run ID, if one was given (else the latest run is meant)."""
        return self._run_id

    async def signal(self, signal: Callable[..., Any] | str, *args: Any) -> None:
        """Signal the workflow (a SignalExternalWorkflowExecution command).

        Args:
            signal: The signal method or the signal's name.
            *args: Signal arguments.

        Raises:
            ApplicationError: Type ``ExternalWorkflowExecutionNotFound`` if there is no
                such running workflow.
        """
        await _runtime().workflow_signal_external(self._id, self._run_id, False, _signal_name(signal), args)

    async def cancel(self, *, reason: str = "") -> None:
        """Ask for the workflow's cancellation (a RequestCancelExternalWorkflowExecution command).

        Returns once the server has recorded the request in the target's history.

        Args:
            reason: Why, recorded with the request.

        Raises:
            ApplicationError: Type ``ExternalWorkflowExecutionNotFound`` if there is no
                such running workflow.
        """
        await _runtime().workflow_cancel_external(self._id, self._run_id, reason)


def get_external_workflow_handle(workflow_id: str, *, run_id: str | None = None) -> ExternalWorkflowHandle:
    """A handle to another workflow, to signal or cancel it from workflow code.

    Args:
        workflow_id: Its workflow ID.
        run_id: Its run ID; ``None`` means the latest run.

    Raises:
        NotInWorkflowError: Not called from workflow code.
        ValueError: An empty workflow ID.
    """
    _runtime()
    if not isinstance(workflow_id, str) or not workflow_id:
        raise ValueError(f"workflow_id must be a non-empty string, got {workflow_id!r}")
    return ExternalWorkflowHandle(workflow_id, run_id or None)


async def start_child_workflow(
    workflow: Callable[..., Any] | str,
    *args: Any,
    id: str | None = None,
    task_queue: str | None = None,
    result_type: Any = None,
    **options: Unpack[ChildWorkflowKeywords],
) -> ChildWorkflowHandle:
    """Start a child workflow and return its handle once the server has started it.

    Args:
        workflow: The child's ``@workflow.run`` method or its workflow type name.
        *args: Arguments of the child.
        id: Workflow ID of the child; defaults to :func:`sdk.workflow.uuid4`.
        task_queue: Task queue of the child; defaults to the parent's.
        result_type: Type to decode the result into; defaults to the run method's
            return annotation.
        cancellation_type: What cancelling the handle does.
        parent_close_policy: What happens to the child when the parent closes.
        execution_timeout: Limit for the child's whole chain of runs.
        run_timeout: Limit for a single run of the child.
        task_timeout: Limit for one workflow task of the child.
        id_reuse_policy: Whether the ID of a closed run may be reused.
        retry_policy: Retry the child's run on failure.
        cron_schedule: Run the child on this cron schedule.
        memo: Non-indexed values shown by describe and list.
        search_attributes: Indexed values usable in list queries.

    Returns:
        The child's handle.

    Raises:
        WorkflowAlreadyStartedError: A workflow with this ID is running (or the reuse
            policy forbids another run).
        NotInWorkflowError: Not called from workflow code.
        TypeError: An argument cannot be serialised or an option has the wrong type.
        ValueError: An empty ID or task queue, or a timeout that is not positive.
    """
    runtime = _runtime()
    name, hint = _workflow_name(workflow)
    if id is None:
        from sdk.workflow import uuid4

        id = str(uuid4())
    try:
        start = ChildWorkflowOptions(id=id, task_queue=task_queue, **options)
    except (TypeError, ValueError) as err:
        raise type(err)(f"child workflow {name!r}: {err}") from None
    return await runtime.workflow_start_child_workflow(
        name, args, start, result_type if result_type is not None else hint
    )


async def execute_child_workflow(
    workflow: Callable[..., Any] | str,
    *args: Any,
    id: str | None = None,
    task_queue: str | None = None,
    result_type: Any = None,
    **options: Unpack[ChildWorkflowKeywords],
) -> Any:
    """Start a child workflow and wait for its result; see :func:`start_child_workflow`.

    Returns:
        The child's result.

    Raises:
        ChildWorkflowError: The child failed, was cancelled, terminated or timed out;
            the reason is its ``cause``.
        WorkflowAlreadyStartedError: The child could not start: its ID is in use.
    """
    handle = await start_child_workflow(
        workflow, *args, id=id, task_queue=task_queue, result_type=result_type, **options
    )
    return await handle


__all__: Sequence[str] = [
    "ChildWorkflowHandle",
    "ExternalWorkflowHandle",
    "execute_child_workflow",
    "get_external_workflow_handle",
    "start_child_workflow",
]
