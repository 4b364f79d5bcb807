"""`tempo` starts fast (tempo_cli.entry), and what makes it fast changes nothing a user sees.

How fast is the benchmark's business (bench/bench_cli.py, run here at a tiny size so it keeps
working); these tests check what the fast paths must keep: a command still loads only the
protobuf classes of the official SDK, and the very classes the SDK itself uses; the help is
the app's own, rendered again when what it is made from changes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.cli.startup_checks import (
    env,
    run_reporting,
    run_reporting_messages,
    run_tempo,
    sdk_runtime_modules,
    server_modules,
)
from tests.servers import free_port, free_ports


def test_a_workflow_command_loads_only_what_it_needs(server_address: str, tmp_path: Path) -> None:
    # Through the SDK's client (the fast path): a setting from the environment keeps it off
    # the lean path (`_lean_session`), which loads less still (tests/cli/test_lean_json.py).
    environment = env(tmp_path, TEMPORAL_NAMESPACE="default")
    out, code, modules = run_reporting(["workflow", "list", "--address", server_address, "-o", "json"], environment)
    assert code == 0
    assert isinstance(json.loads(out), list)
    # Of the official SDK only the protobuf classes: not its __init__'s service and Rust bridge.
    assert sdk_runtime_modules(modules) == []
    # Neither the other command groups, nor the worker side of the SDK, the TUI or Pydantic.
    assert [m for m in modules if m.split(".")[0] in ("pydantic", "textual", "prometheus_client")] == []
    assert {"sdk.worker", "tempo_cli.schedule", "tempo_cli.operator", "tempo_cli.server"}.isdisjoint(modules)
    # Nor what a listing does not use: updates, start options and inputs, browsing's pages,
    # replayable histories, a profiles file's TOML parser, `uuid` (which loads `platform`).
    unused = {
        "sdk._client_update",
        "sdk._client_activity",
        "sdk._client_start_inputs",
        "sdk._client_pages",
        "sdk._options",
        "sdk._workflow_history",
        "tempo_cli._start_request",
        "tempo_cli._metadata",
        "tomllib",
        "uuid",
        # `inspect`'s own imports (it waits for its first use, tempo_cli._deferred_stdlib), the
        # `idna` codec (a host name for getaddrinfo as bytes), `random` (retries' jitter).
        "ast",
        "dis",
        "encodings.idna",
        "random",
    }
    assert unused.isdisjoint(modules), sorted(unused.intersection(modules))


@pytest.mark.parametrize("server", [["server", "start-dev", "--headless"], ["server", "start-dev", "--db-filename"]])
def test_the_server_serves_without_grpcio(server: list[str], tmp_path: Path) -> None:
    # The server speaks HTTP/2 itself (devserver.h2_server): grpcio's import was a quarter of
    # its start-up, and the official SDK's runtime is not the server's business either.
    port = free_port()
    argv = [*server, str(tmp_path / "tempo.db")] if server[-1] == "--db-filename" else server
    code, modules = server_modules([*argv, "--port", str(port)], port, env(tmp_path))
    assert code == 0
    assert [m for m in modules if m.split(".")[0] == "grpc"] == []
    assert sdk_runtime_modules(modules) == []
    assert "devserver.h2_server" in modules


@pytest.mark.parametrize("web_ui", [False, True])
def test_the_server_starts_without_what_most_sessions_never_use(tmp_path: Path, web_ui: bool) -> None:
    # Each a few milliseconds of every start: TLS (asyncio imports it unless told not to), the
    # `uuid` module (with `platform`), `ipaddress`, and schedules and batch operations, which
    # are built with their first call (tests/devserver/test_schedules.py, test_batch.py); the
    # web UI's process and what starts it (`pathlib`, `shutil`) wait for the first browser.
    port, ui_port = free_ports(2)
    ui = ["--ui-port", str(ui_port)] if web_ui else ["--headless"]
    code, modules = server_modules(["server", "start-dev", *ui, "--port", str(port)], port, env(tmp_path))
    assert code == 0
    assert ("tempo_cli.tui.ui_process" in modules) is web_ui
    unused = {"ssl", "_ssl", "uuid", "platform", "ipaddress", "devserver.schedule_ops", "devserver.batch_ops"}
    unused |= {"pathlib", "shutil", "tempo_cli.tui.serve"}
    unused |= {"devserver.list_filter"}  # the query language: loaded with the first list or count
    # `inspect`'s own imports (asyncio's `inspect` waits for its first use), resets with their
    # history replay, `random` (activity jitter).
    unused |= {"ast", "dis", "devserver.core.reset", "devserver.core.rebuild", "random"}
    assert unused.isdisjoint(modules), sorted(unused.intersection(modules))


def test_the_workflow_commands_call_without_grpcio_or_an_event_loop(server_address: str, tmp_path: Path) -> None:
    # A plain connection's calls go over the blocking transport (sdk._h2_channel): grpcio's
    # import alone (with asyncio, which it loads) took longer than `temporal workflow list`.
    workflow_id = f"startup-{tmp_path.name}"
    commands = [
        ["workflow", "start", "--type", "Nobody", "-t", "no-worker", "-w", workflow_id],
        ["workflow", "list", "-q", f"WorkflowId = '{workflow_id}'"],
        ["workflow", "count"],
        ["workflow", "describe", "-w", workflow_id],
        ["workflow", "show", "-w", workflow_id],
        # Through the Typer app, on the same transport.
        ["workflow", "describe", "-w", workflow_id, "--reset-points"],
        ["workflow", "describe", "-w", workflow_id, "--raw"],
        ["workflow", "terminate", "-w", workflow_id],
    ]
    for argv in commands:
        out, code, modules = run_reporting([*argv, "--address", server_address], env(tmp_path))
        assert code == 0, (argv, out)
        assert [m for m in modules if m.split(".")[0] in ("grpc", "asyncio", "ssl")] == [], argv
    assert (
        "Terminated"
        in run_tempo(["workflow", "describe", "-w", workflow_id, "--address", server_address], env(tmp_path)).stdout
    )
    # A failure loads grpcio, only to name the status as the SDK's exceptions do.
    done = run_tempo(
        ["workflow", "describe", "-w", f"{workflow_id}-missing", "--address", server_address], env(tmp_path)
    )
    assert (done.returncode, done.stderr.strip()) == (
        1,
        f"error: workflow '{workflow_id}-missing' not found in namespace 'default'",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["schedule", "list"],
        ["schedule", "describe", "-s", "startup-missing"],
        ["batch", "list"],
        ["task-queue", "describe", "-t", "startup-nobody"],
        ["operator", "namespace", "list"],
        ["operator", "search-attribute", "list"],
        ["operator", "cluster", "system"],
        ["operator", "cluster", "health"],
    ],
)
def test_schedule_batch_task_queue_and_operator_commands_call_without_grpcio(
    argv: list[str], server_address: str, tmp_path: Path
) -> None:
    _, messages, code, modules = run_reporting_messages([*argv, "--address", server_address], env(tmp_path))
    if "missing" in argv[-1]:
        assert code == 1 and messages[-1] == "error: schedule not found", messages  # loads grpc, to name it
    else:
        assert code == 0, messages
        assert [m for m in modules if m.split(".")[0] in ("grpc", "asyncio")] == [], argv
    if argv[0] in ("operator", "batch"):  # their tables, to a pipe, are written without Rich
        assert [m for m in modules if m.split(".")[0] == "rich"] == [], argv


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["task-queue", "describe", "-t", "startup-nobody"], None),  # an int option's default
        (["workflow", "trace", "-w", "startup-missing"], "error: workflow 'startup-missing' not found"),
        (["workflow", "delete", "-w", "startup-missing"], "error: workflow 'startup-missing' not found"),
        (["workflow", "describe", "-w", "startup-missing"], "error: workflow 'startup-missing' not found"),
    ],
)
def test_commands_and_their_errors_load_neither_pydantic_nor_aiohttp(
    argv: list[str], said: str | None, tempo_address: str, tmp_path: Path
) -> None:
    # Pydantic took 90 ms when an int option kept its default; aiohttp (the codec server's
    # client) 130 ms for every error message.
    _, messages, code, modules = run_reporting_messages([*argv, "--address", tempo_address], env(tmp_path))
    assert (code == 0) == (said is None), messages
    if said is not None:
        assert messages[-1].startswith(said)
    assert [m for m in modules if m.split(".")[0] in ("pydantic", "aiohttp")] == []


def test_an_int_option_out_of_bounds_still_gets_typers_message(tmp_path: Path) -> None:
    done = run_tempo(["workflow", "trace", "-w", "x", "--concurrency", "0"], env(tmp_path))
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "error: --concurrency: '0' is out of range; it must be at least 1",
    )


def test_a_bad_option_value_still_gets_the_one_line_error(tmp_path: Path) -> None:
    done = run_tempo(["workflow", "list", "--limit", "many"], env(tmp_path))
    assert (done.returncode, done.stderr.strip()) == (2, "error: --limit: 'many' is not a whole number")


OFFICIAL_SDK_AFTER_THE_CLI = """
import json
from tempo_cli._temporalio_api import defer_sdk_init
deferred = defer_sdk_init()
from temporalio.api.common.v1 import Payload
import temporalio
init_ran_early = "__version__" in vars(temporalio)
import temporalio.converter
from temporalio import workflow
from temporalio.client import Client
from temporalio.api.common.v1 import Payload as PayloadAgain
payload = temporalio.converter.default().payload_converter.to_payloads([3])[0]
print(json.dumps({
    "deferred": deferred,
    "init_ran_early": init_ran_early,
    "same_class": PayloadAgain is Payload and type(payload) is Payload,
    "version": temporalio.__version__,
    "names": [hasattr(workflow, "defn"), hasattr(Client, "connect")],
}))
"""


def test_the_official_sdk_still_works_in_full_after_the_deferred_init() -> None:
    done = subprocess.run([sys.executable, "-c", OFFICIAL_SDK_AFTER_THE_CLI], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "deferred": True,
        "init_ran_early": False,
        "same_class": True,
        "version": version("temporalio"),
        "names": [True, True],
    }


OFFICIAL_SDK_AFTER_THE_QUICK_COMMANDS = """
import json
import sys
from tempo_cli._temporalio_api import defer_service_inits
defer_service_inits()
from temporalio.api.workflowservice.v1.request_response_pb2 import StartWorkflowExecutionRequest
deferred = "WorkflowServiceStub" not in vars(sys.modules["temporalio.api.workflowservice.v1"])
grpc_before = "grpc" in sys.modules
from temporalio.api.workflowservice.v1 import StartWorkflowExecutionRequest as Again, WorkflowServiceStub
from temporalio.client import Client
print(json.dumps({
    "deferred": deferred,
    "grpc_before": grpc_before,
    "same_class": Again is StartWorkflowExecutionRequest,
    "stub": WorkflowServiceStub.__name__,
}))
"""


def test_the_workflow_service_package_is_whole_once_asked_for_a_name() -> None:
    done = subprocess.run([sys.executable, "-c", OFFICIAL_SDK_AFTER_THE_QUICK_COMMANDS], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "deferred": True,
        "grpc_before": False,
        "same_class": True,
        "stub": "WorkflowServiceStub",
    }


def test_nothing_is_deferred_once_the_official_sdk_is_imported() -> None:
    code = "import temporalio\nfrom tempo_cli._temporalio_api import defer_sdk_init\nprint(defer_sdk_init())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_help_is_the_apps_and_later_comes_from_the_cache(tmp_path: Path) -> None:
    first, code, modules = run_reporting(["workflow", "list", "--help"], env(tmp_path))
    assert code == 0
    assert first.startswith("Usage: tempo workflow list [OPTIONS]")
    assert "Examples:" in first
    assert "typer" in modules  # rendered by the app
    cache = json.loads((tmp_path / "tempo" / "help.json").read_text())
    assert [list(texts.values()) for texts in cache.values()] == [[first]]

    again, code, modules = run_reporting(["workflow", "list", "--help"], env(tmp_path))
    assert (again, code) == (first, 0)
    assert [m for m in modules if m.split(".")[0] in ("typer", "rich", "grpc", "temporalio")] == []


def test_help_rendered_under_other_conditions_is_not_reused(tmp_path: Path) -> None:
    run_tempo(["--help"], env(tmp_path))
    cache_file = tmp_path / "tempo" / "help.json"
    cache = json.loads(cache_file.read_text())
    for texts in cache.values():  # what a stale entry would show
        for key in texts:
            texts[key] = "stale\n"
    cache_file.write_text(json.dumps(cache))
    assert run_tempo(["--help"], env(tmp_path)).stdout == "stale\n"  # the same conditions: kept

    other_width = run_tempo(["--help"], env(tmp_path, COLUMNS="60"))
    other_variable = run_tempo(["--help"], env(tmp_path, TEMPORAL_ADDRESS="127.0.0.1:7000"))
    for done in (other_width, other_variable):
        assert done.returncode == 0
        assert done.stdout.startswith("Usage: python -m tempo_cli.main [OPTIONS] COMMAND")


def test_a_mistaken_help_request_is_an_error_and_is_not_kept(tmp_path: Path) -> None:
    done = run_tempo(["workflw", "--help"], env(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == "error: no such command 'workflw'. Did you mean 'workflow'?"
    assert not (tmp_path / "tempo" / "help.json").exists()


@pytest.mark.timeout(420)  # two servers, a worker, 36 commands and 4 server starts, on a busy machine
def test_the_startup_benchmark_runs(tmp_path: Path) -> None:
    figures_file = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_cli", "--runs", "1", "--starts", "1", "--json", str(figures_file)],
        capture_output=True,
        text=True,
        timeout=360,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(figures_file.read_text())
    commands = {(c["command"], c["server"]) for c in figures["commands"]}
    measured = [
        "--help",
        *(f"workflow {c}" for c in ("list", "count", "describe", "show", "start", "signal", "query")),
        *(f"workflow {c}" for c in ("cancel", "terminate", "result")),
        "workflow signal, no worker",
        *(f"workflow {c} -o json" for c in ("list", "count", "describe", "show")),
        "operator namespace list",
        "operator namespace describe",
        "operator search-attribute list",
        *(f"operator cluster {c}" for c in ("system", "describe", "health")),
        "schedule list",
        "schedule describe",
        "schedule trigger",
        "schedule toggle",
        "task-queue describe",
        "task-queue list-partition",
        "batch list",
        "workflow describe --raw",
        *(f"{c}, unknown id" for c in ("workflow describe", "workflow signal", "schedule describe")),
        *(f"activity {c}, unknown id" for c in ("pause", "complete")),
        *(f"env {c}" for c in ("list", "get")),
        *(f"config {c}" for c in ("get", "list")),
        *(f"{c}, on a terminal" for c in ("workflow list", "workflow describe", "schedule list")),
        "workflow list, on an 80-column terminal",
    ]
    assert commands == {(command, server) for command in measured for server in ("tempo", "real")}
    assert all(c["tempo_s"] > 0 and c["temporal_s"] > 0 and c["ratio"] > 0 for c in figures["commands"])
    ready = {(r["server"], r["web_ui"]): r["seconds"] for r in figures["readiness"]}
    assert set(ready) == {
        ("tempo", False),
        ("tempo", True),
        ("temporal", False),
        ("temporal", True),
        ("tempo-test-server", False),
    }
    assert all(seconds > 0 for seconds in ready.values())
    assert "start-dev: first GetSystemInfo" in done.stdout
    assert "tempo-test-server" in done.stdout
