"""The work of `tempo task-queue ...` (see `tempo_cli.task_queue`): DescribeTaskQueue in the
enhanced mode `temporal` 1.9 uses (per build id and queue type: pollers, stats, reachability), its
legacy per-partition mode, and ListTaskQueuePartitions, printed as `temporal` prints them (the
enhanced mode's request and tables are `_read_tables`', which the lean path prints too)."""

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
from tempo_cli._go_format import cli_timestamp, float64_number
from tempo_cli._raw_calls import call
from tempo_cli._read_tables import (
    TASK_QUEUE_TYPES,
    describe_document,
    describe_request,
    describe_sections,
    go_table,
    partition_sections,
)
from tempo_cli._render import proto_dict


@dataclass
class DescribeFlags:
    task_queue: str
    types: list[str] = field(default_factory=list)
    build_ids: list[str] = field(default_factory=list)
    unversioned: bool = False
    all_active: bool = False
    reachability: bool = False
    stats: bool = True
    time_format: str = "relative"


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


def describe(cli: CliContext, flags: DescribeFlags) -> None:
    """`tempo task-queue describe`: the enhanced DescribeTaskQueue, as `temporal` 1.9 asks it."""
    request = describe_request(
        cli.settings.namespace,
        flags.task_queue,
        [_type_value(cli, name, TASK_QUEUE_TYPES) for name in flags.types],
        build_ids=flags.build_ids,
        unversioned=flags.unversioned,
        all_active=flags.all_active,
        reachability=flags.reachability,
        stats=flags.stats,
    )
    response: wsv1.DescribeTaskQueueResponse = cli.run_blocking(
        lambda client: _call(client, client.service.DescribeTaskQueue, request, "describe task queue")
    )
    if cli.json_mode:
        cli.write_json(describe_document(response, reachability=flags.reachability, stats=flags.stats))
        return
    now = datetime.datetime.now(datetime.UTC)
    sections = describe_sections(
        response, now, reachability=flags.reachability, stats=flags.stats, time_format=flags.time_format
    )
    for title, table in sections:
        cli.write_raw(title)
        cli.print_table(table)


def _partition_name(name: str, partition: int) -> str:
    return name if partition == 0 else f"/_sys/{name}/{partition}"


def describe_legacy(
    cli: CliContext, task_queue: str, type_name: str, partitions: int, report_config: bool, time_format: str
) -> None:
    """`tempo task-queue describe --legacy-mode`: DescribeTaskQueue per partition (pollers and
    status), printed as `temporal` prints its Go structures (times per ``--time-format``)."""
    queue_type = _type_value(cli, type_name, {k: v for k, v in TASK_QUEUE_TYPES.items() if k != "nexus"})
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
            cli_timestamp(p.last_access_time, time_format, now),
            str(float64_number(p.rate_per_second)),
        ]
        for answer in answers
        for p in answer.pollers
    ]
    cli.print_table(go_table(["Identity", "LastAccessTime", "RatePerSecond"], rows, numeric_from=2))


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
    for title, table in partition_sections(response):
        cli.write_raw(title + "\n")
        cli.print_table(table)
