"""The work of `tempo task-queue ...` (see `tempo_cli.task_queue`): DescribeTaskQueue in the
enhanced mode `temporal` 1.9 uses (per build id and queue type: pollers, stats, reachability), its
legacy per-partition mode, and ListTaskQueuePartitions, printed as `temporal` prints them."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from google.protobuf.message import Message
from temporalio.api.enums.v1 import task_queue_pb2 as tq_enums
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue

from tempo_cli._cli import CliContext, UsageError
from tempo_cli._go_format import cli_duration, float32_number, float64_number, relative_time, rfc3339_nano
from tempo_cli._plain_table import Column, Rows
from tempo_cli._raw_calls import call
from tempo_cli._render import proto_dict

_TYPES = {
    "workflow": tq_enums.TASK_QUEUE_TYPE_WORKFLOW,
    "activity": tq_enums.TASK_QUEUE_TYPE_ACTIVITY,
    "nexus": tq_enums.TASK_QUEUE_TYPE_NEXUS,
}
_TYPE_NAMES: dict[int, str] = {int(value): name for name, value in _TYPES.items()}
_REACHABILITY = {0: "unspecified", 1: "reachable", 2: "closedWorkflowsOnly", 3: "unreachable"}
UNVERSIONED = "UNVERSIONED"


@dataclass
class DescribeFlags:
    task_queue: str
    types: list[str] = field(default_factory=list)
    build_ids: list[str] = field(default_factory=list)
    unversioned: bool = False
    all_active: bool = False
    reachability: bool = False
    stats: bool = True


async def _call(client: Any, method: Any, request: Message, what: str) -> Any:
    from sdk.exceptions import RPCError

    try:
        return await call(client, method, request)
    except RPCError as err:
        if err.status_code.name in ("NOT_FOUND", "INVALID_ARGUMENT"):
            raise UsageError(f"unable to {what}: {err.message}") from None
        raise


def _type_value(cli: CliContext, name: str, choices: Mapping[str, int]) -> int:
    if name not in choices:
        cli.abort(f'invalid argument "{name}" for "--task-queue-type" flag: {name} is not one of required values '
                  f"of {', '.join(choices)}")  # fmt: skip
    return choices[name]


def _versions(response: wsv1.DescribeTaskQueueResponse) -> list[tuple[str, taskqueue.TaskQueueVersionInfo]]:
    """The response's versions, the unversioned queue first, as `temporal` orders them."""
    versions = dict(response.versions_info)
    ordered = [(UNVERSIONED, versions.pop(""))] if "" in versions else []
    return ordered + sorted(versions.items())


def _types(version: taskqueue.TaskQueueVersionInfo) -> list[tuple[str, taskqueue.TaskQueueTypeInfo]]:
    # Go walks a map here (any order); workflow, activity, nexus reads best.
    return [(_TYPE_NAMES.get(t, "unspecified"), version.types_info[t]) for t in sorted(version.types_info)]


def _pollers(response: wsv1.DescribeTaskQueueResponse) -> list[tuple[dict[str, Any], datetime.datetime]]:
    """Each poller as `temporal` writes it in JSON, with its last access time."""
    rows = []
    for build_id, version in _versions(response):
        for type_name, info in _types(version):
            for poller in info.pollers:
                accessed = poller.last_access_time
                row = {
                    "buildId": build_id,
                    "taskQueueType": type_name,
                    "identity": poller.identity,
                    "lastAccessTime": rfc3339_nano(accessed.ToDatetime(datetime.UTC), accessed.nanos),
                    "ratePerSecond": float64_number(poller.rate_per_second),
                }
                rows.append((row, accessed.ToDatetime(datetime.UTC)))
    return rows


def _stats_rows(response: wsv1.DescribeTaskQueueResponse) -> list[dict[str, Any]]:
    rows = []
    for build_id, version in _versions(response):
        for type_name, info in _types(version):
            stats = info.stats
            reported = info.HasField("stats")
            age = stats.approximate_backlog_age
            added, dispatched = float32_number(stats.tasks_add_rate), float32_number(stats.tasks_dispatch_rate)
            rows.append(
                {
                    "buildId": build_id,
                    "taskQueueType": type_name,
                    "approximateBacklogCount": stats.approximate_backlog_count,
                    "approximateBacklogAge": cli_duration(age.seconds * 10**9 + age.nanos) if reported else "",
                    "backlogIncreaseRate": float32_number(stats.tasks_add_rate - stats.tasks_dispatch_rate),
                    "tasksAddRate": added,
                    "tasksDispatchRate": dispatched,
                }
            )
    return rows


def describe(cli: CliContext, flags: DescribeFlags) -> None:
    """`tempo task-queue describe`: the enhanced DescribeTaskQueue, as `temporal` 1.9 asks it."""
    request = wsv1.DescribeTaskQueueRequest(
        namespace=cli.settings.namespace,
        task_queue=taskqueue.TaskQueue(name=flags.task_queue),
        api_mode=tq_enums.DESCRIBE_TASK_QUEUE_MODE_ENHANCED,
        task_queue_types=[_type_value(cli, name, _TYPES) for name in flags.types],  # type: ignore[misc]
        report_pollers=True,
        report_task_reachability=flags.reachability,
        report_stats=flags.stats,
    )
    if flags.build_ids or flags.unversioned or flags.all_active:
        request.versions.CopyFrom(
            taskqueue.TaskQueueVersionSelection(
                build_ids=flags.build_ids, unversioned=flags.unversioned, all_active=flags.all_active
            )
        )
    response: wsv1.DescribeTaskQueueResponse = cli.run_blocking(
        lambda client: _call(client, client.service.DescribeTaskQueue, request, "describe task queue")
    )
    reachability = [
        {"buildId": build_id, "reachability": _REACHABILITY.get(version.task_reachability, "unspecified")}
        for build_id, version in _versions(response)
    ]
    pollers, stats = _pollers(response), _stats_rows(response) if flags.stats else []
    if cli.json_mode:
        cli.write_json(
            {
                "reachability": (reachability or None) if flags.reachability else None,
                "pollers": [row for row, _ in pollers] or None,
                "stats": stats or None,
            }
        )
        return
    if flags.reachability:
        cli.write_raw("Task Reachability:")
        _print_rows(cli, ["BuildID", "Reachability"], [[r["buildId"], r["reachability"]] for r in reachability])
    if flags.stats:
        cli.write_raw("Task Queue Statistics:")
        columns = ["BuildID", "TaskQueueType", "ApproximateBacklogCount", "ApproximateBacklogAge"]
        columns += ["BacklogIncreaseRate", "TasksAddRate", "TasksDispatchRate"]
        keys = ["buildId", "taskQueueType", "approximateBacklogCount", "approximateBacklogAge"]
        keys += ["backlogIncreaseRate", "tasksAddRate", "tasksDispatchRate"]
        _print_rows(cli, columns, [[str(row[key]) for key in keys] for row in stats], numeric_from=2)
    cli.write_raw("Pollers:")
    now = datetime.datetime.now(datetime.UTC)
    columns = ["BuildID", "TaskQueueType", "Identity", "LastAccessTime", "RatePerSecond"]
    rows = [
        [row["buildId"], row["taskQueueType"], row["identity"], relative_time(accessed, now), str(row["ratePerSecond"])]
        for row, accessed in pollers
    ]
    _print_rows(cli, columns, rows, numeric_from=4)


def _print_rows(cli: CliContext, columns: list[str], rows: list[list[str]], numeric_from: int | None = None) -> None:
    """A table as `temporal` prints one: numbers (and their headers) to the right."""
    table = Rows(
        [
            Column(
                column, right=numeric_from is not None and index >= numeric_from and column != "ApproximateBacklogAge"
            )
            for index, column in enumerate(columns)
        ]
    )
    for row in rows:
        table.add_row(*row)
    cli.print_table(table)


def _partition_name(name: str, partition: int) -> str:
    return name if partition == 0 else f"/_sys/{name}/{partition}"


def describe_legacy(cli: CliContext, task_queue: str, type_name: str, partitions: int, report_config: bool) -> None:
    """`tempo task-queue describe --legacy-mode`: DescribeTaskQueue per partition (pollers and
    status), printed as `temporal` prints its Go structures."""
    queue_type = _type_value(cli, type_name, {k: v for k, v in _TYPES.items() if k != "nexus"})
    namespace = cli.settings.namespace

    async def describe_all(client: Any) -> list[wsv1.DescribeTaskQueueResponse]:
        answers = []
        for partition in range(max(partitions, 1)):
            request = wsv1.DescribeTaskQueueRequest(
                namespace=namespace,
                task_queue=taskqueue.TaskQueue(
                    name=_partition_name(task_queue, partition), kind=tq_enums.TASK_QUEUE_KIND_NORMAL
                ),
                task_queue_type=queue_type,  # type: ignore[arg-type]
                include_task_queue_status=True,
                report_config=report_config,
            )
            answers.append(await _call(client, client.service.DescribeTaskQueue, request, "describe task queue"))
        return answers

    answers = cli.run_blocking(describe_all)
    if cli.json_mode:
        statuses: list[dict[str, Any]] = []
        pollers: list[dict[str, Any]] = []
        for partition, answer in enumerate(answers):
            statuses.append({"partition": partition, **_go_struct(answer.task_queue_status)})
            pollers.extend({"partition": partition, **_go_struct(p)} for p in answer.pollers)
        out: dict[str, Any] = {"pollers": pollers or None, "taskQueues": statuses}
        if report_config and answers[0].HasField("config"):
            out["config"] = _go_struct(answers[0].config)
        cli.write_json(dict(sorted(out.items())))
        return
    cli.write_raw("Pollers:")
    now = datetime.datetime.now(datetime.UTC)
    rows = [
        [
            p.identity,
            relative_time(p.last_access_time.ToDatetime(datetime.UTC), now),
            str(float64_number(p.rate_per_second)),
        ]
        for answer in answers
        for p in answer.pollers
    ]
    _print_rows(cli, ["Identity", "LastAccessTime", "RatePerSecond"], rows, numeric_from=2)


def _go_struct(message: Message) -> dict[str, Any]:
    """A message as Go's encoding/json writes the generated struct: snake_case names, zero values
    left out, timestamps as seconds and nanos."""
    out: dict[str, Any] = {}
    for descriptor, value in message.ListFields():
        if isinstance(value, Message):
            out[descriptor.name] = _go_struct(value)
        elif isinstance(value, float):
            out[descriptor.name] = float64_number(value)
        elif isinstance(value, (str, bytes, int, bool)):
            out[descriptor.name] = value
        else:  # a repeated field
            out[descriptor.name] = [_go_struct(v) if isinstance(v, Message) else v for v in value]
    return out


def list_partitions(cli: CliContext, task_queue: str) -> None:
    """`tempo task-queue list-partition`: ListTaskQueuePartitions, as `temporal` prints it."""
    request = wsv1.ListTaskQueuePartitionsRequest(
        namespace=cli.settings.namespace,
        task_queue=taskqueue.TaskQueue(name=task_queue, kind=tq_enums.TASK_QUEUE_KIND_NORMAL),
    )
    response: wsv1.ListTaskQueuePartitionsResponse = cli.run_blocking(
        lambda client: _call(client, client.service.ListTaskQueuePartitions, request, "list task queues")
    )
    if cli.json_mode:
        cli.write_json(proto_dict(response))
        return
    for title, partitions in (
        ("Workflow Task Queue Partitions", response.workflow_task_queue_partitions),
        ("\nActivity Task Queue Partitions", response.activity_task_queue_partitions),
    ):
        cli.write_raw(title + "\n")
        _print_rows(cli, ["Key", "OwnerHostName"], [[p.key, p.owner_host_name] for p in partitions])
