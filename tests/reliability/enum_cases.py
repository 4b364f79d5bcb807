"""Requests with an enum field set to a value the enum does not define.

Every enum field reachable in a request (nested messages, repeated fields, map values, oneof
members) is found by walking the request's descriptor, so a new RPC or a new field is covered
without a hand list. `Requests` builds a well-formed request for every implemented RPC against a
live server (fresh workflows, workflow and activity task tokens, a query task), so the bad enum is
the only thing wrong with it.

Used by `tests/reliability/test_fuzz.py`, `tests/reliability/test_enums.py` and
`bench/enum_parity.py` (both servers side by side).
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import command_type_pb2, update_pb2
from temporalio.api.operatorservice.v1 import request_response_pb2 as opv1
from temporalio.api.operatorservice.v1.service_pb2_grpc import OperatorServiceStub
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.reliability.fuzzing import call_raw, deadline_for

# A value no Temporal enum defines (the one issue 17 was reported with).
UNDEFINED = 999

EnumPath = tuple[FieldDescriptor, ...]


def enum_paths(descriptor: Descriptor) -> list[EnumPath]:
    """Every enum field reachable from `descriptor`, each as the chain of fields leading to it.
    A message type is entered once per chain (Failure.cause is a Failure), so this ends."""
    paths: list[EnumPath] = []

    def walk(message: Descriptor, prefix: EnumPath, entered: frozenset[str]) -> None:
        for f in message.fields:
            if f.type == FieldDescriptor.TYPE_ENUM:
                paths.append((*prefix, f))
            elif f.message_type is not None and f.message_type.GetOptions().map_entry:
                value = f.message_type.fields_by_name["value"]
                if value.type == FieldDescriptor.TYPE_ENUM:
                    paths.append((*prefix, f))
                elif value.message_type is not None and value.message_type.full_name not in entered:
                    walk(value.message_type, (*prefix, f), entered | {value.message_type.full_name})
            elif f.message_type is not None and f.message_type.full_name not in entered:
                walk(f.message_type, (*prefix, f), entered | {f.message_type.full_name})

    walk(descriptor, (), frozenset({descriptor.full_name}))
    return paths


def path_name(path: EnumPath) -> str:
    return ".".join(f.name + ("[]" if f.is_repeated else "") for f in path)


def enum_of(path: EnumPath) -> EnumDescriptor:
    leaf = path[-1]
    if leaf.enum_type is None:  # a map whose values are an enum
        assert leaf.message_type is not None
        value = leaf.message_type.fields_by_name["value"]
        assert value.enum_type is not None
        return value.enum_type
    return leaf.enum_type


def undefined_value(enum: EnumDescriptor) -> int:
    return UNDEFINED if UNDEFINED not in enum.values_by_number else max(enum.values_by_number) + 1


def _map_key(field: FieldDescriptor) -> str | int:
    assert field.message_type is not None
    key = field.message_type.fields_by_name["key"]
    return "EnumProbeKey" if key.type == FieldDescriptor.TYPE_STRING else 1


def set_enum(request: Message, path: EnumPath, value: int) -> Message:
    """A copy of `request` with the enum at `path` set to `value` (a repeated enum gets it
    appended; a repeated message's first element, added if there is none, holds it)."""
    result = type(request)()
    result.CopyFrom(request)
    target: Message = result
    *parents, leaf = path
    for depth, f in enumerate(parents):
        container = getattr(target, f.name)
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            target = container[next(iter(container), _map_key(f))]
        elif f.is_repeated:
            target = _element_for(container, path[depth + 1])
        else:
            target = container
            # An empty sub-message must still be marked present (a oneof member chosen).
            target.SetInParent()
    if leaf.message_type is not None:  # a map of enums
        container = getattr(target, leaf.name)
        container[next(iter(container), _map_key(leaf))] = value
    elif leaf.is_repeated:
        getattr(target, leaf.name).append(value)
    else:
        setattr(target, leaf.name, value)
    _match_command_types(result)
    return result


def _element_for(container: Any, inner: FieldDescriptor) -> Message:
    """The element of a repeated message field that already holds `inner` when `inner` is a
    oneof member (ExecuteMultiOperation's update is its second operation), else the first."""
    if inner.containing_oneof is not None:
        for element in container:
            if element.WhichOneof(inner.containing_oneof.name) == inner.name:
                return element  # type: ignore[no-any-return]
    return container[0] if len(container) else container.add()  # type: ignore[no-any-return]


def _match_command_types(request: Message) -> None:
    """A command names its attributes twice (command_type and the oneof): keep them agreeing,
    unless command_type itself is what is being set."""
    if not isinstance(request, wsv1.RespondWorkflowTaskCompletedRequest):
        return
    for command in request.commands:
        chosen = command.WhichOneof("attributes")
        if chosen is None or command.command_type not in command_type_pb2.CommandType.values():
            continue
        name = "COMMAND_TYPE_" + chosen.removesuffix("_command_attributes").upper()
        command.command_type = command_type_pb2.CommandType.Value(name)


def _minimal_attributes(command: command_pb.Command, attributes: str) -> None:
    """Fill the attributes a command needs so that a real server accepts it as it is."""
    queue = TaskQueue(name="enum-probe-children")
    timeout = Duration(seconds=10)
    if attributes == "schedule_activity_task_command_attributes":
        a = command.schedule_activity_task_command_attributes
        a.activity_id, a.activity_type.name = "probe-activity", "ProbeActivity"
        a.task_queue.CopyFrom(queue)
        a.start_to_close_timeout.CopyFrom(timeout)
    elif attributes == "fail_workflow_execution_command_attributes":
        command.fail_workflow_execution_command_attributes.failure.message = "probe"
    elif attributes == "record_marker_command_attributes":
        command.record_marker_command_attributes.marker_name = "probe-marker"
    elif attributes == "continue_as_new_workflow_execution_command_attributes":
        a2 = command.continue_as_new_workflow_execution_command_attributes
        a2.workflow_type.name = "EnumProbe"
        a2.task_queue.CopyFrom(queue)
    elif attributes == "start_child_workflow_execution_command_attributes":
        a3 = command.start_child_workflow_execution_command_attributes
        a3.workflow_id, a3.workflow_type.name = f"probe-child-{uuid.uuid4().hex[:8]}", "EnumProbe"
        a3.task_queue.CopyFrom(queue)
    elif attributes == "start_timer_command_attributes":
        command.start_timer_command_attributes.timer_id = "probe-timer"
        command.start_timer_command_attributes.start_to_fire_timeout.CopyFrom(timeout)
    getattr(command, attributes).SetInParent()


@dataclass
class Requests:
    """Well-formed requests for every implemented RPC, made against the server behind `channel`
    in `namespace` (which must exist). Each call may start workflows it alone uses."""

    channel: grpc.Channel
    namespace: str
    queue_prefix: str = "enum-probe"

    def __post_init__(self) -> None:
        self.stub = WorkflowServiceStub(self.channel)

    def _id(self, kind: str) -> str:
        return f"{self.queue_prefix}-{kind}-{uuid.uuid4().hex[:10]}"

    def start(self, queue: str | None = None) -> WorkflowExecution:
        workflow_id = self._id("wf")
        started = self.stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace=self.namespace,
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="EnumProbe"),
                task_queue=TaskQueue(name=queue or workflow_id),
                request_id=str(uuid.uuid4()),
            ),
            timeout=10,
        )
        return WorkflowExecution(workflow_id=workflow_id, run_id=started.run_id)

    def scratch_namespace(self) -> str:
        """A new namespace, for a probe that changes or deletes one."""
        name = self._id("ns")
        self.stub.RegisterNamespace(
            wsv1.RegisterNamespaceRequest(namespace=name, workflow_execution_retention_period={"seconds": 86400}),
            timeout=10,
        )
        return name

    def workflow_task(self) -> tuple[WorkflowExecution, bytes]:
        """A running workflow and the token of its first workflow task."""
        queue = self._id("q")
        execution = self.start(queue)
        task = self.stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace=self.namespace, task_queue=TaskQueue(name=queue)), timeout=20
        )
        assert task.workflow_execution.run_id == execution.run_id, task
        return execution, task.task_token

    def settled(self) -> tuple[WorkflowExecution, str]:
        """A running workflow whose first workflow task completed, and its task queue."""
        queue = self._id("q")
        execution = self.start(queue)
        task = self.stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace=self.namespace, task_queue=TaskQueue(name=queue)), timeout=20
        )
        self.stub.RespondWorkflowTaskCompleted(
            wsv1.RespondWorkflowTaskCompletedRequest(namespace=self.namespace, task_token=task.task_token), timeout=10
        )
        return execution, queue

    def admitted_update(self) -> WorkflowExecution:
        """A running workflow that holds the update "probe-update" (no worker takes it)."""
        execution, _ = self.settled()
        update = wsv1.UpdateWorkflowExecutionRequest(namespace=self.namespace, workflow_execution=execution)
        update.request.meta.update_id = "probe-update"
        update.request.input.name = "probe"
        # ACCEPTED: held until the deadline.
        update.wait_policy.lifecycle_stage = update_pb2.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
        _ignore_errors(lambda: self.stub.UpdateWorkflowExecution(update, timeout=1.0))
        return execution

    def activity_task(self, cancel_requested: bool = False) -> tuple[WorkflowExecution, bytes]:
        """A running workflow and the token of the activity task it scheduled ("probe-activity");
        with `cancel_requested`, the workflow then asked to cancel it (only then may a worker
        report it canceled, as on the real server)."""
        queue = self._id("q")
        execution = self.start(queue)

        def complete_workflow_task(command: command_pb.Command) -> None:
            task = self.stub.PollWorkflowTaskQueue(
                wsv1.PollWorkflowTaskQueueRequest(namespace=self.namespace, task_queue=TaskQueue(name=queue)),
                timeout=20,
            )
            assert task.workflow_execution.run_id == execution.run_id, task
            self.stub.RespondWorkflowTaskCompleted(
                wsv1.RespondWorkflowTaskCompletedRequest(
                    namespace=self.namespace, task_token=task.task_token, commands=[command]
                ),
                timeout=10,
            )

        command = command_pb.Command(command_type=command_type_pb2.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK)
        _minimal_attributes(command, "schedule_activity_task_command_attributes")
        activity_queue = self._id("aq")
        command.schedule_activity_task_command_attributes.task_queue.name = activity_queue
        complete_workflow_task(command)
        task = self.stub.PollActivityTaskQueue(
            wsv1.PollActivityTaskQueueRequest(namespace=self.namespace, task_queue=TaskQueue(name=activity_queue)),
            timeout=20,
        )
        assert task.activity_id == "probe-activity", task
        if cancel_requested:
            # A signal makes the workflow task that asks to cancel it (scheduled as event 5:
            # started, task scheduled, started, completed, then the activity).
            self.stub.SignalWorkflowExecution(
                wsv1.SignalWorkflowExecutionRequest(
                    namespace=self.namespace,
                    workflow_execution=execution,
                    signal_name="probe-cancel",
                    request_id=str(uuid.uuid4()),
                ),
                timeout=10,
            )
            cancel = command_pb.Command(
                command_type=command_type_pb2.CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
                request_cancel_activity_task_command_attributes=command_pb.RequestCancelActivityTaskCommandAttributes(
                    scheduled_event_id=5
                ),
            )
            complete_workflow_task(cancel)
        return execution, task.task_token

    def query_task(self) -> Iterator[bytes]:
        """The token of a query task; the QueryWorkflow call waiting for it runs in a thread
        and ends after the generator resumes."""
        execution, queue = self.settled()
        query = wsv1.QueryWorkflowRequest(
            namespace=self.namespace, execution=execution, query=WorkflowQuery(query_type="probe")
        )
        waiting = threading.Thread(target=lambda: _ignore_errors(lambda: self.stub.QueryWorkflow(query, timeout=3)))
        waiting.start()
        try:
            task = self.stub.PollWorkflowTaskQueue(
                wsv1.PollWorkflowTaskQueueRequest(namespace=self.namespace, task_queue=TaskQueue(name=queue)),
                timeout=20,
            )
            assert task.HasField("query"), task
            yield task.task_token
        finally:
            waiting.join()

    def _schedule(self) -> Any:
        """A paused schedule that would start an EnumProbe workflow every hour."""
        schedule = schedule_pb.Schedule()
        schedule.spec.interval.add().interval.seconds = 3600
        start = schedule.action.start_workflow
        start.workflow_id = self._id("scheduled")
        start.workflow_type.name = "EnumProbe"
        start.task_queue.name = start.workflow_id
        schedule.state.paused = True
        return schedule

    def schedule(self) -> str:
        """The id of a schedule made for this case."""
        schedule_id = self._id("schedule")
        self.stub.CreateSchedule(
            wsv1.CreateScheduleRequest(
                namespace=self.namespace,
                schedule_id=schedule_id,
                schedule=self._schedule(),
                request_id=str(uuid.uuid4()),
            ),
            timeout=10,
        )
        return schedule_id

    def running_job(self) -> str:
        """A batch job still running: it signals 200 workflows that do not exist, which takes seconds."""
        job_id = self._id("job")
        request = wsv1.StartBatchOperationRequest(namespace=self.namespace, job_id=job_id, reason="enum probe")
        for index in range(200):
            request.executions.add(workflow_id=f"{job_id}-missing-{index}")
        request.signal_operation.signal = "probe"
        self.stub.StartBatchOperation(request, timeout=10)
        return job_id

    def _stop_job(self, job_id: str) -> None:
        """Let the next case start a job of its own (one may run at a time in a namespace)."""
        _ignore_errors(
            lambda: self.stub.StopBatchOperation(
                wsv1.StopBatchOperationRequest(namespace=self.namespace, job_id=job_id, reason="done"), timeout=10
            )
        )

    def build(self, method: MethodDescriptor, path: EnumPath | None) -> tuple[Message, Callable[[], None]]:
        """A well-formed request for `method`, and what to do once it was answered. `path` is the
        enum about to be set: the request gets the command its attributes belong to."""
        name = method.name
        request: Any = message_factory.GetMessageClass(method.input_type)()  # fields vary by method
        done: Callable[[], None] = lambda: None  # noqa: E731
        if hasattr(request, "namespace"):
            request.namespace = self.namespace
        if hasattr(request, "identity"):
            request.identity = "enum-probe"
        if hasattr(request, "request_id"):
            request.request_id = str(uuid.uuid4())
        if name in ("StartWorkflowExecution", "SignalWithStartWorkflowExecution"):
            request.workflow_id = self._id("wf")
            request.workflow_type.name = "EnumProbe"
            request.task_queue.name = request.workflow_id
            if name == "SignalWithStartWorkflowExecution":
                request.signal_name = "probe"
        elif name == "ExecuteMultiOperation":
            workflow_id = self._id("wf")
            start = request.operations.add().start_workflow
            start.CopyFrom(
                wsv1.StartWorkflowExecutionRequest(
                    namespace=self.namespace,
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="EnumProbe"),
                    task_queue=TaskQueue(name=workflow_id),
                    request_id=str(uuid.uuid4()),
                )
            )
            update = request.operations.add().update_workflow
            update.namespace = self.namespace
            update.workflow_execution.workflow_id = workflow_id
            update.request.meta.update_id = "probe-update"
            update.request.input.name = "probe"
            update.wait_policy.lifecycle_stage = 2  # ACCEPTED
        elif name in ("RespondWorkflowTaskCompleted", "RespondWorkflowTaskFailed"):
            _, request.task_token = self.workflow_task()
            if name == "RespondWorkflowTaskCompleted" and path is not None and path[0].name == "commands":
                command = request.commands.add()
                if len(path) > 2:
                    _minimal_attributes(command, path[1].name)
                else:
                    _minimal_attributes(command, "start_timer_command_attributes")
                _match_command_types(request)
        elif name.startswith("RespondActivityTask") or name.startswith("RecordActivityTaskHeartbeat"):
            execution, token = self.activity_task(cancel_requested=name.startswith("RespondActivityTaskCanceled"))
            if name.endswith("ById"):
                request.workflow_id, request.run_id = execution.workflow_id, execution.run_id
                request.activity_id = "probe-activity"
            else:
                request.task_token = token
        elif "Activity" in name and name != "PollActivityTaskQueue":
            # The activity control RPCs, by execution and activity id.
            execution, _ = self.activity_task()
            _fill_execution(request, execution)
            for field_name in ("id", "activity_id"):
                if field_name in request.DESCRIPTOR.fields_by_name:
                    setattr(request, field_name, "probe-activity")
            if "update_mask" in request.DESCRIPTOR.fields_by_name:
                request.update_mask.paths.append("task_queue.name")
                request.activity_options.task_queue.name = self._id("aq")
        elif name == "ResetWorkflowExecution":
            execution, _ = self.settled()
            request.workflow_execution.CopyFrom(execution)
            request.workflow_task_finish_event_id = 4  # the first WorkflowTaskCompleted
            request.reason = "enum probe"
        elif name == "RespondQueryTaskCompleted":
            tokens = self.query_task()
            request.task_token = next(tokens)
            request.completed_type = 1  # ANSWERED
            done = lambda: _drain(tokens)  # noqa: E731
        elif name in ("PollWorkflowTaskQueue", "PollActivityTaskQueue", "DescribeTaskQueue", "ListTaskQueuePartitions"):
            request.task_queue.name = self._id("idle")
        elif name == "UpdateWorkflowExecution":
            execution, _ = self.settled()
            request.workflow_execution.CopyFrom(execution)
            request.request.meta.update_id = "probe-update"
            request.request.input.name = "probe"
            request.wait_policy.lifecycle_stage = 2  # ACCEPTED
        elif name == "PollWorkflowExecutionUpdate":
            execution = self.admitted_update()
            request.update_ref.workflow_execution.CopyFrom(execution)
            request.update_ref.update_id = "probe-update"
            request.wait_policy.lifecycle_stage = 2
        elif name == "QueryWorkflow":
            execution, _ = self.settled()
            request.execution.CopyFrom(execution)
            request.query.query_type = "probe"
        elif name == "ShutdownWorker":
            request.sticky_task_queue = self._id("sticky")
        elif name == "RegisterNamespace":
            request.namespace = self._id("ns")
            request.workflow_execution_retention_period.seconds = 86400
        elif name in ("UpdateNamespace", "DeleteNamespace"):
            # A namespace of its own: the other probes need theirs.
            request.namespace = self.scratch_namespace()
        elif name == "AddSearchAttributes":
            request.search_attributes[f"EnumProbe{uuid.uuid4().hex[:8]}"] = 2  # KEYWORD
        elif name == "RemoveSearchAttributes":
            # One it has: a request naming none is refused ("SearchAttributes are not set").
            attribute = f"EnumProbe{uuid.uuid4().hex[:8]}"
            OperatorServiceStub(self.channel).AddSearchAttributes(
                opv1.AddSearchAttributesRequest(namespace=self.namespace, search_attributes={attribute: 2}),
                timeout=10,
            )
            request.search_attributes.append(attribute)
        elif name == "StartBatchOperation":
            request.job_id = self._id("job")
            request.reason = "enum probe"
            request.executions.append(self.start())
            operation = path[0].name if path is not None and path[0].name.endswith("_operation") else ""
            if operation:
                getattr(request, operation).SetInParent()
                if operation == "signal_operation":
                    request.signal_operation.signal = "probe"
            else:
                request.termination_operation.SetInParent()
            done = lambda: self._stop_job(request.job_id)  # noqa: E731
        elif name in ("StopBatchOperation", "DescribeBatchOperation"):
            request.job_id = self.running_job()
            if name == "StopBatchOperation":
                request.reason = "enum probe"
            else:
                done = lambda: self._stop_job(request.job_id)  # noqa: E731
        elif name == "CreateSchedule":
            request.schedule_id = self._id("schedule")
            request.schedule.CopyFrom(self._schedule())
        elif name in ("DescribeSchedule", "DeleteSchedule", "ListScheduleMatchingTimes"):
            request.schedule_id = self.schedule()
            if name == "ListScheduleMatchingTimes":
                request.start_time.GetCurrentTime()
                request.end_time.FromSeconds(request.start_time.seconds + 3600)
        elif name == "UpdateSchedule":
            request.schedule_id = self.schedule()
            request.schedule.CopyFrom(self._schedule())
        elif name == "PatchSchedule":
            request.schedule_id = self.schedule()
            request.patch.pause = "enum probe"
        elif name in ("SignalWorkflowExecution", "RequestCancelWorkflowExecution", "TerminateWorkflowExecution"):
            execution = self.start()
            _fill_execution(request, execution)
            if name == "SignalWorkflowExecution":
                request.signal_name = "probe"
        elif name in ("PauseWorkflowExecution", "UnpauseWorkflowExecution"):
            execution = self.start()
            request.workflow_id, request.run_id = execution.workflow_id, execution.run_id
            request.request_id = str(uuid.uuid4())
            if name == "UnpauseWorkflowExecution":
                pause = wsv1.PauseWorkflowExecutionRequest(
                    namespace=self.namespace, workflow_id=execution.workflow_id, request_id=str(uuid.uuid4())
                )
                self.stub.PauseWorkflowExecution(pause, timeout=10)
        else:
            for field_name in ("execution", "workflow_execution"):
                if field_name in request.DESCRIPTOR.fields_by_name:
                    _fill_execution(request, self.start())
                    break
        return request, done


def _fill_execution(request: Message, execution: WorkflowExecution) -> None:
    fields = request.DESCRIPTOR.fields_by_name
    for field_name in ("execution", "workflow_execution"):
        if field_name in fields:
            getattr(request, field_name).CopyFrom(execution)
            return
    if "workflow_id" in fields:
        request.workflow_id = execution.workflow_id  # type: ignore[attr-defined]
        request.run_id = execution.run_id  # type: ignore[attr-defined]


def _ignore_errors(call: Callable[[], object]) -> None:
    with contextlib.suppress(grpc.RpcError):
        call()


def _drain(tokens: Iterator[bytes]) -> None:
    for _ in tokens:
        pass


@dataclass(frozen=True)
class EnumCase:
    method: MethodDescriptor
    path: EnumPath | None  # None: the request as built, no enum changed
    value: int

    @property
    def name(self) -> str:
        if self.path is None:
            return f"{self.method.name}(well-formed)"
        return f"{self.method.name}.{path_name(self.path)}={self.value}"


def enum_cases(methods: list[MethodDescriptor], with_unspecified: bool = True) -> list[EnumCase]:
    """One case per method with the request as built, then one per enum field with an undefined
    value, and (for repeated enums and maps of enums, where 0 can be sent explicitly) with 0."""
    cases: list[EnumCase] = []
    for method in methods:
        cases.append(EnumCase(method, None, 0))
        for path in enum_paths(method.input_type):
            cases.append(EnumCase(method, path, undefined_value(enum_of(path))))
            if with_unspecified and (path[-1].is_repeated):
                cases.append(EnumCase(method, path, 0))
    return cases


def answer(requests: Requests, service: str, case: EnumCase) -> tuple[grpc.StatusCode, str]:
    """Build the case's request on the server behind `requests` and send it; the status and message."""
    request, done = requests.build(case.method, case.path)
    if case.path is not None:
        request = set_enum(request, case.path, case.value)
    try:
        return call_raw(
            requests.channel, service, case.method.name, request.SerializeToString(), deadline_for(case.method.name)
        )
    finally:
        done()
