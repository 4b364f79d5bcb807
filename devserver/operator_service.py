"""OperatorService: just enough for `temporal operator search-attribute list`."""

from __future__ import annotations

import grpc
from temporalio.api.enums.v1 import common_pb2
from temporalio.api.operatorservice.v1 import request_response_pb2 as opv1
from temporalio.api.operatorservice.v1 import service_pb2

from devserver.engine import Engine
from devserver.grpc_service import rpc, unimplemented

IndexedValueType = common_pb2.IndexedValueType

SYSTEM_SEARCH_ATTRIBUTES = {
    "WorkflowId": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "RunId": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "WorkflowType": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "ExecutionStatus": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "TaskQueue": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "StartTime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "CloseTime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "ExecutionTime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "HistoryLength": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}

# Registered by default on the real dev server, so samples that use them work here too.
CUSTOM_SEARCH_ATTRIBUTES = {
    "CustomKeywordField": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "CustomStringField": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    "CustomTextField": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    "CustomIntField": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "CustomDoubleField": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    "CustomBoolField": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "CustomDatetimeField": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


class OperatorService:
    """Handlers for the OperatorService RPCs we serve; the rest answer UNIMPLEMENTED by name."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @rpc
    async def ListSearchAttributes(
        self, request: opv1.ListSearchAttributesRequest, context: grpc.aio.ServicerContext
    ) -> opv1.ListSearchAttributesResponse:
        if request.namespace:
            self.engine.namespaces.get(request.namespace)
        return opv1.ListSearchAttributesResponse(
            system_attributes=SYSTEM_SEARCH_ATTRIBUTES,  # type: ignore[arg-type]
            custom_attributes=CUSTOM_SEARCH_ATTRIBUTES,  # type: ignore[arg-type]
        )


for _method in service_pb2.DESCRIPTOR.services_by_name["OperatorService"].methods:
    if _method.name not in OperatorService.__dict__:
        setattr(OperatorService, _method.name, unimplemented(_method.name))
