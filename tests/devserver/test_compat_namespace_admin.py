"""Namespace admin calls without a namespace, compared with the real dev server: which check
comes first and how it is worded (issue: Tempo named no namespace "default" on OperatorService
calls, and worded an empty one differently)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import request_response_pb2 as opv1
from temporalio.api.operatorservice.v1.service_pb2_grpc import OperatorServiceStub
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(120)]

DAY = Duration(seconds=24 * 3600)
KEYWORD = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD


def _cases(workflows: WorkflowServiceStub, operator: OperatorServiceStub) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "describe with neither name nor id": lambda: workflows.DescribeNamespace(wsv1.DescribeNamespaceRequest()),
        "register without name nor retention": lambda: workflows.RegisterNamespace(wsv1.RegisterNamespaceRequest()),
        "register without name": lambda: workflows.RegisterNamespace(
            wsv1.RegisterNamespaceRequest(workflow_execution_retention_period=DAY)
        ),
        "list search attributes without namespace": lambda: operator.ListSearchAttributes(
            opv1.ListSearchAttributesRequest()
        ),
        "add nothing without namespace": lambda: operator.AddSearchAttributes(opv1.AddSearchAttributesRequest()),
        "add without namespace": lambda: operator.AddSearchAttributes(
            opv1.AddSearchAttributesRequest(search_attributes={"NoNamespaceAttr": KEYWORD})
        ),
        "add nothing": lambda: operator.AddSearchAttributes(opv1.AddSearchAttributesRequest(namespace="default")),
        "remove nothing without namespace": lambda: operator.RemoveSearchAttributes(
            opv1.RemoveSearchAttributesRequest()
        ),
        "remove without namespace": lambda: operator.RemoveSearchAttributes(
            opv1.RemoveSearchAttributesRequest(search_attributes=["NoNamespaceAttr"])
        ),
        "remove nothing": lambda: operator.RemoveSearchAttributes(
            opv1.RemoveSearchAttributesRequest(namespace="default")
        ),
        "update without namespace": lambda: workflows.UpdateNamespace(wsv1.UpdateNamespaceRequest()),
        "update an unknown namespace": lambda: workflows.UpdateNamespace(
            wsv1.UpdateNamespaceRequest(namespace="no-such-namespace")
        ),
        "update with a retention under an hour": lambda: workflows.UpdateNamespace(
            wsv1.UpdateNamespaceRequest(
                namespace="default", config={"workflow_execution_retention_ttl": Duration(seconds=3599)}
            )
        ),
        "update to another cluster": lambda: workflows.UpdateNamespace(
            wsv1.UpdateNamespaceRequest(namespace="default", replication_config={"active_cluster_name": "other"})
        ),
        "update to handover": lambda: workflows.UpdateNamespace(
            wsv1.UpdateNamespaceRequest(namespace="default", replication_config={"state": 2})
        ),
        "promote to global": lambda: workflows.UpdateNamespace(
            wsv1.UpdateNamespaceRequest(namespace="default", promote_namespace=True)
        ),
        "delete a bad binary never added": lambda: workflows.UpdateNamespace(
            wsv1.UpdateNamespaceRequest(namespace="default", delete_bad_binary="abc")
        ),
        "delete without namespace": lambda: operator.DeleteNamespace(opv1.DeleteNamespaceRequest()),
        "delete an unknown namespace": lambda: operator.DeleteNamespace(
            opv1.DeleteNamespaceRequest(namespace="no-such-namespace")
        ),
    }


async def _answers(address: str) -> dict[str, str]:
    async with grpc.aio.insecure_channel(address) as channel:
        cases = _cases(WorkflowServiceStub(channel), OperatorServiceStub(channel))
        out = {}
        for name, call in cases.items():
            try:
                await call()
                out[name] = "OK"
            except grpc.aio.AioRpcError as error:
                out[name] = f"{error.code().name} {error.details()}"
        return out


async def test_namespace_admin_without_a_namespace_matches_the_real_server(
    tempo_address: str, real_address: str
) -> None:
    ours, real = await _answers(tempo_address), await _answers(real_address)
    differences = {name: f"\n  ours {ours[name]}\n  real {real[name]}" for name in real if ours[name] != real[name]}
    assert not differences, "".join(f"\n{name}:{text}" for name, text in differences.items())
    assert real["list search attributes without namespace"] == "INVALID_ARGUMENT Namespace is not set on request."


async def _state_changes(address: str, name: str) -> list[str]:
    """A namespace's state moved forward and back: which moves each server takes."""
    states = {"deprecated": 2, "registered": 1, "deleted": 3}
    out = []
    async with grpc.aio.insecure_channel(address) as channel:
        workflows = WorkflowServiceStub(channel)
        await workflows.RegisterNamespace(
            wsv1.RegisterNamespaceRequest(namespace=name, workflow_execution_retention_period=DAY)
        )
        for state in ("registered", "deprecated", "deprecated", "registered", "deleted", "deprecated"):
            request = wsv1.UpdateNamespaceRequest(namespace=name, update_info={"state": states[state]})
            try:
                response = await workflows.UpdateNamespace(request)
                out.append(f"{state}: now {response.namespace_info.state}")
            except grpc.aio.AioRpcError as error:
                out.append(f"{state}: {error.code().name} {error.details()}")
    return out


async def test_namespace_state_moves_only_forward_as_on_the_real_server(tempo_address: str, real_address: str) -> None:
    name = f"states-{uuid.uuid4().hex[:8]}"
    ours, real = await _state_changes(tempo_address, name), await _state_changes(real_address, name)
    assert ours == real
    assert "registered: INVALID_ARGUMENT Invalid namespace state update." in real
