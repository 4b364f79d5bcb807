"""The real `temporal workflow reset` CLI against both servers: the reset types it computes from
history (`--type FirstWorkflowTask`, `LastWorkflowTask`), `--event-id`, `--reapply-exclude` and
`--reason`, and the answer to an event id no workflow task finished at."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType as ET

from tests.devserver import reset_app, scenarios
from tests.devserver.reset_app import Collector
from tests.devserver.reset_history import Labels, check_same, history, settled, summary
from tests.servers import temporal_binary

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]


async def cli(address: str, *args: str) -> tuple[int, str, str]:
    """`temporal workflow reset <args>`: exit code, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        temporal_binary(),
        "workflow",
        "reset",
        *args,
        "--address",
        address,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, out.decode(), err.decode()


async def _cli_resets(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    labels, out = Labels(), {}
    task_queue = scenarios.unique("tq-reset-cli")
    async with reset_app.worker(client, task_queue):
        handle = await client.start_workflow(Collector.run, id=scenarios.unique("cli-reset"), task_queue=task_queue)
        wid = handle.id
        labels.add(handle.result_run_id or "", "base")
        await settled(client, wid, min_events=10)
        await handle.signal(Collector.add, "a")
        await settled(client, wid, min_events=14)

        async def reset(name: str, *args: str) -> None:
            code, stdout, stderr = await cli(address, "--workflow-id", wid, "--reason", name, *args)
            out[f"{name}: exit"] = code
            out[f"{name}: output"] = stdout.replace(wid, "<id>").strip()
            if code:
                out[f"{name}: error"] = stderr.strip()
                return
            run_id = (await client.get_workflow_handle(wid).describe()).run_id
            labels.add(run_id, name)
            completed = ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED  # every run reserves its item again
            out[name] = summary(await settled(client, wid, run_id, having=completed), labels)

        await reset("first task", "--type", "FirstWorkflowTask")
        await reset("last task", "--type", "LastWorkflowTask")
        await reset("event id", "--event-id", "4", "--reapply-exclude", "Signal")
        await reset("not a task's end", "--event-id", "5")
        await handle.signal(Collector.close)  # the chain's current run
        out["result"] = await client.get_workflow_handle(wid).result()
        out["base"] = summary(await history(client, wid, handle.result_run_id or ""), labels)
    return out


async def test_temporal_workflow_reset(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_cli_resets(tempo_address), _cli_resets(real_address))
    check_same(ours, real)
    assert real["first task: output"] == "Resetting workflow <id> to event ID 4"
    assert real["last task: output"].endswith("to event ID 14")  # the last completed task of the current run
    failed = real["first task"][3]
    assert failed[0] == "WORKFLOW_TASK_FAILED" and failed[2].endswith(": first task")  # "<user>: <reason>"
    assert "WORKFLOW_EXECUTION_SIGNALED" not in [row[0] for row in real["event id"]]
    assert real["not a task's end: exit"] == 1
    assert real["not a task's end: error"].endswith("this event must be at the boundary")
    assert real["result"] == ["reserved x"]
