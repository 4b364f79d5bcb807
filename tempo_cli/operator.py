"""`tempo operator ...`: the flags of `temporal operator ...` (namespace, search-attribute, cluster).

This module only declares options and help; `_operator_commands` does the work (imported when a
command runs, so `--help` stays fast).
"""

from __future__ import annotations

from typing import Annotated

import typer

from tempo_cli._context import CliContext, command, store_global_options
from tempo_cli._usage_errors import OneLineUsageErrors

app = typer.Typer(
    help=(
        "Manage the server: namespaces, search attributes and the cluster.\n\n"
        "\b\nExamples:\n"
        "  tempo operator namespace list\n"
        "  tempo operator namespace describe -n default"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
app.callback()(store_global_options)

namespace_app = typer.Typer(
    help=(
        "Create, describe, list, update and delete namespaces.\n\n\b\nExamples:\n"
        "  tempo operator namespace list\n  tempo operator namespace describe -n default"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
namespace_app.callback()(store_global_options)
app.add_typer(namespace_app, name="namespace")

search_attribute_app = typer.Typer(
    help=(
        "List, create and remove search attributes.\n\n\b\nExamples:\n"
        "  tempo operator search-attribute list\n"
        "  tempo operator search-attribute create --name CustomerId --type Keyword"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
search_attribute_app.callback()(store_global_options)
app.add_typer(search_attribute_app, name="search-attribute")

cluster_app = typer.Typer(
    help=(
        "Show the server's version and capabilities.\n\n\b\nExamples:\n"
        "  tempo operator cluster system\n  tempo operator cluster describe --detail"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
cluster_app.callback()(store_global_options)
app.add_typer(cluster_app, name="cluster")


@command(namespace_app)
def describe(
    cli: CliContext,
    name: Annotated[str | None, typer.Argument(help="Namespace name (deprecated: use -n).", show_default=False)] = None,
    namespace_id: Annotated[
        str | None, typer.Option("--namespace-id", help="Namespace ID.", show_default=False)
    ] = None,
) -> None:
    """Show a namespace, by its name (-n) or its ID (--namespace-id).

    \b
    Examples:
      tempo operator namespace describe -n default
      tempo operator namespace describe --namespace-id 01a242a4-bdae-791a-bfad-79c8c0638ea7
    """
    from tempo_cli import _operator_commands

    _operator_commands.describe_namespace(cli, name, namespace_id)


@command(namespace_app, name="create")
def create_namespace(
    cli: CliContext,
    retention: Annotated[
        str | None,
        typer.Option(
            "--retention", help="Time to preserve closed Workflows before deletion (default 72h).", show_default=False
        ),
    ] = None,
    description: Annotated[str, typer.Option("--description", help="Namespace description.")] = "",
    email: Annotated[str, typer.Option("--email", help="Owner email.")] = "",
    data: Annotated[
        list[str] | None, typer.Option("--data", help="Namespace data as KEY=VALUE pairs.", show_default=False)
    ] = None,
    is_global: Annotated[bool, typer.Option("--global", help="Enable multi-region data replication.")] = False,
) -> None:
    """Register a new namespace (-n).

    \b
    Examples:
      tempo operator namespace create -n orders
      tempo operator namespace create -n orders --retention 48h --description "Order workflows"
    """
    from tempo_cli import _operator_commands

    _operator_commands.create_namespace(cli, retention, description, email, data or [], is_global)


@command(namespace_app, name="update")
def update_namespace(
    cli: CliContext,
    active_cluster: Annotated[
        str | None,
        typer.Option(
            "--active-cluster",
            help="Active Cluster (Service) name. Cannot be combined with options that modify Namespace configuration.",
            show_default=False,
        ),
    ] = None,
    cluster: Annotated[
        list[str] | None, typer.Option("--cluster", help="Cluster (Service) names.", show_default=False)
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", help="Namespace data as KEY=VALUE pairs (added to what is there).", show_default=False),
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="Namespace description.", show_default=False)
    ] = None,
    email: Annotated[str | None, typer.Option("--email", help="Owner email.", show_default=False)] = None,
    history_archival_state: Annotated[
        str | None,
        typer.Option(
            "--history-archival-state",
            help="History archival state. Accepted values: disabled, enabled.",
            show_default=False,
        ),
    ] = None,
    history_uri: Annotated[
        str | None, typer.Option("--history-uri", help="Archive history to this URI.", show_default=False)
    ] = None,
    promote_global: Annotated[
        bool, typer.Option("--promote-global", help="Enable multi-region data replication.")
    ] = False,
    replication_state: Annotated[
        str | None,
        typer.Option(
            "--replication-state", help="Replication state. Accepted values: normal, handover.", show_default=False
        ),
    ] = None,
    retention: Annotated[
        str | None,
        typer.Option(
            "--retention", help="Length of time a closed Workflow is preserved before deletion.", show_default=False
        ),
    ] = None,
    visibility_archival_state: Annotated[
        str | None,
        typer.Option(
            "--visibility-archival-state",
            help="Visibility archival state. Accepted values: disabled, enabled.",
            show_default=False,
        ),
    ] = None,
    visibility_uri: Annotated[
        str | None, typer.Option("--visibility-uri", help="Archive visibility data to this URI.", show_default=False)
    ] = None,
) -> None:
    """Update a namespace (-n): description, owner, data, retention, archival, replication.

    \b
    Examples:
      tempo operator namespace update -n orders --description "Order workflows" --retention 168h
      tempo operator namespace update -n orders --data team=payments
    """
    from tempo_cli import _operator_commands

    _operator_commands.update_namespace(
        cli,
        _operator_commands.NamespaceUpdate(
            active_cluster=active_cluster,
            clusters=cluster or [],
            data=data or [],
            description=description,
            email=email,
            history_archival_state=history_archival_state,
            history_uri=history_uri,
            promote_global=promote_global,
            replication_state=replication_state,
            retention=retention,
            visibility_archival_state=visibility_archival_state,
            visibility_uri=visibility_uri,
        ),
    )


@command(namespace_app, name="delete")
def delete_namespace(
    cli: CliContext,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't prompt to confirm deletion.")] = False,
) -> None:
    """Delete a namespace (-n) with all its workflows, schedules and batch jobs, after typing its
    name to confirm (or --yes).

    \b
    Examples:
      tempo operator namespace delete -n orders
      tempo operator namespace delete -n orders --yes
    """
    from tempo_cli import _operator_commands

    _operator_commands.delete_namespace(cli, yes)


@command(namespace_app, name="list")
def list_namespaces(cli: CliContext) -> None:
    """List every namespace of the server.

    \b
    Examples:
      tempo operator namespace list
      tempo operator namespace list -o json
    """
    from tempo_cli import _operator_commands

    _operator_commands.list_namespaces(cli)


@command(search_attribute_app, name="list")
def list_search_attributes(cli: CliContext) -> None:
    """List the search attributes of a namespace (-n), system and custom.

    \b
    Examples:
      tempo operator search-attribute list
      tempo operator search-attribute list -n orders -o json
    """
    from tempo_cli import _operator_commands

    _operator_commands.list_search_attributes(cli)


@command(search_attribute_app, name="create")
def create_search_attributes(
    cli: CliContext,
    name: Annotated[list[str], typer.Option("--name", help="Search Attribute name. Required.", show_default=False)],
    type_name: Annotated[
        str,
        typer.Option(
            "--type",
            help=(
                "Search Attribute type. Accepted values: Text, Keyword, Int, Double, Bool, Datetime, "
                "KeywordList. Required."
            ),
            show_default=False,
        ),
    ],
) -> None:
    """Add custom search attributes to a namespace (-n); one already there with the same type is kept.

    \b
    Examples:
      tempo operator search-attribute create --name CustomerId --type Keyword
      tempo operator search-attribute create --name Total --name Items --type Int
    """
    from tempo_cli import _operator_commands

    _operator_commands.create_search_attributes(cli, name, type_name)


@command(search_attribute_app, name="remove")
def remove_search_attributes(
    cli: CliContext,
    name: Annotated[list[str], typer.Option("--name", help="Search Attribute name. Required.", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't prompt to confirm removal.")] = False,
) -> None:
    """Remove custom search attributes from a namespace (-n), after a confirmation (or --yes).

    \b
    Examples:
      tempo operator search-attribute remove --name CustomerId
      tempo operator search-attribute remove --name CustomerId --yes
    """
    from tempo_cli import _operator_commands

    _operator_commands.remove_search_attributes(cli, name, yes)


@command(cluster_app)
def system(cli: CliContext) -> None:
    """Show the server's version and capabilities (GetSystemInfo).

    \b
    Examples:
      tempo operator cluster system
      tempo operator cluster system -o json
    """
    from tempo_cli import _operator_commands

    _operator_commands.cluster_system(cli)


@command(cluster_app)
def health(cli: CliContext) -> None:
    """Check that the server answers (grpc.health.v1), as `temporal operator cluster health`.

    \b
    Examples:
      tempo operator cluster health
      tempo operator cluster health -o json
    """
    from tempo_cli import _operator_commands

    _operator_commands.cluster_health(cli)


@command(cluster_app, name="list")
def list_clusters(
    cli: CliContext,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Maximum number of clusters to display.", show_default=False)
    ] = None,
) -> None:
    """List the clusters the server knows (a dev server knows itself).

    \b
    Examples:
      tempo operator cluster list
      tempo operator cluster list -o json
    """
    from tempo_cli import _operator_commands

    _operator_commands.list_clusters(cli, limit)


@command(cluster_app, name="describe")
def describe_cluster(
    cli: CliContext,
    detail: Annotated[
        bool, typer.Option("--detail", help="Show history shard count and Cluster/Service version information.")
    ] = False,
) -> None:
    """Show the cluster's name and stores (GetClusterInfo).

    \b
    Examples:
      tempo operator cluster describe
      tempo operator cluster describe --detail -o json
    """
    from tempo_cli import _operator_commands

    _operator_commands.describe_cluster(cli, detail)
