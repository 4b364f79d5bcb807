"""Schedules on both servers with the official SDK (issue 18): the same requests, the same answers.

Each test drives a schedule through the SDK's client (create, describe, trigger, backfill,
pause, update, list, delete) and compares what a user sees, normalised for times and ids:
the workflows a schedule starts (named `<id>-<RFC 3339 time>`, with TemporalScheduledById
and TemporalScheduledStartTime), DescribeSchedule's info, overlap policies, errors.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from temporalio.api.common.v1 import Payload, SearchAttributes, WorkflowType
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflow.v1 import NewWorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from tests.devserver.scenarios import wait_until
from tests.devserver.schedule_app import ScheduledFailure, ScheduledWork

pytestmark = pytest.mark.real_server


@asynccontextmanager
async def worker(address: str) -> AsyncIterator[tuple[Client, str]]:
    client = await Client.connect(address)
    task_queue = f"schedules-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[ScheduledWork]):
        yield client, task_queue


def action(task_queue: str, workflow_id: str, seconds: float = 0.0) -> ScheduleActionStartWorkflow:
    return ScheduleActionStartWorkflow(ScheduledWork.run, seconds, id=workflow_id, task_queue=task_queue)


async def next_second_after(moment: datetime) -> None:
    """Waits until a workflow started now is named by a later second than one started at moment."""
    await wait_until(
        lambda: asyncio.sleep(0, datetime.now(UTC).replace(microsecond=0) > moment), what="the next second"
    )


def every(seconds: int) -> ScheduleSpec:
    return ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=seconds))])


async def described(handle: ScheduleHandle, check: Any, what: str) -> ScheduleDescription:
    async def ready() -> ScheduleDescription | None:
        description = await handle.describe()
        return description if check(description) else None

    result: ScheduleDescription = await wait_until(ready, timeout=30.0, interval=0.2, what=what)
    return result


async def test_interval_schedule_starts_workflows_named_by_their_time(server_address: str) -> None:
    async with worker(server_address) as (client, task_queue):
        schedule_id = f"every-second-{uuid.uuid4().hex[:6]}"
        handle = await client.create_schedule(
            schedule_id,
            Schedule(action=action(task_queue, f"wf-{schedule_id}"), spec=every(1)),
            memo={"team": "kitchen"},
        )
        description = await described(handle, lambda d: d.info.num_actions >= 2, "two actions")
        await handle.pause(note="enough")
        first = description.info.recent_actions[0]
        started = first.action
        assert isinstance(started, type(first.action))
        workflow_id = started.workflow_id  # type: ignore[attr-defined]
        scheduled_at = first.scheduled_at
        assert workflow_id == f"wf-{schedule_id}-{scheduled_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        assert scheduled_at.microsecond == 0
        run = await client.get_workflow_handle(workflow_id).describe()
        # Set as json/plain payloads without a type (so the SDK's typed view leaves them out).
        attributes = run.raw_description.workflow_execution_info.search_attributes.indexed_fields
        assert json.loads(attributes["TemporalScheduledById"].data) == schedule_id
        assert json.loads(attributes["TemporalScheduledStartTime"].data) == workflow_id.removeprefix(
            f"wf-{schedule_id}-"
        )
        assert await client.get_workflow_handle(workflow_id).result() == workflow_id
        # Times in the future are whole seconds, each a second after the one before.
        future = description.info.next_action_times
        assert len(future) == 10
        assert all(b - a == timedelta(seconds=1) for a, b in itertools.pairwise(future))
        raw = description.raw_description
        assert raw.conflict_token == (1).to_bytes(8, "big")
        assert raw.schedule.policies.overlap_policy == ScheduleOverlapPolicy.SKIP
        assert raw.schedule.policies.catchup_window.ToTimedelta() == timedelta(days=365)
        assert raw.schedule.action.start_workflow.task_queue.kind == 1  # NORMAL, filled in
        assert await description.memo_value("team") == "kitchen"
        paused = await handle.describe()
        assert (paused.schedule.state.paused, paused.schedule.state.note) == (True, "enough")
        assert paused.raw_description.conflict_token == (2).to_bytes(8, "big")
        await handle.delete()


async def test_trigger_and_overlap_policies(server_address: str) -> None:
    async with worker(server_address) as (client, task_queue):
        schedule_id = f"overlap-{uuid.uuid4().hex[:6]}"
        handle = await client.create_schedule(
            schedule_id,
            Schedule(
                action=action(task_queue, f"wf-{schedule_id}", seconds=60),
                spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(year=[ScheduleRange(2099)])]),
                state=ScheduleState(paused=True),
            ),
        )
        # A paused schedule still starts what it is told to.
        await handle.trigger()
        first = await described(handle, lambda d: len(d.info.running_actions) == 1, "one running")
        # SKIP (the default): the trigger is dropped while one runs.
        await handle.trigger()
        await described(handle, lambda d: d.info.num_actions_skipped_overlap == 1, "one skipped")
        # BUFFER_ONE: kept until the running one closes.
        # (Each patch waits for the one before: two that reach the real server's scheduler
        # together count as one.)
        await handle.trigger(overlap=ScheduleOverlapPolicy.BUFFER_ONE)
        await described(handle, lambda d: d.raw_description.info.buffer_size == 1, "one buffered")
        await handle.trigger(overlap=ScheduleOverlapPolicy.BUFFER_ONE)
        buffered = await described(handle, lambda d: d.info.num_actions_skipped_overlap == 2, "second skipped")
        assert buffered.raw_description.info.buffer_size == 1
        # TERMINATE_OTHER: the running one is terminated; once it has closed, this start takes
        # the place of the buffered one (which is dropped without being counted). Started ids are
        # named by the second: in the first's second, the new run would share its workflow id, and
        # the real server's scheduler, told late that the first closed, drops the new one too.
        await next_second_after(first.info.recent_actions[-1].scheduled_at)
        await handle.trigger(overlap=ScheduleOverlapPolicy.TERMINATE_OTHER)
        after = await described(handle, lambda d: d.info.num_actions == 2, "the terminating start made")
        first_started = first.info.running_actions[0]
        first_run = await client.get_workflow_handle(
            first_started.workflow_id, run_id=first_started.first_execution_run_id
        ).describe()
        assert first_run.status is not None and first_run.status.name == "TERMINATED"
        # ALLOW_ALL: runs alongside, not counted as running. It too waits for a second the
        # running one does not hold.
        await next_second_after(after.info.recent_actions[-1].scheduled_at)
        await handle.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
        final = await described(handle, lambda d: d.info.num_actions == 3, "three actions")
        assert len(final.info.running_actions) == 1
        assert final.info.num_actions_skipped_overlap == 2
        assert final.raw_description.info.buffer_size == 0
        assert after.info.running_actions[0].workflow_id != first_started.workflow_id or (
            after.info.running_actions[0].first_execution_run_id != first_started.first_execution_run_id
        )
        await handle.delete()


async def test_cancel_other_requests_cancellation(server_address: str) -> None:
    async with worker(server_address) as (client, task_queue):
        schedule_id = f"cancel-{uuid.uuid4().hex[:6]}"
        handle = await client.create_schedule(
            schedule_id,
            Schedule(
                action=action(task_queue, f"wf-{schedule_id}", seconds=60),
                spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(year=[ScheduleRange(2099)])]),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.CANCEL_OTHER),
            ),
        )
        await handle.trigger()
        first = await described(handle, lambda d: len(d.info.running_actions) == 1, "one running")
        await handle.trigger()
        await described(handle, lambda d: d.info.num_actions == 2, "second started after the cancel")
        first_started = first.info.running_actions[0]
        first_run = await client.get_workflow_handle(
            first_started.workflow_id, run_id=first_started.first_execution_run_id
        ).describe()
        assert first_run.status is not None and first_run.status.name == "CANCELED"
        await handle.delete()


async def test_backfill_starts_past_times_and_remaining_actions_stop_a_schedule(server_address: str) -> None:
    async with worker(server_address) as (client, task_queue):
        schedule_id = f"backfill-{uuid.uuid4().hex[:6]}"
        handle = await client.create_schedule(
            schedule_id,
            Schedule(
                action=action(task_queue, f"wf-{schedule_id}"),
                spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=1))]),
                state=ScheduleState(paused=True),
            ),
        )
        start = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
        await handle.backfill(
            ScheduleBackfill(
                start_at=start, end_at=start + timedelta(minutes=2), overlap=ScheduleOverlapPolicy.ALLOW_ALL
            )
        )
        done = await described(handle, lambda d: d.info.num_actions == 3, "three backfilled")
        ids = sorted(a.action.workflow_id for a in done.info.recent_actions)  # type: ignore[attr-defined]
        assert ids == [f"wf-{schedule_id}-2024-01-01T10:0{m}:00Z" for m in range(3)]
        await handle.delete()

        limited_id = f"limited-{uuid.uuid4().hex[:6]}"
        limited = await client.create_schedule(
            limited_id,
            Schedule(
                action=action(task_queue, f"wf-{limited_id}"),
                spec=every(1),
                state=ScheduleState(limited_actions=True, remaining_actions=2),
            ),
        )
        out = await described(limited, lambda d: d.info.num_actions == 2, "two actions")
        assert out.schedule.state.remaining_actions == 0
        await asyncio.sleep(1.5)  # a third second passes: nothing more may start
        still = await limited.describe()
        assert still.info.num_actions == 2 and still.info.next_action_times == []
        await limited.delete()


async def test_update_list_and_matching_times(server_address: str) -> None:
    async with worker(server_address) as (client, task_queue):
        schedule_id = f"update-{uuid.uuid4().hex[:6]}"
        handle = await client.create_schedule(
            schedule_id,
            Schedule(
                action=action(task_queue, f"wf-{schedule_id}"),
                spec=ScheduleSpec(cron_expressions=["0 12 * * MON-FRI"]),
                state=ScheduleState(paused=True, note="quiet"),
            ),
        )

        def new_spec(update: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule = update.description.schedule
            schedule.spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))])
            return ScheduleUpdate(schedule)

        await handle.update(new_spec)
        updated = await described(handle, lambda d: len(d.schedule.spec.intervals) == 1, "the new spec")
        assert updated.raw_description.conflict_token == (2).to_bytes(8, "big")
        assert updated.info.last_updated_at is not None
        assert [t.minute for t in updated.info.next_action_times] == [0] * 10

        async def listed() -> list[Any]:
            found = [s async for s in await client.list_schedules(query="TemporalSchedulePaused = true")]
            return [s for s in found if s.id == schedule_id]

        entries = await wait_until(listed, timeout=30.0, interval=0.2, what="the schedule listed")
        assert entries[0].schedule.state.note == "quiet"
        assert entries[0].schedule.action.workflow == "ScheduledWork"  # type: ignore[attr-defined]

        matching = wsv1.ListScheduleMatchingTimesRequest(namespace="default", schedule_id=schedule_id)
        matching.start_time.FromDatetime(datetime(2024, 1, 1, tzinfo=UTC))
        matching.end_time.FromDatetime(datetime(2024, 1, 1, 3, tzinfo=UTC))
        raw = await client.workflow_service.list_schedule_matching_times(matching)
        assert [t.ToDatetime().hour for t in raw.start_time] == [1, 2, 3]
        await handle.delete()


async def test_an_update_without_policies_gets_the_default_catch_up_window(server_address: str) -> None:
    async with worker(server_address) as (client, task_queue):
        schedule_id = f"no-policies-{uuid.uuid4().hex[:6]}"
        service = client.workflow_service
        bare = schedule_pb.Schedule(
            action=schedule_pb.ScheduleAction(
                start_workflow=NewWorkflowExecutionInfo(
                    workflow_id=f"wf-{schedule_id}",
                    workflow_type=WorkflowType(name="ScheduledWork"),
                    task_queue=TaskQueue(name=task_queue),
                )
            ),
            spec=schedule_pb.ScheduleSpec(),
            state=schedule_pb.ScheduleState(paused=True),
        )
        await service.create_schedule(
            wsv1.CreateScheduleRequest(
                namespace="default", schedule_id=schedule_id, schedule=bare, request_id=str(uuid.uuid4())
            )
        )
        describe = wsv1.DescribeScheduleRequest(namespace="default", schedule_id=schedule_id)
        created = await service.describe_schedule(describe)
        await service.update_schedule(
            wsv1.UpdateScheduleRequest(
                namespace="default",
                schedule_id=schedule_id,
                schedule=bare,
                conflict_token=created.conflict_token,
                request_id=str(uuid.uuid4()),
            )
        )
        updated = await service.describe_schedule(describe)
        for description in (created, updated):
            policies = description.schedule.policies
            assert policies.overlap_policy == ScheduleOverlapPolicy.SKIP
            assert policies.catchup_window.ToTimedelta() == timedelta(days=365)
        assert updated.conflict_token != created.conflict_token
        await client.get_schedule_handle(schedule_id).delete()


def _start(**fields: Any) -> schedule_pb.Schedule:
    return schedule_pb.Schedule(action=schedule_pb.ScheduleAction(start_workflow=NewWorkflowExecutionInfo(**fields)))


_CREATE_ERRORS = [
    (
        {"schedule_id": "", "request_id": "r"},
        RPCStatusCode.INVALID_ARGUMENT,
        "Can't load workflow execution.  WorkflowId not set.",
    ),
    ({"request_id": ""}, RPCStatusCode.INVALID_ARGUMENT, "RequestId is not set on request."),
    (
        {"schedule": _start(workflow_id="w", task_queue=TaskQueue(name="q"))},
        RPCStatusCode.INVALID_ARGUMENT,
        "WorkflowType is not set on request.",
    ),
    (
        {"schedule": _start(workflow_id="w", workflow_type=WorkflowType(name="T"))},
        RPCStatusCode.INVALID_ARGUMENT,
        "taskQueue is not set",
    ),
    (
        {
            "schedule": _start(
                workflow_id="w",
                workflow_type=WorkflowType(name="T"),
                task_queue=TaskQueue(name="q"),
                cron_schedule="@daily",
            )
        },
        RPCStatusCode.INVALID_ARGUMENT,
        "Scheduled workflow must not contain CronSchedule",
    ),
    (
        {"schedule": schedule_pb.Schedule(spec=schedule_pb.ScheduleSpec(cron_string=["* * *"]))},
        RPCStatusCode.INVALID_ARGUMENT,
        "Invalid schedule spec: CronString does not have 5-7 fields",
    ),
    (
        {"schedule": schedule_pb.Schedule(spec=schedule_pb.ScheduleSpec(timezone_name="Mars/Olympus"))},
        RPCStatusCode.INVALID_ARGUMENT,
        "Invalid schedule spec: unknown time zone Mars/Olympus",
    ),
    ({"namespace": "no-such-namespace"}, RPCStatusCode.NOT_FOUND, "Namespace no-such-namespace is not found."),
    (
        {"search_attributes": SearchAttributes(indexed_fields={"NoSuchAttribute": Payload(data=b'"x"')})},
        RPCStatusCode.INVALID_ARGUMENT,
        "Namespace default has no mapping defined for search attribute NoSuchAttribute",
    ),
]


@pytest.mark.parametrize(("fields", "code", "message"), _CREATE_ERRORS)
async def test_bad_create_is_refused_as_the_real_server_refuses_it(
    server_address: str, fields: dict[str, Any], code: RPCStatusCode, message: str
) -> None:
    client = await Client.connect(server_address)
    request = wsv1.CreateScheduleRequest(namespace="default", schedule_id=f"bad-{uuid.uuid4().hex[:6]}", request_id="r")
    for name, value in fields.items():
        if isinstance(value, str):
            setattr(request, name, value)
        else:
            getattr(request, name).CopyFrom(value)
    with pytest.raises(RPCError) as caught:
        await client.workflow_service.create_schedule(request)
    assert (caught.value.status, caught.value.message) == (code, message)


async def test_schedule_errors(server_address: str) -> None:
    client = await Client.connect(server_address)
    service = client.workflow_service
    schedule_id = f"errors-{uuid.uuid4().hex[:6]}"
    missing = f"workflow not found for ID: temporal-sys-scheduler:{schedule_id}"
    for call in (
        service.describe_schedule(wsv1.DescribeScheduleRequest(namespace="default", schedule_id=schedule_id)),
        service.delete_schedule(wsv1.DeleteScheduleRequest(namespace="default", schedule_id=schedule_id)),
        service.patch_schedule(
            wsv1.PatchScheduleRequest(
                namespace="default", schedule_id=schedule_id, patch=schedule_pb.SchedulePatch(pause="x")
            )
        ),
    ):
        with pytest.raises(RPCError) as not_found:
            await call
        assert (not_found.value.status, not_found.value.message) == (RPCStatusCode.NOT_FOUND, missing)
    with pytest.raises(RPCError) as no_action:
        await service.update_schedule(wsv1.UpdateScheduleRequest(namespace="default", schedule_id=schedule_id))
    assert no_action.value.message == "Only StartWorkflow action is supported for schedules"

    handle = await client.create_schedule(schedule_id, Schedule(action=action("q", "wf"), spec=every(3600)))
    with pytest.raises(ScheduleAlreadyRunningError):
        await client.create_schedule(schedule_id, Schedule(action=action("q", "wf"), spec=every(3600)))
    with pytest.raises(RPCError) as no_patch:
        await service.patch_schedule(wsv1.PatchScheduleRequest(namespace="default", schedule_id=schedule_id))
    assert (no_patch.value.status, no_patch.value.message) == (
        RPCStatusCode.INVALID_ARGUMENT,
        "Patch is not set on request.",
    )
    with pytest.raises(RPCError) as no_range:
        await service.list_schedule_matching_times(
            wsv1.ListScheduleMatchingTimesRequest(namespace="default", schedule_id=schedule_id)
        )
    assert no_range.value.status == RPCStatusCode.INVALID_ARGUMENT
    await handle.delete()
    with pytest.raises(RPCError) as deleted:
        await handle.describe()
    assert deleted.value.status == RPCStatusCode.NOT_FOUND


async def test_update_with_a_stale_conflict_token_is_dropped(server_address: str) -> None:
    client = await Client.connect(server_address)
    service = client.workflow_service
    schedule_id = f"token-{uuid.uuid4().hex[:6]}"
    handle = await client.create_schedule(
        schedule_id,
        Schedule(action=action("q", f"wf-{schedule_id}"), spec=every(3600), state=ScheduleState(paused=True)),
    )
    first = await handle.describe()
    token = first.raw_description.conflict_token

    def with_notes(notes: str) -> wsv1.UpdateScheduleRequest:
        schedule = schedule_pb.Schedule()
        schedule.CopyFrom(first.raw_description.schedule)
        schedule.state.notes = notes
        return wsv1.UpdateScheduleRequest(
            namespace="default", schedule_id=schedule_id, schedule=schedule, conflict_token=token, request_id="r1"
        )

    await service.update_schedule(with_notes("first update"))
    updated = await described(handle, lambda d: d.schedule.state.note == "first update", "the first update")
    assert updated.raw_description.conflict_token == (2).to_bytes(8, "big")
    # The same token again: the schedule changed since, so this update is dropped without an error.
    stale = with_notes("stale update")
    stale.request_id = "r2"
    await service.update_schedule(stale)
    await handle.pause(note="paused after")
    after = await described(handle, lambda d: d.schedule.state.note == "paused after", "the pause")
    assert after.raw_description.conflict_token == (3).to_bytes(8, "big")
    await handle.delete()


async def test_list_schedules_newest_first_filtered_like_the_real_server(server_address: str) -> None:
    client = await Client.connect(server_address)
    tag = uuid.uuid4().hex[:6]
    ids = [f"list-{tag}-{name}" for name in ("b", "a", "c")]
    for schedule_id in ids:
        paused = ScheduleState(paused=schedule_id.endswith("-a"))
        await client.create_schedule(schedule_id, Schedule(action=action("q", "wf"), spec=every(3600), state=paused))

    async def listed(query: str | None = None) -> list[str]:
        found = [s.id async for s in await client.list_schedules(query=query)]
        return [i for i in found if i.startswith(f"list-{tag}-")]

    everything = await wait_until(lambda: _all_three(listed), timeout=30.0, interval=0.2, what="three listed")
    assert everything == list(reversed(ids))
    assert await listed(f"ScheduleId = 'list-{tag}-a'") == [f"list-{tag}-a"]
    # The real server indexes the paused flag a moment after the schedule itself.
    paused = await wait_until(lambda: listed("TemporalSchedulePaused = true"), timeout=30.0, interval=0.2)
    assert paused == [f"list-{tag}-a"]
    for field in ("WorkflowId", "ExecutionStatus"):
        with pytest.raises(RPCError) as refused:
            await listed(f"{field} = 'Running'")
        assert (refused.value.status, refused.value.message) == (
            RPCStatusCode.INVALID_ARGUMENT,
            f'invalid query filter for schedules: cannot filter on "{field}"',
        )
    for schedule_id in ids:
        await client.get_schedule_handle(schedule_id).delete()


async def _all_three(listed: Any) -> list[str] | None:
    found: list[str] = await listed()
    return found if len(found) == 3 else None


_RICH_SPECS = {
    "calendars and exclusions": ScheduleSpec(
        calendars=[
            ScheduleCalendarSpec(
                hour=[ScheduleRange(9, 17, 2)],
                minute=[ScheduleRange(0), ScheduleRange(30)],
                day_of_week=[ScheduleRange(1, 5)],
                comment="office hours",
            )
        ],
        skip=[ScheduleCalendarSpec(hour=[ScheduleRange(13)], minute=[ScheduleRange(0, 59)])],
        time_zone_name="America/New_York",
        start_at=datetime(2024, 3, 8, tzinfo=UTC),
        end_at=datetime(2024, 3, 13, tzinfo=UTC),
    ),
    "cron strings": ScheduleSpec(
        cron_expressions=[
            "15 2,3 * 3 SUN",
            "0 30 */6 * * * 2024 # seconds and a year",
            "@every 90m/15m",
        ],
        time_zone_name="Europe/Paris",
    ),
    "intervals": ScheduleSpec(
        intervals=[
            ScheduleIntervalSpec(every=timedelta(hours=5), offset=timedelta(minutes=7)),
            ScheduleIntervalSpec(every=timedelta(days=1)),
        ],
        start_at=datetime(2024, 3, 30, 23, tzinfo=UTC),
    ),
}


@pytest.mark.parametrize("name", list(_RICH_SPECS))
async def test_spec_and_matching_times_agree_between_servers(tempo_address: str, real_address: str, name: str) -> None:
    """The canonical spec DescribeSchedule shows and the times a spec names, compared exactly."""
    seen = []
    for address in (tempo_address, real_address):
        client = await Client.connect(address)
        schedule_id = f"spec-{uuid.uuid4().hex[:6]}"
        handle = await client.create_schedule(
            schedule_id,
            Schedule(action=action("q", "wf"), spec=_RICH_SPECS[name], state=ScheduleState(paused=True)),
        )
        described_spec = (await handle.describe()).raw_description.schedule.spec
        matching = wsv1.ListScheduleMatchingTimesRequest(namespace="default", schedule_id=schedule_id)
        matching.start_time.FromDatetime(datetime(2024, 3, 1, tzinfo=UTC))
        matching.end_time.FromDatetime(datetime(2024, 4, 5, tzinfo=UTC))
        times = (await client.workflow_service.list_schedule_matching_times(matching)).start_time
        seen.append((described_spec, [t.ToJsonString() for t in times]))
        await handle.delete()
    (tempo_spec, tempo_times), (real_spec, real_times) = seen
    assert tempo_spec == real_spec
    assert tempo_times == real_times
    assert tempo_times, "the spec names some times in the range"


async def test_pause_on_failure_pauses_with_the_failure_in_the_note(server_address: str) -> None:
    client = await Client.connect(server_address)
    task_queue = f"schedules-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[ScheduledFailure]):
        schedule_id = f"failing-{uuid.uuid4().hex[:6]}"
        handle = await client.create_schedule(
            schedule_id,
            Schedule(
                action=ScheduleActionStartWorkflow(ScheduledFailure.run, id=f"wf-{schedule_id}", task_queue=task_queue),
                spec=every(1),
                policy=SchedulePolicy(pause_on_failure=True),
            ),
        )
        paused = await described(handle, lambda d: d.schedule.state.paused, "paused by the failure")
        failed = paused.info.recent_actions[0].action.workflow_id  # type: ignore[attr-defined]
        assert paused.schedule.state.note == f"paused due to workflow failure: {failed}: kitchen closed"
        assert paused.info.running_actions == []
        count = paused.info.num_actions
        await asyncio.sleep(1.5)  # another second passes: a paused schedule starts nothing
        assert (await handle.describe()).info.num_actions == count
        await handle.delete()


async def test_count_schedules(server_address: str) -> None:
    client = await Client.connect(server_address)
    service = client.workflow_service
    tag = uuid.uuid4().hex[:6]
    attribute = f"ScheduleTag{tag}"
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace="default", search_attributes={attribute: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD}
        )
    )
    with pytest.raises(RPCError) as refused:
        await service.count_schedules(wsv1.CountSchedulesRequest(namespace="default", query="WorkflowId = 'x'"))
    assert refused.value.message == 'invalid query filter for schedules: cannot filter on "WorkflowId"'
    with pytest.raises(RPCError) as grouped:
        await service.count_schedules(
            wsv1.CountSchedulesRequest(namespace="default", query="GROUP BY TemporalSchedulePaused")
        )
    assert grouped.value.message == (
        "invalid query: operation is not supported: "
        "'GROUP BY' clause is not supported for search attribute TemporalSchedulePaused"
    )
    for n in range(2):
        await client.create_schedule(
            f"count-{tag}-{n}",
            Schedule(action=action("q", "wf"), spec=every(3600)),
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(SearchAttributeKey.for_keyword(attribute), tag)]
            ),
        )

    async def counted() -> int:
        query = f"{attribute} = '{tag}'"
        response = await service.count_schedules(wsv1.CountSchedulesRequest(namespace="default", query=query))
        return response.count if response.count == 2 else 0

    assert await wait_until(counted, timeout=30.0, interval=0.2, what="two counted") == 2
    for n in range(2):
        await client.get_schedule_handle(f"count-{tag}-{n}").delete()


def _normalised(value: Any, names: dict[str, str]) -> Any:
    """A describe answer as a dict with times, run ids and this test's names replaced."""
    if isinstance(value, dict):
        return {k: _normalised(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v, names) for v in value]
    if isinstance(value, str):
        for real, placeholder in names.items():
            value = value.replace(real, placeholder)
        if len(value) == 36 and value.count("-") == 4:
            return "<run id>"
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return "<time>"
        except ValueError:
            return value
    return value


async def test_describe_answers_agree_between_servers(tempo_address: str, real_address: str) -> None:
    """One schedule made, triggered and paused the same way on both: the same describe answer."""
    answers = []
    for address in (tempo_address, real_address):
        async with worker(address) as (client, task_queue):
            schedule_id = f"same-{uuid.uuid4().hex[:6]}"
            handle = await client.create_schedule(
                schedule_id,
                Schedule(
                    action=ScheduleActionStartWorkflow(
                        ScheduledWork.run,
                        60.0,
                        id=f"wf-{schedule_id}",
                        task_queue=task_queue,
                        memo={"order": 7},
                        execution_timeout=timedelta(minutes=5),
                    ),
                    spec=ScheduleSpec(
                        intervals=[ScheduleIntervalSpec(every=timedelta(hours=1), offset=timedelta(minutes=3))],
                        cron_expressions=["0 9 * * MON"],
                        jitter=timedelta(seconds=0),
                    ),
                    policy=SchedulePolicy(
                        overlap=ScheduleOverlapPolicy.BUFFER_ONE, catchup_window=timedelta(minutes=2)
                    ),
                    state=ScheduleState(paused=True, note="made paused"),
                ),
                memo={"team": "kitchen"},
            )
            await handle.trigger()
            # (Two patches that reach the real server's scheduler together count as one.)
            await described(handle, lambda d: d.info.num_actions == 1, "the first start")
            await handle.trigger()
            await described(handle, lambda d: d.raw_description.info.buffer_size == 1, "one buffered")
            await handle.unpause(note="open")
            raw = (await handle.describe()).raw_description
            answer = MessageToDict(raw)
            answer["info"]["futureActionTimes"] = len(answer["info"]["futureActionTimes"])
            answers.append(_normalised(answer, {schedule_id: "<schedule>", task_queue: "<queue>"}))
            await handle.delete()
            for action_result in raw.info.recent_actions:
                await client.get_workflow_handle(action_result.start_workflow_result.workflow_id).terminate()
    # The whole of both answers on a failure (CI runs without -vv; a CI run saw `info` differ).
    assert answers[0] == answers[1], json.dumps({"tempo": answers[0], "real": answers[1]}, indent=1, sort_keys=True)
