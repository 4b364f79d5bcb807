"""Prometheus metrics on `--metrics-port`, named and labelled as the real server names its own.

The real dev server serves hundreds of series on `/metrics`; Tempo serves the ones that mean
the same thing here, under the same names and labels, so a dashboard or alert written for the
real server reads them unchanged:

- `service_requests`, `service_error_with_type` (with `error_type`), `service_errors` (the
  unexpected ones only), `service_latency` (seconds, the real buckets): every gRPC call,
  labelled `namespace` (`_unknown_` when the request has none), `operation` (the RPC's
  name) and `service_name` (`frontend`);
- `workflow_success`, `workflow_failed`, `workflow_cancel`, `workflow_terminate`,
  `workflow_timeout`, `workflow_continued_as_new`: runs that closed, labelled
  `namespace`, `namespace_state`, `operation` (`CompletionStats`), `service_name`
  (`history`), `taskqueue` and `workflowType`.

Counters are exposed without a `_total` suffix on their samples, and label values with
anything but letters, digits and `_` turned into `_` (a task queue `orders-eu` is
`orders_eu`), as the real server's are.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from temporalio.api.enums.v1 import workflow_pb2 as wf_enums

from devserver.core.protos import with_value_names
from tempo_wire.status import StatusCode

# prometheus_client (a tenth of a second to import) is imported only when metrics are served.
if TYPE_CHECKING:
    from prometheus_client.core import Metric

Status = with_value_names(wf_enums.WorkflowExecutionStatus)

# The real server's service_latency buckets, in seconds.
LATENCY_BUCKETS = (
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000,
)  # fmt: skip
UNKNOWN_NAMESPACE = "_unknown_"

_CLOSE_COUNTERS: dict[int, str] = {
    Status.WORKFLOW_EXECUTION_STATUS_COMPLETED: "workflow_success",
    Status.WORKFLOW_EXECUTION_STATUS_FAILED: "workflow_failed",
    Status.WORKFLOW_EXECUTION_STATUS_CANCELED: "workflow_cancel",
    Status.WORKFLOW_EXECUTION_STATUS_TERMINATED: "workflow_terminate",
    Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT: "workflow_timeout",
    Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: "workflow_continued_as_new",
}

_Labels = tuple[tuple[str, str], ...]

# The error a call was refused with, set where errors become gRPC statuses (grpc_service.abort)
# and read by the gRPC layer's measuring wrapper in the same task.
REFUSED_WITH: ContextVar[BaseException | None] = ContextVar("refused_with", default=None)


class Metrics:
    """What the server counts; the gRPC layer and the engine report to it (from the event loop),
    the HTTP endpoint reads it (from its own thread)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry

        self._lock = threading.Lock()
        self._counters: dict[str, dict[_Labels, float]] = defaultdict(lambda: defaultdict(float))
        # labels -> (bucket counts, sum, count)
        self._latency: dict[_Labels, tuple[list[int], float, int]] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def rpc_done(
        self, namespace: str, operation: str, seconds: float, *, error_type: str = "", expected: bool = True
    ) -> None:
        """One gRPC call answered, or refused with an error of `error_type` (the real server's Go
        type name, e.g. `NotFound`). Only unexpected errors (internal, unavailable, unimplemented,
        a deadline) count in `service_errors`, as on the real server."""
        labels = (
            ("namespace", _sanitized(namespace) or UNKNOWN_NAMESPACE),
            ("operation", operation),
            ("service_name", "frontend"),
        )
        with self._lock:
            self._counters["service_requests"][labels] += 1
            if error_type:
                typed = (("error_type", f"serviceerror_{error_type}"), *labels)
                self._counters["service_error_with_type"][typed] += 1
                if not expected:
                    self._counters["service_errors"][labels] += 1
            buckets, total, count = self._latency.get(labels) or ([0] * len(LATENCY_BUCKETS), 0.0, 0)
            index = bisect.bisect_left(LATENCY_BUCKETS, seconds)
            if index < len(buckets):
                buckets[index] += 1
            self._latency[labels] = (buckets, total + seconds, count + 1)

    def run_closed(self, namespace: str, task_queue: str, workflow_type: str, status: int) -> None:
        """A run closed with `status` (a WorkflowExecutionStatus)."""
        name = _CLOSE_COUNTERS.get(status)
        if name is None:
            return
        labels = (
            ("namespace", _sanitized(namespace)),
            ("namespace_state", "active"),
            ("operation", "CompletionStats"),
            ("service_name", "history"),
            ("taskqueue", _sanitized(task_queue)),
            ("workflowType", _sanitized(workflow_type)),
        )
        with self._lock:
            self._counters[name][labels] += 1

    def collect(self) -> Iterator[Metric]:
        """The Prometheus collector protocol: every family, as it stands now."""
        from prometheus_client.core import HistogramMetricFamily, Metric

        with self._lock:
            counters = {name: dict(series) for name, series in self._counters.items()}
            latency = {labels: (list(b), s, c) for labels, (b, s, c) in self._latency.items()}
        for name, series in sorted(counters.items()):
            family = Metric(name, f"{name} counter", "counter")
            for labels, value in series.items():
                family.add_sample(name, dict(labels), value)
            yield family
        histogram = HistogramMetricFamily(
            "service_latency", "service_latency histogram", labels=["namespace", "operation", "service_name"]
        )
        for labels, (buckets, total, _count) in latency.items():
            cumulative, running = [], 0
            for bound, hits in zip(LATENCY_BUCKETS, buckets, strict=True):
                running += hits
                cumulative.append((_bound(bound), running))
            cumulative.append(("+Inf", _count))
            histogram.add_metric([value for _, value in labels], cumulative, total)
        yield histogram

    def serve(self, ip: str, port: int) -> Callable[[], None]:
        """Serve `/metrics` over HTTP on (ip, port), from a daemon thread; returns how to stop it."""
        from prometheus_client import start_http_server

        server, thread = start_http_server(port, addr=ip, registry=self.registry)

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(timeout=2)

        return stop


def _sanitized(value: str) -> str:
    """A label value as the real server writes it: anything but letters, digits and `_` becomes `_`."""
    return _UNSAFE.sub("_", value)


_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _bound(bound: float) -> str:
    return str(int(bound)) if bound >= 1 else str(bound)


# The real server's Go error type for each of Tempo's errors (devserver.errors), by class name;
# others are named by their gRPC status.
_ERROR_TYPES = {
    "WorkflowAlreadyStarted": "WorkflowExecutionAlreadyStarted",
    "NamespaceNotFound": "NamespaceNotFound",
    "QueryFailed": "QueryFailed",
    "WorkflowNotReady": "WorkflowNotReady",
    "NotFound": "NotFound",
    "InvalidArgument": "InvalidArgument",
    "AlreadyExists": "AlreadyExists",
    "FailedPrecondition": "FailedPrecondition",
    "PermissionDenied": "PermissionDenied",
    "Unimplemented": "Unimplemented",
    "Unavailable": "Unavailable",
    "ConcurrentLimitExceeded": "ResourceExhausted",
}
_STATUS_TYPES = {
    StatusCode.INVALID_ARGUMENT: "InvalidArgument",
    StatusCode.NOT_FOUND: "NotFound",
    StatusCode.ALREADY_EXISTS: "AlreadyExists",
    StatusCode.FAILED_PRECONDITION: "FailedPrecondition",
    StatusCode.PERMISSION_DENIED: "PermissionDenied",
    StatusCode.UNIMPLEMENTED: "Unimplemented",
    StatusCode.UNAVAILABLE: "Unavailable",
    StatusCode.RESOURCE_EXHAUSTED: "ResourceExhausted",
    StatusCode.DEADLINE_EXCEEDED: "DeadlineExceeded",
    StatusCode.CANCELLED: "Canceled",
    StatusCode.INTERNAL: "Internal",
    StatusCode.ABORTED: "Aborted",
}
# Status codes the real server counts as a caller's doing, not a server failure.
_EXPECTED = {
    StatusCode.CANCELLED,
    StatusCode.INVALID_ARGUMENT,
    StatusCode.NOT_FOUND,
    StatusCode.ALREADY_EXISTS,
    StatusCode.PERMISSION_DENIED,
    StatusCode.FAILED_PRECONDITION,
    StatusCode.OUT_OF_RANGE,
    StatusCode.UNAUTHENTICATED,
}


def classify(error: BaseException | None, code: StatusCode | None) -> tuple[str, bool]:
    """(the real server's error type name, whether it is expected) for a refused call."""
    for cls in type(error).__mro__ if error is not None else ():
        if cls.__name__ in _ERROR_TYPES:
            name = _ERROR_TYPES[cls.__name__]
            break
    else:
        name = _STATUS_TYPES.get(code, "Internal") if code is not None else "Internal"
    expected = code in _EXPECTED or (name == "ResourceExhausted" and error is not None)
    return name, expected
