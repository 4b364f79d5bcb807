"""Per-workflow time skipping on the wire, against both servers (issue 19): what the history
and DescribeWorkflowExecution record, and how a bad config is refused. The real dev server
1.9.1 has the feature only with `frontend.WorkflowTimeSkippingEnabled=true`; Tempo has it on
unless that key is false."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
from google.protobuf import duration_pb2, field_mask_pb2
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import EventType, time_skipping_pb2
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import TimeSkipper, TimeSkippingConfig
from temporalio.worker import Worker

from tests.devserver.compat import server_pair
from tests.inprocess import config_from_flags, tempo_in_process
from tests.timeskipping.per_workflow_apps import (
    HOUR,
    REAL_FLAGS,
    Sleeper,
    SleepThenChild,
    SleepThenContinue,
    first_event,
    wait_for_event,
    wait_for_timer,
)

PollResult = time_skipping_pb2.FastForwardPollingResult
TRANSITIONED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIME_SKIPPING_TRANSITIONED


async def _history_facts(address: str) -> dict[str, object]:
    """Run a one-hour sleeper under a TimeSkipper; what its history and describe show."""
    client = await Client.connect(address)
    skipper = TimeSkipper(client)
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[Sleeper]):
        handle = await skipper.client.start_workflow(Sleeper.run, HOUR, id=f"ts-{uuid.uuid4()}", task_queue=task_queue)
        elapsed = await handle.result()
    events = [event async for event in handle.fetch_history_events()]
    started = events[0].workflow_execution_started_event_attributes
    timer_started = next(e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED)
    moved = next(e for e in events if e.event_type == TRANSITIONED)
    jump = moved.workflow_execution_time_skipping_transitioned_event_attributes
    info = await skipper.get_time_skipping_info(handle)
    assert info is not None
    return {
        "types": [EventType.Name(e.event_type) for e in events],
        "elapsed about an hour": abs(elapsed - HOUR) < 5,
        "started config": started.time_skipping_config,
        "jump to the timer": abs(
            (jump.target_time.ToDatetime() - timer_started.event_time.ToDatetime()) - timedelta(hours=1)
        )
        < timedelta(seconds=1),
        "jump attributes": (jump.disabled_after_fast_forward, jump.HasField("wall_clock_time")),
        "may ignore": moved.worker_may_ignore,
        "effective config": info.effective_config,
        "describe shows fast-forward info": info.HasField("fast_forward_info"),
    }


async def _refusals(address: str) -> list[tuple[str, str]]:
    client = await Client.connect(address)
    configs = [
        common.TimeSkippingConfig(
            enabled=False,
            fast_forward_config=common.FastForwardConfig(id="f", duration=duration_pb2.Duration(seconds=60)),
        ),
        common.TimeSkippingConfig(
            enabled=True, fast_forward_config=common.FastForwardConfig(duration=duration_pb2.Duration(seconds=60))
        ),
        common.TimeSkippingConfig(enabled=True, fast_forward_config=common.FastForwardConfig(id="f")),
    ]
    answers = []
    for config in configs:
        request = wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=f"bad-{uuid.uuid4()}",
            workflow_type=common.WorkflowType(name="Sleeper"),
            task_queue=taskqueue.TaskQueue(name="nobody"),
            request_id=str(uuid.uuid4()),
            time_skipping_config=config,
        )
        with pytest.raises(RPCError) as refused:
            await client.workflow_service.start_workflow_execution(request)
        answers.append((refused.value.status.name, refused.value.message))
    return answers


async def _fast_forward_facts(address: str) -> dict[str, object]:
    """A running workflow without a config, fast-forwarded by an hour; and polls for another id."""
    client = await Client.connect(address)
    skipper = TimeSkipper(client)
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[Sleeper]):
        handle = await client.start_workflow(Sleeper.run, 3 * HOUR, id=f"ff-{uuid.uuid4()}", task_queue=task_queue)
        await wait_for_timer(handle)
        before = await skipper.get_time_skipping_info(handle)
        completed = await skipper.fast_forward(handle, timedelta(hours=1))
        info = await skipper.get_time_skipping_info(handle)
        assert info is not None
        poll = await client.workflow_service.poll_workflow_execution_time_skipping(
            wsv1.PollWorkflowExecutionTimeSkippingRequest(
                namespace="default",
                workflow_execution=common.WorkflowExecution(workflow_id=handle.id),
                fast_forward_id="not-this-one",
            )
        )
        config = info.effective_config
        config.fast_forward_config.ClearField("id")  # a random uuid
        events = [event async for event in handle.fetch_history_events()]
        await handle.terminate()
    updated = next(e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED)
    attrs = updated.workflow_execution_options_updated_event_attributes
    attrs.time_skipping_config.fast_forward_config.ClearField("id")
    attrs.ClearField("identity")
    moved = [
        e.workflow_execution_time_skipping_transitioned_event_attributes for e in events if e.event_type == TRANSITIONED
    ]
    return {
        "info before": before,
        "completed": completed,
        "effective config": config,
        "options updated": attrs,
        "jumps": [jump.disabled_after_fast_forward for jump in moved],
        "poll for another id": (PollResult.Name(poll.fast_forward_polling_result), poll.failed_reason),
    }


async def _chain_facts(address: str) -> dict[str, object]:
    """A chain of two runs (continue-as-new) fast-forwarded past the first run's timer: the
    fast-forward completes in the second run, which goes on from the time the first skipped."""
    client = await Client.connect(address)
    skipper = TimeSkipper(client)
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[SleepThenContinue]):
        first = await client.start_workflow(
            SleepThenContinue.run, args=[HOUR / 2, 1, 0.0], id=f"chain-{uuid.uuid4()}", task_queue=task_queue
        )
        await wait_for_timer(first)
        completed = await skipper.fast_forward(first, timedelta(minutes=45))
        current = client.get_workflow_handle(first.id)
        started = await first_event(current)
        info = await skipper.get_time_skipping_info(current)
        await current.terminate()
    attrs = started.workflow_execution_started_event_attributes
    carried = attrs.time_skipping_state_propagation
    assert info is not None
    return {
        "completed": completed,
        "continued": bool(attrs.continued_execution_run_id),
        "config enabled": attrs.time_skipping_config.enabled,
        "skipped about half an hour": abs(carried.initial_skipped_duration.ToTimedelta() - timedelta(minutes=30))
        < timedelta(seconds=2),
        "skips": carried.initial_skip_count,
        "target carried": carried.HasField("fast_forward_target_time"),
        "enabled after": info.effective_config.enabled,
    }


async def _child_facts(address: str, disable_propagation: bool) -> dict[str, object]:
    """A skipping parent's child: it starts at the parent's time and, unless the parent disabled
    propagation, skips time too."""
    client = await Client.connect(address)
    skipper = TimeSkipper(client, config=TimeSkippingConfig(disable_propagation=disable_propagation))
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[SleepThenChild, Sleeper]):
        parent = await skipper.client.start_workflow(
            SleepThenChild.run, HOUR, id=f"parent-{uuid.uuid4()}", task_queue=task_queue
        )
        child = client.get_workflow_handle(f"{parent.id}-child")
        if not disable_propagation:
            await parent.result()
        else:
            await wait_for_event(parent, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
            await wait_for_timer(child)
        initiated_event = await first_event(parent, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
        initiated = initiated_event.start_child_workflow_execution_initiated_event_attributes
        started = (await first_event(child)).workflow_execution_started_event_attributes
        info = await skipper.get_time_skipping_info(child)
        if disable_propagation:
            await parent.terminate()
    assert info is not None
    skipped = started.time_skipping_state_propagation.initial_skipped_duration.ToTimedelta()
    return {
        "initiated config": initiated.time_skipping_config,
        "child config": started.time_skipping_config,
        "child skipped the parent's hour": abs(skipped - timedelta(hours=1)) < timedelta(seconds=1),
        "child info has config": info.HasField("effective_config"),
    }


async def test_time_skipping_recorded_as_on_the_real_server() -> None:
    async with server_pair(*REAL_FLAGS) as (tempo, real):
        assert await _history_facts(tempo) == await _history_facts(real)
        ours, theirs = await _fast_forward_facts(tempo), await _fast_forward_facts(real)
        assert ours == theirs
        assert ours["completed"] is True
        assert await _refusals(tempo) == await _refusals(real)
        chain = await _chain_facts(tempo)
        assert chain == await _chain_facts(real)
        assert chain["completed"] is True and chain["target carried"] is True
        for disable_propagation in (False, True):
            child = await _child_facts(tempo, disable_propagation)
            assert child == await _child_facts(real, disable_propagation)
            assert child["child info has config"] is not disable_propagation


async def test_without_the_feature_both_servers_answer_unimplemented(real_address: str) -> None:
    flags = ["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=false"]
    async with tempo_in_process(config_from_flags(flags)) as tempo:
        answers = []
        for address in (tempo, real_address):
            client = await Client.connect(address)
            handle = await client.start_workflow("Sleeper", HOUR, id=f"off-{uuid.uuid4()}", task_queue="nobody")
            request = wsv1.UpdateWorkflowExecutionOptionsRequest(
                namespace="default",
                workflow_execution=common.WorkflowExecution(workflow_id=handle.id),
                workflow_execution_options=workflow_pb.WorkflowExecutionOptions(
                    time_skipping_config=common.TimeSkippingConfig(enabled=True)
                ),
                update_mask=field_mask_pb2.FieldMask(paths=["time_skipping_config"]),
            )
            with pytest.raises(RPCError) as refused:
                await client.workflow_service.update_workflow_execution_options(request)
            answers.append((refused.value.status, refused.value.message))
            await handle.terminate()
        assert answers[0] == answers[1]
        assert answers[0][0].name == grpc.StatusCode.UNIMPLEMENTED.name
