"""The public names of the workflow and activity modules are a promise: pin them."""

from __future__ import annotations

import sdk
from sdk import activity, worker, workflow


def test_workflow_module_exports() -> None:
    assert sorted(workflow.__all__) == [
        "ActivityCancellationType",
        "ChildWorkflowCancellationType",
        "ChildWorkflowHandle",
        "ContinueAsNewError",
        "ExternalWorkflowHandle",
        "HandlerUnfinishedPolicy",
        "Info",
        "LocalActivityOptions",
        "NondeterminismError",
        "NotInWorkflowError",
        "ParentClosePolicy",
        "ParentInfo",
        "RawValue",
        "ReadOnlyContextError",
        "RetryPolicy",
        "RootInfo",
        "UnfinishedSignalHandlersWarning",
        "UnfinishedUpdateHandlersWarning",
        "UpdateInfo",
        "all_handlers_finished",
        "as_completed",
        "continue_as_new",
        "current_update_info",
        "defn",
        "deprecate_patch",
        "execute_activity",
        "execute_child_workflow",
        "execute_local_activity",
        "execute_local_activity_method",
        "get_external_workflow_handle",
        "get_last_completion_result",
        "get_last_failure",
        "has_last_completion_result",
        "in_workflow",
        "info",
        "is_replaying",
        "logger",
        "memo",
        "memo_value",
        "now",
        "patched",
        "payload_converter",
        "query",
        "random",
        "run",
        "signal",
        "sleep",
        "start_activity",
        "start_child_workflow",
        "start_local_activity",
        "start_local_activity_method",
        "time",
        "time_ns",
        "unsafe",
        "update",
        "upsert_memo",
        "upsert_search_attributes",
        "uuid4",
        "wait",
        "wait_condition",
    ]
    assert all(hasattr(workflow, name) for name in workflow.__all__)


def test_activity_and_worker_exports() -> None:
    assert sorted(activity.__all__) == [
        "Info",
        "LoggerAdapter",
        "NotInActivityError",
        "RawValue",
        "defn",
        "heartbeat",
        "info",
        "is_cancelled",
        "logger",
        "payload_converter",
        "raise_complete_async",
        "shield_thread_cancel_exception",
        "wait_for_cancelled",
        "wait_for_cancelled_sync",
    ]
    assert sorted(worker.__all__) == [
        "ActivityInboundInterceptor",
        "ActivityOutboundInterceptor",
        "ContinueAsNewInput",
        "ExecuteActivityInput",
        "ExecuteWorkflowInput",
        "HandleQueryInput",
        "HandleSignalInput",
        "HandleUpdateInput",
        "Interceptor",
        "NondeterminismError",
        "ReplayResult",
        "ReplayResults",
        "Replayer",
        "RestrictedWorkflowAccessError",
        "SignalChildWorkflowInput",
        "SignalExternalWorkflowInput",
        "StartActivityInput",
        "StartChildWorkflowInput",
        "StartLocalActivityInput",
        "Worker",
        "WorkflowInboundInterceptor",
        "WorkflowInterceptorClassInput",
        "WorkflowOutboundInterceptor",
        "WorkflowTaskError",
    ]
    assert all(hasattr(worker, name) for name in worker.__all__)
    # What a Replayer raises, importable from where users import the Replayer.
    assert worker.NondeterminismError is workflow.NondeterminismError
    assert issubclass(worker.RestrictedWorkflowAccessError, workflow.NondeterminismError)
    assert all(hasattr(activity, name) for name in activity.__all__)
    assert sdk.Worker is worker.Worker
    assert sdk.Replayer is worker.Replayer
    assert sdk.workflow is workflow and sdk.activity is activity


def test_common_module_exports() -> None:
    from sdk import common

    assert sorted(common.__all__) == [
        "SearchAttributeIndexedValueType",
        "SearchAttributeKey",
        "SearchAttributePair",
        "SearchAttributeUpdate",
        "TypedSearchAttributes",
    ]
    assert all(hasattr(common, name) for name in common.__all__)


def test_client_module_exports_every_name_however_it_loads() -> None:
    # Some names load with their module on first use (sdk.client's __getattr__); each is there.
    from sdk import client

    assert all(hasattr(client, name) for name in client.__all__)
    assert set(client.__all__) <= set(dir(client))
    from sdk.client import StartWorkflowOptions, WorkflowHistory, WorkflowUpdateHandle, WorkflowUpdateStage

    assert StartWorkflowOptions.__name__ == "StartWorkflowOptions" and WorkflowHistory.__name__ == "WorkflowHistory"
    assert WorkflowUpdateHandle.__module__ == "sdk._client_update" and WorkflowUpdateStage.COMPLETED == 3


def test_a_client_that_only_reads_loads_no_update_or_history_modules() -> None:
    # What `tempo workflow list` pays for at start-up: the client, not the rest of the SDK.
    import subprocess
    import sys

    script = (
        "import sys; import sdk.client; "
        "print(sorted(m for m in ('sdk._client_update', 'sdk._client_activity', 'sdk._workflow_history', "
        "'sdk._options', 'uuid') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_request_ids_are_random_uuids_as_uuid4_writes_them() -> None:
    import uuid

    from sdk._request_id import request_id

    ids = {request_id() for _ in range(1000)}
    assert len(ids) == 1000
    for text in ids:
        value = uuid.UUID(text)
        assert str(value) == text and value.version == 4 and value.variant == uuid.RFC_4122
