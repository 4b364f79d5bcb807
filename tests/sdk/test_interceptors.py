"""Interceptors as a user writes them: headers set on one side reach the other, across SDKs."""

from __future__ import annotations

import pytest

from tests.sdk import official_traced_app, traced_app
from tests.sdk.traced_runs import SDKS, clients, drive, drive_family, worker


@pytest.mark.parametrize("worker_sdk", SDKS)
@pytest.mark.parametrize("client_sdk", SDKS)
async def test_headers_set_by_interceptors_reach_the_other_sides_interceptors(
    server_address: str, task_queue: str, client_sdk: str, worker_sdk: str
) -> None:
    # Each recorder is given to its SDK's client only: the worker takes it from there.
    recorders = {"ours": traced_app.HeaderRecorder(), "official": official_traced_app.HeaderRecorder()}
    async with (
        clients(server_address, [recorders["ours"]], [recorders["official"]]) as connected,
        worker(worker_sdk, connected[worker_sdk], task_queue),
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
        worker(worker_sdk, connected[worker_sdk], task_queue),
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
