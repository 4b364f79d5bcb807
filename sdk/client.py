"""The client: start workflows, signal and query them, wait for results, list them.

Example:
    ```python
    client = await Client.connect("127.0.0.1:7233", namespace="default")
    handle = await client.start_workflow(Order.run, 3, id="order-3", task_queue="deliveries")
    await handle.signal(Order.picked_up)
    print(await handle.query(Order.get_status))
    print(await handle.result())
    ```
"""

from __future__ import annotations

import datetime
import importlib
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Unpack

from temporalio.api.common.v1 import Header, Memo, Payloads, SearchAttributes, WorkflowType
from temporalio.api.sdk.v1 import UserMetadata
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1.request_response_pb2 import (
    SignalWithStartWorkflowExecutionRequest,
    StartWorkflowExecutionRequest,
)

from sdk._client_browse import BrowseCalls
from sdk._client_calls import chain as calls_chain
from sdk._client_handle import NameOrFunction, WorkflowHandle, name_of, result_type_of, update_arguments
from sdk._client_interceptor import (
    CancelWorkflowInput,
    CountWorkflowsInput,
    DescribeWorkflowInput,
    Interceptor,
    ListWorkflowsInput,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
    TerminateWorkflowInput,
)
from sdk._client_rpc import Connection
from sdk._client_types import (
    QueryRejectCondition,
    RetryPolicy,
    WorkflowDescription,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowIdConflictPolicy,
    WorkflowIdReusePolicy,
    WorkflowStatus,
    WorkflowUpdateStage,
    to_duration,
)
from sdk._connect_options import KeepAliveConfig, RetryConfig, TLSConfig
from sdk._request_id import request_id
from sdk.converter import DataConverter

# Loaded when first named (module `__getattr__` below) or used: a client that lists,
# describes, signals or queries (the `tempo` CLI) does not load the modules of async
# activity handles, updates, replayable histories, start options, the inputs of starts and
# browsing's answers.
if TYPE_CHECKING:
    from sdk._client_activity import AsyncActivityCancelledError, AsyncActivityHandle, AsyncActivityIDReference
    from sdk._client_pages import (
        HistoryPage,
        NamespaceDescription,
        TaskQueueDescription,
        TaskQueuePoller,
        WorkflowCount,
        WorkflowCountGroup,
        WorkflowPage,
    )
    from sdk._client_start_inputs import (
        StartWorkflowInput,
        StartWorkflowUpdateInput,
        StartWorkflowUpdateWithStartInput,
        UpdateWithStartStartWorkflowInput,
        UpdateWithStartUpdateWorkflowInput,
    )
    from sdk._client_update import WithStartWorkflowOperation, WorkflowUpdateHandle
    from sdk._options import StartWorkflowKeywords, StartWorkflowOptions
    from sdk._workflow_history import WorkflowHistory

# The official SDKs' default deadline of an ordinary call (their core's): a query waits for a
# worker to answer, and on a loaded machine 10 s failed queries the official client answered.
_DEFAULT_RPC_TIMEOUT = datetime.timedelta(seconds=30)
# A `tempo` command's calls (the blocking transport): its lean paths send the same deadline
# (tempo_cli's RPC_TIMEOUT constants), and a person waits on each.
_COMMAND_RPC_TIMEOUT = datetime.timedelta(seconds=10)

_LAZY = {
    "AsyncActivityCancelledError": "sdk._client_activity",
    "AsyncActivityHandle": "sdk._client_activity",
    "AsyncActivityIDReference": "sdk._client_activity",
    "HistoryPage": "sdk._client_pages",
    "NamespaceDescription": "sdk._client_pages",
    "TaskQueueDescription": "sdk._client_pages",
    "TaskQueuePoller": "sdk._client_pages",
    "WorkflowCount": "sdk._client_pages",
    "WorkflowCountGroup": "sdk._client_pages",
    "WorkflowPage": "sdk._client_pages",
    "StartWorkflowInput": "sdk._client_start_inputs",
    "StartWorkflowUpdateInput": "sdk._client_start_inputs",
    "StartWorkflowUpdateWithStartInput": "sdk._client_start_inputs",
    "UpdateWithStartStartWorkflowInput": "sdk._client_start_inputs",
    "UpdateWithStartUpdateWorkflowInput": "sdk._client_start_inputs",
    "WithStartWorkflowOperation": "sdk._client_update",
    "WorkflowUpdateHandle": "sdk._client_update",
    "StartWorkflowKeywords": "sdk._options",
    "StartWorkflowOptions": "sdk._options",
    "WorkflowHistory": "sdk._workflow_history",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # once: later lookups find it as any other name
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AsyncActivityCancelledError",
    "AsyncActivityHandle",
    "AsyncActivityIDReference",
    "CancelWorkflowInput",
    "Client",
    "CountWorkflowsInput",
    "DescribeWorkflowInput",
    "HistoryPage",
    "Interceptor",
    "KeepAliveConfig",
    "ListWorkflowsInput",
    "NamespaceDescription",
    "OutboundInterceptor",
    "QueryRejectCondition",
    "QueryWorkflowInput",
    "RetryConfig",
    "RetryPolicy",
    "SignalWorkflowInput",
    "StartWorkflowInput",
    "StartWorkflowOptions",
    "StartWorkflowUpdateInput",
    "StartWorkflowUpdateWithStartInput",
    "TLSConfig",
    "TaskQueueDescription",
    "TaskQueuePoller",
    "TerminateWorkflowInput",
    "UpdateWithStartStartWorkflowInput",
    "UpdateWithStartUpdateWorkflowInput",
    "WithStartWorkflowOperation",
    "WorkflowCount",
    "WorkflowCountGroup",
    "WorkflowDescription",
    "WorkflowExecution",
    "WorkflowExecutionStatus",
    "WorkflowHandle",
    "WorkflowHistory",
    "WorkflowIdConflictPolicy",
    "WorkflowIdReusePolicy",
    "WorkflowPage",
    "WorkflowStatus",
    "WorkflowUpdateHandle",
    "WorkflowUpdateStage",
]


class Client(BrowseCalls):
    """A connection to a Temporal-compatible server, bound to one namespace.

    Create it with :meth:`connect`. Besides starting and finding workflows, it browses
    the server: :meth:`list_workflows_page`, :meth:`count_workflows_grouped`,
    :meth:`list_namespaces` and :meth:`describe_task_queue`.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        namespace: str,
        data_converter: DataConverter,
        identity: str,
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        """Wrap an open connection; most code should call :meth:`connect` instead."""
        self._conn = connection
        self.namespace = namespace
        self.data_converter = data_converter
        self.identity = identity
        self.interceptors: Sequence[Interceptor] = tuple(interceptors)
        """The client's interceptors; those that are also ``sdk.worker.Interceptor`` apply to its workers."""
        self._calls = calls_chain(self, self.interceptors)
        # Set by sdk.testing on a time-skipping server: wraps every wait for a workflow's
        # result (it unlocks time skipping while the result is awaited).
        self._around_result_wait: Callable[[Awaitable[Any]], Awaitable[Any]] | None = None

    @classmethod
    async def connect(
        cls,
        address: str = "127.0.0.1:7233",
        *,
        namespace: str = "default",
        data_converter: DataConverter | None = None,
        identity: str | None = None,
        rpc_timeout: datetime.timedelta = _DEFAULT_RPC_TIMEOUT,
        api_key: str | None = None,
        tls: bool | TLSConfig | None = None,
        rpc_metadata: Mapping[str, str | bytes] | None = None,
        retry_config: RetryConfig | None = None,
        keep_alive_config: KeepAliveConfig | None = KeepAliveConfig.default,
        interceptors: Sequence[Interceptor] = (),
    ) -> Client:
        """Connect to the server at ``address`` and check that it answers.

        The connection options are the official SDK's: for a cluster behind TLS,
        ``tls=TLSConfig(server_root_ca_cert=..., client_cert=..., client_private_key=...)``;
        for Temporal Cloud with an API key, ``api_key=...`` (TLS comes with it).
        :func:`sdk.envconfig.load_client_connect_config` reads them from the profiles file
        and the environment, as ``temporal`` does: ``Client.connect(**config)``.

        Args:
            address: ``host:port`` of the server's gRPC frontend.
            namespace: Namespace every call of this client uses.
            data_converter: Converter for arguments and results; defaults to
                :attr:`DataConverter.default`, compatible with Temporal's.
            identity: Recorded in history as who did things; defaults to ``pid@host``.
            rpc_timeout: Deadline of ordinary calls (long polls have their own); 30 s, as in
                the official SDKs.
            api_key: Sent as ``authorization: Bearer <api_key>`` with every call (unless
                ``rpc_metadata`` has an ``authorization`` header); can be changed later
                through :attr:`api_key`.
            tls: None (the default): TLS exactly when there is an API key; True: TLS with
                the system's CA roots; a :class:`TLSConfig`: TLS as it says; False: none.
            rpc_metadata: Headers sent with every call; see :attr:`rpc_metadata`.
            retry_config: How calls that failed with UNAVAILABLE or RESOURCE_EXHAUSTED are
                retried (None: :class:`RetryConfig`'s defaults). Other failures are not.
            keep_alive_config: HTTP/2 keep-alive pings; None turns them off.
            interceptors: Wrap every call of the client (:class:`Interceptor`), the first
                outermost; those that are also ``sdk.worker.Interceptor`` apply to the workers
                this client is given to as well.

        Returns:
            The connected client.

        Raises:
            ServerUnreachableError: Nothing answers at ``address``.
            ValueError: ``address`` is not ``host:port``.
        """
        connection = Connection(
            address,
            rpc_timeout.total_seconds(),
            tls=tls,
            api_key=api_key,
            rpc_metadata=rpc_metadata,
            retry_config=retry_config or RetryConfig(),
            keep_alive_config=keep_alive_config,
        )
        return await cls._opened(connection, namespace, data_converter, identity, interceptors)

    @classmethod
    async def _connected_blocking(
        cls,
        address: str,
        *,
        namespace: str = "default",
        tls: bool | TLSConfig | None = None,
        rpc_metadata: Mapping[str, str | bytes] | None = None,
    ) -> Client:
        """A client whose calls go over the blocking transport (:mod:`sdk._h2_channel`): no
        grpcio, no TLS, and each call blocks the thread, so it is for short-lived work that
        awaits nothing else (a `tempo workflow` command), never for an event loop's."""
        connection = Connection(
            address,
            _COMMAND_RPC_TIMEOUT.total_seconds(),
            tls=tls,
            rpc_metadata=rpc_metadata,
            retry_config=RetryConfig(),
            keep_alive_config=None,
            blocking=True,
        )
        return await cls._opened(connection, namespace, None, None, ())

    @classmethod
    async def _opened(
        cls,
        connection: Connection,
        namespace: str,
        data_converter: DataConverter | None,
        identity: str | None,
        interceptors: Sequence[Interceptor],
    ) -> Client:
        try:
            await connection.open()
        except BaseException:
            await connection.close()
            raise
        return cls(
            connection,
            namespace=namespace,
            data_converter=data_converter or DataConverter.default,
            identity=identity or f"{os.getpid()}@{socket.gethostname()}",
            interceptors=interceptors,
        )

    @property
    def address(self) -> str:
        """The ``host:port`` this client talks to."""
        return self._conn.address

    @property
    def api_key(self) -> str | None:
        """The API key of every call; set it to rotate the key on the live connection.

        Shared with the clients :meth:`with_namespace` made, as the connection is.
        """
        return self._conn.api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self._conn.api_key = value

    @property
    def rpc_metadata(self) -> Mapping[str, str | bytes]:
        """Headers of every call; set a new mapping to change them from the next call on."""
        return self._conn.rpc_metadata

    @rpc_metadata.setter
    def rpc_metadata(self, value: Mapping[str, str | bytes]) -> None:
        self._conn.rpc_metadata = value

    @property
    def service(self) -> Any:
        """The raw ``WorkflowServiceStub``, for calls this client does not wrap."""
        return self._conn.service

    async def close(self) -> None:
        """Close the connection (shared with clients made by :meth:`with_namespace`)."""
        await self._conn.close()

    def with_namespace(self, namespace: str) -> Client:
        """A client of another namespace over this client's connection.

        Both clients share one connection: closing either closes it for both.
        """
        client = Client(
            self._conn,
            namespace=namespace,
            data_converter=self.data_converter,
            identity=self.identity,
            interceptors=self.interceptors,
        )
        client._around_result_wait = self._around_result_wait
        return client

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start_workflow(
        self,
        workflow: NameOrFunction,
        *workflow_args: Any,
        id: str,
        task_queue: str,
        start_signal: NameOrFunction | None = None,
        start_signal_args: Sequence[Any] = (),
        args: Sequence[Any] | None = None,
        result_type: Any = None,
        **options: Unpack[StartWorkflowKeywords],
    ) -> WorkflowHandle:
        """Start a workflow and return its handle without waiting for it.

        Args:
            workflow: The workflow's run method (``Order.run``) or its type name.
            *workflow_args: Arguments of the workflow.
            id: Workflow ID, unique among running workflows of the namespace.
            task_queue: Task queue a worker polls for this workflow.
            result_type: The type the handle's ``result()`` decodes into; defaults to
                the run method's return annotation (a dataclass comes back as one).
            execution_timeout: Limit for the whole chain of runs (retries, continue-as-new).
            run_timeout: Limit for a single run.
            task_timeout: Limit for one workflow task (server default 10 s).
            id_reuse_policy: Whether the ID of a closed run may be reused.
            id_conflict_policy: What to do if a run with this ID is still running.
            retry_policy: Retry the workflow run on failure.
            cron_schedule: Run the workflow on this cron schedule, a new run each time.
            memo: Non-indexed values shown by describe and list.
            search_attributes: Indexed values usable in list queries.
            request_id: Idempotency key; a repeated start with the same key returns
                the same run. Generated when not given.
            start_signal: If set, signal-with-start: the signal is delivered to the
                running workflow with this ID, which is started first if needed.
            start_signal_args: Arguments of ``start_signal``.
            args: The workflow's arguments as a list, instead of passing them positionally.
            static_summary: A one-line summary user interfaces show for the workflow.
            static_details: Longer details user interfaces show for the workflow.
            start_delay: Wait this long before the workflow's first task.

        Returns:
            A handle to the started workflow.

        Raises:
            TypeError: An option of the wrong type (seconds as a number for a timeout, say).
            ValueError: An empty ID or task queue, or a timeout that is not positive.
            WorkflowAlreadyStartedError: A run with this ID is running (or the reuse
                policy refuses a new one).
            RPCError: The server refused the request.
        """
        from sdk._client_start_inputs import StartWorkflowInput
        from sdk._options import StartWorkflowOptions

        start = StartWorkflowOptions(id=id, task_queue=task_queue, **options)
        return await self._calls.start_workflow(
            StartWorkflowInput(
                workflow=name_of(workflow),
                args=_workflow_arguments(workflow_args, args),
                options=start,
                start_signal=None if start_signal is None else name_of(start_signal),
                start_signal_args=start_signal_args,
                headers={},
                ret_type=result_type_of(workflow, result_type),
            )
        )

    async def execute_workflow(
        self,
        workflow: NameOrFunction,
        *workflow_args: Any,
        id: str,
        task_queue: str,
        result_type: Any = None,
        start_signal: NameOrFunction | None = None,
        start_signal_args: Sequence[Any] = (),
        args: Sequence[Any] | None = None,
        **options: Unpack[StartWorkflowKeywords],
    ) -> Any:
        """Start a workflow and wait for its result.

        Takes the arguments of :meth:`start_workflow`, plus ``result_type``: the type to
        decode the result into (a dataclass, ``list[X]``, ...).

        Returns:
            The workflow's result.

        Raises:
            WorkflowFailureError: The workflow failed, was cancelled, terminated or timed out.
        """
        handle = await self.start_workflow(
            workflow,
            *workflow_args,
            id=id,
            task_queue=task_queue,
            start_signal=start_signal,
            start_signal_args=start_signal_args,
            args=args,
            result_type=result_type,
            **options,
        )
        return await handle.result()

    async def signal_with_start(
        self,
        workflow: NameOrFunction,
        *workflow_args: Any,
        signal: NameOrFunction,
        signal_args: Sequence[Any] = (),
        id: str,
        task_queue: str,
        args: Sequence[Any] | None = None,
        **options: Unpack[StartWorkflowKeywords],
    ) -> WorkflowHandle:
        """Signal the running workflow with ``id``, starting it first if none runs.

        Takes the arguments of :meth:`start_workflow`, with the signal as ``signal`` and
        ``signal_args`` (``start_workflow(..., start_signal=...)`` does the same).

        Returns:
            A handle to the (possibly already running) workflow.
        """
        return await self.start_workflow(
            workflow,
            *workflow_args,
            id=id,
            task_queue=task_queue,
            start_signal=signal,
            start_signal_args=signal_args,
            args=args,
            **options,
        )

    async def start_update_with_start_workflow(
        self,
        update: NameOrFunction,
        *update_args: Any,
        start_workflow_operation: WithStartWorkflowOperation,
        wait_for_stage: WorkflowUpdateStage,
        id: str | None = None,
        result_type: Any = None,
        args: Sequence[Any] | None = None,
    ) -> WorkflowUpdateHandle:
        """Send an update to the workflow ``start_workflow_operation`` names, starting it first
        if its ``id_conflict_policy`` says so, in one call (update-with-start); return once the
        update reaches ``wait_for_stage``. ``await start_workflow_operation.workflow_handle()``
        gives the workflow's handle.

        Args:
            update: The update method or its name.
            *update_args: Update arguments.
            start_workflow_operation: The workflow to start (used for this call only).
            wait_for_stage: ``ACCEPTED`` or ``COMPLETED``.
            id: The update's ID (default: a new UUID).
            result_type: Type to decode the answer into; defaults to the update method's
                return annotation.
            args: The update's arguments as a list, instead of passing them positionally.

        Returns:
            A handle whose :meth:`WorkflowUpdateHandle.result` gives the outcome.

        Raises:
            WorkflowAlreadyStartedError: The workflow runs and the conflict policy is ``FAIL``.
            ValueError: The operation was used before, or a bad ``wait_for_stage``.
        """
        from sdk._client_start_inputs import (
            StartWorkflowUpdateWithStartInput,
            UpdateWithStartStartWorkflowInput,
            UpdateWithStartUpdateWorkflowInput,
        )

        if wait_for_stage not in (WorkflowUpdateStage.ACCEPTED, WorkflowUpdateStage.COMPLETED):
            raise ValueError("wait_for_stage must be ACCEPTED or COMPLETED")
        operation = start_workflow_operation
        if operation._used:
            raise ValueError("a WithStartWorkflowOperation can be used for one update-with-start call only")
        return await self._calls.start_update_with_start_workflow(
            StartWorkflowUpdateWithStartInput(
                UpdateWithStartStartWorkflowInput(
                    operation.workflow_type, operation.args, operation.options, {}, operation.result_type
                ),
                UpdateWithStartUpdateWorkflowInput(
                    id,
                    name_of(update),
                    update_arguments(update_args, args),
                    wait_for_stage,
                    {},
                    result_type_of(update, result_type),
                ),
                operation,
            )
        )

    async def execute_update_with_start_workflow(
        self,
        update: NameOrFunction,
        *update_args: Any,
        start_workflow_operation: WithStartWorkflowOperation,
        id: str | None = None,
        result_type: Any = None,
        args: Sequence[Any] | None = None,
    ) -> Any:
        """Update-with-start, waiting for the update's answer; see
        :meth:`start_update_with_start_workflow` for the arguments.

        Returns:
            The update handler's return value.

        Raises:
            WorkflowUpdateFailedError: The handler raised or the validator refused the update.
            WorkflowAlreadyStartedError: The workflow runs and the conflict policy is ``FAIL``.
        """
        handle = await self.start_update_with_start_workflow(
            update,
            *update_args,
            start_workflow_operation=start_workflow_operation,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            id=id,
            result_type=result_type,
            args=args,
        )
        return await handle.result()

    async def _start(
        self,
        workflow_type: str,
        args: Sequence[Any],
        options: StartWorkflowOptions,
        signal: tuple[str, Sequence[Any]] | None,
        result_type: Any = None,
        header: Header | None = None,
    ) -> WorkflowHandle:
        """StartWorkflowExecution, or SignalWithStartWorkflowExecution when ``signal`` is set."""
        common = self._start_fields(workflow_type, args, options)
        common["header"] = header
        if signal is None:
            response = await self._conn.call(
                self._conn.service.StartWorkflowExecution,
                StartWorkflowExecutionRequest(**common),
                workflow_id=options.id,
                codec=self.data_converter.payload_codec,
            )
        else:
            signal_name, signal_args = signal
            response = await self._conn.call(
                self._conn.service.SignalWithStartWorkflowExecution,
                SignalWithStartWorkflowExecutionRequest(
                    **common, signal_name=signal_name, signal_input=self._payloads(signal_args)
                ),
                workflow_id=options.id,
                codec=self.data_converter.payload_codec,
            )
        return WorkflowHandle(self, options.id, result_run_id=response.run_id, result_type=result_type)

    def _start_fields(self, workflow_type: str, args: Sequence[Any], options: StartWorkflowOptions) -> dict[str, Any]:
        """The fields of a StartWorkflowExecutionRequest (and of the requests that start workflows too)."""
        common: dict[str, Any] = {
            "namespace": self.namespace,
            "workflow_id": options.id,
            "workflow_type": WorkflowType(name=workflow_type),
            "task_queue": TaskQueue(name=options.task_queue),
            "input": self._payloads(args),
            "workflow_execution_timeout": to_duration(options.execution_timeout),
            "workflow_run_timeout": to_duration(options.run_timeout),
            "workflow_task_timeout": to_duration(options.task_timeout),
            "identity": self.identity,
            "request_id": options.request_id or request_id(),
            "workflow_id_reuse_policy": int(options.id_reuse_policy or 0),
            "workflow_id_conflict_policy": int(options.id_conflict_policy or 0),
            "retry_policy": options.retry_policy.to_proto() if options.retry_policy else None,
            "cron_schedule": options.cron_schedule,
            "workflow_start_delay": to_duration(options.start_delay),
            "memo": self._memo(options.memo),
            "search_attributes": self._search_attributes(options.search_attributes),
        }
        if options.static_summary is not None or options.static_details is not None:
            common["user_metadata"] = UserMetadata(
                summary=self._optional_payload(options.static_summary),
                details=self._optional_payload(options.static_details),
            )
        return common

    def get_workflow_handle(
        self, workflow_id: str, *, run_id: str | None = None, result_type: Any = None
    ) -> WorkflowHandle:
        """A handle to an existing workflow; nothing is checked until it is used.

        Args:
            workflow_id: The workflow ID.
            run_id: A specific run; ``None`` means the latest run with this ID.
            result_type: The type the handle's ``result()`` decodes into.
        """
        return WorkflowHandle(self, workflow_id, run_id=run_id, result_run_id=run_id, result_type=result_type)

    def get_workflow_handle_for(
        self, workflow: Callable[..., Any], workflow_id: str, *, run_id: str | None = None
    ) -> WorkflowHandle:
        """A handle to an existing workflow whose ``result()`` decodes into the return
        annotation of ``workflow`` (its run method, ``Order.run``), as in the official SDK.

        Args:
            workflow: The workflow's run method.
            workflow_id: The workflow ID.
            run_id: A specific run; ``None`` means the latest run with this ID.
        """
        return self.get_workflow_handle(workflow_id, run_id=run_id, result_type=result_type_of(workflow, None))

    def get_async_activity_handle(
        self,
        *,
        task_token: bytes | None = None,
        workflow_id: str | None = None,
        run_id: str | None = None,
        activity_id: str | None = None,
    ) -> AsyncActivityHandle:
        """A handle to complete, fail, cancel or heartbeat an activity whose function ended
        with ``activity.raise_complete_async()``: by its task token, or by its workflow's ID
        (and run ID) and its activity ID.

        Example:
            ``await client.get_async_activity_handle(task_token=token).complete("done")``

        Raises:
            ValueError: Neither a token nor the IDs, or both.
        """
        from sdk._client_activity import AsyncActivityHandle, reference

        return AsyncActivityHandle(self, reference(task_token, workflow_id, run_id, activity_id))

    async def list_workflows(
        self, query: str = "", *, page_size: int = 100, limit: int | None = None
    ) -> AsyncIterator[WorkflowExecution]:
        """Iterate over the runs matching a visibility query, newest first.

        Args:
            query: A list filter, e.g. ``WorkflowType = 'Order' AND ExecutionStatus = 'Running'``;
                empty lists every run.
            page_size: Runs fetched per request.
            limit: Stop after this many runs.

        Yields:
            One :class:`WorkflowExecution` per run.
        """
        async for execution in self._calls.list_workflows(ListWorkflowsInput(query, page_size, limit)):
            yield execution

    async def count_workflows(self, query: str = "") -> int:
        """Count the runs matching a visibility query (see :meth:`list_workflows`)."""
        return await self._calls.count_workflows(CountWorkflowsInput(query))

    def _payloads(self, values: Sequence[Any]) -> Payloads | None:
        return Payloads(payloads=self.data_converter.to_payloads(values)) if values else None

    def _optional_payload(self, value: str | None) -> Any:
        return self.data_converter.to_payload(value) if value is not None else None

    def _memo(self, memo: Mapping[str, Any] | None) -> Memo | None:
        if not memo:
            return None
        return Memo(fields={k: self.data_converter.to_payload(v) for k, v in memo.items()})

    def _search_attributes(self, attrs: Mapping[str, Any] | None) -> SearchAttributes | None:
        if not attrs:
            return None
        fields = {k: self.data_converter.to_payload(v) for k, v in attrs.items()}
        return SearchAttributes(indexed_fields=fields)


def _workflow_arguments(positional: Sequence[Any], as_list: Sequence[Any] | None) -> Sequence[Any]:
    if as_list is None:
        return positional
    if positional:
        raise TypeError("pass workflow arguments positionally or as args=[...], not both")
    return as_list
