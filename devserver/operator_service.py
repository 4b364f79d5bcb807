"""OperatorService: search attributes, namespaces and the cluster list the `temporal operator`
commands read."""

from __future__ import annotations

import temporalio.api.operatorservice.v1.request_response_pb2 as opv1
import temporalio.api.operatorservice.v1.service_pb2 as service_pb2
from temporalio.api.enums.v1.common_pb2 import IndexedValueType

from devserver.engine import Engine
from devserver.errors import InvalidArgument
from devserver.grpc_service import CLUSTER_ID, CLUSTER_NAME, rpc, unimplemented
from devserver.h2_server import CallContext
from devserver.namespace_ops import NamespaceContents, NamespaceOps
from devserver.namespaces import SYSTEM_SEARCH_ATTRIBUTES


class OperatorService:
    """Handlers for the OperatorService RPCs we serve; the rest answer UNIMPLEMENTED by name."""

    def __init__(self, engine: Engine, namespace_contents: list[NamespaceContents] | None = None) -> None:
        self.engine = engine
        self.namespace_ops = NamespaceOps(engine)
        # What a namespace holds besides runs (the workflow service's schedules and batch jobs,
        # a list that grows as they are built: kept, not copied).
        self.namespace_contents = [] if namespace_contents is None else namespace_contents
        # HOST:PORT the server listens on, set once it does (ListClusters reports it).
        self.address = ""

    @rpc
    async def ListClusters(self, request: opv1.ListClustersRequest, context: CallContext) -> opv1.ListClustersResponse:
        # One cluster, as the real dev server lists itself (GetClusterInfo names it the same).
        cluster = opv1.ClusterMetadata(
            cluster_name=CLUSTER_NAME,
            cluster_id=CLUSTER_ID,
            address=self.address,
            initial_failover_version=1,
            history_shard_count=1,
            is_connection_enabled=True,
        )
        return opv1.ListClustersResponse(clusters=[cluster])

    @rpc
    async def DeleteNamespace(
        self, request: opv1.DeleteNamespaceRequest, context: CallContext
    ) -> opv1.DeleteNamespaceResponse:
        deleted = await self.namespace_ops.delete_namespace(
            request.namespace, request.namespace_id, self.namespace_contents
        )
        return opv1.DeleteNamespaceResponse(deleted_namespace=deleted)

    @rpc
    async def ListSearchAttributes(
        self, request: opv1.ListSearchAttributesRequest, context: CallContext
    ) -> opv1.ListSearchAttributesResponse:
        namespace = self.engine.namespaces.get(_namespace_of(request))
        return opv1.ListSearchAttributesResponse(
            system_attributes=SYSTEM_SEARCH_ATTRIBUTES,  # type: ignore[arg-type]
            custom_attributes=namespace.search_attributes,  # type: ignore[arg-type]
        )

    @rpc
    async def AddSearchAttributes(
        self, request: opv1.AddSearchAttributesRequest, context: CallContext
    ) -> opv1.AddSearchAttributesResponse:
        name = _namespace_of(request)
        for value_type in request.search_attributes.values():
            if value_type not in IndexedValueType.values():
                raise InvalidArgument(f"Unknown search attribute type: {value_type}.")
        await self.namespace_ops.add_search_attributes(name, dict(request.search_attributes))
        return opv1.AddSearchAttributesResponse()

    @rpc
    async def RemoveSearchAttributes(
        self, request: opv1.RemoveSearchAttributesRequest, context: CallContext
    ) -> opv1.RemoveSearchAttributesResponse:
        namespace_name = _namespace_of(request)
        names = list(request.search_attributes)
        await self.namespace_ops.remove_search_attributes(namespace_name, names)
        return opv1.RemoveSearchAttributesResponse()


def _namespace_of(
    request: opv1.ListSearchAttributesRequest | opv1.AddSearchAttributesRequest | opv1.RemoveSearchAttributesRequest,
) -> str:
    """The request's namespace, checked as the real server does: the attributes first (for an
    add or remove), then the name; no namespace is not "default"."""
    if not isinstance(request, opv1.ListSearchAttributesRequest) and not request.search_attributes:
        raise InvalidArgument("SearchAttributes are not set on request.")
    if not request.namespace:
        raise InvalidArgument("Namespace is not set on request.")
    return request.namespace


for _method in service_pb2.DESCRIPTOR.services_by_name["OperatorService"].methods:
    if _method.name not in OperatorService.__dict__:
        setattr(OperatorService, _method.name, unimplemented(_method.name))
