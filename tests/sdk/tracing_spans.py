"""An in-memory OpenTelemetry tracer, and the shape of the spans it recorded."""

from __future__ import annotations

from collections import Counter

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer


def in_memory_tracer() -> tuple[Tracer, InMemorySpanExporter]:
    """A tracer of its own provider (not the global one), whose spans the exporter keeps."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("tests"), exporter


def span_counts(spans: tuple[ReadableSpan, ...]) -> Counter[tuple[str, str | None, str]]:
    """How many spans there are of each name, parent's name (None for a root) and kind."""
    names = {span.context.span_id: span.name for span in spans if span.context is not None}
    return Counter(
        (span.name, names.get(span.parent.span_id) if span.parent else None, span.kind.name) for span in spans
    )


def span_tree(spans: tuple[ReadableSpan, ...]) -> set[tuple[str, str | None, str]]:
    """Each span's name with its parent's name (None for a root) and its kind."""
    return set(span_counts(spans))


def attribute_names(spans: tuple[ReadableSpan, ...]) -> set[tuple[str, tuple[str, ...]]]:
    """Each span's name with the names of its attributes."""
    return {(span.name, tuple(sorted(span.attributes or {}))) for span in spans}


def trace_ids(spans: tuple[ReadableSpan, ...]) -> set[int]:
    return {span.context.trace_id for span in spans if span.context is not None}
