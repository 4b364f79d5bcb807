"""Read-only client calls: history (paged and long-polled), describe, list and count."""

from __future__ import annotations

import asyncio

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.core import activities, workflow_tasks
from devserver.core.activities import ActivityInfo
from devserver.core.changes import RunKey
from devserver.core.mutable_state import MutableState, task_queue_message
from devserver.core.protos import duration, seconds_of, timestamp
from devserver.engine import Engine
from devserver.errors import InvalidArgument
from devserver.history_pages import PageToken, close_event, page
from devserver.visibility import InvalidQueryError, VisibilityRecord

FilterType = wf_enums.HistoryEventFilterType


class ReadOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def get_history(
        self, request: wsv1.GetWorkflowExecutionHistoryRequest, timeout: float
    ) -> wsv1.GetWorkflowExecutionHistoryResponse:
        engine = self.engine
        engine.namespaces.get(request.namespace)
        state = engine.run_for_execution(request.namespace, request.execution)
        response = wsv1.GetWorkflowExecutionHistoryResponse()
        if request.history_event_filter_type == FilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT:
            if request.wait_new_event:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + timeout
                while state.running and not engine.closing and (remaining := deadline - loop.time()) > 0:
                    await engine.wait_for_history(state.key, remaining)
            event = close_event(engine.store, state)
            if event is not None:
                response.history.events.append(event)
            return response

        if request.next_page_token:
            token = PageToken.decode(request.next_page_token, state.key.run_id)
        else:
            token = PageToken(state.key.run_id, 1)
        if request.wait_new_event and state.running and engine.store.last_event_id(state.key) < token.next_event_id:
            await engine.wait_for_history(state.key, timeout)
        events, next_token = page(engine.store, state, token, request.maximum_page_size)
        response.history.events.extend(events)
        if not next_token and request.wait_new_event and state.running:
            # A follower keeps its place and long-polls for what comes next.
            next_token = PageToken(state.key.run_id, token.next_event_id + len(events)).encode()
        response.next_page_token = next_token
        return response

    def get_history_reverse(
        self, request: wsv1.GetWorkflowExecutionHistoryReverseRequest
    ) -> wsv1.GetWorkflowExecutionHistoryReverseResponse:
        engine = self.engine
        engine.namespaces.get(request.namespace)
        state = engine.run_for_execution(request.namespace, request.execution)
        size = request.maximum_page_size if request.maximum_page_size > 0 else 256
        if request.next_page_token:
            token = PageToken.decode(request.next_page_token, state.key.run_id)
            last = token.next_event_id
        else:
            last = engine.store.last_event_id(state.key)
        first = max(1, last - size + 1)
        events = engine.store.read(state.key, first, last)
        response = wsv1.GetWorkflowExecutionHistoryReverseResponse()
        response.history.events.extend(reversed(events))
        if first > 1:
            response.next_page_token = PageToken(state.key.run_id, first - 1).encode()
        return response

    def describe(self, request: wsv1.DescribeWorkflowExecutionRequest) -> wsv1.DescribeWorkflowExecutionResponse:
        engine = self.engine
        engine.namespaces.get(request.namespace)
        state = engine.run_for_execution(request.namespace, request.execution)
        started = state.started_attributes
        response = wsv1.DescribeWorkflowExecutionResponse()
        config = response.execution_config
        config.task_queue.CopyFrom(task_queue_message(state.task_queue))
        if seconds_of(started.workflow_execution_timeout):
            config.workflow_execution_timeout.CopyFrom(started.workflow_execution_timeout)
        if started.HasField("workflow_run_timeout"):  # a child's is there even when zero
            config.workflow_run_timeout.CopyFrom(started.workflow_run_timeout)
        config.default_workflow_task_timeout.CopyFrom(duration(state.task_timeout))
        first = engine.store.read(state.key, 1, 1)
        if first and first[0].HasField("user_metadata"):  # the static summary and details given at start
            config.user_metadata.CopyFrom(first[0].user_metadata)
        response.workflow_execution_info.CopyFrom(execution_info(state))
        for info in state.activities.values():
            assert isinstance(info, ActivityInfo)
            response.pending_activities.append(activities.pending_info(info))
        for child in state.children.values():
            response.pending_children.append(
                workflow_pb.PendingChildExecutionInfo(
                    workflow_id=child.workflow_id,
                    run_id=child.run_id,
                    workflow_type_name=child.initiated.workflow_type.name,
                    initiated_id=child.initiated_event_id,
                    parent_close_policy=child.initiated.parent_close_policy,
                )
            )
        task = state.workflow_task
        if task is not None:
            pending = response.pending_workflow_task
            pending.state = workflow_tasks.pending_state(state)  # type: ignore[assignment]
            pending.scheduled_time.CopyFrom(timestamp(task.scheduled_time))
            pending.original_scheduled_time.CopyFrom(timestamp(task.scheduled_time))
            pending.attempt = task.attempt
            if task.started:
                pending.started_time.CopyFrom(timestamp(task.started_time))
        extended = response.workflow_extended_info
        extended.original_start_time.CopyFrom(timestamp(state.start_time))
        extended.cancel_requested = state.cancel_requested
        if state.execution_deadline is not None:
            extended.execution_expiration_time.CopyFrom(timestamp(state.execution_deadline))
        if state.run_deadline is not None:
            extended.run_expiration_time.CopyFrom(timestamp(state.run_deadline))
        return response

    def list(self, request: wsv1.ListWorkflowExecutionsRequest) -> wsv1.ListWorkflowExecutionsResponse:
        self.engine.namespaces.get(request.namespace)
        try:
            records, token = self.engine.visibility.list(
                request.namespace, request.query, request.page_size, request.next_page_token
            )
        except InvalidQueryError as exc:
            raise InvalidArgument(str(exc)) from exc
        response = wsv1.ListWorkflowExecutionsResponse(next_page_token=token)
        for record in records:
            response.executions.append(self._info_for(record))
        return response

    def count(self, request: wsv1.CountWorkflowExecutionsRequest) -> wsv1.CountWorkflowExecutionsResponse:

        self.engine.namespaces.get(request.namespace)
        visibility = self.engine.visibility
        try:
            if "group by" in request.query.lower():
                groups = visibility.count_by_status(request.namespace, request.query)
                response = wsv1.CountWorkflowExecutionsResponse(count=sum(groups.values()))
                for status, count in sorted(groups.items()):
                    name = wf_enums.WorkflowExecutionStatus.Name(status)  # type: ignore[arg-type]
                    label = name.removeprefix("WORKFLOW_EXECUTION_STATUS_").title().replace("_", "")
                    payload = common.Payload(metadata={"encoding": b"json/plain"}, data=f'"{label}"'.encode())
                    response.groups.append(
                        wsv1.CountWorkflowExecutionsResponse.AggregationGroup(group_values=[payload], count=count)
                    )
                return response
            return wsv1.CountWorkflowExecutionsResponse(count=visibility.count(request.namespace, request.query))
        except InvalidQueryError as exc:
            raise InvalidArgument(str(exc)) from exc

    def _info_for(self, record: VisibilityRecord) -> workflow_pb.WorkflowExecutionInfo:

        state = self.engine.runs.get(RunKey(record.namespace, record.workflow_id, record.run_id))
        if state is None:
            info = workflow_pb.WorkflowExecutionInfo(status=record.status, task_queue=record.task_queue)  # type: ignore[arg-type]
            info.execution.workflow_id = record.workflow_id
            info.execution.run_id = record.run_id
            info.type.name = record.workflow_type
            return info
        return execution_info(state)


def execution_info(state: MutableState) -> workflow_pb.WorkflowExecutionInfo:
    info = workflow_pb.WorkflowExecutionInfo(
        start_time=timestamp(state.start_time),
        status=state.status,  # type: ignore[arg-type]
        history_length=state.next_event_id - 1,
        execution_time=timestamp(state.start_time + state.first_wft_backoff),
        memo=state.memo,
        search_attributes=state.search_attributes,
        task_queue=state.task_queue,
        state_transition_count=state.state_transitions,
        history_size_bytes=state.history_size_bytes,
        first_run_id=state.first_execution_run_id,
    )
    info.execution.workflow_id = state.key.workflow_id
    info.execution.run_id = state.key.run_id
    info.type.name = state.workflow_type
    started = state.started_attributes
    if started.parent_workflow_execution.workflow_id:
        info.parent_namespace_id = started.parent_workflow_namespace_id
        info.parent_execution.CopyFrom(started.parent_workflow_execution)
    if started.root_workflow_execution.workflow_id:
        info.root_execution.CopyFrom(started.root_workflow_execution)
    else:
        info.root_execution.workflow_id = state.key.workflow_id
        info.root_execution.run_id = state.key.run_id
    if state.close_time is not None:
        info.close_time.CopyFrom(timestamp(state.close_time))
        info.execution_duration.CopyFrom(duration(max(0.0, state.close_time - state.start_time)))
    return info
