"""The namespaces a server knows: `default` always, others registered at start or by RPC."""

from __future__ import annotations

from dataclasses import dataclass, field

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import common_pb2, namespace_pb2
from temporalio.api.namespace.v1 import message_pb2 as namespace_pb
from temporalio.api.replication.v1 import message_pb2 as replication_pb

from devserver.core.ids import random_uuid
from devserver.core.protos import duration, seconds_of, with_value_names
from devserver.errors import AlreadyExists, InvalidArgument, NamespaceNotFound, NotFound

IndexedValueType = with_value_names(common_pb2.IndexedValueType)
DEFAULT_RETENTION_SECONDS = 24 * 3600.0


_KEYWORD = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
_KEYWORD_LIST = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST
_DATETIME = IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
_INT = IndexedValueType.INDEXED_VALUE_TYPE_INT

# Search attributes the server derives from a run itself: nobody may set them.
SERVER_SET_SEARCH_ATTRIBUTES = {
    **dict.fromkeys(["WorkflowId", "RunId", "WorkflowType", "ExecutionStatus", "TaskQueue"], _KEYWORD),
    **dict.fromkeys(["ParentWorkflowId", "ParentRunId", "RootWorkflowId", "RootRunId"], _KEYWORD),
    **dict.fromkeys(["StartTime", "CloseTime", "ExecutionTime"], _DATETIME),
    **dict.fromkeys(["ExecutionDuration", "HistoryLength", "HistorySizeBytes", "StateTransitionCount"], _INT),
}

# Predefined search attributes, stored with a run's custom ones. Workers (UpsertWorkflowSearchAttributes,
# e.g. TemporalChangeVersion for `patched`) and clients (StartWorkflowExecution) may set these, as
# on the real server...
SETTABLE_PREDEFINED_SEARCH_ATTRIBUTES = {
    "TemporalChangeVersion": _KEYWORD_LIST,
    "BinaryChecksums": _KEYWORD_LIST,
    "BuildIds": _KEYWORD_LIST,
    "BatcherNamespace": _KEYWORD,
    "BatcherUser": _KEYWORD,
    "TemporalScheduledStartTime": _DATETIME,
    "TemporalScheduledById": _KEYWORD,
    "TemporalSchedulePaused": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "TemporalNamespaceDivision": _KEYWORD,
    "TemporalPauseInfo": _KEYWORD_LIST,
    "TemporalReportedProblems": _KEYWORD_LIST,
}
# ...while these are the server's own (worker deployments and versioning, external payloads).
SERVER_ONLY_PREDEFINED_SEARCH_ATTRIBUTES = {
    "TemporalWorkerDeploymentVersion": _KEYWORD,
    "TemporalWorkflowVersioningBehavior": _KEYWORD,
    "TemporalWorkerDeployment": _KEYWORD,
    "TemporalUsedWorkerDeploymentVersions": _KEYWORD_LIST,
    "TemporalExternalPayloadCount": _INT,
    "TemporalExternalPayloadSizeBytes": _INT,
}

# What ListSearchAttributes reports as system attributes: every name above.
SYSTEM_SEARCH_ATTRIBUTES = {
    **SERVER_SET_SEARCH_ATTRIBUTES,
    **SETTABLE_PREDEFINED_SEARCH_ATTRIBUTES,
    **SERVER_ONLY_PREDEFINED_SEARCH_ATTRIBUTES,
}
# Internal field names that cannot name a custom search attribute either.
_RESERVED_NAMES = {"NamespaceId", "Memo", "MemoEncoding", "VisibilityTaskKey"}
_RESERVED_PREFIX = "Temporal"


CLUSTER_NAME = "active"
"""The one cluster a dev server has, as the real one names it."""

# UpdateNamespace keeps at least an hour, as the real server's minimum.
MIN_UPDATE_RETENTION_SECONDS = 3600
_NamespaceState = with_value_names(namespace_pb2.NamespaceState)
_REGISTERED, _DEPRECATED, _DELETED = (
    _NamespaceState.NAMESPACE_STATE_REGISTERED,
    _NamespaceState.NAMESPACE_STATE_DEPRECATED,
    _NamespaceState.NAMESPACE_STATE_DELETED,
)
# The states UpdateNamespace may move a namespace to, from each state: never back.
_STATE_CHANGES = {
    _REGISTERED: {_REGISTERED, _DEPRECATED, _DELETED},
    _DEPRECATED: {_DEPRECATED, _DELETED},
    _DELETED: {_DELETED},
}


def is_reserved_search_attribute(name: str) -> bool:
    """Names a custom search attribute cannot have (the real server's rule)."""
    return name in SYSTEM_SEARCH_ATTRIBUTES or name in _RESERVED_NAMES or name.startswith(_RESERVED_PREFIX)


@dataclass
class Namespace:
    """A namespace: its info, config and registered search attributes."""

    info: namespace_pb.NamespaceInfo
    config: namespace_pb.NamespaceConfig
    # Registered custom search attributes: name -> IndexedValueType.
    search_attributes: dict[str, int] = field(default_factory=dict)
    # NORMAL once the namespace was updated (as the real server reports it), else unspecified.
    replication_state: int = 0

    def check_search_attributes(self, attributes: common.SearchAttributes) -> None:
        """INVALID_ARGUMENT unless every attribute is a registered custom one or a predefined one
        anybody may set, as on Temporal (the same rule for workers' upserts and clients' starts)."""
        for name in attributes.indexed_fields:
            if name in SERVER_SET_SEARCH_ATTRIBUTES or name in SERVER_ONLY_PREDEFINED_SEARCH_ATTRIBUTES:
                raise InvalidArgument(f"{name} attribute can't be set in SearchAttributes")
            if name in SETTABLE_PREDEFINED_SEARCH_ATTRIBUTES:
                continue
            if name not in self.search_attributes:
                raise InvalidArgument(f"Namespace {self.name} has no mapping defined for search attribute {name}")

    def add_search_attributes(self, attributes: dict[str, int]) -> None:
        for name, value_type in attributes.items():
            if not name:
                raise InvalidArgument("Search attribute name is empty.")
            if is_reserved_search_attribute(name):
                raise InvalidArgument(f"Search attribute {name} is reserved by system.")
            if value_type == IndexedValueType.INDEXED_VALUE_TYPE_UNSPECIFIED:
                raise InvalidArgument(f"Unknown index type for search attribute {name}.")
            existing = self.search_attributes.get(name)
            if existing is not None and existing != value_type:
                raise AlreadyExists(f"Search attribute {name} already exists with another type.")
        self.search_attributes.update(attributes)

    def remove_search_attributes(self, names: list[str]) -> None:
        for name in names:
            if name not in self.search_attributes:
                raise NotFound(f"Search attribute {name} doesn't exist.")
        for name in names:
            self.search_attributes.pop(name, None)  # a name may be listed twice (found by fuzzing)

    @property
    def name(self) -> str:
        return self.info.name

    def replication(self) -> replication_pb.NamespaceReplicationConfig:
        return replication_pb.NamespaceReplicationConfig(
            active_cluster_name=CLUSTER_NAME,
            clusters=[replication_pb.ClusterReplicationConfig(cluster_name=CLUSTER_NAME)],
            state=self.replication_state,  # type: ignore[arg-type]
        )

    def update(self, request: wsv1.UpdateNamespaceRequest) -> None:
        """UpdateNamespace's rules (checked in full before anything changes): what a dev server
        can change (description, owner, data merged in, state, retention) changes; archival and
        replication settings are checked and kept as they are, as on the real dev server, which
        has archival off and one cluster."""
        info, config, replication = request.update_info, request.config, request.replication_config
        if request.promote_namespace:
            raise InvalidArgument(
                "global namespace is not enabled on this cluster, cannot update global namespace "
                f"or promote local namespace: {self.name}"
            )
        if request.HasField("replication_config"):
            names = [c.cluster_name for c in replication.clusters]
            if replication.active_cluster_name:
                names.append(replication.active_cluster_name)
            for name in names:
                if name != CLUSTER_NAME:
                    raise InvalidArgument(f"Invalid cluster name: {name}")
            if replication.state == 2:  # REPLICATION_STATE_HANDOVER
                raise InvalidArgument("Handover can only be set for global namespace")
        if info.state and info.state not in _STATE_CHANGES.get(self.info.state, _STATE_CHANGES[_REGISTERED]):
            raise InvalidArgument("Invalid namespace state update.")
        retention: float | None = None
        if request.HasField("config") and config.HasField("workflow_execution_retention_ttl"):
            retention = seconds_of(config.workflow_execution_retention_ttl)
            if retention < MIN_UPDATE_RETENTION_SECONDS:
                raise InvalidArgument("A valid retention period is not set on request.")
        if request.delete_bad_binary:
            # The real dev server keeps no bad binaries either.
            raise InvalidArgument(f"Bad binary checksum {request.delete_bad_binary} doesn't exists.")
        if info.description:
            self.info.description = info.description
        if info.owner_email:
            self.info.owner_email = info.owner_email
        self.info.data.update(info.data)
        if info.state:
            self.info.state = info.state
        if retention is not None:
            self.config.workflow_execution_retention_ttl.CopyFrom(duration(retention))
        self.replication_state = 1  # REPLICATION_STATE_NORMAL


@dataclass
class NamespaceRegistry:
    """The namespaces by name."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)

    def register(
        self,
        name: str,
        description: str = "",
        owner_email: str = "",
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        *,
        exist_ok: bool = False,
        data: dict[str, str] | None = None,
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
            id=random_uuid(),
            data=data or {},
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

    def remove(self, name: str) -> None:
        self.namespaces.pop(name, None)

    def by_id(self, namespace_id: str) -> Namespace:
        for namespace in self.namespaces.values():
            if namespace.info.id == namespace_id:
                return namespace
        raise NamespaceNotFound(namespace_id)
