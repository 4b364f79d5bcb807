"""UpdateWorkflowExecutionOptions on both servers: the options it sets, the
WorkflowExecutionOptionsUpdated events it records and the requests it refuses."""

from __future__ import annotations

import uuid

import pytest
from google.protobuf import field_mask_pb2
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.deployment.v1 import message_pb2 as deployment_pb
from temporalio.api.enums.v1 import EventType, VersioningBehavior
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

AUTO_UPGRADE = workflow_pb.VersioningOverride(auto_upgrade=True)


def _request(
    workflow_id: str, paths: list[str], options: workflow_pb.WorkflowExecutionOptions | None = None
) -> wsv1.UpdateWorkflowExecutionOptionsRequest:
    return wsv1.UpdateWorkflowExecutionOptionsRequest(
        namespace="default",
        workflow_execution=common.WorkflowExecution(workflow_id=workflow_id),
        workflow_execution_options=options or workflow_pb.WorkflowExecutionOptions(),
        update_mask=field_mask_pb2.FieldMask(paths=paths),
        identity="operator",
    )


async def _started(client: Client) -> WorkflowHandle[object, object]:
    return await client.start_workflow("Waits", id=f"options-{uuid.uuid4()}", task_queue=f"nobody-{uuid.uuid4()}")


async def _options_events(handle: WorkflowHandle[object, object]) -> list[str]:
    return [
        str(event.workflow_execution_options_updated_event_attributes).replace("\n", " ").strip()
        + f" may_ignore={event.worker_may_ignore}"
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED
    ]


async def test_versioning_override_and_priority_recorded_in_history(server_address: str) -> None:
    client = await Client.connect(server_address)
    service = client.workflow_service
    handle = await _started(client)
    set_override = await service.update_workflow_execution_options(
        _request(
            handle.id, ["versioning_override"], workflow_pb.WorkflowExecutionOptions(versioning_override=AUTO_UPGRADE)
        )
    )
    # The SDK starts every workflow with a priority (empty): it is among the options.
    empty_priority = common.Priority()
    assert set_override.workflow_execution_options == workflow_pb.WorkflowExecutionOptions(
        versioning_override=AUTO_UPGRADE, priority=empty_priority
    )
    shown = (await handle.describe()).raw_description.workflow_execution_info.versioning_info.versioning_override
    assert shown == workflow_pb.VersioningOverride(
        auto_upgrade=True, behavior=VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE
    )
    unset = await service.update_workflow_execution_options(_request(handle.id, ["versioning_override"]))
    assert unset.workflow_execution_options == workflow_pb.WorkflowExecutionOptions(priority=empty_priority)
    priority = await service.update_workflow_execution_options(
        _request(
            handle.id, ["priority"], workflow_pb.WorkflowExecutionOptions(priority=common.Priority(priority_key=2))
        )
    )
    assert priority.workflow_execution_options.priority.priority_key == 2
    # An empty mask changes nothing and records nothing.
    unchanged = await service.update_workflow_execution_options(_request(handle.id, []))
    assert unchanged.workflow_execution_options == priority.workflow_execution_options
    assert await _options_events(handle) == [
        'versioning_override {   auto_upgrade: true } identity: "operator" priority { } may_ignore=True',
        'unset_versioning_override: true identity: "operator" priority { } may_ignore=True',
        'unset_versioning_override: true identity: "operator" priority {   priority_key: 2 } may_ignore=True',
    ]
    info = (await handle.describe()).raw_description.workflow_execution_info
    assert info.priority.priority_key == 2
    assert info.versioning_info == workflow_pb.WorkflowExecutionVersioningInfo(), "the override is gone"
    await handle.terminate()


async def test_bad_requests_refused_as_on_the_real_server(server_address: str) -> None:
    client = await Client.connect(server_address)
    service = client.workflow_service
    handle = await _started(client)
    pinned = workflow_pb.VersioningOverride(
        pinned=workflow_pb.VersioningOverride.PinnedOverride(
            behavior=workflow_pb.VersioningOverride.PINNED_OVERRIDE_BEHAVIOR_PINNED,
            version=deployment_pb.WorkerDeploymentVersion(deployment_name="orders", build_id="b1"),
        )
    )
    description = await handle.describe()
    cases = [
        (_request(handle.id, ["bogus"]), RPCStatusCode.INVALID_ARGUMENT),
        (
            _request(
                handle.id, ["versioning_override"], workflow_pb.WorkflowExecutionOptions(versioning_override=pinned)
            ),
            RPCStatusCode.FAILED_PRECONDITION,
        ),
        (_request(f"missing-{uuid.uuid4()}", ["versioning_override"]), RPCStatusCode.NOT_FOUND),
    ]
    messages = []
    for request, status in cases:
        with pytest.raises(RPCError) as refused:
            await service.update_workflow_execution_options(request)
        assert refused.value.status == status
        messages.append(refused.value.message)
    # Go's protobuf errors put a random kind of space after "proto:", so no one matches them exactly.
    assert messages[0].startswith("error parsing UpdateMask: proto:")
    assert messages[0].endswith('invalid path "bogus" for message "temporal.api.workflow.v1.WorkflowExecutionOptions"')
    assert messages[1] == (
        f"Pinned version 'orders:b1' is not present in task queue '{description.task_queue}' of type 'Workflow'"
    )
    await handle.terminate()
    with pytest.raises(RPCError) as closed:
        await service.update_workflow_execution_options(
            _request(
                handle.id,
                ["versioning_override"],
                workflow_pb.WorkflowExecutionOptions(versioning_override=AUTO_UPGRADE),
            )
        )
    assert (closed.value.status, closed.value.message) == (
        RPCStatusCode.NOT_FOUND,
        "workflow execution already completed",
    )
    assert await _options_events(handle) == []
