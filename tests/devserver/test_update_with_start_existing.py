"""Update-with-start (ExecuteMultiOperation) against an existing workflow (issue 8, item 10).

As the real server decides it from the workflow id's current run: an update id already
completed there returns its outcome whatever the policies say; a running workflow takes the
update when the conflict policy is USE_EXISTING, when the start is a retry of the one that
started it, or when it already knows the update; otherwise the start's policies decide, and a
refused start fails the call with one status per operation (the update marked aborted). Each
sequence runs on both servers; answers (normalised run ids) and histories must be equal.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from typing import Any

import pytest
from temporalio.api.common.v1 import Payloads, WorkflowExecution, WorkflowType
from temporalio.api.errordetails.v1 import MultiOperationExecutionFailure, WorkflowExecutionAlreadyStartedFailure
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.update.v1 import message_pb2 as update_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.converter import default
from temporalio.service import RPCError

from tests.devserver import scenarios
from tests.devserver.update_app import UpdateWorkflow, update_worker

pytestmark = pytest.mark.real_server

CONFLICT_FAIL, CONFLICT_USE_EXISTING, CONFLICT_TERMINATE = 1, 2, 3
REUSE_ALLOW, REUSE_FAILED_ONLY, REUSE_REJECT = 1, 2, 3


class Runs:
    """Names run ids in the order they appear, so answers compare across servers."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def name(self, run_id: str) -> str:
        if not run_id:
            return ""
        return self.names.setdefault(run_id, f"run{len(self.names) + 1}")

    def text(self, text: str, workflow_id: str) -> str:
        text = text.replace(workflow_id, "<id>")
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", lambda m: self.name(m[0]), text)


def _error(err: RPCError, runs: Runs, workflow_id: str) -> tuple[Any, ...]:
    """Status, message and, per operation, status code, message and detail types."""
    statuses: list[Any] = []
    failure = MultiOperationExecutionFailure()
    if err.grpc_status and err.grpc_status.details and err.grpc_status.details[0].Unpack(failure):
        for status in failure.statuses:
            details: list[Any] = []
            for detail in status.details:
                started = WorkflowExecutionAlreadyStartedFailure()
                if detail.Unpack(started):
                    details.append(
                        (
                            "AlreadyStarted",
                            runs.name(started.run_id),
                            runs.name(started.first_execution_run_id),
                            bool(started.start_request_id),
                        )
                    )
                else:
                    details.append(detail.type_url.rsplit(".", 1)[-1])
            statuses.append((status.code, runs.text(status.message, workflow_id), details))
    return (err.status.name, runs.text(err.message, workflow_id), statuses)


async def _raw_sequence(address: str) -> list[Any]:
    client = await scenarios.client_for(address)
    service = client.workflow_service
    converter = default().payload_converter
    task_queue = scenarios.unique("tq-uws")
    workflow_id = scenarios.unique("uws")
    runs = Runs()

    def request(update_id: str, conflict: int, reuse: int = REUSE_ALLOW, request_id: str = "") -> Any:
        start = wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=workflow_id,
            workflow_type=WorkflowType(name="UpdateWorkflow"),
            task_queue=TaskQueue(name=task_queue),
            request_id=request_id or str(uuid.uuid4()),
            workflow_id_conflict_policy=conflict,  # type: ignore[arg-type]
            workflow_id_reuse_policy=reuse,  # type: ignore[arg-type]
        )
        update = wsv1.UpdateWorkflowExecutionRequest(
            namespace="default",
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            request=update_pb.Request(
                meta=update_pb.Meta(update_id=update_id),
                input=update_pb.Input(name="add", args=Payloads(payloads=[converter.to_payload(2)])),
            ),
        )
        update.wait_policy.lifecycle_stage = 3  # COMPLETED
        Operation = wsv1.ExecuteMultiOperationRequest.Operation
        return wsv1.ExecuteMultiOperationRequest(
            namespace="default", operations=[Operation(start_workflow=start), Operation(update_workflow=update)]
        )

    async def call(label: str, multi: Any) -> tuple[Any, ...]:
        try:
            response = await service.execute_multi_operation(multi)
        except RPCError as err:
            return (label, "error", *_error(err, runs, workflow_id))
        started, updated = response.responses[0].start_workflow, response.responses[1].update_workflow
        return (
            label,
            runs.name(started.run_id),
            started.started,
            started.status,
            started.link.workflow_event.event_ref.event_id if started.HasField("link") else None,
            updated.stage,
            converter.from_payload(updated.outcome.success.payloads[0]) if updated.HasField("outcome") else None,
            runs.name(updated.update_ref.workflow_execution.run_id),
            updated.HasField("link"),
        )

    out: list[Any] = []
    async with update_worker(client, task_queue):
        request_id = str(uuid.uuid4())
        out.append(await call("new workflow", request(request_id="", update_id="u1", conflict=CONFLICT_USE_EXISTING)))
        out.append(await call("start retried, new update", request("u2", CONFLICT_FAIL, request_id=request_id)))
        # (the first call's start used its own request id: this one is not a retry of it)
        out.append(await call("completed update again, FAIL", request("u1", CONFLICT_FAIL)))
        out.append(await call("new update, FAIL", request("u3", CONFLICT_FAIL)))
        out.append(await call("new update, no conflict policy", request("u3", 0)))
        out.append(await call("new update, USE_EXISTING", request("u4", CONFLICT_USE_EXISTING)))
        out.append(await call("new update, TERMINATE_EXISTING", request("u5", CONFLICT_TERMINATE)))
        handle = client.get_workflow_handle(workflow_id)
        await handle.signal(UpdateWorkflow.finish)
        await handle.result()
        out.append(
            await call("after close, update completed in it, REJECT", request("u5", CONFLICT_FAIL, REUSE_REJECT))
        )
        out.append(
            await call("after close, update of an older run, REJECT", request("u1", CONFLICT_FAIL, REUSE_REJECT))
        )
        out.append(await call("after close, new update, REJECT", request("u6", CONFLICT_FAIL, REUSE_REJECT)))
        out.append(await call("after close, new update, FAILED_ONLY", request("u6", CONFLICT_FAIL, REUSE_FAILED_ONLY)))
        out.append(await call("after close, new update, ALLOW", request("u6", CONFLICT_FAIL, REUSE_ALLOW)))
        await handle.signal(UpdateWorkflow.finish)
        await handle.result()
        run_ids = [name for run_id, name in runs.names.items() if run_id]
        histories = []
        for run_id in list(runs.names):
            run = client.get_workflow_handle(workflow_id, run_id=run_id)
            histories.append(scenarios.summarize(await scenarios.events(run)))
        out.append(("runs", run_ids, histories))
    return out


async def test_update_with_start_on_an_existing_workflow(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_raw_sequence(tempo_address), _raw_sequence(real_address))
    for mine, theirs in zip(ours, real, strict=True):
        assert mine == theirs
    answers = {row[0]: row[1:] for row in real}
    # USE_EXISTING on the running workflow: the update attaches, the existing run is answered.
    assert answers["new update, USE_EXISTING"][:3] == ("run1", False, 1)
    # An update id that completed in the current run: its outcome, even with FAIL or REJECT_DUPLICATE.
    assert answers["completed update again, FAIL"][5] == 2
    assert answers["after close, update completed in it, REJECT"][:3] == ("run2", False, 2)
    # FAIL on a running workflow: the start's ALREADY_EXISTS, the update aborted.
    refused = answers["new update, FAIL"]
    assert refused[:2] == ("error", "ALREADY_EXISTS")
    assert refused[2] == "Update-with-Start could not be executed."
    assert [status[0] for status in refused[3]] == [6, 10]
    assert refused[3][1][2] == ["MultiOperationExecutionAborted"]
    assert answers["after close, new update, REJECT"][3][0][1].startswith("Workflow execution already finished.")


async def _request_errors(address: str) -> dict[str, Any]:
    """Malformed requests: which operation is blamed, and how."""
    client = await scenarios.client_for(address)
    service = client.workflow_service
    workflow_id = scenarios.unique("uws-bad")
    runs = Runs()

    def request(**changes: Any) -> Any:
        start = wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=workflow_id,
            workflow_type=WorkflowType(name="UpdateWorkflow"),
            task_queue=TaskQueue(name="nobody"),
            request_id=str(uuid.uuid4()),
            workflow_id_conflict_policy=CONFLICT_USE_EXISTING,  # type: ignore[arg-type]
        )
        update = wsv1.UpdateWorkflowExecutionRequest(
            namespace="default",
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            request=update_pb.Request(meta=update_pb.Meta(update_id="u"), input=update_pb.Input(name="add")),
        )
        update.wait_policy.lifecycle_stage = 3
        for path, value in changes.items():
            target, _, field = path.rpartition("__")
            obj: Any = {"start": start, "update": update, "update__execution": update.workflow_execution}[target]
            if isinstance(value, str):
                setattr(obj, field, value)
            else:
                getattr(obj, field).CopyFrom(value)
        Operation = wsv1.ExecuteMultiOperationRequest.Operation
        return wsv1.ExecuteMultiOperationRequest(
            namespace="default", operations=[Operation(start_workflow=start), Operation(update_workflow=update)]
        )

    cases = {
        "first execution run id": request(update__first_execution_run_id=str(uuid.uuid4())),
        "run id": request(update__execution__run_id=str(uuid.uuid4())),
        "other workflow id": request(update__execution__workflow_id="other"),
        "no update name": request(update__request=update_pb.Request(meta=update_pb.Meta(update_id="u"))),
        "no workflow type": request(start__workflow_type=WorkflowType()),
        "cron": request(start__cron_schedule="* * * * *"),
        "other namespace": request(start__namespace="elsewhere"),
    }
    out: dict[str, Any] = {}
    for label, multi in cases.items():
        try:
            await service.execute_multi_operation(multi)
            out[label] = "OK"
        except RPCError as err:
            out[label] = _error(err, runs, workflow_id)
    only_start = wsv1.ExecuteMultiOperationRequest(namespace="default", operations=[request().operations[0]])
    try:
        await service.execute_multi_operation(only_start)
    except RPCError as err:
        out["one operation"] = _error(err, runs, workflow_id)
    return out


async def test_malformed_update_with_start(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_request_errors(tempo_address), _request_errors(real_address))
    assert ours == real
    aborted = (10, "Operation was aborted.", ["MultiOperationExecutionAborted"])
    assert real["first execution run id"] == (
        "INVALID_ARGUMENT",
        "Update-with-Start could not be executed.",
        [aborted, (3, "FirstExecutionRunId is not allowed.", [])],
    )
    assert real["no workflow type"][2] == [(3, "WorkflowType is not set on request.", []), aborted]
    assert real["one operation"] == ("INVALID_ARGUMENT", "Operations have to be exactly [Start, Update].", [])


async def _official_sdk(address: str) -> list[Any]:
    """What `execute_update_with_start_workflow` users see on a workflow that already exists."""
    client: Client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-uws-sdk")
    workflow_id = scenarios.unique("uws-sdk")
    out: list[Any] = []
    async with update_worker(client, task_queue):
        handle = await client.start_workflow(UpdateWorkflow.run, id=workflow_id, task_queue=task_queue)

        async def update(
            label: str, update_id: str, conflict: Any, reuse: Any = WorkflowIDReusePolicy.ALLOW_DUPLICATE
        ) -> None:
            operation = WithStartWorkflowOperation(
                UpdateWorkflow.run,
                id=workflow_id,
                task_queue=task_queue,
                id_conflict_policy=conflict,
                id_reuse_policy=reuse,
            )
            try:
                value = await client.execute_update_with_start_workflow(
                    UpdateWorkflow.add, 3, id=update_id, start_workflow_operation=operation
                )
                started = await operation.workflow_handle()
                same_run = started.first_execution_run_id == handle.first_execution_run_id
                out.append((label, value, "same run" if same_run else "another run"))
            except Exception as err:
                first_run = getattr(err, "first_run_id", None)
                out.append(
                    (
                        label,
                        type(err).__name__,
                        getattr(err, "run_id", None) == first_run == handle.first_execution_run_id,
                    )
                )
                with contextlib.suppress(Exception):
                    await operation.workflow_handle()  # fails the same way; retrieved so nothing is left unawaited

        await update("use existing", "u1", WorkflowIDConflictPolicy.USE_EXISTING)
        await update("same update, fail", "u1", WorkflowIDConflictPolicy.FAIL)
        await update("new update, fail", "u2", WorkflowIDConflictPolicy.FAIL)
        await handle.signal(UpdateWorkflow.finish)
        out.append(("result", await handle.result()))
        await update("same update after close, reject duplicate", "u1", WorkflowIDConflictPolicy.FAIL,
                     WorkflowIDReusePolicy.REJECT_DUPLICATE)  # fmt: skip
        await update("new update after close, reject duplicate", "u3", WorkflowIDConflictPolicy.FAIL,
                     WorkflowIDReusePolicy.REJECT_DUPLICATE)  # fmt: skip
    return out


async def test_official_sdk_update_with_start_existing(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_official_sdk(tempo_address), _official_sdk(real_address))
    assert ours == real
    assert real == [
        ("use existing", 3, "same run"),
        ("same update, fail", 3, "same run"),
        ("new update, fail", "WorkflowAlreadyStartedError", True),
        ("result", 3),
        ("same update after close, reject duplicate", 3, "same run"),
        ("new update after close, reject duplicate", "WorkflowAlreadyStartedError", True),
    ]
