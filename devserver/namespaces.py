"""The namespaces a server knows: `default` always, others registered at start or by RPC."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import namespace_pb2
from temporalio.api.namespace.v1 import message_pb2 as namespace_pb
from temporalio.api.replication.v1 import message_pb2 as replication_pb

from devserver.core.protos import duration
from devserver.errors import AlreadyExists, InvalidArgument, NamespaceNotFound

DEFAULT_RETENTION_SECONDS = 24 * 3600.0


@dataclass
class Namespace:
    info: namespace_pb.NamespaceInfo
    config: namespace_pb.NamespaceConfig

    @property
    def name(self) -> str:
        return self.info.name

    def replication(self) -> replication_pb.NamespaceReplicationConfig:
        return replication_pb.NamespaceReplicationConfig(
            active_cluster_name="active",
            clusters=[replication_pb.ClusterReplicationConfig(cluster_name="active")],
        )


@dataclass
class NamespaceRegistry:
    namespaces: dict[str, Namespace] = field(default_factory=dict)

    def register(
        self,
        name: str,
        description: str = "",
        owner_email: str = "",
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        *,
        exist_ok: bool = False,
    ) -> Namespace:
        if not name:
            raise InvalidArgument("Namespace is empty.")
        if name in self.namespaces:
            if exist_ok:
                return self.namespaces[name]
            raise AlreadyExists("Namespace already exists.")
        info = namespace_pb.NamespaceInfo(
            name=name,
            state=namespace_pb2.NamespaceState.NAMESPACE_STATE_REGISTERED,
            description=description,
            owner_email=owner_email,
            id=str(uuid.uuid4()),
        )
        config = namespace_pb.NamespaceConfig(
            workflow_execution_retention_ttl=duration(retention_seconds or DEFAULT_RETENTION_SECONDS),
        )
        namespace = Namespace(info, config)
        self.namespaces[name] = namespace
        return namespace

    def get(self, name: str) -> Namespace:
        """The namespace, or the errors Temporal gives for an empty or unknown name."""
        if not name:
            raise InvalidArgument("Namespace is empty.")
        found = self.namespaces.get(name)
        if found is None:
            raise NamespaceNotFound(name)
        return found

    def by_id(self, namespace_id: str) -> Namespace:
        for namespace in self.namespaces.values():
            if namespace.info.id == namespace_id:
                return namespace
        raise NamespaceNotFound(namespace_id)
