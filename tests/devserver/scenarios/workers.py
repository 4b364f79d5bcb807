"""Workers that run every scenario workflow and activity, and unique ids for a test."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.client import Client
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.devserver.scenarios.activities import ACTIVITIES
from tests.devserver.scenarios.child_workflows import (
    ChildrenParentWorkflow,
    CountdownChildWorkflow,
    EchoChildWorkflow,
    ExternalSignallerWorkflow,
    FailingChildWorkflow,
    PatientChildWorkflow,
    PokeTargetWorkflow,
    SlowToCancelChildWorkflow,
)
from tests.devserver.scenarios.workflows import (
    ActivityTimeoutsWorkflow,
    ActivityTimeoutWorkflow,
    ApprovalWorkflow,
    AsyncCompletionWorkflow,
    BrokenUntilFixedWorkflow,
    CancelActivityWorkflow,
    CancelUnstartedActivityWorkflow,
    CleanupOnCancelWorkflow,
    CollectSignalsWorkflow,
    CountdownWorkflow,
    CounterWorkflow,
    ExhaustRetriesWorkflow,
    FailingOrderWorkflow,
    FlakyWorkflow,
    HeartbeatDetailsWorkflow,
    HeartbeatGiveUpWorkflow,
    HeartbeatWorkflow,
    ListProbeWorkflow,
    LocalActivityWorkflow,
    LocalRetryWorkflow,
    MemoWorkflow,
    OrderWorkflow,
    ParentWorkflow,
    RetriedWorkflow,
    SearchAttributesWorkflow,
    SignalCounterWorkflow,
    SlowFirstTaskWorkflow,
    SlowTaskThenTimerWorkflow,
    StuckActivityWorkflow,
    TimerWorkflow,
    WaitForeverWorkflow,
)

WORKFLOWS = [
    HeartbeatGiveUpWorkflow,
    LocalRetryWorkflow,
    OrderWorkflow,
    ApprovalWorkflow,
    TimerWorkflow,
    WaitForeverWorkflow,
    ListProbeWorkflow,
    CountdownWorkflow,
    HeartbeatWorkflow,
    StuckActivityWorkflow,
    SignalCounterWorkflow,
    CollectSignalsWorkflow,
    FailingOrderWorkflow,
    ActivityTimeoutWorkflow,
    CancelActivityWorkflow,
    LocalActivityWorkflow,
    RetriedWorkflow,
    ExhaustRetriesWorkflow,
    CancelUnstartedActivityWorkflow,
    CleanupOnCancelWorkflow,
    SearchAttributesWorkflow,
    CounterWorkflow,
    ParentWorkflow,
    ActivityTimeoutsWorkflow,
    AsyncCompletionWorkflow,
    MemoWorkflow,
    HeartbeatDetailsWorkflow,
    EchoChildWorkflow,
    FailingChildWorkflow,
    PatientChildWorkflow,
    SlowToCancelChildWorkflow,
    CountdownChildWorkflow,
    ChildrenParentWorkflow,
    PokeTargetWorkflow,
    ExternalSignallerWorkflow,
]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def worker(client: Client, task_queue: str, **kwargs: Any) -> Worker:
    """A worker for every workflow and activity here (FlakyWorkflow runs unsandboxed)."""
    kwargs.setdefault("workflows", WORKFLOWS)
    kwargs.setdefault("activities", ACTIVITIES)
    kwargs.setdefault("graceful_shutdown_timeout", timedelta(seconds=0))
    # The sandbox checks every workflow class when a worker is created (about 1 s for the
    # classes here, per worker); it guards user code's determinism, not the wire, so the
    # servers see exactly the same requests without it.
    kwargs.setdefault("workflow_runner", UnsandboxedWorkflowRunner())
    # Heartbeat often (default: 80% of the heartbeat timeout) so a loaded machine does not
    # turn a live activity into a heartbeat timeout.
    kwargs.setdefault("max_heartbeat_throttle_interval", timedelta(milliseconds=300))
    return Worker(client, task_queue=task_queue, **kwargs)


def flaky_worker(client: Client, task_queue: str) -> Worker:
    """Workflows whose behaviour the tests steer through module-level dicts: unsandboxed."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[FlakyWorkflow, SlowFirstTaskWorkflow, SlowTaskThenTimerWorkflow, BrokenUntilFixedWorkflow],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
