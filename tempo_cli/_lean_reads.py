"""The lean path of the other groups' everyday reads: `tempo operator namespace list`, `tempo
operator search-attribute list`, `tempo schedule list` and `tempo task-queue describe`, as
`tempo` runs them when their answer goes to a pipe, a file or a terminal.

Why: through the fast path (`_fast_commands`) these load `_cli`, the connection's settings
(`_connection`, `sdk.envconfig`) and the SDK's client to make one or two calls: about 65 ms,
where `temporal` takes 30. Here a command makes the calls itself on the lean session
(`_lean_session`: the blocking transport, GetSystemInfo first, as the SDK's client), with the
requests the app makes, and prints the tables the app prints with the very functions it
prints them with (`_read_tables`).

When: as for the `tempo workflow` reads (`_lean_commands`): text output, a plain connection,
and only the options below. Anything else, and any call that fails (a namespace that does
not exist, a server that is down), a cell Rich must measure or a table Rich must fit to the
terminal, gives way before anything is printed: the fast path then answers as the app does.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tempo_cli._lean_session import OPERATOR_SERVICE, Answer, GiveWay, Session, answer, plain_connection
from tempo_cli._read_tables import (
    TASK_QUEUE_TYPES,
    describe_request,
    describe_sections,
    namespace_table,
    schedule_table,
    search_attribute_table,
)

if TYPE_CHECKING:
    from google.protobuf.message import Message

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
    return answer(lambda session: work(session, values), values, screen)


def _namespaces(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo operator namespace list` (`_operator_commands.list_namespaces`)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import ListNamespacesRequest, ListNamespacesResponse

    answered = Answer(session.screen)
    for page in _pages(session, "ListNamespaces", ListNamespacesRequest(), ListNamespacesResponse):
        for described in page.namespaces:
            answered.lines(namespace_table(described))
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

    request = ListSchedulesRequest(namespace=session.namespace, query=values.get("query", ""))
    pages = _pages(session, "ListSchedules", request, ListSchedulesResponse)
    answered = Answer(session.screen)
    answered.lines(schedule_table([entry for page in pages for entry in page.schedules]))
    return answered


def _task_queue(session: Session, values: dict[str, Any]) -> Answer:
    """`tempo task-queue describe` in its default, enhanced mode (`_task_queue_commands.describe`)."""
    from temporalio.api.workflowservice.v1.request_response_pb2 import DescribeTaskQueueResponse

    types = values.get("types", [])
    if not all(name in TASK_QUEUE_TYPES for name in types):
        raise GiveWay  # the app's message lists the choices
    request = describe_request(session.namespace, values["task_queue"], [TASK_QUEUE_TYPES[name] for name in types])
    response = session.read("DescribeTaskQueue", request, DescribeTaskQueueResponse)
    answered = Answer(session.screen)
    now = datetime.datetime.now(datetime.UTC)
    for title, table in describe_sections(response, now, reachability=False, stats=True):
        answered.line(title)
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
    ("operator", "search-attribute list"): (frozenset(), _search_attributes),
    ("schedule", "list"): (frozenset({"query"}), _schedules),
    ("task-queue", "describe"): (frozenset({"task_queue", "types"}), _task_queue),
}
"""The commands taken here, by group and command, with the options each takes besides the
global ones (as `_fast_commands.plain_words` names them) and what answers them."""
