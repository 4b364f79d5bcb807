"""Patching (issue 8, item 1): `workflow.patched` / `deprecate_patch` with the official SDK.

The SDK records a `core_patch` marker and upserts the predefined search attribute
TemporalChangeVersion; the real server accepts, stores and indexes it. Every test
runs the same thing on both servers and compares what a user sees.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

import grpc
import pytest
from temporalio.api.common.v1 import Payload, SearchAttributes, WorkflowExecution, WorkflowType
from temporalio.api.operatorservice.v1 import request_response_pb2 as opv1
from temporalio.api.operatorservice.v1.service_pb2_grpc import OperatorServiceStub
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Replayer, Worker

from tests.devserver import compat, scenarios
from tests.devserver.compat_workflows import PatchV1, PatchV2, PatchV3, PatchV4, TwoPatchesWorkflow

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]


async def _run(client: Client, workflow: Any, prefix: str) -> WorkflowHandle[Any, Any]:
    task_queue = scenarios.unique("tq-patch")
    async with Worker(client, task_queue=task_queue, workflows=[workflow]):
        handle = await client.start_workflow(workflow.run, id=f"{prefix}-{uuid.uuid4().hex[:6]}", task_queue=task_queue)
        await handle.result()
    return handle


async def _search_attributes(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    description = await handle.describe()
    fields = description.raw_description.workflow_execution_info.search_attributes.indexed_fields
    return {name: compat.decoded(value) for name, value in fields.items()}


async def _two_patches(address: str) -> tuple[Any, list[tuple[Any, ...]], dict[str, Any]]:
    client = await scenarios.client_for(address)
    handle = await _run(client, TwoPatchesWorkflow, "two-patches")
    return await handle.result(), compat.summary(await scenarios.events(handle)), await _search_attributes(handle)


async def test_patched_upserts_change_version(tempo_address: str, real_address: str) -> None:
    """Two patches in one task: markers, TemporalChangeVersion upserts, the stored search
    attributes (the server adds BuildIds) and the result match."""
    (ours_result, ours, ours_sa), (real_result, real, real_sa) = await asyncio.gather(
        _two_patches(tempo_address), _two_patches(real_address)
    )
    assert ours == real, compat.diff(ours, real)
    assert ours_result == real_result == [True, True]
    assert ours_sa == real_sa
    assert real_sa["TemporalChangeVersion"] == ["change-a", "change-b"]
    assert real_sa["BuildIds"][0] == "unversioned"


async def _patch_lifecycle(address: str) -> dict[str, Any]:
    """A user's patch lifecycle: v1 runs, v2 adds `patched`, v3 deprecates it, v4 drops it.
    Each version runs once on the server; every history is replayed by the versions that must
    (and must not) accept it."""
    client = await scenarios.client_for(address)
    histories = {}
    summaries = {}
    for name, version in [("v1", PatchV1), ("v2", PatchV2), ("v3", PatchV3), ("v4", PatchV4)]:
        handle = await _run(client, version, f"lifecycle-{name}")
        histories[name] = await handle.fetch_history()
        summaries[name] = (await handle.result(), compat.summary(histories[name].events))
    replays = {}
    for code, history in [
        ("v2", "v1"),  # patched() is False for a run started before the change
        ("v2", "v2"),
        ("v3", "v2"),  # deprecate_patch accepts histories with the marker...
        ("v3", "v3"),
        ("v4", "v3"),  # ...and with it gone, v4 replays v3's runs
        ("v1", "v2"),  # old code cannot replay a run that took the new path
        ("v4", "v2"),
    ]:
        workflow = {"v1": PatchV1, "v2": PatchV2, "v3": PatchV3, "v4": PatchV4}[code]
        result = await Replayer(workflows=[workflow]).replay_workflow(histories[history], raise_on_replay_failure=False)
        replays[f"{code} replays {history}"] = result.replay_failure is None
    return {"runs": summaries, "replays": replays}


async def test_patch_lifecycle_and_replay(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_patch_lifecycle(tempo_address), _patch_lifecycle(real_address))
    for version in ("v1", "v2", "v3", "v4"):
        ours_run, real_run = ours["runs"][version], real["runs"][version]
        assert ours_run == real_run, f"{version}:\n" + compat.diff(ours_run[1], real_run[1])
    assert ours["replays"] == real["replays"]
    assert real["replays"] == {
        "v2 replays v1": True,
        "v2 replays v2": True,
        "v3 replays v2": True,
        "v3 replays v3": True,
        "v4 replays v3": True,
        "v1 replays v2": False,
        "v4 replays v2": False,
    }


async def _tempo_cli(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tempo_cli.main",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def _listed_by_change_version(address: str) -> dict[str, list[str]]:
    """Runs with and without the patch, then `tempo workflow list --query` by TemporalChangeVersion."""
    client = await scenarios.client_for(address)
    prefix = scenarios.unique("cv")
    for name, version in [("old", PatchV1), ("new", PatchV2)]:
        task_queue = scenarios.unique("tq-cv")
        async with Worker(client, task_queue=task_queue, workflows=[version]):
            await client.execute_workflow(version.run, id=f"{prefix}-{name}", task_queue=task_queue)
    queries = {
        "patched": f"WorkflowId STARTS_WITH '{prefix}' AND TemporalChangeVersion = 'my-change-1'",
        "in": f"WorkflowId STARTS_WITH '{prefix}' AND TemporalChangeVersion IN ('x', 'my-change-1')",
        "unpatched": f"WorkflowId STARTS_WITH '{prefix}' AND TemporalChangeVersion IS NULL",
        "build ids": f"WorkflowId STARTS_WITH '{prefix}' AND BuildIds = 'unversioned'",
    }

    async def settled() -> bool:  # the real server's visibility lags a little
        count = await client.count_workflows(f"{queries['build ids']} AND ExecutionStatus = 'Completed'")
        return count.count == 2

    await scenarios.wait_until(settled, what="visibility caught up")
    lists = [("workflow", "list", "--address", address, "--query", query, "-o", "json") for query in queries.values()]
    outs = await asyncio.gather(*(_tempo_cli(*args) for args in lists))
    return {
        name: sorted(info["execution"]["workflowId"].rsplit("-", 1)[1] for info in json.loads(out))
        for name, out in zip(queries, outs, strict=True)
    }


async def test_change_version_is_filterable_with_tempo_workflow_list(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_listed_by_change_version(tempo_address), _listed_by_change_version(real_address))
    assert ours == real
    assert real == {"patched": ["new"], "in": ["new"], "unpatched": ["old"], "build ids": ["new", "old"]}


# ---- which predefined search attributes clients and workers may set ---------------------------

# name -> (type, value): every predefined and system attribute, plus names that look like them.
ATTRIBUTES: dict[str, tuple[str, Any]] = {
    "TemporalChangeVersion": ("KeywordList", ["a"]),
    "BinaryChecksums": ("KeywordList", ["a"]),
    "BuildIds": ("KeywordList", ["a"]),
    "BatcherNamespace": ("Keyword", "a"),
    "BatcherUser": ("Keyword", "a"),
    "TemporalScheduledStartTime": ("Datetime", "2024-01-01T00:00:00Z"),
    "TemporalScheduledById": ("Keyword", "a"),
    "TemporalSchedulePaused": ("Bool", True),
    "TemporalNamespaceDivision": ("Keyword", "a"),
    "TemporalPauseInfo": ("KeywordList", ["a"]),
    "TemporalReportedProblems": ("KeywordList", ["a"]),
    "TemporalWorkerDeploymentVersion": ("Keyword", "a"),
    "TemporalWorkflowVersioningBehavior": ("Keyword", "a"),
    "TemporalWorkerDeployment": ("Keyword", "a"),
    "TemporalUsedWorkerDeploymentVersions": ("KeywordList", ["a"]),
    "TemporalExternalPayloadCount": ("Int", 1),
    "WorkflowId": ("Keyword", "a"),
    "ExecutionStatus": ("Keyword", "Running"),
    "HistoryLength": ("Int", 3),
    "ParentWorkflowId": ("Keyword", "a"),
    "RootRunId": ("Keyword", "a"),
    "NamespaceId": ("Keyword", "a"),
    "TemporalFoo": ("Keyword", "a"),
    "ScheduleId": ("Keyword", "a"),
}


def _attribute(name: str) -> SearchAttributes:
    kind, value = ATTRIBUTES[name]
    payload = Payload(metadata={"encoding": b"json/plain", "type": kind.encode()}, data=json.dumps(value).encode())
    return SearchAttributes(indexed_fields={name: payload})


async def _set_by_client_and_worker(address: str) -> dict[str, tuple[str, str]]:
    """For each name: what StartWorkflowExecution and an UpsertWorkflowSearchAttributes command
    answer ("OK" and what describe stores, or the gRPC code and message)."""
    from temporalio.api.command.v1 import Command, UpsertWorkflowSearchAttributesCommandAttributes
    from temporalio.api.enums.v1 import CommandType

    await scenarios.client_for(address)
    out: dict[str, tuple[str, str]] = {}
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)

        async def start(workflow_id: str, task_queue: str, attributes: SearchAttributes | None) -> None:
            await stub.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace="default",
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="Raw"),
                    task_queue=TaskQueue(name=task_queue),
                    request_id=str(uuid.uuid4()),
                    search_attributes=attributes,
                )
            )

        async def stored(workflow_id: str) -> str:
            execution = WorkflowExecution(workflow_id=workflow_id)
            described = await stub.DescribeWorkflowExecution(
                wsv1.DescribeWorkflowExecutionRequest(namespace="default", execution=execution)
            )
            await stub.TerminateWorkflowExecution(
                wsv1.TerminateWorkflowExecutionRequest(namespace="default", workflow_execution=execution)
            )
            return "OK " + ",".join(sorted(described.workflow_execution_info.search_attributes.indexed_fields))

        for name in ATTRIBUTES:
            task_queue = scenarios.unique("tq-sa")
            by_client = scenarios.unique("sa-client")
            try:
                await start(by_client, task_queue, _attribute(name))
                from_client = await stored(by_client)
            except grpc.aio.AioRpcError as error:
                from_client = f"{error.code().name} {error.details()}"
            by_worker = scenarios.unique("sa-worker")
            await start(by_worker, task_queue, None)
            task = await stub.PollWorkflowTaskQueue(
                wsv1.PollWorkflowTaskQueueRequest(
                    namespace="default", task_queue=TaskQueue(name=task_queue), identity="raw"
                ),
                timeout=20,
            )
            upsert = Command(
                command_type=CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
                upsert_workflow_search_attributes_command_attributes=UpsertWorkflowSearchAttributesCommandAttributes(
                    search_attributes=_attribute(name)
                ),
            )
            try:
                await stub.RespondWorkflowTaskCompleted(
                    wsv1.RespondWorkflowTaskCompletedRequest(
                        namespace="default", task_token=task.task_token, identity="raw", commands=[upsert]
                    )
                )
                from_worker = await stored(by_worker)
            except grpc.aio.AioRpcError as error:
                from_worker = f"{error.code().name} {error.details()}"
                await stub.TerminateWorkflowExecution(
                    wsv1.TerminateWorkflowExecutionRequest(
                        namespace="default", workflow_execution=WorkflowExecution(workflow_id=by_worker)
                    )
                )
            out[name] = (from_client, from_worker)
    return out


async def test_predefined_search_attributes_accepted_as_on_real_server(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_set_by_client_and_worker(tempo_address), _set_by_client_and_worker(real_address))
    differences = {name: (ours[name], real[name]) for name in ATTRIBUTES if ours[name] != real[name]}
    assert not differences, differences
    assert real["TemporalChangeVersion"] == ("OK TemporalChangeVersion", "OK BuildIds,TemporalChangeVersion")
    refused = "INVALID_ARGUMENT BadSearchAttributes: WorkflowId attribute can't be set in SearchAttributes"
    assert real["WorkflowId"][1] == refused


async def _listed_search_attributes(address: str) -> tuple[dict[str, int], dict[str, str]]:
    await scenarios.client_for(address)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = OperatorServiceStub(channel)
        listed = await stub.ListSearchAttributes(opv1.ListSearchAttributesRequest(namespace="default"))
        refused = {}
        for name in ["TemporalChangeVersion", "TemporalSomethingNew", "BinaryChecksums", "WorkflowId", "NamespaceId"]:
            try:
                await stub.AddSearchAttributes(
                    opv1.AddSearchAttributesRequest(namespace="default", search_attributes={name: 2})
                )
                refused[name] = "added"
            except grpc.aio.AioRpcError as error:
                refused[name] = f"{error.code().name} {error.details()}"
    return dict(listed.system_attributes), refused


async def test_system_search_attributes_listed_and_reserved(tempo_address: str, real_address: str) -> None:
    """ListSearchAttributes lists the same system attributes, and none of them (nor any name
    starting with Temporal) can be registered as a custom one."""
    (ours_listed, ours_refused), (real_listed, real_refused) = await asyncio.gather(
        _listed_search_attributes(tempo_address), _listed_search_attributes(real_address)
    )
    assert ours_listed == real_listed
    assert ours_refused == real_refused
    assert set(real_refused.values()) == {
        f"INVALID_ARGUMENT Search attribute {name} is reserved by system." for name in real_refused
    }


async def _namespace_division(address: str) -> dict[str, int]:
    """A run with TemporalNamespaceDivision (as schedulers have) is only listed by queries naming it."""
    client = await scenarios.client_for(address)
    workflow_id = scenarios.unique("division")
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        payload = Payload(metadata={"encoding": b"json/plain", "type": b"Keyword"}, data=b'"x"')
        await stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace="default",
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="Raw"),
                task_queue=TaskQueue(name=scenarios.unique("tq-division")),
                request_id=str(uuid.uuid4()),
                search_attributes=SearchAttributes(indexed_fields={"TemporalNamespaceDivision": payload}),
            )
        )
    scope = f"WorkflowId = '{workflow_id}'"

    async def settled() -> bool:
        return (await client.count_workflows(f"{scope} AND TemporalNamespaceDivision = 'x'")).count == 1

    await scenarios.wait_until(settled, what="visibility caught up")
    counts = {}
    for query in [
        scope,
        f"{scope} AND TemporalNamespaceDivision = 'x'",
        f"{scope} AND (TemporalNamespaceDivision IS NULL OR TemporalNamespaceDivision IS NOT NULL)",
    ]:
        counts[query.replace(workflow_id, "<id>")] = (await client.count_workflows(query)).count
    await client.get_workflow_handle(workflow_id).terminate()
    return counts


async def test_namespace_division_hides_runs(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_namespace_division(tempo_address), _namespace_division(real_address))
    assert ours == real
    assert list(real.values()) == [0, 1, 1]
