"""A run's event history as one value: fetched by a client, saved as JSON, fed to a Replayer.

The JSON is what ``temporal workflow show -o json`` writes and the official SDK's
``WorkflowHistory.to_json()`` produces (protobuf's JSON form of ``History``), so a history
saved by any of them replays in any of them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from temporalio.api.history.v1 import History, HistoryEvent


@dataclass(frozen=True)
class WorkflowHistory:
    """The events of one workflow run, with the workflow ID they belong to.

    Attributes:
        workflow_id: The workflow's ID (a history's events do not record it).
        events: The events in order.
    """

    workflow_id: str
    events: Sequence[HistoryEvent]

    @property
    def run_id(self) -> str:
        """The run these events belong to, as its start event records it."""
        if not self.events or not self.events[0].HasField("workflow_execution_started_event_attributes"):
            raise ValueError("the history does not start with WorkflowExecutionStarted")
        return str(self.events[0].workflow_execution_started_event_attributes.original_execution_run_id)

    def to_proto(self) -> History:
        """The ``temporal.api.history.v1.History`` message of these events."""
        return History(events=list(self.events))

    def to_json_dict(self) -> dict[str, Any]:
        """The history as a JSON-ready dict (protobuf's JSON mapping)."""
        return json_format.MessageToDict(self.to_proto())

    def to_json(self) -> str:
        """The history as JSON text, ready for a file and for :meth:`from_json` or a Replayer."""
        return json.dumps(self.to_json_dict(), indent=2)

    @staticmethod
    def from_json(workflow_id: str, history: str | bytes | Mapping[str, Any]) -> WorkflowHistory:
        """Read a history from JSON text or a parsed dict (``temporal workflow show -o json``).

        Raises:
            ValueError: Not a history.
        """
        return WorkflowHistory(workflow_id, list(parse_history(history).events))


_OLD_ENUM = re.compile(r"^[A-Z][a-zA-Z0-9]*$")


def parse_history(
    source: History | WorkflowHistory | str | bytes | os.PathLike[str] | Mapping[str, Any],
) -> History:
    """Parse a history from a message, JSON text, a parsed dict or a file path.

    Raises:
        ValueError: Not a history.
    """
    if isinstance(source, History):
        return source
    if isinstance(source, WorkflowHistory):
        return source.to_proto()
    if isinstance(source, os.PathLike):
        source = Path(source).read_text()
    if isinstance(source, bytes | str):
        try:
            source = json.loads(source)
        except ValueError as err:
            raise ValueError(f"history is not valid JSON: {err}") from err
    if not isinstance(source, Mapping) or "events" not in source:
        raise ValueError("expected a history: a JSON object with an 'events' list")
    parsed = History()
    try:
        json_format.ParseDict(_modern_enums(source), parsed, ignore_unknown_fields=True)
    except json_format.ParseError as err:
        raise ValueError(f"history JSON does not fit temporal.api.history.v1.History: {err}") from err
    return parsed


def _modern_enums(source: Mapping[str, Any]) -> dict[str, Any]:
    """Older CLIs wrote enum values as ``WorkflowExecutionStarted``; protobuf wants
    ``EVENT_TYPE_WORKFLOW_EXECUTION_STARTED``. Convert the event types only."""
    events = []
    for event in source.get("events", []):
        event = dict(event)
        kind = event.get("eventType")
        if isinstance(kind, str) and _OLD_ENUM.match(kind):
            snake = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).upper()
            event["eventType"] = f"EVENT_TYPE_{snake}"
        events.append(event)
    return {**source, "events": events}
