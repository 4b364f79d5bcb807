"""OpenTelemetry tracing through interceptors: our TracingInterceptor and the official SDK's
make one trace, whichever SDK's client drives whichever SDK's worker."""

from __future__ import annotations

import uuid

import pytest
import temporalio.contrib.opentelemetry

from sdk.contrib.opentelemetry import TracingInterceptor
from sdk.worker import Replayer
from tests.sdk import traced_app
from tests.sdk.traced_runs import SDKS, clients, drive, drive_family, drive_update_with_start, run_worker, traced
from tests.sdk.tracing_spans import attribute_names, in_memory_tracer, span_counts, span_tree, trace_ids

# What the official SDK's interceptor records for the run, client and worker alike.
EXPECTED_TREE = {
    ("test", None, "INTERNAL"),
    ("StartWorkflow:Traced", "test", "CLIENT"),
    ("RunWorkflow:Traced", "StartWorkflow:Traced", "SERVER"),
    ("StartActivity:greet", "StartWorkflow:Traced", "CLIENT"),
    ("RunActivity:greet", "StartActivity:greet", "SERVER"),
    ("QueryWorkflow:current", "test", "CLIENT"),
    ("HandleQuery:current", "QueryWorkflow:current", "SERVER"),
    ("StartWorkflowUpdate:approve", "test", "CLIENT"),
    ("ValidateUpdate:approve", "StartWorkflow:Traced", "SERVER"),
    ("HandleUpdate:approve", "StartWorkflow:Traced", "SERVER"),
    ("SignalWorkflow:proceed", "test", "CLIENT"),
    ("HandleSignal:proceed", "StartWorkflow:Traced", "SERVER"),
    ("CompleteWorkflow:Traced", "StartWorkflow:Traced", "INTERNAL"),
}
WORKFLOW_ATTRIBUTES = ("temporalRunID", "temporalWorkflowID")
CLIENT_ATTRIBUTES = ("temporalWorkflowID",)
EXPECTED_ATTRIBUTES = {
    ("test", ()),
    ("StartWorkflow:Traced", CLIENT_ATTRIBUTES),
    ("QueryWorkflow:current", CLIENT_ATTRIBUTES),
    ("StartWorkflowUpdate:approve", CLIENT_ATTRIBUTES),
    ("SignalWorkflow:proceed", CLIENT_ATTRIBUTES),
    ("RunActivity:greet", ("temporalActivityID", "temporalRunID", "temporalWorkflowID")),
    *(
        (name, WORKFLOW_ATTRIBUTES)
        for name in (
            "RunWorkflow:Traced",
            "StartActivity:greet",
            "HandleQuery:current",
            "ValidateUpdate:approve",
            "HandleUpdate:approve",
            "HandleSignal:proceed",
            "CompleteWorkflow:Traced",
        )
    ),
}


@pytest.mark.parametrize("worker_sdk", SDKS)
@pytest.mark.parametrize("client_sdk", SDKS)
async def test_one_trace_runs_through_both_sdks_clients_and_workers(
    server_address: str, task_queue: str, client_sdk: str, worker_sdk: str
) -> None:
    result, spans = await traced(
        server_address, task_queue, client_sdk, worker_sdk, lambda client: drive(client_sdk, client, task_queue)
    )
    assert result == "hello ann"
    assert len(trace_ids(spans)) == 1
    assert span_tree(spans) == EXPECTED_TREE
    assert attribute_names(spans) == EXPECTED_ATTRIBUTES


# Two runs (one continued as new), each with a local activity and a child it signals.
EXPECTED_FAMILY_SPANS = {
    ("test", None, "INTERNAL"): 1,
    ("StartWorkflow:TracedFamily", "test", "CLIENT"): 1,
    ("RunWorkflow:TracedFamily", "StartWorkflow:TracedFamily", "SERVER"): 2,
    ("StartActivity:greet", "StartWorkflow:TracedFamily", "CLIENT"): 2,
    ("RunActivity:greet", "StartActivity:greet", "SERVER"): 2,
    ("StartChildWorkflow:TracedChild", "StartWorkflow:TracedFamily", "CLIENT"): 2,
    ("RunWorkflow:TracedChild", "StartChildWorkflow:TracedChild", "SERVER"): 2,
    ("SignalChildWorkflow:poke", "StartWorkflow:TracedFamily", "SERVER"): 2,
    ("HandleSignal:poke", "StartChildWorkflow:TracedChild", "SERVER"): 2,
    ("CompleteWorkflow:TracedChild", "StartChildWorkflow:TracedChild", "INTERNAL"): 2,
    ("CompleteWorkflow:TracedFamily", "StartWorkflow:TracedFamily", "INTERNAL"): 1,
}


@pytest.mark.parametrize("worker_sdk", SDKS)
@pytest.mark.parametrize("client_sdk", SDKS)
async def test_the_trace_follows_local_activities_children_and_continue_as_new(
    server_address: str, task_queue: str, client_sdk: str, worker_sdk: str
) -> None:
    result, spans = await traced(
        server_address, task_queue, client_sdk, worker_sdk, lambda client: drive_family(client, task_queue)
    )
    assert result == "hello local, poked"
    assert len(trace_ids(spans)) == 1
    assert span_counts(spans) == EXPECTED_FAMILY_SPANS


EXPECTED_UPDATE_WITH_START_SPANS = {
    ("test", None, "INTERNAL"): 1,
    ("StartUpdateWithStartWorkflow:Traced", "test", "CLIENT"): 1,
    ("RunWorkflow:Traced", "StartUpdateWithStartWorkflow:Traced", "SERVER"): 1,
    ("ValidateUpdate:approve", "StartUpdateWithStartWorkflow:Traced", "SERVER"): 1,
    ("HandleUpdate:approve", "StartUpdateWithStartWorkflow:Traced", "SERVER"): 1,
    ("StartActivity:greet", "StartUpdateWithStartWorkflow:Traced", "CLIENT"): 1,
    ("RunActivity:greet", "StartActivity:greet", "SERVER"): 1,
    ("SignalWorkflow:proceed", "test", "CLIENT"): 1,
    ("HandleSignal:proceed", "StartUpdateWithStartWorkflow:Traced", "SERVER"): 1,
    ("CompleteWorkflow:Traced", "StartUpdateWithStartWorkflow:Traced", "INTERNAL"): 1,
}


@pytest.mark.parametrize("worker_sdk", SDKS)
@pytest.mark.parametrize("client_sdk", SDKS)
async def test_update_with_start_begins_the_workflows_trace(
    server_address: str, task_queue: str, client_sdk: str, worker_sdk: str
) -> None:
    result, spans = await traced(
        server_address,
        task_queue,
        client_sdk,
        worker_sdk,
        lambda client: drive_update_with_start(client_sdk, client, task_queue),
    )
    assert result == "hello ann"
    assert len(trace_ids(spans)) == 1
    assert span_counts(spans) == EXPECTED_UPDATE_WITH_START_SPANS
    # No update ID was given, so neither SDK's span names one.
    assert ("StartUpdateWithStartWorkflow:Traced", CLIENT_ATTRIBUTES) in attribute_names(spans)


async def test_a_replay_through_the_tracing_interceptor_makes_no_workflow_spans(
    server_address: str, task_queue: str
) -> None:
    tracer, exporter = in_memory_tracer()
    async with (
        clients(server_address, [TracingInterceptor(tracer)], []) as connected,
        run_worker("ours", connected["ours"], task_queue),
    ):
        workflow_id = f"traced-{uuid.uuid4().hex[:8]}"
        with tracer.start_as_current_span("test"):
            assert await drive("ours", connected["ours"], task_queue, workflow_id) == "hello ann"
        history = await connected["ours"].get_workflow_handle(workflow_id).fetch_history()
    live = len(exporter.get_finished_spans())
    replayer = Replayer(workflows=[traced_app.Traced], interceptors=[TracingInterceptor(tracer)])
    await replayer.replay_workflow(history)
    # The spans were made when the workflow ran; a replay (a worker that lost its cache, or
    # this) must not make them again.
    assert len(exporter.get_finished_spans()) == live


@pytest.mark.parametrize(("parent_sdk", "child_sdk"), [("ours", "official"), ("official", "ours")])
async def test_the_trace_goes_on_into_a_child_run_by_the_other_sdk(
    server_address: str, task_queue: str, parent_sdk: str, child_sdk: str
) -> None:
    tracer, exporter = in_memory_tracer()
    ours = TracingInterceptor(tracer)
    official = temporalio.contrib.opentelemetry.TracingInterceptor(tracer)
    child_queue = f"{task_queue}-children"
    async with (
        clients(server_address, [ours], [official]) as connected,
        run_worker(parent_sdk, connected[parent_sdk], task_queue),
        run_worker(child_sdk, connected[child_sdk], child_queue),
    ):
        with tracer.start_as_current_span("test"):
            result = await drive_family(connected["ours"], task_queue, child_queue)
    assert result == "hello local, poked"
    spans = exporter.get_finished_spans()
    assert len(trace_ids(spans)) == 1
    assert span_counts(spans) == EXPECTED_FAMILY_SPANS
