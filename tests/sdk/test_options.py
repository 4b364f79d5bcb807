"""Start and activity options: keyword arguments in, one checked frozen value passed inward.

A wrong option is refused where it is written, naming the option, before anything reaches
the server; a right one arrives on the wire as given, whichever entry point took it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.history.v1 import HistoryEvent

from sdk import Client, RetryPolicy, Worker, WorkflowIdReusePolicy, activity, workflow
from sdk._client_rpc import Connection
from sdk._options import StartWorkflowOptions
from sdk._workflow_options import ActivityOptions
from sdk.converter import DataConverter
from tests.servers import free_port

# ---- the values themselves -------------------------------------------------------------------


def test_start_options_name_the_bad_option() -> None:
    with pytest.raises(ValueError, match=r"^id must not be empty$"):
        StartWorkflowOptions(id="", task_queue="q")
    with pytest.raises(ValueError, match=r"^task_queue must not be empty$"):
        StartWorkflowOptions(id="w", task_queue="")
    with pytest.raises(TypeError, match=r"^run_timeout must be a datetime.timedelta, got 30 \(int\)$"):
        StartWorkflowOptions(id="w", task_queue="q", run_timeout=30)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^task_timeout must be positive, got -1 day"):
        StartWorkflowOptions(id="w", task_queue="q", task_timeout=timedelta(seconds=-1))
    with pytest.raises(TypeError, match=r"^id_reuse_policy must be a WorkflowIdReusePolicy, got 'RejectDuplicate'"):
        StartWorkflowOptions(id="w", task_queue="q", id_reuse_policy="RejectDuplicate")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^memo must be a mapping with string keys"):
        StartWorkflowOptions(id="w", task_queue="q", memo={1: "x"})


def test_start_options_keep_what_was_asked_for() -> None:
    memo = {"owner": "ada"}
    options = StartWorkflowOptions(id="w", task_queue="q", memo=memo)
    memo["owner"] = "bob"
    assert options.memo == {"owner": "ada"}
    with pytest.raises(AttributeError):
        options.id = "other"  # type: ignore[misc]


def test_activity_options_name_the_bad_option() -> None:
    with pytest.raises(ValueError, match=r"^needs start_to_close_timeout or schedule_to_close_timeout$"):
        ActivityOptions(heartbeat_timeout=timedelta(seconds=1))
    with pytest.raises(TypeError, match=r"^heartbeat_timeout must be a datetime.timedelta, got 2.5 \(float\)$"):
        ActivityOptions(start_to_close_timeout=timedelta(seconds=5), heartbeat_timeout=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^schedule_to_close_timeout must be positive, got 0:00:00$"):
        ActivityOptions(schedule_to_close_timeout=timedelta(0))
    with pytest.raises(ValueError, match=r"^task_queue must not be empty$"):
        ActivityOptions(start_to_close_timeout=timedelta(seconds=5), task_queue="")
    with pytest.raises(TypeError, match=r"^retry_policy must be a RetryPolicy"):
        ActivityOptions(start_to_close_timeout=timedelta(seconds=5), retry_policy={"maximum_attempts": 1})  # type: ignore[arg-type]


async def test_every_start_entry_point_refuses_a_bad_option_before_calling_the_server() -> None:
    # Nothing listens here: had a request been sent, the error would be ServerUnreachableError.
    connection = Connection(f"127.0.0.1:{free_port()}", 1.0)
    client = Client(connection, namespace="default", data_converter=DataConverter.default, identity="test")
    try:
        message = r"^run_timeout must be a datetime.timedelta, got 60 \(int\)$"
        with pytest.raises(TypeError, match=message):
            await client.start_workflow("W", id="w", task_queue="q", run_timeout=60)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=message):
            await client.execute_workflow("W", id="w", task_queue="q", run_timeout=60)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=message):
            await client.signal_with_start(
                "W",
                signal="go",
                id="w",
                task_queue="q",
                run_timeout=60,  # type: ignore[arg-type]
            )
        with pytest.raises(ValueError, match=r"^task_queue must not be empty$"):
            await client.execute_workflow("W", id="w", task_queue="")
    finally:
        await client.close()


# ---- on the wire -----------------------------------------------------------------------------


@workflow.defn
class Reports:
    """Returns what the server told it about its own options."""

    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.run
    async def run(self, wait_for_signal: bool = False) -> dict[str, Any]:
        if wait_for_signal:
            await workflow.wait_condition(lambda: bool(self.signals))
        info = workflow.info()
        return {
            "run_timeout": info.run_timeout.total_seconds() if info.run_timeout else None,
            "execution_timeout": info.execution_timeout.total_seconds() if info.execution_timeout else None,
            "signals": self.signals,
        }

    @workflow.signal
    def poke(self, who: str) -> None:
        self.signals.append(who)


async def test_start_options_reach_the_server_through_each_entry_point(client: Client, task_queue: str) -> None:
    common: dict[str, Any] = {
        "task_queue": task_queue,
        "run_timeout": timedelta(minutes=7),
        "execution_timeout": timedelta(minutes=9),
        "task_timeout": timedelta(seconds=4),
        "id_reuse_policy": WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        "memo": {"owner": "ada"},
        "static_summary": "a summary",
    }
    expected = {"run_timeout": 420.0, "execution_timeout": 540.0}
    async with Worker(client, task_queue=task_queue, workflows=[Reports]):
        started = await client.start_workflow(Reports.run, id=f"opt-start-{uuid.uuid4().hex[:8]}", **common)
        executed = await client.execute_workflow(Reports.run, id=f"opt-exec-{uuid.uuid4().hex[:8]}", **common)
        signalled = await client.signal_with_start(
            Reports.run, True, signal=Reports.poke, signal_args=["bob"], id=f"opt-sws-{uuid.uuid4().hex[:8]}", **common
        )
        assert await started.result() == {**expected, "signals": []}
        assert executed == {**expected, "signals": []}
        assert await signalled.result() == {**expected, "signals": ["bob"]}
        for handle in (started, signalled):
            description = await handle.describe()
            config = description.raw_description.execution_config
            assert config.default_workflow_task_timeout.ToTimedelta() == timedelta(seconds=4)
            assert description.memo == {"owner": "ada"}
            summary = config.user_metadata.summary
            assert client.data_converter.from_payload(summary) == "a summary"


@activity.defn
async def echo(value: str) -> str:
    return value


@workflow.defn
class SchedulesWithOptions:
    @workflow.run
    async def run(self, task_queue: str) -> list[str]:
        errors = []
        for bad in ({"start_to_close_timeout": 5}, {"heartbeat_timeout": timedelta(seconds=1)}):
            try:
                await workflow.execute_activity(echo, "never", **bad)
            except (TypeError, ValueError) as err:
                errors.append(f"{type(err).__name__}: {err}")
        handle = workflow.start_activity(
            echo,
            "scheduled",
            task_queue=task_queue,
            schedule_to_close_timeout=timedelta(seconds=50),
            schedule_to_start_timeout=timedelta(seconds=40),
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=20),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3),
        )
        return [*errors, await handle]


def _scheduled(events: list[HistoryEvent]) -> Any:
    (event,) = [e for e in events if e.HasField("activity_task_scheduled_event_attributes")]
    return event.activity_task_scheduled_event_attributes


async def test_activity_options_are_checked_in_the_workflow_and_reach_the_command(
    client: Client, task_queue: str
) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[SchedulesWithOptions], activities=[echo]):
        handle = await client.start_workflow(
            SchedulesWithOptions.run, task_queue, id=f"act-opts-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        assert await handle.result() == [
            "TypeError: activity 'echo': start_to_close_timeout must be a datetime.timedelta, got 5 (int)",
            "ValueError: activity 'echo': needs start_to_close_timeout or schedule_to_close_timeout",
            "scheduled",
        ]
    attrs = _scheduled(list((await handle.fetch_history()).events))
    assert attrs.activity_type.name == "echo"
    assert attrs.task_queue.name == task_queue
    assert attrs.schedule_to_close_timeout.ToTimedelta() == timedelta(seconds=50)
    assert attrs.schedule_to_start_timeout.ToTimedelta() == timedelta(seconds=40)
    assert attrs.start_to_close_timeout.ToTimedelta() == timedelta(seconds=30)
    assert attrs.heartbeat_timeout.ToTimedelta() == timedelta(seconds=20)
    assert attrs.retry_policy.initial_interval.ToTimedelta() == timedelta(seconds=2)
    assert attrs.retry_policy.maximum_attempts == 3
