"""workflow.patched and workflow.deprecate_patch: what they record, on both servers, and how
histories written before, with and after a patch replay against each version of the code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import temporalio.client
import temporalio.worker
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk._workflow_definitions import _Definition
from sdk.client import Client
from sdk.converter import DataConverter
from sdk.worker import Replayer, Worker
from sdk.worker import _history as h
from sdk.worker._workflow_instance import WorkflowInstance
from sdk.workflow import NondeterminismError
from tests.sdk import official_patch_app, patch_app
from tests.sdk.conftest import eventually
from tests.sdk.family_runs import command_events, new_id
from tests.sdk.patch_runs import run_official, run_ours

HISTORIES = Path(__file__).parent / "histories"
CommandType = command_type_pb2.CommandType


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "replaying-every-task"])
async def test_a_patch_records_what_the_official_sdk_records_and_each_replays_the_other(
    client: Client, server_address: str, task_queue: str, cached: bool
) -> None:
    ours, our_history, our_id = await run_ours(client, task_queue, patch_app.ShippingV2, cached=cached)
    theirs, their_history, their_id = await run_official(server_address, task_queue + "-official")

    assert ours == theirs == [True, True, {"ShippingTag": ["express"]}, "express", {"shipping": "express"}]
    # Marker details, the TemporalChangeVersion upserts, the memo and search attribute: byte for byte.
    assert command_events(our_history, our_id) == command_events(their_history, their_id)
    markers = [e for e, _ in command_events(our_history, our_id) if e == "EVENT_TYPE_MARKER_RECORDED"]
    assert len(markers) == 2  # the second patched("express") is answered from memory

    assert (await Replayer(workflows=[patch_app.ShippingV2]).replay_workflow(their_history)).completed
    official = temporalio.worker.Replayer(
        workflows=[official_patch_app.ShippingV2], workflow_runner=UnsandboxedWorkflowRunner()
    )
    # Raises if the official SDK finds our history nondeterministic for the same code.
    await official.replay_workflow(temporalio.client.WorkflowHistory(workflow_id=our_id, events=our_history.events))


async def test_a_run_started_before_the_patch_keeps_the_old_path_and_takes_later_patches(
    client: Client, task_queue: str
) -> None:
    workflow_id = new_id("checkout")
    async with Worker(client, task_queue=task_queue, workflows=[patch_app.CheckoutV1]):
        old = await client.start_workflow(patch_app.CheckoutV1.run, id=workflow_id, task_queue=task_queue)

        async def first_task_done() -> bool:
            return len((await old.fetch_history()).events) >= 4

        await eventually(first_task_done)
    # The patched worker has no cache: it replays the first task, which has no marker.
    async with Worker(client, task_queue=task_queue, workflows=[patch_app.CheckoutV2], max_cached_workflows=0):
        await old.signal(patch_app.CheckoutV2.proceed)
        assert await old.result() == [False, False, True]
        new = await client.start_workflow(patch_app.CheckoutV2.run, id=workflow_id + "-new", task_queue=task_queue)
        await new.signal(patch_app.CheckoutV2.proceed)
        assert await new.result() == [True, True, True]


async def test_a_patched_run_is_listed_by_its_change_version(client: Client, task_queue: str) -> None:
    _, _, workflow_id = await run_ours(client, task_queue, patch_app.ShippingV2)

    async def listed(patch: str) -> bool:
        query = f'TemporalChangeVersion = "{patch}" AND WorkflowId = "{workflow_id}"'
        return [w.workflow_id async for w in client.list_workflows(query)] == [workflow_id]

    await eventually(lambda: listed("express"))
    await eventually(lambda: listed("legacy-rates"))
    assert not await listed("gift-wrap")


REPLAYS_THAT_PASS = [
    (patch_app.ShippingV1, "shipping_v1.json"),
    (patch_app.ShippingV2, "shipping_v1.json"),  # patched() is False: the old path
    (patch_app.ShippingV2, "shipping_v2.json"),
    (patch_app.ShippingV2, "shipping_v2_official.json"),
    (patch_app.ShippingV3, "shipping_v2.json"),  # deprecate_patch replays a patched() history
    (patch_app.ShippingV3, "shipping_v2_official.json"),
    (patch_app.ShippingV3, "shipping_v3.json"),
    (patch_app.ShippingV4, "shipping_v3.json"),  # a deprecated marker needs no call
]


@pytest.mark.parametrize(("workflow_class", "history"), REPLAYS_THAT_PASS)
async def test_histories_from_the_real_server_replay_against_compatible_versions(
    workflow_class: type, history: str
) -> None:
    result = await Replayer(workflows=[workflow_class]).replay_workflow(HISTORIES / history)
    assert result.completed


REPLAYS_THAT_FAIL = [
    (
        patch_app.ShippingV1,
        "shipping_v2.json",
        "the workflow produced command START_TIMER (timer_id='1') but history has "
        "MARKER_RECORDED (event 5 patch_id='express')",
    ),
    (
        patch_app.ShippingV4,
        "shipping_v2.json",
        "the workflow produced command MODIFY_WORKFLOW_PROPERTIES (names=['shipping']) but history has "
        "MARKER_RECORDED (event 5 patch_id='express')",
    ),
    (
        patch_app.ShippingRenamed,
        "shipping_v2_official.json",
        "the workflow produced command START_TIMER (timer_id='1') but history has "
        "MARKER_RECORDED (event 5 patch_id='express')",
    ),
    (
        # Deprecated too early: a run from before the patch cannot take the new path.
        patch_app.ShippingV3,
        "shipping_v1.json",
        "the workflow produced command MODIFY_WORKFLOW_PROPERTIES (names=['shipping']) but history has "
        "TIMER_STARTED (event 5 timer_id='1')",
    ),
]


@pytest.mark.parametrize(("workflow_class", "history", "message"), REPLAYS_THAT_FAIL)
async def test_a_patch_removed_or_renamed_too_early_fails_replay_naming_the_patch(
    workflow_class: type, history: str, message: str
) -> None:
    with pytest.raises(NondeterminismError) as caught:
        await Replayer(workflows=[workflow_class]).replay_workflow(HISTORIES / history)
    assert message in str(caught.value)
    if "patch_id='express'" in message:
        assert "keep workflow.patched('express') or workflow.deprecate_patch('express')" in str(caught.value)


def test_the_change_version_upsert_stops_when_the_list_outgrows_a_search_attribute() -> None:
    instance = WorkflowInstance(  # type: ignore[abstract]
        _Definition.from_class(patch_app.ManyPatches),
        namespace="default",
        workflow_id="wf",
        run_id="run-1",
        task_queue="tq",
        converter=DataConverter.default,
    )
    attrs = history.WorkflowExecutionStartedEventAttributes(workflow_type=common.WorkflowType(name="ManyPatches"))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    start = h.StartWorkflow("ManyPatches", [], attrs, now)
    try:
        commands = instance.activate(
            h.Activation(jobs=[start], time=now, started_event_id=3, is_replaying=False, expected_commands=None)
        )
    finally:
        instance.dispose()
    markers = [c for c in commands if c.command_type == CommandType.COMMAND_TYPE_RECORD_MARKER]
    upserts = [c for c in commands if c.command_type == CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]
    assert len(markers) == 200
    # Each upsert lists the patches so far ("patch-000", ... is 12 bytes a name): the core's
    # 2048-byte limit is reached after 170 of them, and the rest go unlisted, as with the core.
    assert len(upserts) == 170
    last = upserts[-1].upsert_workflow_search_attributes_command_attributes.search_attributes
    assert json.loads(last.indexed_fields["TemporalChangeVersion"].data)[-1] == "patch-169"
    assert instance.take_flags_to_record() == [2]
    assert instance.take_flags_to_record() == []  # recorded once, by the task that used it first
