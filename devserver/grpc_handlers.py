"""Registering our servicers with the transport: decoding requests and limiting long polls.

A request that does not decode is answered INVALID_ARGUMENT with one debug line, before any
handler runs (grpcio's generated helpers answered UNKNOWN and logged a traceback for each).

Long-running calls are counted per namespace and per method, like the real
server's `frontend.namespaceCount` (default 1200): a call over the limit gets
RESOURCE_EXHAUSTED with `ResourceExhaustedFailure{cause: CONCURRENT_LIMIT,
scope: NAMESPACE}`, which the official SDKs retry with backoff.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from temporalio.api.enums.v1 import failed_cause_pb2
from temporalio.api.errordetails.v1 import message_pb2 as errordetails

from devserver.errors import ServiceError
from devserver.h2_server import CallContext, H2Server, Method
from devserver.metrics import REFUSED_WITH, Metrics, classify
from tempo_wire.status import StatusCode

log = logging.getLogger("tempo.grpc")

# The real server's limit.maxIDLength: namespaces, ids and names longer than this are refused.
MAX_ID_LENGTH = 1000

# The real server's frontend.namespaceCount default.
DEFAULT_CONCURRENT_LONG_POLLS = 1200

# History long polls (`result()`, `temporal workflow result`, `show --follow`) cost Tempo one
# waiting future each. The real server counts them against frontend.namespaceCount too, and the
# official SDK gives up on a `result()` rejected that way for ~10 s (measured: 496 of 2,000
# concurrent `result()` calls failed on the real dev server); Tempo lets this many wait.
HISTORY_LONG_POLLS = 20_000

# Methods that may wait for something to happen: the real server's long-running requests
# (configs.ExecutionAPICountLimitOverride). GetWorkflowExecutionHistory counts only with
# wait_new_event.
LONG_RUNNING_METHODS = frozenset(
    {
        "PollActivityTaskQueue",
        "PollWorkflowTaskQueue",
        "PollNexusTaskQueue",
        "PollWorkflowExecutionUpdate",
        "QueryWorkflow",
        "UpdateWorkflowExecution",
        "ExecuteMultiOperation",
        "GetWorkflowExecutionHistory",
    }
)

_Cause = failed_cause_pb2.ResourceExhaustedCause
_Scope = failed_cause_pb2.ResourceExhaustedScope


class ConcurrentLimitExceeded(ServiceError):
    code = StatusCode.RESOURCE_EXHAUSTED

    def __init__(self) -> None:
        super().__init__(
            "namespace concurrent poller limit exceeded",
            errordetails.ResourceExhaustedFailure(
                cause=_Cause.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT,
                scope=_Scope.RESOURCE_EXHAUSTED_SCOPE_NAMESPACE,
            ),
        )


class LongPollLimiter:
    """Concurrent long-running calls per (namespace, method), as frontend.namespaceCount limits them."""

    def __init__(self, per_namespace: int = DEFAULT_CONCURRENT_LONG_POLLS) -> None:
        self.per_namespace = per_namespace
        self.active: Counter[tuple[str, str]] = Counter()

    def quota(self, method: str) -> int:
        if method == "GetWorkflowExecutionHistory":
            return max(self.per_namespace, HISTORY_LONG_POLLS)
        return self.per_namespace

    def counts(self, method: str, request: Message) -> bool:
        if method not in LONG_RUNNING_METHODS:
            return False
        return method != "GetWorkflowExecutionHistory" or bool(getattr(request, "wait_new_event", False))

    def enter(self, namespace: str, method: str) -> None:
        """Take a slot, or raise ConcurrentLimitExceeded (the slot is not taken then)."""
        key = (namespace, method)
        active = self.active.get(key, 0)
        if active >= self.quota(method):
            raise ConcurrentLimitExceeded()
        self.active[key] = active + 1

    def leave(self, namespace: str, method: str) -> None:
        key = (namespace, method)
        active = self.active.get(key, 0) - 1
        if active <= 0:
            self.active.pop(key, None)
        else:
            self.active[key] = active


@dataclass(frozen=True)
class Undecodable:
    """What the lenient deserializer returns for bytes that are not a valid request."""

    message_name: str
    reason: str


def lenient(message_class: type[Message]) -> Callable[[bytes], Message | Undecodable]:
    def deserialize(data: bytes) -> Message | Undecodable:
        try:
            return message_class.FromString(data)
        except Exception as exc:  # DecodeError, and anything else the parser raises on garbage
            return Undecodable(message_class.DESCRIPTOR.full_name, str(exc).splitlines()[0] if str(exc) else "")

    return deserialize


Abort = Callable[[CallContext, ServiceError], Awaitable[None]]


def _request_class(descriptor: Any, messages: Any) -> type[Message]:
    """The generated class of a request: from its module when it is there (protobuf's
    message_factory loads its Python layers, a few ms of every server's start)."""
    from google.protobuf import empty_pb2

    for module in (messages, empty_pb2):
        # Only the module of the request's own file is asked: a module served lazily from the
        # descriptor cache runs its generated code (protobuf's Python layers again) for a name
        # it does not declare, as the TestService's messages would for its Empty requests.
        if module is None or module.DESCRIPTOR.name != descriptor.file.name:
            continue
        found = getattr(module, descriptor.name, None)
        if found is not None and found.DESCRIPTOR is descriptor:
            return found  # type: ignore[no-any-return]
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(descriptor)


def add_service(
    server: H2Server,
    servicer: Any,
    service: ServiceDescriptor,
    abort: Abort,
    limiter: LongPollLimiter | None = None,
    metrics: Metrics | None = None,
    messages: Any = None,
) -> None:
    """Serve every unary method of `service` from the servicer's method of the same name;
    ``messages``: the generated module of its requests (``request_response_pb2``)."""
    for method in service.methods:
        request_class = _request_class(method.input_type, messages)
        behavior = _behavior(
            service.full_name,
            method.name,
            getattr(servicer, method.name),
            abort,
            limiter,
            "namespace" in request_class.DESCRIPTOR.fields_by_name,
        )
        if metrics is not None:
            behavior = _measured(method.name, behavior, metrics)
        server.add_method(
            f"/{service.full_name}/{method.name}",
            Method(lenient(request_class), behavior, _serialize),
        )


def _serialize(response: Message) -> bytes:
    return response.SerializeToString()


def _behavior(
    service_name: str,
    name: str,
    method: Callable[[Any, CallContext], Awaitable[Message]],
    abort: Abort,
    limiter: LongPollLimiter | None,
    namespaced: bool = True,
) -> Callable[[Any, CallContext], Awaitable[Message]]:
    """The handler of one method; ``namespaced``: whether its request has a namespace field."""
    # Whether a call of this method may count against the limiter (asked per call only then).
    limited = limiter is not None and name in LONG_RUNNING_METHODS

    async def behavior(request: Message | Undecodable, context: CallContext) -> Message:
        if isinstance(request, Undecodable):
            log.debug("%s/%s: request is not a valid %s: %s", service_name, name, request.message_name, request.reason)
            await context.abort(
                StatusCode.INVALID_ARGUMENT, f"request is not a valid {request.message_name}: {request.reason}"
            )
            raise AssertionError("unreachable")
        if namespaced and len(getattr(request, "namespace", "")) > MAX_ID_LENGTH:
            await context.abort(StatusCode.INVALID_ARGUMENT, "Namespace length exceeds limit.")
            raise AssertionError("unreachable")
        if not limited or limiter is None or not limiter.counts(name, request):
            return await method(request, context)
        namespace = str(getattr(request, "namespace", ""))
        try:
            limiter.enter(namespace, name)
        except ConcurrentLimitExceeded as exc:
            await abort(context, exc)
            raise AssertionError("unreachable") from None
        try:
            return await method(request, context)
        finally:
            limiter.leave(namespace, name)

    behavior.__name__ = name
    return behavior


def _measured(
    name: str, behavior: Callable[[Any, CallContext], Awaitable[Message]], metrics: Metrics
) -> Callable[[Any, CallContext], Awaitable[Message]]:
    """Count the call, its failure and its latency (service_requests, service_errors, service_latency)."""

    async def measured(request: Message | Undecodable, context: CallContext) -> Message:
        started = time.perf_counter()
        REFUSED_WITH.set(None)
        error_type, expected = "", True
        try:
            return await behavior(request, context)
        except BaseException:
            code = context.code() if callable(getattr(context, "code", None)) else None
            error_type, expected = classify(REFUSED_WITH.get(), code)
            raise
        finally:
            namespace = "" if isinstance(request, Undecodable) else str(getattr(request, "namespace", ""))
            elapsed = time.perf_counter() - started
            metrics.rpc_done(namespace, name, elapsed, error_type=error_type, expected=expected)

    measured.__name__ = name
    return measured
