"""A handle to one workflow: signal, query, describe, wait for its result, read its history.

:class:`WorkflowHandle` is what :meth:`sdk.client.Client.start_workflow` and
:meth:`sdk.client.Client.get_workflow_handle` return; import it from ``sdk.client``.
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import WorkflowExecution as ExecutionProto
from temporalio.api.enums.v1 import EventType, HistoryEventFilterType, ResetReapplyExcludeType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1.request_response_pb2 import (
    GetWorkflowExecutionHistoryRequest,
    GetWorkflowExecutionHistoryResponse,
    ResetWorkflowExecutionRequest,
)

from sdk._client_interceptor import (
    CancelWorkflowInput,
    DescribeWorkflowInput,
    QueryWorkflowInput,
    SignalWorkflowInput,
    TerminateWorkflowInput,
)
from sdk._client_rpc import Connection
from sdk._client_types import QueryRejectCondition, WorkflowDescription, WorkflowUpdateStage
from sdk._request_id import request_id
from sdk.converter import DataConverter
from sdk.exceptions import (
    CancelledError,
    RPCError,
    TerminatedError,
    TimeoutFailureError,
    TimeoutType,
    WorkflowContinuedAsNewError,
    WorkflowFailureError,
)

if TYPE_CHECKING:
    # Loaded by the methods that use them: a handle that only describes, signals or waits
    # (the `tempo` CLI) need not load updates or the replayable history.
    from sdk._client_pages import HistoryPage
    from sdk._client_update import WorkflowUpdateHandle
    from sdk._workflow_history import WorkflowHistory
    from sdk.client import Client

# Servers answer a long poll with an empty page after about 20 s; stay well above that.
_LONG_POLL_TIMEOUT = 75.0

NameOrFunction = str | Callable[..., Any] | type


def name_of(target: NameOrFunction) -> str:
    """The Temporal name of a workflow, signal or query.

    Decorated functions and classes carry it in ``__tempo_name__``; anything else
    falls back to its ``__name__``, and strings are names already.
    """
    if isinstance(target, str):
        return target
    name = getattr(target, "__tempo_name__", None) or getattr(target, "__name__", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"expected a name or a decorated function, got {target!r}")
    return name


def result_type_of(target: Any, result_type: Any) -> Any:
    """``result_type`` if given, else the return annotation of a workflow, query or update method."""
    if result_type is not None or isinstance(target, str) or not callable(target):
        return result_type
    try:
        return inspect.get_annotations(target, eval_str=True).get("return")
    except Exception:  # an annotation that does not resolve: decode as plain JSON
        return None


def update_arguments(positional: Sequence[Any], as_list: Sequence[Any] | None) -> list[Any]:
    if positional and as_list is not None:
        raise ValueError("give the update's arguments positionally or as args=, not both")
    return list(as_list if as_list is not None else positional)


class WorkflowHandle:
    """A reference to a workflow, from :meth:`Client.start_workflow` or
    :meth:`Client.get_workflow_handle`.

    Attributes:
        id: The workflow ID.
        run_id: The run that signals, queries and describe target; ``None`` means
            whichever run is the latest.
        result_run_id: The run :meth:`result` starts waiting on.
        result_type: The type :meth:`result` decodes into by default: the run method's
            return annotation when the handle came from ``start_workflow(MyWorkflow.run, ...)``.
    """

    def __init__(
        self,
        client: Client,
        id: str,
        *,
        run_id: str | None = None,
        result_run_id: str | None = None,
        result_type: Any = None,
    ) -> None:
        """Create a handle; use the client's methods rather than this."""
        self.client = client
        self.id = id
        self.run_id = run_id
        self.result_run_id = result_run_id
        self.result_type = result_type

    def _execution(self, run_id: str | None = None) -> ExecutionProto:
        return ExecutionProto(workflow_id=self.id, run_id=run_id or self.run_id or "")

    @property
    def _conn(self) -> Connection:
        return self.client._conn

    async def signal(self, signal: NameOrFunction, *args: Any) -> None:
        """Send a signal.

        Args:
            signal: The signal method or its name.
            *args: Signal arguments.

        Raises:
            WorkflowNotFoundError: No such workflow, or it is closed.
        """
        await self.client._calls.signal_workflow(SignalWorkflowInput(self.id, self.run_id, name_of(signal), args, {}))

    async def query(
        self,
        query: NameOrFunction,
        *args: Any,
        result_type: Any = None,
        reject_not_open: bool = False,
        reject_condition: QueryRejectCondition | None = None,
        timeout: datetime.timedelta | None = None,
    ) -> Any:
        """Ask the workflow's query handler for a value.

        A worker must be running to answer; closed workflows are replayed to answer.

        Args:
            query: The query method or its name.
            *args: Query arguments.
            result_type: Type to decode the answer into; defaults to the query method's
                return annotation (a dataclass comes back as one), as in the official SDK.
            reject_not_open: Refuse to query a closed workflow (``reject_condition=NOT_OPEN``).
            reject_condition: When the server refuses the query instead of asking the
                workflow; overrides ``reject_not_open``.
            timeout: How long to wait for a worker to answer.

        Returns:
            The handler's answer.

        Raises:
            WorkflowQueryFailedError: The handler raised, or no handler has this name.
            WorkflowQueryRejectedError: The reject condition applies to the workflow's status.
            WorkflowNotFoundError: No such workflow.
        """
        if reject_condition is None:
            reject_condition = QueryRejectCondition.NOT_OPEN if reject_not_open else QueryRejectCondition.NONE
        return await self.client._calls.query_workflow(
            QueryWorkflowInput(
                self.id,
                self.run_id,
                name_of(query),
                args,
                reject_condition,
                {},
                result_type_of(query, result_type),
                timeout,
            )
        )

    async def execute_update(
        self,
        update: NameOrFunction,
        *update_args: Any,
        id: str | None = None,
        result_type: Any = None,
        args: Sequence[Any] | None = None,
    ) -> Any:
        """Send an update and wait for its handler's answer.

        A worker must be running: the workflow's validator (if any) accepts or refuses the
        update, then its handler runs and its return value comes back here.

        Args:
            update: The update method or its name.
            *update_args: Update arguments.
            id: The update's ID (default: a new UUID). Sending the same ID again waits for
                the same update instead of running it twice.
            result_type: Type to decode the answer into; defaults to the update method's
                return annotation.
            args: The update's arguments as a list, instead of passing them positionally.

        Returns:
            The handler's return value.

        Raises:
            WorkflowUpdateFailedError: The handler raised, the validator refused the update,
                or the workflow closed first; ``.cause`` says which.
            WorkflowNotFoundError: No such workflow, or it is closed.
        """
        handle = await self.start_update(
            update,
            *update_args,
            id=id,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            result_type=result_type,
            args=args,
        )
        return await handle.result()

    async def start_update(
        self,
        update: NameOrFunction,
        *update_args: Any,
        wait_for_stage: WorkflowUpdateStage = WorkflowUpdateStage.ACCEPTED,
        id: str | None = None,
        result_type: Any = None,
        args: Sequence[Any] | None = None,
    ) -> WorkflowUpdateHandle:
        """Send an update and return once it reaches ``wait_for_stage`` (accepted, or completed).

        Args:
            update: The update method or its name.
            *update_args: Update arguments.
            wait_for_stage: ``ACCEPTED`` (the handler is running) or ``COMPLETED``.
            id: The update's ID (default: a new UUID).
            result_type: Type :meth:`WorkflowUpdateHandle.result` decodes the answer into;
                defaults to the update method's return annotation.
            args: The update's arguments as a list, instead of passing them positionally.

        Returns:
            A handle whose :meth:`WorkflowUpdateHandle.result` gives the outcome.

        Raises:
            WorkflowUpdateFailedError: The validator refused the update (it completed at once).
            WorkflowNotFoundError: No such workflow, or it is closed.
        """
        from sdk._client_start_inputs import StartWorkflowUpdateInput

        if wait_for_stage not in (WorkflowUpdateStage.ACCEPTED, WorkflowUpdateStage.COMPLETED):
            raise ValueError("wait_for_stage must be ACCEPTED or COMPLETED")
        handle = await self.client._calls.start_workflow_update(
            StartWorkflowUpdateInput(
                self.id,
                self.run_id,
                id,
                name_of(update),
                update_arguments(update_args, args),
                wait_for_stage,
                {},
                result_type_of(update, result_type),
            )
        )
        if handle._outcome is not None and handle._outcome.HasField("failure"):
            await handle.result()  # a refused update: raise its failure now
        return handle

    def get_update_handle(
        self, id: str, *, workflow_run_id: str | None = None, result_type: Any = None
    ) -> WorkflowUpdateHandle:
        """A handle to an update sent before (by ID), to wait for its outcome; nothing is checked
        until :meth:`WorkflowUpdateHandle.result` is called.

        Args:
            id: The update's ID.
            workflow_run_id: The run it went to; defaults to this handle's run (or the latest).
            result_type: Type to decode the answer into.
        """
        from sdk._client_update import WorkflowUpdateHandle

        return WorkflowUpdateHandle(
            self.client, id, self.id, workflow_run_id=workflow_run_id or self.run_id or "", result_type=result_type
        )

    async def result(self, *, result_type: Any = None, follow_runs: bool = True) -> Any:
        """Wait for the workflow to close and return its result.

        Args:
            result_type: Type to decode the result into (a dataclass, ``list[X]``, ...);
                defaults to the handle's ``result_type``.
            follow_runs: Follow continue-as-new, retries and cron to the last run.

        Returns:
            The workflow's return value.

        Raises:
            WorkflowFailureError: It failed, was cancelled, terminated or timed out;
                ``.cause`` says which.
            WorkflowContinuedAsNewError: It continued as new and ``follow_runs`` is false.
            WorkflowNotFoundError: No such workflow.
        """
        wait = self.wait_for_close_event(follow_runs=follow_runs)
        around = self.client._around_result_wait
        _, event = await (around(wait) if around is not None else wait)
        if result_type is None:
            result_type = self.result_type
        return _close_event_result(event, self.client.data_converter, result_type)

    async def wait_for_close_event(self, *, follow_runs: bool = True) -> tuple[str, HistoryEvent]:
        """Wait for the workflow to close; return the closing run's ID and close event.

        A lower-level form of :meth:`result` for callers that want the raw event
        (the CLI prints it). It never raises for a failed workflow.

        Args:
            follow_runs: Follow continue-as-new, retries and cron to the last run.

        Returns:
            ``(run_id, event)`` where ``event`` is the run's last (closing) event.

        Raises:
            WorkflowNotFoundError: No such workflow.
        """
        run_id = self.result_run_id or self.run_id
        if not run_id:
            # Unpinned handle: pin the current run so the caller learns which run closed.
            run_id = (await self.describe()).run_id
        token = b""
        while True:
            try:
                response = await self._history_page(
                    run_id, token, wait=True, close_only=True, timeout=_LONG_POLL_TIMEOUT
                )
            except RPCError as err:
                if err.status_code.name != "DEADLINE_EXCEEDED":
                    raise
                # A server holding long polls longer than our deadline: just ask again.
                continue
            if not response.history.events:
                # The long poll ran out before the workflow closed: ask again.
                token = response.next_page_token
                continue
            token = b""
            event = response.history.events[-1]
            new_run_id = _next_run_id(event)
            if new_run_id and follow_runs:
                run_id = new_run_id
                continue
            return run_id, event

    async def describe(self) -> WorkflowDescription:
        """Status, times, type and pending work of the run.

        Raises:
            WorkflowNotFoundError: No such workflow.
        """
        return await self.client._calls.describe_workflow(DescribeWorkflowInput(self.id, self.run_id))

    async def terminate(self, reason: str = "", *details: Any) -> None:
        """Stop the workflow at once; its code gets no chance to react.

        Args:
            reason: Recorded in the WorkflowExecutionTerminated event.
            *details: Extra values recorded with it.
        """
        await self.client._calls.terminate_workflow(TerminateWorkflowInput(self.id, self.run_id, reason, details))

    async def cancel(self, reason: str = "") -> None:
        """Ask the workflow to cancel; its code decides how to wind down.

        Args:
            reason: Recorded in the WorkflowExecutionCancelRequested event.
        """
        await self.client._calls.cancel_workflow(CancelWorkflowInput(self.id, self.run_id, reason))

    async def reset(
        self,
        workflow_task_finish_event_id: int,
        *,
        reason: str,
        exclude_signals: bool = False,
        exclude_updates: bool = False,
    ) -> str:
        """Start the workflow over from a point in this run's history, as a new run.

        The new run copies this run's events up to the workflow task that ended at
        ``workflow_task_finish_event_id`` (a WorkflowTaskCompleted, Failed or TimedOut
        event, or the event after a WorkflowTaskScheduled), fails that task with the
        reason, and goes on from there with the code the workers run now; signals and
        updates this run received after that point are given to it again. A running
        current run of the workflow is terminated. The usual way out of a workflow
        stuck on a bug: deploy the fix, then reset to before the bad task.

        Args:
            workflow_task_finish_event_id: Event id of the workflow task's end to go back to.
            reason: Recorded on the new run's WorkflowTaskFailed event.
            exclude_signals: Do not give the later signals to the new run.
            exclude_updates: Do not give the later updates to the new run.

        Returns:
            The new run's id.
        """
        excluded = []
        if exclude_signals:
            excluded.append(ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL)
        if exclude_updates:
            excluded.append(ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE)
        response = await self._conn.call(
            self._conn.service.ResetWorkflowExecution,
            ResetWorkflowExecutionRequest(
                namespace=self.client.namespace,
                workflow_execution=self._execution(),
                reason=reason,
                workflow_task_finish_event_id=workflow_task_finish_event_id,
                request_id=request_id(),
                reset_reapply_exclude_types=excluded,
                identity=self.client.identity,
            ),
            workflow_id=self.id,
        )
        return str(response.run_id)

    async def fetch_history(self) -> WorkflowHistory:
        """The complete event history of the run, all pages joined.

        ``to_json()`` of the answer is what a :class:`~sdk.worker.Replayer` (ours or the
        official SDK's) reads back, as ``temporal workflow show -o json`` writes it.
        """
        from sdk._workflow_history import WorkflowHistory

        events = [event async for event in self.fetch_history_events()]
        return WorkflowHistory(self.id, events)

    async def fetch_history_events(self, *, follow: bool = False, page_size: int = 0) -> AsyncIterator[HistoryEvent]:
        """Iterate over the run's history events page by page.

        Args:
            follow: Keep waiting for new events until the run closes.
            page_size: Events per page; 0 lets the server choose.

        Yields:
            History events in order.
        """
        token = b""
        while True:
            response = await self._history_page(
                self.run_id,
                token,
                wait=follow,
                close_only=False,
                page_size=page_size,
                timeout=_LONG_POLL_TIMEOUT if follow else None,
            )
            for event in response.history.events:
                yield event
            token = response.next_page_token
            if not token:
                return

    async def fetch_history_page(
        self,
        next_page_token: bytes = b"",
        *,
        wait_new_event: bool = False,
        page_size: int = 0,
        timeout: datetime.timedelta | None = None,
    ) -> HistoryPage:
        """One page of the run's history; the caller holds the position.

        To follow a running workflow, pass each page's token back with
        ``wait_new_event=True``: the server holds the call until new events arrive (or
        answers an empty page after its long-poll timeout, with a token to ask again).
        The token is empty once the history is complete.

        Args:
            next_page_token: Where to continue; empty for the first page.
            wait_new_event: Wait for events past the token instead of answering at once.
            page_size: Events per page; 0 lets the server choose.
            timeout: Deadline of this call; defaults to the client's, or the long-poll
                deadline when waiting.

        Returns:
            The events and the token of what follows.
        """
        from sdk._client_pages import HistoryPage

        seconds = timeout.total_seconds() if timeout else (_LONG_POLL_TIMEOUT if wait_new_event else None)
        response = await self._history_page(
            self.run_id, next_page_token, wait=wait_new_event, close_only=False, page_size=page_size, timeout=seconds
        )
        return HistoryPage(events=list(response.history.events), next_page_token=response.next_page_token)

    async def _history_page(
        self,
        run_id: str | None,
        token: bytes,
        *,
        wait: bool,
        close_only: bool,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> GetWorkflowExecutionHistoryResponse:
        filter_type = (
            HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT
            if close_only
            else HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT
        )
        return await self._conn.call(
            self._conn.service.GetWorkflowExecutionHistory,
            GetWorkflowExecutionHistoryRequest(
                namespace=self.client.namespace,
                execution=self._execution(run_id),
                maximum_page_size=page_size,
                next_page_token=token,
                wait_new_event=wait,
                history_event_filter_type=filter_type,
                skip_archival=True,
            ),
            timeout=timeout,
            workflow_id=self.id,
            codec=self.client.data_converter.payload_codec,
        )


def _next_run_id(close_event: HistoryEvent) -> str:
    """The run that carries on after this close event (continue-as-new, retry, cron), or ""."""
    attrs_name = close_event.WhichOneof("attributes")
    attrs = getattr(close_event, attrs_name) if attrs_name else None
    # Completed (cron), Failed and TimedOut (retry) and ContinuedAsNew all name it so.
    return str(getattr(attrs, "new_execution_run_id", ""))


def _close_event_result(event: HistoryEvent, converter: DataConverter, result_type: Any) -> Any:
    """The workflow's return value from its close event, or the exception its ending means."""
    kind = event.event_type
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        payloads = event.workflow_execution_completed_event_attributes.result.payloads
        return converter.from_payload(payloads[0], result_type) if payloads else None
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        raise WorkflowContinuedAsNewError(_next_run_id(event))
    cause: BaseException
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        cause = converter.from_failure(event.workflow_execution_failed_event_attributes.failure)
    elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        details = converter.from_payloads(event.workflow_execution_canceled_event_attributes.details.payloads)
        cause = CancelledError("Workflow cancelled", *details)
    elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        reason = event.workflow_execution_terminated_event_attributes.reason
        cause = TerminatedError(reason or "Workflow terminated")
    elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        cause = TimeoutFailureError("Workflow timed out", TimeoutType.START_TO_CLOSE)
    else:
        import grpc

        raise RPCError(grpc.StatusCode.UNKNOWN, f"unexpected close event {EventType.Name(kind)}")
    raise WorkflowFailureError(cause)
