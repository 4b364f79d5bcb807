"""What workers call: long polls for tasks and the responses to them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import query_pb2, task_queue_pb2
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue

from devserver.core import activities, command_checks, commands, queries, workflow_tasks
from devserver.core.activities import ActivityInfo
from devserver.core.changes import (
    ActivityTaskRef,
    Changes,
    QueryAnswer,
    QueryTaskRef,
    RunKey,
    TaskRef,
    WorkflowTaskRef,
)
from devserver.core.ids import is_uuid, random_uuid
from devserver.core.mutable_state import MutableState, WorkflowTaskStart, task_queue_message
from devserver.core.protos import duration, set_timestamp, timestamp
from devserver.core.tokens import TaskToken
from devserver.engine import Engine
from devserver.errors import HistoryLimitExceeded, InvalidArgument, NotFound, TaskNotFound, UnhandledCommand
from devserver.history_pages import PAGE_SIZE, PageToken
from devserver.matching import Poller, TaskQueue

# Finds the activity attempt an answer is for, inside the change (see WorkerOps._by_token).
Finder = Callable[[MutableState, Changes], ActivityInfo]


# What a query task's answer may say it is (an enum's values() is a list made per call).
_QUERY_RESULT_TYPES = frozenset(query_pb2.QueryResultType.values())


class WorkerOps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _namespace_id(self, name: str) -> str:
        return self.engine.namespaces.get(name).info.id

    # ---- polling ----------------------------------------------------------------------

    def _queue(self, namespace: str, queue: taskqueue.TaskQueue, kind: str, identity: str) -> TaskQueue:
        if not queue.name:
            raise InvalidArgument("TaskQueue is not set on request.")
        found = self.engine.matching.queue(namespace, queue.name, kind)
        found.pollers[identity] = Poller(identity, self.engine.clock.now())
        return found

    async def _poll(self, queue: TaskQueue, timeout: float) -> TaskRef | None:
        if self.engine.closing:
            return None
        return await queue.poll(timeout, self.engine.loop)

    async def poll_workflow_task(
        self, request: wsv1.PollWorkflowTaskQueueRequest, timeout: float
    ) -> wsv1.PollWorkflowTaskQueueResponse:
        queue = self._queue(request.namespace, request.task_queue, "workflow", request.identity)
        loop = self.engine.loop
        deadline = loop.time() + timeout
        while (remaining := deadline - loop.time()) > 0:
            ref = await self._poll(queue, remaining)
            if ref is None:
                break
            capabilities = request.worker_version_capabilities
            # Like the real server: an SDK without versioning sends its build id as the binary checksum.
            build_id = request.deployment_options.build_id or capabilities.build_id or request.binary_checksum
            response = await self._start_workflow_task(ref, request.identity, queue, build_id)
            if response is not None:
                return response
        return wsv1.PollWorkflowTaskQueueResponse()

    async def _start_workflow_task(
        self, ref: TaskRef, identity: str, queue: TaskQueue, build_id: str = ""
    ) -> wsv1.PollWorkflowTaskQueueResponse | None:
        state = self.engine.runs.get(ref.run)
        if state is None:
            return None
        if isinstance(ref, QueryTaskRef):
            return self._legacy_query_task(state, ref)
        assert isinstance(ref, WorkflowTaskRef)
        limits = self.engine.config.limits
        request_id = random_uuid()
        try:
            start = await self.engine.change(
                state, lambda run, ch: workflow_tasks.start(run, ch, ref.seq, identity, request_id, build_id, limits)
            )
        except HistoryLimitExceeded:
            return None  # the run was terminated instead; the poll goes on, as on the real server
        if start is None:
            return None  # stale: a copy of a task already taken, or of one that is gone
        response = self.task_response(state, start)
        response.backlog_count_hint = len(queue.backlog)
        return response

    def task_response(
        self, state: MutableState, start: WorkflowTaskStart, partial: bool = False
    ) -> wsv1.PollWorkflowTaskQueueResponse:
        """The PollWorkflowTaskQueueResponse for a started task (also sent inline by
        RespondWorkflowTaskCompleted and StartWorkflowExecution)."""
        key = state.key
        token = TaskToken("workflow", key.namespace, key.workflow_id, key.run_id, start.seq, start.attempt)
        response = wsv1.PollWorkflowTaskQueueResponse(
            task_token=token.encode(),
            previous_started_event_id=start.previous_started_event_id,
            started_event_id=start.started_event_id,
            attempt=start.attempt,
            workflow_execution_task_queue=task_queue_message(state.task_queue),
        )
        set_timestamp(response.scheduled_time, start.scheduled_time)
        set_timestamp(response.started_time, start.started_time)
        response.workflow_execution.workflow_id = key.workflow_id
        response.workflow_execution.run_id = key.run_id
        response.workflow_type.name = state.workflow_type
        # A sticky worker, or the one handed its next task inline, has everything up to the
        # last task it completed.
        first = start.previous_started_event_id + 1 if start.sticky or partial else 1
        # A transient attempt's own events are not stored: they follow the stored ones.
        end = start.transient_events[0].event_id - 1 if start.transient_events else start.started_event_id
        if end - first + 1 > PAGE_SIZE:
            events = self.engine.store.read(key, first, first + PAGE_SIZE - 1)
            following = PageToken(key.run_id, first + PAGE_SIZE, end, start.seq if start.transient_events else 0)
            response.next_page_token = following.encode()
        else:
            events = self.engine.store.read(key, first, end) + start.transient_events
        response.history.events.extend(events)
        for query_id, query in start.queries.items():
            response.queries[query_id].CopyFrom(query)
        response.messages.extend(start.messages)
        return response

    def _legacy_query_task(self, state: MutableState, ref: QueryTaskRef) -> wsv1.PollWorkflowTaskQueueResponse | None:
        query = queries.legacy_query(state, ref.query_id)
        if query is None:
            return None
        key = state.key
        token = TaskToken("query", key.namespace, key.workflow_id, key.run_id, name=ref.query_id)
        response = wsv1.PollWorkflowTaskQueueResponse(
            task_token=token.encode(),
            previous_started_event_id=state.last_completed_started_event_id,
            attempt=1,
            query=query,
            workflow_execution_task_queue=task_queue_message(state.task_queue),
        )
        response.workflow_execution.workflow_id = key.workflow_id
        response.workflow_execution.run_id = key.run_id
        response.workflow_type.name = state.workflow_type
        # Workers reject a task without a history message, even an empty one (sticky case).
        response.history.SetInParent()
        if not ref.sticky:
            # A worker without the run cached replays it from the full history.
            last = self.engine.store.last_event_id(key)
            if last > PAGE_SIZE:
                response.history.events.extend(self.engine.store.read(key, 1, PAGE_SIZE))
                response.next_page_token = PageToken(key.run_id, PAGE_SIZE + 1, last).encode()
            else:
                response.history.events.extend(self.engine.store.read(key, 1, last))
        return response

    async def poll_activity_task(
        self, request: wsv1.PollActivityTaskQueueRequest, timeout: float
    ) -> wsv1.PollActivityTaskQueueResponse:
        queue = self._queue(request.namespace, request.task_queue, "activity", request.identity)
        loop = self.engine.loop
        deadline = loop.time() + timeout
        while (remaining := deadline - loop.time()) > 0:
            ref = await self._poll(queue, remaining)
            if ref is None:
                break
            assert isinstance(ref, ActivityTaskRef)
            state = self.engine.runs.get(ref.run)
            if state is None:
                continue
            take = functools.partial(
                activities.start,
                scheduled_event_id=ref.scheduled_event_id,
                attempt=ref.attempt,
                identity=request.identity,
                request_id=random_uuid(),
                queue=ref.queue,
            )
            response = await self.engine.change(state, take)
            if response is None:
                continue  # stale: the attempt is gone, paused, or already taken
            return response
        return wsv1.PollActivityTaskQueueResponse()

    # ---- workflow task responses ----------------------------------------------------------

    def _state_for(self, token: TaskToken) -> MutableState:
        state = self.engine.runs.get(_run_key(token))
        if state is None:
            raise TaskNotFound(_not_found_message(token.kind))
        return state

    async def complete_workflow_task(
        self, request: wsv1.RespondWorkflowTaskCompletedRequest
    ) -> wsv1.RespondWorkflowTaskCompletedResponse:
        token = _decode(request.task_token, "workflow")
        state = self._state_for(token)
        namespace = self.engine.namespaces.get(token.namespace)
        completion = await self.engine.change(
            state,
            lambda run, ch: commands.complete_workflow_task(
                run,
                ch,
                token.ref,
                request,
                namespace.check_search_attributes,
                self._namespace_id,
                self.engine.config.limits,
            ),
        )
        start = completion.next_task
        if completion.unhandled_command:
            raise UnhandledCommand()
        if completion.error is not None:
            raise InvalidArgument(completion.error.message)
        response = wsv1.RespondWorkflowTaskCompletedResponse(
            activity_tasks=completion.activity_tasks, reset_history_event_id=completion.reset_history_event_id
        )
        if start is not None:
            response.workflow_task.CopyFrom(self.task_response(state, start, partial=True))
        return response

    async def fail_workflow_task(self, request: wsv1.RespondWorkflowTaskFailedRequest) -> None:
        token = _decode(request.task_token, "workflow")
        state = self._state_for(token)
        failure = request.failure if request.HasField("failure") else None
        await self.engine.change(
            state, lambda run, ch: workflow_tasks.fail(run, ch, token.ref, request.cause, failure, request.identity)
        )

    async def respond_query_task(self, request: wsv1.RespondQueryTaskCompletedRequest) -> None:
        token = _decode(request.task_token, "query")
        state = self._state_for(token)
        if request.completed_type not in _QUERY_RESULT_TYPES:
            # Taken and dropped, as by the real server: the query's caller waits out its deadline.
            return
        if request.completed_type == query_pb2.QUERY_RESULT_TYPE_ANSWERED:
            answer = QueryAnswer(result=request.query_result)
        else:
            answer = QueryAnswer(error=request.error_message or "query failed")
        await self.engine.pass_query(state, lambda run, ch: queries.answer_legacy(run, ch, token.name, answer))

    # ---- activity task responses ---------------------------------------------------------
    # Each finds its attempt inside the change (by token, or by activity id), so a late answer
    # is judged against the run as the change sees it.

    def _by_token(self, request: Any) -> tuple[MutableState, Finder]:
        token = _decode(request.task_token, "activity")
        state = self._state_for(token)
        return state, lambda run, ch: activities.started_activity(run, ch, token)

    def _by_id(self, request: Any, *, started: bool = True) -> tuple[MutableState, Finder]:
        """The run and a finder of the pending activity an id names; only a started attempt unless
        `started` is False (then an unstarted one counts as started now, by the caller, as on the
        real server: completing by id needs no poll)."""
        # The real server's checks, in its order: without a workflow id it looks for a standalone
        # activity (which this server does not run), so that is a NOT_FOUND, not a bad request.
        if not request.activity_id:
            raise InvalidArgument("ActivityId is not set on request.")
        if request.run_id and not is_uuid(request.run_id):
            raise InvalidArgument("RunId is not valid UUID.")
        if not request.workflow_id:
            raise NotFound(f"activity not found for ID: {request.activity_id}")
        state = self.engine.run(request.namespace, request.workflow_id, request.run_id)

        def find(run: MutableState, ch: Changes) -> ActivityInfo:
            info = activities.pending_by_id(run, request.activity_id, started=started)
            if not started:
                activities.start_by_id(ch, info, request.identity)
            return info

        return state, find

    async def _complete(
        self, request: Any, found: tuple[MutableState, Finder], version: common.WorkerVersionStamp | None = None
    ) -> None:
        state, find = found
        result = _payloads(request, "result")
        await self.engine.change(
            state, lambda run, ch: activities.complete(run, ch, find(run, ch), result, request.identity, version)
        )

    async def respond_activity_completed(self, request: wsv1.RespondActivityTaskCompletedRequest) -> None:
        await self._complete(request, self._by_token(request), _version_stamp(request))

    async def respond_activity_completed_by_id(self, request: wsv1.RespondActivityTaskCompletedByIdRequest) -> None:
        await self._complete(request, self._by_id(request, started=False))

    async def _fail(
        self,
        request: wsv1.RespondActivityTaskFailedRequest | wsv1.RespondActivityTaskFailedByIdRequest,
        found: tuple[MutableState, Finder],
        version: common.WorkerVersionStamp | None = None,
    ) -> None:
        state, find = found
        details = _payloads(request, "last_heartbeat_details")
        await self.engine.change(
            state,
            lambda run, ch: activities.fail(
                run, ch, find(run, ch), request.failure, request.identity, details, version
            ),
        )

    async def respond_activity_failed(self, request: wsv1.RespondActivityTaskFailedRequest) -> None:
        await self._fail(request, self._by_token(request), _version_stamp(request))

    async def respond_activity_failed_by_id(self, request: wsv1.RespondActivityTaskFailedByIdRequest) -> None:
        await self._fail(request, self._by_id(request))

    async def _canceled(self, request: Any, found: tuple[MutableState, Finder]) -> None:
        state, find = found
        details = _payloads(request, "details")
        await self.engine.change(
            state,
            lambda run, ch: activities.cancel_acknowledged(run, ch, find(run, ch), details, request.identity),
        )

    async def respond_activity_canceled(self, request: wsv1.RespondActivityTaskCanceledRequest) -> None:
        await self._canceled(request, self._by_token(request))

    async def respond_activity_canceled_by_id(self, request: wsv1.RespondActivityTaskCanceledByIdRequest) -> None:
        await self._canceled(request, self._by_id(request))

    async def _heartbeat(
        self, request: Any, found: tuple[MutableState, Finder]
    ) -> wsv1.RecordActivityTaskHeartbeatResponse:
        state, find = found
        details = _payloads(request, "details")
        return await self.engine.change(state, lambda run, ch: activities.heartbeat(run, ch, find(run, ch), details))

    async def record_heartbeat(
        self, request: wsv1.RecordActivityTaskHeartbeatRequest
    ) -> wsv1.RecordActivityTaskHeartbeatResponse:
        return await self._heartbeat(request, self._by_token(request))

    async def record_heartbeat_by_id(
        self, request: wsv1.RecordActivityTaskHeartbeatByIdRequest
    ) -> wsv1.RecordActivityTaskHeartbeatResponse:
        return await self._heartbeat(request, self._by_id(request))

    # ---- sticky queues and pollers -----------------------------------------------------------

    async def reset_sticky(self, request: wsv1.ResetStickyTaskQueueRequest) -> None:
        state = self.engine.run_for_execution(request.namespace, request.execution)
        await self.engine.change(state, lambda run, ch: workflow_tasks.move_off_sticky(run, ch))

    async def shutdown_worker(self, request: wsv1.ShutdownWorkerRequest) -> None:
        """The worker's sticky queue is gone: its runs go back to their normal queues."""
        sticky = request.sticky_task_queue
        if not sticky:
            return
        stranded = self.engine.matching.drop_queue(request.namespace, sticky, "workflow")
        for state in self.engine.running_states():
            if state.key.namespace != request.namespace or state.sticky_queue != sticky:
                continue
            await self.engine.change(state, lambda run, ch: workflow_tasks.move_off_sticky(run, ch))
        self.engine.requeue_queries(stranded)

    def describe_task_queue(self, request: wsv1.DescribeTaskQueueRequest) -> wsv1.DescribeTaskQueueResponse:
        if not request.task_queue.name:
            raise InvalidArgument("TaskQueue is not set on request.")
        response = wsv1.DescribeTaskQueueResponse()
        if request.api_mode == task_queue_pb2.DESCRIBE_TASK_QUEUE_MODE_ENHANCED:
            # Enhanced answers go per build id ("" = unversioned) and per queue type; clients take
            # legacy fields in this mode for a sign of an old server.
            types = list(request.task_queue_types) or [
                task_queue_pb2.TASK_QUEUE_TYPE_WORKFLOW,
                task_queue_pb2.TASK_QUEUE_TYPE_ACTIVITY,
            ]
            version = response.versions_info[""]
            if request.report_task_reachability:
                # Tempo has no versioned workers: new and running workflows all reach the unversioned queue.
                version.task_reachability = task_queue_pb2.BUILD_ID_TASK_REACHABILITY_REACHABLE
            for queue_type in types:
                type_info = version.types_info[queue_type]
                if request.report_pollers:
                    type_info.pollers.extend(self._pollers(request, queue_type))
                if request.report_stats:
                    type_info.stats.CopyFrom(self._stats(request, queue_type))
            return response
        response.pollers.extend(self._pollers(request, request.task_queue_type))
        if request.report_stats:
            response.stats.CopyFrom(self._stats(request, request.task_queue_type))
        if request.include_task_queue_status:
            kind = "activity" if request.task_queue_type == task_queue_pb2.TASK_QUEUE_TYPE_ACTIVITY else "workflow"
            queue = self.engine.matching.queue(request.namespace, request.task_queue.name, kind)
            status = response.task_queue_status
            status.backlog_count_hint = len(queue.backlog)
            status.rate_per_second = 100000.0
            status.task_id_block.start_id = 1
            status.task_id_block.end_id = 100000
        return response

    def list_partitions(
        self, request: wsv1.ListTaskQueuePartitionsRequest, address: str
    ) -> wsv1.ListTaskQueuePartitionsResponse:
        """A Tempo task queue has one partition (the real dev server splits each into four),
        owned by this server."""
        if not request.HasField("task_queue"):
            raise InvalidArgument("taskQueue is not set")
        problem = command_checks.task_queue_name_problem(request.task_queue.name)
        if problem is not None:
            raise InvalidArgument(problem)
        partition = taskqueue.TaskQueuePartitionMetadata(key=request.task_queue.name, owner_host_name=address)
        return wsv1.ListTaskQueuePartitionsResponse(
            activity_task_queue_partitions=[partition], workflow_task_queue_partitions=[partition]
        )

    def _stats(self, request: wsv1.DescribeTaskQueueRequest, queue_type: int) -> taskqueue.TaskQueueStats:
        """Backlog and rates, as the real server reports them (rates over the last 30 s)."""
        queue = self._queue_of(request, queue_type)
        stats = taskqueue.TaskQueueStats(
            approximate_backlog_count=len(queue.backlog),
            tasks_add_rate=queue.added.rate(),
            tasks_dispatch_rate=queue.dispatched.rate(),
        )
        stats.approximate_backlog_age.CopyFrom(duration(queue.backlog_age()))
        return stats

    def _queue_of(self, request: wsv1.DescribeTaskQueueRequest, queue_type: int) -> TaskQueue:
        kind = "activity" if queue_type == task_queue_pb2.TASK_QUEUE_TYPE_ACTIVITY else "workflow"
        return self.engine.matching.queue(request.namespace, request.task_queue.name, kind)

    def _pollers(self, request: wsv1.DescribeTaskQueueRequest, queue_type: int) -> list[taskqueue.PollerInfo]:
        queue = self._queue_of(request, queue_type)
        return [
            taskqueue.PollerInfo(
                identity=poller.identity,
                last_access_time=timestamp(poller.last_access_time),
                rate_per_second=100000.0,
            )
            for poller in queue.pollers.values()
        ]


def _decode(raw: bytes, kind: str) -> TaskToken:
    if not raw:
        raise InvalidArgument("Task token not set on request.")
    token = TaskToken.decode(raw)
    if token.kind != kind:
        raise InvalidArgument("Error deserializing task token.")
    return token


def _run_key(token: TaskToken) -> RunKey:
    return RunKey(token.namespace, token.workflow_id, token.run_id)


def _not_found_message(kind: str) -> str:
    return {"workflow": "Workflow task not found.", "activity": activities.ACTIVITY_TASK_NOT_FOUND}.get(
        kind, "query task not found or already answered"
    )


def _payloads(request: object, name: str) -> common.Payloads | None:
    return getattr(request, name) if request.HasField(name) else None  # type: ignore[attr-defined]


def _version_stamp(
    request: wsv1.RespondActivityTaskCompletedRequest | wsv1.RespondActivityTaskFailedRequest,
) -> common.WorkerVersionStamp | None:
    """The version stamp a worker sent with its activity's outcome, for the attempt's Started event."""
    return request.worker_version if request.HasField("worker_version") else None
