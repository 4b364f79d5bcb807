"""`tempo workflow update-options` on both servers: the versioning override it sets and
removes (seen in describe), its output beside the real `temporal`'s, and its refusals."""

from __future__ import annotations

import asyncio
import time

from temporalio.api.workflow.v1 import message_pb2 as workflow_pb
from temporalio.client import Client

from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli
from tests.cli.conftest import Tempo


def _start(address: str, workflow_type: str = "Waits") -> str:
    workflow_id = new_id("options")

    async def start() -> None:
        client = await Client.connect(address)
        await client.start_workflow(workflow_type, id=workflow_id, task_queue=new_id("nobody"))

    asyncio.run(start())
    return workflow_id


def _override(address: str, workflow_id: str) -> workflow_pb.VersioningOverride:
    async def describe() -> workflow_pb.VersioningOverride:
        client = await Client.connect(address)
        description = await client.get_workflow_handle(workflow_id).describe()
        return description.raw_description.workflow_execution_info.versioning_info.versioning_override

    return asyncio.run(describe())


def test_sets_and_removes_the_override_as_the_real_cli(server_address: str, tempo: Tempo) -> None:
    workflow_id = _start(server_address)
    result = tempo("update-options", "-w", workflow_id, "--versioning-override-behavior", "auto_upgrade")
    assert result.exit_code == 0, result.stderr
    theirs = real_cli(server_address, "workflow", "update-options", "-w", workflow_id,
                      "--versioning-override-behavior", "auto_upgrade")  # fmt: skip
    assert result.stdout == theirs.stdout == "Update workflow options succeeded\n"
    assert _override(server_address, workflow_id).auto_upgrade
    removed = tempo("update-options", "-w", workflow_id, "--versioning-override-behavior", "unspecified")
    assert removed.exit_code == 0, removed.stderr
    assert _override(server_address, workflow_id) == workflow_pb.VersioningOverride()


def test_refusals_are_one_line(server_address: str, tempo: Tempo) -> None:
    workflow_id = _start(server_address)
    missing_version = tempo("update-options", "-w", workflow_id, "--versioning-override-behavior", "pinned")
    assert one_line_error(missing_version) == "missing deployment name and/or build id with 'pinned' behavior"
    unknown_version = tempo("update-options", "-w", workflow_id, "--versioning-override-behavior", "one_time",
                            "--versioning-override-deployment-name", "orders",
                            "--versioning-override-build-id", "b1")  # fmt: skip
    assert "Pinned version 'orders:b1' is not present in task queue" in one_line_error(unknown_version)
    not_found = tempo("update-options", "-w", new_id("missing"), "--versioning-override-behavior", "auto_upgrade")
    assert "not found" in one_line_error(not_found)


def test_a_batch_sets_the_override_on_every_listed_workflow(server_address: str, tempo: Tempo) -> None:
    workflow_type = new_id("Batched")
    ids = [_start(server_address, workflow_type) for _ in range(2)]
    query = f"WorkflowType='{workflow_type}'"
    # The real server lists a new workflow a moment after its start: wait until both are listed.
    deadline = time.monotonic() + 30
    while int(json_out(tempo("count", "--query", query, "-o", "json"))["count"]) != 2:
        assert time.monotonic() < deadline, "the workflows were never listed"
        time.sleep(0.2)
    started = tempo("update-options", "--query", query, "--versioning-override-behavior", "auto_upgrade", "--yes",
                    "-o", "json")  # fmt: skip
    assert set(json_out(started)) == {"batchJobId"}
    while not all(_override(server_address, workflow_id).auto_upgrade for workflow_id in ids):
        assert time.monotonic() < deadline, "the batch did not reach every workflow"
        time.sleep(0.2)
    mixed = tempo("update-options", "-w", ids[0], "--query", query, "--versioning-override-behavior", "auto_upgrade")
    assert one_line_error(mixed) == "give --workflow-id or --query, not both"
