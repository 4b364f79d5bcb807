"""Auto-reset points: where a run could be reset to, as DescribeWorkflowExecution reports them.

Like the real server, the first workflow task each worker build completes in a run is a
point (`auto_reset_points` of the run's info); a point is resettable unless the run had
children, signals or cancels to other workflows pending then. A run that continues as new
starts with its predecessor's points (`prev_auto_reset_points` of its started event). No
history event is written.
"""

from __future__ import annotations

from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core.mutable_state import MutableState
from devserver.core.protos import timestamp

# The real server's history.maxAutoResetPoints default.
MAX_AUTO_RESET_POINTS = 20


def record(state: MutableState, completed_event_id: int, build_id: str, now: float) -> None:
    """A workflow task completed (event `completed_event_id`) by a worker with `build_id`."""
    points = state.auto_reset_points.points
    if any(point.build_id == build_id and not point.binary_checksum for point in points):
        return
    points.append(
        workflow_pb.ResetPointInfo(
            build_id=build_id,
            run_id=state.key.run_id,
            first_workflow_task_completed_id=completed_event_id,
            create_time=timestamp(now),
            resettable=not (state.children or state.external_signals or state.external_cancels),
        )
    )
    del points[: max(0, len(points) - MAX_AUTO_RESET_POINTS)]
