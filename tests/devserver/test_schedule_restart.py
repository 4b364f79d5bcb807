"""A schedule's start repeated after a crash is the same start (in process, no server).

The schedule saves its state, with the start it is about to make and that start's request
id, before making it. A crash after the workflow started but before the schedule recorded
it leaves that saved state behind: on restart the start is made again with the same request
id, the engine answers with the run the first attempt made, and the action is recorded once.
"""

from __future__ import annotations

import json

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.clock import SystemClock
from devserver.core import schedules as core
from devserver.engine import Engine
from devserver.namespaces import NamespaceRegistry
from devserver.schedule_ops import Schedules
from devserver.store import MemoryStore
from devserver.visibility import VisibilityIndex


class SavingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    async def save_schedule(self, namespace: str, schedule_id: str, state: str) -> None:
        self.saved[(namespace, schedule_id)] = state


async def test_a_start_made_before_a_crash_is_recorded_once_after_it() -> None:
    store = SavingStore()
    engine = Engine(SystemClock(), store, NamespaceRegistry(), VisibilityIndex())
    engine.namespaces.register("default")
    schedule = schedule_pb.Schedule(
        action=schedule_pb.ScheduleAction(
            start_workflow=workflow_pb.NewWorkflowExecutionInfo(
                workflow_id="wf", workflow_type=common.WorkflowType(name="T"), task_queue=taskqueue.TaskQueue(name="q")
            )
        ),
        state=schedule_pb.ScheduleState(paused=True),
    )
    now = engine.clock.now()
    state = core.create("default", "s", schedule, common.Memo(), common.SearchAttributes(), now)
    core.patch(state, schedule_pb.SchedulePatch(trigger_immediately=schedule_pb.TriggerImmediatelyRequest()), now)
    # What the schedule saved just before making the start: the start with its request id.
    order = core.resolve_buffer(state, running=False).starts[0]
    state.buffer = [order.start]
    saved_before_start = json.dumps(core.dump(state))
    # The start itself went through before the crash.
    first = Schedules(engine)
    first.schedules[("default", "s")] = core.load(json.loads(saved_before_start))
    await first._start(first.schedules[("default", "s")], order)
    run_id = engine.run("default", order.workflow_id).key.run_id

    # Restart from the state saved before the start: the start is made again, and is the same run.
    again = Schedules(engine)
    await again.restore([saved_before_start])
    restored = again.schedules[("default", "s")]
    await again._run_once(restored)
    assert restored.info.action_count == 1
    assert [a.start_workflow_result.run_id for a in restored.info.recent_actions] == [run_id]
    assert len(engine.chains[("default", order.workflow_id)].runs) == 1
    assert restored.buffer == []
    again.shutdown()
    await engine.shutdown()
