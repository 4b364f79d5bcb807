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
        "NondeterminismError",
        "NotInWorkflowError",
        "ParentClosePolicy",
        "RawValue",
        "ReadOnlyContextError",
        "RetryPolicy",
        "UnfinishedSignalHandlersWarning",
        "UnfinishedUpdateHandlersWarning",
        "UpdateInfo",
        "all_handlers_finished",
        "continue_as_new",
        "current_update_info",
        "defn",
        "execute_activity",
        "execute_child_workflow",
        "get_external_workflow_handle",
        "in_workflow",
        "info",
        "is_replaying",
        "logger",
        "now",
        "payload_converter",
        "query",
        "random",
        "run",
        "signal",
        "sleep",
        "start_activity",
        "start_child_workflow",
        "update",
        "uuid4",
        "wait_condition",
    ]
    assert all(hasattr(workflow, name) for name in workflow.__all__)


def test_activity_and_worker_exports() -> None:
    assert sorted(activity.__all__) == [
        "Info",
        "NotInActivityError",
        "defn",
        "heartbeat",
        "info",
        "is_cancelled",
    ]
    assert sorted(worker.__all__) == ["ReplayResult", "Replayer", "Worker"]
    assert sdk.Worker is worker.Worker
    assert sdk.Replayer is worker.Replayer
    assert sdk.workflow is workflow and sdk.activity is activity
