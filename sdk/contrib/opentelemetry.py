"""OpenTelemetry tracing for clients and workers: spans that continue across processes and SDKs.

Install the extra (``pip install tempo-devserver[opentelemetry]``), set up a tracer provider
as usual, and give the interceptor to the client; the workers that client is given to use it
too::

    client = await Client.connect("127.0.0.1:7233", interceptors=[TracingInterceptor()])

The span names, their attributes and the header the trace context travels in
(``_tracer-data``, the W3C trace context as a JSON payload) are the official SDK's, so one trace
runs from a client of either SDK through workers of either SDK. As there, spans inside a
workflow are created (and ended at once, at the workflow's time) only while it runs live, never
on replay, and only under a span from the client unless ``always_create_workflow_spans``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn

import opentelemetry.baggage.propagation
import opentelemetry.context
import opentelemetry.propagators.composite
import opentelemetry.propagators.textmap
import opentelemetry.trace
import opentelemetry.trace.propagation.tracecontext
from opentelemetry.trace import SpanKind, Status, StatusCode
from temporalio.api.common.v1 import Payload

from sdk import activity, client, worker, workflow
from sdk.converter import DataConverter
from sdk.exceptions import FailureError

__all__ = ["TracingInterceptor", "TracingWorkflowInboundInterceptor", "default_text_map_propagator"]

HEADER_KEY = "_tracer-data"
"""The header the official SDKs carry the trace context in."""

default_text_map_propagator = opentelemetry.propagators.composite.CompositePropagator(
    [
        opentelemetry.trace.propagation.tracecontext.TraceContextTextMapPropagator(),
        opentelemetry.baggage.propagation.W3CBaggagePropagator(),
    ]
)
"""W3C trace context and baggage, as the official SDK propagates them."""

Carrier = dict[str, Any]


class _Propagation:
    """The trace context to and from headers: a JSON payload under ``_tracer-data``."""

    header_key = HEADER_KEY
    text_map_propagator: opentelemetry.propagators.textmap.TextMapPropagator = default_text_map_propagator
    # Always the default converter, whatever the client's: the official SDK reads it so.
    converter = DataConverter.default

    def carrier_to_headers(self, carrier: Carrier, headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
        if not carrier:
            return headers
        return {**headers, self.header_key: self.converter.to_payload(carrier)}

    def context_to_headers(self, headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
        carrier: Carrier = {}
        self.text_map_propagator.inject(carrier)
        return self.carrier_to_headers(carrier, headers)

    def carrier_from_headers(self, headers: Mapping[str, Payload]) -> Carrier | None:
        payload = headers.get(self.header_key)
        if payload is None:
            return None
        carrier = self.converter.from_payload(payload)
        return carrier if isinstance(carrier, dict) and carrier else None

    def context_from_headers(self, headers: Mapping[str, Payload]) -> opentelemetry.context.Context | None:
        carrier = self.carrier_from_headers(headers)
        return None if carrier is None else self.text_map_propagator.extract(carrier)


@contextmanager
def _attached(context: opentelemetry.context.Context | None) -> Iterator[None]:
    if context is None:
        yield
        return
    token = opentelemetry.context.attach(context)
    try:
        yield
    finally:
        opentelemetry.context.detach(token)


class TracingInterceptor(client.Interceptor, worker.Interceptor, _Propagation):
    """Creates spans for client calls, activities and workflows, and carries their context on.

    Args:
        tracer: The tracer to use; defaults to ``opentelemetry.trace.get_tracer(__name__)``.
        always_create_workflow_spans: Create workflow spans even without a span from the
            client (a workflow started from the CLI or a schedule); they may have no parent.
    """

    def __init__(
        self, tracer: opentelemetry.trace.Tracer | None = None, *, always_create_workflow_spans: bool = False
    ) -> None:
        self.tracer = tracer or opentelemetry.trace.get_tracer(__name__)
        self.always_create_workflow_spans = always_create_workflow_spans

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _TracingClientOutbound(next, self)

    def intercept_activity(self, next: worker.ActivityInboundInterceptor) -> worker.ActivityInboundInterceptor:
        return _TracingActivityInbound(next, self)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        # A subclass per interceptor, so each run's interceptor finds its tracer.
        bound: type[TracingWorkflowInboundInterceptor] = type(
            "TracingWorkflowInbound", (TracingWorkflowInboundInterceptor,), {"root": self}
        )
        return bound

    @contextmanager
    def span(
        self,
        name: str,
        *,
        attributes: Mapping[str, Any],
        kind: SpanKind,
        context: opentelemetry.context.Context | None = None,
    ) -> Iterator[opentelemetry.trace.Span]:
        """A current span around a call; an exception marks it as an error and goes on."""
        with (
            _attached(context),
            self.tracer.start_as_current_span(
                name, context=context, attributes=attributes, kind=kind, set_status_on_exception=False
            ) as span,
        ):
            try:
                yield span
            except Exception as err:
                span.set_status(Status(StatusCode.ERROR, f"{type(err).__name__}: {err}"))
                raise


class _TracingClientOutbound(client.OutboundInterceptor):
    def __init__(self, next: client.OutboundInterceptor, root: TracingInterceptor) -> None:
        super().__init__(next)
        self.root = root

    async def start_workflow(self, input: client.StartWorkflowInput) -> client.WorkflowHandle:
        prefix = "SignalWithStartWorkflow" if input.start_signal else "StartWorkflow"
        with self.root.span(
            f"{prefix}:{input.workflow}", attributes={"temporalWorkflowID": input.id}, kind=SpanKind.CLIENT
        ):
            input.headers = self.root.context_to_headers(input.headers)
            return await super().start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        with self.root.span(
            f"SignalWorkflow:{input.signal}", attributes={"temporalWorkflowID": input.id}, kind=SpanKind.CLIENT
        ):
            input.headers = self.root.context_to_headers(input.headers)
            await super().signal_workflow(input)

    async def query_workflow(self, input: client.QueryWorkflowInput) -> Any:
        with self.root.span(
            f"QueryWorkflow:{input.query}", attributes={"temporalWorkflowID": input.id}, kind=SpanKind.CLIENT
        ):
            input.headers = self.root.context_to_headers(input.headers)
            return await super().query_workflow(input)

    async def start_workflow_update(self, input: client.StartWorkflowUpdateInput) -> client.WorkflowUpdateHandle:
        with self.root.span(
            f"StartWorkflowUpdate:{input.update}", attributes={"temporalWorkflowID": input.id}, kind=SpanKind.CLIENT
        ):
            input.headers = self.root.context_to_headers(input.headers)
            return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: client.StartWorkflowUpdateWithStartInput
    ) -> client.WorkflowUpdateHandle:
        start, update = input.start_workflow_input, input.update_workflow_input
        attributes = {"temporalWorkflowID": start.id}
        if update.update_id is not None:
            attributes["temporalUpdateID"] = update.update_id
        with self.root.span(
            f"StartUpdateWithStartWorkflow:{start.workflow}", attributes=attributes, kind=SpanKind.CLIENT
        ):
            start.headers = self.root.context_to_headers(start.headers)
            if self.root.header_key in start.headers:
                update.headers = {**update.headers, self.root.header_key: start.headers[self.root.header_key]}
            return await super().start_update_with_start_workflow(input)


class _TracingActivityInbound(worker.ActivityInboundInterceptor):
    def __init__(self, next: worker.ActivityInboundInterceptor, root: TracingInterceptor) -> None:
        super().__init__(next)
        self.root = root

    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        info = activity.info()
        attributes = {"temporalActivityID": info.activity_id}
        if info.workflow_id:
            attributes["temporalWorkflowID"] = info.workflow_id
        if info.workflow_run_id:
            attributes["temporalRunID"] = info.workflow_run_id
        with self.root.span(
            f"RunActivity:{info.activity_type}",
            attributes=attributes,
            kind=SpanKind.SERVER,
            context=self.root.context_from_headers(input.headers),
        ):
            return await super().execute_activity(input)


class TracingWorkflowInboundInterceptor(worker.WorkflowInboundInterceptor, _Propagation):
    """Spans for a workflow run's work, each started and ended at once at the workflow's time
    (a span left open would not survive the run moving to another worker)."""

    root: TracingInterceptor

    def __init__(self, next: worker.WorkflowInboundInterceptor) -> None:
        super().__init__(next)
        self._workflow_carrier: Carrier | None = None

    def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
        super().init(_TracingWorkflowOutbound(outbound, self))

    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        with self._workflow_context(success_is_complete=True):
            self.completed_span(f"RunWorkflow:{workflow.info().workflow_type}", kind=SpanKind.SERVER)
            return await super().execute_workflow(input)

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        with self._workflow_context(success_is_complete=False):
            self.completed_span(
                f"HandleSignal:{input.signal}", link=self.carrier_from_headers(input.headers), kind=SpanKind.SERVER
            )
            await super().handle_signal(input)

    async def handle_query(self, input: worker.HandleQueryInput) -> Any:
        # Traced only under a span from the caller, and apart from the workflow's spans.
        carrier = self.carrier_from_headers(input.headers)
        context = self.text_map_propagator.extract(carrier) if carrier is not None else opentelemetry.context.Context()
        with _attached(context):
            self.completed_span(
                f"HandleQuery:{input.query}",
                link=self._load_workflow_carrier() if carrier is not None else None,
                even_on_replay=True,
                kind=SpanKind.SERVER,
            )
            return await super().handle_query(input)

    def handle_update_validator(self, input: worker.HandleUpdateInput) -> None:
        with self._workflow_context(success_is_complete=False):
            self.completed_span(
                f"ValidateUpdate:{input.update}", link=self.carrier_from_headers(input.headers), kind=SpanKind.SERVER
            )
            super().handle_update_validator(input)

    async def handle_update_handler(self, input: worker.HandleUpdateInput) -> Any:
        with self._workflow_context(success_is_complete=False):
            self.completed_span(
                f"HandleUpdate:{input.update}", link=self.carrier_from_headers(input.headers), kind=SpanKind.SERVER
            )
            return await super().handle_update_handler(input)

    def _load_workflow_carrier(self) -> Carrier | None:
        if self._workflow_carrier is None:
            self._workflow_carrier = self.carrier_from_headers(workflow.info().headers)
        return self._workflow_carrier

    @contextmanager
    def _workflow_context(self, *, success_is_complete: bool) -> Iterator[None]:
        """Run under the context the workflow was started in; record its completion or failure."""
        carrier = self._load_workflow_carrier()
        context = self.text_map_propagator.extract(carrier) if carrier is not None else opentelemetry.context.Context()
        failure: Exception | None = None
        succeeded = False
        with _attached(context):
            try:
                yield
                succeeded = True
            except FailureError as err:
                failure = err  # only failures close the workflow; other errors fail its task
                raise
            finally:
                if failure is not None or (succeeded and success_is_complete):
                    self.completed_span(
                        f"CompleteWorkflow:{workflow.info().workflow_type}", failure=failure, kind=SpanKind.INTERNAL
                    )

    def completed_span(
        self,
        name: str,
        *,
        kind: SpanKind,
        link: Carrier | None = None,
        even_on_replay: bool = False,
        failure: Exception | None = None,
    ) -> Carrier | None:
        """Start and end a span under the current context; return the context with it as a
        carrier (for outbound headers), or None when no span is made."""
        if workflow.is_replaying() and not even_on_replay:
            return None
        parent_missing = opentelemetry.trace.get_current_span() is opentelemetry.trace.INVALID_SPAN
        if parent_missing and not self.root.always_create_workflow_spans:
            return None
        links = []
        if link:
            linked = opentelemetry.trace.get_current_span(self.text_map_propagator.extract(link))
            if linked is not opentelemetry.trace.INVALID_SPAN:
                links.append(opentelemetry.trace.Link(linked.get_span_context()))
        info = workflow.info()
        moment = workflow.time_ns()
        span = self.root.tracer.start_span(
            name,
            attributes={"temporalWorkflowID": info.workflow_id, "temporalRunID": info.run_id},
            links=links,
            start_time=moment,
            kind=kind,
        )
        if failure is not None:
            span.record_exception(failure)
        span.end(end_time=moment)
        carrier: Carrier = {}
        self.text_map_propagator.inject(carrier, opentelemetry.trace.set_span_in_context(span))
        return carrier


class _TracingWorkflowOutbound(worker.WorkflowOutboundInterceptor):
    def __init__(self, next: worker.WorkflowOutboundInterceptor, root: TracingWorkflowInboundInterceptor) -> None:
        super().__init__(next)
        self.root = root

    def _with_span(self, name: str, kind: SpanKind, input: Any) -> None:
        carrier = self.root.completed_span(name, kind=kind)
        if carrier:
            input.headers = self.root.carrier_to_headers(carrier, input.headers)

    def continue_as_new(self, input: worker.ContinueAsNewInput) -> NoReturn:
        input.headers = self.root.context_to_headers(input.headers)
        super().continue_as_new(input)

    def start_activity(self, input: worker.StartActivityInput) -> Any:
        self._with_span(f"StartActivity:{input.activity}", SpanKind.CLIENT, input)
        return super().start_activity(input)

    def start_local_activity(self, input: worker.StartLocalActivityInput) -> Any:
        self._with_span(f"StartActivity:{input.activity}", SpanKind.CLIENT, input)
        return super().start_local_activity(input)

    async def start_child_workflow(self, input: worker.StartChildWorkflowInput) -> Any:
        self._with_span(f"StartChildWorkflow:{input.workflow}", SpanKind.CLIENT, input)
        return await super().start_child_workflow(input)

    async def signal_child_workflow(self, input: worker.SignalChildWorkflowInput) -> None:
        # SERVER, as the official SDK names this one's kind.
        self._with_span(f"SignalChildWorkflow:{input.signal}", SpanKind.SERVER, input)
        await super().signal_child_workflow(input)

    async def signal_external_workflow(self, input: worker.SignalExternalWorkflowInput) -> None:
        self._with_span(f"SignalExternalWorkflow:{input.signal}", SpanKind.CLIENT, input)
        await super().signal_external_workflow(input)
