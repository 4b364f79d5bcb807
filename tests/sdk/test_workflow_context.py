"""What workflow code learns from workflow.info() and changes with upsert_search_attributes
and upsert_memo: on both servers, in replays, and from the instance alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.history.v1 import message_pb2 as history

from sdk import workflow
from sdk._workflow_definitions import _Definition
from sdk.client import Client
from sdk.common import SearchAttributeKey
from sdk.converter import DataConverter
from sdk.worker import Replayer, Worker
from sdk.worker import _history as h
from sdk.worker._workflow_instance import WorkflowInstance, WorkflowTaskError
from sdk.workflow import NotInWorkflowError
from tests.sdk import context_app
from tests.sdk.conftest import eventually
from tests.sdk.family_runs import new_id
from tests.sdk.patch_runs import declare_search_attributes

EventType = event_type_pb2.EventType


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "replaying-every-task"])
async def test_upserts_show_in_info_describe_and_list_queries(client: Client, task_queue: str, cached: bool) -> None:
    await declare_search_attributes(client.address)
    tag = new_id("tag")
    workflow_id = new_id("tagger")
    async with Worker(
        client, task_queue=task_queue, workflows=[context_app.Tagger], max_cached_workflows=1000 if cached else 0
    ):
        handle = await client.start_workflow(context_app.Tagger.run, tag, id=workflow_id, task_queue=task_queue)
        seen = await handle.result()

    assert seen == [{}, ["draft", 1], {"ShippingTag": [tag]}, False, {"stage": "shipped"}, "default"]
    description = await handle.describe()
    assert description.memo == {"stage": "shipped"}
    assert description.search_attributes["ShippingTag"] == tag
    assert "ParcelCount" not in description.search_attributes

    async def listed() -> bool:
        found = [w.workflow_id async for w in client.list_workflows(f'ShippingTag = "{tag}"')]
        return found == [workflow_id]

    await eventually(listed)
    # The upserts are commands: a replay must make them again, and does.
    assert (await Replayer(workflows=[context_app.Tagger]).replay_workflow(await handle.fetch_history())).completed


async def test_info_of_a_retried_child_names_its_parent_attempt_and_last_failure(
    client: Client, task_queue: str
) -> None:
    await declare_search_attributes(client.address)
    parent_id, child_id = new_id("info-parent"), new_id("info-child")
    async with Worker(client, task_queue=task_queue, workflows=[context_app.InfoParent, context_app.InfoReporter]):
        parent = await client.start_workflow(context_app.InfoParent.run, child_id, id=parent_id, task_queue=task_queue)
        report, reported_parent_id, parent_run_id = await parent.result()
    child_history = await client.get_workflow_handle(child_id).fetch_history()
    last_task = [e for e in child_history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED][-1]

    assert reported_parent_id == parent_id
    assert report == {
        "attempt": 2,
        "parent": [parent_id, parent_run_id, "default"],
        "root": [parent_id, parent_run_id],
        "history_length": last_task.event_id,
        "history_size": last_task.workflow_task_started_event_attributes.history_size_bytes,
        "continue_as_new_suggested": False,
        "cron_schedule": None,
        "search_attributes": {"ShippingTag": ["child"]},
        "memo": {"customer": "ann"},
        "last_failure": "first attempt broke",
        "has_last_completion_result": False,
        "retry_maximum_attempts": 2,
        "task_timeout": 10.0,
    }
    assert report["history_size"] > 0


def _instance(cls: type) -> WorkflowInstance:
    return WorkflowInstance(  # type: ignore[abstract]
        _Definition.from_class(cls),
        namespace="default",
        workflow_id="wf",
        run_id="run-1",
        task_queue="tq",
        converter=DataConverter.default,
    )


def _start(attrs: history.WorkflowExecutionStartedEventAttributes, **activation: object) -> h.Activation:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    job = h.StartWorkflow(attrs.workflow_type.name, [], attrs, now)
    return h.Activation(
        jobs=[job], time=now, started_event_id=3, is_replaying=False, expected_commands=None, **activation
    )  # type: ignore[arg-type]


def test_a_cron_run_sees_its_schedule_the_last_result_and_the_servers_suggestion() -> None:
    attrs = history.WorkflowExecutionStartedEventAttributes(
        workflow_type=common.WorkflowType(name="InfoEcho"),
        cron_schedule="*/5 * * * *",
        last_completion_result=common.Payloads(payloads=[DataConverter.default.to_payload({"shipped": 3})]),
    )
    instance = _instance(context_app.InfoEcho)
    try:
        commands = instance.activate(_start(attrs, continue_as_new_suggested=True, history_size_bytes=1234))
    finally:
        instance.dispose()
    result = commands[-1].complete_workflow_execution_command_attributes.result.payloads[0]
    assert DataConverter.default.from_payload(result) == ["*/5 * * * *", True, {"shipped": 3}, True, 1234, 3]


def test_search_attributes_in_the_dict_form_fail_the_task_with_a_clear_message() -> None:
    attrs = history.WorkflowExecutionStartedEventAttributes(workflow_type=common.WorkflowType(name="BadUpsert"))
    instance = _instance(context_app.BadUpsert)
    try:
        with pytest.raises(WorkflowTaskError, match=r"a list of key\.value_set"):
            instance.activate(_start(attrs))
    finally:
        instance.dispose()


def test_typed_keys_refuse_values_of_another_type_and_context_calls_need_a_workflow() -> None:
    with pytest.raises(TypeError, match="search attribute 'ParcelCount' is Int; 'three' is not a valid value"):
        context_app.PARCEL_COUNT.value_set("three")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a timezone"):
        SearchAttributeKey.for_datetime("ShipBy").value_set(datetime(2026, 1, 1))
    with pytest.raises(NotInWorkflowError):
        workflow.patched("express")
    with pytest.raises(NotInWorkflowError):
        workflow.upsert_memo({"a": 1})
