"""Fixed data for snapshot tests: a recorded history and describe/list answers with fixed times.

The app runs with ``connect=False``: no server, no workers. The tests post the same
messages the workers post, so the screens draw exactly what they draw live.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.common.v1 import ActivityType, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import PendingActivityState, WorkflowExecutionStatus
from temporalio.api.failure.v1 import ApplicationFailureInfo, Failure
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.api.workflow.v1 import PendingActivityInfo, WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import CountWorkflowExecutionsResponse, DescribeWorkflowExecutionResponse

from sdk.client import WorkflowCount, WorkflowDescription, WorkflowPage
from sdk.client import WorkflowExecution as Execution
from sdk.converter import DataConverter
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.settings import Settings

HISTORY = Path(__file__).parent / "data" / "order_history.json"
RUN_ID = "01a21362-de44-7160-bd13-36ebc83bff02"
T0 = datetime.datetime(2026, 11, 25, 15, 46, 16, 260000, tzinfo=datetime.UTC)


def app(tmp: Path) -> TempoApp:
    """An app with no connection, times in UTC, the dark theme."""
    tempo = TempoApp("127.0.0.1:7233", "default", connect=False, utc=True, settings=Settings(path=tmp / "tui.json"))
    tempo.theme = "textual-dark"
    return tempo


def history() -> list[HistoryEvent]:
    """The Order workflow's 38 events, recorded from the real dev server."""
    return list(json_format.Parse(HISTORY.read_text(), History()).events)


def _ts(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(T0 + datetime.timedelta(seconds=seconds))
    return ts


def _info(
    workflow_id: str, kind: str, status: int, start: float, close: float | None, length: int
) -> WorkflowExecutionInfo:
    info = WorkflowExecutionInfo(
        execution=WorkflowExecution(workflow_id=workflow_id, run_id=f"run-{workflow_id}"),
        type=WorkflowType(name=kind),
        start_time=_ts(start),
        status=status,  # type: ignore[arg-type]
        history_length=length,
        task_queue="orders",
    )
    if close is not None:
        info.close_time.CopyFrom(_ts(close))
    return info


S = WorkflowExecutionStatus


def page() -> WorkflowPage:
    """A page of seven runs, one of each status."""
    infos = [
        _info("order-7", "Order", S.WORKFLOW_EXECUTION_STATUS_RUNNING, 600, None, 12),
        _info("order-6", "Order", S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, 500, 530, 9),
        _info("order-5", "Order", S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, 400, 410, 14),
        _info("refund-4", "Refund", S.WORKFLOW_EXECUTION_STATUS_TERMINATED, 300, 360, 6),
        _info("order-3", "Order", S.WORKFLOW_EXECUTION_STATUS_COMPLETED, 0, 3.3, 38),
        _info("order-2", "Order", S.WORKFLOW_EXECUTION_STATUS_FAILED, -100, -90, 11),
        _info("order-1", "Order", S.WORKFLOW_EXECUTION_STATUS_CANCELED, -200, -150, 10),
    ]
    converter = DataConverter.default
    return WorkflowPage(executions=[Execution.from_proto(i, converter) for i in infos], next_page_token=b"more")


def compared_runs() -> tuple[Execution, Execution]:
    """Two runs of one workflow ID, as continue-as-new makes them: only their run IDs differ."""
    converter = DataConverter.default
    first = _info("order-3", "Order", S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, 0, 3.3, 38)
    first.execution.run_id = RUN_ID
    second = _info("order-3", "Order", S.WORKFLOW_EXECUTION_STATUS_RUNNING, 3.3, None, 20)
    second.execution.run_id = "01a21362-e1f0-7a31-9c5e-5b0c2d7e4f19"
    return Execution.from_proto(first, converter), Execution.from_proto(second, converter)


def counts() -> WorkflowCount:
    """Counts per status, as a GROUP BY ExecutionStatus answer."""
    converter = DataConverter.default
    groups = []
    for name, count in [
        ("Running", 1),
        ("Completed", 1204),
        ("Failed", 31),
        ("Canceled", 4),
        ("Terminated", 2),
        ("ContinuedAsNew", 9),
        ("TimedOut", 1),
    ]:
        group = CountWorkflowExecutionsResponse.AggregationGroup(count=count)
        group.group_values.append(converter.to_payload(name))
        groups.append(group)
    response = CountWorkflowExecutionsResponse(count=sum(g.count for g in groups), groups=groups)
    return WorkflowCount.from_response(response, converter)


def description(*, running: bool) -> WorkflowDescription:
    """DescribeWorkflowExecution of order-3: closed, or running with a retrying activity."""
    info = _info(
        "order-3",
        "Order",
        S.WORKFLOW_EXECUTION_STATUS_RUNNING if running else S.WORKFLOW_EXECUTION_STATUS_COMPLETED,
        0,
        None if running else 3.3,
        38,
    )
    info.execution.run_id = RUN_ID
    info.memo.fields["owner"].CopyFrom(DataConverter.default.to_payload("ada"))
    response = DescribeWorkflowExecutionResponse(workflow_execution_info=info)
    if running:
        response.pending_activities.append(
            PendingActivityInfo(
                activity_id="7",
                activity_type=ActivityType(name="charge_customer"),
                state=PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
                attempt=3,
                maximum_attempts=5,
                last_failure=Failure(
                    message="card declined (attempt 2)",
                    application_failure_info=ApplicationFailureInfo(type="Declined"),
                ),
                last_heartbeat_time=_ts(2.5),
                next_attempt_schedule_time=_ts(6.0),
                last_worker_identity="4242@laptop",
            )
        )
    return WorkflowDescription.from_response(response, DataConverter.default)
