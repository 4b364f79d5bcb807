"""OperatorService: just enough for `temporal operator search-attribute list`."""

from __future__ import annotations

import grpc
from temporalio.api.enums.v1.common_pb2 import IndexedValueType
from temporalio.api.operatorservice.v1 import request_response_pb2 as opv1
from temporalio.api.operatorservice.v1 import service_pb2

from devserver.engine import Engine
from devserver.errors import InvalidArgument
from devserver.grpc_service import rpc, unimplemented
from devserver.namespace_ops import NamespaceOps
from devserver.namespaces import SYSTEM_SEARCH_ATTRIBUTES


class OperatorService:
    """Handlers for the OperatorService RPCs we serve; the rest answer UNIMPLEMENTED by name."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.namespace_ops = NamespaceOps(engine)

    @rpc
    async def ListSearchAttributes(
        self, request: opv1.ListSearchAttributesRequest, context: grpc.aio.ServicerContext
    ) -> opv1.ListSearchAttributesResponse:
        namespace = self.engine.namespaces.get(request.namespace or "default")
        return opv1.ListSearchAttributesResponse(
            system_attributes=SYSTEM_SEARCH_ATTRIBUTES,  # type: ignore[arg-type]
            custom_attributes=namespace.search_attributes,  # type: ignore[arg-type]
        )

    @rpc
    async def AddSearchAttributes(
        self, request: opv1.AddSearchAttributesRequest, context: grpc.aio.ServicerContext
    ) -> opv1.AddSearchAttributesResponse:
        for value_type in request.search_attributes.values():
            if value_type not in IndexedValueType.values():
                raise InvalidArgument(f"Unknown search attribute type: {value_type}.")
        await self.namespace_ops.add_search_attributes(request.namespace or "default", dict(request.search_attributes))
        return opv1.AddSearchAttributesResponse()

    @rpc
    async def RemoveSearchAttributes(
        self, request: opv1.RemoveSearchAttributesRequest, context: grpc.aio.ServicerContext
    ) -> opv1.RemoveSearchAttributesResponse:
        names = list(request.search_attributes)
        await self.namespace_ops.remove_search_attributes(request.namespace or "default", names)
        return opv1.RemoveSearchAttributesResponse()


for _method in service_pb2.DESCRIPTOR.services_by_name["OperatorService"].methods:
    if _method.name not in OperatorService.__dict__:
        setattr(OperatorService, _method.name, unimplemented(_method.name))
