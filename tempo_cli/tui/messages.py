"""Messages that carry the results of network calls from workers to the screens.

Workers only fetch; each result arrives as one of these messages and a plain handler
updates the widgets. Tests and snapshot apps post the same messages with fixed data.
Messages of user intent (a row opened, a query to run) belong to the widgets that
send them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.api.history.v1 import HistoryEvent
from textual.message import Message

from sdk.client import NamespaceDescription, TaskQueueDescription, WorkflowCount, WorkflowDescription, WorkflowPage
from tempo_cli._metadata import Handlers


@dataclass
class WorkflowsLoaded(Message):
    """A page of the workflow list arrived.

    Attributes:
        page_index: Which page (0 is the newest runs).
        query: The visibility query it answers.
        page: The runs and the token of the next page.
    """

    page_index: int
    query: str
    page: WorkflowPage

    def can_replace(self, message: Message) -> bool:
        # A burst of refreshes: only the latest page matters.
        return isinstance(message, WorkflowsLoaded)


@dataclass
class WorkflowsRejected(Message):
    """The server refused the visibility query; ``reason`` is its explanation."""

    query: str
    reason: str


@dataclass
class CountsLoaded(Message):
    """Counts per status of the runs matching the filter (without its status)."""

    counts: WorkflowCount | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CountsLoaded)


@dataclass
class DescriptionLoaded(Message):
    """DescribeWorkflowExecution answered for the run on screen."""

    description: WorkflowDescription

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DescriptionLoaded)


@dataclass
class HistoryLoaded(Message):
    """Events of the run on screen arrived.

    Attributes:
        events: New events, in order, following those already shown.
        restart: The events replace everything shown (a reload after reconnecting).
        complete: The run is closed and this is its last page.
    """

    events: list[HistoryEvent]
    restart: bool = False
    complete: bool = False


@dataclass
class RunNotFound(Message):
    """The server has no such run (deleted, past retention, or a restart lost it)."""

    reason: str


@dataclass
class HandlersLoaded(Message):
    """The workflow's signal and query names (``None``: it could not say, e.g. no worker), and
    whether asking again later may get them."""

    handlers: Handlers | None
    ask_again: bool = False


@dataclass
class QueryAnswered(Message):
    """A query finished: its value, or the error in ``error``."""

    name: str
    value: Any = None
    error: str = ""


@dataclass
class NamespacesLoaded(Message):
    """The server's namespaces."""

    namespaces: list[NamespaceDescription]


@dataclass
class TaskQueuesLoaded(Message):
    """Pollers and backlog of task queues, workflow and activity kinds."""

    queues: list[TaskQueueDescription]
