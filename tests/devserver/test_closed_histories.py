"""Closed runs keep their histories compressed (`MemoryStore`); reading them, page by page
and in reverse, many runs interleaved (more than the few kept decoded), gives the events as
they were recorded, on both servers; a closed run still resets."""

from __future__ import annotations

import uuid

import grpc
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2, reset_pb2
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

NAMESPACE = "default"
RUNS = 24  # more than the store keeps decoded


def _history(service: WorkflowServiceStub, execution: common.WorkflowExecution, reverse: bool) -> list[bytes]:
    """Every event of the run, one per page, as bytes (oldest first)."""
    events: list[bytes] = []
    token = b""
    while True:
        if reverse:
            page = service.GetWorkflowExecutionHistoryReverse(
                wsv1.GetWorkflowExecutionHistoryReverseRequest(
                    namespace=NAMESPACE, execution=execution, maximum_page_size=1, next_page_token=token
                ),
                timeout=10,
            )
        else:
            page = service.GetWorkflowExecutionHistory(
                wsv1.GetWorkflowExecutionHistoryRequest(
                    namespace=NAMESPACE, execution=execution, maximum_page_size=1, next_page_token=token
                ),
                timeout=10,
            )
        events += [event.SerializeToString() for event in page.history.events]
        token = page.next_page_token
        if not token:
            return events[::-1] if reverse else events


def test_closed_histories_read_back_page_by_page_in_both_directions(server_address: str) -> None:
    with grpc.insecure_channel(server_address) as channel:
        service = WorkflowServiceStub(channel)
        prefix = f"closed-{uuid.uuid4().hex[:8]}"
        executions = []
        for i in range(RUNS):
            started = service.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace=NAMESPACE,
                    workflow_id=f"{prefix}-{i}",
                    workflow_type=common.WorkflowType(name="Closed"),
                    task_queue=taskqueue.TaskQueue(name=prefix),
                    request_id=str(uuid.uuid4()),
                    input=common.Payloads(payloads=[common.Payload(data=f'"input {i}"'.encode())]),
                ),
                timeout=10,
            )
            execution = common.WorkflowExecution(workflow_id=f"{prefix}-{i}", run_id=started.run_id)
            service.SignalWorkflowExecution(
                wsv1.SignalWorkflowExecutionRequest(
                    namespace=NAMESPACE, workflow_execution=execution, signal_name=f"signal {i}", request_id=str(i)
                ),
                timeout=10,
            )
            executions.append(execution)
        open_histories = [_history(service, execution, reverse=False) for execution in executions]
        for i, execution in enumerate(executions):
            service.TerminateWorkflowExecution(
                wsv1.TerminateWorkflowExecutionRequest(
                    namespace=NAMESPACE, workflow_execution=execution, reason=f"done {i}"
                ),
                timeout=10,
            )
        forward = [_history(service, execution, reverse=False) for execution in executions]
        backward = [_history(service, execution, reverse=True) for execution in reversed(executions)][::-1]
        for i in range(RUNS):
            assert forward[i][:-1] == open_histories[i]
            assert backward[i] == forward[i]
            last = service.GetWorkflowExecutionHistory(
                wsv1.GetWorkflowExecutionHistoryRequest(namespace=NAMESPACE, execution=executions[i]), timeout=10
            ).history.events[-1]
            assert last.event_type == event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
            assert last.workflow_execution_terminated_event_attributes.reason == f"done {i}"

        # A closed run resets: the new run starts from its history.
        reset = service.ResetWorkflowExecution(
            wsv1.ResetWorkflowExecutionRequest(
                namespace=NAMESPACE,
                workflow_execution=executions[0],
                reason="again",
                request_id=str(uuid.uuid4()),
                reset_reapply_type=reset_pb2.RESET_REAPPLY_TYPE_SIGNAL,
                workflow_task_finish_event_id=3,
            ),
            timeout=10,
        )
        new_run = common.WorkflowExecution(workflow_id=executions[0].workflow_id, run_id=reset.run_id)
        described = service.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(namespace=NAMESPACE, execution=new_run), timeout=10
        )
        assert described.workflow_execution_info.execution.run_id == reset.run_id


def test_closed_runs_with_equal_memos_keep_them_apart(server_address: str) -> None:
    """Closed runs may share equal memos; a run reset from one of them changes its own memo
    and search attributes, and the closed runs still show theirs."""
    with grpc.insecure_channel(server_address) as channel:
        service = WorkflowServiceStub(channel)
        prefix = f"memo-{uuid.uuid4().hex[:8]}"
        memos = ["same", "same", "other"]
        executions = []
        for i, text in enumerate(memos):
            started = service.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace=NAMESPACE,
                    workflow_id=f"{prefix}-{i}",
                    workflow_type=common.WorkflowType(name="Memo"),
                    task_queue=taskqueue.TaskQueue(name=prefix),
                    request_id=str(uuid.uuid4()),
                    memo=common.Memo(fields={"note": common.Payload(data=f'"{text}"'.encode())}),
                ),
                timeout=10,
            )
            execution = common.WorkflowExecution(workflow_id=f"{prefix}-{i}", run_id=started.run_id)
            first = _poll(service, prefix)
            service.RespondWorkflowTaskCompleted(
                wsv1.RespondWorkflowTaskCompletedRequest(namespace=NAMESPACE, task_token=first.task_token),
                timeout=10,
            )
            service.TerminateWorkflowExecution(
                wsv1.TerminateWorkflowExecutionRequest(namespace=NAMESPACE, workflow_execution=execution),
                timeout=10,
            )
            executions.append(execution)

        def memo_of(execution: common.WorkflowExecution) -> dict[str, bytes]:
            described = service.DescribeWorkflowExecution(
                wsv1.DescribeWorkflowExecutionRequest(namespace=NAMESPACE, execution=execution), timeout=10
            )
            return {k: v.data for k, v in described.workflow_execution_info.memo.fields.items()}

        assert [memo_of(e) for e in executions] == [{"note": f'"{m}"'.encode()} for m in memos]
        # The reset run of the first one changes its memo with its first workflow task.
        reset = service.ResetWorkflowExecution(
            wsv1.ResetWorkflowExecutionRequest(
                namespace=NAMESPACE,
                workflow_execution=executions[0],
                reason="again",
                request_id=str(uuid.uuid4()),
                workflow_task_finish_event_id=4,
            ),
            timeout=10,
        )
        task = _poll(service, prefix)
        assert task.workflow_execution.run_id == reset.run_id
        service.RespondWorkflowTaskCompleted(
            wsv1.RespondWorkflowTaskCompletedRequest(
                namespace=NAMESPACE,
                task_token=task.task_token,
                commands=[
                    command_pb.Command(
                        command_type=command_type_pb2.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
                        modify_workflow_properties_command_attributes=command_pb.ModifyWorkflowPropertiesCommandAttributes(
                            upserted_memo=common.Memo(fields={"note": common.Payload(data=b'"changed"')})
                        ),
                    )
                ],
            ),
            timeout=10,
        )
        new_run = common.WorkflowExecution(workflow_id=executions[0].workflow_id, run_id=reset.run_id)
        assert memo_of(new_run) == {"note": b'"changed"'}
        assert [memo_of(e) for e in executions] == [{"note": f'"{m}"'.encode()} for m in memos]


def _poll(service: WorkflowServiceStub, queue: str) -> wsv1.PollWorkflowTaskQueueResponse:
    return service.PollWorkflowTaskQueue(
        wsv1.PollWorkflowTaskQueueRequest(namespace=NAMESPACE, task_queue=taskqueue.TaskQueue(name=queue)),
        timeout=30,
    )
