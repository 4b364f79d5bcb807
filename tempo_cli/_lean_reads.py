"""The lean path of the other groups' everyday reads: `tempo operator namespace list|describe`,
`tempo operator search-attribute list`, `tempo operator cluster system|describe|health`, `tempo
schedule list|describe`, `tempo task-queue describe|list-partition` and `tempo batch list`, as
`tempo` runs them when their answer goes to a pipe, a file or a terminal.

Why: through the fast path (`_fast_commands`) these load `_cli`, the connection's settings
(`_connection`, `sdk.envconfig`) and the SDK's client to make one or two calls: about 65 ms,
where `temporal` takes 30. Here a command makes the calls itself on the lean session
(`_lean_session`: the blocking transport, GetSystemInfo first, as the SDK's client), with the
requests the app makes, and prints the tables the app prints with the very functions it
prints them with (`_read_tables`).

When: as for the `tempo workflow` reads (`_lean_commands`): text output, a plain connection,
and only the options below. Anything else, and any call that fails (a server that is down, a
server that is not serving), a cell Rich must measure or a table Rich must fit to the
terminal, gives way before anything is printed: the fast path then answers as the app does.
A call the server refused for good (a schedule or a namespace that does not exist) ends the
command with the app's error, worded as each command's app words it (`_lean_errors`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tempo_cli._go_format import TIME_FORMATS
from tempo_cli._lean_session import OPERATOR_SERVICE, Answer, GiveWay, Session, answer, plain_connection
from tempo_cli._read_tables import (
    HEALTH_CHECK,
    HEALTH_REQUEST,
    TASK_QUEUE_TYPES,
    BatchListing,
    cluster_table,
    describe_request,
    describe_sections,
    health_status,
    namespace_table,
    partition_sections,
    schedule_description_table,
    schedule_table,
    search_attribute_table,
    system_table,
)

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from tempo_cli._lean_errors import Wording

_GLOBAL_OPTIONS = frozenset({"address", "namespace", "output", "color"})


def run(group: str, argv: list[str]) -> bool:
    """Run `tempo GROUP ...` (``argv``: the words after the group's name) if it is this path's;
    False when the fast path must (then nothing was printed)."""
    from tempo_cli._fast_commands import GROUPS, plain_words

    commands, required, _ = GROUPS[group]
    words = plain_words(argv, commands, required)
    if words is None:
        return False
    command, values = words
    taken = _COMMANDS.get((group, command))
    if taken is None:
        return False
    options, work = taken
    if not set(values) - _GLOBAL_OPTIONS <= options:
        return False
    screen = plain_connection(values, terminal=True)
    if screen is None:
        return False
    return answer(lambda session: work(session, values), values, screen, wording=_wording(group, command, values))


def _wording(group: str, command: str, values: dict[str, Any]) -> Wording | None:
    """How the app words a call of the command that the server refused: the schedules'
    (`_schedule_commands._call`), the operator's and the task queues' ``unable to ...``
    (`_operator_commands._call`, `_task_queue_commands._call`), else the SDK's error as
    `_errors.describe_error` words it (`batch list`); None for the health check (its call
    gives way)."""
    from tempo_cli import _lean_errors as errors
    from tempo_cli._lean_session import DEFAULT_NAMESPACE

    if group == "schedule":
        return errors.schedule_words
    if group == "task-queue":
        task = "describe task queue" if command == "describe" else "list task queues"
        return errors.unable(task, ("NOT_FOUND", "INVALID_ARGUMENT"))
    if group == "batch":
        return errors.app_words
    if command == "namespace describe":
        subject = values.get("namespace_id") or values.get("namespace") or DEFAULT_NAMESPACE
        return errors.unable(f"describe namespace {subject}")
    what = _OPERATOR_WHAT.get(command)
    return None if what is None else errors.unable(what)


# What the operator's reads are "unable to" do (`_operator_commands`).
_OPERATOR_WHAT = {
    "namespace list": "list namespaces",
    "search-attribute list": "list search attributes",
    "cluster system": "get system info",
    "cluster describe": "get cluster info",
}


def _namespaces(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo operator namespace list` (`_operator_commands.list_namespaces`)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import ListNamespacesRequest, ListNamespacesResponse

    answered = Answer(session.screen)
    for page in _pages(session, "ListNamespaces", ListNamespacesRequest(), ListNamespacesResponse):
        for described in page.namespaces:
            answered.lines(namespace_table(described))
    return answered


def _namespace(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo operator namespace describe`, by -n or --namespace-id (`_operator_commands.describe_namespace`)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        DescribeNamespaceRequest,
        DescribeNamespaceResponse,
    )

    namespace_id = values.get("namespace_id")
    if namespace_id:
        request = DescribeNamespaceRequest(id=namespace_id)
    else:
        request = DescribeNamespaceRequest(namespace=session.namespace)
    response = session.read("DescribeNamespace", request, DescribeNamespaceResponse)
    answered = Answer(session.screen)
    answered.lines(namespace_table(response))
    return answered


def _system(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo operator cluster system` (`_operator_commands.cluster_system`): GetSystemInfo
    again after the connection's own, as the app asks it."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import GetSystemInfoRequest, GetSystemInfoResponse

    response = session.read("GetSystemInfo", GetSystemInfoRequest(), GetSystemInfoResponse)
    answered = Answer(session.screen)
    answered.lines(system_table(response))
    return answered


def _cluster(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo operator cluster describe [--detail]` (`_operator_commands.describe_cluster`)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import GetClusterInfoRequest, GetClusterInfoResponse

    response = session.read("GetClusterInfo", GetClusterInfoRequest(), GetClusterInfoResponse)
    answered = Answer(session.screen)
    answered.lines(cluster_table(response, values.get("detail", False)))
    return answered


def _health(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo operator cluster health` (`_operator_commands.cluster_health`) of a serving
    server; any other status ends with the app's error, so it is the app's to print."""
    status = health_status(session.read_bytes(HEALTH_CHECK, HEALTH_REQUEST))
    if status != "SERVING":
        raise GiveWay
    answered = Answer(session.screen)
    answered.line(status)
    return answered


def _search_attributes(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo operator search-attribute list` (`_operator_commands.list_search_attributes`)."""
    from temporalio.api.operatorservice.v1.request_response_pb2 import (
        ListSearchAttributesRequest,
        ListSearchAttributesResponse,
    )

    request = ListSearchAttributesRequest(namespace=session.namespace)
    response = session.read("ListSearchAttributes", request, ListSearchAttributesResponse, service=OPERATOR_SERVICE)
    answered = Answer(session.screen)
    answered.lines(search_attribute_table(response))
    return answered


def _schedules(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo schedule list` (`_schedule_commands.list_schedules`): every page, then the table."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import ListSchedulesRequest, ListSchedulesResponse

    time_format = values.get("time_format", "relative")
    if time_format not in TIME_FORMATS:
        raise GiveWay  # Typer's message lists the choices
    request = ListSchedulesRequest(namespace=session.namespace, query=values.get("query", ""))
    entries = [
        entry for page in _pages(session, "ListSchedules", request, ListSchedulesResponse) for entry in page.schedules
    ]
    answered = Answer(session.screen)
    answered.lines(schedule_table(entries, datetime.datetime.now(datetime.UTC), time_format))
    return answered


def _schedule(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo schedule describe` (`_schedule_commands.describe`)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import DescribeScheduleRequest, DescribeScheduleResponse

    schedule_id = values["schedule_id"]
    request = DescribeScheduleRequest(namespace=session.namespace, schedule_id=schedule_id)
    response = session.read("DescribeSchedule", request, DescribeScheduleResponse)
    answered = Answer(session.screen)
    answered.lines(schedule_description_table(schedule_id, response))
    return answered


def _task_queue(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo task-queue describe` in its default, enhanced mode (`_task_queue_commands.describe`)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import DescribeTaskQueueResponse

    types = values.get("types", [])
    time_format = values.get("time_format", "relative")
    if not all(name in TASK_QUEUE_TYPES for name in types) or time_format not in TIME_FORMATS:
        raise GiveWay  # the app's message lists the choices
    request = describe_request(session.namespace, values["task_queue"], [TASK_QUEUE_TYPES[name] for name in types])
    response = session.read("DescribeTaskQueue", request, DescribeTaskQueueResponse)
    answered = Answer(session.screen)
    now = datetime.datetime.now(datetime.UTC)
    for title, table in describe_sections(response, now, reachability=False, stats=True, time_format=time_format):
        answered.line(title)
        answered.lines(table)
    return answered


def _partitions(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo task-queue list-partition` (`_task_queue_commands.list_partitions`)."""
    from temporalio.api.enums.v1 import task_queue_pb2 as tq_enums
    from temporalio.api.taskqueue.v1.message_pb2 import TaskQueue
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        ListTaskQueuePartitionsRequest,
        ListTaskQueuePartitionsResponse,
    )

    task_queue = TaskQueue(name=values["task_queue"], kind=tq_enums.TASK_QUEUE_KIND_NORMAL)
    request = ListTaskQueuePartitionsRequest(namespace=session.namespace, task_queue=task_queue)
    response = session.read("ListTaskQueuePartitions", request, ListTaskQueuePartitionsResponse)
    answered = Answer(session.screen)
    for title, table in partition_sections(response):
        answered.line(title + "\n")
        answered.lines(table)
    return answered


def _batch_jobs(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo batch list [--limit N]` (`_batch_commands.list_jobs`): page by page, a table each."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import (
        ListBatchOperationsRequest,
        ListBatchOperationsResponse,
    )

    limit = values.get("limit")
    if limit is not None and (not limit.isdigit() or int(limit) < 1):
        raise GiveWay  # as the fast path: Typer reads (or refuses) any other number
    time_format = values.get("time_format", "relative")
    if time_format not in TIME_FORMATS:
        raise GiveWay  # Typer's message lists the choices
    listing = BatchListing(None if limit is None else int(limit))
    request = ListBatchOperationsRequest(namespace=session.namespace)
    while listing.take(page := session.read("ListBatchOperations", request, ListBatchOperationsResponse)):
        request.next_page_token = page.next_page_token
    answered = Answer(session.screen)
    for table in listing.tables(datetime.datetime.now(datetime.UTC), time_format):
        answered.lines(table)
    return answered


def _pages(session: Session, method: str, request: Message, response_type: type[Any]) -> Iterator[Any]:
    """Every page of a listing, each asked with the token of the one before, as the app asks them."""
    while True:
        page = session.read(method, request, response_type)
        yield page
        if not page.next_page_token:
            return
        request.next_page_token = page.next_page_token  # type: ignore[attr-defined]


_Work = Callable[[Session, dict[str, Any]], Answer]
_COMMANDS: dict[tuple[str, str], tuple[frozenset[str], _Work]] = {
    ("operator", "namespace list"): (frozenset(), _namespaces),
    ("operator", "namespace describe"): (frozenset({"namespace_id"}), _namespace),
    ("operator", "search-attribute list"): (frozenset(), _search_attributes),
    ("operator", "cluster system"): (frozenset(), _system),
    ("operator", "cluster describe"): (frozenset({"detail"}), _cluster),
    ("operator", "cluster health"): (frozenset(), _health),
    ("schedule", "list"): (frozenset({"query", "time_format"}), _schedules),
    ("schedule", "describe"): (frozenset({"schedule_id"}), _schedule),
    ("task-queue", "describe"): (frozenset({"task_queue", "types", "time_format"}), _task_queue),
    ("task-queue", "list-partition"): (frozenset({"task_queue"}), _partitions),
    ("batch", "list"): (frozenset({"limit", "time_format"}), _batch_jobs),
}
"""The commands taken here, by group and command, with the options each takes besides the
global ones (as `_fast_commands.plain_words` names them) and what answers them."""
