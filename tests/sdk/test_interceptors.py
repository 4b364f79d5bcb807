"""Interceptors as a user writes them: headers set on one side reach the other, across SDKs."""

from __future__ import annotations

from typing import Any

import pytest

from sdk import client, worker
from sdk.client import Client
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
