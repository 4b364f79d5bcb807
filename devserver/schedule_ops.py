"""Schedules behind the RPCs: what each schedule RPC means, and the loop that runs schedules.

Each schedule is a `core.schedules.ScheduleState`. A wake (`_wake`) takes the schedule's
lock, asks the core rules what is due, saves the state (so a start it is about to make is
remembered, with its request id, before it is made), then starts, cancels or terminates
workflows through the engine, records what it started, saves again, and arms the next wake:
the next action time, or soon while a buffered start waits for a running workflow to close.
A start repeated after a crash carries the same request id, so the engine answers with the
run the first attempt started. See docs/architecture.md (Schedules).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb

from devserver.clock import Cancellable
from devserver.core import schedules as core
from devserver.core.protos import timestamp, with_value_names
from devserver.core.schedule_spec import SpecError, canonicalize, seconds_of_time
from devserver.engine import Engine
from devserver.errors import FailedPrecondition, InvalidArgument, NotFound, ServiceError, WorkflowAlreadyStarted
from devserver.list_filter import parse_query
from devserver.namespaces import SYSTEM_SEARCH_ATTRIBUTES, is_reserved_search_attribute
from devserver.run_ops import RunOps
from devserver.visibility import decode_search_attributes
from devserver.visibility_record import FieldType, InvalidQueryError, VisibilityRecord

log = logging.getLogger("tempo.schedules")

Status = with_value_names(wf_enums.WorkflowExecutionStatus)
ReusePolicy = with_value_names(wf_enums.WorkflowIdReusePolicy)
ScheduleKey = tuple[str, str]
_GROUP_BY = re.compile(r"\bgroup\s+by\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)

# While a buffered start waits for a running workflow to close, the schedule looks this often.
WAIT_FOR_CLOSE = 0.2
# Backfills with ALLOW_ALL are taken in batches a second apart (as the real server's).
BACKFILL_PAUSE = 1.0
MAX_ID_LENGTH = 1000
NOTES_LIMIT = 1000


class Schedules:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.run_ops = RunOps(engine)
        self.schedules: dict[ScheduleKey, core.ScheduleState] = {}
        self._locks: dict[ScheduleKey, asyncio.Lock] = {}
        self._wakes: dict[ScheduleKey, Cancellable] = {}

    # ---- RPCs -------------------------------------------------------------------------------

    async def create(self, request: wsv1.CreateScheduleRequest) -> bytes:
        namespace = self.engine.namespaces.get(request.namespace)
        if not request.schedule_id:
            raise InvalidArgument("Can't load workflow execution.  WorkflowId not set.")
        if len("temporal-sys-scheduler:" + request.schedule_id) > MAX_ID_LENGTH:
            raise InvalidArgument("WorkflowId length exceeds limit.")
        if not request.request_id:
            raise InvalidArgument("RequestId is not set on request.")
        _check_action(request.schedule.action)
        spec = _canonical(request.schedule.spec)
        namespace.check_search_attributes(request.schedule.action.start_workflow.search_attributes)
        namespace.check_search_attributes(request.search_attributes)
        key = (request.namespace, request.schedule_id)
        if key in self.schedules:
            raise WorkflowAlreadyStarted(f'schedule "{request.schedule_id}" is already registered', "", "")
        schedule = schedule_pb.Schedule()
        schedule.CopyFrom(request.schedule)
        schedule.spec.CopyFrom(spec)
        state = core.create(
            request.namespace,
            request.schedule_id,
            schedule,
            request.memo,
            request.search_attributes,
            self.engine.clock.now(),
        )
        if request.HasField("initial_patch"):
            core.patch(state, request.initial_patch, state.last_processed)
        self.schedules[key] = state
        await self._save(state)
        await self._carry_out_now(key, state)
        return core.conflict_token_bytes(state.conflict_token)

    async def describe(self, request: wsv1.DescribeScheduleRequest) -> wsv1.DescribeScheduleResponse:
        state = self._get(request.namespace, request.schedule_id)
        info = core.described_info(state)
        # As the real server: workflows that closed are left out here; the schedule itself
        # notices them when it next has something to start.
        still_running = [ex for ex in info.running_workflows if self._closed_status(state, ex) is None]
        del info.running_workflows[:]
        info.running_workflows.extend(still_running)
        schedule = core.described_schedule(state)
        if schedule.action.HasField("start_workflow"):
            self._annotate(state.namespace, schedule.action.start_workflow.search_attributes)
        response = wsv1.DescribeScheduleResponse(
            schedule=schedule,
            info=info,
            conflict_token=core.conflict_token_bytes(state.conflict_token),
        )
        if state.memo.fields:
            response.memo.CopyFrom(state.memo)
        if state.search_attributes.indexed_fields:
            response.search_attributes.CopyFrom(state.search_attributes)
            self._annotate(state.namespace, response.search_attributes)
        return response

    def _annotate(self, namespace: str, attributes: common.SearchAttributes) -> None:
        """Give each search attribute payload its type, as the real server's describe does."""
        known = {**SYSTEM_SEARCH_ATTRIBUTES, **self.engine.namespaces.get(namespace).search_attributes}
        for name, payload in attributes.indexed_fields.items():
            value_type = known.get(name)
            if value_type and "type" not in payload.metadata:
                type_name = IndexedValueType.Name(IndexedValueType.ValueType(value_type)).removeprefix(
                    "INDEXED_VALUE_TYPE_"
                )
                payload.metadata["type"] = "".join(p.capitalize() for p in type_name.split("_")).encode()

    async def update(self, request: wsv1.UpdateScheduleRequest) -> None:
        namespace = self.engine.namespaces.get(request.namespace)
        _check_action(request.schedule.action)
        spec = _canonical(request.schedule.spec)
        namespace.check_search_attributes(request.search_attributes)
        if not request.schedule.action.HasField("start_workflow"):
            raise InvalidArgument("Only StartWorkflow action is supported for schedules")
        if request.HasField("memo"):
            raise FailedPrecondition("memo updates are not supported on workflow-backed schedules")
        state = self._get(request.namespace, request.schedule_id)
        schedule = schedule_pb.Schedule()
        schedule.CopyFrom(request.schedule)
        schedule.spec.CopyFrom(spec)
        attributes = request.search_attributes if request.HasField("search_attributes") else None
        async with self._lock(state):
            now = self.engine.clock.now()
            if core.update(state, schedule, attributes, core.conflict_token_of(request.conflict_token), now):
                await self._save(state)
        self._arm(self._key(state), 0.0)

    async def patch(self, request: wsv1.PatchScheduleRequest) -> None:
        if not request.HasField("patch"):
            raise InvalidArgument("Patch is not set on request.")
        if len(request.patch.pause) > NOTES_LIMIT or len(request.patch.unpause) > NOTES_LIMIT:
            raise InvalidArgument("Schedule notes exceeds limit.")
        state = self._get(request.namespace, request.schedule_id)
        async with self._lock(state):
            core.patch(state, request.patch, self.engine.clock.now())
            await self._save(state)
        await self._carry_out_now(self._key(state), state)

    async def _carry_out_now(self, key: ScheduleKey, state: core.ScheduleState) -> None:
        """After a create or patch: an action it made due (trigger immediately, a backfill) is
        taken before the call is answered, so a describe that follows counts it, as the real
        server's does (its scheduler answers queries after its pending work); else look soon."""
        if state.buffer or state.backfills:
            await self._wake(key)
        else:
            self._arm(key, 0.0)

    async def delete(self, request: wsv1.DeleteScheduleRequest) -> None:
        state = self._get(request.namespace, request.schedule_id)
        async with self._lock(state):
            await self._remove(state)

    async def _remove(self, state: core.ScheduleState) -> None:
        key = self._key(state)
        self.schedules.pop(key, None)
        handle = self._wakes.pop(key, None)
        if handle is not None:
            handle.cancel()
        await self.engine.store.delete_schedule(state.namespace, state.schedule_id)

    def matching_times(self, request: wsv1.ListScheduleMatchingTimesRequest) -> list[float]:
        state = self._get(request.namespace, request.schedule_id)
        if not request.HasField("start_time") or not request.HasField("end_time"):
            raise InvalidArgument("missing or invalid query")
        start, end = seconds_of_time(request.start_time), seconds_of_time(request.end_time)
        return state.compiled.times_between(start, end, state.seed)

    def list_schedules(self, request: wsv1.ListSchedulesRequest) -> wsv1.ListSchedulesResponse:
        matching = self._matching(request.namespace, request.query)
        matching.sort(key=lambda s: (-seconds_of_time(s.info.create_time), s.schedule_id))
        page_size = request.maximum_page_size or 1000
        offset = _page_offset(request.next_page_token)
        page = matching[offset : offset + page_size]
        response = wsv1.ListSchedulesResponse()
        for state in page:
            entry = response.schedules.add(schedule_id=state.schedule_id, info=core.list_info(state))
            if state.memo.fields:
                entry.memo.CopyFrom(state.memo)
            if state.search_attributes.indexed_fields:
                entry.search_attributes.CopyFrom(state.search_attributes)
        if offset + page_size < len(matching):
            response.next_page_token = str(offset + page_size).encode()
        return response

    def count(self, request: wsv1.CountSchedulesRequest) -> int:
        grouped = _GROUP_BY.search(request.query)
        if grouped is not None:
            self._check_field(grouped.group(1))
            raise InvalidArgument(
                "invalid query: operation is not supported: "
                f"'GROUP BY' clause is not supported for search attribute {grouped.group(1)}"
            )
        return len(self._matching(request.namespace, request.query))

    def _matching(self, namespace: str, query: str) -> list[core.ScheduleState]:
        """The namespace's schedules the List Filter `query` matches (its search attributes,
        TemporalSchedulePaused, ScheduleId); a bad query is refused even if none exist."""
        found = [s for s in self.schedules.values() if s.namespace == namespace]
        if not query.strip():
            return found
        try:
            for predicate in parse_query(query).predicates:
                self._check_field(predicate.name)
            parsed = parse_query(re.sub(r"\bScheduleId\b", "WorkflowId", query))
            types: dict[str, FieldType | None] = dict(self.engine.visibility.search_attribute_types)
            types["TemporalSchedulePaused"] = FieldType.BOOL
            parsed.resolve(types)
        except InvalidQueryError as err:
            raise InvalidArgument(str(err)) from None
        return [s for s in found if parsed.matches(_record(s))]

    @staticmethod
    def _check_field(name: str) -> None:
        reserved = name in SYSTEM_SEARCH_ATTRIBUTES or is_reserved_search_attribute(name)
        if reserved and name != "TemporalSchedulePaused":
            raise InvalidArgument(f'invalid query filter for schedules: cannot filter on "{name}"')

    # ---- lookups and saving -------------------------------------------------------------------

    def _get(self, namespace: str, schedule_id: str) -> core.ScheduleState:
        if not schedule_id:
            raise InvalidArgument("WorkflowId is not set on request.")
        state = self.schedules.get((namespace, schedule_id))
        if state is None:
            raise NotFound(f"workflow not found for ID: temporal-sys-scheduler:{schedule_id}")
        return state

    @staticmethod
    def _key(state: core.ScheduleState) -> ScheduleKey:
        return (state.namespace, state.schedule_id)

    def _lock(self, state: core.ScheduleState) -> asyncio.Lock:
        return self._locks.setdefault(self._key(state), asyncio.Lock())

    async def _save(self, state: core.ScheduleState) -> None:
        await self.engine.store.save_schedule(state.namespace, state.schedule_id, json.dumps(core.dump(state)))

    async def restore(self, saved: Iterable[str]) -> None:
        """Schedules a store held at start: each wakes at once and catches up what it missed."""
        for text in saved:
            state = core.load(json.loads(text))
            self.schedules[self._key(state)] = state
            self._arm(self._key(state), 0.0)

    def forget_namespace(self, namespace: str) -> None:
        """The namespace is being deleted: its schedules stop (the store drops them with it)."""
        for key in [key for key in self.schedules if key[0] == namespace]:
            del self.schedules[key]
            handle = self._wakes.pop(key, None)
            if handle is not None:
                handle.cancel()

    def shutdown(self) -> None:
        for handle in self._wakes.values():
            handle.cancel()
        self._wakes.clear()

    # ---- running ------------------------------------------------------------------------------

    def _arm(self, key: ScheduleKey, delay: float) -> None:
        if self.engine.closing:
            return
        old = self._wakes.pop(key, None)
        if old is not None:
            old.cancel()
        # Through the engine's clock, like every other deadline (so a time-skipping clock moves it).
        clock = self.engine.clock
        self._wakes[key] = clock.call_at(clock.now() + max(delay, 0.0), lambda: self._due(key))

    def _due(self, key: ScheduleKey) -> None:
        if not self.engine.closing:
            self.engine.spawn_due(self._wake(key))

    async def _wake(self, key: ScheduleKey) -> None:
        state = self.schedules.get(key)
        if state is None:
            return
        self._wakes.pop(key, None)
        async with self._lock(state):
            if self.schedules.get(key) is not state:
                return  # deleted meanwhile
            next_delay = await self._run_once(state)
        if next_delay is not None:
            self._arm(key, next_delay)

    async def _run_once(self, state: core.ScheduleState) -> float | None:
        now = self.engine.clock.now()
        next_time = core.advance(state, now)
        if state.buffer:
            self._refresh(state)
        # Starts recorded before a crash but not confirmed are made again (same request ids).
        await self._carry_out_pending(state)
        for _ in range(core.MAX_BUFFER):
            decision = core.resolve_buffer(state, running=bool(state.info.running_workflows))
            await self._save(state)
            if not decision.starts and not decision.cancel_running and not decision.terminate_running:
                break
            for order in decision.starts:
                await self._start(state, order)
            if decision.terminate_running or decision.cancel_running:
                await self._end_running(state, terminate=decision.terminate_running)
                self._refresh(state)
            await self._save(state)
            # Go on while something buffered may start now (nothing it must wait for runs).
            if not state.buffer or state.info.running_workflows:
                break
        delays: list[float] = []
        expiry = core.retention_expiry(state, next_time)
        if expiry is not None:
            if expiry <= self.engine.clock.now():
                await self._remove(state)
                return None
            delays.append(expiry - self.engine.clock.now())
        if next_time is not None and state.can_take_action(False):
            delays.append(next_time - self.engine.clock.now())
        if state.buffer:
            delays.append(WAIT_FOR_CLOSE)
        if state.backfills:
            delays.append(BACKFILL_PAUSE)
        return min(delays) if delays else None

    async def _carry_out_pending(self, state: core.ScheduleState) -> None:
        pending = [s for s in state.buffer if s.request_id]
        if not pending:
            return
        state.buffer = [s for s in state.buffer if not s.request_id]
        for start in pending:
            alone = state.resolve(start.overlap) != core.Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL
            await self._start(state, core.StartOrder(start, core.started_workflow_id(state, start), alone))
        await self._save(state)

    async def _start(self, state: core.ScheduleState, order: core.StartOrder) -> None:
        action = state.schedule.action.start_workflow
        fields = dict(action.search_attributes.indexed_fields)
        moment = core.started_workflow_id(state, order.start)[len(action.workflow_id) + 1 :]
        fields["TemporalScheduledStartTime"] = _json_payload(moment)
        fields["TemporalScheduledById"] = _json_payload(state.schedule_id)
        request = wsv1.StartWorkflowExecutionRequest(
            namespace=state.namespace,
            workflow_id=order.workflow_id,
            workflow_type=action.workflow_type,
            task_queue=action.task_queue,
            identity=f"temporal-scheduler-{state.namespace}-{state.schedule_id}",
            request_id=order.start.request_id,
            workflow_id_reuse_policy=ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
            if order.start.manual
            else ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
            search_attributes=common.SearchAttributes(indexed_fields=fields),
        )
        if state.resolve(order.start.overlap) != core.Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL:
            if state.last_completion_result is not None:
                request.last_completion_result.CopyFrom(state.last_completion_result)
            if state.continued_failure is not None:
                request.continued_failure.CopyFrom(state.continued_failure)
        copied: tuple[str, ...] = ("input", "workflow_execution_timeout", "workflow_run_timeout")
        copied += ("workflow_task_timeout", "retry_policy", "memo", "header", "user_metadata", "priority")
        for name in copied:
            if action.HasField(name):  # type: ignore[arg-type]
                getattr(request, name).CopyFrom(getattr(action, name))
        try:
            run, _ = await self.run_ops.start_workflow(request)
        except WorkflowAlreadyStarted:
            log.info("schedule %s: workflow %s already started", state.schedule_id, order.workflow_id)
            return
        except ServiceError as err:
            log.warning("schedule %s could not start %s: %s", state.schedule_id, order.workflow_id, err)
            return
        core.record_action(state, order, run.key.run_id, run.start_time)

    async def _end_running(self, state: core.ScheduleState, terminate: bool) -> None:
        identity = f"temporal-scheduler-{state.namespace}-{state.schedule_id}"
        for ex in list(state.info.running_workflows):
            target = common.WorkflowExecution(workflow_id=ex.workflow_id)
            try:
                if terminate:
                    await self.run_ops.terminate(
                        wsv1.TerminateWorkflowExecutionRequest(
                            namespace=state.namespace,
                            workflow_execution=target,
                            reason="terminated by schedule overlap policy",
                            identity=identity,
                            first_execution_run_id=ex.run_id,
                        )
                    )
                else:
                    await self.run_ops.request_cancel(
                        wsv1.RequestCancelWorkflowExecutionRequest(
                            namespace=state.namespace,
                            workflow_execution=target,
                            reason="cancelled by schedule overlap policy",
                            identity=identity,
                            first_execution_run_id=ex.run_id,
                        )
                    )
            except ServiceError as err:
                log.info("schedule %s could not end %s: %s", state.schedule_id, ex.workflow_id, err)

    def _refresh(self, state: core.ScheduleState) -> bool:
        """Forget started workflows that have closed; True if any had."""
        changed = False
        for ex in list(state.info.running_workflows):
            status = self._closed_status(state, ex)
            if status is not None:
                result, failure = self._outcome(state, ex)
                core.workflow_closed(state, ex.workflow_id, status, result, failure)
                changed = True
        return changed

    def _outcome(
        self, state: core.ScheduleState, ex: common.WorkflowExecution
    ) -> tuple[common.Payloads | None, failure_pb.Failure | None]:
        """The result or failure a closed workflow ended with (from its chain's last run)."""
        chain = self.engine.chains.get((state.namespace, ex.workflow_id))
        if chain is None:
            return None, None
        run = chain.current
        last = self.engine.store.read(run.key, run.next_event_id - 1, run.next_event_id - 1)
        if not last:
            return None, None
        event = last[0]
        if event.HasField("workflow_execution_completed_event_attributes"):
            return event.workflow_execution_completed_event_attributes.result, None
        if event.HasField("workflow_execution_failed_event_attributes"):
            return None, event.workflow_execution_failed_event_attributes.failure
        return None, None

    def _closed_status(self, state: core.ScheduleState, ex: common.WorkflowExecution) -> int | None:
        """How a workflow the schedule started ended, or None while it runs."""
        chain = self.engine.chains.get((state.namespace, ex.workflow_id))
        if chain is None or chain.current.first_execution_run_id != ex.run_id:
            # Gone, or replaced by another chain: not running, and how it ended is unknown.
            return Status.WORKFLOW_EXECUTION_STATUS_TERMINATED
        return None if chain.current.running else chain.current.status


def _record(state: core.ScheduleState) -> VisibilityRecord:
    """A schedule as the List Filter sees it (the real server lists its scheduler workflow)."""
    attributes = {**decode_search_attributes(state.search_attributes), "TemporalSchedulePaused": state.paused}
    created = datetime.fromtimestamp(seconds_of_time(state.info.create_time), UTC)
    return VisibilityRecord(
        namespace=state.namespace,
        workflow_id=state.schedule_id,
        run_id="",
        workflow_type="temporal-sys-scheduler-workflow",
        task_queue="temporal-sys-per-ns-tq",
        status=Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
        start_time=created,
        execution_time=created,
        close_time=None,
        search_attributes=attributes,
    )


def _page_offset(token: bytes) -> int:
    """Where a ListSchedules page starts: its token is the offset as digits."""
    if not token:
        return 0
    text = token.decode("ascii", errors="replace")
    if not text.isascii() or not text.isdigit():
        raise InvalidArgument("invalid next page token")
    return int(text)


def _json_payload(value: str) -> common.Payload:
    return common.Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())


def _canonical(spec: schedule_pb.ScheduleSpec) -> schedule_pb.ScheduleSpec:
    try:
        return canonicalize(spec)
    except SpecError as err:
        raise InvalidArgument(f"Invalid schedule spec: {err}") from None


def _check_action(action: schedule_pb.ScheduleAction) -> None:
    if not action.HasField("start_workflow"):
        return
    start = action.start_workflow
    # An empty workflow id is allowed: started workflows are named "-<time>".
    if not start.workflow_type.name:
        raise InvalidArgument("WorkflowType is not set on request.")
    if not start.task_queue.name:
        raise InvalidArgument("taskQueue is not set")
    if start.cron_schedule:
        raise InvalidArgument("Scheduled workflow must not contain CronSchedule")
    if start.workflow_id_reuse_policy not in (
        ReusePolicy.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED,
        ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
    ):
        raise InvalidArgument("Scheduled workflow must not contain WorkflowIDReusePolicy")


def matching_response(times: list[float]) -> wsv1.ListScheduleMatchingTimesResponse:
    return wsv1.ListScheduleMatchingTimesResponse(start_time=[timestamp(t) for t in times])
