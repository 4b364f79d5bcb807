"""Batch jobs on the pending activities of many workflows (StartBatchOperation with an unpause,
reset or update-activity-options operation), on both servers: the same refusals, the same job
counts, and the same paused flags and options on each workflow's activities afterwards."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from temporalio.api.activity.v1 import ActivityOptions
from temporalio.api.batch.v1 import message_pb2 as batch_pb
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from tests.devserver.activity_batch_app import (
    heartbeat_timeouts,
    pause,
    paused,
    pending_activities,
    stalled_runs,
    wait_pending,
)
from tests.devserver.batch_helpers import finished_job, job_summary, start_job, wait_visible

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

UNPAUSE = batch_pb.BatchOperationUnpauseActivities
RESET = batch_pb.BatchOperationResetActivities
UPDATE = batch_pb.BatchOperationUpdateActivityOptions
HEARTBEAT_30S = ActivityOptions(heartbeat_timeout=Duration(seconds=30))


def _start(**fields: Any) -> wsv1.StartBatchOperationRequest:
    return wsv1.StartBatchOperationRequest(
        namespace="default", job_id="j", reason="r", visibility_query="WorkflowType='x'", **fields
    )


BAD_STARTS = [
    (_start(unpause_activities_operation=UNPAUSE()), "activity filter must be set"),
    (
        _start(unpause_activities_operation=UNPAUSE(type="")),
        "Either activity type must be set, or match all should be set to true",
    ),
    (
        _start(unpause_activities_operation=UNPAUSE(match_all=False)),
        "Either activity type must be set, or match all should be set to true",
    ),
    (_start(reset_activities_operation=RESET()), "must provide ActivityType or MatchAll"),
    (
        _start(reset_activities_operation=RESET(match_all=False)),
        "Either activity type must be set, or match all should be set to true",
    ),
    (
        _start(update_activity_options_operation=UPDATE(match_all=True)),
        "Either activity type must be set, or restore original should be set to true",
    ),
    (
        _start(
            update_activity_options_operation=UPDATE(
                match_all=True, activity_options=HEARTBEAT_30S, restore_original=True
            )
        ),
        "cannot set both activity options and restore original",
    ),
    (
        _start(update_activity_options_operation=UPDATE(type="", restore_original=True)),
        "Either activity type must be set, or match all should be set to true",
    ),
]


@pytest.mark.parametrize("request_, message", BAD_STARTS, ids=lambda v: v if isinstance(v, str) else None)
async def test_bad_activity_batches_refused_as_the_real_server_refuses_them(
    server_address: str, request_: wsv1.StartBatchOperationRequest, message: str
) -> None:
    client = await Client.connect(server_address)
    with pytest.raises(RPCError) as raised:
        await client.workflow_service.start_batch_operation(request_)
    assert (raised.value.status, raised.value.message) == (RPCStatusCode.INVALID_ARGUMENT, message)


async def _run_job(client: Client, query: str, **operation: Any) -> dict[str, Any]:
    job_id = str(uuid.uuid4())
    await start_job(
        client,
        wsv1.StartBatchOperationRequest(
            namespace="default", job_id=job_id, reason="ops", visibility_query=query, **operation
        ),
    )
    return job_summary(await finished_job(client, job_id))


async def test_unpause_every_activity_of_the_matching_running_workflows(server_address: str) -> None:
    client = await Client.connect(server_address)
    kind = f"Unpause{uuid.uuid4().hex[:6]}"
    async with stalled_runs(client, kind, 4) as ids:
        await pause(client, ids[0], "charge")
        await pause(client, ids[0], "ship")
        await pause(client, ids[1], "charge")
        await client.get_workflow_handle(ids[3]).terminate("closed before the job")
        query = f"WorkflowType='{kind}'"
        await wait_visible(client, f"{query} AND ExecutionStatus='Running'", 3)
        assert await paused(client, ids[:3]) == [["charge", "ship"], ["charge"], []]
        job = await _run_job(client, query, unpause_activities_operation=UNPAUSE(identity="unpauser", match_all=True))
        # Only running workflows are reached; one with nothing paused counts as done too.
        assert job == {
            "operationType": "BATCH_OPERATION_TYPE_UNPAUSE_ACTIVITY",
            "state": "BATCH_OPERATION_STATE_COMPLETED",
            "totalOperationCount": "3",
            "completeOperationCount": "3",
            "identity": "unpauser",
            "reason": "ops",
            "query": query,
        }
        assert await paused(client, ids[:3]) == [[], [], []]
        for workflow_id in ids[:3]:
            states = {a: info.state for a, info in (await pending_activities(client, workflow_id)).items()}
            assert set(states.values()) == {PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED}


async def test_unpause_one_activity_type_where_it_is_paused(server_address: str) -> None:
    """By type, the job reaches only the matching runs where an activity of that type is
    paused (found by the TemporalPauseInfo search attribute, which follows the pauses)."""
    client = await Client.connect(server_address)
    tag = uuid.uuid4().hex[:6]
    kind, charge, ship = f"ByType{tag}", f"charge{tag}", f"ship{tag}"
    async with stalled_runs(client, kind, 3, activity_types=[charge, ship]) as ids:
        await pause(client, ids[0], charge)
        await pause(client, ids[0], ship)
        await pause(client, ids[1], ship)
        await wait_visible(client, f"TemporalPauseInfo = 'property:activityType={charge}'", 1)
        await wait_visible(client, f"TemporalPauseInfo = 'property:activityType={ship}'", 2)
        await wait_visible(client, f"WorkflowType='{kind}' AND TemporalPauseInfo IS NOT NULL", 2)
        elsewhere = await _run_job(
            client, "WorkflowType='matches-nothing'", unpause_activities_operation=UNPAUSE(type=charge)
        )
        assert "totalOperationCount" not in elsewhere  # none: the request's query still applies
        query = f"WorkflowType='{kind}'"
        job = await _run_job(client, query, unpause_activities_operation=UNPAUSE(type=charge))
        assert (job["totalOperationCount"], job["completeOperationCount"], job["query"]) == ("1", "1", query)
        assert await paused(client, ids) == [[ship], [ship], []]
        await wait_visible(client, f"TemporalPauseInfo = 'property:activityType={charge}'", 0)
        await wait_visible(client, f"TemporalPauseInfo = 'property:activityType={ship}'", 2)
        # Nothing paused any more: no attribute at all.
        await _run_job(client, query, unpause_activities_operation=UNPAUSE(match_all=True))
        await wait_visible(client, f"WorkflowType='{kind}' AND TemporalPauseInfo IS NOT NULL", 0)


async def test_reset_and_update_the_options_of_every_activity(server_address: str) -> None:
    client = await Client.connect(server_address)
    kind = f"Options{uuid.uuid4().hex[:6]}"
    async with stalled_runs(client, kind, 2) as ids:
        await pause(client, ids[0], "charge")
        query = f"WorkflowType='{kind}'"
        await wait_visible(client, query, 2)
        every = {"charge": 30.0, "ship": 30.0}

        updated = await _run_job(
            client,
            query,
            update_activity_options_operation=UPDATE(
                match_all=True, activity_options=HEARTBEAT_30S, update_mask=FieldMask(paths=["heartbeat_timeout"])
            ),
        )
        assert (updated["operationType"], updated["completeOperationCount"]) == (
            "BATCH_OPERATION_TYPE_UPDATE_ACTIVITY_OPTIONS",
            "2",
        )
        assert [heartbeat_timeouts(await pending_activities(client, w)) for w in ids] == [every, every]
        assert await paused(client, ids) == [["charge"], []]  # new options leave a pause as it is

        kept = await _run_job(
            client,
            query,
            reset_activities_operation=RESET(match_all=True, keep_paused=True, restore_original_options=True),
        )
        assert (kept["operationType"], kept["completeOperationCount"]) == ("BATCH_OPERATION_TYPE_RESET_ACTIVITY", "2")
        original = {"charge": 0.0, "ship": 0.0}
        assert [heartbeat_timeouts(await pending_activities(client, w)) for w in ids] == [original, original]
        assert await paused(client, ids) == [["charge"], []]

        await _run_job(client, query, reset_activities_operation=RESET(type="charge"))
        assert await paused(client, ids) == [[], []]  # a reset unpauses unless told to keep paused

        await _run_job(
            client,
            query,
            update_activity_options_operation=UPDATE(
                type="ship", activity_options=HEARTBEAT_30S, update_mask=FieldMask(paths=["heartbeat_timeout"])
            ),
        )
        only_ship = {"charge": 0.0, "ship": 30.0}
        assert [heartbeat_timeouts(await pending_activities(client, w)) for w in ids] == [only_ship, only_ship]
        # With a mask, if an empty one: the real server's batcher crashes without one.
        restored = await _run_job(
            client,
            query,
            update_activity_options_operation=UPDATE(match_all=True, restore_original=True, update_mask=FieldMask()),
        )
        assert restored["completeOperationCount"] == "2"
        for workflow_id in ids:
            await wait_pending(client, workflow_id, lambda pending: heartbeat_timeouts(pending) == original)

        # Options a workflow's activities cannot take fail the job for that workflow, not the job.
        bad = ActivityOptions()
        bad.retry_policy.backoff_coefficient = 0.5
        failed = await _run_job(
            client,
            query,
            update_activity_options_operation=UPDATE(
                match_all=True, activity_options=bad, update_mask=FieldMask(paths=["retry_policy.backoff_coefficient"])
            ),
        )
        assert failed["state"] == "BATCH_OPERATION_STATE_COMPLETED"
        assert (
            failed["totalOperationCount"],
            failed.get("completeOperationCount"),
            failed["failureOperationCount"],
        ) == (
            "2",
            None,
            "2",
        )
