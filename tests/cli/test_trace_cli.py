"""`tempo workflow trace`: a workflow and its children as a tree, on both servers (issue 18)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from sdk import Client
from tests.cli.conftest import Tempo
from tests.sdk_client.workflows import FamilyLeaf


def _start_family(address: str, task_queue: str) -> str:
    """Start a FamilyRoot and wait until its grandchild runs; its workflow id."""
    root_id = f"family-{uuid.uuid4().hex[:8]}"

    async def start() -> None:
        client = await Client.connect(address)
        await client.start_workflow("FamilyRoot", id=root_id, task_queue=task_queue)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                await client.get_workflow_handle(f"{root_id}-waits-leaf").describe()
                break
            except Exception:
                await asyncio.sleep(0.1)
        await client.close()

    asyncio.run(start())
    return root_id


def _finish(address: str, root_id: str) -> None:
    async def finish() -> None:
        client = await Client.connect(address)
        await client.get_workflow_handle(f"{root_id}-waits-leaf").signal(FamilyLeaf.finish)
        await client.get_workflow_handle(root_id).result()
        await client.close()

    asyncio.run(finish())


def _tree(output: str) -> list[str]:
    """The tree's lines without times: indentation, mark, type, and the ids line."""
    lines = []
    for line in output.splitlines():
        if "wfId:" in line:
            lines.append(line.split(", runId:")[0])
        else:
            lines.append(line.split(" (")[0])
    return lines


def test_trace_folds_finished_children_and_shows_the_rest(server_address: str, tempo: Tempo, task_queue: str) -> None:
    root_id = _start_family(server_address, task_queue)
    try:
        folded = tempo("trace", "-w", root_id)
        assert folded.exit_code == 0, folded.output
        assert _tree(folded.stdout) == [
            " ╪ ▷ FamilyRoot",
            f" │   wfId: {root_id}",
            " │   ╪ ✓ FamilyChild",
            f" │   │   wfId: {root_id}-quick",
            " │   │   ↳ execution folded",
            " │   ╪ ▷ FamilyChild",
            f" │   │   wfId: {root_id}-waits",
            " │   │   ╪ ▷ FamilyLeaf",
            f" │   │   │   wfId: {root_id}-waits-leaf",
        ]
        everything = tempo("trace", "-w", root_id, "--no-fold", "--depth", "1")
        assert "execution folded" not in everything.stdout.split(f"{root_id}-quick")[1].split("╪")[0]
        # Depth 1: the children's histories are read, the grandchild's is not (it shows folded).
        assert _tree(everything.stdout)[-1] == " │   │   │   ↳ execution folded"
        as_json = json.loads(tempo("trace", "-w", root_id, "-o", "json").stdout)
        assert as_json["type"] == "FamilyRoot" and as_json["status"] == "WORKFLOW_EXECUTION_STATUS_RUNNING"
        assert [child["workflowId"] for child in as_json["children"]] == [f"{root_id}-quick", f"{root_id}-waits"]
        assert as_json["children"][1]["children"][0]["workflowId"] == f"{root_id}-waits-leaf"
        bad = tempo("trace", "-w", root_id, "--fold", "sleeping")
        assert bad.exit_code == 1 and bad.stderr.strip().startswith("error: invalid --fold 'sleeping'")
    finally:
        _finish(server_address, root_id)
    done = tempo("trace", "-w", root_id, "--follow")
    assert done.exit_code == 0 and _tree(done.stdout)[0] == " ╪ ✓ FamilyRoot", "a closed workflow: --follow ends"
