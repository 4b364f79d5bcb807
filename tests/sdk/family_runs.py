"""Run the family scenarios with our SDK or the official one, and compare what they record."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import temporalio.client
import temporalio.service
import temporalio.worker
from google.protobuf.json_format import MessageToDict
from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.enums.v1.common_pb2 import IndexedValueType
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk.client import Client
from sdk.worker import Worker
from sdk.worker._history import COMMAND_EVENT_TYPES
from tests.sdk import family_app, official_family_app

EventType = event_type_pb2.EventType

# What each SDK calls the same failure.
_OFFICIAL_NAMES = {"TimeoutError": "TimeoutFailureError"}

# Attributes of command events that depend on the run, not on what the workflow decided.
_VOLATILE = {"workflowTaskCompletedEventId", "namespaceId", "runId", "header"}


@contextlib.asynccontextmanager
async def our_worker(client: Client, task_queue: str, *, max_cached_workflows: int = 1000) -> AsyncIterator[None]:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[family_app.FamilyParent, family_app.FamilyChild, family_app.CleansUp],
        activities=[family_app.note, family_app.wait_for_cancel],
        max_cached_workflows=max_cached_workflows,
    ):
        yield


@contextlib.asynccontextmanager
async def official_worker(client: temporalio.client.Client, task_queue: str) -> AsyncIterator[None]:
    async with temporalio.worker.Worker(
        client,
        task_queue=task_queue,
        workflows=[official_family_app.FamilyParent, official_family_app.FamilyChild],
        activities=[official_family_app.note, official_family_app.wait_for_cancel],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        yield


SEARCH_ATTRIBUTE = "FamilyTag"
"""The keyword search attribute the "options" scenario gives its child."""


async def declare_search_attribute(address: str) -> None:
    """Declare :data:`SEARCH_ATTRIBUTE` on the server (once; again is refused, and fine)."""
    client = await temporalio.client.Client.connect(address)
    request = AddSearchAttributesRequest(
        namespace="default", search_attributes={SEARCH_ATTRIBUTE: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD}
    )
    with contextlib.suppress(temporalio.service.RPCError):
        await client.operator_service.add_search_attributes(request)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def run_ours(
    client: Client, task_queue: str, scenario: str, *, max_cached_workflows: int = 1000
) -> tuple[list[str], History, str]:
    """Run a scenario with our worker and client: what the parent saw, its history, its ID.

    With ``max_cached_workflows=0`` the worker replays the whole history for every task.
    """
    workflow_id = new_id(f"ours-{scenario}")
    target = ""
    if scenario == "options":
        await declare_search_attribute(client.address)
    async with our_worker(client, task_queue, max_cached_workflows=max_cached_workflows):
        if scenario.startswith("external"):
            target = new_id("target")
            await client.start_workflow(family_app.FamilyChild.run, "wait", id=target, task_queue=task_queue)
        handle = await client.start_workflow(
            family_app.FamilyParent.run, scenario, target, id=workflow_id, task_queue=task_queue
        )
        seen = await handle.result()
    return list(seen), await handle.fetch_history(), workflow_id


async def run_official(address: str, task_queue: str, scenario: str) -> tuple[list[str], History, str]:
    """The same with the official SDK's worker and client."""
    client = await temporalio.client.Client.connect(address)
    workflow_id = new_id(f"official-{scenario}")
    target = ""
    if scenario == "options":
        await declare_search_attribute(address)
    async with official_worker(client, task_queue):
        if scenario.startswith("external"):
            target = new_id("target")
            await client.start_workflow("FamilyChild", "wait", id=target, task_queue=task_queue)
        handle = await client.start_workflow(
            "FamilyParent", args=[scenario, target], id=workflow_id, task_queue=task_queue
        )
        seen = await handle.result()
        history = await handle.fetch_history()
    return [_our_names(line) for line in seen], History(events=list(history.events)), workflow_id


def _our_names(line: str) -> str:
    for official, ours in _OFFICIAL_NAMES.items():
        line = line.replace(f"<-{official}:", f"<-{ours}:")
    return line


def command_events(history: History, workflow_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The events the workflow's commands wrote, in order, with what identifies the run removed."""
    found = []
    for event in history.events:
        if event.event_type not in COMMAND_EVENT_TYPES:
            continue
        found.append((EventType.Name(event.event_type), _attributes(event, workflow_id)))
    return found


def _attributes(event: HistoryEvent, workflow_id: str) -> dict[str, Any]:
    field = event.WhichOneof("attributes")
    if field is None:
        return {}
    attrs = MessageToDict(getattr(event, field))
    if event.event_type in (
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_TIMER_STARTED,
    ):
        # Not what this change is about: the kind of step and its identity are enough.
        keep = {"activityId", "activityType", "timerId", "startToFireTimeout"}
        attrs = {k: v for k, v in attrs.items() if k in keep}
    return {k: _scrub(v, workflow_id) for k, v in attrs.items() if k not in _VOLATILE}


def _scrub(value: Any, workflow_id: str) -> Any:
    """``value`` with the parent's workflow ID and any target's ID replaced by placeholders."""
    if isinstance(value, dict):
        return {k: _scrub(v, workflow_id) for k, v in value.items() if k != "runId"}
    if isinstance(value, list):
        return [_scrub(v, workflow_id) for v in value]
    if isinstance(value, str):
        value = value.replace(workflow_id, "<parent>")
        if value.startswith("Cancel requested by workflow with run id "):
            return "Cancel requested by workflow with run id <run> " + value.split(" ", 8)[-1]
        return "<target>" + value.removeprefix(value.split("-missing")[0]) if value.startswith("target-") else value
    return value
