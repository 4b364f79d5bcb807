"""`tempo batch describe|list|terminate` and the `--query` form of `tempo workflow ...`, run as
users type them against both servers, next to the real `temporal` CLI on the same server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from typer.testing import CliRunner, Result

from tempo_cli.main import app
from tests.devserver.batch_helpers import idle_workflows, wait_visible
from tests.servers import temporal_binary

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(180)]


def tempo(address: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        app, [*args, "--address", address], input=stdin, env={"NO_COLOR": "1", "TEMPORAL_ADDRESS": None}
    )


def temporal(address: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [temporal_binary(), *args, "--address", address], capture_output=True, text=True, timeout=60, check=False
    )


def idle(address: str, kind: str, count: int) -> list[str]:
    async def main() -> list[str]:
        client = await Client.connect(address)
        ids = await idle_workflows(client, kind, count)
        await wait_visible(client, f"WorkflowType='{kind}'", count)
        return ids

    return asyncio.run(main())


def statuses(address: str, ids: list[str]) -> list[WorkflowExecutionStatus | None]:
    async def main() -> list[WorkflowExecutionStatus | None]:
        client = await Client.connect(address)
        return [(await client.get_workflow_handle(w).describe()).status for w in ids]

    return asyncio.run(main())


def finished(address: str, job_id: str) -> dict[str, Any]:
    for _ in range(300):
        result = tempo(address, "batch", "describe", "--job-id", job_id, "-o", "json")
        assert result.exit_code == 0, result.output
        job: dict[str, Any] = json.loads(result.stdout)
        if job["state"] != "BATCH_OPERATION_STATE_RUNNING":
            return job
        time.sleep(0.05)
    raise AssertionError(f"batch job {job_id} still running")


def test_terminate_by_query_then_describe_and_list_as_temporal_prints_them(server_address: str) -> None:
    kind = f"CliBatch{uuid.uuid4().hex[:6]}"
    ids = idle(server_address, kind, 2)
    query = f"WorkflowType='{kind}'"
    started = tempo(
        server_address, "workflow", "terminate", "--query", query, "--reason", "cli batch", "--yes", "-o", "json"
    )
    assert started.exit_code == 0, started.output
    job_id = json.loads(started.stdout)["batchJobId"]
    job = finished(server_address, job_id)
    assert job["state"] == "BATCH_OPERATION_STATE_COMPLETED"
    assert job["totalOperationCount"] == job["completeOperationCount"] == "2"
    assert job["reason"] == "cli batch" and job["query"] == query
    assert statuses(server_address, ids) == [WorkflowExecutionStatus.TERMINATED] * 2
    # The same documents `temporal` prints.
    real_describe = temporal(server_address, "batch", "describe", "--job-id", job_id, "-o", "json")
    assert json.loads(real_describe.stdout) == job
    ours_list = tempo(server_address, "batch", "list", "-o", "json")
    real_list = temporal(server_address, "batch", "list", "-o", "json")
    assert json.loads(ours_list.stdout) == json.loads(real_list.stdout)
    limited = tempo(server_address, "batch", "list", "--limit", "1", "-o", "json")
    assert [j["jobId"] for j in json.loads(limited.stdout)] == [job_id]
    text = tempo(server_address, "batch", "describe", "--job-id", job_id)
    assert "Completed" in text.stdout and "TerminateWorkflow" in text.stdout and "2/2" in text.stdout
    # Stopping a finished job, and describing an unknown one, are one-line errors.
    stopped = tempo(server_address, "batch", "terminate", "--job-id", job_id, "--reason", "late")
    assert stopped.exit_code == 1 and "already" in stopped.output
    unknown = tempo(server_address, "batch", "describe", "--job-id", "no-such-job")
    assert unknown.exit_code == 1 and "could not find batch job 'no-such-job'" in unknown.output


def test_real_cli_batch_commands_work_on_both_servers(server_address: str) -> None:
    kind = f"RealCli{uuid.uuid4().hex[:6]}"
    ids = idle(server_address, kind, 2)
    signalled = temporal(
        server_address, "workflow", "signal", "--query", f"WorkflowType='{kind}'", "--name", "go", "--yes", "-o", "json"
    )
    assert signalled.returncode == 0, signalled.stderr
    job_id = json.loads(signalled.stdout)["batchJobId"]
    finished(server_address, job_id)
    ours_started = tempo(
        server_address, "workflow", "cancel", "--query", "WorkflowType='nothing-matches'", "--yes", "-o", "json"
    )
    # The same document as `temporal`'s: {"batchJobId": ...}.
    assert set(json.loads(ours_started.stdout)) == set(json.loads(signalled.stdout)) == {"batchJobId"}
    finished(server_address, json.loads(ours_started.stdout)["batchJobId"])
    job = finished(server_address, job_id)
    assert (job["operationType"], job["completeOperationCount"]) == ("BATCH_OPERATION_TYPE_SIGNAL_WORKFLOW", "2")
    listed = temporal(server_address, "batch", "list", "-o", "json")
    assert job_id in [j["jobId"] for j in json.loads(listed.stdout)]
    cancelled = temporal(server_address, "workflow", "cancel", "--query", f"WorkflowType='{kind}'", "--yes")
    assert cancelled.returncode == 0 and "Started batch for job ID" in cancelled.stdout
    finished(server_address, cancelled.stdout.rsplit("job ID: ", 1)[1].strip())
    assert statuses(server_address, ids) == [WorkflowExecutionStatus.RUNNING] * 2  # cancel only requests


def test_confirmation_shows_the_count_and_no_means_no(server_address: str) -> None:
    kind = f"Ask{uuid.uuid4().hex[:6]}"
    ids = idle(server_address, kind, 3)
    refused = tempo(server_address, "workflow", "cancel", "--query", f"WorkflowType='{kind}'", stdin="n\n")
    assert refused.exit_code == 1
    assert "Start batch against approximately 3 workflow(s)? y/N" in refused.output
    assert "user denied confirmation" in refused.output
    mixed = tempo(server_address, "workflow", "terminate", "--query", "x", "--workflow-id", ids[0])
    assert mixed.exit_code == 1 and "not both" in mixed.output
    accepted = tempo(server_address, "workflow", "delete", "--query", f"WorkflowType='{kind}'", stdin="y\n")
    assert accepted.exit_code == 0 and "Started batch for job ID: " in accepted.output
    job = finished(server_address, accepted.output.rsplit("job ID: ", 1)[1].strip())
    assert job["operationType"] == "BATCH_OPERATION_TYPE_DELETE_WORKFLOW" and job["completeOperationCount"] == "3"


def test_delete_one_workflow(server_address: str) -> None:
    (workflow_id,) = idle(server_address, f"DeleteOne{uuid.uuid4().hex[:6]}", 1)
    deleted = tempo(server_address, "workflow", "delete", "--workflow-id", workflow_id)
    assert deleted.exit_code == 0, deleted.output
    missing = tempo(server_address, "workflow", "describe", "--workflow-id", workflow_id)
    assert missing.exit_code == 1 and "not found" in missing.output


def test_batch_signal_with_input_and_batch_reset(server_address: str) -> None:
    kind = f"SigReset{uuid.uuid4().hex[:6]}"
    ids = idle(server_address, kind, 2)
    query = f"WorkflowType='{kind}'"
    signalled = tempo(
        server_address,
        "workflow",
        "signal",
        "--query",
        query,
        "--name",
        "go",
        "--input",
        '"now"',
        "--yes",
        "-o",
        "json",
    )
    assert signalled.exit_code == 0, signalled.output
    assert finished(server_address, json.loads(signalled.stdout)["batchJobId"])["completeOperationCount"] == "2"

    async def signal_inputs() -> list[Any]:
        client = await Client.connect(server_address)
        found = []
        for workflow_id in ids:
            async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
                if event.HasField("workflow_execution_signaled_event_attributes"):
                    attributes = event.workflow_execution_signaled_event_attributes
                    found.append((attributes.signal_name, json.loads(attributes.input.payloads[0].data)))
        return found

    assert asyncio.run(signal_inputs()) == [("go", "now"), ("go", "now")]
    no_type = tempo(server_address, "workflow", "reset", "--query", query, "--reason", "again", "--yes")
    assert no_type.exit_code == 1 and "--type FirstWorkflowTask or LastWorkflowTask" in no_type.output
    reset = tempo(
        server_address,
        "workflow",
        "reset",
        "--query",
        query,
        "--type",
        "FirstWorkflowTask",
        "--reason",
        "again",
        "--yes",
        "-o",
        "json",
    )
    assert reset.exit_code == 0, reset.output
    job = finished(server_address, json.loads(reset.stdout)["batchJobId"])
    # Both servers reset each run to after its first scheduled workflow task.
    assert (job["operationType"], job["completeOperationCount"]) == ("BATCH_OPERATION_TYPE_RESET_WORKFLOW", "2")
    assert job["reason"] == "again" and "failureOperationCount" not in job
