"""`tempo server start-dev --dynamic-config-value KEY=JSON` (issue 8, item 7).

The flag parses as the real dev server's does; honoured keys change what the server
does (compared with the real dev server given the same flags), other keys are
accepted with a note, and malformed ones stop the command with a one-line error.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from temporalio.api.command.v1 import Command, CompleteWorkflowExecutionCommandAttributes
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import CommandType, HistoryEventFilterType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from devserver import dynamic_config
from devserver.app import ServerConfig
from devserver.core.limits import Limits
from tests.devserver import compat, scenarios
from tests.inprocess import config_from_flags, tempo_in_process
from tests.servers import tempo_server

# ---- parsing ------------------------------------------------------------------------------


def test_honoured_keys_set_the_server_config() -> None:
    values = dynamic_config.parse_flags(
        [
            "limit.historyCount.error=100",
            "limit.historySize.suggestContinueAsNew=2048",
            "limit.blobSize.error=512",
            "system.enableEagerWorkflowStart=false",
            'matching.longPollExpirationInterval="1m30s"',
            "history.longPollExpirationInterval=5",
            "frontend.persistenceMaxQPS=10000",
            'system.forceSearchAttributesCacheRefreshOnRead="true"',
        ]
    )
    config, ignored = dynamic_config.apply(ServerConfig(), values)
    assert config.limits == Limits(
        history_count_error=100, history_size_suggest_continue_as_new=2048, blob_size_error=512
    )
    assert config.eager_workflow_start is False
    assert config.long_poll_timeout == 90.0
    assert config.history_long_poll_timeout == 5.0
    assert ignored == ["frontend.persistenceMaxQPS", "system.forceSearchAttributesCacheRefreshOnRead"]


def test_a_repeated_key_takes_the_last_value() -> None:
    config, _ = dynamic_config.apply(
        ServerConfig(), dynamic_config.parse_flags(["limit.historyCount.warn=1", "limit.historyCount.warn=2"])
    )
    assert config.limits.history_count_warn == 2


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("20s", 20.0), ("1m30s", 90.0), ("500ms", 0.5), ("1h", 3600.0), ("2d", 172800.0), ("30", 30.0), ("1.5s", 1.5)],
)
def test_durations_read_like_the_real_server(text: str, seconds: float) -> None:
    assert dynamic_config.parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("limit.historyCount.error", "expected KEY=JSON"),
        ("=5", "the key is empty"),
        ("limit.historyCount.error=abc", "not JSON"),
        ('limit.historyCount.error="100"', "expected a whole number"),
        ("limit.historyCount.error=1.5", "expected a whole number"),
        ("limit.historySize.error=-1", "expected a whole number"),
        ("system.enableEagerWorkflowStart=2", "expected true or false"),
        ('matching.longPollExpirationInterval="soon"', "expected a positive duration"),
        ("matching.longPollExpirationInterval=0", "expected a positive duration"),
    ],
)
def test_bad_values_are_refused(flag: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dynamic_config.apply(ServerConfig(), dynamic_config.parse_flags([flag]))


def test_blob_error_limit_applies_above_the_warn_limit() -> None:
    """The real server refuses a payload only when it is over both limits."""
    from devserver.errors import InvalidArgument
    from devserver.validation import check_blob_size

    payload = Payloads(payloads=[Payload(data=b"x" * 5000)])
    check_blob_size(payload, limits=Limits(blob_size_error=1000))  # under the 512 KB warn limit
    with pytest.raises(InvalidArgument, match="Blob data size exceeds limit"):
        check_blob_size(payload, limits=Limits(blob_size_error=1000, blob_size_warn=500))
    with pytest.raises(InvalidArgument):
        check_blob_size(Payloads(payloads=[Payload(data=b"x" * 3 * 1024 * 1024)]), limits=Limits())


# ---- the command line -----------------------------------------------------------------------


def _start_dev(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tempo_cli.main", "server", "start-dev", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("flag", ["no-equals-sign", "limit.blobSize.error={", 'limit.historyCount.error="many"'])
def test_malformed_flag_is_a_one_line_error(flag: str) -> None:
    result = _start_dev("--port", "0", "--dynamic-config-value", flag)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: invalid --dynamic-config-value")
    assert "Traceback" not in result.stderr


def test_help_lists_the_honoured_keys() -> None:
    result = _start_dev("--help")
    assert result.returncode == 0
    for key in dynamic_config.HONOURED_KEYS:
        assert key.name in result.stdout


def test_ignored_keys_get_a_note_and_the_server_starts() -> None:
    server = tempo_server(
        "--dynamic-config-value",
        "frontend.persistenceMaxQPS=10000",
        "--dynamic-config-value",
        "limit.historyCount.warn=5",
    )
    server.start()
    server.stop()
    stderr = server.log()
    assert "note: dynamic config key frontend.persistenceMaxQPS has no effect on Tempo (ignored)" in stderr
    assert "limit.historyCount.warn" not in stderr


# ---- what the honoured keys change, on both servers ---------------------------------------------

BLOB_LIMIT = 1000


@pytest.fixture(scope="module")
async def tuned() -> AsyncIterator[tuple[str, str]]:
    flags = {
        "matching.longPollExpirationInterval": '"2s"',
        "history.longPollExpirationInterval": '"2s"',
        "limit.blobSize.error": str(BLOB_LIMIT),
        "limit.blobSize.warn": str(BLOB_LIMIT // 2),
        "frontend.persistenceMaxQPS": "10000",  # ignored by Tempo, taken by the real server
    }
    args = [arg for key, value in flags.items() for arg in ("--dynamic-config-value", f"{key}={value}")]
    async with compat.server_pair(*args) as pair:
        yield pair


async def _tuned_behaviour(address: str) -> dict[str, Any]:
    await scenarios.client_for(address)
    out: dict[str, Any] = {}
    big = Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=b'"' + b"x" * 2 * BLOB_LIMIT + b'"')])
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        namespace = await stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace="default"))
        out["advertised blob limit"] = namespace.namespace_info.limits.blob_size_limit_error
        task_queue = scenarios.unique("tq-tuned")

        def start(workflow_id: str, **extra: Any) -> Any:
            return stub.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace="default",
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="Raw"),
                    task_queue=TaskQueue(name=task_queue),
                    request_id=str(uuid.uuid4()),
                    **extra,
                )
            )

        try:
            await start(scenarios.unique("big-input"), input=big)
            out["big input"] = "OK"
        except grpc.aio.AioRpcError as error:
            out["big input"] = f"{error.code().name} {error.details()}"
        workflow_id = scenarios.unique("tuned")
        execution = WorkflowExecution(workflow_id=workflow_id)
        await start(workflow_id)
        try:
            await stub.SignalWorkflowExecution(
                wsv1.SignalWorkflowExecutionRequest(
                    namespace="default", workflow_execution=execution, signal_name="big", input=big
                )
            )
            out["big signal"] = "OK"
        except grpc.aio.AioRpcError as error:
            out["big signal"] = f"{error.code().name} {error.details()}"
        # Long polls end after the configured 2 s, well before the caller's 15 s deadline.
        first = await stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=task_queue)), timeout=15
        )
        assert first.task_token
        empty = await stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=task_queue)), timeout=15
        )
        out["task poll expired"] = not empty.task_token
        result = await stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(
                namespace="default",
                execution=execution,
                wait_new_event=True,
                history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
            ),
            timeout=15,
        )
        out["result poll expired"] = len(result.history.events) == 0
        await stub.TerminateWorkflowExecution(
            wsv1.TerminateWorkflowExecutionRequest(namespace="default", workflow_execution=execution)
        )
        # A workflow that completes with a result over the limit: the task fails and the run ends.
        workflow_id = scenarios.unique("big-result")
        await start(workflow_id)
        task = await stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=task_queue)), timeout=15
        )
        complete = Command(
            command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            complete_workflow_execution_command_attributes=CompleteWorkflowExecutionCommandAttributes(result=big),
        )
        try:
            await stub.RespondWorkflowTaskCompleted(
                wsv1.RespondWorkflowTaskCompletedRequest(
                    namespace="default", task_token=task.task_token, identity="raw", commands=[complete]
                )
            )
            out["big result"] = "OK"
        except grpc.aio.AioRpcError as error:
            out["big result"] = f"{error.code().name} {error.details()}"
        history = await stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(
                namespace="default", execution=WorkflowExecution(workflow_id=workflow_id)
            )
        )
        out["big result history"] = compat.summary(history.history.events)
    return out


@pytest.mark.real_server
@pytest.mark.timeout(300)
async def test_honoured_keys_change_the_server_like_the_real_one(tuned: tuple[str, str]) -> None:
    ours, real = await asyncio.gather(*(_tuned_behaviour(address) for address in tuned))
    assert ours == real
    too_big = "BadScheduleActivityAttributes: CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit."
    assert real == {
        "advertised blob limit": BLOB_LIMIT,
        "big input": "INVALID_ARGUMENT Blob data size exceeds limit.",
        "big signal": "INVALID_ARGUMENT Blob data size exceeds limit.",
        "task poll expired": True,
        "result poll expired": True,
        "big result": f"INVALID_ARGUMENT {too_big}",
        "big result history": [
            ("WORKFLOW_EXECUTION_STARTED", "Raw", 1, 0),
            ("WORKFLOW_TASK_SCHEDULED",),
            ("WORKFLOW_TASK_STARTED", False, []),
            ("WORKFLOW_TASK_FAILED", 2, too_big, "raw"),  # BAD_SCHEDULE_ACTIVITY_ATTRIBUTES (sic)
            ("WORKFLOW_EXECUTION_TERMINATED", too_big, "history-service"),
        ],
    }


async def test_warn_limit_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Past limit.historyCount.warn the server logs a warning (as the real server's history
    service does: "history count exceeds warn limit."), once per run."""
    caplog.set_level(logging.WARNING)
    async with tempo_in_process(config_from_flags(["--dynamic-config-value", "limit.historyCount.warn=3"])) as address:
        workflow_id = scenarios.unique("warn")
        async with grpc.aio.insecure_channel(address) as channel:
            stub = WorkflowServiceStub(channel)
            await stub.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace="default",
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="Raw"),
                    task_queue=TaskQueue(name="tq-warn"),
                    request_id=str(uuid.uuid4()),
                )
            )
            for name in ("a", "b", "c"):
                await stub.SignalWorkflowExecution(
                    wsv1.SignalWorkflowExecutionRequest(
                        namespace="default",
                        workflow_execution=WorkflowExecution(workflow_id=workflow_id),
                        signal_name=name,
                    )
                )
    warnings = [r.getMessage() for r in caplog.records if "history count exceeds warn limit" in r.getMessage()]
    assert len(warnings) == 1
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.getMessage() in warnings)
    assert workflow_id in warnings[0]
