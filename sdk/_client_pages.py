"""Plain value types of what browsing calls answer: pages of runs and of history, counts,
namespaces and task queues. Re-exported by :mod:`sdk.client`; import them from there.

Apart from ``_client_types`` so that they are made only when a client browses (the methods
that answer them import this module): a dataclass costs about half a millisecond to make, and
a `tempo workflow list` needs none of these.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1.request_response_pb2 import (
    CountWorkflowExecutionsResponse,
    DescribeTaskQueueResponse,
)

from sdk._client_types import WorkflowExecution, from_timestamp
from sdk.converter import DataConverter


@dataclass(frozen=True)
class WorkflowPage:
    """One page of :meth:`Client.list_workflows_page`.

    Attributes:
        executions: The runs on this page, newest first.
        next_page_token: Pass to the next call for the following page; empty on the last page.
    """

    executions: list[WorkflowExecution]
    next_page_token: bytes


@dataclass(frozen=True)
class WorkflowCountGroup:
    """One group of a ``GROUP BY`` count.

    Attributes:
        values: The group's values, decoded (``["Running"]`` for ``GROUP BY ExecutionStatus``).
        count: Runs in the group.
    """

    values: list[Any]
    count: int


@dataclass(frozen=True)
class WorkflowCount:
    """What :meth:`Client.count_workflows_grouped` answers.

    Attributes:
        count: Runs matching the query.
        groups: One entry per group of a ``GROUP BY`` query; empty otherwise.
        raw: The ``CountWorkflowExecutionsResponse`` as received.
    """

    count: int
    groups: list[WorkflowCountGroup]
    raw: CountWorkflowExecutionsResponse = field(repr=False)

    @classmethod
    def from_response(cls, response: CountWorkflowExecutionsResponse, converter: DataConverter) -> WorkflowCount:
        """Build from a ``CountWorkflowExecutionsResponse``."""
        groups = []
        for group in response.groups:
            values = []
            for payload in group.group_values:
                try:
                    values.append(converter.from_payload(payload))
                except ValueError:
                    values.append(payload)
            groups.append(WorkflowCountGroup(values=values, count=int(group.count)))
        return cls(count=int(response.count), groups=groups, raw=response)


@dataclass(frozen=True)
class HistoryPage:
    """One page of a run's event history (:meth:`WorkflowHandle.fetch_history_page`).

    Attributes:
        events: The events, in order.
        next_page_token: Pass back for the next page. Empty when the history is complete;
            while following a running workflow it stays set, to wait for new events.
    """

    events: list[HistoryEvent]
    next_page_token: bytes


@dataclass(frozen=True)
class TaskQueuePoller:
    """A worker seen polling a task queue recently.

    Attributes:
        identity: The worker's identity (``pid@host`` by default).
        last_access_time: When it last polled.
        rate_per_second: The rate limit it asked for.
    """

    identity: str
    last_access_time: datetime.datetime | None
    rate_per_second: float


@dataclass(frozen=True)
class TaskQueueDescription:
    """What :meth:`Client.describe_task_queue` answers for one kind of task.

    Attributes:
        name: The task queue.
        kind: ``"workflow"`` or ``"activity"``.
        pollers: Workers polling it recently.
        backlog_count: Tasks waiting for a worker, as the server estimates it; ``None`` if
            the server does not say.
    """

    name: str
    kind: str
    pollers: list[TaskQueuePoller]
    backlog_count: int | None

    @classmethod
    def from_response(cls, name: str, kind: str, response: DescribeTaskQueueResponse) -> TaskQueueDescription:
        """Build from a legacy-mode ``DescribeTaskQueueResponse``."""
        pollers = [
            TaskQueuePoller(
                identity=p.identity,
                last_access_time=from_timestamp(p.last_access_time, p.HasField("last_access_time")),
                rate_per_second=p.rate_per_second,
            )
            for p in response.pollers
        ]
        backlog = int(response.task_queue_status.backlog_count_hint) if response.HasField("task_queue_status") else None
        return cls(name=name, kind=kind, pollers=pollers, backlog_count=backlog)


@dataclass(frozen=True)
class NamespaceDescription:
    """A namespace as :meth:`Client.list_namespaces` lists it.

    Attributes:
        name: The namespace name.
        state: ``Registered``, ``Deprecated`` or ``Deleted``.
        description: Its free-text description.
        retention: How long closed runs are kept, if set.
    """

    name: str
    state: str
    description: str
    retention: datetime.timedelta | None
