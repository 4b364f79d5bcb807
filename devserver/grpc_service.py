"""The gRPC face of the server: WorkflowService handlers that only translate.

Each handler decodes its request, makes one call into the engine and returns
the response message. Domain errors become gRPC statuses (with Temporal's
error details) in one place, `_rpc`. Methods we do not implement answer
UNIMPLEMENTED with their name.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
import temporalio.api.workflowservice.v1.service_pb2 as service_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import status_pb2
from temporalio.api.namespace.v1 import message_pb2 as namespace_pb

from devserver import __version__
from devserver.activity_ops import ActivityOps
from devserver.core import eager_start
from devserver.core.protos import seconds_of
from devserver.core.tokens import TaskToken
from devserver.engine import Engine
from devserver.errors import InvalidArgument, ServiceError, Unimplemented
from devserver.grpc_handlers import MAX_ID_LENGTH
from devserver.h2_server import CallContext
from devserver.metrics import REFUSED_WITH
from devserver.namespace_ops import NamespaceContents, NamespaceOps
from devserver.namespaces import Namespace
from devserver.options_ops import OptionsOps
from devserver.pause_ops import PauseOps
from devserver.read_ops import ReadOps
from devserver.run_ops import RunOps
from devserver.update_ops import UpdateOps
from devserver.worker_ops import WorkerOps
from tempo_wire.status import StatusCode

if TYPE_CHECKING:
    from devserver.batch_ops import BatchOps
    from devserver.schedule_ops import Schedules

log = logging.getLogger("tempo.grpc")

Request = TypeVar("Request")
Response = TypeVar("Response")
Handler = Callable[[Any, Request, CallContext], Awaitable[Response]]

# Leave a worker's long poll a little room before its own deadline expires.
DEADLINE_MARGIN = 1.0
# The real server's limit.memoSize.error and limit.workflowTaskCompletionSize defaults, which
# DescribeNamespace reports to SDKs.
MAX_MEMO_SIZE = 2 * 1024 * 1024
MAX_WORKFLOW_TASK_COMPLETION_SIZE = 40 * 1024 * 1024
# The one cluster a dev server is (GetClusterInfo, OperatorService.ListClusters).
CLUSTER_NAME = "active"
CLUSTER_ID = "tempo-dev-server"
# A longer retention is recorded as 100 years, as the real server records it.
MAX_RETENTION_SECONDS = 100 * 365 * 24 * 3600


def rpc(handler: Handler[Request, Response]) -> Handler[Request, Response]:
    @functools.wraps(handler)
    async def wrapper(self: Any, request: Request, context: CallContext) -> Response:
        try:
            if isinstance(self, WorkflowService):
                look_up_namespace(self.engine, request)
            response = await handler(self, request, context)
        except ServiceError as error:
            await abort(context, error)
            raise AssertionError("unreachable") from None
        except Exception:
            log.exception("internal error in %s", handler.__name__)
            await context.abort(StatusCode.INTERNAL, f"internal error in {handler.__name__}")
            raise
        if call_is_over(context):
            raise asyncio.CancelledError  # nobody to answer (see abort)
        return response

    return wrapper


def call_is_over(context: CallContext) -> bool:
    """The caller's deadline has passed or it went away: gRPC has ended the call already."""
    remaining = context.time_remaining()
    return context.cancelled() or (remaining is not None and remaining <= 0)


# Requests whose handlers read the namespace themselves: one being registered, updated, or
# described by name or id.
_HANDLER_READS_NAMESPACE = ("RegisterNamespaceRequest", "DescribeNamespaceRequest", "UpdateNamespaceRequest")


def look_up_namespace(engine: Engine, request: Any) -> None:
    """The one place a WorkflowService request's namespace is looked up, before its handler runs
    (as the real server's namespace interceptor does, so an unknown namespace is NOT_FOUND before
    anything else in the request is checked): INVALID_ARGUMENT for an empty name, NOT_FOUND for an
    unknown one. A task token acts only in the namespace it was issued in; a request with a token
    and no namespace is left to its handler (the token names the namespace)."""
    shape = _namespace_shape(type(request))
    if shape is None:
        return
    namespace: str = request.namespace
    takes_token = shape
    if takes_token and not namespace:
        return
    engine.namespaces.get(namespace)
    if not takes_token or not request.task_token:
        return
    try:
        token = TaskToken.decode(request.task_token)
    except InvalidArgument:
        return  # the handler answers garbage as garbage
    if token.namespace != namespace:
        raise InvalidArgument("Operation requested with a token from a different namespace.")


def _namespace_shape(request_class: type[Message]) -> bool | None:
    """None when look_up_namespace leaves the request to its handler, else whether it carries a
    task token; once per request class (its descriptor's field map is a lookup per call)."""
    try:
        return _NAMESPACE_SHAPES[request_class]
    except KeyError:
        pass
    fields = request_class.DESCRIPTOR.fields_by_name
    shape = None
    if "namespace" in fields and request_class.__name__ not in _HANDLER_READS_NAMESPACE:
        shape = "task_token" in fields
    _NAMESPACE_SHAPES[request_class] = shape
    return shape


_NAMESPACE_SHAPES: dict[type[Message], bool | None] = {}


async def abort(context: CallContext, error: ServiceError) -> None:
    REFUSED_WITH.set(error)
    status = status_pb2.Status(code=error.code.value[0], message=error.message)
    if error.details is not None:
        packed = any_pb2.Any()
        packed.Pack(error.details)
        status.details.append(packed)
    if call_is_over(context):
        raise asyncio.CancelledError  # nobody to answer: the transport has ended the call
    await context.abort(error.code, error.message, status_details=status.SerializeToString())


class WorkflowService:
    """Handlers for every WorkflowService RPC (registered with `add_WorkflowServiceServicer_to_server`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.workers = WorkerOps(engine)
        self.reads = ReadOps(engine)
        self.updates = UpdateOps(engine)
        self.activity_control = ActivityOps(engine)
        self.pauses = PauseOps(engine)
        self._batches: BatchOps | None = None
        self._schedules: Schedules | None = None
        # What namespaces hold besides runs (schedules, batch jobs: those built), which
        # DeleteNamespace drops with a namespace (OperatorService).
        self.namespace_contents: list[NamespaceContents] = []
        self.run_ops = RunOps(engine)
        self.namespace_ops = NamespaceOps(engine)
        self.options = OptionsOps(engine)
        # HOST:PORT the server listens on, set once it does (ListTaskQueuePartitions names it).
        self.address = ""

    # Schedules and batch operations are built when first used (or when the store kept some,
    # devserver.app): their modules are a twentieth of the server's start-up, and most
    # sessions never use them.
    @property
    def schedules(self) -> Schedules:
        if self._schedules is None:
            from devserver.schedule_ops import Schedules

            self._schedules = Schedules(self.engine)
            self.namespace_contents.append(self._schedules)
        return self._schedules

    @property
    def batches(self) -> BatchOps:
        if self._batches is None:
            from devserver.batch_ops import BatchOps

            self._batches = BatchOps(self.engine)
            self.namespace_contents.append(self._batches)
        return self._batches

    def stop_schedules(self) -> None:
        """No schedule wakes any more (the server stops)."""
        if self._schedules is not None:
            self._schedules.shutdown()

    def _poll_timeout(self, context: CallContext, longest: float | None = None) -> float:
        if self.engine.closing:
            return 0.0  # a poll that arrives while the server stops is answered at once, empty
        timeout = self.engine.config.long_poll_timeout if longest is None else longest
        remaining = context.time_remaining()
        if remaining is not None:
            timeout = min(timeout, max(0.0, remaining - DEADLINE_MARGIN))
        return timeout

    # ---- cluster and namespaces ----------------------------------------------------------

    @rpc
    async def GetSystemInfo(
        self, request: wsv1.GetSystemInfoRequest, context: CallContext
    ) -> wsv1.GetSystemInfoResponse:
        response = wsv1.GetSystemInfoResponse(server_version=__version__)
        caps = response.capabilities
        # Only what this server really does: see wire-facts.md for what each one gates.
        caps.signal_and_query_header = True
        caps.activity_failure_include_heartbeat = True
        caps.encoded_failure_attributes = True
        caps.sdk_metadata = True
        caps.count_group_by_execution_status = True
        caps.eager_workflow_start = True
        caps.supports_schedules = True
        caps.upsert_memo = True  # ModifyWorkflowProperties
        return response

    @rpc
    async def GetClusterInfo(
        self, request: wsv1.GetClusterInfoRequest, context: CallContext
    ) -> wsv1.GetClusterInfoResponse:
        return wsv1.GetClusterInfoResponse(
            server_version=__version__,
            cluster_name=CLUSTER_NAME,
            cluster_id=CLUSTER_ID,
            history_shard_count=1,
            persistence_store="memory",
            visibility_store="memory",
            supported_clients={"temporal-cli": ">=0.0.0", "temporal-go": ">=0.0.0"},
        )

    @rpc
    async def RegisterNamespace(
        self, request: wsv1.RegisterNamespaceRequest, context: CallContext
    ) -> wsv1.RegisterNamespaceResponse:
        if not request.namespace:
            raise InvalidArgument("Namespace not set on request.")
        retention = seconds_of(request.workflow_execution_retention_period)
        if retention <= 0:
            raise InvalidArgument("A valid retention period is not set on request.")
        retention = min(retention, MAX_RETENTION_SECONDS)
        await self.namespace_ops.register_namespace(
            request.namespace, request.description, request.owner_email, retention, dict(request.data)
        )
        return wsv1.RegisterNamespaceResponse()

    @rpc
    async def DescribeNamespace(
        self, request: wsv1.DescribeNamespaceRequest, context: CallContext
    ) -> wsv1.DescribeNamespaceResponse:
        if not request.id and not request.namespace:
            raise InvalidArgument("Namespace not set on request.")
        if request.id and not request.namespace:
            namespace = self.engine.namespaces.by_id(request.id)
        else:
            namespace = self.engine.namespaces.get(request.namespace)
        return wsv1.DescribeNamespaceResponse(
            namespace_info=self._namespace_info(namespace),
            config=namespace.config,
            replication_config=namespace.replication(),
        )

    def _namespace_info(self, namespace: Namespace) -> namespace_pb.NamespaceInfo:
        """A namespace as this server runs it: what it can do and its payload limits, which
        the official SDKs read (eager workflow start, client-side blob size checks)."""
        info = namespace_pb.NamespaceInfo()
        info.CopyFrom(namespace.info)
        info.capabilities.eager_workflow_start = self.engine.config.eager_workflow_start
        # Updates, waited on in the call or polled for later (as the real dev server says).
        info.capabilities.sync_update = True
        info.capabilities.async_update = True
        limits = self.engine.config.limits
        info.limits.blob_size_limit_error = limits.blob_size_error
        info.limits.memo_size_limit_error = MAX_MEMO_SIZE
        info.limits.workflow_task_completion_size_limit_error = MAX_WORKFLOW_TASK_COMPLETION_SIZE
        return info

    @rpc
    async def UpdateNamespace(
        self, request: wsv1.UpdateNamespaceRequest, context: CallContext
    ) -> wsv1.UpdateNamespaceResponse:
        namespace = await self.namespace_ops.update_namespace(request)
        return wsv1.UpdateNamespaceResponse(
            namespace_info=self._namespace_info(namespace),
            config=namespace.config,
            replication_config=namespace.replication(),
        )

    @rpc
    async def ListNamespaces(
        self, request: wsv1.ListNamespacesRequest, context: CallContext
    ) -> wsv1.ListNamespacesResponse:
        response = wsv1.ListNamespacesResponse()
        for namespace in self.engine.namespaces.namespaces.values():
            response.namespaces.append(
                wsv1.DescribeNamespaceResponse(
                    namespace_info=self._namespace_info(namespace),
                    config=namespace.config,
                    replication_config=namespace.replication(),
                )
            )
        return response

    # ---- starting and steering workflows ------------------------------------------------------

    @rpc
    async def StartWorkflowExecution(
        self, request: wsv1.StartWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.StartWorkflowExecutionResponse:
        eager = request.request_eager_execution and self.engine.config.eager_workflow_start
        state, started = await self.run_ops.start_workflow(request, eager=eager)
        response = wsv1.StartWorkflowExecutionResponse(
            run_id=state.key.run_id,
            started=started,
            status=state.status,  # type: ignore[arg-type]
        )
        first_task = eager_start.eager_task(state, request.request_id) if eager and started else None
        if first_task is not None:
            response.eager_workflow_task.CopyFrom(self.workers.task_response(state, first_task))
        return response

    @rpc
    async def SignalWorkflowExecution(
        self, request: wsv1.SignalWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.SignalWorkflowExecutionResponse:
        _check_length(request.signal_name, "SignalName length exceeds limit.")
        _check_length(request.request_id, "RequestId length exceeds limit.")
        await self.run_ops.signal(request)
        return wsv1.SignalWorkflowExecutionResponse()

    @rpc
    async def SignalWithStartWorkflowExecution(
        self, request: wsv1.SignalWithStartWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.SignalWithStartWorkflowExecutionResponse:
        length = len(request.signal_name)
        _check_length(request.signal_name, f"signal name exceeds maximum allowed length ({length}/{MAX_ID_LENGTH})")
        chain = self.engine.chains.get((request.namespace, request.workflow_id))
        running = chain.current if chain is not None and chain.current.running else None
        state = await self.run_ops.signal_with_start(request)
        # A running workflow is only signaled: the real server answers started=false then.
        return wsv1.SignalWithStartWorkflowExecutionResponse(run_id=state.key.run_id, started=state is not running)

    @rpc
    async def UpdateWorkflowExecution(
        self, request: wsv1.UpdateWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.UpdateWorkflowExecutionResponse:
        return await self.updates.update(request, _until_deadline(context))

    @rpc
    async def ExecuteMultiOperation(
        self, request: wsv1.ExecuteMultiOperationRequest, context: CallContext
    ) -> wsv1.ExecuteMultiOperationResponse:
        return await self.updates.update_with_start(request, _until_deadline(context))

    @rpc
    async def PollWorkflowExecutionUpdate(
        self, request: wsv1.PollWorkflowExecutionUpdateRequest, context: CallContext
    ) -> wsv1.PollWorkflowExecutionUpdateResponse:
        return await self.updates.poll(request, _until_deadline(context))

    @rpc
    async def QueryWorkflow(
        self, request: wsv1.QueryWorkflowRequest, context: CallContext
    ) -> wsv1.QueryWorkflowResponse:
        return await self.run_ops.query(request, context.time_remaining())

    @rpc
    async def TerminateWorkflowExecution(
        self, request: wsv1.TerminateWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.TerminateWorkflowExecutionResponse:
        await self.run_ops.terminate(request)
        return wsv1.TerminateWorkflowExecutionResponse()

    @rpc
    async def RequestCancelWorkflowExecution(
        self, request: wsv1.RequestCancelWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.RequestCancelWorkflowExecutionResponse:
        await self.run_ops.request_cancel(request)
        return wsv1.RequestCancelWorkflowExecutionResponse()

    @rpc
    async def ResetWorkflowExecution(
        self, request: wsv1.ResetWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.ResetWorkflowExecutionResponse:
        return wsv1.ResetWorkflowExecutionResponse(run_id=await self.run_ops.reset(request))

    @rpc
    async def DeleteWorkflowExecution(
        self, request: wsv1.DeleteWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.DeleteWorkflowExecutionResponse:
        await self.run_ops.delete(request)
        return wsv1.DeleteWorkflowExecutionResponse()

    # ---- batch operations ------------------------------------------------------------------

    @rpc
    async def StartBatchOperation(
        self, request: wsv1.StartBatchOperationRequest, context: CallContext
    ) -> wsv1.StartBatchOperationResponse:
        await self.batches.start(request)
        return wsv1.StartBatchOperationResponse()

    @rpc
    async def DescribeBatchOperation(
        self, request: wsv1.DescribeBatchOperationRequest, context: CallContext
    ) -> wsv1.DescribeBatchOperationResponse:
        return self.batches.describe(request)

    @rpc
    async def ListBatchOperations(
        self, request: wsv1.ListBatchOperationsRequest, context: CallContext
    ) -> wsv1.ListBatchOperationsResponse:
        return self.batches.list(request)

    @rpc
    async def StopBatchOperation(
        self, request: wsv1.StopBatchOperationRequest, context: CallContext
    ) -> wsv1.StopBatchOperationResponse:
        await self.batches.stop(request)
        return wsv1.StopBatchOperationResponse()

    # ---- reading workflows -----------------------------------------------------------------

    @rpc
    async def UpdateWorkflowExecutionOptions(
        self, request: wsv1.UpdateWorkflowExecutionOptionsRequest, context: CallContext
    ) -> wsv1.UpdateWorkflowExecutionOptionsResponse:
        return await self.options.update_options(request)

    @rpc
    async def PollWorkflowExecutionTimeSkipping(
        self, request: wsv1.PollWorkflowExecutionTimeSkippingRequest, context: CallContext
    ) -> wsv1.PollWorkflowExecutionTimeSkippingResponse:
        timeout = self._poll_timeout(context, self.engine.config.history_long_poll_timeout)
        return await self.options.poll_time_skipping(request, timeout)

    @rpc
    async def DescribeWorkflowExecution(
        self, request: wsv1.DescribeWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.DescribeWorkflowExecutionResponse:
        return self.reads.describe(request)

    @rpc
    async def GetWorkflowExecutionHistory(
        self, request: wsv1.GetWorkflowExecutionHistoryRequest, context: CallContext
    ) -> wsv1.GetWorkflowExecutionHistoryResponse:
        timeout = self._poll_timeout(context, self.engine.config.history_long_poll_timeout)
        # Like the real server, the Temporal CLI and UI are not shown a workflow task's unwritten events.
        client_name = dict(context.invocation_metadata() or ()).get("client-name", "")
        with_unwritten_task = client_name not in ("temporal-cli", "temporal-ui")
        return await self.reads.get_history(request, timeout, with_unwritten_task=with_unwritten_task)

    @rpc
    async def GetWorkflowExecutionHistoryReverse(
        self, request: wsv1.GetWorkflowExecutionHistoryReverseRequest, context: CallContext
    ) -> wsv1.GetWorkflowExecutionHistoryReverseResponse:
        return self.reads.get_history_reverse(request)

    @rpc
    async def ListWorkflowExecutions(
        self, request: wsv1.ListWorkflowExecutionsRequest, context: CallContext
    ) -> wsv1.ListWorkflowExecutionsResponse:
        return self.reads.list(request)

    @rpc
    async def CountWorkflowExecutions(
        self, request: wsv1.CountWorkflowExecutionsRequest, context: CallContext
    ) -> wsv1.CountWorkflowExecutionsResponse:
        return self.reads.count(request)

    # ---- workers ---------------------------------------------------------------------------

    @rpc
    async def PollWorkflowTaskQueue(
        self, request: wsv1.PollWorkflowTaskQueueRequest, context: CallContext
    ) -> wsv1.PollWorkflowTaskQueueResponse:
        _check_length(request.task_queue.name, "taskQueue length exceeds limit")
        return await self.workers.poll_workflow_task(request, self._poll_timeout(context))

    @rpc
    async def RespondWorkflowTaskCompleted(
        self, request: wsv1.RespondWorkflowTaskCompletedRequest, context: CallContext
    ) -> wsv1.RespondWorkflowTaskCompletedResponse:
        return await self.workers.complete_workflow_task(request)

    @rpc
    async def RespondWorkflowTaskFailed(
        self, request: wsv1.RespondWorkflowTaskFailedRequest, context: CallContext
    ) -> wsv1.RespondWorkflowTaskFailedResponse:
        await self.workers.fail_workflow_task(request)
        return wsv1.RespondWorkflowTaskFailedResponse()

    @rpc
    async def RespondQueryTaskCompleted(
        self, request: wsv1.RespondQueryTaskCompletedRequest, context: CallContext
    ) -> wsv1.RespondQueryTaskCompletedResponse:
        await self.workers.respond_query_task(request)
        return wsv1.RespondQueryTaskCompletedResponse()

    @rpc
    async def PollActivityTaskQueue(
        self, request: wsv1.PollActivityTaskQueueRequest, context: CallContext
    ) -> wsv1.PollActivityTaskQueueResponse:
        _check_length(request.task_queue.name, "taskQueue length exceeds limit")
        return await self.workers.poll_activity_task(request, self._poll_timeout(context))

    @rpc
    async def RespondActivityTaskCompleted(
        self, request: wsv1.RespondActivityTaskCompletedRequest, context: CallContext
    ) -> wsv1.RespondActivityTaskCompletedResponse:
        await self.workers.respond_activity_completed(request)
        return wsv1.RespondActivityTaskCompletedResponse()

    @rpc
    async def RespondActivityTaskCompletedById(
        self, request: wsv1.RespondActivityTaskCompletedByIdRequest, context: CallContext
    ) -> wsv1.RespondActivityTaskCompletedByIdResponse:
        await self.workers.respond_activity_completed_by_id(request)
        return wsv1.RespondActivityTaskCompletedByIdResponse()

    @rpc
    async def RespondActivityTaskFailed(
        self, request: wsv1.RespondActivityTaskFailedRequest, context: CallContext
    ) -> wsv1.RespondActivityTaskFailedResponse:
        await self.workers.respond_activity_failed(request)
        return wsv1.RespondActivityTaskFailedResponse()

    @rpc
    async def RespondActivityTaskFailedById(
        self, request: wsv1.RespondActivityTaskFailedByIdRequest, context: CallContext
    ) -> wsv1.RespondActivityTaskFailedByIdResponse:
        await self.workers.respond_activity_failed_by_id(request)
        return wsv1.RespondActivityTaskFailedByIdResponse()

    @rpc
    async def RespondActivityTaskCanceled(
        self, request: wsv1.RespondActivityTaskCanceledRequest, context: CallContext
    ) -> wsv1.RespondActivityTaskCanceledResponse:
        await self.workers.respond_activity_canceled(request)
        return wsv1.RespondActivityTaskCanceledResponse()

    @rpc
    async def RespondActivityTaskCanceledById(
        self, request: wsv1.RespondActivityTaskCanceledByIdRequest, context: CallContext
    ) -> wsv1.RespondActivityTaskCanceledByIdResponse:
        await self.workers.respond_activity_canceled_by_id(request)
        return wsv1.RespondActivityTaskCanceledByIdResponse()

    @rpc
    async def RecordActivityTaskHeartbeat(
        self, request: wsv1.RecordActivityTaskHeartbeatRequest, context: CallContext
    ) -> wsv1.RecordActivityTaskHeartbeatResponse:
        return await self.workers.record_heartbeat(request)

    @rpc
    async def RecordActivityTaskHeartbeatById(
        self, request: wsv1.RecordActivityTaskHeartbeatByIdRequest, context: CallContext
    ) -> wsv1.RecordActivityTaskHeartbeatByIdResponse:
        answer = await self.workers.record_heartbeat_by_id(request)
        return wsv1.RecordActivityTaskHeartbeatByIdResponse(
            cancel_requested=answer.cancel_requested,
            activity_paused=answer.activity_paused,
            activity_reset=answer.activity_reset,
        )

    @rpc
    async def PauseWorkflowExecution(
        self, request: wsv1.PauseWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.PauseWorkflowExecutionResponse:
        await self.pauses.pause(request)
        return wsv1.PauseWorkflowExecutionResponse()

    @rpc
    async def UnpauseWorkflowExecution(
        self, request: wsv1.UnpauseWorkflowExecutionRequest, context: CallContext
    ) -> wsv1.UnpauseWorkflowExecutionResponse:
        await self.pauses.unpause(request)
        return wsv1.UnpauseWorkflowExecutionResponse()

    @rpc
    async def PauseActivity(
        self, request: wsv1.PauseActivityRequest, context: CallContext
    ) -> wsv1.PauseActivityResponse:
        await self.activity_control.pause(request)
        return wsv1.PauseActivityResponse()

    @rpc
    async def UnpauseActivity(
        self, request: wsv1.UnpauseActivityRequest, context: CallContext
    ) -> wsv1.UnpauseActivityResponse:
        await self.activity_control.unpause(request)
        return wsv1.UnpauseActivityResponse()

    @rpc
    async def ResetActivity(
        self, request: wsv1.ResetActivityRequest, context: CallContext
    ) -> wsv1.ResetActivityResponse:
        await self.activity_control.reset(request)
        return wsv1.ResetActivityResponse()

    @rpc
    async def UpdateActivityOptions(
        self, request: wsv1.UpdateActivityOptionsRequest, context: CallContext
    ) -> wsv1.UpdateActivityOptionsResponse:
        return await self.activity_control.update_options(request)

    @rpc
    async def PauseActivityExecution(
        self, request: wsv1.PauseActivityExecutionRequest, context: CallContext
    ) -> wsv1.PauseActivityExecutionResponse:
        await self.activity_control.pause_execution(request)
        return wsv1.PauseActivityExecutionResponse()

    @rpc
    async def UnpauseActivityExecution(
        self, request: wsv1.UnpauseActivityExecutionRequest, context: CallContext
    ) -> wsv1.UnpauseActivityExecutionResponse:
        await self.activity_control.unpause_execution(request)
        return wsv1.UnpauseActivityExecutionResponse()

    @rpc
    async def ResetActivityExecution(
        self, request: wsv1.ResetActivityExecutionRequest, context: CallContext
    ) -> wsv1.ResetActivityExecutionResponse:
        await self.activity_control.reset_execution(request)
        return wsv1.ResetActivityExecutionResponse()

    @rpc
    async def UpdateActivityExecutionOptions(
        self, request: wsv1.UpdateActivityExecutionOptionsRequest, context: CallContext
    ) -> wsv1.UpdateActivityExecutionOptionsResponse:
        return await self.activity_control.update_options_execution(request)

    @rpc
    async def ResetStickyTaskQueue(
        self, request: wsv1.ResetStickyTaskQueueRequest, context: CallContext
    ) -> wsv1.ResetStickyTaskQueueResponse:
        await self.workers.reset_sticky(request)
        return wsv1.ResetStickyTaskQueueResponse()

    @rpc
    async def ShutdownWorker(
        self, request: wsv1.ShutdownWorkerRequest, context: CallContext
    ) -> wsv1.ShutdownWorkerResponse:
        await self.workers.shutdown_worker(request)
        return wsv1.ShutdownWorkerResponse()

    @rpc
    async def DescribeTaskQueue(
        self, request: wsv1.DescribeTaskQueueRequest, context: CallContext
    ) -> wsv1.DescribeTaskQueueResponse:
        return self.workers.describe_task_queue(request)

    @rpc
    async def ListTaskQueuePartitions(
        self, request: wsv1.ListTaskQueuePartitionsRequest, context: CallContext
    ) -> wsv1.ListTaskQueuePartitionsResponse:
        return self.workers.list_partitions(request, self.address)

    # ---- schedules (schedule_ops) ----------------------------------------------------------------

    @rpc
    async def CreateSchedule(
        self, request: wsv1.CreateScheduleRequest, context: CallContext
    ) -> wsv1.CreateScheduleResponse:
        return wsv1.CreateScheduleResponse(conflict_token=await self.schedules.create(request))

    @rpc
    async def DescribeSchedule(
        self, request: wsv1.DescribeScheduleRequest, context: CallContext
    ) -> wsv1.DescribeScheduleResponse:
        return await self.schedules.describe(request)

    @rpc
    async def UpdateSchedule(
        self, request: wsv1.UpdateScheduleRequest, context: CallContext
    ) -> wsv1.UpdateScheduleResponse:
        await self.schedules.update(request)
        return wsv1.UpdateScheduleResponse()

    @rpc
    async def PatchSchedule(
        self, request: wsv1.PatchScheduleRequest, context: CallContext
    ) -> wsv1.PatchScheduleResponse:
        await self.schedules.patch(request)
        return wsv1.PatchScheduleResponse()

    @rpc
    async def DeleteSchedule(
        self, request: wsv1.DeleteScheduleRequest, context: CallContext
    ) -> wsv1.DeleteScheduleResponse:
        await self.schedules.delete(request)
        return wsv1.DeleteScheduleResponse()

    @rpc
    async def ListSchedules(
        self, request: wsv1.ListSchedulesRequest, context: CallContext
    ) -> wsv1.ListSchedulesResponse:
        return self.schedules.list_schedules(request)

    @rpc
    async def CountSchedules(
        self, request: wsv1.CountSchedulesRequest, context: CallContext
    ) -> wsv1.CountSchedulesResponse:
        return wsv1.CountSchedulesResponse(count=self.schedules.count(request))

    @rpc
    async def ListScheduleMatchingTimes(
        self, request: wsv1.ListScheduleMatchingTimesRequest, context: CallContext
    ) -> wsv1.ListScheduleMatchingTimesResponse:
        from devserver.schedule_ops import matching_response

        return matching_response(self.schedules.matching_times(request))


def _check_length(value: str, message: str) -> None:
    """Ids and names longer than the real server's limit.maxIDLength are refused as it refuses them."""
    if len(value) > MAX_ID_LENGTH:
        raise InvalidArgument(message)


def _until_deadline(context: CallContext) -> float:
    """Update calls are held up to the caller's deadline, like the real server's (which then
    answers DEADLINE_EXCEEDED); update_ops caps the wait at the server's own maximum."""
    remaining = context.time_remaining()
    return float("inf") if remaining is None else max(0.0, remaining)


def unimplemented(name: str) -> Handler[Any, Any]:
    """A handler that answers UNIMPLEMENTED, naming the method."""

    async def handler(self: Any, request: Any, context: CallContext) -> Any:
        await abort(context, Unimplemented(f"{name} is not implemented by the tempo dev server"))

    handler.__name__ = name
    return handler


def _fill_unimplemented() -> None:
    """Every WorkflowService method we do not handle answers UNIMPLEMENTED by name."""
    service = service_pb2.DESCRIPTOR.services_by_name["WorkflowService"]
    for method in service.methods:
        if method.name not in WorkflowService.__dict__:
            setattr(WorkflowService, method.name, unimplemented(method.name))


_fill_unimplemented()
