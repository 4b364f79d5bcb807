"""UpdateWorkflowExecutionOptions: the options a client sets on a running workflow (its
versioning override, priority and time-skipping config) and the WorkflowExecutionOptionsUpdated
event that records them."""

from __future__ import annotations

from google.protobuf import field_mask_pb2
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core import time_skipping
from devserver.core.changes import Changes
from devserver.core.mutable_state import EventType, MutableState, new_event
from devserver.errors import FailedPrecondition, InvalidArgument, WorkflowClosed

OPTION_PATHS = ("versioning_override", "priority", "time_skipping_config")


def check_mask(mask: field_mask_pb2.FieldMask) -> list[str]:
    """The options the mask names (a sub-field counts as its option); INVALID_ARGUMENT as the real server."""
    named = []
    for path in mask.paths:
        top = path.split(".", 1)[0]
        if top not in OPTION_PATHS:
            raise InvalidArgument(
                f'error parsing UpdateMask: proto: invalid path "{path}" for message '
                f'"temporal.api.workflow.v1.WorkflowExecutionOptions"'
            )
        named.append(top)
    return named


def check_pinned(override: workflow_pb.VersioningOverride, task_queue: str) -> None:
    """A pinned (or one-time) override names a version whose workers poll the task queue: Tempo has no
    worker deployments, so, as on a real server where no such worker ever polled, none is."""
    if override.HasField("pinned"):
        version = override.pinned.version
    elif override.HasField("one_time"):
        version = override.one_time.target_deployment_version
    else:
        return
    raise FailedPrecondition(
        f"Pinned version '{version.deployment_name}:{version.build_id}' is not present in task queue "
        f"'{task_queue}' of type 'Workflow'"
    )


def options_of(state: MutableState) -> workflow_pb.WorkflowExecutionOptions:
    """The run's options as UpdateWorkflowExecutionOptions answers them."""
    options = workflow_pb.WorkflowExecutionOptions()
    if state.versioning_override is not None and state.versioning_override.ByteSize():
        options.versioning_override.CopyFrom(state.versioning_override)
    if state.started_attributes.HasField("priority"):
        options.priority.CopyFrom(state.started_attributes.priority)
    if state.time_skipping is not None:
        options.time_skipping_config.CopyFrom(state.time_skipping.config)
    return options


def update_options(
    state: MutableState,
    ch: Changes,
    requested: workflow_pb.WorkflowExecutionOptions,
    paths: list[str],
    identity: str,
    default_max_skips: int,
) -> workflow_pb.WorkflowExecutionOptions:
    """Apply the named options; a WorkflowExecutionOptionsUpdated event records the result.

    Like the real server, an empty mask changes nothing and writes no event. The event names
    the resulting override (or that there is none), the priority and the time-skipping config.
    """
    if not state.running:
        raise WorkflowClosed()
    if not paths:
        return options_of(state)
    if "versioning_override" in paths:
        # An unset keeps an empty override: the run had one (describe shows empty versioning info).
        state.versioning_override = workflow_pb.VersioningOverride()
        state.versioning_override.CopyFrom(requested.versioning_override)
    if "priority" in paths:
        state.started_attributes.priority.CopyFrom(requested.priority)
    if "time_skipping_config" in paths:
        config = time_skipping.effective(requested.time_skipping_config, default_max_skips)
        time_skipping.set_config(state, ch.now, config)
    attrs = history.WorkflowExecutionOptionsUpdatedEventAttributes(identity=identity)
    if state.versioning_override is not None and state.versioning_override.ByteSize():
        attrs.versioning_override.CopyFrom(state.versioning_override)
    else:
        attrs.unset_versioning_override = True
    if state.started_attributes.HasField("priority"):
        attrs.priority.CopyFrom(state.started_attributes.priority)
    if state.time_skipping is not None:
        attrs.time_skipping_config.CopyFrom(state.time_skipping.config)
        attrs.time_skipping_config_updated = "time_skipping_config" in paths
    event = new_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED, ch.now, attrs)
    event.worker_may_ignore = True
    if state.workflow_task_started:
        # Written after the running workflow task, like any event from outside the workflow.
        state.buffered_events.append(event)
    else:
        state.write_events(ch, [event])
    return options_of(state)
