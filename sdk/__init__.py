"""Tempo's Python SDK: write workflows and activities, run workers, drive them with a client."""

import importlib
from typing import TYPE_CHECKING, Any

# Imported when first named, as the names below: `import sdk._h2_channel` (what the `tempo`
# commands' lean path calls over) must not load the client.
if TYPE_CHECKING:
    from sdk.client import (
        Client,
        RetryPolicy,
        WorkflowDescription,
        WorkflowExecution,
        WorkflowHandle,
        WorkflowIdConflictPolicy,
        WorkflowIdReusePolicy,
        WorkflowStatus,
    )
    from sdk.converter import DataConverter
    from sdk.exceptions import (
        ActivityError,
        ApplicationError,
        CancelledError,
        ChildWorkflowError,
        FailureError,
        RPCError,
        ServerError,
        ServerUnreachableError,
        TempoError,
        TerminatedError,
        TimeoutFailureError,
        WorkflowAlreadyStartedError,
        WorkflowContinuedAsNewError,
        WorkflowFailureError,
        WorkflowNotFoundError,
        WorkflowQueryFailedError,
        WorkflowQueryRejectedError,
    )

__all__ = [
    "ActivityError",
    "ApplicationError",
    "CancelledError",
    "ChildWorkflowError",
    "Client",
    "DataConverter",
    "FailureError",
    "RPCError",
    "RetryPolicy",
    "ServerError",
    "ServerUnreachableError",
    "TempoError",
    "TerminatedError",
    "TimeoutFailureError",
    "WorkflowAlreadyStartedError",
    "WorkflowContinuedAsNewError",
    "WorkflowDescription",
    "WorkflowExecution",
    "WorkflowFailureError",
    "WorkflowHandle",
    "WorkflowIdConflictPolicy",
    "WorkflowIdReusePolicy",
    "WorkflowNotFoundError",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "WorkflowStatus",
]

# Workflow and worker side, imported when first named: a client alone (the `tempo` CLI)
# need not load the worker (sdk.worker imports the modules above).
if TYPE_CHECKING:
    from sdk import activity, workflow
    from sdk.worker import Replayer, Worker

__all__ += ["Replayer", "Worker", "activity", "workflow"]

_LAZY = {
    "activity": "sdk.activity",
    "workflow": "sdk.workflow",
    "Replayer": "sdk.worker",
    "Worker": "sdk.worker",
    "DataConverter": "sdk.converter",
    **dict.fromkeys(
        [
            "Client",
            "RetryPolicy",
            "WorkflowDescription",
            "WorkflowExecution",
            "WorkflowHandle",
            "WorkflowIdConflictPolicy",
            "WorkflowIdReusePolicy",
            "WorkflowStatus",
        ],
        "sdk.client",
    ),
}
_LAZY.update((name, "sdk.exceptions") for name in __all__ if name not in _LAZY and name.endswith("Error"))


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'sdk' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if module.__name__ == f"sdk.{name}" else getattr(module, name)
    globals()[name] = value
    return value
