"""Fuzzing every implemented RPC: generated requests, garbage bytes and the empty message get
only the status codes the real server uses for bad input, no call but a long poll waits, the
log shows no traceback, and afterwards a workflow still runs and the database file reopens.

Bounded and reproducible for CI (`derandomize=True`); `bench/fuzz_rpcs.py` runs many more
examples on both servers. TEMPO_FUZZ_EXAMPLES changes the number of examples per RPC.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub
from temporalio.client import Client
from temporalio.worker import Worker

from devserver.grpc_service import WorkflowService
from devserver.operator_service import OperatorService
from tests.reliability.enum_cases import Requests, answer, enum_cases
from tests.reliability.fuzzing import (
    FUZZ_NAMESPACE,
    LONG_RUNNING,
    OPERATOR_SERVICE,
    WORKFLOW_SERVICE,
    StrategyBuilder,
    Targets,
    acceptable,
    call_raw,
    commands,
    deadline_for,
    garbage,
    implemented_methods,
)
from tests.reliability.harness import LoggedServer, logged
from tests.reliability.storm_app import Sleeper
from tests.servers import tempo_server

# What a long poll built by enum_cases.Requests answers within its 0.5 s deadline: nothing
# to hand out (OK, empty, or the deadline), or the update's stage at once.
WELL_FORMED_LONG_POLL = frozenset({grpc.StatusCode.OK, grpc.StatusCode.DEADLINE_EXCEEDED})

EXAMPLES = int(os.environ.get("TEMPO_FUZZ_EXAMPLES", "25"))
GARBAGE_EXAMPLES = max(5, EXAMPLES // 3)

METHODS: list[tuple[str, MethodDescriptor]] = [
    (WORKFLOW_SERVICE.full_name, m) for m in implemented_methods(WORKFLOW_SERVICE, WorkflowService)
] + [(OPERATOR_SERVICE.full_name, m) for m in implemented_methods(OPERATOR_SERVICE, OperatorService)]
IDS = [m.name for _, m in METHODS]


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


seen: dict[str, Counter[str]] = {}

NAMESPACE_CHANGES = frozenset({"UpdateNamespace", "DeleteNamespace"})

# Pausing a workflow is behind a dynamic config flag (as on the real server); the fuzzer reaches
# the pause rules only with it on.
PAUSE_ENABLED = ("--dynamic-config-value", "frontend.WorkflowPauseEnabled=true")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LoggedServer, Targets]]:
    directory = tmp_path_factory.mktemp("fuzz")
    server = logged(
        tempo_server("--db-filename", str(directory / "fuzz.db"), "-n", FUZZ_NAMESPACE, *PAUSE_ENABLED),
        directory / "server.log",
    ).start()
    try:
        yield server, _seed(server.address)
    finally:
        server.stop()


def _seed(address: str) -> Targets:
    """Two running workflows in the fuzz namespace, so generated ids find something."""
    targets = Targets(task_queues=["fuzz-queue"])
    with grpc.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        for i in range(2):
            workflow_id = f"fuzz-target-{i}"
            started = stub.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace=FUZZ_NAMESPACE,
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="FuzzTarget"),
                    task_queue=TaskQueue(name="fuzz-queue"),
                    request_id=str(uuid.uuid4()),
                ),
                timeout=10,
            )
            targets.workflow_ids.append(workflow_id)
            targets.run_ids.append(started.run_id)
    return targets


def _check(service: str, method: str, payload: bytes, server: LoggedServer, kind: str) -> None:
    with grpc.insecure_channel(server.address) as channel:
        code, message = call_raw(channel, service, method, payload, deadline_for(method))
    seen.setdefault(method, Counter())[code.name] += 1
    assert acceptable(method, code), f"{method} answered {code.name} ({message!r}) to {kind} {payload[:200]!r}"


@pytest.mark.parametrize(("service", "method"), METHODS, ids=IDS)
def test_generated_requests(service: str, method: MethodDescriptor, fuzzed: tuple[LoggedServer, Targets]) -> None:
    server, targets = fuzzed
    if method.name in NAMESPACE_CHANGES:
        # Generated updates and deletions of namespaces aim at one of their own: the other
        # tests need the fuzz namespace as it is.
        with grpc.insecure_channel(server.address) as channel:
            scratch = Requests(channel, FUZZ_NAMESPACE).scratch_namespace()
        targets = dataclasses.replace(targets, namespaces=[scratch])
    strategy = StrategyBuilder(targets).request(method)

    @fuzz_settings(EXAMPLES)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        request = data.draw(strategy)
        _check(service, method.name, request.SerializeToString(), server, "request")

    run()


@pytest.mark.parametrize(("service", "method"), METHODS, ids=IDS)
def test_garbage_bytes_and_the_empty_message(
    service: str, method: MethodDescriptor, fuzzed: tuple[LoggedServer, Targets]
) -> None:
    server, _ = fuzzed
    _check(service, method.name, b"", server, "the empty message")

    @fuzz_settings(GARBAGE_EXAMPLES)
    @given(payload=garbage())
    def run(payload: bytes) -> None:
        _check(service, method.name, payload, server, "garbage")

    run()


def test_generated_workflow_task_completions(fuzzed: tuple[LoggedServer, Targets]) -> None:
    """Generated commands answering a real workflow task: the deepest path a client's input takes."""
    server, targets = fuzzed
    builder = StrategyBuilder(targets)
    completion = builder.message(wsv1.RespondWorkflowTaskCompletedRequest.DESCRIPTOR, 0)
    generated_commands = commands(builder)
    counter = iter(range(1_000_000))
    with grpc.insecure_channel(server.address) as channel:
        stub = WorkflowServiceStub(channel)

        @fuzz_settings(EXAMPLES * 4)
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            workflow_id = queue = f"fuzz-commands-{next(counter)}"
            stub.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace=FUZZ_NAMESPACE,
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="FuzzCommands"),
                    task_queue=TaskQueue(name=queue),
                    request_id=str(uuid.uuid4()),
                ),
                timeout=10,
            )
            task = stub.PollWorkflowTaskQueue(
                wsv1.PollWorkflowTaskQueueRequest(namespace=FUZZ_NAMESPACE, task_queue=TaskQueue(name=queue)),
                timeout=10,
            )
            assert task.workflow_execution.workflow_id == workflow_id
            request = wsv1.RespondWorkflowTaskCompletedRequest()
            request.ParseFromString(data.draw(completion).SerializeToString())
            del request.commands[:]
            request.commands.extend(data.draw(generated_commands))  # type: ignore[arg-type]
            request.namespace = FUZZ_NAMESPACE
            request.task_token = task.task_token
            _check(WORKFLOW_SERVICE.full_name, "RespondWorkflowTaskCompleted", request.SerializeToString(), server, "")
            history = stub.GetWorkflowExecutionHistory(
                wsv1.GetWorkflowExecutionHistoryRequest(
                    namespace=FUZZ_NAMESPACE, execution=task.workflow_execution, maximum_page_size=1000
                ),
                timeout=10,
            )
            ids = [event.event_id for event in history.history.events]
            assert ids == list(range(1, len(ids) + 1)), ids
            if _running(stub, task.workflow_execution):
                stub.TerminateWorkflowExecution(
                    wsv1.TerminateWorkflowExecutionRequest(
                        namespace=FUZZ_NAMESPACE, workflow_execution=task.workflow_execution
                    ),
                    timeout=10,
                )

        run()


@pytest.mark.parametrize(("service", "method"), METHODS, ids=IDS)
def test_every_enum_field_set_to_an_undefined_value(
    service: str, method: MethodDescriptor, fuzzed: tuple[LoggedServer, Targets]
) -> None:
    """Issue 17: a well-formed request with one enum field (at any depth: a command's, a
    failure's, a repeated one) set to a number its enum does not define is answered OK or with
    a client error, never INTERNAL or UNKNOWN; the request as built is answered OK."""
    server, _ = fuzzed
    cases = enum_cases([method])
    answers: dict[str, tuple[grpc.StatusCode, str]] = {}
    with grpc.insecure_channel(server.address) as channel:
        requests = Requests(channel, FUZZ_NAMESPACE)
        for case in cases:
            answers[case.name] = answer(requests, service, case)
            seen.setdefault(method.name, Counter())[answers[case.name][0].name] += 1
    well_formed, _ = answers[cases[0].name]
    if method.name in LONG_RUNNING:
        assert well_formed in WELL_FORMED_LONG_POLL, answers[cases[0].name]
    else:
        assert well_formed == grpc.StatusCode.OK, answers[cases[0].name]
    faults = {
        name: (code.name, message) for name, (code, message) in answers.items() if not acceptable(method.name, code)
    }
    assert not faults, faults


def _running(stub: WorkflowServiceStub, execution: WorkflowExecution) -> bool:
    described = stub.DescribeWorkflowExecution(
        wsv1.DescribeWorkflowExecutionRequest(namespace=FUZZ_NAMESPACE, execution=execution), timeout=10
    )
    return described.workflow_execution_info.status == 1


def test_bytes_that_are_not_a_message_get_invalid_argument(fuzzed: tuple[LoggedServer, Targets]) -> None:
    server, _ = fuzzed
    with grpc.insecure_channel(server.address) as channel:
        code, message = call_raw(channel, WORKFLOW_SERVICE.full_name, "StartWorkflowExecution", b"\xff" * 16, 10)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "StartWorkflowExecutionRequest" in message


async def _runs(address: str) -> set[tuple[str, str]]:
    """Every run in the fuzz namespace, listed raw: the official SDK's list cannot read a paused
    run's status (PAUSED is newer than its enum)."""
    client = await Client.connect(address, namespace=FUZZ_NAMESPACE)
    runs: set[tuple[str, str]] = set()
    token = b""
    while True:
        page = await client.workflow_service.list_workflow_executions(
            wsv1.ListWorkflowExecutionsRequest(namespace=FUZZ_NAMESPACE, next_page_token=token)
        )
        runs |= {(info.execution.workflow_id, info.execution.run_id) for info in page.executions}
        token = page.next_page_token
        if not token:
            return runs


async def test_after_the_fuzzing_the_log_is_clean_a_workflow_runs_and_the_file_reopens(
    fuzzed: tuple[LoggedServer, Targets],
) -> None:
    server, _ = fuzzed
    assert "Traceback" not in server.log(), server.log()[-3000:]
    client = await Client.connect(server.address)
    queue = f"after-fuzz-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue, workflows=[Sleeper]):
        assert await client.execute_workflow(Sleeper.run, 0.0, id=queue, task_queue=queue) == "done"
    runs_before = await _runs(server.address)
    server.stop()
    assert server.proc is not None and server.proc.returncode == 0
    server.start()
    client = await Client.connect(server.address)
    assert await client.get_workflow_handle(queue).result() == "done"
    # Every run is still there (runs the fuzzing left going may have made more since).
    assert runs_before <= await _runs(server.address)
    assert "Traceback" not in server.log()
    codes = {method: dict(counter) for method, counter in sorted(seen.items())}
    report = Path(os.environ.get("TEMPO_FUZZ_REPORT", os.devnull))
    report.write_text("\n".join(f"{m}: {c}" for m, c in codes.items()) + "\n")
