"""The batch form of `tempo activity unpause|reset|update-options` (`--query`), typed as a user
types it, on both servers: the job it starts acts on the pending activities of every matching
workflow, `tempo batch describe` shows its counts as `temporal` does, and the real
`temporal activity unpause --query` works on Tempo too. Bad mixes of flags are one-line errors."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
from temporalio.client import Client
from typer.testing import CliRunner, Result

from tempo_cli.main import app
from tests.cli.cli_results import one_line_error, real_cli
from tests.devserver.activity_batch_app import heartbeat_timeouts, pause, paused, pending_activities, stalled_runs
from tests.devserver.batch_helpers import wait_visible

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(240)]


def tempo(address: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        app, [*args, "--address", address], input=stdin, env={"NO_COLOR": "1", "TEMPORAL_ADDRESS": None}
    )


def finished(address: str, job_id: str) -> dict[str, Any]:
    """`tempo batch describe -o json` once the job is no longer running."""
    for _ in range(600):
        result = tempo(address, "batch", "describe", "--job-id", job_id, "-o", "json")
        assert result.exit_code == 0, result.output
        job: dict[str, Any] = json.loads(result.stdout)
        if job["state"] != "BATCH_OPERATION_STATE_RUNNING":
            return job
        time.sleep(0.05)
    raise AssertionError(f"batch job {job_id} still running")


def started_job(result: Result) -> str:
    """The job id a batch command printed (`Started batch for job ID: ...`, on stderr)."""
    assert result.exit_code == 0, result.output
    return result.stderr.rsplit("Started batch for job ID: ", 1)[1].strip()


def setup_runs(address: str, kind: str, count: int, pauses: list[tuple[int, str]]) -> list[str]:
    """`count` runs with pending activities (see activity_batch_app), some paused; their ids."""

    async def main() -> list[str]:
        client = await Client.connect(address)
        async with stalled_runs(client, kind, count) as ids:
            for index, activity_id in pauses:
                await pause(client, ids[index], activity_id)
        await wait_visible(client, f"WorkflowType='{kind}'", count)
        return ids

    return asyncio.run(main())


def paused_now(address: str, ids: list[str]) -> list[list[str]]:
    async def main() -> list[list[str]]:
        return await paused(await Client.connect(address), ids)

    return asyncio.run(main())


def heartbeats_now(address: str, ids: list[str]) -> list[dict[str, float]]:
    async def main() -> list[dict[str, float]]:
        client = await Client.connect(address)
        return [heartbeat_timeouts(await pending_activities(client, w)) for w in ids]

    return asyncio.run(main())


def test_update_options_reset_and_unpause_by_query(server_address: str) -> None:
    kind = f"CliActs{uuid.uuid4().hex[:6]}"
    ids = setup_runs(server_address, kind, 2, [(0, "charge"), (0, "ship"), (1, "charge")])
    query = f"WorkflowType='{kind}'"

    updated = tempo(
        server_address, "activity", "update-options", "--query", query, "--heartbeat-timeout", "30s", "--yes",
        "-o", "json",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    job = finished(server_address, json.loads(updated.stdout)["batchJobId"])
    assert job["operationType"] == "BATCH_OPERATION_TYPE_UPDATE_ACTIVITY_OPTIONS"
    assert job["totalOperationCount"] == job["completeOperationCount"] == "2" and job["query"] == query
    every = {"charge": 30.0, "ship": 30.0}
    assert heartbeats_now(server_address, ids) == [every, every]

    reset = tempo(
        server_address, "activity", "reset", "-q", query, "--keep-paused", "--restore-original-options", "-y",
        "--reason", "back to the start",
    )  # fmt: skip
    assert f'Start batch against workflows matching query "{query}"? y/N yes' in reset.stderr
    job = finished(server_address, started_job(reset))
    assert (job["operationType"], job["completeOperationCount"], job["reason"]) == (
        "BATCH_OPERATION_TYPE_RESET_ACTIVITY",
        "2",
        "back to the start",
    )
    original = {"charge": 0.0, "ship": 0.0}
    assert heartbeats_now(server_address, ids) == [original, original]
    assert paused_now(server_address, ids) == [["charge", "ship"], ["charge"]]  # kept paused

    # Without --yes it asks, with the number of matching workflows.
    unpaused = tempo(server_address, "activity", "unpause", "--query", query, "--jitter", "0s", stdin="y\n")
    assert "Start batch against approximately 2 workflow(s)? y/N" in unpaused.stderr
    job_id = started_job(unpaused)
    finished(server_address, job_id)
    assert paused_now(server_address, ids) == [[], []]
    described = tempo(server_address, "batch", "describe", "--job-id", job_id)
    assert "UnpauseActivity" in described.stdout and "2/2" in described.stdout

    denied = tempo(server_address, "activity", "unpause", "--query", query, stdin="n\n")
    # The answer ends the prompt's line; the error follows on it, and no job starts.
    assert denied.exit_code == 1 and denied.stderr.rstrip().endswith("y/N error: user denied confirmation")
    assert "Started batch" not in denied.output


def test_the_real_cli_unpauses_by_query(server_address: str) -> None:
    kind = f"RealActs{uuid.uuid4().hex[:6]}"
    ids = setup_runs(server_address, kind, 2, [(0, "charge"), (1, "ship")])
    query = f"WorkflowType='{kind}'"
    started = real_cli(server_address, "activity", "unpause", "--query", query, "--yes", "-o", "json")
    assert started.returncode == 0, started.stderr
    job = finished(server_address, json.loads(started.stdout)["batchJobId"])
    assert (job["operationType"], job["completeOperationCount"]) == ("BATCH_OPERATION_TYPE_UNPAUSE_ACTIVITY", "2")
    assert paused_now(server_address, ids) == [[], []]
    # `tempo batch describe` prints what `temporal batch describe` prints.
    real = real_cli(server_address, "batch", "describe", "--job-id", job["jobId"], "-o", "json")
    assert json.loads(real.stdout) == job


BAD_FLAGS = [
    (["unpause"], "give --workflow-id and --activity-id for one activity, or --query for a batch"),
    (["reset", "-w", "w"], "give --workflow-id and --activity-id for one activity, or --query for a batch"),
    (["unpause", "-w", "w", "-a", "1", "--yes"], "--rps and --yes need --query"),
    (["reset", "-w", "w", "-a", "1", "--rps", "5"], "--rps and --yes need --query"),
    (
        ["update-options", "-w", "w", "-a", "1", "--reason", "r"],
        "--reason needs --query (it is the batch job's reason)",
    ),
    (["unpause", "-q", "WorkflowType='x'", "-w", "w"], "give --workflow-id or --query, not both"),
    (["reset", "-q", "WorkflowType='x'", "-r", "run"], "--run-id cannot be used with --query"),
    (
        ["update-options", "-q", "WorkflowType='x'", "-a", "1", "--heartbeat-timeout", "1s"],
        "--activity-id cannot be used with --query (the batch acts on every pending activity of the matching "
        "workflows)",
    ),
    (["unpause", "-q", "WorkflowType='x'", "--jitter", "soon"], None),
    (["reset", "-q", "WorkflowType='x'", "--headers", "nokey"], None),
    (
        ["update-options", "-q", "WorkflowType='x'", "-y"],
        "give at least one option to change, or --restore-original-options",
    ),
]


@pytest.mark.parametrize("args, message", BAD_FLAGS, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_flag_combinations_are_one_line_errors(args: list[str], message: str | None) -> None:
    # Refused before connecting: nothing listens at this address.
    error = one_line_error(tempo("127.0.0.1:1", "activity", *args))
    if message is None:
        assert error.startswith(("--jitter: 'soon' is not a duration", "--headers: expected KEY=VALUE"))
    else:
        assert error == message


def test_unpause_one_activity_with_jitter_waits_within_it(server_address: str) -> None:
    """--jitter on one activity (as `temporal` sends it too): its next attempt is due at a
    random time within the jitter, not at once."""
    kind = f"Jitter{uuid.uuid4().hex[:6]}"
    ids = setup_runs(server_address, kind, 1, [(0, "charge")])
    unpaused = tempo(server_address, "activity", "unpause", "-w", ids[0], "-a", "charge", "--jitter", "1h")
    assert unpaused.exit_code == 0, unpaused.output

    async def charge() -> Any:
        return (await pending_activities(await Client.connect(server_address), ids[0]))["charge"]

    info = asyncio.run(charge())
    assert not info.paused
    due = info.next_attempt_schedule_time.ToDatetime().timestamp() - time.time()
    assert 0 < due <= 3600
