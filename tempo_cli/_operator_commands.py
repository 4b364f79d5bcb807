"""The work of `tempo operator ...` (see `tempo_cli.operator`): `-o json` documents as
`temporal operator ...` prints them (the protobuf messages), a key/value table otherwise."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from google.protobuf.message import Message
from temporalio.api.enums.v1 import common_pb2 as common_enums
from temporalio.api.operatorservice.v1 import request_response_pb2 as opv1

from tempo_cli._cli import CliContext, Output, UsageError
from tempo_cli._plain_table import Column, Rows
from tempo_cli._raw_calls import call
from tempo_cli._read_tables import (
    HEALTH_CHECK,
    HEALTH_REQUEST,
    cluster_table,
    health_status,
    namespace_table,
    search_attribute_table,
    search_attribute_type,
    system_table,
)
from tempo_cli._render import proto_dict

# Status names, not grpc.StatusCode: these commands call over the blocking transport
# (`CliContext.run_blocking`), which loads grpcio only for a failed call.
_REFUSALS = ("NOT_FOUND", "ALREADY_EXISTS")


async def _call(client: Any, method: Any, request: Message, what: str, refusals: tuple[str, ...] = _REFUSALS) -> Any:
    """The call; a refusal (by default: not found, already exists) as ``unable to <what>: <why>``."""
    from sdk.exceptions import RPCError

    try:
        return await call(client, method, request)
    except RPCError as err:
        if err.status_code.name in refusals:
            raise UsageError(f"unable to {what}: {err.message}") from None
        raise


async def namespace_descriptions(client: Any) -> list[wsv1.DescribeNamespaceResponse]:
    """Every namespace of the server (ListNamespaces, all pages)."""
    found: list[wsv1.DescribeNamespaceResponse] = []
    token = b""
    while True:
        request = wsv1.ListNamespacesRequest(next_page_token=token)
        page = await _call(client, client.service.ListNamespaces, request, "list namespaces")
        found.extend(page.namespaces)
        token = page.next_page_token
        if not token:
            return found


def describe_namespace(cli: CliContext, name: str | None, namespace_id: str | None) -> None:
    """`tempo operator namespace describe`: DescribeNamespace by ID, or by name (the argument, else -n)."""
    if name is not None:
        cli.warn("Passing the namespace as an argument is now deprecated; please switch to using -n instead")
    if namespace_id:
        request = wsv1.DescribeNamespaceRequest(id=namespace_id)
        subject = namespace_id
    else:
        subject = name if name is not None else cli.settings.namespace
        request = wsv1.DescribeNamespaceRequest(namespace=subject)
    response = cli.run_blocking(
        lambda client: _call(client, client.service.DescribeNamespace, request, f"describe namespace {subject}")
    )
    if cli.json_mode:
        cli.write_json(proto_dict(response))
        return
    cli.print_table(namespace_table(response))


def list_namespaces(cli: CliContext) -> None:
    """`tempo operator namespace list`: every namespace, as `describe` shows one."""
    described = cli.run_blocking(namespace_descriptions)
    if cli.settings.output is Output.jsonl:
        for one in described:
            cli.write_json(proto_dict(one))
        return
    if cli.json_mode:
        cli.write_json([proto_dict(one) for one in described])
        return
    for one in described:
        cli.print_table(namespace_table(one))


def list_search_attributes(cli: CliContext) -> None:
    """`tempo operator search-attribute list`: OperatorService.ListSearchAttributes of the namespace."""
    namespace = cli.settings.namespace

    async def listed(client: Any) -> opv1.ListSearchAttributesResponse:
        stub = client._conn.operator_service()
        request = opv1.ListSearchAttributesRequest(namespace=namespace)
        return await _call(client, stub.ListSearchAttributes, request, "list search attributes")

    response = cli.run_blocking(listed)
    if cli.json_mode:
        cli.write_json(proto_dict(response))
        return
    cli.print_table(search_attribute_table(response))


def cluster_system(cli: CliContext) -> None:
    """`tempo operator cluster system`: the GetSystemInfoResponse."""

    async def system_info(client: Any) -> wsv1.GetSystemInfoResponse:
        return await _call(client, client.service.GetSystemInfo, wsv1.GetSystemInfoRequest(), "get system info")

    response = cli.run_blocking(system_info)
    if cli.json_mode:
        cli.write_json(proto_dict(response))
        return
    cli.print_table(system_table(response))


def describe_cluster(cli: CliContext, detail: bool) -> None:
    """`tempo operator cluster describe`: the GetClusterInfoResponse; --detail adds two columns."""

    async def cluster_info(client: Any) -> wsv1.GetClusterInfoResponse:
        return await _call(client, client.service.GetClusterInfo, wsv1.GetClusterInfoRequest(), "get cluster info")

    response = cli.run_blocking(cluster_info)
    if cli.json_mode:
        cli.write_json(proto_dict(response))
        return
    cli.print_table(cluster_table(response, detail))


SEARCH_ATTRIBUTE_TYPES = ("Text", "Keyword", "Int", "Double", "Bool", "Datetime", "KeywordList")


def create_search_attributes(cli: CliContext, names: list[str], type_name: str) -> None:
    """`tempo operator search-attribute create`: AddSearchAttributes for the names not there yet;
    a name already there with another type is an error, as the real CLI checks before adding."""
    by_word = {word.lower(): word for word in SEARCH_ATTRIBUTE_TYPES}
    word = by_word.get(type_name.lower())
    if word is None:
        cli.abort(
            f'invalid argument "{type_name}" for "--type" flag: invalid value: {type_name}, '
            f"allowed values are: {', '.join(SEARCH_ATTRIBUTE_TYPES)}"
        )
    kind = common_enums.IndexedValueType.Value("INDEXED_VALUE_TYPE_" + "_".join(_split_words(word)).upper())
    namespace = cli.settings.namespace

    async def add(client: Any) -> None:
        stub = client._conn.operator_service()
        listed = await _call(
            client,
            stub.ListSearchAttributes,
            opv1.ListSearchAttributesRequest(namespace=namespace),
            "list search attributes",
        )
        existing = {**listed.system_attributes, **listed.custom_attributes}
        to_add: dict[str, int] = {}
        for name in names:
            if name in existing:
                if existing[name] != kind:
                    other = search_attribute_type(existing[name])
                    raise UsageError(f"search attribute {name} already exists and has different type {other}")
                continue
            to_add[name] = kind
        if to_add:
            request = opv1.AddSearchAttributesRequest(namespace=namespace, search_attributes=to_add)  # type: ignore[arg-type]
            await _call(client, stub.AddSearchAttributes, request, "add search attributes")

    cli.run_blocking(add)
    if not cli.json_mode:
        cli.info("Search attributes have been added")


def _split_words(word: str) -> list[str]:
    """KeywordList -> [Keyword, List]: the enum names spell camel case words with underscores."""
    parts: list[str] = []
    for char in word:
        if char.isupper() or not parts:
            parts.append(char)
        else:
            parts[-1] += char
    return parts


def remove_search_attributes(cli: CliContext, names: list[str], yes: bool) -> None:
    """`tempo operator search-attribute remove`: confirm (unless --yes), then RemoveSearchAttributes."""
    from tempo_cli._batch_commands import confirm

    quoted = json.dumps(names, separators=(",", ":"))
    if not yes and not confirm(f"You are about to remove search attribute {quoted}?"):
        cli.abort("user denied confirmation, operation aborted")
    namespace = cli.settings.namespace

    async def remove(client: Any) -> None:
        request = opv1.RemoveSearchAttributesRequest(namespace=namespace, search_attributes=names)
        await _call(client, client._conn.operator_service().RemoveSearchAttributes, request, "remove search attributes")

    cli.run_blocking(remove)
    if not cli.json_mode:
        cli.info("Search attributes have been removed")


def create_namespace(
    cli: CliContext, retention: str | None, description: str, email: str, data: list[str], is_global: bool
) -> None:
    """`tempo operator namespace create`: RegisterNamespace of -n with the given settings."""
    from google.protobuf import duration_pb2

    from tempo_cli._inputs import parse_duration

    try:
        kept = parse_duration("--retention", retention)
    except UsageError as err:
        cli.abort(str(err))
    pairs = _data_pairs(cli, data)
    namespace = cli.settings.namespace
    request = wsv1.RegisterNamespaceRequest(
        namespace=namespace, description=description, owner_email=email, data=pairs, is_global_namespace=is_global
    )
    request.workflow_execution_retention_period.CopyFrom(
        duration_pb2.Duration(seconds=int(kept.total_seconds() if kept else 72 * 3600))
    )
    cli.run_blocking(
        lambda client: _call(client, client.service.RegisterNamespace, request, f"create namespace {namespace}")
    )
    if not cli.json_mode:
        cli.info(f"Namespace {namespace} successfully registered.")


def _data_pairs(cli: CliContext, data: list[str]) -> dict[str, str]:
    """``--data KEY=VALUE`` pairs; the value is kept as typed, as `temporal` keeps it."""
    pairs: dict[str, str] = {}
    for item in data:
        key, sep, value = item.partition("=")
        if not sep or not key:
            cli.abort(f"--data: {item!r} is not KEY=VALUE")
        pairs[key] = value
    return pairs


@dataclass
class NamespaceUpdate:
    """The flags of `tempo operator namespace update` (None: not given)."""

    active_cluster: str | None = None
    clusters: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    description: str | None = None
    email: str | None = None
    history_archival_state: str | None = None
    history_uri: str | None = None
    promote_global: bool = False
    replication_state: str | None = None
    retention: str | None = None
    visibility_archival_state: str | None = None
    visibility_uri: str | None = None

    def configuration_flags(self) -> list[str]:
        """The flags given that change the namespace's configuration, sorted as `temporal` names them."""
        given = {
            "--cluster": bool(self.clusters),
            "--data": bool(self.data),
            "--description": self.description is not None,
            "--email": self.email is not None,
            "--history-archival-state": self.history_archival_state is not None,
            "--history-uri": self.history_uri is not None,
            "--replication-state": self.replication_state is not None,
            "--retention": self.retention is not None,
            "--visibility-archival-state": self.visibility_archival_state is not None,
            "--visibility-uri": self.visibility_uri is not None,
        }
        return sorted(flag for flag, is_given in given.items() if is_given)


_ARCHIVAL_STATES = {"disabled": 1, "enabled": 2}
_REPLICATION_STATES = {"normal": 1, "handover": 2}


def _choice(cli: CliContext, flag: str, value: str | None, choices: dict[str, int]) -> int:
    if value is None:
        return 0
    if value not in choices:
        cli.abort(f'invalid argument "{value}" for "{flag}" flag: {value} is not one of required values of '
                  + ", ".join(choices))  # fmt: skip
    return choices[value]


def update_namespace(cli: CliContext, flags: NamespaceUpdate) -> None:
    """`tempo operator namespace update`: UpdateNamespace of -n. As with `temporal`, promoting and
    changing the active cluster are requests of their own, combined with nothing else."""
    from google.protobuf import duration_pb2

    from tempo_cli._inputs import parse_duration

    namespace = cli.settings.namespace
    request = wsv1.UpdateNamespaceRequest(namespace=namespace)
    if flags.promote_global and flags.active_cluster is not None:
        cli.abort("both --promote-global and --active-cluster flags cannot be set together")
    if flags.promote_global:
        cli.info(
            f"Will promote local namespace to global namespace for:{namespace}, other flag will be omitted. "
            "If it is already global namespace, this will be no-op."
        )
        request.promote_namespace = True
    elif flags.active_cluster is not None:
        conflicting = flags.configuration_flags()
        if conflicting:
            cli.abort(
                f"--active-cluster cannot be combined with {', '.join(conflicting)}; update namespace "
                "configuration before changing the active cluster"
            )
        cli.info(f"Will set active cluster name to: {flags.active_cluster}.")
        request.replication_config.active_cluster_name = flags.active_cluster
    else:
        try:
            kept = parse_duration("--retention", flags.retention)
        except UsageError as err:
            cli.abort(str(err))
        request.update_info.description = flags.description or ""
        request.update_info.owner_email = flags.email or ""
        request.update_info.data.update(_data_pairs(cli, flags.data))
        config = request.config
        if kept is not None:
            config.workflow_execution_retention_ttl.CopyFrom(duration_pb2.Duration(seconds=int(kept.total_seconds())))
        config.history_archival_state = _choice(  # type: ignore[assignment]
            cli, "--history-archival-state", flags.history_archival_state, _ARCHIVAL_STATES
        )
        config.history_archival_uri = flags.history_uri or ""
        config.visibility_archival_state = _choice(  # type: ignore[assignment]
            cli, "--visibility-archival-state", flags.visibility_archival_state, _ARCHIVAL_STATES
        )
        config.visibility_archival_uri = flags.visibility_uri or ""
        replication = request.replication_config
        for name in flags.clusters:
            replication.clusters.add(cluster_name=name)
        replication.state = _choice(  # type: ignore[assignment]
            cli, "--replication-state", flags.replication_state, _REPLICATION_STATES
        )

    async def update(client: Any) -> wsv1.UpdateNamespaceResponse:
        from sdk.exceptions import RPCError

        try:
            return await call(client, client.service.UpdateNamespace, request)
        except RPCError as err:
            if err.status_code.name in ("NOT_FOUND", "INVALID_ARGUMENT"):
                raise UsageError(f"namespace update failed: {err.message}") from None
            raise

    response = cli.run_blocking(update)
    if cli.json_mode:
        cli.write_json(proto_dict(response))
    else:
        cli.info(f"Namespace {namespace} update succeeded.")


def delete_namespace(cli: CliContext, yes: bool) -> None:
    """`tempo operator namespace delete`: OperatorService.DeleteNamespace of -n, once the name is
    typed again (or --yes)."""
    namespace = cli.settings.namespace
    if not yes:
        print(
            f"Are you sure you want to delete namespace {namespace}? Type namespace name to confirm: ",
            end="",
            file=sys.stderr,
            flush=True,
        )
        if sys.stdin.readline().strip() != namespace:
            cli.abort("user denied confirmation or mistyped the namespace name")

    async def delete(client: Any) -> opv1.DeleteNamespaceResponse:
        request = opv1.DeleteNamespaceRequest(namespace=namespace)
        refusals = (*_REFUSALS, "INVALID_ARGUMENT", "FAILED_PRECONDITION")
        stub = client._conn.operator_service()
        return await _call(client, stub.DeleteNamespace, request, f"delete namespace {namespace}", refusals)

    response = cli.run_blocking(delete)
    if cli.json_mode:
        cli.write_json(proto_dict(response))
    else:
        cli.info(f"Namespace {namespace} has been deleted.")


def cluster_health(cli: CliContext) -> None:
    """`tempo operator cluster health`: the grpc.health.v1 Check of the WorkflowService, as
    `temporal` asks it."""

    async def check(client: Any) -> str:
        try:
            answer = await client._conn.unary_bytes(HEALTH_CHECK, HEALTH_REQUEST, 10.0)
        except client._conn.failure as err:
            raise UsageError(f"health check failed: {err.details() or err.code().name}") from None
        return health_status(answer)

    status = cli.run_blocking(check)
    if cli.json_mode:
        cli.write_json({"status": status})
    else:
        cli.write_raw(status)
    if status != "SERVING":
        cli.abort(f"the server is not serving: {status}")


def list_clusters(cli: CliContext, limit: int | None) -> None:
    """`tempo operator cluster list`: OperatorService.ListClusters, as `temporal` prints it."""

    async def clusters(client: Any) -> list[opv1.ClusterMetadata]:
        found: list[opv1.ClusterMetadata] = []
        token = b""
        while True:
            request = opv1.ListClustersRequest(next_page_token=token)
            page = await _call(client, client._conn.operator_service().ListClusters, request, "list clusters")
            found.extend(page.clusters)
            token = page.next_page_token
            if not token or (limit is not None and len(found) >= limit):
                return found[:limit] if limit is not None else found

    listed = cli.run_blocking(clusters)
    if cli.settings.output is Output.jsonl:
        for cluster in listed:
            cli.write_json(proto_dict(cluster))
        return
    if cli.json_mode:
        cli.write_json([proto_dict(cluster) for cluster in listed])
        return
    columns = ("Name", "ClusterId", "Address", "HistoryShardCount", "InitialFailoverVersion")
    table = Rows([Column(name) for name in (*columns, "IsConnectionEnabled", "IsReplicationEnabled")])
    for cluster in listed:
        table.add_row(
            cluster.cluster_name,
            cluster.cluster_id,
            cluster.address,
            str(cluster.history_shard_count),
            str(cluster.initial_failover_version),
            str(cluster.is_connection_enabled).lower(),
            str(cluster.is_replication_enabled).lower(),
        )
    cli.print_table(table)
