"""`tempo workflow update start|execute|result|describe` against an official worker on both
servers; `-o json` compared with what the real `temporal` prints for the same update."""

from __future__ import annotations

import asyncio
import json

from sdk import Client
from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli
from tests.cli.conftest import Tempo


def _start_tally(address: str, task_queue: str) -> str:
    workflow_id = new_id("tally")

    async def start() -> None:
        client = await Client.connect(address)
        await client.start_workflow("Tally", id=workflow_id, task_queue=task_queue)
        await client.close()

    asyncio.run(start())
    return workflow_id


def test_execute_returns_the_answer_and_refusals_are_one_line(
    server_address: str, tempo: Tempo, task_queue: str
) -> None:
    workflow_id = _start_tally(server_address, task_queue)
    first = tempo("update", "execute", "-w", workflow_id, "--name", "add", "-i", "3", "--update-id", "u1")
    assert first.exit_code == 0, first.stderr
    assert [line.split() for line in first.stdout.splitlines()] == [
        ["Name", "add"],
        ["UpdateID", "u1"],
        ["Result", "3"],
    ]
    ours = json_out(
        tempo("update", "execute", "-w", workflow_id, "--type", "add", "-i", "4", "--update-id", "u2", "-o", "json")
    )
    assert ours == {"name": "add", "updateId": "u2", "result": 7}
    # The same update id again: the first answer, as the real CLI shows it.
    theirs = real_cli(server_address, "workflow", "update", "execute", "-w", workflow_id, "--name", "add", "-i", "4",
                      "--update-id", "u2", "-o", "json")  # fmt: skip
    assert json.loads(theirs.stdout) == ours
    refused = tempo("update", "execute", "-w", workflow_id, "--name", "add", "-i", "-1")
    assert one_line_error(refused) == (
        "unable to update workflow: negative amounts are refused (type: ValueError, retryable: true)"
    )


def test_start_then_describe_and_result(server_address: str, tempo: Tempo, task_queue: str) -> None:
    workflow_id = _start_tally(server_address, task_queue)
    started = tempo("update", "start", "-w", workflow_id, "--name", "add_when_released", "-i", "5",
                    "--wait-for-stage", "accepted", "--update-id", "held", "-o", "json")  # fmt: skip
    assert json_out(started) == {"name": "add_when_released", "updateId": "held"}
    accepted = json_out(tempo("update", "describe", "-w", workflow_id, "--update-id", "held", "-o", "json"))
    assert accepted == {"updateId": "held", "stage": "Accepted"}
    theirs = real_cli(server_address, "workflow", "update", "describe", "-w", workflow_id, "--update-id", "held",
                      "-o", "json")  # fmt: skip
    assert json.loads(theirs.stdout) == accepted
    assert tempo("signal", "-w", workflow_id, "--name", "release").exit_code == 0
    assert json_out(tempo("update", "result", "-w", workflow_id, "--update-id", "held", "-o", "json")) == {
        "updateId": "held",
        "result": 5,
    }
    completed = json_out(tempo("update", "describe", "-w", workflow_id, "--update-id", "held", "-o", "json"))
    theirs = real_cli(server_address, "workflow", "update", "describe", "-w", workflow_id, "--update-id", "held",
                      "-o", "json")  # fmt: skip
    assert completed == json.loads(theirs.stdout) == {"updateId": "held", "result": 5, "stage": "Completed"}
    missing = tempo("update", "result", "-w", workflow_id, "--update-id", "nope")
    assert one_line_error(missing) == "unable to fetch update result: update 'nope' not found"
    bad_stage = tempo("update", "start", "-w", workflow_id, "--name", "add", "--wait-for-stage", "completed")
    assert bad_stage.exit_code == 2 and "Traceback" not in bad_stage.output
