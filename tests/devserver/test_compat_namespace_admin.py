"""Namespace admin calls without a namespace, compared with the real dev server: which check
comes first and how it is worded (issue: Tempo named no namespace "default" on OperatorService
calls, and worded an empty one differently)."""

from __future__ import annotations

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
