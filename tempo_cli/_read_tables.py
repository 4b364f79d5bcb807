"""What `tempo operator namespace list|describe`, `operator search-attribute list`, `operator
cluster system|describe|health`, `schedule list|describe`, `task-queue
describe|list-partition` and `batch list` show of the server's answers: their requests where
they carry more than a name, and their rows and tables, as `temporal` prints them.

Only the standard library, the generated messages and the plain tables: both the app's
commands (`_operator_commands`, `_schedule_commands`, `_task_queue_commands`,
`_batch_commands`, which print through `_cli.CliContext`) and the lean path (`_lean_reads`,
which loads neither the SDK's client, `_cli`, `dataclasses` nor Rich) call these, so the two
print the same bytes.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tempo_cli._go_format import cli_duration, cli_timestamp, float32_number, float64_number, rfc3339_nano
from tempo_cli._plain_table import Column, Rows
from tempo_cli._render_text import format_time, key_value_table

if TYPE_CHECKING:
    from temporalio.api.batch.v1.message_pb2 import BatchOperationInfo
    from temporalio.api.operatorservice.v1.request_response_pb2 import ListSearchAttributesResponse
    from temporalio.api.schedule.v1.message_pb2 import ScheduleListEntry
    from temporalio.api.taskqueue.v1.message_pb2 import TaskQueueTypeInfo, TaskQueueVersionInfo
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        DescribeNamespaceResponse,
        DescribeScheduleResponse,
        DescribeTaskQueueRequest,
        DescribeTaskQueueResponse,
        GetClusterInfoResponse,
        GetSystemInfoResponse,
        ListBatchOperationsResponse,
        ListTaskQueuePartitionsResponse,
    )


def enum_word(name: str, prefix: str) -> str:
    """An enum value's name as Go's String() of the CLI's structs shows it
    (``INDEXED_VALUE_TYPE_KEYWORD_LIST`` → ``KeywordList``)."""
    return name.removeprefix(prefix).replace("_", " ").title().replace(" ", "")


# ---------------------------------------------------------------- operator


def _go_seconds(seconds: int) -> str:
    """A whole-second duration as Go prints it (24h0m0s), as the real CLI's text output does."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def namespace_table(described: DescribeNamespaceResponse) -> Rows:
    """A namespace as `temporal operator namespace describe` (and `list`, one after another) shows it."""
    from temporalio.api.enums.v1 import namespace_pb2 as namespace_enums

    info, config, replication = described.namespace_info, described.config, described.replication_config
    data = " ".join(f"{k}:{v}" for k, v in sorted(info.data.items()))
    clusters = json.dumps([{"clusterName": c.cluster_name} for c in replication.clusters], separators=(",", ":"))
    history_archival = namespace_enums.ArchivalState.Name(config.history_archival_state)
    visibility_archival = namespace_enums.ArchivalState.Name(config.visibility_archival_state)
    rows: list[tuple[str, Any]] = [
        ("NamespaceInfo.Name", info.name),
        ("NamespaceInfo.Id", info.id),
        ("NamespaceInfo.Description", info.description),
        ("NamespaceInfo.OwnerEmail", info.owner_email),
        ("NamespaceInfo.State", enum_word(namespace_enums.NamespaceState.Name(info.state), "NAMESPACE_STATE_")),
        ("NamespaceInfo.Data", f"map[{data}]"),
        ("Config.WorkflowExecutionRetentionTtl", _go_seconds(config.workflow_execution_retention_ttl.seconds)),
        ("ReplicationConfig.ActiveClusterName", replication.active_cluster_name),
        ("ReplicationConfig.Clusters", clusters),
        (
            "ReplicationConfig.State",
            enum_word(namespace_enums.ReplicationState.Name(replication.state), "REPLICATION_STATE_"),
        ),
        ("Config.HistoryArchivalState", enum_word(history_archival, "ARCHIVAL_STATE_")),
        ("Config.VisibilityArchivalState", enum_word(visibility_archival, "ARCHIVAL_STATE_")),
        ("IsGlobalNamespace", str(described.is_global_namespace).lower()),
        ("FailoverVersion", str(described.failover_version)),
        ("FailoverHistory", "[]"),
        ("Config.HistoryArchivalUri", config.history_archival_uri),
        ("Config.VisibilityArchivalUri", config.visibility_archival_uri),
    ]
    return key_value_table(rows)


def search_attribute_type(kind: int) -> str:
    """An IndexedValueType as `temporal` names it (``KeywordList``)."""
    from temporalio.api.enums.v1 import common_pb2 as common_enums

    return enum_word(common_enums.IndexedValueType.Name(kind), "INDEXED_VALUE_TYPE_")  # type: ignore[arg-type]


def search_attribute_table(response: ListSearchAttributesResponse) -> Rows:
    """System and custom search attributes together, by name, with their types."""
    table = Rows([Column("Name"), Column("Type")])
    kinds = {**response.system_attributes, **response.custom_attributes}
    for name in sorted(kinds):
        table.add_row(name, search_attribute_type(kinds[name]))
    return table


def system_table(response: GetSystemInfoResponse) -> Rows:
    """`temporal operator cluster system`'s table: the version and three capabilities."""
    table = Rows([Column(name) for name in ("ServerVersion", "SupportsSchedules", "UpsertMemo", "EagerWorkflowStart")])
    capabilities = response.capabilities
    table.add_row(
        response.server_version,
        *(
            str(flag).lower()
            for flag in (capabilities.supports_schedules, capabilities.upsert_memo, capabilities.eager_workflow_start)
        ),
    )
    return table


def cluster_table(response: GetClusterInfoResponse, detail: bool) -> Rows:
    """`temporal operator cluster describe`'s table; ``detail`` (--detail) adds two columns."""
    columns = ["ClusterName", "PersistenceStore", "VisibilityStore"]
    row = [response.cluster_name, response.persistence_store, response.visibility_store]
    if detail:
        columns += ["HistoryShardCount", "VersionInfo"]
        version = response.version_info.current.version if response.HasField("version_info") else "<nil>"
        row += [str(response.history_shard_count), version]
    table = Rows([Column(name) for name in columns])
    table.add_row(*row)
    return table


HEALTH_CHECK = "/grpc.health.v1.Health/Check"
_HEALTH_SERVICE = b"temporal.api.workflowservice.v1.WorkflowService"
_HEALTH_STATUSES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
# grpc.health.v1's messages, encoded by hand: one string field out, one enum field back.
HEALTH_REQUEST = b"\x0a" + bytes([len(_HEALTH_SERVICE)]) + _HEALTH_SERVICE
"""The grpc.health.v1 Check of the WorkflowService, as `temporal operator cluster health` asks it."""


def health_status(answer: bytes) -> str:
    """The status a HealthCheckResponse names (``SERVING``)."""
    status = answer[1] if len(answer) >= 2 and answer[0] == 0x08 else 0
    return _HEALTH_STATUSES.get(status, "UNKNOWN")


# ---------------------------------------------------------------- schedules


def first_time(times: Sequence[Any]) -> str:
    """The first of some protobuf timestamps as :func:`format_time` shows it; empty if none."""
    return format_time(times[0].ToDatetime(datetime.UTC)) if len(times) else ""


def schedule_table(entries: Sequence[ScheduleListEntry], now: datetime.datetime, time_format: str = "relative") -> Rows:
    """`temporal schedule list`'s table: a schedule a row, in the server's order, its next run
    time and its last run's scheduled time per ``--time-format`` (relative to ``now`` by
    default; empty when there is none)."""

    def shown(times: Sequence[Any]) -> str:
        return cli_timestamp(times[0], time_format, now) if len(times) else ""

    table = Rows([Column(name) for name in ("ScheduleId", "Workflow", "Paused", "NextRunTime", "LastRunTime")])
    for entry in entries:
        info = entry.info
        table.add_row(
            entry.schedule_id,
            info.workflow_type.name,
            str(info.paused).lower(),
            shown(info.future_action_times),
            shown([a.schedule_time for a in info.recent_actions][-1:]),  # `temporal`'s: not actual_time
        )
    return table


def schedule_description_table(schedule_id: str, response: DescribeScheduleResponse) -> Rows:
    """`tempo schedule describe`'s key/value table of a schedule."""
    from temporalio.api.enums.v1 import schedule_pb2 as schedule_enums

    schedule, info = response.schedule, response.info
    start = schedule.action.start_workflow
    every = [f"every {i.interval.ToSeconds()}s" for i in schedule.spec.interval]
    spec = ", ".join([*schedule.spec.cron_string, *every]) or f"{len(schedule.spec.structured_calendar)} calendar(s)"
    policy = schedule_enums.ScheduleOverlapPolicy.Name(schedule.policies.overlap_policy)
    rows: list[tuple[str, Any]] = [
        ("ScheduleId", schedule_id),
        ("Workflow", f"{start.workflow_type.name} ({start.workflow_id} on {start.task_queue.name})"),
        ("Spec", spec),
        ("OverlapPolicy", policy.removeprefix("SCHEDULE_OVERLAP_POLICY_")),
        ("Notes", schedule.state.notes),
        ("Paused", str(schedule.state.paused).lower()),
        ("NextRunTime", first_time(info.future_action_times)),
        ("LastRunTime", first_time([a.actual_time for a in info.recent_actions][-1:])),
        ("RunningWorkflows", ", ".join(w.workflow_id for w in info.running_workflows)),
        (
            "Actions",
            f"{info.action_count} taken, {info.missed_catchup_window} missed, "
            f"{info.overlap_skipped} skipped for overlap",
        ),
    ]
    return key_value_table(rows)


# ---------------------------------------------------------------- task queues

TASK_QUEUE_TYPES = {"workflow": 1, "activity": 2, "nexus": 3}
"""``--task-queue-type`` choices and their TaskQueueType numbers."""
_TYPE_NAMES = {number: name for name, number in TASK_QUEUE_TYPES.items()}
_REACHABILITY = {0: "unspecified", 1: "reachable", 2: "closedWorkflowsOnly", 3: "unreachable"}
UNVERSIONED = "UNVERSIONED"


def describe_request(
    namespace: str,
    task_queue: str,
    types: Sequence[int],
    *,
    build_ids: Sequence[str] = (),
    unversioned: bool = False,
    all_active: bool = False,
    reachability: bool = False,
    stats: bool = True,
) -> DescribeTaskQueueRequest:
    """The enhanced DescribeTaskQueue, as `temporal` 1.9 asks it (``types``: TaskQueueType numbers)."""
    from temporalio.api.enums.v1 import task_queue_pb2 as tq_enums
    from temporalio.api.taskqueue.v1.message_pb2 import TaskQueue, TaskQueueVersionSelection
    from temporalio.api.workflowservice.v1.request_response_pb2 import DescribeTaskQueueRequest

    request = DescribeTaskQueueRequest(
        namespace=namespace,
        task_queue=TaskQueue(name=task_queue),
        api_mode=tq_enums.DESCRIBE_TASK_QUEUE_MODE_ENHANCED,
        task_queue_types=types,  # type: ignore[arg-type]
        report_pollers=True,
        report_task_reachability=reachability,
        report_stats=stats,
    )
    if build_ids or unversioned or all_active:
        request.versions.CopyFrom(
            TaskQueueVersionSelection(build_ids=build_ids, unversioned=unversioned, all_active=all_active)
        )
    return request


def _versions(response: DescribeTaskQueueResponse) -> list[tuple[str, TaskQueueVersionInfo]]:
    """The response's versions, the unversioned queue first, as `temporal` orders them."""
    versions = dict(response.versions_info)
    ordered = [(UNVERSIONED, versions.pop(""))] if "" in versions else []
    return ordered + sorted(versions.items())


def _types(version: TaskQueueVersionInfo) -> list[tuple[str, TaskQueueTypeInfo]]:
    # Go walks a map here (any order); workflow, activity, nexus reads best.
    return [(_TYPE_NAMES.get(t, "unspecified"), version.types_info[t]) for t in sorted(version.types_info)]


def _reachability(response: DescribeTaskQueueResponse) -> list[dict[str, Any]]:
    return [
        {"buildId": build_id, "reachability": _REACHABILITY.get(version.task_reachability, "unspecified")}
        for build_id, version in _versions(response)
    ]


def _pollers(response: DescribeTaskQueueResponse) -> list[tuple[dict[str, Any], Any]]:
    """Each poller as `temporal` writes it in JSON, with its last access time (the protobuf
    timestamp: the raw time format shows its nanoseconds)."""
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
                rows.append((row, accessed))
    return rows


def _stats_rows(response: DescribeTaskQueueResponse) -> list[dict[str, Any]]:
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


def describe_document(response: DescribeTaskQueueResponse, *, reachability: bool, stats: bool) -> dict[str, Any]:
    """`temporal task-queue describe -o json`'s document."""
    return {
        "reachability": (_reachability(response) or None) if reachability else None,
        "pollers": [row for row, _ in _pollers(response)] or None,
        "stats": (_stats_rows(response) or None) if stats else None,
    }


def describe_sections(
    response: DescribeTaskQueueResponse,
    now: datetime.datetime,
    *,
    reachability: bool,
    stats: bool,
    time_format: str = "relative",
) -> list[tuple[str, Rows]]:
    """`temporal task-queue describe`'s text: each section's title line and table (times per
    ``--time-format``, relative to ``now`` by default)."""
    sections = []
    if reachability:
        rows = [[r["buildId"], r["reachability"]] for r in _reachability(response)]
        sections.append(("Task Reachability:", go_table(["BuildID", "Reachability"], rows)))
    if stats:
        columns = ["BuildID", "TaskQueueType", "ApproximateBacklogCount", "ApproximateBacklogAge"]
        columns += ["BacklogIncreaseRate", "TasksAddRate", "TasksDispatchRate"]
        keys = ["buildId", "taskQueueType", "approximateBacklogCount", "approximateBacklogAge"]
        keys += ["backlogIncreaseRate", "tasksAddRate", "tasksDispatchRate"]
        rows = [[str(row[key]) for key in keys] for row in _stats_rows(response)]
        sections.append(("Task Queue Statistics:", go_table(columns, rows, numeric_from=2)))
    columns = ["BuildID", "TaskQueueType", "Identity", "LastAccessTime", "RatePerSecond"]
    rows = [
        [
            row["buildId"],
            row["taskQueueType"],
            row["identity"],
            cli_timestamp(accessed, time_format, now),
            str(row["ratePerSecond"]),
        ]
        for row, accessed in _pollers(response)
    ]
    sections.append(("Pollers:", go_table(columns, rows, numeric_from=4)))
    return sections


def go_table(columns: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int | None = None) -> Rows:
    """A table as `temporal` prints one: numbers (and their headers, from column
    ``numeric_from`` on) to the right."""
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
    return table


def partition_sections(response: ListTaskQueuePartitionsResponse) -> list[tuple[str, Rows]]:
    """`temporal task-queue list-partition`'s text: each kind's title (as written, with the
    blank line before the second) and its partitions' table."""
    return [
        (title, go_table(["Key", "OwnerHostName"], [[p.key, p.owner_host_name] for p in partitions]))
        for title, partitions in (
            ("Workflow Task Queue Partitions", response.workflow_task_queue_partitions),
            ("\nActivity Task Queue Partitions", response.activity_task_queue_partitions),
        )
    ]


# ---------------------------------------------------------------- batch jobs


class BatchListing:
    """The jobs `temporal batch list` shows, page by page as the server answers: at most
    ``limit`` of them (all when it is None or not positive, as `temporal` reads --limit)."""

    __slots__ = ("count", "limit", "pages")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit if limit is not None and limit > 0 else None
        self.pages: list[list[BatchOperationInfo]] = []
        self.count = 0

    def jobs(self) -> list[BatchOperationInfo]:
        return [job for page in self.pages for job in page]

    def take(self, page: ListBatchOperationsResponse) -> bool:
        """Keep a page's jobs, up to the limit; whether the next page is to be asked. As
        `temporal`: an empty first page ends the listing even when the server gives a token."""
        jobs = list(page.operation_info)
        if self.limit is not None:
            jobs = jobs[: self.limit - self.count]
        self.pages.append(jobs)
        self.count += len(jobs)
        if not jobs and len(self.pages) == 1:
            return False
        return bool(page.next_page_token) and (self.limit is None or self.count < self.limit)

    def tables(self, now: datetime.datetime, time_format: str = "relative") -> list[Rows]:
        """`temporal batch list`'s text: a table a page (each as wide as its own cells), the
        header on the first only; none at all when there is no job (times per ``--time-format``,
        relative to ``now`` by default)."""
        return [
            batch_table(jobs, now, header=index == 0, time_format=time_format)
            for index, jobs in enumerate(self.pages)
            if jobs
        ]


def batch_table(
    jobs: Sequence[BatchOperationInfo], now: datetime.datetime, header: bool = True, time_format: str = "relative"
) -> Rows:
    """Batch jobs as `temporal batch list` shows them: id, state, and start and close times per
    ``--time-format``, relative to ``now`` by default (empty when the server sent none: a
    running job's close time)."""
    from temporalio.api.enums.v1 import batch_operation_pb2 as batch_enums

    table = Rows([Column(name) for name in ("JobId", "State", "StartTime", "CloseTime")], show_header=header)
    for job in jobs:
        state = batch_enums.BatchOperationState.Name(job.state)  # type: ignore[arg-type]
        table.add_row(
            job.job_id,
            enum_word(state, "BATCH_OPERATION_STATE_"),
            *(
                cli_timestamp(getattr(job, field), time_format, now) if job.HasField(field) else ""
                for field in ("start_time", "close_time")
            ),
        )
    return table
