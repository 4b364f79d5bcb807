"""What DescribeWorkflowExecution and ListWorkflowExecutions report about a run: read-only views."""

from __future__ import annotations

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.enums.v1 import workflow_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core import activities, pause
from devserver.core.mutable_state import MutableState, task_queue_message
from devserver.core.protos import duration, seconds_of, set_duration, set_timestamp, timestamp, with_value_names

PendingWorkflowTaskState = with_value_names(wf_enums.PendingWorkflowTaskState)


def describe(state: MutableState, started_event: history.HistoryEvent | None) -> wsv1.DescribeWorkflowExecutionResponse:
    """DescribeWorkflowExecution's answer; `started_event` is the run's first event (its user
    metadata is the static summary and details given at start)."""
    started = state.started_attributes
    response = wsv1.DescribeWorkflowExecutionResponse()
    config = response.execution_config
    config.task_queue.CopyFrom(task_queue_message(state.task_queue))
    if seconds_of(started.workflow_execution_timeout):
        config.workflow_execution_timeout.CopyFrom(started.workflow_execution_timeout)
    if started.HasField("workflow_run_timeout"):  # a child's is there even when zero
        config.workflow_run_timeout.CopyFrom(started.workflow_run_timeout)
    config.default_workflow_task_timeout.CopyFrom(duration(state.task_timeout))
    if started_event is not None and started_event.HasField("user_metadata"):
        config.user_metadata.CopyFrom(started_event.user_metadata)
    response.workflow_execution_info.CopyFrom(execution_info(state))
    _pending(response, state)
    extended = response.workflow_extended_info
    if started_event is not None:  # a reset run starts later than its history (core.reset)
        extended.original_start_time.CopyFrom(started_event.event_time)
    else:
        extended.original_start_time.CopyFrom(timestamp(state.start_time))
    if state.last_reset_time:
        extended.last_reset_time.CopyFrom(timestamp(state.last_reset_time))
    extended.reset_run_id = state.reset_run_id
    extended.cancel_requested = state.cancel_requested
    if state.execution_deadline is not None:
        extended.execution_expiration_time.CopyFrom(timestamp(state.execution_deadline))
    if state.run_deadline is not None:
        extended.run_expiration_time.CopyFrom(timestamp(state.run_deadline))
    paused = pause.pause_info(state)
    if paused is not None:
        extended.pause_info.CopyFrom(paused)
    return response


def _pending(response: wsv1.DescribeWorkflowExecutionResponse, state: MutableState) -> None:
    """The run's pending activities, children and workflow task."""
    for info in state.activities.values():
        response.pending_activities.append(activities.pending_info(info))
    for child in state.children.values():
        response.pending_children.append(
            workflow_pb.PendingChildExecutionInfo(
                workflow_id=child.workflow_id,
                run_id=child.run_id,
                workflow_type_name=child.initiated.workflow_type.name,
                initiated_id=child.initiated_event_id,
                parent_close_policy=child.initiated.parent_close_policy,
            )
        )
    task = state.workflow_task
    if task is not None:
        pending = response.pending_workflow_task
        # Built, not assigned: `.state =` is how an entity's lifecycle state is written, and
        # only core.lifecycles writes one (tests/devserver/test_one_door.py checks).
        pending.CopyFrom(
            workflow_pb.PendingWorkflowTaskInfo(
                state=PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
                if task.started
                else PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED
            )
        )
        pending.scheduled_time.CopyFrom(timestamp(task.scheduled_time))
        pending.original_scheduled_time.CopyFrom(timestamp(task.scheduled_time))
        pending.attempt = task.attempt
        if task.started:
            pending.started_time.CopyFrom(timestamp(task.started_time))


def execution_info(state: MutableState) -> workflow_pb.WorkflowExecutionInfo:
    info = workflow_pb.WorkflowExecutionInfo(
        status=state.visible_status,  # type: ignore[arg-type]
        history_length=state.next_event_id - 1,
        memo=state.memo,
        search_attributes=state.search_attributes,
        task_queue=state.task_queue,
        state_transition_count=state.state_transitions,
        history_size_bytes=state.history_size_bytes,
        first_run_id=state.first_execution_run_id,
    )
    # Times set in place (no Timestamp made and copied in): every run put to rest has its info made.
    set_timestamp(info.start_time, state.start_time)
    set_timestamp(info.execution_time, state.start_time + state.first_wft_backoff)
    info.execution.workflow_id = state.key.workflow_id
    info.execution.run_id = state.key.run_id
    info.type.name = state.workflow_type
    info.auto_reset_points.CopyFrom(state.auto_reset_points)
    info.priority.CopyFrom(state.started_attributes.priority)
    started = state.started_attributes
    if started.parent_workflow_execution.workflow_id:
        info.parent_namespace_id = started.parent_workflow_namespace_id
        info.parent_execution.CopyFrom(started.parent_workflow_execution)
    if started.root_workflow_execution.workflow_id:
        info.root_execution.CopyFrom(started.root_workflow_execution)
    else:
        info.root_execution.workflow_id = state.key.workflow_id
        info.root_execution.run_id = state.key.run_id
    if state.versioning_override is not None:
        # Once an override was set, the real server shows versioning info, empty after an unset.
        info.versioning_info.SetInParent()
    if state.versioning_override is not None and state.versioning_override.ByteSize():
        override = info.versioning_info.versioning_override
        override.CopyFrom(state.versioning_override)
        if override.auto_upgrade:
            # The deprecated behavior field is filled in too, as the real server does.
            override.behavior = workflow_pb2.VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE
    if state.close_time is not None:
        set_timestamp(info.close_time, state.close_time)
        set_duration(info.execution_duration, max(0.0, state.close_time - state.start_time))
    return info
