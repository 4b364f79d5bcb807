"""The work of `tempo schedule ...` (see `tempo_cli.schedule`): `-o json` documents as
`temporal schedule ...` prints them (the protobuf messages), short text otherwise."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from google.protobuf.message import Message
from temporalio.api.enums.v1 import schedule_pb2 as schedule_enums
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb

from tempo_cli._cli import CliContext, UsageError
from tempo_cli._go_format import iso_time
from tempo_cli._inputs import parse_duration, parse_inputs
from tempo_cli._plain_table import Column, Rows
from tempo_cli._raw_calls import call
from tempo_cli._read_tables import schedule_description_table, schedule_table
from tempo_cli._render import proto_dict

OVERLAP_POLICIES = {
    "Skip": schedule_enums.SCHEDULE_OVERLAP_POLICY_SKIP,
    "BufferOne": schedule_enums.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
    "BufferAll": schedule_enums.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
    "CancelOther": schedule_enums.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
    "TerminateOther": schedule_enums.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER,
    "AllowAll": schedule_enums.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
}


async def _call(client: Any, method: Any, request: Message) -> Any:
    from sdk.exceptions import RPCError

    try:
        return await call(client, method, request)
    except RPCError as err:
        if err.status_code.name == "NOT_FOUND":
            raise UsageError("schedule not found") from None
        raise


# The calls the CLI commands below and the TUI's Schedules screen share.


async def schedule_entries(client: Any, query: str = "") -> list[schedule_pb.ScheduleListEntry]:
    """Every schedule of the client's namespace (ListSchedules, all pages)."""
    found: list[schedule_pb.ScheduleListEntry] = []
    token = b""
    while True:
        request = wsv1.ListSchedulesRequest(namespace=client.namespace, next_page_token=token, query=query)
        page = await _call(client, client.service.ListSchedules, request)
        found.extend(page.schedules)
        token = page.next_page_token
        if not token:
            return found


async def describe_schedule(client: Any, schedule_id: str) -> wsv1.DescribeScheduleResponse:
    request = wsv1.DescribeScheduleRequest(namespace=client.namespace, schedule_id=schedule_id)
    return await _call(client, client.service.DescribeSchedule, request)


async def patch_schedule(client: Any, schedule_id: str, patch: schedule_pb.SchedulePatch) -> None:
    request = wsv1.PatchScheduleRequest(
        namespace=client.namespace,
        schedule_id=schedule_id,
        patch=patch,
        identity=client.identity,
        request_id=str(uuid.uuid4()),
    )
    await _call(client, client.service.PatchSchedule, request)


async def create_schedule(
    client: Any, schedule_id: str, schedule: schedule_pb.Schedule, args: list[Any], *, replace: bool = False
) -> None:
    """CreateSchedule (UpdateSchedule with ``replace``), the action's arguments made payloads by
    the client's converter."""
    payloads = client._payloads(args)
    if payloads is not None:
        schedule.action.start_workflow.input.CopyFrom(payloads)
    fields = dict(
        namespace=client.namespace,
        schedule_id=schedule_id,
        schedule=schedule,
        identity=client.identity,
        request_id=str(uuid.uuid4()),
    )
    if replace:
        await _call(client, client.service.UpdateSchedule, wsv1.UpdateScheduleRequest(**fields))
    else:
        await _call(client, client.service.CreateSchedule, wsv1.CreateScheduleRequest(**fields))


def backfill_patch(start: datetime.datetime, end: datetime.datetime, overlap_policy: str) -> schedule_pb.SchedulePatch:
    """The patch that backfills a schedule between two times (UsageError for an unknown policy)."""
    request = schedule_pb.BackfillRequest(overlap_policy=_policy(overlap_policy))  # type: ignore[arg-type]
    request.start_time.FromDatetime(start)
    request.end_time.FromDatetime(end)
    return schedule_pb.SchedulePatch(backfill_request=[request])


async def delete_schedule(client: Any, schedule_id: str) -> None:
    request = wsv1.DeleteScheduleRequest(namespace=client.namespace, schedule_id=schedule_id, identity=client.identity)
    await _call(client, client.service.DeleteSchedule, request)


def _policy(name: str | None) -> int:
    if name is None:
        return 0
    if name not in OVERLAP_POLICIES:
        raise UsageError(f"invalid --overlap-policy {name!r}: expected one of {', '.join(OVERLAP_POLICIES)}")
    return OVERLAP_POLICIES[name]


def schedule_from_flags(
    *,
    cron: list[str],
    interval: list[str],
    workflow_id: str,
    workflow_type: str,
    task_queue: str,
    inputs: list[str],
    input_files: list[Path],
    overlap_policy: str | None,
    paused: bool,
    notes: str | None,
) -> tuple[schedule_pb.Schedule, list[Any]]:
    """The schedule `create` and `update` send, and the action's arguments (made payloads by the
    client). Raises UsageError for a bad flag."""
    schedule = schedule_pb.Schedule()
    schedule.spec.cron_string.extend(cron)
    for text in interval:
        every, _, phase = text.partition("/")
        spec = schedule.spec.interval.add()
        spec.interval.FromTimedelta(_duration(every))
        if phase:
            spec.phase.FromTimedelta(_duration(phase))
    start = schedule.action.start_workflow
    start.workflow_id, start.workflow_type.name, start.task_queue.name = workflow_id, workflow_type, task_queue
    args = parse_inputs(inputs, input_files)
    schedule.policies.overlap_policy = _policy(overlap_policy)  # type: ignore[assignment]
    schedule.state.paused = paused
    if notes:
        schedule.state.notes = notes
    return schedule, args


def create(cli: CliContext, schedule_id: str, **flags: Any) -> None:
    """`tempo schedule create`: a schedule that starts a workflow."""
    try:
        schedule, args = schedule_from_flags(**flags)
    except UsageError as err:
        cli.abort(str(err))

    cli.run_blocking(lambda client: create_schedule(client, schedule_id, schedule, args))
    if not cli.json_mode:
        cli.info("Schedule created")


def update(cli: CliContext, schedule_id: str, **flags: Any) -> None:
    """`tempo schedule update`: replace the whole schedule, as `temporal schedule update` does
    (flags not given fall back to their defaults, not to the schedule's current values)."""
    try:
        schedule, args = schedule_from_flags(**flags)
    except UsageError as err:
        cli.abort(str(err))

    cli.run_blocking(lambda client: create_schedule(client, schedule_id, schedule, args, replace=True))


def timestamp(flag: str, text: str) -> datetime.datetime:
    """An RFC 3339 time with its zone, as `temporal` takes `--start-time`/`--end-time`."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UsageError(f"invalid {flag} {text!r}: expected an RFC 3339 time such as 2026-05-01T00:00:00Z")
    return moment


def _time_range(cli: CliContext, start_time: str, end_time: str) -> tuple[datetime.datetime, datetime.datetime]:
    try:
        return timestamp("--start-time", start_time), timestamp("--end-time", end_time)
    except UsageError as err:
        cli.abort(str(err))


def backfill(cli: CliContext, schedule_id: str, start_time: str, end_time: str, overlap_policy: str) -> None:
    """`tempo schedule backfill`: the actions the spec would have taken between two times."""
    start, end = _time_range(cli, start_time, end_time)
    try:
        patch = backfill_patch(start, end, overlap_policy)
    except UsageError as err:
        cli.abort(str(err))
    _patch(cli, schedule_id, patch, "Backfill request sent")


async def matching_times(
    client: Any, schedule_id: str, start: datetime.datetime, end: datetime.datetime
) -> wsv1.ListScheduleMatchingTimesResponse:
    request = wsv1.ListScheduleMatchingTimesRequest(namespace=client.namespace, schedule_id=schedule_id)
    request.start_time.FromDatetime(start)
    request.end_time.FromDatetime(end)
    return await _call(client, client.service.ListScheduleMatchingTimes, request)


def list_matching_times(cli: CliContext, schedule_id: str, start_time: str, end_time: str) -> None:
    """`tempo schedule list-matching-times`: when the spec matches between two times."""
    start, end = _time_range(cli, start_time, end_time)
    response = cli.run_blocking(lambda client: matching_times(client, schedule_id, start, end))
    if cli.json_mode:
        cli.write_json(proto_dict(response))
        return
    table = Rows([Column("Time")])
    for moment in response.start_time:  # whole seconds, as `temporal` prints them whatever its --time-format
        table.add_row(iso_time(moment.ToDatetime(datetime.UTC)))
    cli.print_table(table)


def _duration(text: str) -> Any:
    parsed = parse_duration("--interval", text)
    assert parsed is not None
    return parsed


def describe(cli: CliContext, schedule_id: str) -> None:
    """`tempo schedule describe`: the DescribeScheduleResponse."""

    response = cli.run_blocking(lambda client: describe_schedule(client, schedule_id))
    if cli.json_mode:
        cli.write_json(proto_dict(response))
        return
    cli.print_table(schedule_description_table(schedule_id, response))


def list_schedules(cli: CliContext, query: str | None, time_format: str = "relative") -> None:
    """`tempo schedule list`: every schedule (ScheduleListEntry), newest first as the server
    lists them, times per ``--time-format``."""

    entries = cli.run_blocking(lambda client: schedule_entries(client, query or ""))
    if cli.json_mode:
        cli.write_json([proto_dict(entry) for entry in entries])
        return
    cli.print_table(schedule_table(entries, datetime.datetime.now(datetime.UTC), time_format))


def _patch(cli: CliContext, schedule_id: str, patch: schedule_pb.SchedulePatch, message: str) -> None:
    cli.run_blocking(lambda client: patch_schedule(client, schedule_id, patch))
    if message and not cli.json_mode:
        cli.info(message)


def toggle(cli: CliContext, schedule_id: str, pause: bool, unpause: bool, reason: str) -> None:
    """`tempo schedule toggle --pause|--unpause`."""
    if pause == unpause:
        cli.abort("give exactly one of --pause and --unpause")
    patch = schedule_pb.SchedulePatch(pause=reason) if pause else schedule_pb.SchedulePatch(unpause=reason)
    _patch(cli, schedule_id, patch, "")


def trigger(cli: CliContext, schedule_id: str, overlap_policy: str | None) -> None:
    """`tempo schedule trigger`: one action now."""
    try:
        policy = _policy(overlap_policy)
    except UsageError as err:
        cli.abort(str(err))
    patch = schedule_pb.SchedulePatch(trigger_immediately=schedule_pb.TriggerImmediatelyRequest(overlap_policy=policy))  # type: ignore[arg-type]
    _patch(cli, schedule_id, patch, "Trigger request sent")


def delete(cli: CliContext, schedule_id: str) -> None:
    """`tempo schedule delete`."""

    cli.run_blocking(lambda client: delete_schedule(client, schedule_id))
    if not cli.json_mode:
        cli.info("Schedule deleted")
