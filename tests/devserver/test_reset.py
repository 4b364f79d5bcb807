"""ResetWorkflowExecution on both servers (issue 8, item 4): the same official-SDK scenarios,
the histories of the old and new runs compared event by event.

What is compared (besides `compat.summary`): the reset's WorkflowTaskFailed (cause, reason,
base and new run), what was reapplied (signals with their input, updates as admitted with
their origin), on which kind of queue workflow tasks went, the started event the server
writes for a task that was only scheduled, the resetter's termination of the current run,
and what DescribeWorkflowExecution says about both runs. Run ids are replaced by labels
("base", "new", ...), in the order the scenario met them.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import (
    EventType,
    ResetReapplyExcludeType,
    ResetReapplyType,
    WorkflowTaskFailedCause,
)
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError

from tests.devserver import reset_app, scenarios
from tests.devserver.reset_app import BuggyOrder, Collector, Parent, Relay, StuckOrder, Waiter, WaitingChild
from tests.devserver.reset_history import Labels, check_same, finish_ids, history, settled, summary

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

ET = EventType
EXCLUDE_SIGNAL = ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL
EXCLUDE_UPDATE = ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE
RESET_WORKFLOW = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
# A Collector run that got this far has reserved its item (again, after a reset to its first task).
RESERVED = ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED


async def reset(
    client: Client, workflow_id: str, run_id: str, finish_event_id: int, reason: str = "fixing it", **fields: Any
) -> Any:
    """The new run id, or the error as (status, message, detail types)."""
    fields.setdefault("request_id", str(uuid.uuid4()))
    request = wsv1.ResetWorkflowExecutionRequest(
        namespace=fields.pop("namespace", "default"),
        workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        workflow_task_finish_event_id=finish_event_id,
        reason=reason,
        **fields,
    )
    try:
        return (await client.workflow_service.reset_workflow_execution(request)).run_id
    except RPCError as err:
        details = [d.type_url.rsplit(".", 1)[-1] for d in err.grpc_status.details] if err.grpc_status else []
        return (err.status.name, err.message, details)


async def described(client: Client, workflow_id: str, run_id: str, labels: Labels) -> dict[str, Any]:
    """What DescribeWorkflowExecution says about a run that a reset touched."""
    response = await client.workflow_service.describe_workflow_execution(
        wsv1.DescribeWorkflowExecutionRequest(
            namespace="default", execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id)
        )
    )
    info, extended = response.workflow_execution_info, response.workflow_extended_info
    return {
        "status": info.status,
        "first run": labels(info.first_run_id),
        "reset run": labels(extended.reset_run_id),
        "last reset": extended.HasField("last_reset_time") and extended.last_reset_time.seconds > 0,
        "started at reset": info.start_time == extended.last_reset_time,
        "original start": extended.original_start_time.ToNanoseconds(),
        "reset points": [
            (labels(p.run_id), p.first_workflow_task_completed_id, p.resettable, bool(p.build_id))
            for p in info.auto_reset_points.points
        ],
        "pending activities": [(a.activity_id, a.attempt) for a in response.pending_activities],
        "pending children": [(c.workflow_type_name, c.initiated_id) for c in response.pending_children],
    }


def same_prefix(base: list[HistoryEvent], new: list[HistoryEvent], cut: int) -> bool:
    """The new run starts with the base's first `cut` events, exactly (times and task ids too)."""
    return [e.SerializeToString() for e in new[:cut]] == [e.SerializeToString() for e in base[:cut]]


def start_times_match(out: dict[str, Any]) -> None:
    """Original start times are the base's (its started event's time), on each server: keep the fact, not the time."""
    for value in out.values():
        if isinstance(value, dict) and "original start" in value:
            value["original start"] = value["original start"] == out["base start"]
    out.pop("base start", None)


# ---- a running workflow: reset to a later task, then an older run to the first task -------------------


async def _running(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    labels, out = Labels(), {}
    task_queue = scenarios.unique("tq-reset-running")
    async with reset_app.worker(client, task_queue):
        handle = await client.start_workflow(Collector.run, id=scenarios.unique("running"), task_queue=task_queue)
        wid, base = handle.id, labels.add(handle.result_run_id or "", "base")
        await settled(client, wid, min_events=10)
        await handle.signal(Collector.add, "a")
        after_a = await settled(client, wid, min_events=14)
        assert await handle.execute_update(Collector.note, "u1") == "noted"
        await handle.signal(Collector.add, "b")
        base_events = await settled(client, wid, min_events=20)
        # To the task that handled signal "a": the update and "b" came after it.
        cut_at = finish_ids(after_a)[-1]
        new = labels.add(await reset(client, wid, "", cut_at, reason="later task"), "new")
        new_events = await settled(client, wid, new, min_events=cut_at + 5)
        out["later task: prefix copied"] = same_prefix(base_events, new_events, cut_at - 1)
        # The base is no longer current: reset it again, to its first task.
        newer = labels.add(await reset(client, wid, base, 4, reason="first task"), "newer")
        # Its activity done too: "close" must not overtake it (on a busy machine it did).
        await settled(client, wid, newer, min_events=10, having=RESERVED)
        await client.get_workflow_handle(wid).signal(Collector.close)
        out["result"] = await client.get_workflow_handle(wid).result()
        out["base"] = summary(await history(client, wid, base), labels)
        out["new"] = summary(await history(client, wid, new), labels)
        out["newer"] = summary(await history(client, wid, newer), labels)
        out["base start"] = base_events[0].event_time.ToNanoseconds()
        for name, run_id in (("base", base), ("new", new), ("newer", newer)):
            out[f"describe {name}"] = await described(client, wid, run_id, labels)
        start_times_match(out)
    return out


async def test_reset_of_a_running_workflow(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_running(tempo_address), _running(real_address))
    check_same(ours, real)
    assert real["result"] == ["reserved x", "a", "note:u1", "b"]
    assert real["base"][-1] == ("WORKFLOW_EXECUTION_TERMINATED", "later task", "history-resetter")
    assert real["new"][-1] == ("WORKFLOW_EXECUTION_TERMINATED", "first task", "history-resetter")
    reset_failed = real["newer"][3]
    assert reset_failed[:3] == ("WORKFLOW_TASK_FAILED", RESET_WORKFLOW, "first task")
    assert reset_failed[-3:] == ("base", "newer", True)
    assert [row[0] for row in real["newer"][4:7]] == [
        "WORKFLOW_EXECUTION_SIGNALED",
        "WORKFLOW_EXECUTION_UPDATE_ADMITTED",
        "WORKFLOW_EXECUTION_SIGNALED",
    ]
    assert real["describe base"]["reset run"] == "newer" and real["describe newer"]["last reset"]
    assert real["later task: prefix copied"] is True


# ---- a completed workflow: what is reapplied, and what can be excluded --------------------------------


RESET_VARIANTS: dict[str, dict[str, Any]] = {
    "all": {},
    "exclude signals": {"reset_reapply_exclude_types": [EXCLUDE_SIGNAL]},
    "exclude updates": {"reset_reapply_exclude_types": [EXCLUDE_UPDATE]},
    "reapply none": {"reset_reapply_type": ResetReapplyType.RESET_REAPPLY_TYPE_NONE},
    "reapply signals": {"reset_reapply_type": ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL},
}


async def _completed(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    labels, out = Labels(), {}
    task_queue = scenarios.unique("tq-reset-completed")
    async with reset_app.worker(client, task_queue):
        handle = await client.start_workflow(Collector.run, id=scenarios.unique("completed"), task_queue=task_queue)
        wid, base = handle.id, labels.add(handle.result_run_id or "", "base")
        await settled(client, wid, min_events=10)
        await handle.signal(Collector.add, "a")
        await settled(client, wid, min_events=14)
        await handle.execute_update(Collector.note, "u1")
        await handle.signal(Collector.close)
        out["result"] = await handle.result()
        base_events = await history(client, wid)
        out["base"] = summary(base_events, labels)
        for name, fields in RESET_VARIANTS.items():
            run_id = labels.add(await reset(client, wid, base, 4, reason=name, **fields), name)
            events = await settled(client, wid, run_id, having=RESERVED)
            out[name] = summary(events, labels)
            out[f"{name}: prefix copied"] = same_prefix(base_events, events, 3)
        # A task only scheduled at the cut: the server starts it before failing it.
        scheduled = labels.add(await reset(client, wid, base, 3, reason="scheduled"), "scheduled")
        out["scheduled"] = summary(await settled(client, wid, scheduled, having=RESERVED), labels)
        out["describe base"] = await described(client, wid, base, labels)
        out["base start"] = base_events[0].event_time.ToNanoseconds()
        out["describe scheduled"] = await described(client, wid, scheduled, labels)
        start_times_match(out)
    return out


async def test_reset_of_a_completed_workflow_reapplies_signals_and_updates_unless_excluded(
    tempo_address: str, real_address: str
) -> None:
    ours, real = await asyncio.gather(_completed(tempo_address), _completed(real_address))
    check_same(ours, real)
    kinds = {name: [row[0] for row in real[name][4:]] for name in RESET_VARIANTS}
    assert kinds["all"][:3] == [
        "WORKFLOW_EXECUTION_SIGNALED",
        "WORKFLOW_EXECUTION_UPDATE_ADMITTED",
        "WORKFLOW_EXECUTION_SIGNALED",
    ]
    assert "WORKFLOW_EXECUTION_SIGNALED" not in kinds["exclude signals"]
    assert "WORKFLOW_EXECUTION_UPDATE_ADMITTED" not in kinds["exclude updates"] + kinds["reapply signals"]
    assert kinds["reapply none"][0] == "WORKFLOW_TASK_SCHEDULED"
    assert real["scheduled"][2][-2:] == ("history-service", "emptyUuid")
    assert real["all"][-1][0] == "WORKFLOW_EXECUTION_COMPLETED"


# ---- fix the bug and reset: a failed workflow, and one stuck on a failing workflow task -----------------


async def _fixed(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    labels, out = Labels(), {}
    task_queue = scenarios.unique("tq-reset-fix")
    async with reset_app.worker(client, task_queue):
        failed = await client.start_workflow(BuggyOrder.run, id=scenarios.unique("buggy"), task_queue=task_queue)
        try:
            await failed.result()
        except WorkflowFailureError as err:
            out["failed first"] = str(err.cause)
        base = labels.add(failed.result_run_id or "", "failed base")
        base_events = await history(client, failed.id)
        reset_app.FIXED.add(failed.id)  # deploy the fix
        new = labels.add(await reset(client, failed.id, "", finish_ids(base_events)[-1], reason="bug fixed"), "fixed")
        out["failed: result"] = await client.get_workflow_handle(failed.id).result()
        out["failed: base"] = summary(await history(client, failed.id, base), labels)
        out["failed: new"] = summary(await history(client, failed.id, new), labels)
        out["failed: describe base"] = await described(client, failed.id, base, labels)
        out["base start"] = base_events[0].event_time.ToNanoseconds()
        start_times_match(out)

        stuck = await client.start_workflow(StuckOrder.run, id=scenarios.unique("stuck"), task_queue=task_queue)
        base = labels.add(stuck.result_run_id or "", "stuck base")

        async def failing_twice() -> list[HistoryEvent] | None:
            events = await history(client, stuck.id)
            failures = [e.event_id for e in events if e.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_FAILED]
            return events if len(failures) >= 2 else None

        stuck_events = await scenarios.wait_until(failing_twice, what="the stuck workflow's task failing")
        first_failure = next(e.event_id for e in stuck_events if e.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_FAILED)
        reset_app.FIXED.add(stuck.id)
        new = labels.add(await reset(client, stuck.id, "", first_failure, reason="unstuck"), "unstuck")
        out["stuck: result"] = await client.get_workflow_handle(stuck.id).result()
        # Failed attempts after the second are transient: how many ran before the reset is timing.
        stuck_base = await history(client, stuck.id, base)
        out["stuck: base"] = summary(stuck_base[:13] + stuck_base[-1:], labels)
        out["stuck: new"] = summary(await history(client, stuck.id, new), labels)
    return out


async def test_fix_the_bug_and_reset(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_fixed(tempo_address), _fixed(real_address))
    check_same(ours, real)
    assert real["failed: result"] == "reserved y, fixed"
    assert real["stuck: result"] == "reserved z, unstuck"
    assert real["failed: base"][-1][0] == "WORKFLOW_EXECUTION_FAILED"  # a closed base stays as it was
    assert real["failed: describe base"]["reset run"] == "fixed"
    assert real["stuck: base"][-1] == ("WORKFLOW_EXECUTION_TERMINATED", "unstuck", "history-resetter")


# ---- what was pending at the reset point: an activity and a timer -------------------------------------


TIMER_SECONDS = 4.0


async def _pending(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    labels, out = Labels(), {}
    task_queue = scenarios.unique("tq-reset-pending")
    async with reset_app.worker(client, task_queue):
        handle = await client.start_workflow(
            Waiter.run, TIMER_SECONDS, id=scenarios.unique("pending"), task_queue=task_queue
        )
        wid, base = handle.id, labels.add(handle.result_run_id or "", "base")
        await scenarios.wait_until(lambda: asyncio.sleep(0, (wid, base) in reset_app.TOKENS), what="the activity")
        await handle.signal(Waiter.poke)
        base_events = await settled(client, wid, min_events=10)
        new = labels.add(await reset(client, wid, "", finish_ids(base_events)[-1], reason="again"), "new")
        # The activity is scheduled again: its worker gets it anew.
        await scenarios.wait_until(lambda: asyncio.sleep(0, (wid, new) in reset_app.TOKENS), what="the activity again")
        out["describe new, pending"] = await described(client, wid, new, labels)
        # The timer keeps its deadline (it fires about TIMER_SECONDS after the first run started).
        await scenarios.wait_for_event(client.get_workflow_handle(wid, run_id=new), ET.EVENT_TYPE_TIMER_FIRED)
        await client.get_async_activity_handle(task_token=reset_app.TOKENS[(wid, new)]).complete("done again")
        out["result"] = await client.get_workflow_handle(wid).result()
        out["base"] = summary(await history(client, wid, base), labels)
        new_events = await history(client, wid, new)
        out["new"] = summary(new_events, labels)
        fired = next(e for e in new_events if e.event_type == ET.EVENT_TYPE_TIMER_FIRED)
        late = (fired.event_time.ToNanoseconds() - base_events[0].event_time.ToNanoseconds()) / 1e9
        out["timer fired near its first deadline"] = late < TIMER_SECONDS + 10
        out["base start"] = base_events[0].event_time.ToNanoseconds()
        start_times_match(out)
    return out


async def test_pending_activity_and_timer_are_pending_again(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_pending(tempo_address), _pending(real_address))
    check_same(ours, real)
    assert real["result"] == "done again"
    assert real["describe new, pending"]["pending activities"] == [("1", 1)]
    kinds = [row[0] for row in real["new"][9:]]
    assert kinds[0] == "WORKFLOW_TASK_FAILED" and "ACTIVITY_TASK_COMPLETED" in kinds and "TIMER_FIRED" in kinds


# ---- children, continue-as-new, another chain --------------------------------------------------------


async def _related_runs(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    labels, out = Labels(), {}
    task_queue = scenarios.unique("tq-reset-related")
    async with reset_app.worker(client, task_queue):
        # A pending child is carried over: its result reaches the new run.
        parent = await client.start_workflow(Parent.run, id=scenarios.unique("parent"), task_queue=task_queue)
        base = labels.add(parent.result_run_id or "", "parent base")
        parent_events = await settled(client, parent.id, min_events=9)
        new = labels.add(
            await reset(client, parent.id, "", finish_ids(parent_events)[-1], reason="child"), "parent new"
        )
        await settled(client, parent.id, new, min_events=12)
        child = client.get_workflow_handle(f"{parent.id}-child")
        out["describe new parent"] = await described(client, parent.id, new, labels)
        out["base start"] = parent_events[0].event_time.ToNanoseconds()
        start_times_match(out)
        await child.signal(WaitingChild.finish)
        assert await child.result() == "child done"
        await settled(client, parent.id, new, having=ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
        await client.get_workflow_handle(parent.id).signal(Parent.poke)
        out["parent result"] = await client.get_workflow_handle(parent.id).result()
        out["parent base"] = summary(await history(client, parent.id, base), labels)
        out["parent new"] = summary(await history(client, parent.id, new), labels)
        out["child"] = summary(await history(client, child.id), labels)

        # A run that continued as new: signals of the later runs are reapplied too.
        relay = await client.start_workflow(Relay.run, 1, id=scenarios.unique("relay"), task_queue=task_queue)
        first = labels.add(relay.result_run_id or "", "relay first")
        await settled(client, relay.id, min_events=4)
        await relay.signal(Relay.tick)

        async def second_run() -> str | None:
            run_id = (await client.get_workflow_handle(relay.id).describe()).run_id
            return run_id if run_id != first else None

        second = labels.add(await scenarios.wait_until(second_run, what="the second run"), "relay second")
        await settled(client, relay.id, second, min_events=4)
        await client.get_workflow_handle(relay.id).signal(Relay.tick)
        out["relay before"] = await client.get_workflow_handle(relay.id).result()
        new = labels.add(await reset(client, relay.id, first, 4, reason="chain"), "relay new")
        out["relay new"] = summary(await settled(client, relay.id, new, min_events=8), labels)

        # An older run of the id, from a chain that has ended: it can be reset too; the current
        # run (another chain) is terminated.
        wid = scenarios.unique("chains")
        old = await client.start_workflow(Collector.run, id=wid, task_queue=task_queue)
        old_run = labels.add(old.result_run_id or "", "old chain")
        await settled(client, wid, min_events=10)
        await old.signal(Collector.add, "old")
        await old.signal(Collector.close)
        await old.result()
        current = await client.start_workflow(
            Collector.run, id=wid, task_queue=task_queue, id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE
        )
        current_run = labels.add(current.result_run_id or "", "current chain")
        await settled(client, wid, min_events=10)
        new = labels.add(await reset(client, wid, old_run, 4, reason="old chain"), "from old chain")
        out["from old chain: result"] = await client.get_workflow_handle(wid).result()
        out["current chain"] = summary(await history(client, wid, current_run), labels)
        out["from old chain"] = summary(await history(client, wid, new), labels)
    return out


async def test_children_continued_runs_and_other_chains(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_related_runs(tempo_address), _related_runs(real_address))
    check_same(ours, real)
    assert real["parent result"] == "parent got: child done"
    assert real["describe new parent"]["pending children"] == [("WaitingChild", 5)]
    assert "CHILD_WORKFLOW_EXECUTION_COMPLETED" in [row[0] for row in real["parent new"]]
    assert real["child"][-1][0] == "WORKFLOW_EXECUTION_COMPLETED"  # not terminated with its first parent
    tick_rows = [row for row in real["relay new"] if row[0] == "WORKFLOW_EXECUTION_SIGNALED"]
    assert len(tick_rows) == 2  # one from each run of the chain
    assert real["current chain"][-1] == ("WORKFLOW_EXECUTION_TERMINATED", "old chain", "history-resetter")
    assert real["from old chain: result"] == ["reserved x", "old"]


# ---- request ids and errors ----------------------------------------------------------------------------


async def _requests(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    labels, out = Labels(), {}
    task_queue = scenarios.unique("tq-reset-requests")
    async with reset_app.worker(client, task_queue):
        wid, start_request = scenarios.unique("requests"), str(uuid.uuid4())
        started = await client.workflow_service.start_workflow_execution(
            wsv1.StartWorkflowExecutionRequest(
                namespace="default",
                workflow_id=wid,
                workflow_type=WorkflowType(name="Collector"),
                task_queue=TaskQueue(name=task_queue),
                request_id=start_request,
                identity="reset-test",
            )
        )
        base = labels.add(started.run_id, "base")
        base_events = await settled(client, wid, min_events=10)
        out["errors"] = {
            "finish id 1": await reset(client, wid, base, 1),
            "finish id past the end": await reset(client, wid, base, len(base_events) + 1),
            "mid-batch: after the first task completed": await reset(client, wid, base, 5),
            "no task pending": await reset(client, wid, base, 6),
            "mid-batch: activity started": await reset(client, wid, base, 7),
            "unknown run": await reset(client, wid, str(uuid.uuid4()), 4),
            "malformed run id": await reset(client, wid, "not-a-run-id", 4),
            "unknown workflow": await reset(client, "no-such-workflow", "", 4),
            "no workflow id": await reset(client, "", "", 4),
            "no request id": await reset(client, wid, "", 4, request_id=""),
            "unknown namespace": await reset(client, wid, "", 4, namespace="no-such-namespace"),
        }
        out["errors"]["unknown run"] = out["errors"]["unknown run"][0]  # the message names the run id
        # The request id the run was started with: the current run answers, nothing changes.
        out["start request id"] = labels(await reset(client, wid, "", 4, request_id=start_request))
        out["history unchanged"] = len(await history(client, wid, base)) == len(base_events)
        # The same request id twice: the real server does not deduplicate resets by it.
        request_id = str(uuid.uuid4())
        first = labels.add(await reset(client, wid, "", 4, request_id=request_id), "first")
        await settled(client, wid, first, having=RESERVED)
        second = labels.add(await reset(client, wid, "", 4, request_id=request_id), "second")
        out["same request id twice"] = [labels(first), labels(second)]
        # A reset run was created with its base's start request id.
        out["start request id after a reset"] = labels(await reset(client, wid, "", 4, request_id=start_request))
        await settled(client, wid, second, having=RESERVED)
        await client.get_workflow_handle(wid).signal(Collector.close)
        out["first"] = summary(await history(client, wid, first), labels)
    return out


async def test_request_ids_and_errors(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_requests(tempo_address), _requests(real_address))
    check_same(ours, real)
    errors = real["errors"]
    assert errors["finish id 1"][:2] == (
        "INVALID_ARGUMENT",
        "Workflow task finish ID must be > 1 && <= workflow last event ID.",
    )
    assert errors["no task pending"][1].startswith("Can only reset workflow to event ID in range")
    assert errors["mid-batch: activity started"][1].endswith("this event must be at the boundary")
    assert errors["unknown run"] == "NOT_FOUND"
    assert errors["no request id"][:2] == ("INVALID_ARGUMENT", "RequestId is not set on request.")
    assert real["start request id"] == "base" and real["history unchanged"] is True
    assert real["same request id twice"] == ["first", "second"]
    assert real["start request id after a reset"] == "second"
