"""Read-only client calls: history (paged and long-polled), describe, list and count."""

from __future__ import annotations

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core import describe, time_skipping
from devserver.core.changes import RunKey
from devserver.core.protos import with_value_names
from devserver.engine import Engine
from devserver.errors import InvalidArgument
from devserver.history_pages import PageToken, close_event, page
from devserver.visibility_record import InvalidQueryError, VisibilityRecord

FilterType = with_value_names(wf_enums.HistoryEventFilterType)


class ReadOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def get_history(
        self, request: wsv1.GetWorkflowExecutionHistoryRequest, timeout: float, *, with_unwritten_task: bool = True
    ) -> wsv1.GetWorkflowExecutionHistoryResponse:
        """`with_unwritten_task`: end a running run's history with its transient or speculative
        workflow task's events (the real server does, except for its CLI and UI)."""
        engine = self.engine
        state = engine.run_for_execution(request.namespace, request.execution)
        response = wsv1.GetWorkflowExecutionHistoryResponse()
        if request.history_event_filter_type == FilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT:
            if request.next_page_token:
                # A caller polling again keeps waiting on the run it started with.
                token = PageToken.decode(request.next_page_token, state.key.run_id)
                state = engine.run(request.namespace, request.execution.workflow_id, token.run_id)
            # Wait for the close event in the store, not for the run's state to say closed: the state
            # changes before its commit is durable, the stored history only after.
            event = close_event(engine.store, state)
            if request.wait_new_event:
                loop = engine.loop
                deadline = loop.time() + timeout
                while event is None and not engine.closing and (remaining := deadline - loop.time()) > 0:
                    await engine.wait_for_history(state.key, remaining)
                    event = close_event(engine.store, state)
            if event is not None:
                response.history.events.append(event)
            elif request.wait_new_event:
                # The poll expired first: an empty page with a token tells the caller to poll again,
                # as the real server does (the official Python SDK's result() on a handle without
                # a run id stops with "No completion event found" on an empty page without one).
                response.next_page_token = PageToken(state.key.run_id, state.next_event_id).encode()
            return response

        if request.next_page_token:
            token = PageToken.decode(request.next_page_token, state.key.run_id)
        else:
            token = PageToken(state.key.run_id, 1)
        # As on the real server, only a RUNNING run is followed: a paused one's history ends
        # where it is (no token), as a closed one's does.
        following = state.running and not state.paused
        if request.wait_new_event and following and engine.store.last_event_id(state.key) < token.next_event_id:
            await engine.wait_for_history(state.key, timeout)
        stored_last = engine.store.last_event_id(state.key)
        events, next_token = page(
            engine.store, state, token, request.maximum_page_size, with_unwritten_task=with_unwritten_task
        )
        response.history.events.extend(events)
        following = state.running and not state.paused
        if not next_token and request.wait_new_event and following:
            # A follower keeps its place (after the stored events: an unwritten task's events
            # are shown again, or written, later) and long-polls for what comes next.
            next_event_id = min(token.next_event_id + len(events), stored_last + 1)
            next_token = PageToken(state.key.run_id, next_event_id).encode()
        response.next_page_token = next_token
        return response

    def get_history_reverse(
        self, request: wsv1.GetWorkflowExecutionHistoryReverseRequest
    ) -> wsv1.GetWorkflowExecutionHistoryReverseResponse:
        engine = self.engine
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
        state = engine.run_for_execution(request.namespace, request.execution)
        first = engine.store.read(state.key, 1, 1)
        response = describe.describe(state, first[0] if first else None)
        skipping = time_skipping.info(state, engine.clock.now())
        if skipping is not None:
            response.workflow_extended_info.time_skipping_info.CopyFrom(skipping)
        return response

    def list(self, request: wsv1.ListWorkflowExecutionsRequest) -> wsv1.ListWorkflowExecutionsResponse:
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

        found = self.engine.execution_info(RunKey(record.namespace, record.workflow_id, record.run_id))
        if found is None:
            info = workflow_pb.WorkflowExecutionInfo(status=record.status, task_queue=record.task_queue)  # type: ignore[arg-type]
            info.execution.workflow_id = record.workflow_id
            info.execution.run_id = record.run_id
            info.type.name = record.workflow_type
            return info
        return found
