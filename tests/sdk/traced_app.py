"""A workflow with one of each kind of traced work, and a header-recording interceptor, with our SDK.

``official_traced_app`` has the same workflow and interceptor written with the official SDK,
under the same names, so the two can be run crosswise and compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, NoReturn

from temporalio.api.common.v1 import Payload

from sdk import activity, client, worker, workflow
from sdk.converter import DataConverter

HEADER = "test-origin"
"""The header the recorders set on everything they send, naming the SDK that sent it."""


@activity.defn(name="greet")
async def greet(name: str) -> str:
    return f"hello {name}"


@workflow.defn(name="Traced")
class Traced:
    def __init__(self) -> None:
        self.approved = False
        self.proceeded = False
        self.stage = "started"

    @workflow.run
    async def run(self, name: str) -> str:
        greeting: str = await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=10))
        self.stage = "greeted"
        await workflow.wait_condition(lambda: self.approved and self.proceeded)
        return greeting

    @workflow.signal
    def proceed(self) -> None:
        self.proceeded = True

    @workflow.update
    def approve(self, who: str) -> str:
        self.approved = True
        return f"approved by {who}"

    @approve.validator
    def check_approve(self, who: str) -> None:
        if not who:
            raise ValueError("who approves?")

    @workflow.query
    def current(self) -> str:
        return self.stage


@activity.defn(name="beat")
async def beat() -> str:
    activity.heartbeat("halfway")
    return activity.info().activity_type


@activity.defn(name="beat_in_thread")
def beat_in_thread() -> str:
    activity.heartbeat("halfway")
    return activity.info().activity_type


@workflow.defn(name="Beats")
class Beats:
    """Runs an async and a plain activity that heartbeat and read their info."""

    @workflow.run
    async def run(self) -> list[str]:
        timeout = timedelta(seconds=10)
        return [
            await workflow.execute_activity(beat, start_to_close_timeout=timeout),
            await workflow.execute_activity(beat_in_thread, start_to_close_timeout=timeout),
        ]


@workflow.defn(name="TracedChild")
class TracedChild:
    def __init__(self) -> None:
        self.poked = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.poked)
        return "poked"

    @workflow.signal
    def poke(self) -> None:
        self.poked = True


@workflow.defn(name="TracedFamily")
class TracedFamily:
    """A local activity, a child it signals (on another task queue if given), and one
    continue-as-new."""

    @workflow.run
    async def run(self, runs_left: int, child_task_queue: str = "") -> str:
        greeting: str = await workflow.execute_local_activity(
            greet, "local", start_to_close_timeout=timedelta(seconds=10)
        )
        child = await workflow.start_child_workflow(
            TracedChild.run,
            id=f"{workflow.info().workflow_id}-child-{runs_left}",
            task_queue=child_task_queue or None,
        )
        await child.signal(TracedChild.poke)
        answer: str = await child
        if runs_left > 0:
            workflow.continue_as_new(runs_left - 1, child_task_queue)
        return f"{greeting}, {answer}"


def origin(headers: Mapping[str, Payload]) -> str:
    """The SDK named in the recorders' header, or "-" without one."""
    payload = headers.get(HEADER)
    return "-" if payload is None else str(DataConverter.default.from_payload(payload))


class HeaderRecorder(client.Interceptor, worker.Interceptor):
    """Sets ``test-origin: ours`` on every client call and every step a workflow starts, and
    records, as ``"<where> <name>: <origin>"``, the header each inbound call came with."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def tag(self, headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
        return {**headers, HEADER: DataConverter.default.to_payload("ours")}

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _TaggingClient(next, self)

    def intercept_activity(self, next: worker.ActivityInboundInterceptor) -> worker.ActivityInboundInterceptor:
        return _RecordingActivity(next, self)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        recorder = self

        class RecordingWorkflow(worker.WorkflowInboundInterceptor):
            def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
                super().init(_TaggingWorkflowOutbound(outbound, recorder))

            async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
                recorder.seen.add(f"workflow {workflow.info().workflow_type}: {origin(input.headers)}")
                return await super().execute_workflow(input)

            async def handle_signal(self, input: worker.HandleSignalInput) -> None:
                recorder.seen.add(f"signal {input.signal}: {origin(input.headers)}")
                await super().handle_signal(input)

            async def handle_query(self, input: worker.HandleQueryInput) -> Any:
                recorder.seen.add(f"query {input.query}: {origin(input.headers)}")
                return await super().handle_query(input)

            def handle_update_validator(self, input: worker.HandleUpdateInput) -> None:
                recorder.seen.add(f"validator {input.update}: {origin(input.headers)}")
                super().handle_update_validator(input)

            async def handle_update_handler(self, input: worker.HandleUpdateInput) -> Any:
                recorder.seen.add(f"update {input.update}: {origin(input.headers)}")
                return await super().handle_update_handler(input)

        return RecordingWorkflow


class _TaggingClient(client.OutboundInterceptor):
    def __init__(self, next: client.OutboundInterceptor, recorder: HeaderRecorder) -> None:
        super().__init__(next)
        self.recorder = recorder

    async def start_workflow(self, input: client.StartWorkflowInput) -> client.WorkflowHandle:
        input.headers = self.recorder.tag(input.headers)
        return await super().start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        input.headers = self.recorder.tag(input.headers)
        await super().signal_workflow(input)

    async def query_workflow(self, input: client.QueryWorkflowInput) -> Any:
        input.headers = self.recorder.tag(input.headers)
        return await super().query_workflow(input)

    async def start_workflow_update(self, input: client.StartWorkflowUpdateInput) -> client.WorkflowUpdateHandle:
        input.headers = self.recorder.tag(input.headers)
        return await super().start_workflow_update(input)


class _TaggingWorkflowOutbound(worker.WorkflowOutboundInterceptor):
    def __init__(self, next: worker.WorkflowOutboundInterceptor, recorder: HeaderRecorder) -> None:
        super().__init__(next)
        self.recorder = recorder

    def start_activity(self, input: worker.StartActivityInput) -> Any:
        input.headers = self.recorder.tag(input.headers)
        return super().start_activity(input)

    def start_local_activity(self, input: worker.StartLocalActivityInput) -> Any:
        input.headers = self.recorder.tag(input.headers)
        return super().start_local_activity(input)

    async def start_child_workflow(self, input: worker.StartChildWorkflowInput) -> Any:
        input.headers = self.recorder.tag(input.headers)
        return await super().start_child_workflow(input)

    async def signal_child_workflow(self, input: worker.SignalChildWorkflowInput) -> None:
        input.headers = self.recorder.tag(input.headers)
        await super().signal_child_workflow(input)

    def continue_as_new(self, input: worker.ContinueAsNewInput) -> NoReturn:
        input.headers = self.recorder.tag(input.headers)
        super().continue_as_new(input)


class _RecordingActivity(worker.ActivityInboundInterceptor):
    def __init__(self, next: worker.ActivityInboundInterceptor, recorder: HeaderRecorder) -> None:
        super().__init__(next)
        self.recorder = recorder

    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        self.recorder.seen.add(f"activity {activity.info().activity_type}: {origin(input.headers)}")
        return await super().execute_activity(input)
