"""Interceptors as a user writes them: headers set on one side reach the other, across SDKs."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sdk import client, worker
from sdk.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowIdConflictPolicy,
)
from sdk.worker import Worker
from tests.sdk import official_traced_app, traced_app
from tests.sdk.traced_runs import SDKS, clients, drive, drive_family, run_worker


@pytest.mark.parametrize("worker_sdk", SDKS)
@pytest.mark.parametrize("client_sdk", SDKS)
async def test_headers_set_by_interceptors_reach_the_other_sides_interceptors(
    server_address: str, task_queue: str, client_sdk: str, worker_sdk: str
) -> None:
    # Each recorder is given to its SDK's client only: the worker takes it from there.
    recorders = {"ours": traced_app.HeaderRecorder(), "official": official_traced_app.HeaderRecorder()}
    async with (
        clients(server_address, [recorders["ours"]], [recorders["official"]]) as connected,
        run_worker(worker_sdk, connected[worker_sdk], task_queue),
    ):
        assert await drive(client_sdk, connected[client_sdk], task_queue) == "hello ann"
    # What the client sent carries the client's header; the activity, the workflow's.
    assert recorders[worker_sdk].seen == {
        f"workflow Traced: {client_sdk}",
        f"query current: {client_sdk}",
        f"validator approve: {client_sdk}",
        f"update approve: {client_sdk}",
        f"signal proceed: {client_sdk}",
        f"activity greet: {worker_sdk}",
    }


@pytest.mark.parametrize("worker_sdk", SDKS)
@pytest.mark.parametrize("client_sdk", SDKS)
async def test_headers_a_workflow_sets_reach_its_local_activities_children_and_next_run(
    server_address: str, task_queue: str, client_sdk: str, worker_sdk: str
) -> None:
    recorders = {"ours": traced_app.HeaderRecorder(), "official": official_traced_app.HeaderRecorder()}
    async with (
        clients(server_address, [recorders["ours"]], [recorders["official"]]) as connected,
        run_worker(worker_sdk, connected[worker_sdk], task_queue),
    ):
        assert await drive_family(connected[client_sdk], task_queue) == "hello local, poked"
    assert recorders[worker_sdk].seen == {
        f"workflow TracedFamily: {client_sdk}",
        # The run continued as new, its child, the child's signal and the local activity
        # got the header from the workflow's outbound interceptor.
        f"workflow TracedFamily: {worker_sdk}",
        f"workflow TracedChild: {worker_sdk}",
        f"signal poke: {worker_sdk}",
        f"activity greet: {worker_sdk}",
    }


class _Named(client.Interceptor, worker.Interceptor):
    """Writes its name into ``calls`` as each workflow start and each activity passes it."""

    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        interceptor = self

        class Starts(client.OutboundInterceptor):
            async def start_workflow(self, input: client.StartWorkflowInput) -> client.WorkflowHandle:
                interceptor.calls.append(f"{interceptor.name} start")
                return await super().start_workflow(input)

        return Starts(next)

    def intercept_activity(self, next: worker.ActivityInboundInterceptor) -> worker.ActivityInboundInterceptor:
        interceptor = self

        class Activities(worker.ActivityInboundInterceptor):
            async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
                interceptor.calls.append(f"{interceptor.name} activity")
                return await super().execute_activity(input)

        return Activities(next)


async def test_the_first_interceptor_is_outermost_and_the_clients_come_before_the_workers(
    server_address: str, task_queue: str
) -> None:
    calls: list[str] = []
    our_client = await Client.connect(server_address, interceptors=[_Named("a", calls), _Named("b", calls)])
    try:
        async with Worker(
            our_client,
            task_queue=task_queue,
            workflows=[traced_app.Traced],
            activities=[traced_app.greet],
            interceptors=[_Named("c", calls)],
        ):
            assert await drive("ours", our_client, task_queue) == "hello ann"
    finally:
        await our_client.close()
    assert calls == ["a start", "b start", "a activity", "b activity", "c activity"]


class _ActivityCalls(worker.Interceptor):
    """Records the heartbeats and info calls of activities, through the outbound chain."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def intercept_activity(self, next: worker.ActivityInboundInterceptor) -> worker.ActivityInboundInterceptor:
        calls = self.calls

        class Outbound(worker.ActivityOutboundInterceptor):
            def info(self) -> Any:
                found = super().info()
                calls.append(f"info {found.activity_type}")
                return found

            def heartbeat(self, *details: Any) -> None:
                calls.append(f"heartbeat {details}")
                super().heartbeat(*details)

        class Inbound(worker.ActivityInboundInterceptor):
            def init(self, outbound: worker.ActivityOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

        return Inbound(next)


async def test_activity_heartbeats_and_info_go_through_the_outbound_interceptors(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    recorder = _ActivityCalls()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[traced_app.Beats],
        activities=[traced_app.beat, traced_app.beat_in_thread],
        activity_executor=activity_executor,
        interceptors=[recorder],
    ):
        result = await client.execute_workflow(
            traced_app.Beats.run, id=f"beats-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
    assert result == ["beat", "beat_in_thread"]
    assert recorder.calls == [
        "heartbeat ('halfway',)",
        "info beat",
        "heartbeat ('halfway',)",
        "info beat_in_thread",
    ]


class _ClientCalls(client.Interceptor):
    """Records each client call that passes, with what it names."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        calls = self.calls

        class Calls(client.OutboundInterceptor):
            async def start_workflow(self, input: client.StartWorkflowInput) -> client.WorkflowHandle:
                calls.append(f"start {input.workflow}")
                return await super().start_workflow(input)

            async def start_update_with_start_workflow(
                self, input: client.StartWorkflowUpdateWithStartInput
            ) -> client.WorkflowUpdateHandle:
                start, update = input.start_workflow_input, input.update_workflow_input
                calls.append(f"update-with-start {start.workflow} {update.update}")
                return await super().start_update_with_start_workflow(input)

            async def describe_workflow(self, input: client.DescribeWorkflowInput) -> Any:
                calls.append("describe")
                return await super().describe_workflow(input)

            async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
                calls.append(f"signal {input.signal}")
                await super().signal_workflow(input)

            async def cancel_workflow(self, input: client.CancelWorkflowInput) -> None:
                calls.append(f"cancel {input.reason}")
                await super().cancel_workflow(input)

            async def terminate_workflow(self, input: client.TerminateWorkflowInput) -> None:
                calls.append(f"terminate {input.reason}")
                await super().terminate_workflow(input)

            def list_workflows(self, input: client.ListWorkflowsInput) -> Any:
                calls.append(f"list {input.query}")
                return super().list_workflows(input)

            async def count_workflows(self, input: client.CountWorkflowsInput) -> int:
                calls.append(f"count {input.query}")
                return await super().count_workflows(input)

        return Calls(next)


async def test_every_workflow_call_of_the_client_passes_its_interceptors(server_address: str, task_queue: str) -> None:
    recorder = _ClientCalls()
    workflow_id = f"traced-{uuid.uuid4().hex[:8]}"
    our_client = await Client.connect(server_address, interceptors=[recorder])
    try:
        async with Worker(
            our_client, task_queue=task_queue, workflows=[traced_app.Traced], activities=[traced_app.greet]
        ):
            operation = WithStartWorkflowOperation(
                "Traced",
                "ann",
                id=workflow_id,
                task_queue=task_queue,
                id_conflict_policy=WorkflowIdConflictPolicy.USE_EXISTING,
            )
            answer = await our_client.execute_update_with_start_workflow(
                "approve", "bob", start_workflow_operation=operation
            )
            assert answer == "approved by bob"
            handle = await operation.workflow_handle()
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
            await handle.signal("proceed")
            assert await handle.result() == "hello ann"
            for ending in ("cancel", "terminate"):
                other = await our_client.start_workflow(
                    "Traced", "cy", id=f"traced-{uuid.uuid4().hex[:8]}", task_queue=task_queue
                )
                await (other.cancel(reason="no longer wanted") if ending == "cancel" else other.terminate("stop"))
            query = f"WorkflowId = '{workflow_id}'"
            assert [run.workflow_id async for run in our_client.list_workflows(query)] in ([], [workflow_id])
            assert await our_client.count_workflows(query) in (0, 1)  # visibility may lag
    finally:
        await our_client.close()
    assert recorder.calls == [
        "update-with-start Traced approve",
        "describe",
        "signal proceed",
        "start Traced",
        "cancel no longer wanted",
        "start Traced",
        "terminate stop",
        f"list WorkflowId = '{workflow_id}'",
        f"count WorkflowId = '{workflow_id}'",
    ]
