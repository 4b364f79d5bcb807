"""`tempo operator namespace ...` on both servers; `-o json` is what the real
`temporal operator namespace ...` prints for the same request on the same server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from tempo_cli.main import app as root
from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli
from tests.servers import tempo_server


def _operator(address: str, *args: str) -> Result:
    return CliRunner().invoke(
        root, ["operator", *args, "--address", address], env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None}
    )


def test_describe_namespace_matches_the_real_cli(server_address: str) -> None:
    ours = json_out(_operator(server_address, "namespace", "describe", "-n", "default", "-o", "json"))
    theirs = json.loads(
        real_cli(server_address, "operator", "namespace", "describe", "-n", "default", "-o", "json").stdout
    )
    assert ours == theirs
    by_id = _operator(
        server_address, "namespace", "describe", "--namespace-id", ours["namespaceInfo"]["id"], "-o", "json"
    )
    assert json_out(by_id)["namespaceInfo"]["name"] == "default"
    text = _operator(server_address, "namespace", "describe", "-n", "default").stdout
    assert "NamespaceInfo.Name                    default" in text
    assert "Config.WorkflowExecutionRetentionTtl  24h0m0s" in text


def test_list_namespaces_matches_the_real_cli(server_address: str) -> None:
    ours: list[Any] = json_out(_operator(server_address, "namespace", "list", "-o", "json"))
    theirs = json.loads(real_cli(server_address, "operator", "namespace", "list", "-o", "json").stdout)
    assert ours == theirs
    assert "default" in [n["namespaceInfo"]["name"] for n in ours]
    lines = _operator(server_address, "namespace", "list", "-o", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == ours


def test_an_unknown_namespace_is_a_one_line_error(server_address: str) -> None:
    result = _operator(server_address, "namespace", "describe", "-n", "no-such-namespace")
    assert result.exit_code != 0
    assert one_line_error(result).startswith("unable to describe namespace no-such-namespace: ")


def test_list_search_attributes_matches_the_real_cli(server_address: str) -> None:
    ours = json_out(_operator(server_address, "search-attribute", "list", "-o", "json"))
    theirs = json.loads(real_cli(server_address, "operator", "search-attribute", "list", "-o", "json").stdout)
    assert ours == theirs
    text = _operator(server_address, "search-attribute", "list").stdout.splitlines()
    assert text[0].split() == ["Name", "Type"]
    assert ["WorkflowType", "Keyword"] in [line.split() for line in text]
    unknown = _operator(server_address, "search-attribute", "list", "-n", "no-such-namespace")
    assert unknown.exit_code != 0
    assert one_line_error(unknown).startswith("unable to list search attributes: ")


def test_cluster_system_matches_the_real_cli(server_address: str) -> None:
    ours = json_out(_operator(server_address, "cluster", "system", "-o", "json"))
    theirs = json.loads(real_cli(server_address, "operator", "cluster", "system", "-o", "json").stdout)
    assert ours == theirs
    header, row = _operator(server_address, "cluster", "system").stdout.splitlines()
    assert header.split() == ["ServerVersion", "SupportsSchedules", "UpsertMemo", "EagerWorkflowStart"]
    flags = [
        str(ours["capabilities"].get(name, False)).lower()
        for name in ("supportsSchedules", "upsertMemo", "eagerWorkflowStart")
    ]
    assert row.split() == [ours["serverVersion"], *flags]


def test_cluster_describe_matches_the_real_cli(server_address: str) -> None:
    ours = json_out(_operator(server_address, "cluster", "describe", "--detail", "-o", "json"))
    theirs = json.loads(real_cli(server_address, "operator", "cluster", "describe", "-o", "json").stdout)
    assert ours == theirs
    header, row = _operator(server_address, "cluster", "describe").stdout.splitlines()
    assert header.split() == ["ClusterName", "PersistenceStore", "VisibilityStore"]
    assert row.split() == [ours["clusterName"], ours["persistenceStore"], ours["visibilityStore"]]
    detailed = _operator(server_address, "cluster", "describe", "--detail").stdout.splitlines()
    assert detailed[0].split()[3:] == ["HistoryShardCount", "VersionInfo"]
    assert detailed[1].split()[3] == str(ours["historyShardCount"])


def test_search_attribute_create_and_remove(server_address: str) -> None:
    name, other = new_id("Tempo").replace("-", ""), new_id("Tempo").replace("-", "")
    created = _operator(server_address, "search-attribute", "create", "--name", name, "--name", other, "--type", "int")
    assert created.exit_code == 0, created.stderr
    assert created.stderr.strip() == "Search attributes have been added"
    listed = json.loads(real_cli(server_address, "operator", "search-attribute", "list", "-o", "json").stdout)
    assert listed["customAttributes"][name] == "INDEXED_VALUE_TYPE_INT"
    again = _operator(server_address, "search-attribute", "create", "--name", name, "--type", "Int")
    assert again.exit_code == 0, again.stderr
    clash = _operator(server_address, "search-attribute", "create", "--name", name, "--type", "Keyword")
    assert one_line_error(clash) == f"search attribute {name} already exists and has different type Int"
    bad_type = _operator(server_address, "search-attribute", "create", "--name", name, "--type", "Number")
    assert one_line_error(bad_type).startswith('invalid argument "Number" for "--type" flag')
    denied = CliRunner().invoke(
        root,
        ["operator", "search-attribute", "remove", "--name", name, "--address", server_address],
        input="n\n",
        env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None},
    )
    assert denied.exit_code == 1
    assert "user denied confirmation, operation aborted" in denied.stderr
    removed = _operator(server_address, "search-attribute", "remove", "--name", name, "--name", other, "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert removed.stderr.strip() == "Search attributes have been removed"
    after = json.loads(real_cli(server_address, "operator", "search-attribute", "list", "-o", "json").stdout)
    assert name not in after.get("customAttributes", {})
    assert other not in after.get("customAttributes", {})


def test_namespace_create_registers_what_was_asked(server_address: str) -> None:
    name = new_id("tempo-ns")
    created = _operator(
        server_address,
        *("namespace", "create", "-n", name, "--retention", "48h", "--description", "orders"),
        *("--email", "ops@example.com", "--data", "team=checkout", "--data", "tier=gold"),
    )
    assert created.exit_code == 0, created.stderr
    assert created.stderr.strip() == f"Namespace {name} successfully registered."
    described = json.loads(
        real_cli(server_address, "operator", "namespace", "describe", "-n", name, "-o", "json").stdout
    )
    info = described["namespaceInfo"]
    assert (info["description"], info["ownerEmail"]) == ("orders", "ops@example.com")
    assert info["data"] == {"team": "checkout", "tier": "gold"}
    assert described["config"]["workflowExecutionRetentionTtl"] == "172800s"
    again = _operator(server_address, "namespace", "create", "-n", name)
    assert one_line_error(again).startswith(f"unable to create namespace {name}: ")
    bad = _operator(server_address, "namespace", "create", "-n", new_id("tempo-ns"), "--data", "no-equals")
    assert one_line_error(bad) == "--data: 'no-equals' is not KEY=VALUE"


def test_cluster_health_as_temporal_reports_it(server_address: str) -> None:
    ours = _operator(server_address, "cluster", "health")
    assert ours.exit_code == 0 and ours.stdout == "SERVING\n", ours.output
    as_json = json.loads(_operator(server_address, "cluster", "health", "-o", "json").stdout)
    assert as_json == json.loads(real_cli(server_address, "operator", "cluster", "health", "-o", "json").stdout)
    unreachable = _operator("127.0.0.1:1", "cluster", "health")
    assert unreachable.exit_code == 1 and "127.0.0.1:1" in one_line_error(unreachable)


def test_cluster_list_as_temporal_prints_it(server_address: str) -> None:
    """One cluster, the server itself, at the address the client used; the real dev server also
    gives its HTTP API's address, which Tempo does not serve."""
    ours = json.loads(_operator(server_address, "cluster", "list", "-o", "json").stdout)
    theirs = json.loads(real_cli(server_address, "operator", "cluster", "list", "-o", "json").stdout)
    assert ours == theirs
    (cluster,) = ours
    assert (cluster["clusterName"], cluster["historyShardCount"], cluster["isConnectionEnabled"]) == ("active", 1, True)
    assert cluster["address"].endswith(server_address.rsplit(":", 1)[1])
    text = _operator(server_address, "cluster", "list").stdout
    assert "IsReplicationEnabled" in text and "active" in text


def test_namespace_update_changes_what_was_asked(server_address: str) -> None:
    name = new_id("tempo-ns")
    assert _operator(server_address, "namespace", "create", "-n", name, "--data", "team=checkout").exit_code == 0
    updated = json_out(
        _operator(
            server_address,
            *("namespace", "update", "-n", name, "--description", "orders", "--email", "ops@example.com"),
            *("--data", 'limits={"max": 3}', "--retention", "48h", "-o", "json"),
        )
    )
    described = json.loads(
        real_cli(server_address, "operator", "namespace", "describe", "-n", name, "-o", "json").stdout
    )
    assert updated == described  # the updated namespace, as `temporal` describes it
    info = described["namespaceInfo"]
    assert (info["description"], info["ownerEmail"]) == ("orders", "ops@example.com")
    assert info["data"] == {"team": "checkout", "limits": '{"max": 3}'}  # merged, the value as typed
    assert described["config"]["workflowExecutionRetentionTtl"] == "172800s"
    assert described["replicationConfig"]["state"] == "REPLICATION_STATE_NORMAL"
    # The real CLI's update reaches the same server state, and ours reads it back.
    real_cli(server_address, "operator", "namespace", "update", "-n", name, "--description", "shipping")
    text = _operator(server_address, "namespace", "update", "-n", name, "--email", "x@example.com")
    assert text.exit_code == 0 and text.stderr.strip() == f"Namespace {name} update succeeded."
    again = json_out(_operator(server_address, "namespace", "describe", "-n", name, "-o", "json"))
    info = again["namespaceInfo"]
    assert (info["description"], info["ownerEmail"]) == ("shipping", "x@example.com")


def test_namespace_update_refuses_what_the_real_cli_refuses(server_address: str) -> None:
    name = new_id("tempo-ns")
    assert _operator(server_address, "namespace", "create", "-n", name).exit_code == 0
    short = _operator(server_address, "namespace", "update", "-n", name, "--retention", "30m")
    assert one_line_error(short) == "namespace update failed: A valid retention period is not set on request."
    mixed = _operator(server_address, "namespace", "update", "-n", name, "--active-cluster", "active", "--email", "x")
    assert one_line_error(mixed) == (
        "--active-cluster cannot be combined with --email; update namespace configuration before changing "
        "the active cluster"
    )
    other_cluster = _operator(server_address, "namespace", "update", "-n", name, "--active-cluster", "elsewhere")
    assert other_cluster.exit_code == 1
    assert other_cluster.stderr.splitlines()[-1] == "error: namespace update failed: Invalid cluster name: elsewhere"
    unknown = _operator(server_address, "namespace", "update", "-n", new_id("no-such"), "--description", "x")
    assert one_line_error(unknown).startswith("namespace update failed: Namespace no-such-")
    bad_state = _operator(server_address, "namespace", "update", "-n", name, "--replication-state", "paused")
    assert one_line_error(bad_state) == (
        'invalid argument "paused" for "--replication-state" flag: paused is not one of required values of '
        "normal, handover"
    )
    promote = _operator(server_address, "namespace", "update", "-n", name, "--promote-global")
    assert promote.exit_code == 1
    assert promote.stderr.splitlines()[-1].startswith("error: namespace update failed: global namespace is not enabled")


def test_namespace_delete_takes_its_workflows_with_it(server_address: str) -> None:
    name = new_id("tempo-ns")
    assert _operator(server_address, "namespace", "create", "-n", name).exit_code == 0
    real_cli(server_address, "workflow", "start", "-n", name, "--type", "Order", "-t", "orders", "-w", "order-1")
    mistyped = CliRunner().invoke(
        root,
        ["operator", "namespace", "delete", "-n", name, "--address", server_address],
        input="default\n",
        env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None},
    )
    assert mistyped.exit_code == 1
    assert mistyped.stderr.endswith("error: user denied confirmation or mistyped the namespace name\n")
    assert _operator(server_address, "namespace", "describe", "-n", name).exit_code == 0  # still there
    confirmed = CliRunner().invoke(
        root,
        ["operator", "namespace", "delete", "-n", name, "--address", server_address, "-o", "json"],
        input=f"{name}\n",
        env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None},
    )
    assert confirmed.exit_code == 0, confirmed.stderr
    assert json.loads(confirmed.stdout)["deletedNamespace"].startswith(f"{name}-deleted-")
    gone = _operator(server_address, "namespace", "describe", "-n", name)
    assert one_line_error(gone) == f"unable to describe namespace {name}: Namespace {name} is not found."
    again = one_line_error(_operator(server_address, "namespace", "delete", "-n", name, "--yes"))
    # (the real server says "namespace" while the deleted one is still being removed)
    assert again.startswith(f"unable to delete namespace {name}: ") and f"{name} is not found" in again
    # The real CLI deletes on Tempo as on the real server.
    other = new_id("tempo-ns")
    assert _operator(server_address, "namespace", "create", "-n", other).exit_code == 0
    real_cli(server_address, "operator", "namespace", "delete", "-n", other, "--yes")
    assert _operator(server_address, "namespace", "describe", "-n", other).exit_code == 1


def test_namespace_changes_survive_a_restart(tmp_path: Path) -> None:
    """With --db-filename an update is kept and a deleted namespace stays deleted, its workflows
    with it: a namespace of the same name made later starts empty."""
    db = str(tmp_path / "tempo.db")
    server = tempo_server("--db-filename", db).start()
    try:
        for name in ("kept", "dropped"):
            assert _operator(server.address, "namespace", "create", "-n", name).exit_code == 0
            real_cli(server.address, "workflow", "start", "-n", name, "--type", "Order", "-t", "q", "-w", "order-1")
        assert _operator(server.address, "namespace", "update", "-n", "kept", "--description", "d").exit_code == 0
        assert _operator(server.address, "namespace", "delete", "-n", "dropped", "-y").exit_code == 0
    finally:
        server.stop()
    server = tempo_server("--db-filename", db, port=server.port).start()
    try:
        kept = json_out(_operator(server.address, "namespace", "describe", "-n", "kept", "-o", "json"))
        assert kept["namespaceInfo"]["description"] == "d"
        assert _operator(server.address, "namespace", "describe", "-n", "dropped").exit_code == 1
        assert _operator(server.address, "namespace", "create", "-n", "dropped").exit_code == 0
        listed = real_cli(server.address, "workflow", "list", "-n", "dropped", "-o", "json").stdout
        assert json.loads(listed or "[]") == []
        assert len(json.loads(real_cli(server.address, "workflow", "list", "-n", "kept", "-o", "json").stdout)) == 1
    finally:
        server.stop()
